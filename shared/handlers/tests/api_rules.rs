//! The domain rules at the HTTP edge, on in-memory adapters with a fixed clock: both
//! window edges, one vote per voter, roles, and malformed input. Every refusal is a
//! problem+json reply and leaves the store exactly as it was.

mod support;

use adapters::kms::{KeyIds, KmsKeys};
use adapters::memory::{InMemoryFiles, InMemoryStore, RecordingBus, TestSealer};
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, TimeDelta, Utc};
use election_core::auth::{Caller, Role};
use election_core::bounds::Bounds;
use election_core::clock::FixedClock;
use election_core::domain::candidate::{Candidate, CandidateStatus};
use election_core::domain::certification::{PartCount, PartRecount};
use election_core::domain::election::{Election, VotingWindow};
use election_core::domain::ids::ReceiptId;
use election_core::domain::ids::{CandidateId, ElectionId};
use election_core::domain::roll::{District, EntrySource, IdentityKey, RollEntry, RollId};
use election_core::domain::text::{AccountId, Name};
use election_core::domain_events::{BallotCast, DomainEvent};
use election_core::policies::project_dashboard;
use election_core::ports::BallotBox;
use election_core::ports::ViewStore;
use election_core::ports::{BallotSealer, CandidateStore, ChoiceSealer, ElectionStore, RollStore, VoterKeys};
use election_core::projection::{certification_job, dashboard, Effect, Guard, RowKey, View};
use election_core::use_cases::get_results::get_results;
use election_core::use_cases::mix_ballots::{take_copies, Mixing};
use election_core::use_cases::recount::recount;
use handlers::functions::{HttpFunction, QueueFunction};
use handlers::http::event::{http_api_event, http_request, HttpApiRequest};
use handlers::services::Services;
use lambda_http::http::{HeaderMap, Method};
use serde_json::{json, Value};
use std::collections::HashMap;

type TestServices = Services<InMemoryStore, RecordingBus, FixedClock, TestSealer, InMemoryFiles>;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const STARTS: &str = "2027-03-01T08:00:00Z";
const ENDS: &str = "2027-03-01T20:00:00Z";

struct Fixture {
    election: ElectionId,
    candidate: CandidateId,
    other_election_candidate: CandidateId,
}

/// An election `[STARTS, ENDS)` with one candidate, another election with another
/// candidate, and a clock at `now`.
async fn setup(now: DateTime<Utc>) -> (TestServices, Fixture) {
    setup_sealed(now, TestSealer).await
}

/// The same, with choices sealed by `sealer`.
async fn setup_sealed<K>(
    now: DateTime<Utc>,
    sealer: K,
) -> (
    Services<InMemoryStore, RecordingBus, FixedClock, K, InMemoryFiles>,
    Fixture,
) {
    let store = InMemoryStore::default();
    let mut ids = Vec::new();
    for ballot in [1, 2] {
        let election = Election {
            id: ElectionId::new(),
            name: Name::parse("Presidential election").unwrap(),
            window: VotingWindow::new(at(STARTS), at(ENDS)).unwrap(),
            registered_at: at("2027-01-01T00:00:00Z"),
            registered_by: AccountId::parse("commission-officer").unwrap(),
            roll: RollId::initial(),
            verifiable: None,
        };
        store.insert_election(&election).await.unwrap();
        let candidate = Candidate {
            id: CandidateId::new(),
            election_id: election.id.clone(),
            ballot_number: ballot.try_into().unwrap(),
            party: Name::parse("Party").unwrap(),
            name: Name::parse("Candidate").unwrap(),
            user_id: AccountId::parse("candidate-account").unwrap(),
            status: CandidateStatus::Registered,
            registered_at: at("2027-01-02T00:00:00Z"),
            registered_by: AccountId::parse("commission-officer").unwrap(),
            pledge_count: 0,
        };
        store.insert_candidate(&candidate).await.unwrap();
        ids.push((election.id, candidate.id));
    }
    let fixture = Fixture {
        election: ids[0].0.clone(),
        candidate: ids[0].1.clone(),
        other_election_candidate: ids[1].1.clone(),
    };
    // The first election's roll: voter-1 to voter-9, in two districts.
    for n in 1..=9 {
        let entry = RollEntry {
            election_id: fixture.election.clone(),
            roll: RollId::initial(),
            voter: voter_id(&format!("voter-{n}")).await,
            district: District::parse(if n % 2 == 1 { "North" } else { "South" }).unwrap(),
            source: EntrySource::Correction,
        };
        store.add_entry(&entry).await.unwrap();
    }
    (
        Services {
            store,
            bus: RecordingBus::default(),
            clock: FixedClock(now),
            sealer,
            files: InMemoryFiles::default(),
            bounds: Bounds::DEFAULT,
            mix_batch: 1,
            voter_identity_claim: handlers::services::DEFAULT_VOTER_IDENTITY_CLAIM.to_owned(),
            tokens: support::tokens(),
        },
        fixture,
    )
}

/// The voter id of the identity key `identity`, as the test keys make it.
async fn voter_id(identity: &str) -> AccountId {
    TestSealer
        .voter_id(&IdentityKey::parse(identity).unwrap())
        .await
        .unwrap()
}

fn commission() -> Caller {
    Caller {
        sub: "officer".into(),
        roles: [Role::Commission].into(),
    }
}

/// A reply: status, content type and JSON body.
struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

impl Reply {
    /// Asserts a problem+json refusal with this status and code.
    fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status);
    }
}

/// Calls a handler as API Gateway would: `caller` is `(sub, groups)`, with their token,
/// or no token and no claims.
async fn call<K: ChoiceSealer + VoterKeys + BallotSealer>(
    services: &Services<InMemoryStore, RecordingBus, FixedClock, K, InMemoryFiles>,
    function: HttpFunction,
    route_path: &str,
    params: &[(&str, String)],
    caller: Option<(&str, &str)>,
    body: &str,
) -> Reply {
    let authorization = caller.map(|(sub, groups)| support::bearer(sub, groups));
    invoke(services, function, route_path, params, caller, authorization, body).await
}

/// Invokes a handler directly, with `claims` (`(sub, groups)`) in the request context and
/// `authorization` as the header, whether they agree or not.
async fn invoke<K: ChoiceSealer + VoterKeys + BallotSealer>(
    services: &Services<InMemoryStore, RecordingBus, FixedClock, K, InMemoryFiles>,
    function: HttpFunction,
    route_path: &str,
    params: &[(&str, String)],
    claims: Option<(&str, &str)>,
    authorization: Option<String>,
    body: &str,
) -> Reply {
    let claims = claims
        .map(|(sub, groups)| HashMap::from([("sub".into(), sub.into()), ("cognito:groups".into(), groups.into())]));
    let mut headers = HeaderMap::new();
    if let Some(authorization) = authorization {
        headers.insert("authorization", authorization.parse().unwrap());
    }
    let path_parameters = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let event = http_api_event(HttpApiRequest {
        method: Method::POST,
        route_path,
        raw_path: route_path,
        raw_query: "",
        headers: &headers,
        path_parameters,
        claims,
        body: body.as_bytes(),
    });
    let request = http_request(event);
    let response = services.http(function, request).await;
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
        _ => Value::Null,
    };
    Reply {
        status: response.status().as_u16(),
        content_type,
        body,
    }
}

async fn vote(services: &TestServices, fixture: &Fixture, voter: &str, body: &str) -> Reply {
    let params = [("electionId", fixture.election.to_string())];
    call(
        services,
        HttpFunction::CastVote,
        "/elections/{electionId}/votes",
        &params,
        Some((voter, "[voter]")),
        body,
    )
    .await
}

fn vote_for(candidate: &CandidateId) -> String {
    json!({ "candidateId": candidate.to_string() }).to_string()
}

#[tokio::test]
async fn a_vote_at_the_opening_instant_is_stored() {
    let (services, fixture) = setup(at(STARTS)).await;
    let reply = vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.body["receiptId"].is_string());
    assert_eq!(services.store.participations_stored().len(), 1);
}

#[tokio::test]
async fn a_vote_just_before_the_opening_is_refused() {
    let (services, fixture) = setup(at(STARTS) - TimeDelta::nanoseconds(1)).await;
    let before = services.store.snapshot();
    vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate))
        .await
        .assert_problem(409, "voting-not-open");
    assert_eq!(services.store.snapshot(), before);
}

#[tokio::test]
async fn a_vote_just_before_the_close_is_stored() {
    let (services, fixture) = setup(at(ENDS) - TimeDelta::nanoseconds(1)).await;
    let reply = vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn a_vote_at_the_closing_instant_is_refused() {
    let (services, fixture) = setup(at(ENDS)).await;
    let before = services.store.snapshot();
    vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate))
        .await
        .assert_problem(409, "voting-closed");
    assert_eq!(services.store.snapshot(), before);
}

#[tokio::test]
async fn a_second_vote_by_the_same_voter_is_refused_and_the_first_kept() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let first = vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate)).await;
    assert_eq!(first.status, 201);
    let before = services.store.snapshot();
    vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate))
        .await
        .assert_problem(409, "already-voted");
    assert_eq!(services.store.snapshot(), before);
    // Another voter still may.
    assert_eq!(
        vote(&services, &fixture, "voter-2", &vote_for(&fixture.candidate))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn a_direct_invoke_with_forged_claims_and_no_valid_token_is_refused_and_stores_nothing() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let election = [("electionId", fixture.election.to_string())];
    let voter = Some(("voter-1", "[voter]"));
    let minute = std::time::Duration::from_secs(60);
    let issuers = support::issuers();
    let expired = issuers.sign(
        local_runner::jwt::Issuer::Officials,
        json!({ "sub": "voter-1", "cognito:groups": ["voter"], "exp": 1 }),
        minute,
    );
    // The claims in the request context name the voter; the token is missing, signed by
    // another key, expired, or not a bearer token at all.
    let forged = [
        None,
        Some(format!(
            "Bearer {}",
            issuers.impostor().official("voter-1", &["voter".into()], minute)
        )),
        Some(format!("Bearer {expired}")),
        Some("Basic dm90ZXItMTpwYXNz".to_owned()),
    ];
    let before = services.store.snapshot();
    for authorization in forged {
        let body = vote_for(&fixture.candidate);
        let route = "/elections/{electionId}/votes";
        invoke(
            &services,
            HttpFunction::CastVote,
            route,
            &election,
            voter,
            authorization.clone(),
            &body,
        )
        .await
        .assert_problem(401, "unauthenticated");
        invoke(
            &services,
            HttpFunction::MyVotes,
            "/me/votes",
            &[],
            voter,
            authorization.clone(),
            "",
        )
        .await
        .assert_problem(401, "unauthenticated");
        let official = Some(("officer-1", "[commission]"));
        let new_election = json!({"name": "X", "votingStartsAt": STARTS, "votingEndsAt": ENDS}).to_string();
        invoke(
            &services,
            HttpFunction::RegisterElection,
            "/elections",
            &[],
            official,
            authorization,
            &new_election,
        )
        .await
        .assert_problem(401, "unauthenticated");
    }
    assert_eq!(services.store.snapshot(), before);
    // AND with the voter's own token, the same invoke votes
    let reply = vote(&services, &fixture, "voter-1", &vote_for(&fixture.candidate)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn a_vote_for_a_candidate_of_another_election_is_refused() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let before = services.store.snapshot();
    let reply = vote(
        &services,
        &fixture,
        "voter-1",
        &vote_for(&fixture.other_election_candidate),
    )
    .await;
    reply.assert_problem(404, "not-found");
    assert_eq!(services.store.snapshot(), before);
}

#[tokio::test]
async fn wrong_roles_and_missing_identity_are_refused() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let before = services.store.snapshot();
    let election = [("electionId", fixture.election.to_string())];
    let new_election = json!({"name": "X", "votingStartsAt": STARTS, "votingEndsAt": ENDS}).to_string();
    let new_candidate = json!({"ballotNumber": 7, "party": "P", "name": "N", "userId": "u"}).to_string();
    let cases = [
        (
            HttpFunction::RegisterElection,
            "/elections",
            &[][..],
            Some(("v", "[voter]")),
            new_election.clone(),
            403,
            "forbidden",
        ),
        (
            HttpFunction::RegisterElection,
            "/elections",
            &[][..],
            Some(("a", "[admin candidate]")),
            new_election.clone(),
            403,
            "forbidden",
        ),
        (
            HttpFunction::RegisterElection,
            "/elections",
            &[][..],
            None,
            new_election,
            401,
            "unauthenticated",
        ),
        (
            HttpFunction::RegisterCandidate,
            "/elections/{electionId}/candidates",
            &election[..],
            Some(("v", "[voter]")),
            new_candidate,
            403,
            "forbidden",
        ),
        // The voter route's authorizer admits the voters' issuer only: whoever reaches the
        // handler votes as a voter, and the roll decides.
        (
            HttpFunction::CastVote,
            "/elections/{electionId}/votes",
            &election[..],
            Some(("c", "[commission]")),
            vote_for(&fixture.candidate),
            403,
            "not-on-roll",
        ),
        (
            HttpFunction::CastVote,
            "/elections/{electionId}/votes",
            &election[..],
            None,
            vote_for(&fixture.candidate),
            401,
            "unauthenticated",
        ),
        (
            HttpFunction::GetResults,
            "/elections/{electionId}/results",
            &election[..],
            Some(("v", "[voter]")),
            String::new(),
            403,
            "forbidden",
        ),
    ];
    for (function, route, params, caller, body, status, code) in cases {
        call(&services, function, route, params, caller, &body)
            .await
            .assert_problem(status, code);
    }
    assert_eq!(services.store.snapshot(), before);
}

#[tokio::test]
async fn malformed_bodies_are_refused() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let before = services.store.snapshot();
    let commission = Some(("officer", "[commission]"));
    let election = [("electionId", fixture.election.to_string())];
    let bad_votes = [
        "",
        "not json",
        "{}",
        r#"{"candidateId": 42}"#,
        r#"{"candidateId": "not-an-id"}"#,
        &json!({"candidateId": fixture.candidate.to_string(), "voterId": "someone-else"}).to_string(),
    ];
    for body in bad_votes {
        vote(&services, &fixture, "voter-1", body)
            .await
            .assert_problem(400, "malformed-body");
    }
    let bad_elections = [
        (
            json!({"name": "", "votingStartsAt": STARTS, "votingEndsAt": ENDS}),
            "malformed-body",
        ),
        (
            json!({"name": "X".repeat(201), "votingStartsAt": STARTS, "votingEndsAt": ENDS}),
            "malformed-body",
        ),
        (
            json!({"name": "X", "votingStartsAt": "tomorrow", "votingEndsAt": ENDS}),
            "malformed-body",
        ),
        (json!({"name": "X", "votingEndsAt": ENDS}), "malformed-body"),
        (
            json!({"name": "X", "votingStartsAt": ENDS, "votingEndsAt": STARTS}),
            "invalid-window",
        ),
        (
            json!({"name": "X", "votingStartsAt": STARTS, "votingEndsAt": STARTS}),
            "invalid-window",
        ),
        (
            json!({"name": "X", "votingStartsAt": "2027-02-01T08:00:00Z", "votingEndsAt": "2027-03-01T08:59:59Z"}),
            "invalid-window",
        ),
    ];
    for (body, code) in bad_elections {
        call(
            &services,
            HttpFunction::RegisterElection,
            "/elections",
            &[],
            commission,
            &body.to_string(),
        )
        .await
        .assert_problem(400, code);
    }
    let bad_candidates = [
        json!({"ballotNumber": 0, "party": "P", "name": "N", "userId": "u"}),
        json!({"ballotNumber": -1, "party": "P", "name": "N", "userId": "u"}),
        json!({"ballotNumber": 3, "party": " ", "name": "N", "userId": "u"}),
        json!({"ballotNumber": 3, "party": "P", "name": "N"}),
    ];
    for body in bad_candidates {
        let route = "/elections/{electionId}/candidates";
        call(
            &services,
            HttpFunction::RegisterCandidate,
            route,
            &election,
            commission,
            &body.to_string(),
        )
        .await
        .assert_problem(400, "malformed-body");
    }
    let oversized = json!({"name": "X".repeat(17 * 1024), "votingStartsAt": STARTS, "votingEndsAt": ENDS}).to_string();
    call(
        &services,
        HttpFunction::RegisterElection,
        "/elections",
        &[],
        commission,
        &oversized,
    )
    .await
    .assert_problem(413, "payload-too-large");
    assert_eq!(services.store.snapshot(), before);
}

#[tokio::test]
async fn ids_are_checked_before_any_table_is_read() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let before = services.store.snapshot();
    for bad in ["not-an-id", "../elections", "1"] {
        let params = [("electionId", bad.to_owned())];
        call(
            &services,
            HttpFunction::CastVote,
            "/elections/{electionId}/votes",
            &params,
            Some(("v", "[voter]")),
            &vote_for(&fixture.candidate),
        )
        .await
        .assert_problem(400, "invalid-id");
    }
    let unknown = [("electionId", ElectionId::new().to_string())];
    call(
        &services,
        HttpFunction::CastVote,
        "/elections/{electionId}/votes",
        &unknown,
        Some(("v", "[voter]")),
        &vote_for(&fixture.candidate),
    )
    .await
    .assert_problem(404, "not-found");
    assert_eq!(services.store.snapshot(), before);
}

#[tokio::test]
async fn a_ballot_number_is_unique_within_its_election() {
    let (services, fixture) = setup(at("2027-03-01T09:00:00Z")).await;
    let before = services.store.snapshot();
    let election = [("electionId", fixture.election.to_string())];
    let clash = json!({"ballotNumber": 1, "party": "P", "name": "N", "userId": "u"}).to_string();
    call(
        &services,
        HttpFunction::RegisterCandidate,
        "/elections/{electionId}/candidates",
        &election,
        Some(("c", "[commission]")),
        &clash,
    )
    .await
    .assert_problem(409, "ballot-number-taken");
    assert_eq!(services.store.snapshot(), before);
    let free = json!({"ballotNumber": 2, "party": "P", "name": "N", "userId": "u"}).to_string();
    let reply = call(
        &services,
        HttpFunction::RegisterCandidate,
        "/elections/{electionId}/candidates",
        &election,
        Some(("c", "[commission]")),
        &free,
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn results_are_public_once_voting_has_ended_and_live_for_officials() {
    for (now, public_status) in [(at("2027-03-01T09:00:00Z"), 403), (at(ENDS), 200)] {
        let (services, fixture) = setup(now).await;
        let election = [("electionId", fixture.election.to_string())];
        // The public route has no authorizer: API Gateway passes no claims.
        let public = call(
            &services,
            HttpFunction::GetResults,
            "/elections/{electionId}/results",
            &election,
            None,
            "",
        )
        .await;
        assert_eq!(public.status, public_status, "{}", public.body);
        let live = "/elections/{electionId}/results/live";
        for (groups, status) in [("[admin]", 200), ("[commission]", 200), ("[candidate]", public_status)] {
            let reply = call(
                &services,
                HttpFunction::GetResults,
                live,
                &election,
                Some(("p", groups)),
                "",
            )
            .await;
            assert_eq!(reply.status, status, "{groups}: {}", reply.body);
        }
        let anonymous = call(&services, HttpFunction::GetResults, live, &election, None, "").await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    }
}

/// The first moment the fixture's election may be certified.
fn certifiable() -> DateTime<Utc> {
    at(ENDS) + TimeDelta::from_std(Bounds::DEFAULT.operation + Bounds::DEFAULT.clock_skew_margin).unwrap()
}

/// Asks for certification (`POST`), or for the job (`GET`), as a commission officer.
async fn certification(services: &TestServices, fixture: &Fixture, function: HttpFunction) -> Reply {
    call(
        services,
        function,
        "/elections/{electionId}/certification",
        &[("electionId", fixture.election.to_string())],
        Some(("officer", "[commission]")),
        "{}",
    )
    .await
}

/// Runs a recount worker on each of these parts, as its queue would.
async fn count_parts(services: &TestServices, parts: &[PartRecount]) {
    for part in parts {
        let mut message = SqsMessage::default();
        message.message_id = Some(format!("part-{}-{}", part.attempt, part.part));
        message.body = Some(serde_json::to_string(part).unwrap());
        let mut event = SqsEvent::default();
        event.records = vec![message];
        let reply = services.queue(QueueFunction::RecountPart, event).await;
        assert!(reply.batch_item_failures.is_empty(), "part {part:?} failed");
    }
}

/// Asserts that the job's attempt was refused for `reason`, and the results are provisional.
async fn refused_and_provisional(services: &TestServices, fixture: &Fixture, reason: &str) {
    let refused = certification(services, fixture, HttpFunction::GetCertification).await;
    assert_eq!(refused.body["state"], "refused", "{}", refused.body);
    let refusal = refused.body["refusal"].as_str().unwrap_or_default();
    assert!(refusal.contains(reason), "{}", refused.body);
    let results = get_results(&services.store, &services.clock, Some(&commission()), &fixture.election)
        .await
        .unwrap();
    assert!(!results.is_final);
}

/// Votes for the fixture's candidate while voting is open, counted into the results (by
/// the projector) or not; then the clock moves to when certification may start.
async fn votes_then_close(services: &mut TestServices, fixture: &Fixture, voters: &[&str], counted: bool) {
    services.clock = FixedClock(at("2027-03-01T12:00:00Z"));
    for voter in voters {
        let body = json!({ "candidateId": fixture.candidate }).to_string();
        assert_eq!(vote(services, fixture, voter, &body).await.status, 201);
    }
    // The mixer writes the ballots to the box; the participations are counted into turnout.
    let mixing = Mixing {
        batch: 1,
        bounds: services.bounds,
    };
    let copies = services.store.mix_copies();
    take_copies(&services.store, &services.sealer, &services.clock, &mixing, &copies)
        .await
        .unwrap();
    project_dashboard(&services.store, &services.clock, &services.store.turnout_events())
        .await
        .unwrap();
    if counted {
        let events: Vec<DomainEvent> = services
            .store
            .snapshot()
            .ballots
            .values()
            .map(|ballot| DomainEvent::BallotCast(BallotCast::of(ballot)))
            .collect();
        project_dashboard(&services.store, &services.clock, &events)
            .await
            .unwrap();
    }
    services.clock = FixedClock(certifiable());
}

#[tokio::test]
async fn certification_waits_until_no_vote_sent_before_the_close_can_commit() {
    for (now, status) in [(at(ENDS) + TimeDelta::seconds(1), 409), (certifiable(), 202)] {
        let (services, fixture) = setup(now).await;
        let reply = certification(&services, &fixture, HttpFunction::CertifyResults).await;
        assert_eq!(reply.status, status, "at {now}: {}", reply.body);
        if status == 409 {
            reply.assert_problem(409, "not-certifiable");
            assert!(
                reply.body["detail"].as_str().unwrap().contains("may still commit"),
                "{}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn certification_is_a_job_that_repeated_requests_join_and_the_last_part_finishes() {
    let (mut services, fixture) = setup(at(STARTS)).await;
    votes_then_close(&mut services, &fixture, &["voter-1", "voter-2", "voter-3"], true).await;

    // WHEN the commission asks for certification, twice
    let first = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    let again = certification(&services, &fixture, HttpFunction::CertifyResults).await;

    // THEN both get the same job, recounting; its parts went out once, one message each
    for reply in [&first, &again] {
        assert_eq!(reply.status, 202, "{}", reply.body);
        assert_eq!(
            (&reply.body["attempt"], &reply.body["state"]),
            (&json!(1), &json!("recounting"))
        );
    }
    let parts = services.bus.take_recounts();
    let total = services.store.parts() as usize;
    let distinct: std::collections::BTreeSet<u32> = parts.iter().map(|p| p.part).collect();
    assert_eq!((parts.len(), distinct.len()), (total, total));

    // WHEN every part but one is counted, one of them twice (a redelivery)
    count_parts(&services, &parts[..total - 1]).await;
    count_parts(&services, &parts[..1]).await;

    // THEN the job shows its progress, and nothing is final yet
    let progress = certification(&services, &fixture, HttpFunction::GetCertification).await;
    assert_eq!(progress.status, 200, "{}", progress.body);
    assert_eq!(
        (&progress.body["partsDone"], &progress.body["parts"]),
        (&json!(total - 1), &json!(total))
    );
    assert_eq!(progress.body["state"], "recounting");
    let results = get_results(&services.store, &services.clock, Some(&commission()), &fixture.election)
        .await
        .unwrap();
    assert!(!results.is_final);

    // WHEN the last part is counted
    count_parts(&services, &parts[total - 1..]).await;

    // THEN the results are final, by the officer who asked, with the recount's figures;
    // a further request answers the certified job
    let done = certification(&services, &fixture, HttpFunction::GetCertification).await;
    assert_eq!(
        (&done.body["state"], &done.body["partsDone"]),
        (&json!("certified"), &json!(total))
    );
    let results = get_results(&services.store, &services.clock, Some(&commission()), &fixture.election)
        .await
        .unwrap();
    assert!(results.is_final);
    assert_eq!(
        (results.total_votes, results.certified_by.as_deref()),
        (3, Some("officer"))
    );
    let after = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!((after.status, &after.body["state"]), (200, &json!("certified")));
    assert_eq!(after.body["partsDone"], json!(total), "{}", after.body);
    assert!(services.bus.take_recounts().is_empty());
}

#[tokio::test]
async fn a_recount_that_differs_is_refused_and_the_next_request_starts_a_new_attempt() {
    let (mut services, fixture) = setup(at(STARTS)).await;
    // A ballot the results have not counted
    votes_then_close(&mut services, &fixture, &["voter-1"], false).await;

    certification(&services, &fixture, HttpFunction::CertifyResults).await;
    let first_attempt = services.bus.take_recounts();
    count_parts(&services, &first_attempt).await;

    // THEN the attempt is refused, says why, and nothing is final
    refused_and_provisional(&services, &fixture, "1 ballots, 0 counted").await;

    // WHEN the operator repairs the results and the commission asks again
    recount(&services.store, &services.clock, &fixture.election, true)
        .await
        .unwrap();
    let second = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!(
        (second.status, &second.body["attempt"]),
        (202, &json!(2)),
        "{}",
        second.body
    );
    let second_attempt = services.bus.take_recounts();

    // THEN the first attempt's parts, delivered again, count for nothing
    count_parts(&services, &first_attempt).await;
    let progress = certification(&services, &fixture, HttpFunction::GetCertification).await;
    assert_eq!(progress.body["partsDone"], 0, "{}", progress.body);

    // and the second attempt certifies
    count_parts(&services, &second_attempt).await;
    let results = get_results(&services.store, &services.clock, Some(&commission()), &fixture.election)
        .await
        .unwrap();
    assert!(results.is_final);
    assert_eq!(results.total_votes, 1);
}

/// The fixture's clock moved `by` from now.
fn later(services: &mut TestServices, by: TimeDelta) {
    services.clock = FixedClock(services.clock.0 + by);
}

/// Longer than a stalled job is left alone.
fn past_the_stall() -> TimeDelta {
    TimeDelta::from_std(Bounds::DEFAULT.recount_stall).unwrap() + TimeDelta::seconds(1)
}

#[tokio::test]
async fn a_job_whose_parts_were_lost_has_them_sent_again_and_is_given_up_after_three_resends() {
    let (mut services, fixture) = setup(certifiable()).await;
    certification(&services, &fixture, HttpFunction::CertifyResults).await;
    let parts = services.bus.take_recounts();
    // One part is counted; the others' messages are lost
    count_parts(&services, &parts[..1]).await;

    // A request before the stall bound joins without sending anything
    certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert!(services.bus.take_recounts().is_empty());

    // One after it sends the parts left, and only those, and the job has moved: a request
    // right after sends nothing more
    later(&mut services, past_the_stall());
    let resumed = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!(
        (resumed.status, &resumed.body["attempt"], &resumed.body["resends"]),
        (202, &json!(1), &json!(1))
    );
    let sent = services.bus.take_recounts();
    assert_eq!(sent.len(), parts.len() - 1);
    assert!(sent.iter().all(|p| p.part != parts[0].part));
    certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert!(services.bus.take_recounts().is_empty());

    // Lost twice more; after the third resend stalls too, the attempt is given up, and says so
    for _ in 0..2 {
        later(&mut services, past_the_stall());
        certification(&services, &fixture, HttpFunction::CertifyResults).await;
        assert_eq!(services.bus.take_recounts().len(), parts.len() - 1);
    }
    later(&mut services, past_the_stall());
    let given_up = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    given_up.assert_problem(409, "not-certifiable");
    assert!(
        given_up.body["detail"]
            .as_str()
            .unwrap()
            .contains("not counted after 3 resends"),
        "{}",
        given_up.body
    );

    // The next request starts attempt 2, which its workers finish
    let second = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!(
        (second.status, &second.body["attempt"]),
        (202, &json!(2)),
        "{}",
        second.body
    );
    count_parts(&services, &services.bus.take_recounts()).await;
    let done = certification(&services, &fixture, HttpFunction::GetCertification).await;
    assert_eq!(done.body["state"], "certified", "{}", done.body);
}

#[tokio::test]
async fn a_job_counted_whole_whose_last_worker_stopped_is_finished_by_the_next_request() {
    let (mut services, fixture) = setup(certifiable()).await;
    certification(&services, &fixture, HttpFunction::CertifyResults).await;
    // Every part's count is kept, but no worker finished the attempt (the last one stopped
    // between its count and the finish)
    let at = services.clock.0;
    let counted = services
        .bus
        .take_recounts()
        .into_iter()
        .map(|part| certification_job::part_counted(&part, PartCount::default(), at, at))
        .collect();
    services.store.apply(View::Dashboard, counted).await.unwrap();
    let stuck = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!((stuck.status, &stuck.body["partsDone"]), (202, &stuck.body["parts"]));

    // WHEN a request comes after the stall bound THEN it finishes the attempt itself
    later(&mut services, past_the_stall());
    let finished = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!(
        (finished.status, &finished.body["state"]),
        (200, &json!("certified")),
        "{}",
        finished.body
    );
    assert!(services.bus.take_recounts().is_empty());
}

#[tokio::test]
async fn parts_that_cannot_be_sent_refuse_the_attempt_and_the_next_request_starts_another() {
    let (services, fixture) = setup(certifiable()).await;
    services
        .bus
        .refuses_recounts
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let unsent = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    unsent.assert_problem(503, "service-unavailable");
    let job = certification(&services, &fixture, HttpFunction::GetCertification).await;
    assert_eq!(job.body["state"], "refused", "{}", job.body);
    assert!(
        job.body["refusal"].as_str().unwrap().contains("could not be sent"),
        "{}",
        job.body
    );

    services
        .bus
        .refuses_recounts
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let again = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    assert_eq!(
        (again.status, &again.body["attempt"]),
        (202, &json!(2)),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn a_ballot_counted_while_the_recount_reads_the_box_refuses_the_attempt() {
    let (mut services, fixture) = setup(at(STARTS)).await;
    votes_then_close(&mut services, &fixture, &["voter-1", "voter-2"], true).await;
    certification(&services, &fixture, HttpFunction::CertifyResults).await;
    let parts = services.bus.take_recounts();
    count_parts(&services, &parts[..parts.len() - 1]).await;

    // WHEN a ballot is counted into the results after the parts' reads began (one that
    // committed past every bound, and is in the box too)
    later(&mut services, TimeDelta::seconds(1));
    let late = BallotCast::of(&services.store.snapshot().ballots.values().next().unwrap().clone());
    let late = DomainEvent::BallotCast(BallotCast {
        event_id: "BallotCast-late".into(),
        receipt_id: ReceiptId::new(),
        ..late
    });
    project_dashboard(&services.store, &services.clock, &[late])
        .await
        .unwrap();
    count_parts(&services, &parts[parts.len() - 1..]).await;

    // THEN the attempt is refused, and the results stay provisional
    refused_and_provisional(&services, &fixture, "while the recount read").await;
}

#[tokio::test]
async fn final_results_are_never_certified_again() {
    let (services, fixture) = setup(certifiable()).await;
    // Results made final without a job (as a deployment before jobs did)
    let (row, change) = dashboard::certification(&fixture.election, &Default::default(), 0, "officer", certifiable());
    let certified = Effect::new(Guard::Once(RowKey::Applied("certified".into())), vec![(row, change)]);
    services.store.apply(View::Dashboard, vec![certified]).await.unwrap();

    let again = certification(&services, &fixture, HttpFunction::CertifyResults).await;
    again.assert_problem(409, "not-certifiable");
    assert!(
        again.body["detail"].as_str().unwrap().contains("certified already"),
        "{}",
        again.body
    );
    assert!(services.bus.take_recounts().is_empty());
}

#[tokio::test]
async fn a_kms_that_never_answers_gives_503_within_the_operation_bound_and_stores_nothing() {
    // KMS, which seals the voter's choice, accepts connections and then says nothing.
    let aws = support::aws_at(&support::silent_endpoint().await).await;
    let keys = KeyIds {
        seal: Some("alias/ballots".into()),
        identity: Some("alias/voters".into()),
        mix: Some("alias/mix".into()),
    };
    let sealer = KmsKeys::from_config(&aws, keys);
    let (services, fixture) = setup_sealed(at("2027-03-01T12:00:00Z"), sealer).await;

    let started = std::time::Instant::now();
    let reply = call(
        &services,
        HttpFunction::CastVote,
        "/elections/{electionId}/votes",
        &[("electionId", fixture.election.to_string())],
        Some(("voter-1", "[voter]")),
        &json!({ "candidateId": fixture.candidate }).to_string(),
    )
    .await;

    reply.assert_problem(503, "service-unavailable");
    let took = started.elapsed();
    assert!(
        took < Bounds::DEFAULT.operation + std::time::Duration::from_secs(1),
        "took {took:?}"
    );
    assert!(services.store.participations_stored().is_empty() && services.store.snapshot().ballots.is_empty());
}
