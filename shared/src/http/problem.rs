//! One mapping from [`AppError`] to an RFC 9457 `application/problem+json` reply.

use crate::error::AppError;
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
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } => code,
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::PayloadTooLarge => "payload-too-large",
            Self::Unavailable { .. } => "service-unavailable",
            Self::Internal => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Unavailable { .. } => {
                "The election service is busy. Your vote or request was not recorded; please try again in a few seconds."
                    .to_owned()
            }
            Self::Internal => "Something went wrong on our side; nothing was recorded. Please try again.".to_owned(),
            other => other.to_string(),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        Problem {
            type_uri: format!("urn:omp:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            code: self.code(),
            detail: self.detail(),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let problem = self.to_problem();
        let mut builder = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/problem+json");
        if let Self::Unavailable { retry_after } = &self {
            builder = builder.header(header::RETRY_AFTER, retry_after.as_secs().to_string());
        }
        let body = serde_json::to_string(&problem).unwrap_or_default();
        builder.body(Body::Text(body)).unwrap_or_default()
    }
}
