//! The data-event trail: a recording proxy in front of DynamoDB Local and LocalStack. Every
//! request of the stack's processes (the runner's pollers and the functions' binaries
//! alike) passes through it, and it appends each one to a file, one JSON line, as a
//! CloudTrail data event records it: the second, the service, the operation, and the
//! request's parameters. It keeps the whole JSON body, more than CloudTrail does, so that
//! the secrecy test reads what the most detailed trail an account could keep would show.
//! Bodies that are not JSON (S3's objects) are kept as their length only, as CloudTrail does.

use crate::clients::{aws_operation, Ports};
use crate::BoxError;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A request forwarded upstream: the reply's status, headers and body, or `None` if the
/// upstream could not be reached.
pub async fn send(
    http: &reqwest::Client,
    url: &str,
    method: Method,
    headers: &HeaderMap,
    body: impl Into<reqwest::Body>,
) -> Option<(StatusCode, HeaderMap, Bytes)> {
    let mut request = http.request(method, url).body(body);
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let reply = request.send().await.ok()?;
    let status = reply.status();
    let headers = reply.headers().clone();
    let bytes = reply.bytes().await.ok()?;
    Some((status, headers, bytes))
}

/// An upstream's reply, passed back as it came; 502 if there was none.
pub fn passed_back(reply: Option<(StatusCode, HeaderMap, Bytes)>) -> Response {
    let Some((status, headers, bytes)) = reply else {
        return Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(bytes)).unwrap_or_default()
}

/// The service a request is for, as CloudTrail names its `eventSource`: from the JSON
/// protocols' target prefix; a request without one is S3's (REST).
fn event_source(headers: &HeaderMap) -> &'static str {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match target.split('.').next().unwrap_or_default() {
        "DynamoDB_20120810" => "dynamodb.amazonaws.com",
        "DynamoDBStreams_20120810" => "streams.dynamodb.amazonaws.com",
        "AmazonSQS" => "sqs.amazonaws.com",
        "AWSEvents" => "events.amazonaws.com",
        "TrentService" => "kms.amazonaws.com",
        "" => "s3.amazonaws.com",
        _ => "other",
    }
}

/// One request as the trail records it.
fn event(method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> Value {
    let operation = aws_operation(headers);
    let parameters = serde_json::from_slice::<Value>(body).unwrap_or_else(|_| json!({ "bytes": body.len() }));
    json!({
        // CloudTrail records the second.
        "eventTime": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": event_source(headers),
        "eventName": if operation.is_empty() { format!("{method} {path}") } else { operation },
        "requestParameters": parameters,
    })
}

struct Recorder {
    upstream: String,
    http: reqwest::Client,
    file: Arc<Mutex<std::fs::File>>,
}

impl Recorder {
    async fn forward(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let line = event(&parts.method, parts.uri.path(), &parts.headers, &body).to_string();
        {
            let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
            // A line lost to a full disk is a gap in the trail, not a failed request.
            let _ = writeln!(file, "{line}");
        }
        let url = format!("{}{path}", self.upstream);
        passed_back(send(&self.http, &url, parts.method, &parts.headers, body).await)
    }
}

/// Serves a recorder on a free port in front of `upstream`; returns the port.
async fn serve(upstream: u16, file: Arc<Mutex<std::fs::File>>) -> Result<u16, BoxError> {
    let recorder = Arc::new(Recorder {
        upstream: format!("http://127.0.0.1:{upstream}"),
        http: reqwest::Client::new(),
        file,
    });
    let app = axum::Router::new()
        .fallback(|State(r): State<Arc<Recorder>>, request: Request| async move { r.forward(request).await })
        .with_state(recorder);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(port)
}

/// Puts a recorder in front of each emulator's endpoint, appending to `path`; returns the
/// ports with the endpoints moved to the recorders.
pub async fn record(path: &Path, ports: Ports) -> Result<Ports, BoxError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = Arc::new(Mutex::new(
        std::fs::OpenOptions::new().create(true).append(true).open(path)?,
    ));
    Ok(Ports {
        dynamodb_endpoint: serve(ports.dynamodb_endpoint, file.clone()).await?,
        localstack_endpoint: serve(ports.localstack_endpoint, file).await?,
        ..ports
    })
}
