//! Replies: success as JSON with the route's status, failure as one RFC 9457
//! `application/problem+json` mapping for every route.

use chrono::{DateTime, Utc};
use election_core::problem::AppError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

/// The body of every error reply. `code` is stable and machine-readable.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    /// `already-voted`: when the voter's first vote was cast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cast_at: Option<DateTime<Utc>>,
}

/// The HTTP status of a refusal.
pub fn status(err: &AppError) -> StatusCode {
    match err {
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) | AppError::NotOnRoll => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } | AppError::AlreadyVoted { .. } => StatusCode::CONFLICT,
        AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Unavailable { .. } | AppError::Unconfirmed { .. } | AppError::VoteUnconfirmed { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn problem(err: &AppError) -> Problem {
    let status = status(err);
    Problem {
        type_uri: format!("urn:omp:problem:{}", err.code().as_str()),
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        code: err.code().as_str(),
        detail: err.detail(),
        cast_at: match err {
            AppError::AlreadyVoted { cast_at } => *cast_at,
            _ => None,
        },
    }
}

/// The problem+json reply for a refusal, with `Retry-After` on an overload.
pub fn refusal(err: &AppError) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status(err))
        .header(header::CONTENT_TYPE, "application/problem+json");
    if let Some(retry_after) = err.retry_after() {
        builder = builder.header(header::RETRY_AFTER, retry_after.as_secs().to_string());
    }
    match serde_json::to_string(&problem(err)) {
        Ok(body) => built(builder.body(Body::Text(body))),
        Err(error) => {
            tracing::error!(%error, "problem did not serialize");
            bare_internal_error()
        }
    }
}

/// A reply whose parts are all the handler's own: if one still does not build, a bare 500
/// (logged), never an empty 200.
fn built(response: Result<Response<Body>, lambda_http::http::Error>) -> Response<Body> {
    response.unwrap_or_else(|error| {
        tracing::error!(%error, "reply did not build");
        bare_internal_error()
    })
}

fn bare_internal_error() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// A JSON reply with the given status.
pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(body) => built(
            Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::Text(body)),
        ),
        Err(err) => {
            tracing::error!(error = %err, "response did not serialize");
            refusal(&AppError::Internal)
        }
    }
}

/// The reply with a `Location` header (a path of ours: it always makes a header value).
pub fn with_location(mut response: Response<Body>, location: &str) -> Response<Body> {
    if let Ok(value) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A reply about one person (a receipt, their votes), which no cache may keep: a shared
/// computer's browser or a proxy would show it to the next user.
pub fn personal(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// Turns an outcome into the reply: success as JSON with `status`, failure as problem+json.
pub fn reply<T: Serialize>(status: StatusCode, outcome: Result<T, AppError>) -> Response<Body> {
    match outcome {
        Ok(value) => json(status, &value),
        Err(err) => refusal(&err),
    }
}

/// `204 No Content` for success, problem+json for failure.
pub fn no_content(outcome: Result<(), AppError>) -> Response<Body> {
    match outcome {
        Ok(()) => built(Response::builder().status(StatusCode::NO_CONTENT).body(Body::Empty)),
        Err(err) => refusal(&err),
    }
}
