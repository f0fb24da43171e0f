//! Configuration read once at start-up: table and bus names from the environment (the
//! template sets them), and the live adapters built on them.

use crate::services::LiveServices;
use adapters::dynamodb::{DynamoStore, Tables};
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsSealer;
use aws_config::SdkConfig;
use election_core::clock::SystemClock;

/// A required setting is missing.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} is not set, or empty")]
pub struct MissingSetting(pub &'static str);

/// Names of the resources a function uses.
#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    pub event_bus_name: String,
    /// The KMS key that seals voters' choices.
    pub ballot_seal_key: String,
    /// The queue for stream records that do not read (the publisher's only).
    pub unreadable_records_queue_url: Option<String>,
    /// Every queue of the event pipeline, comma-separated (certify-results' only).
    pub pipeline_queue_urls: Option<String>,
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
                participation: var("PARTICIPATION_TABLE")?,
                ballot_box: var("BALLOT_BOX_TABLE")?,
                pledges: var("PLEDGES_TABLE")?,
                dashboard: var("DASHBOARD_TABLE")?,
            },
            event_bus_name: var("EVENT_BUS_NAME")?,
            ballot_seal_key: var("BALLOT_SEAL_KEY")?,
            unreadable_records_queue_url: var("UNREADABLE_RECORDS_QUEUE_URL").ok(),
            pipeline_queue_urls: var("PIPELINE_QUEUE_URLS").ok(),
        })
    }

    /// The live adapters, built once for the life of the process.
    pub fn services(self, aws: &SdkConfig) -> LiveServices {
        let mut bus = EventBridgeBus::from_config(aws, self.event_bus_name);
        if let Some(queue_url) = self.unreadable_records_queue_url {
            bus = bus.with_set_aside_queue(aws_sdk_sqs::Client::new(aws), queue_url);
        }
        if let Some(queue_urls) = self.pipeline_queue_urls {
            let queue_urls = queue_urls.split(',').map(str::to_owned).collect();
            bus = bus.with_pipeline_queues(aws_sdk_sqs::Client::new(aws), queue_urls);
        }
        LiveServices {
            store: DynamoStore::from_config(aws, self.tables),
            bus,
            clock: SystemClock,
            sealer: KmsSealer::from_config(aws, self.ballot_seal_key),
        }
    }
}
