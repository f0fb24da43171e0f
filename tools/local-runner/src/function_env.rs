//! The environment a function's real binary gets locally: what the template gives it
//! (Globals and its own variables, references resolved to the local resources), the
//! emulators' endpoints, and test credentials, so the SDK never looks off this machine.

use crate::authorizer::local_token_settings;
use crate::clients::{Clients, Ports};
use crate::jwt::{secret_from_env, LocalIssuers};
use crate::operations::queue;
use crate::template::{referenced_id, Template};
use crate::BoxError;
use serde_json::Value;
use std::collections::BTreeMap;

/// One variable of a function's own: a queue's `!Ref` is its URL, a `!Join` joins its parts.
async fn resolve(value: &Value, template: &Template, clients: &Clients) -> Result<String, BoxError> {
    if let Some(id) = referenced_id(value).filter(|id| template.queues.iter().any(|q| &q.logical_id == id)) {
        return Ok(queue(&clients.sqs, &id).await?.0);
    }
    if let Some(name) = template.local_name(value) {
        return Ok(name);
    }
    if let Some([separator, Value::Array(parts)]) = value.get("Fn::Join").and_then(Value::as_array).map(Vec::as_slice) {
        let mut resolved = Vec::new();
        for part in parts {
            resolved.push(Box::pin(resolve(part, template, clients)).await?);
        }
        return Ok(resolved.join(separator.as_str().unwrap_or_default()));
    }
    Err(format!("cannot resolve {value} locally").into())
}

/// Every variable `function` (its folder name) is started with, sorted by name.
pub async fn function_environment(
    template: &Template,
    function: &str,
    clients: &Clients,
    ports: Ports,
) -> Result<BTreeMap<String, String>, BoxError> {
    let def = template
        .functions
        .iter()
        .find(|f| f.name == function)
        .ok_or_else(|| format!("template.yaml has no function in functions/{function}"))?;
    let mut environment = template.environment.clone();
    // The issuers it checks tokens against: the runner's stand-ins, as its authorizers.
    let issuers = LocalIssuers::new(format!("http://127.0.0.1:{}", ports.api), secret_from_env());
    let token_settings = local_token_settings(template, &issuers)?;
    for (name, value) in &def.variables {
        let value = match token_settings.get(name.as_str()) {
            Some(local) => local.clone(),
            None => resolve(value, template, clients).await?,
        };
        environment.insert(name.clone(), value);
    }
    // As `LoggingConfig: ApplicationLogLevel: !Ref LogLevel` makes Lambda set it.
    let log_level = template.parameters.get("LogLevel").cloned().unwrap_or_default();
    let localstack = format!("http://127.0.0.1:{}", ports.localstack_endpoint);
    let dynamodb = format!("http://127.0.0.1:{}", ports.dynamodb_endpoint);
    for (name, value) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_ENDPOINT_URL", &localstack),
        ("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb),
        ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", &dynamodb),
        // As `LoggingConfig: LogFormat: JSON` makes Lambda set it.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", &log_level),
        ("AWS_LAMBDA_FUNCTION_NAME", function),
    ] {
        environment.insert(name.to_owned(), value.to_owned());
    }
    Ok(environment)
}
