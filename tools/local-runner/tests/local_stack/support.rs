//! An HTTP client for the local API, tokens, and direct access to the local tables for
//! checking what was (not) written.

use chrono::{DateTime, Utc};
use local_runner::clients::{Clients, Ports};
use local_runner::jwt;
use local_runner::template::Template;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// Held by tests that add rules to the bus or count them, so that they do not see each
/// other's.
pub fn bus_rules_lock() -> &'static tokio::sync::Mutex<()> {
    static LOCK: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

/// A queue's URL, by its local name (the template's logical id).
pub async fn queue_url(clients: &Clients, name: &str) -> String {
    let (url, _) = local_runner::operations::queue(&clients.sqs, name)
        .await
        .expect("the queue exists");
    url
}

/// Held by the tests that leave messages in the pipeline's dead-letter queues, or need them
/// empty, so that one does not see or clear the other's.
pub fn set_aside_lock() -> &'static tokio::sync::Mutex<()> {
    static LOCK: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

pub struct Api {
    pub base: String,
    http: reqwest::Client,
    pub issuers: jwt::LocalIssuers,
}

/// A reply: status and JSON body (`Null` when empty).
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// Its `Cache-Control` header, if any.
    pub cache_control: Option<String>,
}

impl Api {
    pub fn from_env() -> Self {
        Self::at(std::env::var("OMP_API_URL").expect("OMP_API_URL names the local stack's API"))
    }

    /// A client of the API served at `base`, with tokens from the identity providers of
    /// the stack under test.
    pub fn at(base: String) -> Self {
        Self {
            issuers: jwt::LocalIssuers::from_env(),
            base,
            http: reqwest::Client::new(),
        }
    }

    pub fn token(&self, sub: &str, groups: &[&str]) -> String {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        self.issuers.token(sub, &groups, Duration::from_secs(600))
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the local API answers");
        let status = response.status().as_u16();
        let cache_control = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            cache_control,
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }
}

/// A binary of this workspace (the test command builds them all before the tests).
pub fn workspace_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let binary = target.join("debug").join(name);
    assert!(
        binary.exists(),
        "{} is not built: cargo build --workspace",
        binary.display()
    );
    binary
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR")).join("../..")
}

pub fn template() -> Template {
    Template::load(&repo_root().join("template.yaml")).expect("template.yaml parses")
}

pub async fn clients() -> Clients {
    Clients::local(Ports::from_env()).await
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// Every item of `table` (a scan, for tests only), optionally those of one election.
pub async fn scan_table(clients: &Clients, table: &str, election_id: Option<&str>) -> Vec<Item> {
    let mut scan = clients.dynamodb.scan().table_name(table).consistent_read(true);
    if let Some(election) = election_id {
        scan = scan
            .filter_expression("electionId = :e")
            .expression_attribute_values(":e", aws_sdk_dynamodb::types::AttributeValue::S(election.to_owned()));
    }
    scan.into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("table scan")
}

/// The participations in one election (its roll's entries that voted), read directly from
/// DynamoDB Local.
pub async fn stored_participations(clients: &Clients, election_id: &str) -> Vec<Item> {
    let mut entries = scan_table(clients, &template().names["PARTICIPATION_TABLE"], Some(election_id)).await;
    entries.retain(|entry| entry.contains_key("votedAt"));
    entries
}

/// The ballots of one election in the ballot box, read directly from DynamoDB Local (not
/// the copies waiting in the mixer's pools there).
pub async fn stored_ballots(clients: &Clients, election_id: &str) -> Vec<Item> {
    let mut items = scan_table(clients, &template().names["BALLOT_BOX_TABLE"], Some(election_id)).await;
    items.retain(|item| item.get("entity") == Some(&aws_sdk_dynamodb::types::AttributeValue::S("ballot".into())));
    items
}

/// The ballots of one election once the mixer has written `expected` of them (it writes
/// each vote's ballot a moment after the vote), or what is there after 30 s.
pub async fn mixed_ballots(clients: &Clients, election_id: &str, expected: usize) -> Vec<Item> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let ballots = stored_ballots(clients, election_id).await;
        if ballots.len() >= expected || std::time::Instant::now() > deadline {
            return ballots;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Everything a vote in one election writes: its participations and its ballots.
pub async fn stored_votes(clients: &Clients, election_id: &str) -> Vec<Item> {
    let mut items = stored_participations(clients, election_id).await;
    items.extend(stored_ballots(clients, election_id).await);
    items
}

pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// An item as text with its attributes in order, so that equal items print equal.
fn canonical(item: &Item) -> String {
    let ordered: std::collections::BTreeMap<&String, String> =
        item.iter().map(|(k, v)| (k, format!("{v:?}"))).collect();
    format!("{ordered:?}")
}

/// Every command-table item that belongs to an election: the election, its candidates,
/// their pledges, its votes. Two equal footprints mean nothing of that election was
/// written in between.
pub async fn footprint(clients: &Clients, election_id: &str) -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let env = template().names;
    let mut items: Vec<Item> = Vec::new();
    let election = clients
        .dynamodb
        .get_item()
        .table_name(&env["ELECTIONS_TABLE"])
        .key("electionId", AttributeValue::S(election_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("elections read");
    items.extend(election.item);
    let candidates = clients
        .dynamodb
        .scan()
        .table_name(&env["CANDIDATES_TABLE"])
        .filter_expression("electionId = :e")
        .expression_attribute_values(":e", AttributeValue::S(election_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("candidates scan")
        .items
        .unwrap_or_default();
    for candidate in candidates {
        let pledges = clients
            .dynamodb
            .query()
            .table_name(&env["PLEDGES_TABLE"])
            .key_condition_expression("candidateId = :c")
            .expression_attribute_values(":c", candidate["id"].clone())
            .consistent_read(true)
            .send()
            .await
            .expect("pledges query");
        items.extend(pledges.items.unwrap_or_default());
        items.push(candidate);
    }
    items.extend(stored_votes(clients, election_id).await);
    let mut texts: Vec<String> = items.iter().map(canonical).collect();
    texts.sort();
    texts
}

/// Polls `GET path` until `done` holds on the body, for at most 30 s (the pipeline takes a
/// second or two, more on a loaded 2-core machine); returns the last body.
pub async fn eventually(api: &Api, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let reply = api.get(path, token).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        if done(&reply.body) || std::time::Instant::now() > deadline {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
