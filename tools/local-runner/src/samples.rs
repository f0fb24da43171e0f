//! The rows the sample events in `events/` refer to: an election open now, with the sample
//! voter (`voter-0001`) on its roll, a candidate in it (whose account is `candidate-ada`) and
//! one pledge. `seed-samples` loads them with the
//! ids the files carry, so `scripts/invoke.sh <function> events/<function>.json` finds them;
//! tests load them under fresh ids and fill those into the files' text.

use crate::jwt::{groups_of, LocalIssuers, NATIONAL_ID_CLAIM};
use aws_smithy_types::base64;
use chrono::{TimeDelta, Utc};
use election_core::domain::candidate::{Candidate, CandidateStatus};
use election_core::domain::election::{Election, Verifiable, VotingWindow};
use election_core::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use election_core::domain::pledge::Pledge;
use election_core::domain::roll::{District, EntrySource, IdentityKey, ImportState, Roll, RollEntry, RollId};
use election_core::domain::text::{AccountId, LongText, Name};
use election_core::domain::vote::{coarse, Ballot, Mark};
use election_core::ports::{BallotSealer, CandidateStore, ElectionStore, PledgeStore, RollStore, VoterKeys};
use election_core::problem::PortError;

/// The ids a set of sample rows has.
#[derive(Clone, Debug)]
pub struct SampleIds {
    pub election: String,
    pub candidate: String,
    pub pledge: String,
    /// The receipt of the ballot in the stream and queue samples.
    pub receipt: String,
    /// The roll upload of the import sample.
    pub roll: String,
    /// The verifiable election of the ceremony samples (its ceremony not started).
    pub verifiable: String,
}

impl SampleIds {
    /// The ids written in the files of `events/`.
    pub fn as_in_files() -> Self {
        Self {
            election: "6f1c1d52-4a63-4c1e-9d9c-9a3f4c1b2a10".into(),
            candidate: "0b8f3f6e-8a43-4c55-9a6e-3f1f8b2d9c11".into(),
            pledge: "3e7b2f90-6c1d-4e8a-9b5f-2d4c6a8e0f13".into(),
            receipt: "9d2a5c1e-3b4f-4d6a-8e7f-1a2b3c4d5e6f".into(),
            roll: "4b7d9e21-5c3a-4f8e-b6d2-7a1c9e3f5b80".into(),
            verifiable: "9a2e4c71-3b5d-4f6a-8c1e-2d7f9b3a5c20".into(),
        }
    }

    pub fn fresh() -> Self {
        let new = || uuid::Uuid::new_v4().to_string();
        Self {
            election: new(),
            candidate: new(),
            pledge: new(),
            receipt: new(),
            roll: new(),
            verifiable: new(),
        }
    }

    /// A sample event's text with the files' ids replaced by these.
    pub fn fill_in(&self, sample: &str) -> String {
        let files = Self::as_in_files();
        [
            (files.election, &self.election),
            (files.candidate, &self.candidate),
            (files.pledge, &self.pledge),
            (files.receipt, &self.receipt),
            (files.roll, &self.roll),
            (files.verifiable, &self.verifiable),
        ]
        .iter()
        .fold(sample.to_owned(), |text, (from, to)| text.replace(from.as_str(), to))
    }
}

fn parsed<T, E: std::fmt::Display>(parse: impl FnOnce(&str) -> Result<T, E>, text: &str) -> Result<T, PortError> {
    parse(text).map_err(|e| PortError::Internal(format!("sample id {text}: {e}")))
}

/// The identity key of the voter in the sample events.
pub const SAMPLE_VOTER: &str = "voter-0001";

/// The file of the sample roll upload: two voters and a row that is refused.
pub const SAMPLE_ROLL_FILE: &[u8] =
    b"identityKey,district\nvoter-0001,Capital\nvoter-0002,Harbour\nnot a key,Harbour\n";

/// Stores the sample rows under `ids`; rows already there are left as they are.
pub async fn seed(
    store: &(impl ElectionStore + CandidateStore + PledgeStore + RollStore),
    keys: &impl VoterKeys,
    ids: &SampleIds,
) -> Result<(), PortError> {
    let now = Utc::now();
    let name = |text: &str| parsed(Name::parse, text);
    let account = |text: &str| parsed(AccountId::parse, text);
    let election = Election {
        id: parsed(ElectionId::parse, &ids.election)?,
        name: name("Presidential election (sample)")?,
        window: VotingWindow::new(now - TimeDelta::hours(1), now + TimeDelta::hours(12))
            .map_err(|e| PortError::Internal(e.to_string()))?,
        registered_at: now,
        registered_by: account("commission-officer-1")?,
        roll: RollId::initial(),
        verifiable: None,
    };
    let voter = RollEntry {
        election_id: election.id.clone(),
        roll: RollId::initial(),
        voter: keys.voter_id(&parsed(IdentityKey::parse, SAMPLE_VOTER)?).await?,
        district: parsed(District::parse, "Capital")?,
        source: EntrySource::Correction,
    };
    let candidate = Candidate {
        id: parsed(CandidateId::parse, &ids.candidate)?,
        election_id: election.id.clone(),
        ballot_number: 1.try_into().map_err(|_| PortError::Internal("ballot number".into()))?,
        party: name("Blue Horizon")?,
        name: name("Ada Lovelace")?,
        user_id: account("candidate-ada")?,
        status: CandidateStatus::Registered,
        registered_at: now,
        registered_by: account("commission-officer-1")?,
        pledge_count: 0,
    };
    let pledge = Pledge {
        id: parsed(PledgeId::parse, &ids.pledge)?,
        candidate_id: candidate.id.clone(),
        election_id: election.id.clone(),
        theme: name("Health")?,
        title: name("More nurses")?,
        description: parsed(LongText::parse, "Ten thousand more nurses.")?,
        added_at: now,
    };
    let already_there = |outcome: Result<(), PortError>| match outcome {
        Err(PortError::Conflict) => Ok(()),
        other => other,
    };
    already_there(store.insert_election(&election).await)?;
    already_there(store.add_entry(&voter).await)?;
    let upload = Roll::new(
        election.id.clone(),
        parsed(RollId::parse, &ids.roll)?,
        ImportState::AwaitingUpload,
        account("commission-officer-1")?,
        now,
    );
    already_there(store.insert_roll(&upload).await)?;
    already_there(store.insert_candidate(&candidate).await)?;
    already_there(store.insert_pledge(&pledge).await)?;
    // The verifiable election: opening in an hour, three trustees, two candidates.
    let trustees = ["trustee-1", "trustee-2", "trustee-3"]
        .iter()
        .map(|t| account(t))
        .collect::<Result<Vec<_>, _>>()?;
    let verifiable = Election {
        id: parsed(ElectionId::parse, &ids.verifiable)?,
        name: name("Verifiable election (sample)")?,
        window: VotingWindow::new(now + TimeDelta::hours(1), now + TimeDelta::hours(13))
            .map_err(|e| PortError::Internal(e.to_string()))?,
        verifiable: Some(Verifiable::new(trustees, 2).map_err(|e| PortError::Internal(e.into()))?),
        ..election
    };
    already_there(store.insert_election(&verifiable).await)?;
    for (number, who) in [(1, "Ada Lovelace"), (2, "Grace Hopper")] {
        let standing = Candidate {
            id: CandidateId::new(),
            election_id: verifiable.id.clone(),
            ballot_number: number
                .try_into()
                .map_err(|_| PortError::Internal("ballot number".into()))?,
            name: name(who)?,
            ..candidate.clone()
        };
        already_there(store.insert_candidate(&standing).await)?;
    }
    Ok(())
}

/// The mixer's sample event with its copy of the ballot sealed by `sealer` under these ids:
/// the file's copy is sealed by the unit tests' sealer, which no KMS key opens.
pub async fn with_mix_copy_sealed(
    sample: &str,
    sealer: &impl BallotSealer,
    ids: &SampleIds,
) -> Result<String, crate::BoxError> {
    let mut event: serde_json::Value = serde_json::from_str(&ids.fill_in(sample))?;
    let ballot = Ballot {
        election_id: ElectionId::parse(&ids.election)?,
        mark: Mark::For(CandidateId::parse(&ids.candidate)?),
        receipt_id: ReceiptId::parse(&ids.receipt)?,
        cast_in_hour: coarse(Utc::now()),
    };
    let sealed = sealer.seal_ballot(&ballot).await?.sealed;
    for record in event["Records"].as_array_mut().into_iter().flatten() {
        let image = &mut record["dynamodb"]["NewImage"];
        image["mixKey"] = serde_json::json!({ "S": base64::encode(&sealed.sealed_key) });
        image["mixBallot"] = serde_json::json!({ "S": base64::encode(&sealed.ciphertext) });
    }
    Ok(event.to_string())
}

/// Puts the sample roll file where the import sample's upload expects it (in the local S3).
pub async fn upload_roll_file(
    clients: &crate::clients::Clients,
    template: &crate::template::Template,
    ids: &SampleIds,
) -> Result<(), crate::BoxError> {
    let bucket = template
        .names
        .get("ROLL_FILES_BUCKET")
        .ok_or("no function of the template is given ROLL_FILES_BUCKET")?;
    let (election, roll) = (ElectionId::parse(&ids.election)?, RollId::parse(&ids.roll)?);
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(adapters::s3::object_key(&election, &roll))
        .body(SAMPLE_ROLL_FILE.to_vec().into())
        .send()
        .await
        .map_err(crate::clients::describe)?;
    Ok(())
}

/// A sample HTTP event with a bearer token in its `authorization` header, signed by the
/// local issuers for the caller its claims name: a voter (the `national_id` claim) by the
/// national stand-in, anyone else by the user pool's. The files carry a placeholder, since a
/// token expires and the functions check it. An event without claims is left as it is.
pub fn signed(sample: &str, issuers: &LocalIssuers) -> Result<String, crate::BoxError> {
    let mut event: serde_json::Value = serde_json::from_str(sample)?;
    let claims = &event["requestContext"]["authorizer"]["jwt"]["claims"];
    if !claims.is_object() {
        return Ok(sample.to_owned());
    }
    let day = std::time::Duration::from_secs(86_400);
    let claim = |name: &str| claims[name].as_str().unwrap_or_default().to_owned();
    let token = match claims.get(NATIONAL_ID_CLAIM).and_then(|c| c.as_str()) {
        Some(identity) => issuers.voter(identity, day),
        None => issuers.official(&claim("sub"), &groups_of(&claim("cognito:groups")), day),
    };
    event["headers"]["authorization"] = serde_json::json!(format!("Bearer {token}"));
    Ok(event.to_string())
}
