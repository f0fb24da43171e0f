//! Lambda's Runtime API, served for one function's real binary as Lambda serves it: the
//! process, started with `AWS_LAMBDA_RUNTIME_API` pointing here, asks for its next event
//! (`GET …/invocation/next`) and posts its reply (`…/invocation/{id}/response`) or an error
//! (`…/invocation/{id}/error`, `…/init/error`). [`RuntimeApi::invoke`] hands it one event and
//! waits for the answer.

use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How one invocation ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The function's reply.
    Response(Value),
    /// The error the runtime reported for the invocation (`errorType`, `errorMessage`).
    Error(Value),
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("the function did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the function failed to start: {0}")]
    Init(Value),
}

type Invocation = (String, Value);

#[derive(Default)]
struct Waiting {
    replies: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<Value>,
}

struct Shared {
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    /// Processes waiting in `next` for an invocation: free instances.
    idle: AtomicUsize,
    waiting: Mutex<Waiting>,
    function_arn: String,
}

impl Shared {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn settle(&self, id: &str, outcome: Outcome) {
        if let Some(reply) = self.waiting().replies.remove(id) {
            let _ = reply.send(outcome);
        }
    }
}

/// The Runtime API of one function, on a port of its own.
pub struct RuntimeApi {
    function: String,
    address: String,
    invocations: mpsc::UnboundedSender<Invocation>,
    shared: Arc<Shared>,
}

async fn next(State(shared): State<Arc<Shared>>) -> (HeaderMap, String) {
    shared.idle.fetch_add(1, Ordering::SeqCst);
    let (id, event) = {
        let mut invocations = shared.next.lock().await;
        // The sender lives as long as the API: `None` only while it is dropped.
        invocations.recv().await.unwrap_or_default()
    };
    shared.idle.fetch_sub(1, Ordering::SeqCst);
    let deadline = chrono::Utc::now() + Duration::from_secs(900);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.timestamp_millis().to_string()),
        ("lambda-runtime-invoked-function-arn", shared.function_arn.clone()),
        (
            "lambda-runtime-trace-id",
            format!("Root=1-{}", uuid::Uuid::new_v4().simple()),
        ),
        ("content-type", "application/json".to_owned()),
    ] {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    (headers, event.to_string())
}

async fn response(State(shared): State<Arc<Shared>>, UrlPath(id): UrlPath<String>, body: axum::body::Bytes) {
    let reply = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.settle(&id, Outcome::Response(reply));
}

async fn error(State(shared): State<Arc<Shared>>, UrlPath(id): UrlPath<String>, body: axum::body::Bytes) {
    let error = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.settle(&id, Outcome::Error(error));
}

async fn init_error(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) {
    shared.waiting().init_error = Some(serde_json::from_slice(&body).unwrap_or(Value::Null));
}

impl RuntimeApi {
    /// Serves the API for the function `name` on a free port of 127.0.0.1.
    pub async fn serve(name: &str) -> std::io::Result<Self> {
        let (invocations, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next: tokio::sync::Mutex::new(receiver),
            idle: AtomicUsize::new(0),
            waiting: Mutex::default(),
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{name}"),
        });
        let app = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            function: name.to_owned(),
            address,
            invocations,
            shared,
        })
    }

    /// How many processes wait for an invocation now.
    pub fn idle(&self) -> usize {
        self.shared.idle.load(Ordering::SeqCst)
    }

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` takes it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Hands `event` to the function and waits for its outcome.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Result<Outcome, InvokeError> {
        let id = uuid::Uuid::new_v4().to_string();
        let (reply, outcome) = oneshot::channel();
        self.shared.waiting().replies.insert(id.clone(), reply);
        let _ = self.invocations.send((id.clone(), event));
        let waited = tokio::time::timeout(timeout, outcome).await;
        self.shared.waiting().replies.remove(&id);
        match waited {
            Ok(Ok(outcome)) => Ok(outcome),
            _ => match self.shared.waiting().init_error.clone() {
                Some(error) => Err(InvokeError::Init(error)),
                None => Err(InvokeError::Timeout(timeout)),
            },
        }
    }
}

/// Starts a function's binary against `api`, with exactly `environment` (nothing inherited)
/// and what Lambda itself sets, its output appended to `log`. The process dies with the
/// handle.
pub fn start_function(
    binary: &Path,
    environment: &BTreeMap<String, String>,
    api: &RuntimeApi,
    log: &Path,
) -> std::io::Result<tokio::process::Child> {
    let output = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    tokio::process::Command::new(binary)
        .env_clear()
        .envs(environment)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", api.function))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .kill_on_drop(true)
        .spawn()
}
