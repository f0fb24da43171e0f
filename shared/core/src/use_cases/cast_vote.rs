//! Casts the caller's one vote in an election (voter), inside the voting window, for a
//! candidate who stands in that election. The vote is stored as a participation that
//! holds the choice only sealed for the voter, and an anonymous ballot.

use super::authorize;
use super::views::VoteReceipt;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::text::AccountId;
use crate::domain::vote::{check_window, coarse, Ballot, Choice, Participation, WindowRefusal};
use crate::ports::{ChoiceSealer, VoteLookups, VoteStore};
use crate::problem::{AppError, Code, PortError};

pub const MAY: &[Role] = &[Role::Voter];

/// The voter is the authenticated caller, never request data.
pub struct CastVote {
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
    pub voter: AccountId,
}

impl CastVote {
    /// The caller's vote: their `sub` is the voter.
    pub fn by(caller: &Caller, election_id: ElectionId, candidate_id: CandidateId) -> Result<Self, AppError> {
        authorize(caller, MAY)?;
        let voter = super::identity(caller)?;
        Ok(Self {
            election_id,
            candidate_id,
            voter,
        })
    }
}

/// How many times a vote's write is sent while its outcome is unknown. Each send carries the
/// same idempotency token, so it either commits the vote, finds it committed, or fails on a
/// participation that is there: a resend tells more than a read, which cannot see a write
/// still in flight.
const SENDS: usize = 3;

/// Stores the vote, and tells the truth about it when the database does not answer in time:
/// the same write is sent again (up to [`SENDS`] times), and if the write found a
/// participation already there, or the outcome is still unknown, the voter's participation
/// is read back. Ours → stored; another → voted before; none → not stored.
async fn store_vote(store: &impl VoteStore, participation: &Participation, ballot: &Ballot) -> Result<(), AppError> {
    let mut outcome = store.insert_vote(participation, ballot).await;
    for _ in 1..SENDS {
        if !matches!(outcome, Err(PortError::Unavailable(_))) {
            break;
        }
        outcome = store.insert_vote(participation, ballot).await;
    }
    let unknown = match outcome {
        Ok(()) => return Ok(()),
        Err(PortError::Conflict) => None,
        Err(PortError::Unavailable(reason)) => Some(reason),
        Err(other) => return Err(other.into()),
    };
    match store
        .participation(&participation.voter, &participation.election_id)
        .await
    {
        Ok(Some(stored)) if stored == *participation => {
            tracing::warn!(election_id = %ballot.election_id, "vote stored though its reply was lost");
            Ok(())
        }
        Ok(Some(earlier)) => Err(AppError::AlreadyVoted {
            cast_at: Some(earlier.voted_at),
        }),
        Ok(None) => match unknown {
            Some(reason) => Err(PortError::Unavailable(reason).into()),
            None => Err(AppError::AlreadyVoted { cast_at: None }),
        },
        // Unread, the vote may be ours (a resend that found its own first send): a 409
        // would tell a voter whose vote counts that it did not.
        Err(read) => Err(read.into()),
    }
}

pub async fn cast_vote(
    store: &(impl VoteLookups + VoteStore),
    sealer: &impl ChoiceSealer,
    clock: &impl Clock,
    command: CastVote,
) -> Result<VoteReceipt, AppError> {
    let CastVote {
        election_id,
        candidate_id,
        voter,
    } = command;
    let election = store
        .recent_election(&election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let now = clock.now();
    check_window(&election, now).map_err(|refusal| match refusal {
        WindowRefusal::NotOpen => AppError::conflict(Code::VotingNotOpen, "voting in this election has not opened yet"),
        WindowRefusal::Closed => AppError::conflict(Code::VotingClosed, "voting in this election has closed"),
    })?;
    // A withdrawal stops new votes within LOOKUP_TTL: no vote checks the candidate's item.
    let candidate = store
        .recent_candidate(&candidate_id)
        .await?
        .filter(|c| c.election_id == election_id)
        .ok_or(AppError::NotFound("no candidate with this id stands in this election"))?;
    if candidate.status == CandidateStatus::Withdrawn {
        return Err(AppError::candidate_withdrawn());
    }

    let choice = Choice {
        candidate_id: candidate.id,
        receipt_id: ReceiptId::new(),
    };
    let ballot = Ballot {
        election_id: election_id.clone(),
        candidate_id: choice.candidate_id.clone(),
        receipt_id: choice.receipt_id.clone(),
        cast_in_hour: coarse(now),
    };
    let participation = Participation {
        sealed_choice: sealer.seal(&voter, &election_id, &choice).await?,
        election_id,
        voter,
        voted_at: now,
    };
    store_vote(store, &participation, &ballot).await?;
    // The log names the election only: never the voter beside the choice or the receipt.
    tracing::info!(election_id = %ballot.election_id, "vote stored");
    Ok(VoteReceipt {
        receipt_id: choice.receipt_id,
        election_id: ballot.election_id,
        candidate_id: choice.candidate_id,
        cast_at: participation.voted_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vote::SealedChoice;
    use std::sync::Mutex;

    /// A database whose first write commits but whose reply is lost, and whose reads fail.
    #[derive(Default)]
    struct LostReplyThenUnreadable {
        stored: Mutex<Option<Participation>>,
    }

    impl VoteStore for LostReplyThenUnreadable {
        async fn insert_vote(&self, participation: &Participation, _: &Ballot) -> Result<(), PortError> {
            let mut stored = self.stored.lock().unwrap();
            if stored.is_none() {
                *stored = Some(participation.clone());
                return Err(PortError::Unavailable("reply lost".into()));
            }
            Err(PortError::Conflict)
        }
        async fn participation(&self, _: &AccountId, _: &ElectionId) -> Result<Option<Participation>, PortError> {
            Err(PortError::Unavailable("read timed out".into()))
        }
        async fn participations(&self, _: &AccountId) -> Result<Vec<Participation>, PortError> {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn a_vote_whose_resend_finds_it_but_cannot_read_it_back_is_not_refused() {
        let now = chrono::Utc::now();
        let election_id = ElectionId::new();
        let participation = Participation {
            election_id: election_id.clone(),
            voter: AccountId::parse("voter-1").unwrap(),
            voted_at: now,
            sealed_choice: SealedChoice {
                sealed_key: vec![],
                ciphertext: vec![],
            },
        };
        let ballot = Ballot {
            election_id,
            candidate_id: CandidateId::new(),
            receipt_id: ReceiptId::new(),
            cast_in_hour: coarse(now),
        };
        let store = LostReplyThenUnreadable::default();

        let outcome = store_vote(&store, &participation, &ballot).await;

        // Stored, but unconfirmed: "try again" (which then finds it), never "already voted".
        assert!(store.stored.lock().unwrap().is_some());
        assert!(matches!(outcome, Err(AppError::Unavailable { .. })), "{outcome:?}");
    }
}
