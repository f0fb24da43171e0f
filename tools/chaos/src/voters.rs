//! The voters: one election with five candidates, and `votes` voters who each cast one vote
//! through the API from `clients` concurrent clients. One in a hundred asks for a candidate
//! who does not stand (refused, nothing may be stored); one in fifty votes a second time
//! (refused, nothing more may be stored). Every reply is kept, per voter.

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub secret: String,
}

impl Api {
    pub fn token(&self, sub: &str, group: &str) -> String {
        local_runner::jwt::mint(&self.secret, sub, &[group.to_owned()], Duration::from_secs(7200))
    }

    /// The status (0: no reply) and the body.
    async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let sent = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await;
        match sent {
            Ok(reply) => (reply.status().as_u16(), reply.json().await.unwrap_or(Value::Null)),
            Err(_) => (0, Value::Null),
        }
    }

    async fn created(&self, path: &str, token: &str, body: &Value, id: &str) -> Result<String, String> {
        match self.post(path, token, body).await {
            (201, created) => Ok(created[id].as_str().unwrap_or_default().to_owned()),
            (status, problem) => Err(format!("POST {path}: {status} {problem}")),
        }
    }
}

/// An election open now with five candidates: its id and theirs.
pub async fn election(api: &Api) -> Result<(String, Vec<String>), String> {
    let commission = api.token("chaos-commission", "commission");
    let now = Utc::now();
    let body = json!({"name": "Chaos election", "votingStartsAt": now - TimeDelta::minutes(1),
                      "votingEndsAt": now + TimeDelta::hours(2)});
    let election = api.created("/elections", &commission, &body, "electionId").await?;
    let mut candidates = Vec::new();
    for n in 1..=5 {
        let body = json!({"ballotNumber": n, "party": format!("Party {n}"), "name": format!("Candidate {n}"),
                          "userId": format!("chaos-candidate-{n}")});
        let path = format!("/elections/{election}/candidates");
        candidates.push(api.created(&path, &commission, &body, "candidateId").await?);
    }
    Ok((election, candidates))
}

/// One reply to a vote: its status (0: none came), the receipt it gave, or its problem code.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub receipt: Option<String>,
    pub code: Option<String>,
}

/// A voter and every reply they got.
#[derive(Debug)]
pub struct Voter {
    pub sub: String,
    pub replies: Vec<Reply>,
}

/// Casts `votes` votes from `clients` clients; `started` counts the voters who have begun.
pub async fn cast(
    api: Arc<Api>,
    election: &str,
    candidates: &[String],
    votes: usize,
    clients: usize,
    started: Arc<AtomicUsize>,
) -> Vec<Voter> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let voters: Arc<Mutex<Vec<Voter>>> = Arc::default();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (api, voters, started, run) = (api.clone(), voters.clone(), started.clone(), run.clone());
            let (path, candidates) = (format!("/elections/{election}/votes"), candidates.to_vec());
            tokio::spawn(async move {
                loop {
                    let i = started.fetch_add(1, Ordering::SeqCst);
                    if i >= votes {
                        break;
                    }
                    let sub = format!("chaos-{run}-{i}");
                    let token = api.token(&sub, "voter");
                    let candidate = if i % 100 == 37 {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        candidates[i % candidates.len()].clone()
                    };
                    let body = json!({ "candidateId": candidate });
                    let mut replies = Vec::new();
                    for _ in 0..if i % 50 == 11 { 2 } else { 1 } {
                        let (status, reply) = api.post(&path, &token, &body).await;
                        let receipt = reply["receiptId"].as_str().map(str::to_owned);
                        let code = reply["code"].as_str().map(str::to_owned);
                        replies.push(Reply { status, receipt, code });
                    }
                    voters
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(Voter { sub, replies });
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let mut voters = voters.lock().unwrap_or_else(|p| p.into_inner());
    std::mem::take(&mut *voters)
}
