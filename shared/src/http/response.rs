//! Successful JSON replies.

use crate::error::AppError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON reply with the given status.
pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::Text(body))
            .unwrap_or_default(),
        Err(err) => {
            tracing::error!(error = %err, "response did not serialize");
            AppError::Internal.into_response()
        }
    }
}

/// Turns a handler's outcome into the reply: success as JSON, failure as problem+json.
pub fn reply<T: Serialize>(status: StatusCode, outcome: Result<T, AppError>) -> Response<Body> {
    match outcome {
        Ok(value) => json(status, &value),
        Err(err) => err.into_response(),
    }
}

/// A `204 No Content` reply for success, problem+json for failure.
pub fn no_content(outcome: Result<(), AppError>) -> Response<Body> {
    match outcome {
        Ok(()) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::Empty)
            .unwrap_or_default(),
        Err(err) => err.into_response(),
    }
}
