//! The web app in `web/`, served at `/` as S3 and CloudFront serve it on AWS, with the
//! `/config.json` that names the voters' issuer; the two local identity providers' discovery
//! documents and keys; and the development sign-in the app uses here: `POST /__local/token`
//! mints a token from either provider for any `sub`. None of `/__local` exists on AWS.

use crate::jwt::{Issuer, LocalIssuers};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

struct Site {
    dir: PathBuf,
    issuers: LocalIssuers,
    /// The issuer voter routes trust (empty: the user pool's).
    voter_issuer: String,
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// One file of `web/`, by plain name only: no path can leave the folder.
async fn file(State(site): State<Arc<Site>>, UrlPath(name): UrlPath<String>) -> Response {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    match plain.then(|| std::fs::read(site.dir.join(&name))) {
        Some(Ok(bytes)) => ([("content-type", content_type(&name))], bytes).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn index(state: State<Arc<Site>>) -> Response {
    file(state, UrlPath("index.html".to_owned())).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    sub: String,
    #[serde(default)]
    groups: Vec<String>,
    /// `officials` or `national`; by default the one this caller's groups sign in with.
    issuer: Option<String>,
}

fn json_reply(value: serde_json::Value) -> Response {
    ([("content-type", "application/json")], value.to_string()).into_response()
}

async fn token(State(site): State<Arc<Site>>, body: Bytes) -> Response {
    let ttl = Duration::from_secs(3600);
    match serde_json::from_slice::<TokenRequest>(&body) {
        Ok(request) if !request.sub.trim().is_empty() => {
            let sub = request.sub.trim();
            let token = match request.issuer.as_deref().map(Issuer::served) {
                None => site.issuers.token(sub, &request.groups, ttl),
                Some(Some(Issuer::National)) => site.issuers.voter(sub, ttl),
                Some(Some(_)) => site.issuers.official(sub, &request.groups, ttl),
                Some(None) => return (StatusCode::BAD_REQUEST, "issuer: officials or national").into_response(),
            };
            json_reply(serde_json::json!({ "token": token }))
        }
        _ => (StatusCode::BAD_REQUEST, "a JSON body with a non-empty sub").into_response(),
    }
}

/// `GET /config.json`: what the app needs to tell a voter's token from an official's.
async fn config(State(site): State<Arc<Site>>) -> Response {
    json_reply(serde_json::json!({
        "voterIssuer": site.voter_issuer,
        "voterIdentityClaim": crate::jwt::NATIONAL_ID_CLAIM,
    }))
}

/// `GET /__local/issuers/{name}/.well-known/{document}`: a provider's discovery document
/// or its keys.
async fn issuer_document(
    State(site): State<Arc<Site>>,
    UrlPath((name, document)): UrlPath<(String, String)>,
) -> Response {
    match (Issuer::served(&name), document.as_str()) {
        (Some(issuer), "openid-configuration") => json_reply(site.issuers.discovery(issuer)),
        (Some(issuer), "jwks.json") => json_reply(site.issuers.jwks(issuer)),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /`, `GET /web/<file>`, `GET /config.json`, the issuers' documents and
/// `POST /__local/token`.
pub fn router(dir: PathBuf, issuers: LocalIssuers, voter_issuer: String) -> axum::Router {
    axum::Router::new()
        .route("/", get(index))
        .route("/web/{name}", get(file))
        .route("/config.json", get(config))
        .route("/__local/issuers/{name}/.well-known/{document}", get(issuer_document))
        .route("/__local/token", post(token))
        .with_state(Arc::new(Site {
            dir,
            issuers,
            voter_issuer,
        }))
}
