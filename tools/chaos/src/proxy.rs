//! The fault-injecting proxy: one listener in front of DynamoDB Local, one in front of
//! LocalStack, sharing one plan and one report. Disarmed, it only forwards (the stack
//! provisions through it). Armed, it fails a share of the stack's requests the ways a cloud
//! does: a throttling error, a 500, a reset connection, or a reply dropped after the request
//! was applied. It can also pause the event bus (every `PutEvents` held unanswered), kill
//! consumer batches between their writes and their acknowledgement (the `DeleteMessageBatch`
//! never reaches the queue), cut the mixer short in the middle of a batch (a write of
//! ballots applied, then refused as if the mixer had died: the rest of its batch is never
//! written), and deliver every event twice (each `PutEvents` sent twice).
//!
//! Control, on either listener: `POST /__chaos/arm` (a JSON [`Plan`]), `POST
//! /__chaos/disarm`, `POST /__chaos/pause-bus` (`{"seconds": n}`), `GET /__chaos/report`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// What an armed proxy does.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The share of requests that fail, from 0 to 1.
    pub fault_rate: f64,
    /// Every n-th consumer batch is killed before its acknowledgement, and every n-th write
    /// of the mixer's ballots is applied and then fails it (0: none).
    pub kill_every_nth_batch: u64,
    /// Every `PutEvents` is sent twice, so every event is delivered twice.
    pub duplicate_events: bool,
}

/// What the proxy did, and what it saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Requests from the stack while armed.
    pub requests: u64,
    pub throttled: u64,
    pub server_errors: u64,
    pub resets: u64,
    /// Requests applied upstream whose reply never reached the stack.
    pub replies_dropped: u64,
    /// `PutEvents` held unanswered while the bus was paused.
    pub bus_held: u64,
    /// Consumer batches whose acknowledgement never reached the queue.
    pub batches_killed: u64,
    /// Mixer batches cut short after a write of their ballots.
    pub mixer_batches_cut: u64,
    /// Events put on the bus a second time.
    pub events_duplicated: u64,
    /// Messages a consumer received for an event it had already received from that queue.
    pub redeliveries: u64,
}

impl Report {
    /// Every fault injected, of every kind.
    pub fn faults(&self) -> u64 {
        self.throttled
            + self.server_errors
            + self.resets
            + self.replies_dropped
            + self.bus_held
            + self.batches_killed
            + self.mixer_batches_cut
    }
}

#[derive(Default)]
struct State {
    plan: Option<Plan>,
    bus_paused_until: Option<Instant>,
    report: Report,
    /// `<queue> <event id>` of every event a consumer received.
    received: HashSet<String>,
    acknowledgements: u64,
    ballot_writes: u64,
}

/// What both listeners share.
pub struct Chaos {
    state: Mutex<State>,
    seed: u64,
}

impl Chaos {
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            seed,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A uniform number in [0, 1) for the n-th request: the same seed fails the same requests.
fn uniform(seed: u64, n: u64) -> f64 {
    // splitmix64
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    Throttle,
    ServerError,
    Reset,
    ReplyDropped,
}

/// The connection is closed without a reply: hyper drops it when the service fails.
#[derive(Debug)]
struct NoReply;

impl std::fmt::Display for NoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed without a reply")
    }
}

impl std::error::Error for NoReply {}

type Reply = Result<Response<Full<Bytes>>, NoReply>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    Ok(response)
}

/// An AWS JSON-protocol error, as the SDKs parse it.
fn aws_error(status: StatusCode, content_type: &str, code: &str) -> Reply {
    let mut response = reply(
        status,
        content_type,
        json!({ "__type": code, "message": "injected by the chaos proxy" }).to_string(),
    )?;
    if let Ok(value) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    Ok(response)
}

struct Upstream {
    url: String,
    http: reqwest::Client,
    chaos: Arc<Chaos>,
}

struct Call {
    method: Method,
    path_and_query: String,
    operation: String,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Call {
    fn content_type(&self) -> String {
        let given = self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        given.unwrap_or("application/x-amz-json-1.0").to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A write of ballots to the box: only the mixer makes one.
    fn is_ballot_write(&self) -> bool {
        let ballot = br#""entity":{"S":"ballot"}"#;
        self.operation == "BatchWriteItem" && self.body.windows(ballot.len()).any(|w| w == ballot)
    }
}

impl Upstream {
    async fn send(&self, call: &Call) -> Result<(StatusCode, hyper::HeaderMap, Bytes), NoReply> {
        let url = format!("{}{}", self.url, call.path_and_query);
        let method = call.method.clone();
        local_runner::trail::send(&self.http, &url, method, &call.headers, call.body.clone())
            .await
            .ok_or(NoReply)
    }

    async fn forward(&self, call: &Call) -> Reply {
        let (status, headers, body) = self.send(call).await?;
        if call.operation == "ReceiveMessage" && status.is_success() {
            self.count_redeliveries(call, &body);
        }
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        for (name, value) in &headers {
            if name != CONTENT_LENGTH && name != TRANSFER_ENCODING && name != CONNECTION {
                response.headers_mut().append(name, value.clone());
            }
        }
        Ok(response)
    }

    fn count_redeliveries(&self, call: &Call, reply: &[u8]) {
        let queue = call.json()["QueueUrl"].as_str().unwrap_or_default().to_owned();
        let reply: Value = serde_json::from_slice(reply).unwrap_or(Value::Null);
        let mut state = self.chaos.state();
        for message in reply["Messages"].as_array().into_iter().flatten() {
            let body: Value = serde_json::from_str(message["Body"].as_str().unwrap_or_default()).unwrap_or(Value::Null);
            let event = body["detail"]["eventId"].as_str().or(message["MessageId"].as_str());
            if !state.received.insert(format!("{queue} {}", event.unwrap_or_default())) {
                state.report.redeliveries += 1;
            }
        }
    }

    /// Decides what happens to one request of the stack's.
    async fn handle(&self, call: Call) -> Reply {
        // The plan, and this request's number (from 0) under it, read together.
        let armed = {
            let mut state = self.chaos.state();
            state.plan.clone().map(|plan| {
                state.report.requests += 1;
                (state.report.requests - 1, plan)
            })
        };
        let Some((n, plan)) = armed else {
            return self.forward(&call).await;
        };
        if call.operation == "PutEvents" {
            let paused_until = self.chaos.state().bus_paused_until;
            if let Some(until) = paused_until.filter(|until| *until > Instant::now()) {
                self.chaos.state().report.bus_held += 1;
                tokio::time::sleep_until(until).await;
                return Err(NoReply);
            }
        }
        if call.operation == "DeleteMessageBatch" && plan.kill_every_nth_batch > 0 {
            let mut state = self.chaos.state();
            state.acknowledgements += 1;
            if state.acknowledgements.is_multiple_of(plan.kill_every_nth_batch) {
                state.report.batches_killed += 1;
                return Err(NoReply);
            }
        }
        if call.is_ballot_write() && plan.kill_every_nth_batch > 0 {
            let cut = {
                let mut state = self.chaos.state();
                state.ballot_writes += 1;
                state.ballot_writes.is_multiple_of(plan.kill_every_nth_batch)
            };
            if cut {
                // Written, then the mixer stops there: the rest of its batch is not.
                self.send(&call).await?;
                self.chaos.state().report.mixer_batches_cut += 1;
                return aws_error(StatusCode::BAD_REQUEST, &call.content_type(), "ValidationException");
            }
        }
        let roll = uniform(self.chaos.seed, n);
        let fault = (roll < plan.fault_rate).then(|| match (roll / plan.fault_rate * 4.0) as u8 {
            0 => Fault::Throttle,
            1 => Fault::ServerError,
            2 => Fault::Reset,
            _ => Fault::ReplyDropped,
        });
        let content_type = call.content_type();
        match fault {
            Some(Fault::Throttle) => {
                self.chaos.state().report.throttled += 1;
                aws_error(StatusCode::BAD_REQUEST, &content_type, "ThrottlingException")
            }
            Some(Fault::ServerError) => {
                self.chaos.state().report.server_errors += 1;
                aws_error(StatusCode::INTERNAL_SERVER_ERROR, &content_type, "InternalServerError")
            }
            Some(Fault::Reset) => {
                self.chaos.state().report.resets += 1;
                Err(NoReply)
            }
            Some(Fault::ReplyDropped) => {
                self.chaos.state().report.replies_dropped += 1;
                self.send(&call).await?;
                Err(NoReply)
            }
            None => {
                let answer = self.forward(&call).await;
                if call.operation == "PutEvents" && plan.duplicate_events {
                    if let Ok((status, _, _)) = self.send(&call).await {
                        let entries = call.json()["Entries"].as_array().map_or(0, Vec::len) as u64;
                        if status.is_success() {
                            self.chaos.state().report.events_duplicated += entries;
                        }
                    }
                }
                answer
            }
        }
    }

    fn control(&self, method: &Method, path: &str, body: &[u8]) -> Reply {
        let ok = |body: String| reply(StatusCode::OK, "application/json", body);
        let mut state = self.chaos.state();
        match (method, path) {
            (&Method::POST, "/__chaos/arm") => match serde_json::from_slice::<Plan>(body) {
                Ok(plan) => {
                    state.plan = Some(plan);
                    ok("{}".into())
                }
                Err(err) => reply(StatusCode::BAD_REQUEST, "text/plain", err.to_string()),
            },
            (&Method::POST, "/__chaos/disarm") => {
                state.plan = None;
                state.bus_paused_until = None;
                ok("{}".into())
            }
            (&Method::POST, "/__chaos/pause-bus") => {
                let seconds = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null)["seconds"]
                    .as_u64()
                    .unwrap_or(60);
                state.bus_paused_until = Some(Instant::now() + Duration::from_secs(seconds));
                ok("{}".into())
            }
            (&Method::GET, "/__chaos/report") => ok(serde_json::to_string(&state.report).unwrap_or_default()),
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "no such control"),
        }
    }

    async fn serve_request(&self, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map_err(|_| NoReply)?.to_bytes();
        if parts.uri.path().starts_with("/__chaos") {
            return self.control(&parts.method, parts.uri.path(), &body);
        }
        let operation = local_runner::clients::aws_operation(&parts.headers);
        self.handle(Call {
            method: parts.method,
            path_and_query: parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
            operation,
            headers: parts.headers,
            body,
        })
        .await
    }
}

/// Serves one listener on `listen`, in front of `upstream`, until the process ends.
pub async fn serve(listen: u16, upstream: u16, chaos: Arc<Chaos>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", listen)).await?;
    let upstream = Arc::new(Upstream {
        url: format!("http://127.0.0.1:{upstream}"),
        http: reqwest::Client::new(),
        chaos,
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let upstream = upstream.clone();
                async move { upstream.serve_request(request).await }
            });
            // A failed connection is a fault this proxy made, or the client's own hang-up.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::uniform;

    #[test]
    fn the_share_of_failed_requests_is_the_rate_asked_and_the_same_for_the_same_seed() {
        let n = 100_000;
        let failed = (0..n).filter(|&i| uniform(7, i) < 0.2).count();
        assert!((19_000..21_000).contains(&failed), "{failed}");
        assert!((0..1000).all(|i| uniform(7, i) == uniform(7, i)));
        assert!((0..1000).any(|i| uniform(7, i) != uniform(8, i)));
    }
}
