//! Configuration read once at start-up: each function reads only its own settings (the
//! template gives it no others) and builds only the clients its handler uses.

use crate::http::tokens::{Tokens, TrustedIssuer};
use crate::services::{Services, Unused};
use adapters::dynamodb::{DynamoStore, Table, Tables};
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::{KeyIds, KmsKeys};
use adapters::s3::S3Files;
use aws_config::SdkConfig;
use election_core::bounds::Bounds;
use election_core::clock::SystemClock;
use std::collections::BTreeMap;
use std::time::Duration;

/// A required setting is missing, or does not read.
#[derive(Debug, thiserror::Error)]
pub enum MissingSetting {
    #[error("environment variable {0} is not set, or empty")]
    Missing(&'static str),
    #[error("environment variable {0} is not a whole number of milliseconds")]
    NotMilliseconds(&'static str),
    #[error("environment variable {0} is not a whole number above zero")]
    NotACount(&'static str),
}

/// A setting a function may read from its environment, as the template sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    /// A table's physical name.
    Table(Table),
    EventBusName,
    /// The KMS key that seals voters' choices.
    BallotSealKey,
    /// The KMS key that seals each ballot for the mixer.
    BallotMixKey,
    /// The smallest batch the mixer writes to the box before the close (*k*).
    MixBatchSize,
    /// The KMS HMAC key that voter ids are derived under.
    VoterIdentityKey,
    /// The claim of a voter's token that is their key on the roll.
    VoterIdentityClaim,
    /// The issuer of officials' tokens (the user pool), and the audience they are for.
    OfficialsIssuer,
    OfficialsAudience,
    /// The issuer of voters' tokens, and the audience they are for.
    VoterIssuer,
    VoterAudience,
    /// The bucket roll files are uploaded to.
    RollFilesBucket,
    RecordsBucket,
    /// The queue for stream records that do not read (the publisher's).
    UnreadableRecordsQueueUrl,
    /// Every queue of the event pipeline, comma-separated (certification's).
    PipelineQueueUrls,
    /// The queue of the recount's parts (certification's).
    RecountQueueUrl,
    /// A time bound of the close, in milliseconds (core: `Bounds`).
    Bound(Bound),
}

/// The time bounds a function may be given, each one of [`Bounds`]' fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bound {
    Operation,
    ClockSkewMargin,
    SendWindow,
    RecountStall,
}

impl Bound {
    pub const ALL: [Bound; 4] = [
        Bound::Operation,
        Bound::ClockSkewMargin,
        Bound::SendWindow,
        Bound::RecountStall,
    ];
}

impl Setting {
    /// The environment variable that carries it.
    pub fn variable(self) -> &'static str {
        match self {
            Setting::Table(Table::Elections) => "ELECTIONS_TABLE",
            Setting::Table(Table::Candidates) => "CANDIDATES_TABLE",
            Setting::Table(Table::Participation) => "PARTICIPATION_TABLE",
            Setting::Table(Table::BallotBox) => "BALLOT_BOX_TABLE",
            Setting::Table(Table::Pledges) => "PLEDGES_TABLE",
            Setting::Table(Table::Dashboard) => "DASHBOARD_TABLE",
            Setting::Table(Table::Rolls) => "ROLLS_TABLE",
            Setting::Table(Table::Ceremony) => "CEREMONY_TABLE",
            Setting::Table(Table::Claims) => "CLAIMS_TABLE",
            Setting::EventBusName => "EVENT_BUS_NAME",
            Setting::BallotSealKey => "BALLOT_SEAL_KEY",
            Setting::BallotMixKey => "BALLOT_MIX_KEY",
            Setting::MixBatchSize => "MIX_BATCH_SIZE",
            Setting::VoterIdentityKey => "VOTER_IDENTITY_KEY",
            Setting::VoterIdentityClaim => "VOTER_IDENTITY_CLAIM",
            Setting::OfficialsIssuer => "OFFICIALS_ISSUER",
            Setting::OfficialsAudience => "OFFICIALS_AUDIENCE",
            Setting::VoterIssuer => "VOTER_ISSUER",
            Setting::VoterAudience => "VOTER_AUDIENCE",
            Setting::RollFilesBucket => "ROLL_FILES_BUCKET",
            Setting::RecordsBucket => "RECORDS_BUCKET",
            Setting::UnreadableRecordsQueueUrl => "UNREADABLE_RECORDS_QUEUE_URL",
            Setting::PipelineQueueUrls => "PIPELINE_QUEUE_URLS",
            Setting::RecountQueueUrl => "RECOUNT_QUEUE_URL",
            Setting::Bound(Bound::Operation) => "OPERATION_BOUND_MS",
            Setting::Bound(Bound::ClockSkewMargin) => "CLOCK_SKEW_MARGIN_MS",
            Setting::Bound(Bound::SendWindow) => "SEND_WINDOW_MS",
            Setting::Bound(Bound::RecountStall) => "RECOUNT_STALL_MS",
        }
    }
}

/// The settings of one function, every one of them present.
#[derive(Clone, Debug, Default)]
pub struct Settings(BTreeMap<Setting, String>);

impl Settings {
    /// Reads exactly `wanted` from the environment: a missing one stops the function with
    /// its name.
    pub fn from_env(wanted: &[Setting]) -> Result<Self, MissingSetting> {
        Self::read(wanted, |name| std::env::var(name).ok())
    }

    /// Reads exactly `wanted` through `lookup` (the environment, or a template's).
    pub fn read(wanted: &[Setting], lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingSetting> {
        let mut settings = BTreeMap::new();
        for &setting in wanted {
            let value = lookup(setting.variable())
                .filter(|v| !v.is_empty())
                .ok_or(MissingSetting::Missing(setting.variable()))?;
            settings.insert(setting, value);
        }
        Ok(Self(settings))
    }

    pub fn get(&self, setting: Setting) -> Option<&str> {
        self.0.get(&setting).map(String::as_str)
    }

    /// The bounds among the settings; the default for each one the function is not given.
    pub fn bounds(&self) -> Result<Bounds, MissingSetting> {
        let mut bounds = Bounds::DEFAULT;
        for (bound, field) in [
            (Bound::Operation, &mut bounds.operation),
            (Bound::ClockSkewMargin, &mut bounds.clock_skew_margin),
            (Bound::SendWindow, &mut bounds.send_window),
            (Bound::RecountStall, &mut bounds.recount_stall),
        ] {
            let setting = Setting::Bound(bound);
            if let Some(text) = self.get(setting) {
                let millis: u64 = text
                    .parse()
                    .map_err(|_| MissingSetting::NotMilliseconds(setting.variable()))?;
                *field = Duration::from_millis(millis);
            }
        }
        Ok(bounds)
    }

    /// The mixer's smallest batch: the setting, or the default if the function has none.
    pub fn mix_batch(&self) -> Result<usize, MissingSetting> {
        let setting = Setting::MixBatchSize;
        match self.get(setting) {
            None => Ok(election_core::use_cases::mix_ballots::DEFAULT_BATCH),
            Some(text) => match text.parse() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(MissingSetting::NotACount(setting.variable())),
            },
        }
    }

    /// The issuers among the settings, each with its audience.
    pub fn tokens(&self) -> Result<Tokens, MissingSetting> {
        let trusted = |issuer: Setting, audience: Setting| -> Result<Option<TrustedIssuer>, MissingSetting> {
            match self.get(issuer) {
                None => Ok(None),
                Some(url) => Ok(Some(TrustedIssuer::new(url, vec![self.require(audience)?.to_owned()]))),
            }
        };
        Ok(Tokens {
            officials: trusted(Setting::OfficialsIssuer, Setting::OfficialsAudience)?,
            voters: trusted(Setting::VoterIssuer, Setting::VoterAudience)?,
        })
    }

    /// A setting the part being wired cannot do without: its absence from the function's
    /// list is a wiring mistake, and stops the function at start-up.
    pub fn require(&self, setting: Setting) -> Result<&str, MissingSetting> {
        self.get(setting).ok_or(MissingSetting::Missing(setting.variable()))
    }
}

/// A part of what a function runs with, built from its settings.
pub trait Wiring: Sized {
    fn wire(settings: &Settings, aws: &SdkConfig) -> Result<Self, MissingSetting>;
}

impl Wiring for Unused {
    fn wire(_: &Settings, _: &SdkConfig) -> Result<Self, MissingSetting> {
        Ok(Unused)
    }
}

impl Wiring for DynamoStore {
    /// Over the tables among the settings.
    fn wire(settings: &Settings, aws: &SdkConfig) -> Result<Self, MissingSetting> {
        let tables = Table::ALL.into_iter().fold(Tables::default(), |tables, table| {
            match settings.get(Setting::Table(table)) {
                Some(name) => tables.with(table, name),
                None => tables,
            }
        });
        Ok(DynamoStore::from_config(aws, tables))
    }
}

impl Wiring for EventBridgeBus {
    /// The parts of the bus among the settings: the bus itself, the set-aside queue, the
    /// pipeline's queues, the recount queue.
    fn wire(settings: &Settings, aws: &SdkConfig) -> Result<Self, MissingSetting> {
        let mut bus = EventBridgeBus::default();
        if let Some(name) = settings.get(Setting::EventBusName) {
            bus = bus.with_bus(aws_sdk_eventbridge::Client::new(aws), name.to_owned());
        }
        if let Some(queue_url) = settings.get(Setting::UnreadableRecordsQueueUrl) {
            bus = bus.with_set_aside_queue(aws_sdk_sqs::Client::new(aws), queue_url.to_owned());
        }
        if let Some(queue_urls) = settings.get(Setting::PipelineQueueUrls) {
            let queue_urls = queue_urls.split(',').map(str::to_owned).collect();
            bus = bus.with_pipeline_queues(aws_sdk_sqs::Client::new(aws), queue_urls);
        }
        if let Some(queue_url) = settings.get(Setting::RecountQueueUrl) {
            bus = bus.with_recount_queue(aws_sdk_sqs::Client::new(aws), queue_url.to_owned());
        }
        Ok(bus)
    }
}

impl Wiring for KmsKeys {
    /// With the keys among the settings: the seal key, the identity key, the mix key.
    fn wire(settings: &Settings, aws: &SdkConfig) -> Result<Self, MissingSetting> {
        let key = |setting| settings.get(setting).map(str::to_owned);
        let keys = KeyIds {
            seal: key(Setting::BallotSealKey),
            identity: key(Setting::VoterIdentityKey),
            mix: key(Setting::BallotMixKey),
        };
        if keys.seal.is_none() && keys.identity.is_none() && keys.mix.is_none() {
            return Err(MissingSetting::Missing(Setting::VoterIdentityKey.variable()));
        }
        Ok(KmsKeys::from_config(aws, keys))
    }
}

impl Wiring for S3Files {
    /// With the buckets among the settings: the roll files', the records'.
    fn wire(settings: &Settings, aws: &SdkConfig) -> Result<Self, MissingSetting> {
        let bucket = |setting| settings.get(setting).map(str::to_owned);
        let (rolls, records) = (bucket(Setting::RollFilesBucket), bucket(Setting::RecordsBucket));
        if rolls.is_none() && records.is_none() {
            return Err(MissingSetting::Missing(Setting::RollFilesBucket.variable()));
        }
        Ok(S3Files::from_config(aws, rolls, records))
    }
}

impl<S: Wiring, B: Wiring, K: Wiring, F: Wiring> Wiring for Services<S, B, SystemClock, K, F> {
    fn wire(settings: &Settings, aws: &SdkConfig) -> Result<Self, MissingSetting> {
        Ok(Services {
            store: S::wire(settings, aws)?,
            bus: B::wire(settings, aws)?,
            clock: SystemClock,
            sealer: K::wire(settings, aws)?,
            files: F::wire(settings, aws)?,
            bounds: settings.bounds()?,
            mix_batch: settings.mix_batch()?,
            voter_identity_claim: settings
                .get(Setting::VoterIdentityClaim)
                .unwrap_or(crate::services::DEFAULT_VOTER_IDENTITY_CLAIM)
                .to_owned(),
            tokens: settings.tokens()?,
        })
    }
}
