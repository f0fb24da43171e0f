//! AWS client settings shared by every adapter: timeouts that keep overload fast.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// A whole operation, retries included, gives up after this long, as the core's ports
/// promise: the caller gets a 503 with `Retry-After` instead of a hang.
pub const OPERATION_TIMEOUT: Duration = election_core::ports::OPERATION_BOUND;

/// Fail-fast timeouts for every AWS call.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_millis(1500))
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Loads the AWS configuration from the standard sources, with fail-fast timeouts.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .load()
        .await
}
