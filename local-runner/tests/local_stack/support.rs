//! An HTTP client for the local API, tokens, and direct access to the local tables for
//! checking what was (not) written.

use chrono::{DateTime, Utc};
use local_runner::clients::{Clients, Ports};
use local_runner::jwt;
use local_runner::template::Template;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

pub struct Api {
    base: String,
    http: reqwest::Client,
    secret: String,
}

/// A reply: status and JSON body (`Null` when empty).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Api {
    pub fn from_env() -> Self {
        let base = std::env::var("OMP_API_URL").unwrap_or_else(|_| {
            panic!("OMP_API_URL is not set: these tests need the local stack. Run scripts/test.sh, or scripts/start.sh and OMP_API_URL=http://127.0.0.1:3000 cargo test")
        });
        Self {
            base,
            http: reqwest::Client::new(),
            secret: jwt::secret_from_env(),
        }
    }

    pub fn token(&self, sub: &str, groups: &[&str]) -> String {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        jwt::mint(&self.secret, sub, &groups, Duration::from_secs(600))
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
        let text = response.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
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

/// Number of items in the votes table for one election, read directly from DynamoDB Local.
pub async fn stored_votes(
    clients: &Clients,
    election_id: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let table = template().environment["VOTES_TABLE"].clone();
    clients
        .dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("electionId = :e")
        .expression_attribute_values(":e", aws_sdk_dynamodb::types::AttributeValue::S(election_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("votes table query")
        .items
        .unwrap_or_default()
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

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
    let env = template().environment;
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

/// Polls `GET path` until `done` holds on the body, for at most 10 s; returns the last body.
pub async fn eventually(api: &Api, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = api.get(path, token).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        if done(&reply.body) || std::time::Instant::now() > deadline {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
