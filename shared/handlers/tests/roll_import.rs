//! The roll's import and corrections on the in-memory adapters: rows longer than a chunk,
//! a byte-order mark, a file with no good row, an older upload that finishes last, and a
//! voter moved to another district in one request, and an import that resumes by itself
//! after a transient error.

use adapters::memory::{InMemoryFiles, InMemoryStore, TestSealer};
use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, TimeDelta, Utc};
use election_core::auth::{Caller, Role};
use election_core::bounds::Bounds;
use election_core::clock::FixedClock;
use election_core::domain::election::{Election, VotingWindow};
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::{IdentityKey, ImportState, Roll, RollId};
use election_core::domain::text::{AccountId, Name};
use election_core::ports::{ElectionStore, RecordFiles, RollFiles, RollStore};
use election_core::problem::PortError;
use election_core::use_cases::roll::{self, CorrectionOutcome, Corrections, ImportRun, CHUNK_BYTES};
use handlers::functions::QueueFunction;
use handlers::services::{Services, Unused};
use serde_json::json;
use std::time::Duration;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-02-01T09:00:00Z").unwrap().to_utc()
}

async fn election(store: &InMemoryStore) -> ElectionId {
    let election = Election {
        id: ElectionId::new(),
        name: Name::parse("Presidential election").unwrap(),
        window: VotingWindow::new(now() + TimeDelta::days(30), now() + TimeDelta::days(31)).unwrap(),
        registered_at: now(),
        registered_by: AccountId::parse("officer").unwrap(),
        roll: RollId::initial(),
        verifiable: None,
    };
    store.insert_election(&election).await.unwrap();
    election.id
}

/// A new roll of `election`, started at `started`, awaiting its file.
async fn new_roll(store: &InMemoryStore, election: &ElectionId, started: DateTime<Utc>) -> RollId {
    let id = RollId::new();
    let roll = Roll::new(
        election.clone(),
        id.clone(),
        ImportState::AwaitingUpload,
        AccountId::parse("officer").unwrap(),
        started,
    );
    store.insert_roll(&roll).await.unwrap();
    id
}

/// Uploads `file` as a roll that started at `started`, and imports it.
async fn import(
    store: &InMemoryStore,
    files: &InMemoryFiles,
    election: &ElectionId,
    file: &[u8],
    started: DateTime<Utc>,
) -> (RollId, ImportRun) {
    let id = new_roll(store, election, started).await;
    files.upload(election, &id, file);
    let run = roll::import_roll(
        store,
        files,
        &TestSealer,
        &FixedClock(now()),
        &Bounds::DEFAULT,
        election,
        &id,
    )
    .await
    .unwrap();
    (id, run)
}

async fn roll_of(store: &InMemoryStore, election: &ElectionId, id: &RollId) -> Roll {
    store.roll(election, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_row_longer_than_a_chunk_is_refused_and_its_rest_skipped_without_shifting_line_numbers() {
    let (store, files) = (InMemoryStore::default(), InMemoryFiles::default());
    let election = election(&store).await;
    // Line 2 is 2.5 chunks long and ends like a row; lines 1, 3 and 4 are good.
    let long = format!("{},North", "x".repeat(CHUNK_BYTES as usize * 5 / 2));
    let file = format!("\u{feff}identityKey,district\nNID-1,North\n{long}\nNID-2,South\nNID-3,South");
    let (id, run) = import(&store, &files, &election, file.as_bytes(), now()).await;
    assert_eq!(run, ImportRun::Ended(ImportState::Done));
    let roll = roll_of(&store, &election, &id).await;
    assert_eq!((roll.rows_done, roll.rows_refused), (3, 1), "{roll:?}");
    assert_eq!(roll.refusals[0].line, 3);
    assert!(roll.refusals[0].reason.contains("longer than"), "{roll:?}");
    assert_eq!(roll.next_line, 6);
    assert!(!files.holds(&election, &id), "the file is deleted once imported");
}

#[tokio::test]
async fn a_file_with_no_good_row_does_not_replace_the_roll() {
    let (store, files) = (InMemoryStore::default(), InMemoryFiles::default());
    let election = election(&store).await;
    let (first, _) = import(&store, &files, &election, b"NID-1,North\n", now()).await;
    let (empty, run) = import(
        &store,
        &files,
        &election,
        b"NID-1;North\n",
        now() + TimeDelta::minutes(1),
    )
    .await;
    assert_eq!(run, ImportRun::Ended(ImportState::Empty));
    assert_eq!(roll_of(&store, &election, &empty).await.rows_refused, 1);
    assert_eq!(store.election(&election).await.unwrap().unwrap().roll, first);
}

#[tokio::test]
async fn an_older_upload_that_finishes_last_does_not_replace_a_newer_one() {
    let (store, files) = (InMemoryStore::default(), InMemoryFiles::default());
    let election = election(&store).await;
    let (newer, _) = import(&store, &files, &election, b"NID-2,South\n", now()).await;
    let (older, run) = import(
        &store,
        &files,
        &election,
        b"NID-1,North\n",
        now() - TimeDelta::minutes(5),
    )
    .await;
    assert_eq!(run, ImportRun::Ended(ImportState::Superseded));
    assert_eq!(roll_of(&store, &election, &older).await.state, ImportState::Superseded);
    assert_eq!(store.election(&election).await.unwrap().unwrap().roll, newer);
}

#[tokio::test]
async fn a_voter_moved_to_another_district_in_one_request_stays_on_the_roll() {
    let store = InMemoryStore::default();
    let election = election(&store).await;
    let commission = Caller {
        sub: "officer".into(),
        roles: [Role::Commission].into(),
    };
    let correct = |corrections: Corrections| {
        let (store, commission, election) = (&store, &commission, &election);
        async move {
            roll::correct_roll(
                store,
                &TestSealer,
                &FixedClock(now()),
                &Bounds::DEFAULT,
                commission,
                election,
                corrections,
            )
            .await
            .unwrap()
        }
    };
    let add = |district: &str| roll::Addition {
        identity_key: IdentityKey::parse("NID-7").unwrap(),
        district: election_core::domain::roll::District::parse(district).unwrap(),
    };
    correct(Corrections {
        add: vec![add("North")],
        remove: vec![],
    })
    .await;
    let moved = correct(Corrections {
        add: vec![add("South")],
        remove: vec![IdentityKey::parse("NID-7").unwrap()],
    })
    .await;
    assert_eq!(
        (moved.removed[0], moved.added[0]),
        (CorrectionOutcome::Removed, CorrectionOutcome::Added)
    );
    let roll = roll_of(&store, &election, &RollId::initial()).await;
    let counts: Vec<(String, u64)> = roll
        .districts
        .iter()
        .map(|(d, n)| (d.as_str().to_owned(), *n))
        .collect();
    assert_eq!(counts, [("North".to_owned(), 0), ("South".to_owned(), 1)]);
}

/// Roll files whose second read fails once, as a throttled or timed-out call does.
#[derive(Default)]
struct FlakyFiles {
    files: InMemoryFiles,
    reads: std::sync::atomic::AtomicUsize,
}

impl RollFiles for FlakyFiles {
    async fn upload_url(&self, election: &ElectionId, roll: &RollId, expires: Duration) -> Result<String, PortError> {
        self.files.upload_url(election, roll, expires).await
    }

    async fn read(&self, election: &ElectionId, roll: &RollId, offset: u64, max: u64) -> Result<Vec<u8>, PortError> {
        if self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            return Err(PortError::Unavailable("throttled".into()));
        }
        self.files.read(election, roll, offset, max).await
    }

    async fn remove(&self, election: &ElectionId, roll: &RollId) -> Result<(), PortError> {
        self.files.remove(election, roll).await
    }
}

impl RecordFiles for FlakyFiles {
    async fn put_record_file(&self, election: &ElectionId, name: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.files.put_record_file(election, name, body).await
    }

    async fn record_file(&self, election: &ElectionId, name: &str) -> Result<Option<Vec<u8>>, PortError> {
        self.files.record_file(election, name).await
    }
}

#[tokio::test]
async fn an_import_stopped_by_a_transient_error_resumes_from_its_checkpoint_in_the_same_run() {
    let services = Services {
        store: InMemoryStore::default(),
        bus: Unused,
        clock: FixedClock(now()),
        sealer: TestSealer,
        files: FlakyFiles::default(),
        bounds: Bounds::DEFAULT,
        mix_batch: 1,
        voter_identity_claim: handlers::services::DEFAULT_VOTER_IDENTITY_CLAIM.to_owned(),
        tokens: Default::default(),
    };
    let election = election(&services.store).await;
    let id = new_roll(&services.store, &election, now()).await;
    // Two chunks' worth of rows: the second chunk's read fails once.
    let rows: String = (0..2 * CHUNK_BYTES / 20)
        .map(|i| format!("NID-{i:09},North\n"))
        .collect();
    services.files.files.upload(&election, &id, rows.as_bytes());
    // The sample notice (events/import-roll.json), for this roll's file.
    let sample = std::fs::read_to_string(format!(
        "{}/../../events/import-roll.json",
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut event: serde_json::Value = serde_json::from_str(&sample).unwrap();
    let mut notice: serde_json::Value = serde_json::from_str(event["Records"][0]["body"].as_str().unwrap()).unwrap();
    notice["Records"][0]["s3"]["object"]["key"] = json!(format!("rolls/{election}/{id}.csv"));
    event["Records"][0]["body"] = json!(notice.to_string());
    let event: SqsEvent = serde_json::from_value(event).unwrap();

    let reply = services.queue(QueueFunction::ImportRoll, event).await;

    assert!(
        reply.batch_item_failures.is_empty(),
        "no message is left for the queue to bring back"
    );
    let roll = roll_of(&services.store, &election, &id).await;
    assert_eq!(roll.state, ImportState::Done, "{roll:?}");
    assert_eq!((roll.rows_done, roll.rows_refused), (2 * CHUNK_BYTES / 20, 0));
    assert!(services.files.reads.load(std::sync::atomic::Ordering::SeqCst) > 2);
}
