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
    pub issuers: local_runner::jwt::LocalIssuers,
}

impl Api {
    pub fn token(&self, sub: &str, group: &str) -> String {
        self.issuers.token(sub, &[group.to_owned()], Duration::from_secs(7200))
    }

    /// The status (0: no reply) and the body.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
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

/// An election with five candidates and `votes` voters on its roll, uploaded (before the
/// faults are armed) as the commission would: returns once it is open, with its id, the
/// candidates' ids and the voters' identity keys.
pub async fn election(api: &Api, votes: usize) -> Result<(String, Vec<String>, Vec<String>), String> {
    let commission = api.token("chaos-commission", "commission");
    // Time to import the roll before it closes: 20 s, and a second per 500 voters.
    let opens = Utc::now() + TimeDelta::seconds(20 + votes as i64 / 500);
    // It closes soon after the votes (60 ms a vote; 1,000 take 25 to 35 s here), so that the
    // mixer's final flush comes within the run; a vote still in flight at the close is
    // refused, or committed inside the bound.
    let closes = opens + TimeDelta::milliseconds(60_000.max(votes as i64 * 60));
    let body = json!({"name": "Chaos election", "votingStartsAt": opens, "votingEndsAt": closes});
    let election = api.created("/elections", &commission, &body, "electionId").await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let voters: Vec<String> = (0..votes).map(|i| format!("chaos-{run}-{i}")).collect();
    local_runner::roll_upload::upload_roll(
        &api.http,
        &api.base,
        &commission,
        &election,
        &voters,
        &["Chaos".to_owned()],
        Duration::from_secs(300),
    )
    .await?;
    let mut candidates = Vec::new();
    for n in 1..=5 {
        let body = json!({"ballotNumber": n, "party": format!("Party {n}"), "name": format!("Candidate {n}"),
                          "userId": format!("chaos-candidate-{n}")});
        let path = format!("/elections/{election}/candidates");
        candidates.push(api.created(&path, &commission, &body, "candidateId").await?);
    }
    tokio::time::sleep((opens - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50)).await;
    Ok((election, candidates, voters))
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

/// Casts a vote for each of `roll` (the voters' identity keys) from `clients` clients;
/// `started` counts the voters who have begun.
pub async fn cast(
    api: Arc<Api>,
    election: &str,
    candidates: &[String],
    roll: Arc<Vec<String>>,
    clients: usize,
    started: Arc<AtomicUsize>,
) -> Vec<Voter> {
    let voters: Arc<Mutex<Vec<Voter>>> = Arc::default();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (api, voters, started, roll) = (api.clone(), voters.clone(), started.clone(), roll.clone());
            let (path, candidates) = (format!("/elections/{election}/votes"), candidates.to_vec());
            tokio::spawn(async move {
                loop {
                    let i = started.fetch_add(1, Ordering::SeqCst);
                    let Some(sub) = roll.get(i).cloned() else {
                        break;
                    };
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
