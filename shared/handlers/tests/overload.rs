//! Overload fails fast: when DynamoDB does not answer, or cannot be reached, a vote gets
//! a 503 with `Retry-After` within a few seconds — never a hang, never a bare 500. Runs
//! the real DynamoDB adapter against a local socket that never answers.

mod support;

use adapters::dynamodb::{DynamoStore, Table, Tables};
use adapters::memory::{RecordingBus, TestSealer};
use election_core::clock::SystemClock;
use handlers::functions::HttpFunction;
use handlers::http::event::{http_api_event, http_request, HttpApiRequest};
use handlers::services::{Services, Unused};
use lambda_http::http::header::RETRY_AFTER;
use lambda_http::http::{HeaderMap, Method};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

async fn store(endpoint: String) -> DynamoStore {
    let aws = support::aws_at(&endpoint).await;
    let tables = Table::ALL.into_iter().fold(Tables::default(), |tables, table| {
        tables.with(table, format!("{table:?}"))
    });
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), tables)
}

async fn cast_vote(store: DynamoStore) -> (lambda_http::Response<lambda_http::Body>, Duration) {
    let services = Services {
        store,
        bus: RecordingBus::default(),
        clock: SystemClock,
        sealer: TestSealer,
        files: Unused,
        bounds: election_core::bounds::Bounds::DEFAULT,
        mix_batch: 1,
        voter_identity_claim: handlers::services::DEFAULT_VOTER_IDENTITY_CLAIM.to_owned(),
        tokens: support::tokens(),
    };
    let election = "6f1c1d52-4a63-4c1e-9d9c-9a3f4c1b2a10";
    let event = http_api_event(HttpApiRequest {
        method: Method::POST,
        route_path: "/elections/{electionId}/votes",
        raw_path: "/elections/x/votes",
        raw_query: "",
        headers: &HeaderMap::from_iter([(
            "authorization".parse().unwrap(),
            support::bearer("voter-1", "[voter]").parse().unwrap(),
        )]),
        path_parameters: HashMap::from([("electionId".to_owned(), election.to_owned())]),
        claims: Some(HashMap::from([
            ("sub".into(), "voter-1".into()),
            ("cognito:groups".into(), "[voter]".into()),
        ])),
        body: br#"{"candidateId":"0b8f3f6e-8a43-4c55-9a6e-3f1f8b2d9c11"}"#,
    });
    let request = http_request(event);
    let started = Instant::now();
    let response = services.http(HttpFunction::CastVote, request).await;
    (response, started.elapsed())
}

fn assert_busy(response: &lambda_http::Response<lambda_http::Body>) {
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let lambda_http::Body::Text(text) = response.body() else {
        panic!("problem body")
    };
    let problem: Value = serde_json::from_str(text).unwrap();
    assert_eq!(problem["code"], "service-unavailable");
    assert!(problem["detail"].as_str().unwrap().contains("try again"), "{problem}");
    assert!(
        !text.contains("dispatch") && !text.contains("timeout"),
        "no internals: {text}"
    );
}

#[tokio::test]
async fn a_database_that_never_answers_gives_503_within_the_operation_timeout() {
    let (response, took) = cast_vote(store(support::silent_endpoint().await).await).await;
    assert_busy(&response);
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[tokio::test]
async fn an_unreachable_database_gives_503_at_once() {
    // Bind and drop: nothing listens on this port any more.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (response, took) = cast_vote(store(format!("http://{address}")).await).await;
    assert_busy(&response);
    assert!(took < Duration::from_secs(4), "took {took:?}");
}
