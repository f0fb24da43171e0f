//! Configuration read once at start-up: table and bus names from the environment (the
//! template sets them), and AWS clients with the timeouts that keep overload fast.

use crate::adapters::dynamodb::{DynamoStore, Tables};
use crate::adapters::eventbridge::EventBridgeBus;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// A required setting is missing.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} is not set")]
pub struct MissingSetting(pub &'static str);

/// Names of the resources a function uses.
#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    pub event_bus_name: String,
}

fn var(name: &'static str) -> Result<String, MissingSetting> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(MissingSetting(name))
}

impl Settings {
    pub fn from_env() -> Result<Self, MissingSetting> {
        Ok(Self {
            tables: Tables {
                elections: var("ELECTIONS_TABLE")?,
                candidates: var("CANDIDATES_TABLE")?,
                votes: var("VOTES_TABLE")?,
                pledges: var("PLEDGES_TABLE")?,
                dashboard: var("DASHBOARD_TABLE")?,
            },
            event_bus_name: var("EVENT_BUS_NAME")?,
        })
    }
}

/// A whole operation, retries included, gives up after this long: the caller gets a 503
/// with `Retry-After` instead of a hang.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);

/// Fail-fast timeouts for every AWS call.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_millis(1500))
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Loads the AWS configuration from the standard sources, with fail-fast timeouts.
pub async fn aws_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .load()
        .await
}

/// Builds the adapters once, for the life of the process.
pub fn adapters(aws: &SdkConfig, settings: &Settings) -> (DynamoStore, EventBridgeBus) {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), settings.tables.clone());
    let bus = EventBridgeBus::new(aws_sdk_eventbridge::Client::new(aws), settings.event_bus_name.clone());
    (store, bus)
}
