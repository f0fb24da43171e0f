//! Pledges a candidate makes: a theme, a title and a description.

use super::ids::{CandidateId, ElectionId, PledgeId};
use super::text::{LongText, Name};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pledge {
    pub id: PledgeId,
    pub candidate_id: CandidateId,
    pub election_id: ElectionId,
    pub theme: Name,
    pub title: Name,
    pub description: LongText,
    pub added_at: DateTime<Utc>,
}
