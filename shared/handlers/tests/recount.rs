//! The recount on the in-memory store: it finds votes the results view missed, a repair
//! counts them, and a second repair changes nothing.

use adapters::memory::{InMemoryStore, RecordingBus, TestSealer};
use chrono::{DateTime, Utc};
use election_core::clock::FixedClock;
use election_core::domain::ids::{CandidateId, ElectionId, ReceiptId};
use election_core::domain::roll::{District, EntrySource, RollEntry, RollId};
use election_core::domain::text::AccountId;
use election_core::domain::vote::{coarse, Ballot, Mark, Participation, Sealed};
use election_core::domain_events::{BallotCast, DomainEvent};
use election_core::policies::project_dashboard;
use election_core::ports::{BallotSealer, RollStore, VoteStore};
use election_core::use_cases::mix_ballots::{take_copies, Mixing};
use handlers::functions::OperationFunction;
use handlers::services::{Services, Unused};
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-03-01T09:00:00Z").unwrap().to_utc()
}

async fn vote(store: &InMemoryStore, election: &ElectionId, candidate: &CandidateId, voter: usize) -> Ballot {
    let voter = AccountId::parse(&format!("voter-{voter}")).unwrap();
    let entry = RollEntry {
        election_id: election.clone(),
        roll: RollId::initial(),
        voter: voter.clone(),
        district: District::parse("North").unwrap(),
        source: EntrySource::Correction,
    };
    store.add_entry(&entry).await.unwrap();
    let ballot = Ballot {
        election_id: election.clone(),
        mark: Mark::For(candidate.clone()),
        receipt_id: ReceiptId::new(),
        cast_in_hour: coarse(now()),
    };
    let participation = Participation {
        election_id: election.clone(),
        voter,
        roll: RollId::initial(),
        voted_at: now(),
        sealed_choice: Sealed {
            sealed_key: vec![],
            ciphertext: vec![],
        },
    };
    let mix_copy = TestSealer.seal_ballot(&ballot).await.unwrap();
    store.insert_vote(&participation, &mix_copy).await.unwrap();
    ballot
}

/// What the pipeline does with the votes stored: the mixer writes their ballots to the box,
/// and the participations are counted into turnout (the ballots are not counted here).
async fn mix_and_turn_out(services: &Services<InMemoryStore, RecordingBus, FixedClock, TestSealer>) {
    let mixing = Mixing {
        batch: 1,
        bounds: services.bounds,
    };
    let copies = services.store.mix_copies();
    take_copies(&services.store, &TestSealer, &services.clock, &mixing, &copies)
        .await
        .unwrap();
    project_dashboard(&services.store, &services.clock, &services.store.turnout_events())
        .await
        .unwrap();
}

async fn recount(
    services: &Services<InMemoryStore, RecordingBus, FixedClock, TestSealer>,
    election: &ElectionId,
    repair: bool,
) -> Value {
    services
        .operation(
            OperationFunction::Recount,
            json!({ "electionId": election.to_string(), "repair": repair }),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_recount_finds_the_votes_the_results_missed_and_a_repair_counts_each_once() {
    // GIVEN five ballots for two candidates, of which the pipeline counted only three
    let services = Services {
        store: InMemoryStore::default(),
        bus: RecordingBus::default(),
        clock: FixedClock(now()),
        sealer: TestSealer,
        files: Unused,
        bounds: election_core::bounds::Bounds::DEFAULT,
        mix_batch: 1,
        voter_identity_claim: handlers::services::DEFAULT_VOTER_IDENTITY_CLAIM.to_owned(),
        tokens: Default::default(),
    };
    let election = ElectionId::new();
    let (ann, bob) = (CandidateId::new(), CandidateId::new());
    let mut ballots = Vec::new();
    for (voter, candidate) in [&ann, &ann, &ann, &bob, &bob].into_iter().enumerate() {
        ballots.push(vote(&services.store, &election, candidate, voter).await);
    }
    mix_and_turn_out(&services).await;
    let counted: Vec<DomainEvent> = ballots[1..4]
        .iter()
        .map(|b| DomainEvent::BallotCast(BallotCast::of(b)))
        .collect();
    project_dashboard(&services.store, &services.clock, &counted)
        .await
        .unwrap();

    // WHEN the operator recounts
    let report = recount(&services, &election, false).await;

    // THEN it shows both counts and the difference, per candidate
    assert_eq!(report["matches"], false, "{report}");
    assert_eq!(
        (report["ballots"].as_u64(), report["counted"].as_u64()),
        (Some(5), Some(3))
    );
    let line = |report: &Value, candidate: &CandidateId| {
        report["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["candidateId"] == candidate.to_string())
            .cloned()
            .unwrap()
    };
    assert_eq!(line(&report, &ann)["difference"], 1);
    assert_eq!(line(&report, &bob)["difference"], 1);

    // AND a repair counts the two missed ballots, and not the three counted again
    let repaired = recount(&services, &election, true).await;
    assert_eq!(repaired["matches"], true, "{repaired}");
    assert_eq!(line(&repaired, &ann)["counted"], 3);
    assert_eq!(line(&repaired, &bob)["counted"], 2);

    // AND a second repair, or the pipeline delivering the rest late, changes nothing
    let all: Vec<DomainEvent> = ballots
        .iter()
        .map(|b| DomainEvent::BallotCast(BallotCast::of(b)))
        .collect();
    project_dashboard(&services.store, &services.clock, &all).await.unwrap();
    let again = recount(&services, &election, true).await;
    assert_eq!(
        (again["counted"].as_u64(), again["matches"].as_bool()),
        (Some(5), Some(true))
    );
}

#[tokio::test]
async fn a_recount_of_a_bad_request_is_refused() {
    let services = Services {
        store: InMemoryStore::default(),
        bus: RecordingBus::default(),
        clock: FixedClock(now()),
        sealer: TestSealer,
        files: Unused,
        bounds: election_core::bounds::Bounds::DEFAULT,
        mix_batch: 1,
        voter_identity_claim: handlers::services::DEFAULT_VOTER_IDENTITY_CLAIM.to_owned(),
        tokens: Default::default(),
    };
    for payload in [
        json!({}),
        json!({ "electionId": "nope" }),
        json!({ "electionId": ElectionId::new().to_string(), "extra": 1 }),
    ] {
        let refused = services.operation(OperationFunction::Recount, payload.clone()).await;
        assert!(refused.is_err(), "{payload}");
    }
}
