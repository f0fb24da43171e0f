//! A verifiable election's key ceremony through the API: the commission freezes the manifest
//! (start), each trustee posts its messages step by step, the server checks every proof it can
//! before it stores one, and the election may open only once the ceremony is complete, before
//! its start. Everything here is public but the envelopes, which go to their recipients only.

use super::{authorize, identity};
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::ceremony::{Ceremony, CommitmentHash, Judged, Message, Phase, Refusal, Step};
use crate::domain::election::{Election, ElectionStatus, Verifiable};
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::text::AccountId;
use crate::domain::vote::BallotChecks;
use crate::ports::{CandidateStore, CeremonyStore, ElectionStore};
use crate::problem::{AppError, Code, PortError};
use election_crypto::ballot::Verifier;
use election_crypto::ceremony::{Commitments, Envelope, TranscriptSignature, TrusteePublic};
use election_crypto::group::Point;
use election_crypto::hash::Digest;
use election_crypto::manifest::{Candidate, Manifest, Parameters};
use election_crypto::record::{ElectionFile, FORMAT};
use serde::Serialize;

pub const START_MAY: &[Role] = &[Role::Commission];
pub const POST_MAY: &[Role] = &[Role::Trustee];

/// The ceremony as anyone may see it: the published messages and what follows from them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CeremonyView {
    pub election_id: ElectionId,
    pub phase: Phase,
    /// The ceremony's run: 0, then one more at each restart.
    pub attempt: u32,
    pub trustees: u32,
    pub threshold: u32,
    pub manifest: Option<Manifest>,
    /// Once started, the `trustee` tool's input (`election.json` before the ceremony):
    /// `curl …/ceremony | jq .setup > election.json`.
    pub setup: Option<Setup>,
    /// Each trustee's keys with the fingerprint to check out of band.
    pub keys: Vec<TrusteePublic>,
    pub commitment_hashes: Vec<CommitmentHash>,
    pub commitments: Vec<Commitments>,
    /// The trustees whose envelopes are in (the envelopes go to their recipients only).
    pub shares_posted: Vec<u32>,
    pub complaints: Vec<Judged>,
    pub transcript_signatures: Vec<TranscriptSignature>,
    pub base_hash: Option<Digest>,
    pub joint_key: Option<Point>,
    pub extended_base_hash: Option<Digest>,
    pub transcript_hash: Option<Digest>,
    /// The election record's `election.json`, once the ceremony is complete.
    pub election: Option<ElectionFile>,
}

/// The members of `election.json` (spec 9.1) that exist before the ceremony.
#[derive(Debug, Serialize)]
pub struct Setup {
    pub format: &'static str,
    pub manifest: Manifest,
    pub parameters: Parameters,
}

impl CeremonyView {
    fn new(election_id: &ElectionId, c: &Ceremony) -> Self {
        let joint = c.joint();
        Self {
            election_id: election_id.clone(),
            phase: c.phase(),
            attempt: c.attempt,
            trustees: c.parameters.trustees,
            threshold: c.parameters.threshold,
            manifest: c.manifest.clone(),
            setup: c.manifest.clone().map(|manifest| Setup {
                format: FORMAT,
                manifest,
                parameters: c.parameters.clone(),
            }),
            keys: c.keys.values().cloned().collect(),
            commitment_hashes: c.hashes.values().cloned().collect(),
            commitments: c.commitments.values().cloned().collect(),
            shares_posted: c.shares.keys().copied().collect(),
            complaints: c.complaints.clone(),
            transcript_signatures: c.signatures.values().cloned().collect(),
            base_hash: c.base_hash(),
            joint_key: joint.map(|(k, _, _)| k),
            extended_base_hash: joint.map(|(_, qbar, _)| qbar),
            transcript_hash: joint.map(|(_, _, t)| t),
            election: c.election_file(),
        }
    }
}

pub(super) fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::OutOfStep(detail) => AppError::conflict(Code::CeremonyOutOfStep, detail),
        Refusal::Invalid(detail) => AppError::bad_request(Code::InvalidCeremonyMessage, detail),
    }
}

/// The election, its trustees, and its ceremony's messages so far.
pub(super) async fn load(
    store: &(impl ElectionStore + CeremonyStore),
    election_id: &ElectionId,
) -> Result<(Election, Verifiable, Vec<Message>), AppError> {
    let election = store
        .election(election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let verifiable = election.verifiable.clone().ok_or(AppError::NotFound(
        "this election is not verifiable: it has no key ceremony",
    ))?;
    let messages = store.ceremony_messages(election_id).await?;
    Ok((election, verifiable, messages))
}

pub(super) fn rebuild(verifiable: &Verifiable, messages: &[Message]) -> Result<Ceremony, PortError> {
    let (n, t) = (verifiable.trustees.len() as u32, verifiable.threshold);
    Ceremony::rebuild(n, t, verifiable.attempt, messages)
        .map_err(|e| PortError::Internal(format!("a stored ceremony message does not read: {e}")))
}

/// Messages are taken only while the election waits for its ceremony, before its start.
fn ceremony_open(election: &Election, clock: &impl Clock) -> Result<(), AppError> {
    if election.status_at(clock.now()) == ElectionStatus::KeyCeremony {
        Ok(())
    } else {
        Err(AppError::conflict(
            Code::CeremonyOutOfStep,
            "the key ceremony is over: it is complete, or voting was to start",
        ))
    }
}

/// `POST /elections/{id}/ceremony` (commission): freezes the manifest, the standing candidates
/// in ballot-number order. From then on a candidate keeps their slot.
pub async fn start_ceremony(
    store: &(impl ElectionStore + CandidateStore + CeremonyStore),
    clock: &impl Clock,
    caller: &Caller,
    election_id: ElectionId,
) -> Result<CeremonyView, AppError> {
    authorize(caller, START_MAY)?;
    let (election, verifiable, messages) = load(store, &election_id).await?;
    ceremony_open(&election, clock)?;
    let ceremony = rebuild(&verifiable, &messages)?;
    let candidates = store
        .candidates_in(&election_id)
        .await?
        .into_iter()
        .filter(|c| c.status == CandidateStatus::Registered)
        .map(|c| Candidate {
            id: c.id.to_string(),
            name: c.name.as_str().to_owned(),
        })
        .collect();
    let manifest = Manifest {
        election_id: election_id.to_string(),
        candidates,
    };
    let message = ceremony.freeze(manifest).map_err(refusal)?;
    if store.post_ceremony_message(&election_id, &message).await?.is_some() {
        return Err(refusal(Refusal::OutOfStep("the ceremony has started already".into())));
    }
    tracing::info!(election_id = %election_id, "key ceremony started: manifest frozen");
    let messages = store.ceremony_messages(&election_id).await?;
    Ok(CeremonyView::new(&election_id, &rebuild(&verifiable, &messages)?))
}

/// `POST /elections/{id}/ceremony/restart` (commission): after a complaint that is not void,
/// the ceremony starts again from the keys (spec 5.1, step 5), with `replacement` in the place
/// of the trustee the complaint shows at fault. The stopped run's messages stay in the table.
pub async fn restart_ceremony(
    store: &(impl ElectionStore + CeremonyStore),
    clock: &impl Clock,
    caller: &Caller,
    election_id: ElectionId,
    replacement: AccountId,
) -> Result<CeremonyView, AppError> {
    authorize(caller, START_MAY)?;
    let (election, verifiable, messages) = load(store, &election_id).await?;
    ceremony_open(&election, clock)?;
    let stopped = rebuild(&verifiable, &messages)?;
    let at_fault = match stopped.complaints.first() {
        Some(judged) if stopped.phase() == Phase::Stopped => judged.at_fault,
        _ => {
            return Err(refusal(Refusal::OutOfStep(
                "only a ceremony stopped by a complaint restarts".into(),
            )))
        }
    };
    if verifiable.index_of(&replacement).is_some() {
        return Err(AppError::bad_request(
            Code::InvalidTrustees,
            "the replacement is a trustee of this election already",
        ));
    }
    let mut trustees = verifiable.trustees.clone();
    trustees[(at_fault - 1) as usize] = replacement;
    match store
        .restart_ceremony(&election_id, verifiable.attempt, &trustees)
        .await
    {
        Err(PortError::Conflict) => {
            return Err(refusal(Refusal::OutOfStep("the ceremony was restarted already".into())))
        }
        other => other?,
    }
    tracing::info!(election_id = %election_id, trustee = at_fault, attempt = verifiable.attempt + 1, "key ceremony restarted");
    let restarted = Verifiable {
        trustees,
        attempt: verifiable.attempt + 1,
        ..verifiable
    };
    Ok(CeremonyView::new(&election_id, &rebuild(&restarted, &messages)?))
}

/// `PUT /elections/{id}/ceremony/{step}` (a trustee of the election): checks and stores the
/// caller's message for that step. The same message again is answered as stored; another
/// one is refused (each is written once).
pub async fn post_message(
    store: &(impl ElectionStore + CeremonyStore),
    clock: &impl Clock,
    caller: &Caller,
    election_id: ElectionId,
    step: &str,
    body: serde_json::Value,
) -> Result<CeremonyView, AppError> {
    authorize(caller, POST_MAY)?;
    let step = Step::parse(step)
        .filter(|s| Step::POSTED.contains(s))
        .ok_or(AppError::NotFound("no ceremony step has this name"))?;
    let account = identity(caller)?;
    let (election, verifiable, messages) = load(store, &election_id).await?;
    let index = verifiable
        .index_of(&account)
        .ok_or(AppError::Forbidden("you are not a trustee of this election"))?;
    let earlier = messages
        .iter()
        .find(|m| m.step == step && m.trustee == index && m.attempt == verifiable.attempt);
    if let Some(earlier) = earlier {
        let same = serde_json::from_str::<serde_json::Value>(&earlier.body).is_ok_and(|v| v == body);
        if !same {
            return Err(AppError::conflict(
                Code::Conflict,
                format!("you have posted another {} message already", step.as_str()),
            ));
        }
    } else {
        ceremony_open(&election, clock)?;
        let message = rebuild(&verifiable, &messages)?
            .accept(step, index, body)
            .map_err(refusal)?;
        if store.post_ceremony_message(&election_id, &message).await?.is_some() {
            return Err(AppError::conflict(
                Code::Conflict,
                format!("you have posted another {} message already", step.as_str()),
            ));
        }
        tracing::info!(election_id = %election_id, trustee = index, step = step.as_str(), "ceremony message stored");
    }
    // Read again after the write: of two last messages written at once, the later one's
    // read sees both, so that one of them completes the ceremony.
    let messages = store.ceremony_messages(&election_id).await?;
    let now = rebuild(&verifiable, &messages)?;
    if now.phase() == Phase::Complete && verifiable.ceremony_completed_at.is_none() {
        store.complete_ceremony(&election_id, clock.now()).await?;
        tracing::info!(election_id = %election_id, "key ceremony complete");
    }
    Ok(CeremonyView::new(&election_id, &now))
}

/// `GET /elections/{id}/ceremony`: public.
pub async fn ceremony_view(
    store: &(impl ElectionStore + CeremonyStore),
    election_id: ElectionId,
) -> Result<CeremonyView, AppError> {
    let (_, verifiable, messages) = load(store, &election_id).await?;
    Ok(CeremonyView::new(&election_id, &rebuild(&verifiable, &messages)?))
}

/// `GET /elections/{id}/ceremony/envelopes` (a trustee of the election): the shares sealed
/// to the caller.
pub async fn envelopes_for(
    store: &(impl ElectionStore + CeremonyStore),
    caller: &Caller,
    election_id: ElectionId,
) -> Result<Vec<Envelope>, AppError> {
    authorize(caller, POST_MAY)?;
    let account = identity(caller)?;
    let (_, verifiable, messages) = load(store, &election_id).await?;
    let index = verifiable
        .index_of(&account)
        .ok_or(AppError::Forbidden("you are not a trustee of this election"))?;
    Ok(rebuild(&verifiable, &messages)?.envelopes_for(index))
}

/// What checks a verifiable election's ballots: its joint key and extended base hash, and its
/// manifest's candidates, once its ceremony is complete (`None` before, or for an election in
/// the default mode).
pub async fn ballot_checks(store: &impl CeremonyStore, election: &Election) -> Result<Option<BallotChecks>, PortError> {
    let Some(verifiable) = election
        .verifiable
        .as_ref()
        .filter(|v| v.ceremony_completed_at.is_some())
    else {
        return Ok(None);
    };
    let messages = store.ceremony_messages(&election.id).await?;
    let Some(file) = rebuild(verifiable, &messages)?.election_file() else {
        return Ok(None);
    };
    let slots = file
        .manifest
        .candidates
        .iter()
        .map(|c| CandidateId::parse(&c.id))
        .collect::<Result<_, _>>()
        .map_err(|_| PortError::Internal("a manifest's candidate id does not read".into()))?;
    Ok(Some(BallotChecks {
        verifier: Verifier::new(&file.context()),
        slots,
    }))
}

/// Whether an election's manifest is frozen: its candidates are fixed.
pub async fn manifest_frozen(store: &impl CeremonyStore, election: &Election) -> Result<bool, AppError> {
    if election.verifiable.is_none() {
        return Ok(false);
    }
    let messages = store.ceremony_messages(&election.id).await?;
    Ok(messages.iter().any(|m| m.step == Step::Manifest))
}
