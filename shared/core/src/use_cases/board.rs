//! A verifiable election's public board: every cast ballot's tracking code and ciphertexts, in
//! ballot-box order (the mixer's shuffled batches, part by part), then every challenged
//! ballot with its reveal. No voter, no time: only what `verify` needs. Anyone may page
//! through it, look a tracking code up, or challenge a ballot (the Benaloh challenge: the
//! device reveals what it encrypted, the ballot can never be cast, and the voter starts
//! again).

use super::cast_vote::{claim_ballot, window_refusal, Claimant};
use super::tally::late_ballots;
use crate::clock::Clock;
use crate::domain::election::Election;
use crate::domain::ids::{ElectionId, ReceiptId};
use crate::domain::vote::{check_window, Ballot, EncryptedBallot, Mark};
use crate::ports::{BallotBox, BallotClaims, Board, CeremonyStore, ElectionStore, VoteLookups, VoterKeys};
use crate::problem::{AppError, Code, PortError};
use election_crypto::ballot::{check_reveal, SpoiledBallot};
use election_crypto::hash::Digest;
use serde::Serialize;

/// One page of the board: cast ballots (from one part of the box), or challenged ones.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardPage {
    pub election_id: ElectionId,
    pub cast: Vec<EncryptedBallot>,
    pub challenged: Vec<SpoiledBallot>,
    /// The next page's cursor; `None` on the last.
    pub next: Option<String>,
}

/// A tracking code looked up on the board.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum Boarded {
    /// In the ballot box: it counts.
    #[serde(rename = "cast")]
    Cast { ballot: EncryptedBallot },
    /// Challenged and revealed: it never counts.
    #[serde(rename = "challenged")]
    Challenged(SpoiledBallot),
    /// In the ballot box, but it reached it after the tally froze: the published record lists
    /// it as late, and it is not counted.
    #[serde(rename = "late")]
    Late { ballot: EncryptedBallot },
}

/// Where a page starts: a part of the box (after a receipt), or the challenged ballots
/// (part = the box's parts).
struct Cursor {
    part: u32,
    after: Option<String>,
}

impl Cursor {
    /// Opaque to the reader: hex of `<part>.<receipt>`.
    fn encode(&self) -> String {
        hex_encode(format!("{}.{}", self.part, self.after.as_deref().unwrap_or("")).as_bytes())
    }

    fn decode(text: &str, parts: u32) -> Result<Self, AppError> {
        let refused = || AppError::bad_request(Code::InvalidId, "the cursor is not one this board gave");
        let bytes = hex_decode(text).ok_or_else(refused)?;
        let text = String::from_utf8(bytes).map_err(|_| refused())?;
        let (part, after) = text.split_once('.').ok_or_else(refused)?;
        let part: u32 = part.parse().map_err(|_| refused())?;
        if part > parts || (!after.is_empty() && ReceiptId::parse(after).is_err()) {
            return Err(refused());
        }
        Ok(Cursor {
            part,
            after: (!after.is_empty()).then(|| after.to_owned()),
        })
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 200 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A box ballot's encrypted ballot (a verifiable election's box holds no other).
pub(super) fn encrypted(ballot: Ballot) -> Option<EncryptedBallot> {
    match ballot.mark {
        Mark::Encrypted(ballot) => Some(*ballot),
        Mark::For(_) => None,
    }
}

async fn verifiable(store: &impl ElectionStore, election_id: &ElectionId) -> Result<Election, AppError> {
    store
        .election(election_id)
        .await?
        .filter(|e| e.verifiable.is_some())
        .ok_or(AppError::NotFound("no verifiable election has this id"))
}

/// `GET /elections/{id}/board`: public, a page at a time.
pub async fn board_page(
    store: &(impl ElectionStore + BallotBox + Board),
    election_id: ElectionId,
    cursor: Option<&str>,
) -> Result<BoardPage, AppError> {
    verifiable(store, &election_id).await?;
    let parts = store.parts();
    let cursor = match cursor {
        Some(text) => Cursor::decode(text, parts)?,
        None => Cursor { part: 0, after: None },
    };
    let mut page = BoardPage {
        election_id: election_id.clone(),
        cast: Vec::new(),
        challenged: Vec::new(),
        next: None,
    };
    let next = if cursor.part < parts {
        let read = store.ballots(&election_id, cursor.part, cursor.after).await?;
        page.cast = read.ballots.into_iter().filter_map(encrypted).collect();
        match read.next {
            Some(after) => Cursor {
                part: cursor.part,
                after: Some(after),
            },
            None => Cursor {
                part: cursor.part + 1,
                after: None,
            },
        }
    } else {
        let (challenged, next) = store.challenged(&election_id, cursor.after).await?;
        page.challenged = challenged;
        match next {
            Some(after) => Cursor {
                part: parts,
                after: Some(after),
            },
            None => return Ok(page),
        }
    };
    page.next = Some(next.encode());
    Ok(page)
}

/// The whole board, as its pages list it: the cast ballots, then the challenged ones.
pub async fn whole_board(
    store: &(impl BallotBox + Board),
    election_id: &ElectionId,
) -> Result<(Vec<EncryptedBallot>, Vec<SpoiledBallot>), PortError> {
    let mut cast = Vec::new();
    for part in 0..store.parts() {
        let mut after = None;
        loop {
            let page = store.ballots(election_id, part, after).await?;
            cast.extend(page.ballots.into_iter().filter_map(encrypted));
            after = page.next;
            if after.is_none() {
                break;
            }
        }
    }
    Ok((cast, challenged_ballots(store, election_id).await?))
}

/// Every challenged ballot of the election, with its reveal.
pub(super) async fn challenged_ballots(
    store: &impl Board,
    election_id: &ElectionId,
) -> Result<Vec<SpoiledBallot>, PortError> {
    let mut challenged = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = store.challenged(election_id, after).await?;
        challenged.extend(page);
        after = next;
        if after.is_none() {
            return Ok(challenged);
        }
    }
}

/// `GET /elections/{id}/board/{trackingCode}`: public.
pub async fn look_up(
    store: &(impl ElectionStore + Board + CeremonyStore),
    clock: &impl Clock,
    election_id: ElectionId,
    code: &str,
) -> Result<Boarded, AppError> {
    let election = verifiable(store, &election_id).await?;
    let code: Digest = serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|_| AppError::bad_request(Code::InvalidId, "a tracking code is 128 lowercase hex digits"))?;
    let receipt = ReceiptId::of_tracking_code(&code.0);
    // The receipt is the code's first half: the whole code must match.
    match store.boarded(&election_id, &receipt).await? {
        Some(Boarded::Cast { ballot }) if ballot.tracking_code == code => {
            // Only a closed election's ballot can be late: the lookups at the peak, while
            // voting, never read the ceremony.
            let closed = election.window.ends_at() <= clock.now();
            if closed && late_ballots(store, &election_id).await?.contains(&code) {
                Ok(Boarded::Late { ballot })
            } else {
                Ok(Boarded::Cast { ballot })
            }
        }
        Some(Boarded::Challenged(spoiled)) if spoiled.ballot.tracking_code == code => Ok(Boarded::Challenged(spoiled)),
        _ => Err(AppError::NotFound(
            "no ballot on this board has this tracking code (yet: the mixer writes ballots in batches)",
        )),
    }
}

/// `POST /elections/{id}/challenges`: public, with no identity (never linked to a
/// participation). While voting is open, a ballot with its reveal: every proof and the
/// reveal checked, the ballot claimed so that it can never be cast, and put on the board.
pub async fn challenge(
    store: &(impl VoteLookups + BallotClaims + Board),
    keys: &impl VoterKeys,
    clock: &impl Clock,
    election_id: ElectionId,
    spoiled: SpoiledBallot,
) -> Result<Boarded, AppError> {
    let election = store
        .recent_election(&election_id)
        .await?
        .filter(|e| e.verifiable.is_some())
        .ok_or(AppError::NotFound("no verifiable election has this id"))?;
    check_window(&election, clock.now()).map_err(window_refusal)?;
    let checks = store.ballot_checks(&election).await?.ok_or(AppError::Internal)?;
    let verifier = &checks.verifier;
    let invalid = |e: election_crypto::Error| AppError::bad_request(Code::InvalidBallot, e.to_string());
    verifier.verify(&spoiled.ballot).map_err(invalid)?;
    check_reveal(verifier.context(), &spoiled.ballot, &spoiled.reveal).map_err(invalid)?;
    claim_ballot(store, keys, &election_id, Claimant::Challenge, &spoiled.ballot).await?;
    let receipt = ReceiptId::of_tracking_code(&spoiled.ballot.tracking_code.0);
    store.put_challenged(&election_id, &receipt, &spoiled).await?;
    tracing::info!(election_id = %election_id, "a ballot challenged");
    Ok(Boarded::Challenged(spoiled))
}
