//! A verifiable election's tally and its decryption by the trustees. Once voting has ended
//! (the close plus the bound on a vote still in flight) and the mixer has written every
//! ballot (as many as voters voted), the encrypted tally is frozen, once, by the ballot box's
//! part workers ([`freeze`]): the sum of the board's cast ballots, each checked as `verify`
//! checks it. Each trustee recomputes it from the published ballots with
//! its `trustee` tool, and posts its partial decryption with proofs; the server checks them
//! (V21, V22) before it keeps one. With `threshold` of them, anyone reading the tally gets the
//! counts, solved from the combined decryption, and the whole election record is published
//! (spec 10) for `verify`.

use super::board::whole_board;
use super::freeze;
use super::key_ceremony::{load, rebuild, refusal};
use super::{authorize, identity};
use crate::auth::{Caller, Role};
use crate::bounds::Bounds;
use crate::clock::Clock;
use crate::domain::ceremony::{Ceremony, Message, Step};
use crate::domain::certification::DecryptedTally;
use crate::domain::election::{Election, Verifiable};
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::ports::{BallotBox, Board, CeremonyStore, ElectionStore, EventBus, MixPool, RecordFiles, ViewStore};
use crate::problem::{AppError, Code, PortError};
use crate::projection::turnout;
use election_crypto::decryption::{combine, counts, Decryption, PartialDecryption};
use election_crypto::dlog::BabyGiant;
use election_crypto::hash::Digest;
use election_crypto::manifest::Manifest;
use election_crypto::record::{CastChunk, Index, ResultEntry, TallyFile};
use election_crypto::tally::{EncryptedTally, TallyEntry};
use serde::Serialize;
use std::collections::HashSet;

pub const DECRYPT_MAY: &[Role] = &[Role::Trustee];

/// The frozen tally as anyone may read it, with the decryption so far.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TallyView {
    pub election_id: ElectionId,
    pub cast_count: u64,
    /// `D`: the digest of the cast ballots' list, as the record's chunks give it.
    pub cast_digest: Digest,
    pub encrypted_tally: Vec<TallyEntry>,
    /// The trustees whose partial decryption is in, each checked.
    pub decrypted_by: Vec<u32>,
    pub threshold: u32,
    /// Once `threshold` trustees have decrypted: each candidate's count, in ballot order.
    pub result: Option<Vec<ResultEntry>>,
}

fn not_yet(detail: &str) -> AppError {
    AppError::conflict(Code::NotCertifiable, detail)
}

fn of<'a>(messages: &'a [Message], verifiable: &'a Verifiable, step: Step) -> impl Iterator<Item = &'a Message> {
    messages
        .iter()
        .filter(move |m| m.step == step && m.attempt == verifiable.attempt)
}

fn parsed<T: serde::de::DeserializeOwned>(message: &Message) -> Result<T, PortError> {
    serde_json::from_str(&message.body)
        .map_err(|e| PortError::Internal(format!("a stored {} does not read: {e}", message.step.as_str())))
}

/// The election, its ceremony, the tally if it is frozen, and the ceremony's messages.
async fn kept(
    store: &(impl ElectionStore + CeremonyStore),
    election_id: &ElectionId,
) -> Result<(Election, Verifiable, Ceremony, Option<EncryptedTally>, Vec<Message>), AppError> {
    let (election, verifiable, messages) = load(store, election_id).await?;
    let ceremony = rebuild(&verifiable, &messages)?;
    if ceremony.election_file().is_none() {
        return Err(not_yet("the key ceremony is not complete: there is nothing to tally"));
    }
    let tally = of(&messages, &verifiable, Step::Tally).next().map(parsed).transpose()?;
    Ok((election, verifiable, ceremony, tally, messages))
}

/// The election's tally if it is frozen; else, once voting has ended, its freeze started (the
/// mixer drained) or reported, if under way ([`freeze`]).
async fn frozen(
    store: &(impl ElectionStore + CeremonyStore + BallotBox + MixPool + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    bounds: &Bounds,
    election_id: &ElectionId,
) -> Result<(Election, Verifiable, Ceremony, EncryptedTally, Vec<Message>), AppError> {
    let (election, verifiable, ceremony, tally, messages) = kept(store, election_id).await?;
    if let Some(tally) = tally {
        return Ok((election, verifiable, ceremony, tally, messages));
    }
    if clock.now() < bounds.certifiable_from(&election) {
        return Err(not_yet(
            "voting has not ended: the tally freezes once no vote can commit",
        ));
    }
    Err(freeze::start_or_report(store, bus, clock, bounds, election_id, store.parts()).await)
}

/// The checked partial decryptions kept, by trustee.
fn decryption(messages: &[Message], verifiable: &Verifiable) -> Result<Decryption, AppError> {
    let mut partials: Vec<PartialDecryption> = of(messages, verifiable, Step::PartialDecryption)
        .map(parsed)
        .collect::<Result<_, _>>()?;
    partials.sort_by_key(|p| p.trustee);
    Ok(Decryption {
        present: partials.iter().map(|p| p.trustee).collect(),
        partials,
    })
}

/// Each candidate's count, once `threshold` partial decryptions are in.
fn solve(ceremony: &Ceremony, tally: &EncryptedTally, decryption: &Decryption) -> Result<Option<Vec<u64>>, AppError> {
    let (n, t) = (ceremony.parameters.trustees, ceremony.parameters.threshold);
    if decryption.present.len() < t as usize {
        return Ok(None);
    }
    combine(tally, decryption, n, t)
        .and_then(|combined| counts(&combined, &BabyGiant::new(tally.cast_count)))
        .map(Some)
        .map_err(|e| {
            tracing::error!(error = %e, "checked partial decryptions do not combine");
            AppError::Internal
        })
}

fn manifest(ceremony: &Ceremony) -> Result<&Manifest, AppError> {
    ceremony.manifest.as_ref().ok_or(AppError::Internal)
}

/// Each candidate's count, by the manifest's order.
fn named(ceremony: &Ceremony, counts: Vec<u64>) -> Result<Vec<ResultEntry>, AppError> {
    Ok(manifest(ceremony)?
        .candidates
        .iter()
        .zip(counts)
        .map(|(c, count)| ResultEntry {
            candidate: c.id.clone(),
            count,
        })
        .collect())
}

fn view(
    election: &Election,
    ceremony: &Ceremony,
    tally: EncryptedTally,
    decryption: &Decryption,
) -> Result<TallyView, AppError> {
    let result = solve(ceremony, &tally, decryption)?
        .map(|counts| named(ceremony, counts))
        .transpose()?;
    Ok(TallyView {
        election_id: election.id.clone(),
        cast_count: tally.cast_count,
        cast_digest: tally.cast_digest,
        encrypted_tally: tally.entries,
        decrypted_by: decryption.present.clone(),
        threshold: ceremony.parameters.threshold,
        result,
    })
}

/// Publishes the record (spec 10) with the decryption of the first `threshold` trustees:
/// the freeze wrote its ballot files, so this writes `tally.json`, which names as late every
/// ballot that the board holds besides the frozen ones (the late-ballot net: never counted,
/// listed apart). The board is read only if more voters voted than the tally holds.
async fn publish(
    store: &(impl BallotBox + Board + CeremonyStore + ViewStore),
    files: &impl RecordFiles,
    election_id: &ElectionId,
    ceremony: &Ceremony,
    tally: &EncryptedTally,
    decryption: Decryption,
) -> Result<(), AppError> {
    let counts = solve(ceremony, tally, &decryption)?.ok_or(AppError::Internal)?;
    let index: Index = read_file(files, election_id, "index.json")
        .await?
        .ok_or_else(|| PortError::Internal("the frozen tally's index.json is missing".into()))?;
    if index.cast.digest != tally.cast_digest {
        tracing::error!(election_id = %election_id, "the record's ballots are not the frozen tally's: the record is not published");
        return Err(AppError::Internal);
    }
    let voted = turnout::voted(&store.turnout_rows(election_id).await?);
    let late = if voted > tally.cast_count {
        late_on_board(store, files, election_id, &index).await?
    } else {
        Vec::new()
    };
    // Kept once, for the certification to leave out of its recount: a resent last decryption
    // publishes the same list.
    let late: Vec<Digest> = match store
        .post_ceremony_message(election_id, &ceremony.late_ballots(&late))
        .await?
    {
        Some(earlier) => parsed(&earlier)?,
        None => late,
    };
    if !late.is_empty() {
        tracing::warn!(election_id = %election_id, late = late.len(), "ballots reached the box after the tally froze: listed as late, not counted");
    }
    let tally_file = TallyFile::new(tally, decryption, manifest(ceremony)?, &counts).with_late(late);
    let bytes = election_crypto::record::json(&tally_file).map_err(|e| PortError::Internal(e.to_string()))?;
    files.put_record_file(election_id, "tally.json", bytes).await?;
    tracing::info!(election_id = %election_id, "election record published");
    Ok(())
}

async fn read_file<T: serde::de::DeserializeOwned>(
    files: &impl RecordFiles,
    election_id: &ElectionId,
    name: &str,
) -> Result<Option<T>, PortError> {
    let Some(bytes) = files.record_file(election_id, name).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| PortError::Internal(format!("the record's {name} does not read: {e}")))
}

/// The board's ballots that the frozen chunks do not hold: read whole, so only when more
/// voters voted than the tally holds (a vote committed after the freeze).
async fn late_on_board(
    store: &(impl BallotBox + Board),
    files: &impl RecordFiles,
    election_id: &ElectionId,
    index: &Index,
) -> Result<Vec<Digest>, AppError> {
    let (boarded, _) = whole_board(store, election_id).await?;
    let mut counted = HashSet::new();
    for chunk in &index.cast.chunks {
        let cast: CastChunk = read_file(files, election_id, &chunk.file)
            .await?
            .ok_or_else(|| PortError::Internal(format!("the record's {} is missing", chunk.file)))?;
        counted.extend(cast.ballots.iter().map(|b| b.tracking_code));
    }
    Ok(boarded
        .iter()
        .map(|b| b.tracking_code)
        .filter(|code| !counted.contains(code))
        .collect())
}

/// The late ballots' codes, as kept when the record was published; `None` before. (Kept once,
/// after the ceremony's last attempt: no attempt to tell apart.)
fn kept_late(messages: &[Message]) -> Result<Option<Vec<Digest>>, PortError> {
    messages
        .iter()
        .find(|m| m.step == Step::LateBallots)
        .map(parsed)
        .transpose()
}

/// The tracking codes the published record lists as late (none before it is published).
pub async fn late_ballots(store: &impl CeremonyStore, election_id: &ElectionId) -> Result<Vec<Digest>, AppError> {
    Ok(kept_late(&store.ceremony_messages(election_id).await?)?.unwrap_or_default())
}

/// A verifiable election's tally, frozen and decrypted by `threshold` trustees, which its
/// certification needs; refused until then.
pub async fn decrypted_tally(
    store: &(impl ElectionStore + CeremonyStore),
    election_id: &ElectionId,
) -> Result<DecryptedTally, AppError> {
    let (_, verifiable, messages) = load(store, election_id).await?;
    let ceremony = rebuild(&verifiable, &messages)?;
    let tally: EncryptedTally = of(&messages, &verifiable, Step::Tally)
        .next()
        .map(parsed)
        .transpose()?
        .ok_or_else(|| {
            not_yet("the tally is not frozen yet: it freezes at the first read of GET …/tally after the close")
        })?;
    let decryption = decryption(&messages, &verifiable)?;
    let Some(counts) = solve(&ceremony, &tally, &decryption)? else {
        return Err(not_yet(&format!(
            "{} of the {} trustees needed have decrypted the tally",
            decryption.present.len(),
            ceremony.parameters.threshold
        )));
    };
    let late = kept_late(&messages)?
        .ok_or_else(|| not_yet("the election record is being published: try again in a minute"))?;
    let counts = named(&ceremony, counts)?
        .into_iter()
        .map(|r| {
            Ok((
                CandidateId::parse(&r.candidate).map_err(|_| AppError::Internal)?,
                r.count,
            ))
        })
        .collect::<Result<_, AppError>>()?;
    Ok(DecryptedTally {
        entries: tally.entries,
        cast_count: tally.cast_count,
        counts,
        late: late.iter().map(|code| ReceiptId::of_tracking_code(&code.0)).collect(),
    })
}

/// `GET /elections/{id}/tally`: public. The first read after voting has ended starts the
/// freeze; once frozen, the record's ballots are published for the trustees' tools.
pub async fn tally_view(
    store: &(impl ElectionStore + CeremonyStore + BallotBox + MixPool + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    bounds: &Bounds,
    election_id: ElectionId,
) -> Result<TallyView, AppError> {
    let (election, verifiable, ceremony, tally, messages) = frozen(store, bus, clock, bounds, &election_id).await?;
    view(&election, &ceremony, tally, &decryption(&messages, &verifiable)?)
}

/// `PUT /elections/{id}/decryption` (a trustee of the election): its partial decryption of
/// the frozen tally, checked before it is kept; the same one again is answered as kept.
pub async fn post_decryption(
    store: &(impl ElectionStore + CeremonyStore + BallotBox + Board + ViewStore),
    files: &impl RecordFiles,
    caller: &Caller,
    election_id: ElectionId,
    body: serde_json::Value,
) -> Result<TallyView, AppError> {
    authorize(caller, DECRYPT_MAY)?;
    let account = identity(caller)?;
    let (election, verifiable, ceremony, tally, _) = kept(store, &election_id).await?;
    let tally = tally
        .ok_or_else(|| not_yet("the tally is not frozen yet: it freezes once GET …/tally is read after the close"))?;
    let index = verifiable
        .index_of(&account)
        .ok_or(AppError::Forbidden("you are not a trustee of this election"))?;
    let message = ceremony.accept_partial(&tally, index, body).map_err(refusal)?;
    if let Some(earlier) = store.post_ceremony_message(&election_id, &message).await? {
        if earlier.body != message.body {
            return Err(AppError::conflict(
                Code::Conflict,
                "you have posted another partial decryption already",
            ));
        }
    }
    tracing::info!(election_id = %election_id, trustee = index, "partial decryption kept");
    let messages = store.ceremony_messages(&election_id).await?;
    let decryption = decryption(&messages, &verifiable)?;
    // The post that brings the threshold publishes the record (again, if the trustee resends
    // it after a failure); later ones change nothing in it.
    if decryption.present.len() == ceremony.parameters.threshold as usize {
        publish(store, files, &election_id, &ceremony, &tally, decryption.clone()).await?;
    }
    view(&election, &ceremony, tally, &decryption)
}
