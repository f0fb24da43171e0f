//! Every file in `events/` is loaded and fed to its function's handler, the way
//! `sam local invoke -e events/<function>.json` would.

use adapters::memory::{InMemoryFiles, InMemoryStore, RecordingBus, TestSealer};
use chrono::{DateTime, Utc};
use election_core::auth::{Caller, Role};
use election_core::clock::FixedClock;
use election_core::domain::candidate::{Candidate, CandidateStatus};
use election_core::domain::election::{Election, Verifiable, VotingWindow};
use election_core::domain::ids::PledgeId;
use election_core::domain::ids::{CandidateId, ElectionId};
use election_core::domain::pledge::Pledge;
use election_core::domain::roll::{District, EntrySource, IdentityKey, ImportState, Roll, RollEntry, RollId};
use election_core::domain::text::LongText;
use election_core::domain::text::{AccountId, Name};
use election_core::ports::{CandidateStore, ElectionStore, PledgeStore, RollStore, VoterKeys};
use election_core::use_cases::certify_results::read_job;
use election_core::use_cases::get_results::get_results;
use handlers::functions::{Function, HttpFunction, QueueFunction, StreamFunction};
use handlers::services::Services;
use local_runner::jwt::Issuer;
use std::path::PathBuf;

mod support;

const ELECTION: &str = "6f1c1d52-4a63-4c1e-9d9c-9a3f4c1b2a10";
const CANDIDATE: &str = "0b8f3f6e-8a43-4c55-9a6e-3f1f8b2d9c11";
const PLEDGE: &str = "3e7b2f90-6c1d-4e8a-9b5f-2d4c6a8e0f13";
/// The verifiable election the ceremony samples refer to: opening after the sample time, with
/// three trustees and two candidates, its ceremony not started.
const VERIFIABLE: &str = "9a2e4c71-3b5d-4f6a-8c1e-2d7f9b3a5c20";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// The roll upload the import sample refers to.
const ROLL: &str = "4b7d9e21-5c3a-4f8e-b6d2-7a1c9e3f5b80";

/// When the sample events of the roll are sent: before voting opens.
const BEFORE_OPENING: &str = "2027-02-01T09:00:00Z";

/// The election, candidate and pledge the sample events refer to, open at the sample time,
/// with the sample voters on its roll (`voter-0001` and `voter-0003`) and a roll upload
/// waiting for its file. The clock reads `now`.
async fn services(now: &str) -> Services<InMemoryStore, RecordingBus, FixedClock, TestSealer, InMemoryFiles> {
    let store = InMemoryStore::default();
    let election_id = ElectionId::parse(ELECTION).unwrap();
    let files = InMemoryFiles::default();
    store
        .insert_election(&Election {
            id: election_id.clone(),
            name: Name::parse("Presidential election 2027").unwrap(),
            window: VotingWindow::new(at("2027-03-01T08:00:00Z"), at("2027-03-01T20:00:00Z")).unwrap(),
            registered_at: at("2027-01-01T00:00:00Z"),
            registered_by: AccountId::parse("commission-officer").unwrap(),
            roll: RollId::initial(),
            verifiable: None,
        })
        .await
        .unwrap();
    for voter in ["voter-0001", "voter-0003"] {
        let entry = RollEntry {
            election_id: election_id.clone(),
            roll: RollId::initial(),
            voter: TestSealer.voter_id(&IdentityKey::parse(voter).unwrap()).await.unwrap(),
            district: District::parse("Capital").unwrap(),
            source: EntrySource::Correction,
        };
        store.add_entry(&entry).await.unwrap();
    }
    let upload = RollId::parse(ROLL).unwrap();
    let awaiting = Roll::new(
        election_id.clone(),
        upload.clone(),
        ImportState::AwaitingUpload,
        AccountId::parse("commission-officer").unwrap(),
        at(BEFORE_OPENING),
    );
    store.insert_roll(&awaiting).await.unwrap();
    files.upload(
        &election_id,
        &upload,
        b"identityKey,district\nvoter-0001,Capital\nvoter-0002,Harbour\nnot a key,Harbour\n",
    );
    store
        .insert_candidate(&Candidate {
            id: CandidateId::parse(CANDIDATE).unwrap(),
            election_id,
            ballot_number: 1.try_into().unwrap(),
            party: Name::parse("Blue Horizon").unwrap(),
            name: Name::parse("Ada Lovelace").unwrap(),
            user_id: AccountId::parse("candidate-ada").unwrap(),
            status: CandidateStatus::Registered,
            registered_at: at("2027-01-02T00:00:00Z"),
            registered_by: AccountId::parse("commission-officer").unwrap(),
            pledge_count: 0,
        })
        .await
        .unwrap();
    store
        .insert_pledge(&Pledge {
            id: PledgeId::parse(PLEDGE).unwrap(),
            candidate_id: CandidateId::parse(CANDIDATE).unwrap(),
            election_id: ElectionId::parse(ELECTION).unwrap(),
            theme: Name::parse("Health").unwrap(),
            title: Name::parse("More nurses").unwrap(),
            description: LongText::parse("Ten thousand more nurses.").unwrap(),
            added_at: at("2027-01-03T00:00:00Z"),
        })
        .await
        .unwrap();
    let verifiable = Election {
        id: ElectionId::parse(VERIFIABLE).unwrap(),
        name: Name::parse("Verifiable election 2027").unwrap(),
        window: VotingWindow::new(at("2027-04-01T08:00:00Z"), at("2027-04-01T20:00:00Z")).unwrap(),
        registered_at: at("2027-01-01T00:00:00Z"),
        registered_by: AccountId::parse("commission-officer").unwrap(),
        roll: RollId::initial(),
        verifiable: Some(
            Verifiable::new(
                ["trustee-1", "trustee-2", "trustee-3"]
                    .map(|t| AccountId::parse(t).unwrap())
                    .to_vec(),
                2,
            )
            .unwrap(),
        ),
    };
    store.insert_election(&verifiable).await.unwrap();
    for (n, name) in [(1, "Ada Lovelace"), (2, "Grace Hopper")] {
        let candidate = Candidate {
            id: CandidateId::new(),
            election_id: verifiable.id.clone(),
            ballot_number: n.try_into().unwrap(),
            party: Name::parse("Party").unwrap(),
            name: Name::parse(name).unwrap(),
            user_id: AccountId::parse(&format!("candidate-{n}")).unwrap(),
            status: CandidateStatus::Registered,
            registered_at: at("2027-01-02T00:00:00Z"),
            registered_by: AccountId::parse("commission-officer").unwrap(),
            pledge_count: 0,
        };
        store.insert_candidate(&candidate).await.unwrap();
    }
    Services {
        store,
        bus: RecordingBus::default(),
        clock: FixedClock(at(now)),
        sealer: TestSealer,
        files,
        bounds: election_core::bounds::Bounds::DEFAULT,
        mix_batch: 1,
        // The sample voter events carry a national issuer's token: the key is `national_id`.
        voter_identity_claim: "national_id".to_owned(),
        tokens: handlers::http::tokens::Tokens {
            officials: Some(support::trusted(Issuer::Officials)),
            voters: Some(support::trusted(Issuer::National)),
        },
    }
}

fn event_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"))
        .join("../../events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("events/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The function a sample event belongs to: its file stem up to the first dot.
fn function_of(path: &std::path::Path) -> Function {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    let name = stem.split('.').next().unwrap();
    Function::from_name(name).unwrap_or_else(|| panic!("{} names no function", path.display()))
}

#[tokio::test]
async fn every_sample_event_runs_through_its_handler() {
    let files = event_files();
    for function in Function::all() {
        assert!(
            files.iter().any(|f| function_of(f) == function),
            "no sample event for {}",
            function.name()
        );
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let text = local_runner::samples::signed(&text, &support::issuers()).unwrap();
        let function = function_of(&path);
        let roll_functions = [
            Function::Http(HttpFunction::StartRollImport),
            Function::Http(HttpFunction::CorrectRoll),
            Function::Queue(QueueFunction::ImportRoll),
        ];
        let now = match roll_functions.contains(&function) {
            true => BEFORE_OPENING,
            false => "2027-03-01T09:00:00Z",
        };
        let services = services(now).await;
        let election_id = ElectionId::parse(ELECTION).unwrap();
        match function {
            Function::Http(HttpFunction::CertifyResults) => {
                // At the sample time voting is open: certifying is refused, and says why.
                let request = lambda_http::request::from_str(&text).unwrap();
                let response = services.http(HttpFunction::CertifyResults, request).await;
                assert_eq!(response.status(), 409, "{}", path.display());
                let lambda_http::Body::Text(body) = response.body() else {
                    panic!("a problem body")
                };
                assert!(
                    body.contains("not-certifiable") && body.contains("has not ended"),
                    "{body}"
                );
            }
            Function::Http(f @ (HttpFunction::ChallengeBallot | HttpFunction::DecryptTally)) => {
                // The verifiable election's ceremony is not complete at the sample time: no
                // ballot is challenged, no tally frozen, and the reply says why.
                let request = lambda_http::request::from_str(&text).unwrap();
                let response = services.http(f, request).await;
                assert_eq!(response.status(), 409, "{}", path.display());
                let lambda_http::Body::Text(body) = response.body() else {
                    panic!("a problem body")
                };
                let code = match f {
                    HttpFunction::ChallengeBallot => "voting-not-open",
                    _ => "not-certifiable",
                };
                assert!(body.contains(code), "{body}");
            }
            Function::Http(HttpFunction::GetCertification) => {
                // No certification has been requested at the sample time.
                let request = lambda_http::request::from_str(&text).unwrap();
                let response = services.http(HttpFunction::GetCertification, request).await;
                assert_eq!(response.status(), 404, "{}", path.display());
            }
            Function::Http(HttpFunction::GetTurnout) => {
                // Voting is open at the sample time: the commission sees turnout.
                let request = lambda_http::request::from_str(&text).unwrap();
                let response = services.http(HttpFunction::GetTurnout, request).await;
                assert_eq!(response.status(), 200, "{}", path.display());
                let lambda_http::Body::Text(body) = response.body() else {
                    panic!("a turnout body")
                };
                let turnout: serde_json::Value = serde_json::from_str(body).unwrap();
                assert_eq!(turnout["onRoll"], 2, "{turnout}");
            }
            Function::Http(f) => {
                let request = lambda_http::request::from_str(&text).unwrap();
                let response = services.http(f, request).await;
                assert!(
                    response.status().is_success(),
                    "{}: {:?}",
                    path.display(),
                    response.body()
                );
                if f == HttpFunction::KeyCeremony {
                    // The commission started the ceremony: the manifest holds both candidates.
                    let lambda_http::Body::Text(body) = response.body() else {
                        panic!("a ceremony body")
                    };
                    let view: serde_json::Value = serde_json::from_str(body).unwrap();
                    assert_eq!(view["phase"], "keys", "{view}");
                    assert_eq!(view["manifest"]["candidates"].as_array().unwrap().len(), 2);
                }
            }
            Function::Stream(f) => {
                let event = serde_json::from_str(&text).unwrap();
                let response = services.stream(f, event).await;
                assert!(response.batch_item_failures.is_empty(), "{}", path.display());
                match f {
                    StreamFunction::PublishEvents => {
                        let published = services.bus.published();
                        assert_eq!(published.len(), 1, "{}", path.display());
                        assert_eq!(published[0].kind(), "BallotCast");
                    }
                    StreamFunction::MixBallots => {
                        // The vote's copy (sealed by the test sealer) is in the box now, as
                        // a ballot for the candidate; its pool is empty (k is 1 here).
                        let ballots = services.store.snapshot().ballots;
                        let ballot = ballots.values().next().expect("a ballot in the box");
                        assert_eq!(ballots.len(), 1);
                        assert_eq!(ballot.mark.candidate().unwrap().to_string(), CANDIDATE);
                        assert!(services.store.snapshot().pools.values().all(|p| p.is_empty()));
                    }
                }
            }
            Function::Operation(f) => {
                let payload = serde_json::from_str(&text).unwrap();
                let reply = services.operation(f, payload).await.unwrap();
                assert_eq!(reply["matches"], true, "{}: {reply}", path.display());
            }
            Function::Queue(f) => {
                let event = serde_json::from_str(&text).unwrap();
                let response = services.queue(f, event).await;
                assert!(response.batch_item_failures.is_empty(), "{}", path.display());
                let candidate_id = CandidateId::parse(CANDIDATE).unwrap();
                match f {
                    QueueFunction::ProjectDashboard => {
                        let admin = Caller {
                            sub: "admin".into(),
                            roles: [Role::Admin].into(),
                        };
                        let results = get_results(&services.store, &services.clock, Some(&admin), &election_id).await;
                        assert_eq!(results.unwrap().total_votes, 1);
                    }
                    QueueFunction::CountPledges => {
                        let candidate = services.store.candidate(&candidate_id).await.unwrap().unwrap();
                        assert_eq!(candidate.pledge_count, 1);
                    }
                    QueueFunction::RemoveWithdrawnPledges => {
                        assert!(services.store.pledges(&candidate_id).await.unwrap().is_empty());
                    }
                    QueueFunction::ImportRoll => {
                        // The upload's two good rows are the roll now; the bad one is reported.
                        let roll = RollId::parse(ROLL).unwrap();
                        let imported = services.store.roll(&election_id, &roll).await.unwrap().unwrap();
                        assert_eq!(
                            (imported.state, imported.rows_done, imported.rows_refused),
                            (ImportState::Done, 2, 1)
                        );
                        assert_eq!(imported.refusals[0].line, 4);
                        assert_eq!(services.store.election(&election_id).await.unwrap().unwrap().roll, roll);
                        // Its file, with identity keys in the clear, is gone.
                        assert!(!services.files.holds(&election_id, &roll));
                    }
                    QueueFunction::RecountPart => {
                        // A part of an attempt nobody started is stale: dropped, nothing written.
                        let job = read_job(&services.store, &election_id).await.unwrap();
                        assert_eq!(job, None, "{}", path.display());
                    }
                }
            }
        }
    }
}
