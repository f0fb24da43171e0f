//! The web app in `web/`, served at `/` as S3 and CloudFront serve it on AWS, and the
//! development sign-in it uses here: `POST /__local/token` mints a token for any `sub` and
//! groups. That endpoint exists only in the local runner, never on AWS.

use crate::jwt;
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
    jwt_secret: String,
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
struct TokenRequest {
    sub: String,
    #[serde(default)]
    groups: Vec<String>,
}

async fn token(State(site): State<Arc<Site>>, body: Bytes) -> Response {
    match serde_json::from_slice::<TokenRequest>(&body) {
        Ok(request) if !request.sub.trim().is_empty() => {
            let token = jwt::mint(
                &site.jwt_secret,
                request.sub.trim(),
                &request.groups,
                Duration::from_secs(3600),
            );
            (
                [("content-type", "application/json")],
                serde_json::json!({ "token": token }).to_string(),
            )
                .into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "a JSON body with a non-empty sub").into_response(),
    }
}

/// `GET /`, `GET /web/<file>` and `POST /__local/token`.
pub fn router(dir: PathBuf, jwt_secret: String) -> axum::Router {
    axum::Router::new()
        .route("/", get(index))
        .route("/web/{name}", get(file))
        .route("/__local/token", post(token))
        .with_state(Arc::new(Site { dir, jwt_secret }))
}
