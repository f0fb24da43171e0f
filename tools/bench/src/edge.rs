//! A stand-in for the edge in front of the local API, for the journey: on AWS the web app
//! reads the public documents through `PublicDocumentsDistribution` (CloudFront), and here
//! nothing else would cache them. As the template's cache policy: a GET or HEAD without
//! `Authorization` is answered from the cache while the origin's `Cache-Control` allows, keyed
//! by path, query string and `Origin`; concurrent misses of one key wait for one origin
//! request (CloudFront's request collapsing); only 200s are kept; anything else passes
//! through.

use axum::body::{to_bytes, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use local_runner::trail::{passed_back, send};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Reply = (StatusCode, HeaderMap, Bytes);

/// One key's cached reply, and until when it may be served.
type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Reply)>>>;

struct Edge {
    origin: String,
    http: reqwest::Client,
    slots: Mutex<HashMap<String, Slot>>,
}

/// How long the origin lets a shared cache keep a reply, as CloudFront reads it: its
/// `s-maxage`, else its `max-age`; never one that is `private` or `no-store`.
fn shared_max_age(headers: &HeaderMap) -> Option<Duration> {
    let control = headers.get("cache-control")?.to_str().ok()?;
    let directives: Vec<&str> = control.split(',').map(str::trim).collect();
    if directives.iter().any(|d| *d == "private" || *d == "no-store") {
        return None;
    }
    let age = |name: &str| directives.iter().find_map(|d| d.strip_prefix(name)?.parse().ok());
    age("s-maxage=").or_else(|| age("max-age=")).map(Duration::from_secs)
}

impl Edge {
    async fn forward(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let url = format!("{}{}", self.origin, parts.uri);
        let cacheable =
            matches!(parts.method, Method::GET | Method::HEAD) && !parts.headers.contains_key("authorization");
        if !cacheable {
            let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
            return passed_back(send(&self.http, &url, parts.method, &parts.headers, body).await);
        }
        let origin_header = parts
            .headers
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let key = format!("{} {} {origin_header}", parts.method, parts.uri);
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone();
        let mut cached = slot.lock().await;
        if let Some((_, reply)) = cached.as_ref().filter(|(until, _)| *until > Instant::now()) {
            return passed_back(Some(reply.clone()));
        }
        let reply = send(&self.http, &url, parts.method, &parts.headers, Vec::new()).await;
        *cached = match &reply {
            Some(reply) if reply.0 == StatusCode::OK => {
                shared_max_age(&reply.1).map(|age| (Instant::now() + age, reply.clone()))
            }
            _ => None,
        };
        passed_back(reply)
    }
}

/// Serves the edge on `listen` in front of the API at `origin` until killed.
pub async fn serve(listen: u16, origin: String) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let edge = Arc::new(Edge {
        origin: origin.trim_end_matches('/').to_owned(),
        http: reqwest::Client::new(),
        slots: Mutex::default(),
    });
    let app = axum::Router::new()
        .fallback(|State(edge): State<Arc<Edge>>, request: Request| async move { edge.forward(request).await })
        .with_state(edge);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", listen)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edge_keeps_a_reply_only_as_long_as_its_cache_control_lets_a_shared_cache() {
        let with = |value: &str| HeaderMap::from_iter([("cache-control".parse().unwrap(), value.parse().unwrap())]);
        assert_eq!(
            shared_max_age(&with("public, max-age=0, s-maxage=5")),
            Some(Duration::from_secs(5))
        );
        assert_eq!(shared_max_age(&with("public, max-age=5")), Some(Duration::from_secs(5)));
        assert_eq!(shared_max_age(&with("private, max-age=60")), None);
        assert_eq!(shared_max_age(&HeaderMap::new()), None);
    }
}
