//! Where the runner sends each invocation, in the JSON Lambda would send:
//! - `runtime` (the default): the functions' real binaries, each started on a Lambda Runtime
//!   API of its own with the environment the template gives it, as Lambda runs them;
//! - `in-process`: the same handlers inside the runner, as a library (no binaries to build).

use crate::clients::{Clients, Ports};
use crate::function_env::function_environment;
use crate::runtime_api::{start_function, Outcome, RuntimeApi};
use crate::template::Template;
use crate::BoxError;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::dynamodb;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::DynamoDbEventResponse;
use handlers::functions::{Function, HttpFunction, QueueFunction, StreamFunction};
use handlers::http::event::http_request;
use handlers::services::LiveServices;
use lambda_http::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// An HTTP function's reply, as API Gateway turns it into a response.
pub struct HttpReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// One function's processes: started on demand, as Lambda starts instances, while none is
/// free and fewer than `max` run.
struct Pool {
    api: RuntimeApi,
    binary: PathBuf,
    environment: BTreeMap<String, String>,
    log: PathBuf,
    max: usize,
    /// Held so that the processes live as long as the pool (they die with their handles).
    processes: tokio::sync::Mutex<Vec<tokio::process::Child>>,
}

impl Pool {
    fn start_one(&self, processes: &mut Vec<tokio::process::Child>) -> std::io::Result<()> {
        processes.push(start_function(&self.binary, &self.environment, &self.api, &self.log)?);
        Ok(())
    }

    /// Another instance if every running one is busy (they may still be starting up).
    async fn scale(&self) {
        let mut processes = self.processes.lock().await;
        if self.api.idle() == 0 && processes.len() < self.max {
            if let Err(err) = self.start_one(&mut processes) {
                tracing::error!(error = %err, binary = %self.binary.display(), "could not start an instance");
            }
        }
    }
}

/// The functions' binaries, by function name.
pub struct Fleet {
    pools: HashMap<String, Pool>,
}

pub enum Lambdas {
    InProcess(Arc<LiveServices>),
    Runtime(Fleet),
}

/// How long an invocation may take, as the longest function timeout in the template.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(900);

impl Lambdas {
    /// Starts one process of every function of the template, from `bin_dir`, with its output
    /// in `logs/<function>.log`; each function gets up to `max_instances(function)`.
    pub async fn runtime(
        template: &Template,
        clients: &Clients,
        ports: Ports,
        bin_dir: &Path,
        logs: &Path,
        max_instances: impl Fn(Function) -> usize,
    ) -> Result<Self, BoxError> {
        let mut pools = HashMap::new();
        for def in &template.functions {
            let function = Function::from_name(&def.name)
                .ok_or_else(|| format!("the runner has no handler for function '{}'", def.name))?;
            let binary = bin_dir.join(&def.name);
            if !binary.exists() {
                return Err(format!("{} is not built (cargo build --workspace)", binary.display()).into());
            }
            let pool = Pool {
                api: RuntimeApi::serve(&def.name).await?,
                binary,
                environment: function_environment(template, &def.name, clients, ports).await?,
                log: logs.join(format!("{}.log", def.name)),
                max: max_instances(function).max(1),
                processes: tokio::sync::Mutex::default(),
            };
            pool.start_one(&mut *pool.processes.lock().await)?;
            pools.insert(def.name.clone(), pool);
        }
        Ok(Self::Runtime(Fleet { pools }))
    }

    /// The function's reply to `event`, or why there is none.
    async fn invoke(fleet: &Fleet, function: Function, event: Value) -> Result<Value, String> {
        let pool = fleet
            .pools
            .get(function.name())
            .ok_or_else(|| format!("no process runs {}", function.name()))?;
        pool.scale().await;
        match pool.api.invoke(event, INVOCATION_TIMEOUT).await {
            Ok(Outcome::Response(reply)) => Ok(reply),
            Ok(Outcome::Error(error)) => Err(format!("{} failed: {error}", function.name())),
            Err(err) => Err(format!("{}: {err}", function.name())),
        }
    }

    /// An API Gateway v2 (payload 2.0) event to an HTTP function.
    pub async fn http(&self, function: HttpFunction, event: ApiGatewayV2httpRequest) -> Result<HttpReply, String> {
        let fleet = match self {
            Self::InProcess(services) => {
                let (parts, body) = services.http(function, http_request(event)).await.into_parts();
                return Ok(HttpReply {
                    status: parts.status,
                    headers: parts.headers,
                    body: match body {
                        lambda_http::Body::Text(text) => text.into_bytes(),
                        lambda_http::Body::Binary(bytes) => bytes,
                        _ => Vec::new(),
                    },
                });
            }
            Self::Runtime(fleet) => fleet,
        };
        let reply: ApiGatewayV2httpResponse = Self::invoke_batch(fleet, Function::Http(function), &event).await?;
        let body = match reply.body {
            Some(Body::Text(text)) if reply.is_base64_encoded => {
                aws_smithy_types::base64::decode(text).map_err(|e| e.to_string())?
            }
            Some(Body::Text(text)) => text.into_bytes(),
            Some(Body::Binary(bytes)) => bytes,
            _ => Vec::new(),
        };
        Ok(HttpReply {
            status: u16::try_from(reply.status_code)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::BAD_GATEWAY),
            headers: reply.headers,
            body,
        })
    }

    /// A batch to a binary, and its reply. A failed invocation is an error, which the event
    /// source then retries whole, as Lambda's does.
    async fn invoke_batch<R: DeserializeOwned>(
        fleet: &Fleet,
        function: Function,
        event: &impl Serialize,
    ) -> Result<R, String> {
        let event = serde_json::to_value(event).map_err(|e| e.to_string())?;
        let reply = Self::invoke(fleet, function, event).await?;
        serde_json::from_value(reply).map_err(|e| e.to_string())
    }

    /// A batch of stream records (an error if it was not handled: the poller retries it from
    /// its first record).
    pub async fn stream(
        &self,
        function: StreamFunction,
        event: dynamodb::Event,
    ) -> Result<DynamoDbEventResponse, String> {
        match self {
            Self::InProcess(services) => Ok(services.stream(function, event).await),
            Self::Runtime(fleet) => Self::invoke_batch(fleet, Function::Stream(function), &event).await,
        }
    }

    /// A scheduled run, with the event EventBridge's scheduler sends.
    pub async fn tick(&self, function: StreamFunction) -> Result<Value, String> {
        match self {
            Self::InProcess(services) => services.tick(function).await.map_err(|e| e.to_string()),
            Self::Runtime(fleet) => {
                let event = serde_json::json!({
                    "version": "0",
                    "id": uuid::Uuid::new_v4().to_string(),
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "account": "000000000000",
                    "time": chrono::Utc::now().to_rfc3339(),
                    "region": "us-east-1",
                    "resources": [],
                    "detail": {}
                });
                Self::invoke(fleet, Function::Stream(function), event).await
            }
        }
    }

    /// A batch of queue messages (an error if it was not handled: none is deleted, so every
    /// message comes back).
    pub async fn queue(&self, function: QueueFunction, event: SqsEvent) -> Result<SqsBatchResponse, String> {
        match self {
            Self::InProcess(services) => Ok(services.queue(function, event).await),
            Self::Runtime(fleet) => Self::invoke_batch(fleet, Function::Queue(function), &event).await,
        }
    }
}
