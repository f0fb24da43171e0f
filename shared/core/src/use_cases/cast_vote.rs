//! Casts the caller's one vote in an election (voter), inside the voting window. In the
//! default mode the vote names a candidate who stands in that election; in a verifiable
//! election it is a ballot encrypted on the voter's device, checked here (every proof, the
//! election's hash) and never read. The vote is stored as a participation that holds what
//! the voter keeps only sealed (their choice, or their ballot's tracking code), and a copy
//! of the ballot sealed for the mixer, which writes the anonymous ballot to the box later,
//! among others ([`super::mix_ballots`]).

use super::authorize;
use super::views::VoteReceipt;
use crate::auth::{Caller, Role};
use crate::bounds::{delta, Bounds};
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::election::Election;
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::roll::IdentityKey;
use crate::domain::text::AccountId;
use crate::domain::vote::{
    check_window, coarse, to_the_minute, Ballot, BallotChecks, Choice, EncryptedBallot, Mark, Participation,
    SealedBallot, WindowRefusal,
};
use crate::ports::{BallotClaims, BallotSealer, ChoiceSealer, Claim, VoteLookups, VoteStore, VoteWrite, VoterKeys};
use crate::problem::{AppError, Code, PortError, RETRY_AFTER};
use chrono::{DateTime, Utc};

pub const MAY: &[Role] = &[Role::Voter];

/// The voter is the authenticated caller, never request data.
pub struct CastVote {
    pub election_id: ElectionId,
    pub mark: Mark,
    pub identity: IdentityKey,
}

impl CastVote {
    /// The caller's vote: the identity key in their token is the voter.
    pub fn by(caller: &Caller, election_id: ElectionId, mark: Mark) -> Result<Self, AppError> {
        authorize(caller, MAY)?;
        Ok(Self {
            election_id,
            mark,
            identity: super::identity_key(caller)?,
        })
    }
}

fn invalid_ballot(detail: impl Into<String>) -> AppError {
    AppError::bad_request(Code::InvalidBallot, detail)
}

/// Who holds a claimed ballot: a voter's own tag for the election (so that their resend
/// finds the claims theirs), or no one, for a ballot challenged and revealed.
pub enum Claimant<'a> {
    Voter(&'a AccountId),
    Challenge,
}

/// Claims the ballot's id and every ciphertext's `α` in its election, refused when another
/// ballot, cast or challenged, holds one of them, or when the ballot repeats an `α` itself.
pub async fn claim_ballot(
    store: &impl BallotClaims,
    keys: &impl VoterKeys,
    election_id: &ElectionId,
    claimant: Claimant<'_>,
    ballot: &EncryptedBallot,
) -> Result<(), AppError> {
    // Two ciphertexts with one `α` share a nonce: each would be a copy of the other's.
    let mut alphas = std::collections::HashSet::new();
    if !ballot.ciphertexts.iter().all(|c| alphas.insert(c.alpha.bytes())) {
        return Err(invalid_ballot(
            "this ballot repeats a ciphertext's α within itself (one nonce drawn twice): encrypt it afresh",
        ));
    }
    let election = election_id.to_string();
    let owner = match claimant {
        Claimant::Voter(voter) => {
            keys.claim_tag(&[b"owner", election.as_bytes(), voter.as_str().as_bytes()])
                .await?
        }
        Claimant::Challenge => "challenged".to_owned(),
    };
    let mut tags = vec![
        keys.claim_tag(&[b"ballot", election.as_bytes(), &ballot.ballot_id.0])
            .await?,
    ];
    for ciphertext in &ballot.ciphertexts {
        tags.push(
            keys.claim_tag(&[b"alpha", election.as_bytes(), ciphertext.alpha.bytes()])
                .await?,
        );
    }
    match store.claim(&tags, &owner).await? {
        Claim::Held => Ok(()),
        Claim::Taken => Err(invalid_ballot(
            "this ballot repeats the id or a ciphertext of a ballot already cast or challenged: encrypt it afresh",
        )),
    }
}

/// A candidate withdrawn after the manifest was frozen keeps their slot on the ballot, and
/// a ballot must prove that slot holds 0 (spec 7.4): the server cannot see the choice, only
/// the proof. Withdrawals as this instance knows them ([`crate::ports::LOOKUP_TTL`]).
async fn withdrawn_slots_proven_zero(
    store: &impl VoteLookups,
    checks: &BallotChecks,
    ballot: &EncryptedBallot,
) -> Result<(), AppError> {
    for (slot, candidate_id) in checks.slots.iter().enumerate() {
        let withdrawn = store
            .recent_candidate(candidate_id)
            .await?
            .is_some_and(|c| c.status == CandidateStatus::Withdrawn);
        if withdrawn && !ballot.proves_zero(slot) {
            return Err(invalid_ballot(format!(
                "the candidate at position {} has withdrawn: the ballot must prove that position holds 0; load the ballot again",
                slot + 1
            )));
        }
    }
    Ok(())
}

/// How many times a vote's write is sent while its outcome is unknown. Each send carries the
/// same idempotency token, so it either commits the vote, finds it committed, or fails on a
/// participation that is there: a resend tells more than a read, which cannot see a write
/// still in flight. A send that is known to have applied nothing (throttled, refused) is
/// not repeated: the voter is told at once that nothing was recorded, and to try again in
/// a few seconds, when the pressure may have passed.
const SENDS: usize = 3;

/// What a send of the vote must still hold when it starts.
struct SendRules<'a, S, C> {
    store: &'a S,
    clock: &'a C,
    election: &'a Election,
    /// The candidate a plaintext vote names; an encrypted ballot names none.
    candidate_id: Option<&'a CandidateId>,
    /// No send starts at or after this.
    latest_start: DateTime<Utc>,
}

impl<S: VoteLookups, C: Clock> SendRules<'_, S, C> {
    /// Whether a send may start now: inside the voting window and the send window, and with
    /// the candidate standing as this instance knows it (its lookup is at most
    /// [`crate::ports::LOOKUP_TTL`] old). So no send starts after the close, nor later than
    /// `LOOKUP_TTL` after a withdrawal.
    async fn check(&self) -> Result<(), AppError> {
        // The lookup first: on a cache miss it is a read that takes time, and the clock is
        // read after it, right before the send.
        if let Some(candidate_id) = self.candidate_id {
            let candidate = self
                .store
                .recent_candidate(candidate_id)
                .await?
                .filter(|c| c.election_id == self.election.id)
                .ok_or(AppError::NotFound("no candidate with this id stands in this election"))?;
            if candidate.status == CandidateStatus::Withdrawn {
                return Err(AppError::candidate_withdrawn());
            }
        }
        let now = self.clock.now();
        check_window(self.election, now).map_err(window_refusal)?;
        if now >= self.latest_start {
            return Err(AppError::Unavailable {
                retry_after: RETRY_AFTER,
            });
        }
        Ok(())
    }
}

pub(super) fn window_refusal(refusal: WindowRefusal) -> AppError {
    match refusal {
        WindowRefusal::NotOpen => AppError::conflict(Code::VotingNotOpen, "voting in this election has not opened yet"),
        WindowRefusal::Closed => AppError::conflict(Code::VotingClosed, "voting in this election has closed"),
    }
}

/// Stores the vote, and tells the truth about it. Each send starts only while `rules`
/// hold. A send whose outcome is unknown is sent again (up to [`SENDS`] times). A send
/// that finds the voter's entry voted says what it holds: ours (an earlier send) → stored;
/// another → voted before. One that finds no entry: not on the roll. If the outcome is
/// still unknown, the voter's participation is read back: ours → stored; none → not
/// stored, or, if a send may still commit, unconfirmed (the voter is pointed to My votes).
async fn store_vote<S: VoteLookups + VoteStore, C: Clock>(
    rules: &SendRules<'_, S, C>,
    participation: &Participation,
    mix_copy: &SealedBallot,
) -> Result<(), AppError> {
    let store = rules.store;
    let unconfirmed = AppError::VoteUnconfirmed {
        retry_after: RETRY_AFTER,
    };
    let mut maybe_written = false;
    let mut last = None;
    let voted = |earlier: Participation| {
        if earlier == *participation {
            tracing::warn!(election_id = %participation.election_id, "vote stored though its reply was lost");
            Ok(())
        } else {
            Err(AppError::AlreadyVoted {
                cast_at: Some(earlier.voted_at),
            })
        }
    };
    for _ in 0..SENDS {
        if let Err(refusal) = rules.check().await {
            if maybe_written {
                break;
            }
            return Err(refusal);
        }
        let outcome = store.insert_vote(participation, mix_copy).await;
        let unknown = matches!(outcome, Err(PortError::Unknown(_)));
        maybe_written |= unknown;
        last = Some(outcome);
        if !unknown {
            break;
        }
    }
    match last {
        Some(Ok(VoteWrite::Stored)) => return Ok(()),
        Some(Ok(VoteWrite::Voted(earlier))) => return voted(earlier),
        // No entry: had an earlier send applied, the entry would be there, voted.
        Some(Ok(VoteWrite::NotOnRoll)) => return Err(AppError::NotOnRoll),
        Some(Err(PortError::Unknown(_))) => {}
        // Known not applied, and no earlier send may have been.
        Some(Err(other)) if !maybe_written => return Err(other.into()),
        _ => {}
    }
    match store
        .participation(&participation.voter, &participation.election_id, &participation.roll)
        .await
    {
        Ok(Some(stored)) => voted(stored),
        // A send may commit yet (DynamoDB can apply a request that reaches it late).
        Ok(None) if maybe_written => Err(unconfirmed),
        Ok(None) => Err(AppError::AlreadyVoted { cast_at: None }),
        // Unread, the vote may be ours (a resend that found its own first send): a 409
        // would tell a voter whose vote counts that it did not.
        Err(_) => Err(unconfirmed),
    }
}

/// No send starts later than [`Bounds::send_window`] after the vote arrived, nor after the
/// close or a withdrawal seen.
pub async fn cast_vote(
    store: &(impl VoteLookups + VoteStore + BallotClaims),
    sealer: &(impl ChoiceSealer + VoterKeys + BallotSealer),
    clock: &impl Clock,
    bounds: &Bounds,
    command: CastVote,
) -> Result<VoteReceipt, AppError> {
    let CastVote {
        election_id,
        mark,
        identity,
    } = command;
    let arrived = clock.now();
    let election = store
        .recent_election(&election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    // A verifiable election's choice never reaches a server in the clear.
    match (&election.verifiable, &mark) {
        (Some(_), Mark::For(_)) => {
            return Err(invalid_ballot(
                "this election is verifiable: it takes only a ballot encrypted on the voter's device",
            ))
        }
        (None, Mark::Encrypted(_)) => {
            return Err(invalid_ballot(
                "this election takes a candidate id, not an encrypted ballot",
            ))
        }
        _ => {}
    }
    let candidate_id = mark.candidate().cloned();
    let rules = SendRules {
        store,
        clock,
        election: &election,
        candidate_id: candidate_id.as_ref(),
        latest_start: arrived + delta(bounds.send_window),
    };
    // Refused before anything is sealed: the window, the candidate, the ballot's proofs.
    rules.check().await?;
    if let Mark::Encrypted(ballot) = &mark {
        let checks = store
            .ballot_checks(&election)
            .await?
            .ok_or_else(|| window_refusal(WindowRefusal::NotOpen))?;
        checks
            .verifier
            .verify(ballot)
            .map_err(|e| invalid_ballot(e.to_string()))?;
        withdrawn_slots_proven_zero(store, &checks, ballot).await?;
    }
    let voter = sealer.voter_id(&identity).await?;
    let choice = match &mark {
        Mark::For(candidate_id) => Choice::For {
            candidate_id: candidate_id.clone(),
            receipt_id: ReceiptId::new(),
        },
        Mark::Encrypted(ballot) => {
            claim_ballot(store, sealer, &election_id, Claimant::Voter(&voter), ballot).await?;
            Choice::Tracked {
                tracking_code: ballot.tracking_code,
                receipt_id: ReceiptId::of_tracking_code(&ballot.tracking_code.0),
            }
        }
    };
    let now = clock.now();
    let receipt_id = choice.receipt_id().clone();
    let participation = Participation {
        sealed_choice: sealer.seal(&voter, &election_id, &choice).await?,
        election_id: election_id.clone(),
        voter,
        roll: election.roll.clone(),
        voted_at: to_the_minute(now),
    };
    let ballot = Ballot {
        election_id: election_id.clone(),
        receipt_id: receipt_id.clone(),
        cast_in_hour: coarse(now),
        mark,
    };
    let mix_copy = sealer.seal_ballot(&ballot).await?;
    store_vote(&rules, &participation, &mix_copy).await?;
    // The log names the election only: never the voter beside the choice or the receipt.
    tracing::info!(election_id = %election_id, "vote stored");
    Ok(VoteReceipt::of(&ballot, participation.voted_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::candidate::Candidate;
    use crate::domain::election::VotingWindow;
    use crate::domain::roll::RollId;
    use crate::domain::text::{AccountId, Name};
    use crate::domain::vote::Sealed;
    use chrono::TimeDelta;
    use std::sync::Mutex;

    /// What a send does: commit and answer, commit and lose the answer, apply nothing and
    /// lose the answer, or refuse (throttled).
    #[derive(Clone, Copy, PartialEq)]
    enum Outcome {
        Commits,
        CommitsReplyLost,
        Lost,
        Throttled,
    }

    /// A database that answers each send as scripted, and whose reads fail when told to.
    struct Scripted {
        election: Election,
        candidate: Candidate,
        sends: Mutex<Vec<Outcome>>,
        sent: Mutex<usize>,
        stored: Mutex<Option<Participation>>,
        reads_fail: bool,
    }

    impl VoteLookups for Scripted {
        async fn recent_election(&self, _: &ElectionId) -> Result<Option<Election>, PortError> {
            Ok(Some(self.election.clone()))
        }
        async fn recent_candidate(&self, _: &CandidateId) -> Result<Option<Candidate>, PortError> {
            Ok(Some(self.candidate.clone()))
        }
        async fn ballot_checks(&self, _: &Election) -> Result<Option<std::sync::Arc<BallotChecks>>, PortError> {
            Ok(None)
        }
    }

    impl BallotClaims for Scripted {
        async fn claim(&self, _: &[String], _: &str) -> Result<Claim, PortError> {
            Ok(Claim::Held)
        }
    }

    impl VoteStore for Scripted {
        async fn insert_vote(&self, participation: &Participation, _: &SealedBallot) -> Result<VoteWrite, PortError> {
            let mut sent = self.sent.lock().unwrap();
            let send = self
                .sends
                .lock()
                .unwrap()
                .get(*sent)
                .copied()
                .unwrap_or(Outcome::Commits);
            *sent += 1;
            let mut stored = self.stored.lock().unwrap();
            if let Some(earlier) = stored.as_ref() {
                return Ok(VoteWrite::Voted(earlier.clone()));
            }
            match send {
                Outcome::Commits => {
                    *stored = Some(participation.clone());
                    Ok(VoteWrite::Stored)
                }
                Outcome::CommitsReplyLost => {
                    *stored = Some(participation.clone());
                    Err(PortError::Unknown("reply lost".into()))
                }
                Outcome::Lost => Err(PortError::Unknown("timed out".into())),
                Outcome::Throttled => Err(PortError::Unavailable("ThrottlingException".into())),
            }
        }
        async fn participation(
            &self,
            _: &AccountId,
            _: &ElectionId,
            _: &RollId,
        ) -> Result<Option<Participation>, PortError> {
            if self.reads_fail {
                return Err(PortError::Unknown("read timed out".into()));
            }
            Ok(self.stored.lock().unwrap().clone())
        }
        async fn participations(&self, _: &AccountId) -> Result<Vec<Participation>, PortError> {
            Ok(Vec::new())
        }
        async fn forget_mix_copy(&self, _: &AccountId, _: &ElectionId, _: &RollId) -> Result<(), PortError> {
            Ok(())
        }
    }

    /// A clock that moves on by `step` each time it is read.
    struct Stepping {
        now: Mutex<DateTime<Utc>>,
        step: TimeDelta,
    }

    impl Clock for Stepping {
        fn now(&self) -> DateTime<Utc> {
            let mut now = self.now.lock().unwrap();
            let read = *now;
            *now = read + self.step;
            read
        }
    }

    struct Seal;

    impl ChoiceSealer for Seal {
        async fn seal(&self, _: &AccountId, _: &ElectionId, _: &Choice) -> Result<Sealed, PortError> {
            Ok(Sealed {
                sealed_key: vec![1],
                ciphertext: vec![2],
            })
        }
        async fn open(&self, _: &AccountId, _: &ElectionId, _: &Sealed) -> Result<Choice, PortError> {
            Err(PortError::Internal("not in this test".into()))
        }
    }

    impl BallotSealer for Seal {
        async fn seal_ballot(&self, ballot: &Ballot) -> Result<SealedBallot, PortError> {
            Ok(SealedBallot {
                election_id: ballot.election_id.clone(),
                sealed: Sealed {
                    sealed_key: vec![3],
                    ciphertext: vec![4],
                },
            })
        }
        async fn open_ballot(&self, _: &SealedBallot) -> Result<Ballot, PortError> {
            Err(PortError::Internal("not in this test".into()))
        }
    }

    impl VoterKeys for Seal {
        async fn voter_id(&self, identity: &IdentityKey) -> Result<AccountId, PortError> {
            Ok(AccountId::parse(&format!("hash-of-{}", String::from_utf8_lossy(identity.expose()))).unwrap())
        }
        async fn claim_tag(&self, parts: &[&[u8]]) -> Result<String, PortError> {
            Ok(parts.concat().len().to_string())
        }
    }

    const OPENS: &str = "2027-03-01T08:00:00Z";
    const CLOSES: &str = "2027-03-01T20:00:00Z";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn database(sends: &[Outcome], reads_fail: bool) -> Scripted {
        let election = Election {
            id: ElectionId::new(),
            name: Name::parse("Presidential election").unwrap(),
            window: VotingWindow::new(at(OPENS), at(CLOSES)).unwrap(),
            registered_at: at(OPENS) - TimeDelta::days(30),
            registered_by: AccountId::parse("officer").unwrap(),
            roll: RollId::initial(),
            verifiable: None,
        };
        let candidate = Candidate {
            id: CandidateId::new(),
            election_id: election.id.clone(),
            ballot_number: 1.try_into().unwrap(),
            party: Name::parse("Party").unwrap(),
            name: Name::parse("Ada Lovelace").unwrap(),
            user_id: AccountId::parse("ada").unwrap(),
            status: CandidateStatus::Registered,
            registered_at: at(OPENS) - TimeDelta::days(20),
            registered_by: AccountId::parse("officer").unwrap(),
            pledge_count: 0,
        };
        Scripted {
            election,
            candidate,
            sends: Mutex::new(sends.to_vec()),
            sent: Mutex::new(0),
            stored: Mutex::new(None),
            reads_fail,
        }
    }

    /// Casts one vote, the clock starting at `start` and moving `step` at each reading.
    async fn cast(db: &Scripted, start: DateTime<Utc>, step: TimeDelta) -> Result<VoteReceipt, AppError> {
        let clock = Stepping {
            now: Mutex::new(start),
            step,
        };
        let command = CastVote {
            election_id: db.election.id.clone(),
            mark: Mark::For(db.candidate.id.clone()),
            identity: IdentityKey::parse("voter-1").unwrap(),
        };
        cast_vote(db, &Seal, &clock, &Bounds::DEFAULT, command).await
    }

    fn sent(db: &Scripted) -> usize {
        *db.sent.lock().unwrap()
    }

    fn midday() -> DateTime<Utc> {
        at("2027-03-01T12:00:00Z")
    }

    #[tokio::test]
    async fn a_vote_whose_resend_finds_it_is_stored_without_a_read() {
        // Reads fail: the resend's failed condition says what the entry holds.
        let db = database(&[Outcome::CommitsReplyLost], true);
        let outcome = cast(&db, midday(), TimeDelta::zero()).await;
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_vote_whose_sends_are_all_lost_and_that_cannot_be_read_back_is_unconfirmed_not_refused() {
        let db = database(&[Outcome::Lost, Outcome::Lost, Outcome::Lost], true);
        let outcome = cast(&db, midday(), TimeDelta::zero()).await;
        assert!(matches!(outcome, Err(AppError::VoteUnconfirmed { .. })), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_reply_lost_after_the_commit_is_found_by_the_resend() {
        let db = database(&[Outcome::CommitsReplyLost], false);
        let outcome = cast(&db, midday(), TimeDelta::zero()).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(sent(&db), 2);
    }

    #[tokio::test]
    async fn a_voter_who_voted_before_is_told_when_without_a_second_read() {
        let db = database(&[], true);
        let earlier = cast(&db, midday(), TimeDelta::zero()).await.unwrap();
        let again = cast(&db, midday() + TimeDelta::minutes(5), TimeDelta::zero()).await;
        assert!(
            matches!(again, Err(AppError::AlreadyVoted { cast_at: Some(at) }) if at == earlier.cast_at),
            "{again:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_vote_is_not_resent_and_is_told_nothing_was_recorded() {
        let db = database(&[Outcome::Throttled], false);
        let outcome = cast(&db, midday(), TimeDelta::zero()).await;
        assert_eq!(sent(&db), 1);
        assert!(matches!(outcome, Err(AppError::Unavailable { .. })), "{outcome:?}");
        assert!(db.stored.lock().unwrap().is_none());
    }

    #[tokio::test]
    async fn no_send_starts_after_the_close() {
        // Each clock reading takes a second: the first send starts 1 s before the close.
        let db = database(&[Outcome::Lost, Outcome::Lost, Outcome::Lost], false);
        let outcome = cast(&db, at(CLOSES) - TimeDelta::seconds(4), TimeDelta::seconds(1)).await;
        // One send started before the close; none after it. Its outcome unknown, the
        // read finds nothing: the voter is not told "not recorded", nor "voted".
        assert_eq!(sent(&db), 1);
        assert!(matches!(outcome, Err(AppError::VoteUnconfirmed { .. })), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_vote_that_reaches_its_first_send_after_the_close_is_refused_unsent() {
        let db = database(&[], false);
        // Checked 2 s before the close, sealed 1 s before it: the send would start at it.
        let outcome = cast(&db, at(CLOSES) - TimeDelta::seconds(3), TimeDelta::seconds(1)).await;
        assert_eq!(sent(&db), 0);
        assert_eq!(outcome.unwrap_err().code(), Code::VotingClosed);
    }

    #[tokio::test]
    async fn no_send_starts_after_the_send_window() {
        let db = database(&[Outcome::Lost, Outcome::Lost, Outcome::Lost], false);
        let step = delta(Bounds::DEFAULT.send_window) / 4;
        let outcome = cast(&db, midday(), step).await;
        assert!(sent(&db) < SENDS, "{}", sent(&db));
        assert!(matches!(outcome, Err(AppError::VoteUnconfirmed { .. })), "{outcome:?}");
    }
}
