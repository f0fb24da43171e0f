//! The secret ballot, checked everywhere it could leak. After the scenario (twenty voters,
//! three candidates), every item of every table, every change left in every table's stream,
//! every message left on every queue and
//! dead-letter queue, every domain event on the bus (copied to an audit queue by a rule of
//! this test's own), every line of the runner's and emulators' logs, and every request of
//! the data-event trail (each request any process of the stack made to DynamoDB, SQS,
//! EventBridge, KMS or S3, as CloudTrail's data events would log it) is read: none may hold
//! a voter (their `sub`, the identity key, or their voter id, its keyed hash) together with
//! that voter's candidate id or receipt, and none a bearer token.

use crate::scenario::{self, KnownVote};
use crate::support::{bus_rules_lock, clients, scan_table, template, unique, Api};
use crate::verifiable::{cast, encrypted, hex, open_verifiable_election, public, whole_board};
use crate::walking_skeleton::new_voters;
use chrono::TimeDelta;
use election_core::domain::ids::ReceiptId;
use election_core::domain::roll::IdentityKey;
use election_core::ports::VoterKeys;
use local_runner::clients::Clients;
use reqwest::Method;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A place a record was read from, and the record as text.
struct Record {
    place: String,
    text: String,
}

/// The data-event trail's file, in the `logs/` folder (`scripts/lib.sh` starts the stack
/// with `--trail`).
const TRAIL: &str = "trail.jsonl";

/// Where the runner and the emulators log: `OMP_RUNNER_LOG` (set by `scripts/test.sh`)
/// and the `logs/` folder beside it, the trail among them.
fn log_files() -> Vec<PathBuf> {
    let Some(runner_log) = std::env::var_os("OMP_RUNNER_LOG").map(PathBuf::from) else {
        return Vec::new();
    };
    let mut files = vec![runner_log.clone()];
    if let Some(dir) = runner_log.parent().map(|d| d.join("logs")) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            files.push(entry.path());
        }
    }
    files
}

async fn queue_messages(clients: &Clients, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    // Seen messages stay hidden for the rest of the test, so each is read once.
    for _ in 0..100 {
        let output = clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .send()
            .await
            .expect("receive");
        let messages = output.messages();
        if messages.is_empty() {
            break;
        }
        bodies.extend(messages.iter().filter_map(|m| m.body().map(str::to_owned)));
    }
    bodies
}

/// Every queue of the stack, dead-letter queues included, by URL.
async fn queue_urls(clients: &Clients) -> Vec<String> {
    let listed = clients.sqs.list_queues().send().await.expect("list queues");
    listed.queue_urls().to_vec()
}

/// Whether `text` holds a JWT: base64url `eyJ…` (a JSON header), a dot, `eyJ…` (the claims).
fn holds_a_token(text: &str) -> bool {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(".eyJ").any(|(at, _)| {
        let header: String = text[..at].chars().rev().take_while(|&c| url_safe(c)).collect();
        header.ends_with("Jye")
    })
}

#[test]
fn a_token_is_told_from_sealed_bytes() {
    assert!(holds_a_token(
        r#"{"authorization":"Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}"#
    ));
    assert!(!holds_a_token(r#"{"sealedKey":"AQIDeyJ4eyJ/AeyJ+","at":"x.eyJ"}"#));
}

/// A rule of the test's own that copies every domain event on the bus to an audit queue.
struct AuditRule {
    name: String,
    url: String,
    bus: String,
}

impl AuditRule {
    async fn start(clients: &Clients) -> Self {
        let bus = template().buses[0].clone();
        let name = unique("secrecy-audit");
        let url = clients
            .sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .expect("audit queue")
            .queue_url
            .expect("audit queue url");
        let arn = format!("arn:aws:sqs:us-east-1:000000000000:{name}");
        let pattern = json!({ "source": [{ "prefix": "omp." }] });
        clients
            .events
            .put_rule()
            .name(&name)
            .event_bus_name(&bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("audit rule");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("audit")
            .arn(&arn)
            .build()
            .unwrap();
        clients
            .events
            .put_targets()
            .rule(&name)
            .event_bus_name(&bus)
            .targets(target)
            .send()
            .await
            .expect("audit target");
        Self { name, url, bus }
    }

    /// The events the rule copied, and every other record: each table's items, every
    /// message left on every queue, every line of the logs and of the trail. Then the rule
    /// is removed.
    async fn read_everything(self, clients: &Clients) -> (Vec<String>, Vec<Record>) {
        let mut records = Vec::new();
        for table in template().tables.keys() {
            for item in scan_table(clients, table, None).await {
                records.push(Record {
                    place: format!("table {table}"),
                    text: format!("{item:?}"),
                });
            }
        }
        for (table, record) in stream_records(clients).await {
            records.push(Record {
                place: format!("stream {table}"),
                text: record,
            });
        }
        let events = queue_messages(clients, &self.url).await;
        for url in queue_urls(clients).await {
            for body in queue_messages(clients, &url).await {
                records.push(Record {
                    place: format!("queue {url}"),
                    text: body,
                });
            }
        }
        for file in log_files() {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let kind = if file.ends_with(TRAIL) { "trail" } else { "log" };
            for line in text.lines() {
                records.push(Record {
                    place: format!("{kind} {}", file.display()),
                    text: line.to_owned(),
                });
            }
        }
        let events_client = &clients.events;
        events_client
            .remove_targets()
            .rule(&self.name)
            .event_bus_name(&self.bus)
            .ids("audit")
            .send()
            .await
            .ok();
        events_client
            .delete_rule()
            .name(&self.name)
            .event_bus_name(&self.bus)
            .send()
            .await
            .ok();
        clients.sqs.delete_queue().queue_url(&self.url).send().await.ok();
        (events, records)
    }
}

/// Every record still in every table's stream, from its oldest (DynamoDB keeps them a day):
/// each change of each item, images before and after, by table.
async fn stream_records(clients: &Clients) -> Vec<(String, String)> {
    let mut records = Vec::new();
    for table in template().tables.keys() {
        let listed = clients
            .streams
            .list_streams()
            .table_name(table)
            .send()
            .await
            .expect("list streams");
        for stream in listed.streams() {
            let arn = stream.stream_arn().expect("a stream's arn");
            let described = clients
                .streams
                .describe_stream()
                .stream_arn(arn)
                .send()
                .await
                .expect("describe stream");
            let shards = described
                .stream_description()
                .map(|d| d.shards().to_vec())
                .unwrap_or_default();
            for shard in shards {
                let mut iterator = clients
                    .streams
                    .get_shard_iterator()
                    .stream_arn(arn)
                    .shard_id(shard.shard_id().expect("a shard's id"))
                    .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .expect("shard iterator")
                    .shard_iterator;
                // An open shard always gives a next iterator: read until a page comes back empty.
                while let Some(at) = iterator {
                    let page = clients
                        .streams
                        .get_records()
                        .shard_iterator(at)
                        .limit(1000)
                        .send()
                        .await
                        .expect("records");
                    if page.records().is_empty() {
                        break;
                    }
                    records.extend(page.records().iter().map(|r| (table.clone(), format!("{r:?}"))));
                    iterator = page.next_shard_iterator;
                }
            }
        }
    }
    records
}

/// Each voter as the stores know them: their voter id (the keyed hash of their identity).
async fn voter_ids(clients: &Clients, subs: impl Iterator<Item = &str>) -> Vec<String> {
    let keys = local_runner::local_services(clients, &template())
        .expect("services")
        .sealer;
    let mut ids = Vec::new();
    for sub in subs {
        let identity = IdentityKey::parse(sub).unwrap();
        ids.push(keys.voter_id(&identity).await.expect("a voter id").as_str().to_owned());
    }
    ids
}

#[tokio::test]
async fn no_record_anywhere_links_a_voter_to_their_choice() {
    let api = Api::from_env();
    let clients = clients().await;
    let _rules = bus_rules_lock().lock().await;

    // GIVEN a rule of our own that copies every domain event on the bus to an audit queue
    let audit = AuditRule::start(&clients).await;

    // WHEN the scenario runs: twenty voters, three candidates, every view checked
    let votes: Vec<KnownVote> = scenario::run(&api).await;

    // THEN read everything that was written or sent
    let (events, records) = audit.read_everything(&clients).await;
    let voter_ids = voter_ids(&clients, votes.iter().map(|v| v.voter.as_str())).await;

    // The audit saw the real traffic: a ballot event for each of the twenty votes (packed
    // or not), which names no voter; and the scan saw each voter's participation, by id.
    for (vote, voter_id) in votes.iter().zip(&voter_ids) {
        assert!(
            events
                .iter()
                .any(|e| e.contains(&vote.receipt) && e.contains(&vote.candidate)),
            "the bus carried no ballot with receipt {}",
            vote.receipt
        );
        assert!(
            records.iter().any(|r| r.text.contains(voter_id.as_str())),
            "no record names voter {}: the audit read nothing",
            vote.voter
        );
        // The trail saw both halves: the vote's request, naming the voter, and the mixer's
        // write of the ballot, naming the receipt.
        let trail = || records.iter().filter(|r| r.place.starts_with("trail"));
        assert!(
            trail().any(|r| r.text.contains(voter_id.as_str()) && r.text.contains("UpdateItem")),
            "the trail holds no request of voter {}'s vote",
            vote.voter
        );
        assert!(
            trail().any(|r| r.text.contains(&vote.receipt) && r.text.contains("BatchWriteItem")),
            "the trail holds no write of the ballot with receipt {}",
            vote.receipt
        );
    }
    // The mixer's copy of each ballot is gone from its participation (the mixer removes it
    // once its pool holds it), and from the pool (once the ballot is in the box: here k = 1,
    // and the scenario waited for every vote to be counted).
    for (vote, voter_id) in votes.iter().zip(&voter_ids) {
        let entries = records
            .iter()
            .filter(|r| r.place.starts_with("table ") && r.text.contains(voter_id.as_str()));
        for entry in entries {
            assert!(
                !entry.text.contains("mixBallot") && !entry.text.contains("mixKey"),
                "{} still holds the mixer's copy of voter {}'s ballot: {}",
                entry.place,
                vote.voter,
                entry.text
            );
        }
    }
    let election = &votes[0].election;
    let left: Vec<&String> = records
        .iter()
        .filter(|r| r.place.starts_with("table ") && r.text.contains("pooled-ballot"))
        .filter(|r| r.text.contains(election.as_str()))
        .map(|r| &r.text)
        .collect();
    assert!(left.is_empty(), "a pooled copy outlived its ballot's write: {left:?}");
    // No log or request holds a bearer token: at the most verbose level the template
    // allows, the functions run here as on AWS.
    for record in &records {
        assert!(
            !holds_a_token(&record.text),
            "{} holds a bearer token: {}",
            record.place,
            record.text
        );
    }
    // …and nothing, anywhere, holds a voter beside their choice or their receipt.
    for (vote, voter_id) in votes.iter().zip(&voter_ids) {
        for record in &records {
            let names_voter = record.text.contains(&vote.voter) || record.text.contains(voter_id.as_str());
            let linked = names_voter && (record.text.contains(&vote.candidate) || record.text.contains(&vote.receipt));
            assert!(
                !linked,
                "{} links voter {} to their vote: {}",
                record.place, vote.voter, record.text
            );
        }
    }
}

#[tokio::test]
async fn a_sealed_choice_opens_only_for_its_own_voter_and_election() {
    use adapters::kms::KmsKeys;
    use election_core::domain::ids::{CandidateId, ElectionId, ReceiptId};
    use election_core::domain::text::AccountId;
    use election_core::domain::vote::Choice;
    use election_core::ports::ChoiceSealer;

    // GIVEN a choice sealed with the stack's key (LocalStack's KMS) for one voter and election
    let sealer = KmsKeys::new(
        clients().await.kms,
        adapters::kms::KeyIds {
            seal: Some(template().names["BALLOT_SEAL_KEY"].clone()),
            ..Default::default()
        },
    );
    let (voter, other_voter) = (
        AccountId::parse(&unique("voter")).unwrap(),
        AccountId::parse(&unique("voter")).unwrap(),
    );
    let (election, other_election) = (ElectionId::new(), ElectionId::new());
    let candidate_id = CandidateId::new();
    let choice = Choice::For {
        candidate_id: candidate_id.clone(),
        receipt_id: ReceiptId::new(),
    };
    let sealed = sealer.seal(&voter, &election, &choice).await.expect("sealed");
    let text = format!("{sealed:?}");
    assert!(!text.contains(&candidate_id.to_string()) && !text.contains(voter.as_str()));

    // THEN it opens for that voter and election, and for no other
    assert_eq!(sealer.open(&voter, &election, &sealed).await.expect("opens"), choice);
    assert!(sealer.open(&other_voter, &election, &sealed).await.is_err());
    assert!(sealer.open(&voter, &other_election, &sealed).await.is_err());

    // AND another voter's choice in the same election reuses the cached data key, yet each
    // sealed choice opens for its own voter only
    let theirs = sealer.seal(&other_voter, &election, &choice).await.expect("sealed");
    assert_eq!(
        theirs.sealed_key, sealed.sealed_key,
        "one KMS data key per election and instance"
    );
    assert_eq!(
        sealer.open(&other_voter, &election, &theirs).await.expect("opens"),
        choice
    );
    assert!(sealer.open(&voter, &election, &theirs).await.is_err());
    let elsewhere = sealer.seal(&voter, &other_election, &choice).await.expect("sealed");
    assert_ne!(
        elsewhere.sealed_key, sealed.sealed_key,
        "each election has its own data key"
    );
}

/// A verifiable election's promise: no server ever holds a plaintext choice. After twelve
/// encrypted votes, two challenges and the mixer's work, everything is read as above: the
/// election's candidates appear in no record beside a voter, a cast ballot or one of its
/// ciphertexts; no domain event carries a candidate or a ciphertext; no function on the
/// vote's path logs a candidate; and no counter counts a candidate's votes. The challenged
/// ballots' reveals, published with their choice, are linked to no voter: the stated exception.
#[tokio::test]
async fn no_record_anywhere_holds_a_plaintext_choice_of_a_verifiable_election() {
    let clients = clients().await;
    let _rules = bus_rules_lock().lock().await;
    let audit = AuditRule::start(&clients).await;

    // WHEN twelve voters cast encrypted ballots (three candidates, each chosen), two ballots
    // are challenged, and the mixer has put every cast ballot on the board
    let voters = new_voters(12);
    let (stage, file, _) = open_verifiable_election(&voters, TimeDelta::hours(1)).await;
    let ctx = file.context();
    let mut cast_ballots = Vec::new();
    for (n, voter) in voters.iter().enumerate() {
        let (ballot, _) = encrypted(&ctx, n % 3);
        let reply = cast(&stage, voter, &json!({"ballot": ballot})).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        cast_ballots.push(ballot);
    }
    let mut challenged = Vec::new();
    for choice in [0, 2] {
        let (ballot, secrets) = encrypted(&ctx, choice);
        let body = json!({"ballot": ballot, "reveal": secrets.reveal()});
        let reply = public(&stage, Method::POST, "/challenges", Some(&body)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        challenged.push(ballot);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while whole_board(&stage).await.0.len() < cast_ballots.len() {
        assert!(
            Instant::now() < deadline,
            "the board did not show every cast ballot in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The count pipeline knew only that ballots were cast: no candidate has a vote.
    let results = stage
        .api
        .get(
            &format!("/elections/{}/results/live", stage.election),
            &stage.commission,
        )
        .await;
    assert_eq!(results.status, 200, "{}", results.body);
    for line in results.body["candidates"].as_array().unwrap() {
        assert_eq!(line["votes"], 0, "{line}");
    }

    // THEN read everything that was written or sent
    let (events, records) = audit.read_everything(&clients).await;
    let candidates: Vec<&str> = file.manifest.candidates.iter().map(|c| c.id.as_str()).collect();
    let names_a_candidate = |text: &str| candidates.iter().any(|c| text.contains(c));
    let codes: Vec<String> = cast_ballots.iter().map(|b| hex(&b.tracking_code)).collect();
    let alphas: Vec<String> = cast_ballots
        .iter()
        .flat_map(|b| b.ciphertexts.iter().map(|c| hex(&c.alpha)))
        .collect();
    let receipts: Vec<String> = cast_ballots
        .iter()
        .map(|b| ReceiptId::of_tracking_code(&b.tracking_code.0).to_string())
        .collect();
    let challenged_codes: Vec<String> = challenged.iter().map(|b| hex(&b.tracking_code)).collect();
    let voter_ids = voter_ids(&clients, voters.iter().map(String::as_str)).await;

    // The audit saw the real traffic: each voter's participation, each cast ballot in the box
    // and in the trail's writes, each ballot's event (its receipt, no choice), each candidate.
    for voter_id in &voter_ids {
        assert!(
            records.iter().any(|r| r.text.contains(voter_id.as_str())),
            "no record names voter {voter_id}"
        );
    }
    for code in &codes {
        assert!(
            records
                .iter()
                .any(|r| r.place.starts_with("table ") && r.text.contains(code.as_str())),
            "the box holds no ballot {code}"
        );
        assert!(
            records
                .iter()
                .any(|r| r.place.starts_with("trail") && r.text.contains(code.as_str())),
            "the trail holds no write of ballot {code}"
        );
    }
    for receipt in &receipts {
        assert!(
            events.iter().any(|e| e.contains(receipt.as_str())),
            "the bus carried no ballot {receipt}"
        );
    }
    for candidate in &candidates {
        assert!(
            records.iter().any(|r| r.text.contains(candidate)),
            "no record names candidate {candidate}"
        );
    }

    // No ballot's event carries a candidate of this election or a ciphertext (the events of
    // the candidates' registration name them, as they should).
    let ballot_events = events
        .iter()
        .filter(|e| e.contains(&stage.election) && !e.contains("\"detail-type\":\"Candidate"));
    for event in ballot_events {
        assert!(!names_a_candidate(event), "an event names a candidate: {event}");
        assert!(
            !alphas.iter().any(|a| event.contains(a.as_str())),
            "an event carries a ciphertext: {event}"
        );
    }
    for record in &records {
        let names_voter = voters.iter().any(|v| record.text.contains(v.as_str()))
            || voter_ids.iter().any(|v| record.text.contains(v.as_str()));
        let holds_ballot = codes.iter().any(|c| record.text.contains(c.as_str()))
            || alphas.iter().any(|a| record.text.contains(a.as_str()));
        // Nothing beside a voter or a cast ballot names a candidate.
        assert!(
            !((names_voter || holds_ballot) && names_a_candidate(&record.text)),
            "{} holds a choice beside a voter or a ballot: {}",
            record.place,
            record.text
        );
        // The reveals are published linked to no one.
        assert!(
            !(names_voter && challenged_codes.iter().any(|c| record.text.contains(c.as_str()))),
            "{} links a voter to a challenged ballot: {}",
            record.place,
            record.text
        );
        // The functions on the vote's path never log a candidate of this election.
        let vote_path = [
            "cast-vote.log",
            "mix-ballots.log",
            "publish-events.log",
            "project-dashboard.log",
        ];
        if record.place.starts_with("log") && vote_path.iter().any(|f| record.place.ends_with(f)) {
            assert!(
                !names_a_candidate(&record.text),
                "{} logs a candidate: {}",
                record.place,
                record.text
            );
        }
    }
}
