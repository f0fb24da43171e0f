//! Operator commands: invoked directly (`aws lambda invoke`, or the local runner's
//! subcommand of the same name), never routed, so IAM alone decides who may run them.

use crate::config::Setting;
use crate::functions::OperationFunction;
use crate::services::Services;
use adapters::dynamodb::Table;
use election_core::clock::Clock;
use election_core::domain::ids::ElectionId;
use election_core::ports::{BallotSealer, ChoiceSealer, EventBus, RecordFiles, RollFiles, Store, VoterKeys};
use election_core::use_cases::recount::{recount, Recount};
use serde::Deserialize;

impl OperationFunction {
    /// What the command's function reads from its environment; it runs with the store alone.
    pub fn settings(self) -> &'static [Setting] {
        match self {
            OperationFunction::Recount => &[Setting::Table(Table::BallotBox), Setting::Table(Table::Dashboard)],
        }
    }
}

/// `{"electionId": "…", "repair": false}`
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecountRequest {
    pub election_id: String,
    #[serde(default)]
    pub repair: bool,
}

/// Why an operator command did not run; Lambda reports it as the invocation's error.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("{0}")]
    Failed(String),
}

impl<S: Store, B: EventBus, C: Clock, K: ChoiceSealer + VoterKeys + BallotSealer, F: RollFiles + RecordFiles>
    Services<S, B, C, K, F>
{
    /// Recounts an election from its ballot box (and with `repair`, replays it into the view).
    pub async fn recount(&self, request: serde_json::Value) -> Result<Recount, OperationError> {
        let request: RecountRequest =
            serde_json::from_value(request).map_err(|err| OperationError::BadRequest(err.to_string()))?;
        let election = ElectionId::parse(&request.election_id)
            .map_err(|_| OperationError::BadRequest(format!("not an election id: {}", request.election_id)))?;
        recount(&self.store, &self.clock, &election, request.repair)
            .await
            .map_err(|err| OperationError::Failed(err.to_string()))
    }
}
