//! Classifies SDK errors (DynamoDB's, and KMS's) into [`PortError`], so a 409 is never
//! mistaken for a 500.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use election_core::problem::PortError;
use std::error::Error;

/// Error codes that mean "slow down and retry".
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
    // A transaction cancelled for anything but a failed condition (a conflicting
    // transaction, throttling) is worth retrying; conditions are read before this.
    "TransactionCanceledException",
    // KMS, when it is throttled or cannot reach its key store.
    "KMSInternalException",
    "KeyUnavailableException",
    "DependencyTimeoutException",
];

pub(crate) fn classify<E, R>(err: SdkError<E, R>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => PortError::Unavailable(format!("{err:?}")),
        SdkError::ServiceError(service) => match service.err().code() {
            Some("ConditionalCheckFailedException") => PortError::Conflict,
            Some(code) if THROTTLING_CODES.contains(&code) => PortError::Unavailable(code.to_owned()),
            _ => PortError::Internal(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err))),
        },
        _ => PortError::Internal(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err))),
    }
}

/// An item read back did not have the expected shape.
pub(super) fn corrupt(err: serde_dynamo::Error) -> PortError {
    PortError::Internal(format!("item does not map: {err}"))
}

/// For a cancelled transaction, whether each item (in request order) failed its condition.
pub(super) fn failed_conditions<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<bool>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}
