//! Reads `template.yaml`: the resources the runner provisions and the triggers it plays.
//! Only what the runner needs is modelled; references are resolved to logical ids, which
//! are also the local physical names.

use serde_json::{Map, Value};
use serde_yaml::value::TaggedValue;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template: {0}")]
    Io(#[from] std::io::Error),
    #[error("the template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("template: {0}")]
    Shape(String),
}

/// An HTTP API route, as `METHOD /path/{param}`, with the JWT authorizer that guards it
/// (`None`: a public route, `Auth: Authorizer: NONE`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub authorizer: Option<String>,
}

/// What invokes a function.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    Http(Route),
    Stream {
        table: String,
        batch_size: i32,
        /// `None`: retry without limit.
        max_retries: Option<u32>,
        on_failure_queue: Option<String>,
        /// The event names its filter lets through (`None`: every record). Locally only
        /// `eventName` filters are played, the one shape the template uses.
        event_names: Option<Vec<String>>,
    },
    Queue {
        queue: String,
        batch_size: i32,
    },
    /// An EventBridge schedule. Locally it is played every [`crate::pollers::LOCAL_TICK`]
    /// whatever its rate, so that a test stack need not wait minutes for it.
    Schedule,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub logical_id: String,
    /// The folder name under `functions/`.
    pub name: String,
    pub triggers: Vec<Trigger>,
    /// The function's own environment variables, as the template writes them (`!Ref`s and
    /// `!Join`s unresolved).
    pub variables: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleDef {
    pub logical_id: String,
    pub bus: String,
    pub pattern: Value,
    /// Logical ids of the target queues.
    pub target_queues: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueueDef {
    pub logical_id: String,
    pub properties: Value,
    /// Logical id of the dead-letter queue, if any.
    pub dead_letter_queue: Option<String>,
    pub max_receive_count: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BucketDef {
    pub logical_id: String,
    /// The queue (logical id) told of each object created, if any.
    pub notified_queue: Option<String>,
    /// Whether browsers of another origin may upload to it.
    pub cors: bool,
}

/// The parts of the template the runner uses.
#[derive(Clone, Debug, Default)]
pub struct Template {
    /// Table logical id → its properties, as JSON.
    pub tables: BTreeMap<String, Value>,
    pub buses: Vec<String>,
    /// KMS keys: logical id → properties.
    pub keys: BTreeMap<String, Value>,
    /// S3 buckets.
    pub buckets: Vec<BucketDef>,
    pub queues: Vec<QueueDef>,
    /// The HTTP API's JWT authorizers, by name.
    pub authorizers: Vec<String>,
    pub rules: Vec<RuleDef>,
    pub functions: Vec<FunctionDef>,
    /// The environment every function gets (Globals), references resolved.
    pub environment: BTreeMap<String, String>,
    /// The template's parameters: their defaults, or what `OMP_PARAMETER_OVERRIDES` says
    /// (`Name=Value` pairs, separated by spaces, as `sam --parameter-overrides` takes them).
    pub parameters: BTreeMap<String, String>,
    /// Every variable that some function is given and that names a resource (a table, the
    /// bus, the key), resolved to its local name: what the runner's in-process handlers
    /// and the tests look tables up by.
    pub names: BTreeMap<String, String>,
}

/// CloudFormation YAML → JSON, with short-form intrinsics (`!Ref X`) in long form.
fn to_json(value: &serde_yaml::Value) -> Value {
    match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(*b),
        serde_yaml::Value::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        serde_yaml::Value::String(s) => Value::String(s.clone()),
        serde_yaml::Value::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        serde_yaml::Value::Mapping(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| k.as_str().map(|k| (k.to_owned(), to_json(v))))
                .collect(),
        ),
        serde_yaml::Value::Tagged(tagged) => {
            let TaggedValue { tag, value } = tagged.as_ref();
            let name = tag.to_string();
            let name = name.trim_start_matches('!');
            let key = if name == "Ref" {
                "Ref".to_owned()
            } else {
                format!("Fn::{name}")
            };
            let mut inner = to_json(value);
            if name == "GetAtt" {
                if let Value::String(dotted) = &inner {
                    inner = Value::Array(dotted.splitn(2, '.').map(|s| Value::String(s.to_owned())).collect());
                }
            }
            Value::Object(Map::from_iter([(key, inner)]))
        }
    }
}

/// A resource's properties with every one that is a parameter (`!Ref`) given that
/// parameter's value, as CloudFormation gives it.
fn with_parameters(mut properties: Value, parameters: &BTreeMap<String, String>) -> Value {
    if let Some(properties) = properties.as_object_mut() {
        for value in properties.values_mut() {
            if let Some(given) = referenced_id(value).and_then(|id| parameters.get(&id)) {
                *value = Value::String(given.clone());
            }
        }
    }
    properties
}

/// The logical id a `Ref` or `Fn::GetAtt` points at.
pub fn referenced_id(value: &Value) -> Option<String> {
    if let Some(id) = value.get("Ref").and_then(Value::as_str) {
        return Some(id.to_owned());
    }
    value
        .get("Fn::GetAtt")
        .and_then(|v| v.get(0))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The environment variable with the parameter overrides.
pub const PARAMETER_OVERRIDES: &str = "OMP_PARAMETER_OVERRIDES";

/// The template's parameters, by name: each one's default, or its override, which must be
/// one the template allows (its `MinValue` and `MaxValue`, as CloudFormation checks them).
fn parameters(json: &Value, overrides: &str) -> Result<BTreeMap<String, String>, TemplateError> {
    let declared = json
        .get("Parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut values: BTreeMap<String, String> = declared
        .iter()
        .filter_map(|(name, p)| Some((name.clone(), text_of(p.get("Default")?)?)))
        .collect();
    for pair in overrides.split_whitespace() {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| shape(format!("parameter override {pair:?} is not Name=Value")))?;
        let declaration = declared
            .get(name)
            .ok_or_else(|| shape(format!("no parameter {name} to override")))?;
        let bound = |key| declaration.get(key).and_then(Value::as_f64);
        if let (Some(min), Some(max)) = (bound("MinValue"), bound("MaxValue")) {
            let number: f64 = value
                .parse()
                .map_err(|_| shape(format!("parameter {name}: {value} is not a number")))?;
            if !(min..=max).contains(&number) {
                return Err(shape(format!("parameter {name}: {value} is outside {min}..={max}")));
            }
        }
        values.insert(name.to_owned(), value.to_owned());
    }
    Ok(values)
}

/// A parameter's value as text (YAML gives numbers as numbers).
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn shape(message: impl Into<String>) -> TemplateError {
    TemplateError::Shape(message.into())
}

impl Template {
    /// The template at `path` as the runner plays it: voters sign in with the local national
    /// service, then the parameter overrides of the environment.
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let overrides = format!(
            "{} {}",
            crate::jwt::LocalIssuers::from_env().voter_sign_in(),
            std::env::var(PARAMETER_OVERRIDES).unwrap_or_default()
        );
        Self::parse(&std::fs::read_to_string(path)?, &overrides)
    }

    pub fn parse(text: &str, overrides: &str) -> Result<Self, TemplateError> {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text)?;
        let json = to_json(&yaml);
        let mut template = Template {
            parameters: parameters(&json, overrides)?,
            ..Template::default()
        };
        let resources = json
            .get("Resources")
            .and_then(Value::as_object)
            .ok_or_else(|| shape("no Resources"))?;
        let api_auth = resources
            .values()
            .find(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::HttpApi"))
            .and_then(|api| api.pointer("/Properties/Auth"))
            .cloned()
            .unwrap_or(Value::Null);
        let default_authorizer = api_auth.get("DefaultAuthorizer").and_then(Value::as_str);
        template.authorizers = api_auth
            .get("Authorizers")
            .and_then(Value::as_object)
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        for (id, resource) in resources {
            let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
            match resource.get("Type").and_then(Value::as_str).unwrap_or_default() {
                "AWS::DynamoDB::Table" => {
                    template.tables.insert(id.clone(), properties);
                }
                "AWS::Events::EventBus" => template.buses.push(id.clone()),
                "AWS::KMS::Key" => {
                    template.keys.insert(id.clone(), properties);
                }
                "AWS::S3::Bucket" => template.buckets.push(BucketDef {
                    logical_id: id.clone(),
                    notified_queue: properties
                        .pointer("/NotificationConfiguration/QueueConfigurations/0/Queue")
                        .and_then(referenced_id),
                    cors: properties.get("CorsConfiguration").is_some(),
                }),
                "AWS::SQS::Queue" => {
                    let properties = with_parameters(properties, &template.parameters);
                    let redrive = properties.get("RedrivePolicy");
                    template.queues.push(QueueDef {
                        logical_id: id.clone(),
                        dead_letter_queue: redrive
                            .and_then(|r| r.get("deadLetterTargetArn"))
                            .and_then(referenced_id),
                        max_receive_count: redrive.and_then(|r| r.get("maxReceiveCount")).and_then(Value::as_i64),
                        properties,
                    })
                }
                "AWS::Events::Rule" => template.rules.push(RuleDef {
                    logical_id: id.clone(),
                    bus: properties
                        .get("EventBusName")
                        .and_then(referenced_id)
                        .ok_or_else(|| shape(format!("{id}: EventBusName")))?,
                    pattern: properties
                        .get("EventPattern")
                        .cloned()
                        .ok_or_else(|| shape(format!("{id}: EventPattern")))?,
                    target_queues: properties
                        .get("Targets")
                        .and_then(Value::as_array)
                        .map(|targets| {
                            targets
                                .iter()
                                .filter_map(|t| t.get("Arn").and_then(referenced_id))
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
                "AWS::Serverless::Function" => template.functions.push(function(id, &properties, default_authorizer)?),
                _ => {}
            }
        }
        let globals = json
            .pointer("/Globals/Function/Environment/Variables")
            .and_then(Value::as_object);
        for (name, value) in globals.into_iter().flatten() {
            let resolved = template.local_name(value);
            template.environment.insert(
                name.clone(),
                resolved.ok_or_else(|| shape(format!("Globals variable {name}")))?,
            );
        }
        let names: BTreeMap<String, String> = template
            .functions
            .iter()
            .flat_map(|f| f.variables.iter())
            .filter(|(_, value)| {
                !referenced_id(value).is_some_and(|id| template.queues.iter().any(|q| q.logical_id == id))
            })
            .filter_map(|(name, value)| Some((name.clone(), template.local_name(value)?)))
            .collect();
        template.names = names;
        Ok(template)
    }

    /// Leaves `tables` without their streams, and the functions without those triggers. For
    /// the roll benchmark only: DynamoDB Local keeps stream records in SQLite, and every
    /// write slows as they grow, which on AWS a stream does not do to its table.
    pub fn drop_streams(&mut self, tables: &[String]) {
        for table in tables {
            if let Some(props) = self.tables.get_mut(table).and_then(Value::as_object_mut) {
                props.remove("StreamSpecification");
            }
        }
        for function in &mut self.functions {
            function
                .triggers
                .retain(|t| !matches!(t, Trigger::Stream { table, .. } if tables.contains(table)));
        }
    }

    /// A variable's value where it needs no running resource: text, or a reference to a
    /// table, the bus or a key (a key by its alias). A queue's URL needs the queue.
    pub fn local_name(&self, value: &Value) -> Option<String> {
        match referenced_id(value) {
            Some(key) if self.keys.contains_key(&key) => Some(Self::key_alias(&key)),
            Some(bucket) if self.buckets.iter().any(|b| b.logical_id == bucket) => Some(Self::bucket_name(&bucket)),
            Some(parameter) if self.parameters.contains_key(&parameter) => self.parameters.get(&parameter).cloned(),
            Some(id) => Some(id),
            None => value.as_str().map(str::to_owned),
        }
    }

    /// Locally a key is known by an alias named after its logical id.
    pub fn key_alias(logical_id: &str) -> String {
        format!("alias/{logical_id}")
    }

    /// Locally a bucket is named after its logical id, in lower case (as S3 requires).
    pub fn bucket_name(logical_id: &str) -> String {
        logical_id.to_lowercase()
    }

    /// Every HTTP route in the template, with the function folder that serves it.
    pub fn routes(&self) -> Vec<(Route, String)> {
        let mut routes: Vec<(Route, String)> = self
            .functions
            .iter()
            .flat_map(|f| {
                f.triggers.iter().filter_map(|t| match t {
                    Trigger::Http(route) => Some((route.clone(), f.name.clone())),
                    _ => None,
                })
            })
            .collect();
        routes.sort();
        routes
    }
}

/// The event names a stream mapping's filter lets through; a filter of any other shape is
/// refused, not ignored.
fn event_names(props: &Value) -> Result<Option<Vec<String>>, String> {
    let Some(filters) = props.pointer("/FilterCriteria/Filters").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for filter in filters {
        let pattern = filter.get("Pattern").and_then(Value::as_str).unwrap_or_default();
        let pattern: Value = serde_json::from_str(pattern).map_err(|e| format!("filter pattern: {e}"))?;
        match pattern
            .as_object()
            .map(|o| (o.len(), o.get("eventName").and_then(Value::as_array)))
        {
            Some((1, Some(listed))) => names.extend(listed.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => return Err(format!("only eventName filters are played locally, not {pattern}")),
        }
    }
    Ok(Some(names))
}

fn function(id: &str, properties: &Value, default_authorizer: Option<&str>) -> Result<FunctionDef, TemplateError> {
    let code_uri = properties
        .get("CodeUri")
        .and_then(Value::as_str)
        .ok_or_else(|| shape(format!("{id}: CodeUri")))?;
    let name = code_uri
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(code_uri)
        .to_owned();
    let mut triggers = Vec::new();
    for (event_name, event) in properties
        .get("Events")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let props = event.get("Properties").cloned().unwrap_or(Value::Null);
        let text = |key: &str| props.get(key).and_then(Value::as_str).map(str::to_owned);
        let batch_size = props.get("BatchSize").and_then(Value::as_i64).unwrap_or(10) as i32;
        let missing = || shape(format!("{id}.{event_name}: incomplete event"));
        let trigger = match event.get("Type").and_then(Value::as_str).unwrap_or_default() {
            "HttpApi" => Trigger::Http(Route {
                method: text("Method").ok_or_else(missing)?.to_uppercase(),
                path: text("Path").ok_or_else(missing)?,
                authorizer: match props.pointer("/Auth/Authorizer").and_then(Value::as_str) {
                    Some("NONE") => None,
                    Some(name) => Some(name.to_owned()),
                    None => default_authorizer.map(str::to_owned),
                },
            }),
            "DynamoDB" => Trigger::Stream {
                table: props.get("Stream").and_then(referenced_id).ok_or_else(missing)?,
                batch_size,
                // -1, Lambda's default, retries until the record expires: locally, forever.
                max_retries: match props.get("MaximumRetryAttempts").and_then(Value::as_i64) {
                    Some(n) if n >= 0 => Some(n as u32),
                    _ => None,
                },
                on_failure_queue: props
                    .pointer("/DestinationConfig/OnFailure/Destination")
                    .and_then(referenced_id),
                event_names: event_names(&props).map_err(|reason| shape(format!("{id}.{event_name}: {reason}")))?,
            },
            "SQS" => Trigger::Queue {
                queue: props.get("Queue").and_then(referenced_id).ok_or_else(missing)?,
                batch_size,
            },
            "Schedule" => Trigger::Schedule,
            other => {
                return Err(shape(format!(
                    "{id}.{event_name}: event type {other} is not supported locally"
                )))
            }
        };
        triggers.push(trigger);
    }
    let variables = properties
        .pointer("/Environment/Variables")
        .and_then(Value::as_object)
        .map(|variables| variables.clone().into_iter().collect())
        .unwrap_or_default();
    Ok(FunctionDef {
        logical_id: id.to_owned(),
        name,
        triggers,
        variables,
    })
}
