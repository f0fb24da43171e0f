//! Errors: what a store can report, and what a request can end in.

use std::time::Duration;

/// A store or bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write found the item already there (or otherwise not as required).
    #[error("condition not met")]
    Conflict,
    /// A record the write depends on is not in the state it requires (a candidate that
    /// withdrew between the read and the write).
    #[error("precondition not met")]
    Precondition,
    /// Throttled, timed out or unreachable: worth retrying shortly.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the text is for logs only.
    #[error("store failure: {0}")]
    Internal(String),
}

/// How a request ends when it does not succeed. Each maps to one problem+json reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("a valid bearer token is required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the request body is larger than the limit")]
    PayloadTooLarge,
    #[error("the service is busy")]
    Unavailable { retry_after: Duration },
    #[error("internal error")]
    Internal,
}

/// How long a caller is asked to wait after an overload.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for AppError {
    /// A conflict the caller did not anticipate is mapped by the handler that expects it;
    /// here it is only the general case.
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict | StoreError::Precondition => {
                Self::conflict("conflict", "the resource changed; try again")
            }
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "store unavailable");
                Self::Unavailable {
                    retry_after: RETRY_AFTER,
                }
            }
            StoreError::Internal(reason) => {
                tracing::error!(%reason, "store failure");
                Self::Internal
            }
        }
    }
}
