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
