//! The public ballot's reads: eventually consistent (see [`PublicReads`]).

use super::DynamoStore;
use election_core::domain::election::Election;
use election_core::domain::ids::{CandidateId, ElectionId};
use election_core::domain::pledge::Pledge;
use election_core::ports::PublicReads;
use election_core::problem::PortError;

impl PublicReads for DynamoStore {
    #[tracing::instrument(skip(self))]
    async fn public_election(&self, id: &ElectionId) -> Result<Option<Election>, PortError> {
        self.read_election(id, false).await
    }

    #[tracing::instrument(skip(self))]
    async fn public_pledges(&self, candidate_id: &CandidateId) -> Result<Vec<Pledge>, PortError> {
        self.read_pledges(candidate_id, false).await
    }
}
