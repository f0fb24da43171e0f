//! Classifies SDK errors (DynamoDB's, and KMS's) into [`PortError`], so a 409 is never
//! mistaken for a 500.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use election_core::problem::PortError;
use std::error::Error;

/// Error codes that say the request was not applied: slow down and try again.
const REFUSED_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "TransactionConflictException",
    // A transaction cancelled for anything but a failed condition (a conflicting
    // transaction, throttling) applied nothing; conditions are read before this.
    "TransactionCanceledException",
    // KMS, when it is throttled or cannot reach its key store.
    "KMSInternalException",
    "KeyUnavailableException",
    "DependencyTimeoutException",
];

/// Error codes after which a write may have been applied, or may be yet: a server error
/// (DynamoDB does not say whether it applied the request), or a transaction with the same
/// token still in progress (an earlier send of ours).
const UNKNOWN_OUTCOME_CODES: &[&str] = &[
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match &err {
        // Sent (or perhaps sent), and no reply that can be read: the outcome is unknown.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PortError::Unknown(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err)))
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some("ConditionalCheckFailedException") => PortError::Conflict,
            Some(code) if REFUSED_CODES.contains(&code) => PortError::Unavailable(code.to_owned()),
            Some(code) if UNKNOWN_OUTCOME_CODES.contains(&code) => PortError::Unknown(code.to_owned()),
            // Any other server error does not say whether the request was applied.
            _ if service.raw().status().is_server_error() => {
                PortError::Unknown(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err)))
            }
            _ => PortError::Internal(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err))),
        },
        _ => PortError::Internal(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err))),
    }
}

/// A conditional write's outcome: applied (`true`), or not, its condition unmet (`false`);
/// any other error as [`classify`] says.
pub(crate) fn applied<T, E>(sent: Result<T, SdkError<E, HttpResponse>>) -> Result<bool, PortError>
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match sent.map_err(classify) {
        Ok(_) => Ok(true),
        Err(PortError::Conflict) => Ok(false),
        Err(err) => Err(err),
    }
}

/// A read, or a call that stores nothing (KMS's): whatever became of it, nothing was
/// recorded, so an unanswered one is only unavailable.
pub(crate) fn classify_read<E>(err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match classify(err) {
        PortError::Unknown(reason) => PortError::Unavailable(reason),
        other => other,
    }
}

/// An item read back did not have the expected shape.
pub(super) fn corrupt(err: serde_dynamo::Error) -> PortError {
    PortError::Internal(format!("item does not map: {err}"))
}

/// Why DynamoDB cancelled one item of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cancelled {
    /// Not the item's doing: another item cancelled the transaction.
    Not,
    ConditionFailed,
    /// Another transaction or write holds the item.
    Conflict,
    Throttled,
    /// The item is not valid (too large, a bad expression): no retry helps.
    Invalid,
}

/// For a cancelled transaction, why each item (in request order) was cancelled.
pub(super) fn cancellation<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<Cancelled>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| match r.code() {
                    Some("ConditionalCheckFailed") => Cancelled::ConditionFailed,
                    Some("TransactionConflict") => Cancelled::Conflict,
                    Some("ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded") => {
                        Cancelled::Throttled
                    }
                    Some("ValidationError" | "ItemCollectionSizeLimitExceeded") => Cancelled::Invalid,
                    _ => Cancelled::Not,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// For a cancelled transaction, whether each item (in request order) failed its condition.
pub(super) fn failed_conditions<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<bool>> {
    cancellation(err).map(|reasons| reasons.iter().map(|r| *r == Cancelled::ConditionFailed).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    use aws_smithy_types::body::SdkBody;

    fn service_error(status: u16, code: &str) -> SdkError<TransactWriteItemsError, HttpResponse> {
        let err = TransactWriteItemsError::generic(ErrorMetadata::builder().code(code).build());
        SdkError::service_error(err, HttpResponse::new(status.try_into().unwrap(), SdkBody::empty()))
    }

    fn kind(err: &PortError) -> &'static str {
        match err {
            PortError::Unknown(_) => "perhaps written",
            PortError::Unavailable(_) => "not written",
            _ => "other",
        }
    }

    #[test]
    fn a_server_error_says_nothing_of_what_was_written_and_a_throttle_that_nothing_was() {
        for (status, code, expected) in [
            (500, "InternalFailure", "perhaps written"),
            (500, "InternalServerError", "perhaps written"),
            (400, "ThrottlingException", "not written"),
            (400, "ValidationException", "other"),
        ] {
            assert_eq!(
                kind(&classify(service_error(status, code))),
                expected,
                "{status} {code}"
            );
        }
        // A read applied nothing, whatever became of it.
        assert_eq!(
            kind(&classify_read(service_error(500, "InternalFailure"))),
            "not written"
        );
    }
}
