//! AWS client settings shared by every adapter: timeouts that keep overload fast.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// Fail-fast timeouts for every AWS call: a whole operation, retries included, gives up
/// after `operation` (the core's [`Bounds::operation`]), so the caller gets a 503 with
/// `Retry-After` instead of a hang; one attempt after half of it, at most 1.5 s.
///
/// [`Bounds::operation`]: election_core::bounds::Bounds::operation
pub fn timeouts(operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1).min(operation))
        .operation_attempt_timeout(Duration::from_millis(1500).min(operation / 2))
        .operation_timeout(operation)
        .build()
}

/// Loads the AWS configuration from the standard sources, with fail-fast timeouts.
pub async fn load_config(operation: Duration) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts(operation))
        .load()
        .await
}
