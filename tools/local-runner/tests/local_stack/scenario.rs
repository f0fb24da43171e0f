//! The original system's story, end to end over HTTP: one election, three candidates who
//! each add two pledges and delete one, twenty voters, and a withdrawal mid-vote.

use crate::support::{eventually, unique, Api};
use crate::walking_skeleton::{new_voters, open_election, results_within_30s, vote, votes_of};
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

struct Candidate {
    id: String,
    name: String,
    ballot: u64,
    account: String,
}

/// A vote as its voter knows it: who they are, whom they chose, the receipt they got.
pub struct KnownVote {
    pub election: String,
    pub voter: String,
    pub candidate: String,
    pub receipt: String,
}

#[tokio::test]
async fn an_election_with_pledges_twenty_voters_and_a_withdrawal_mid_vote() {
    run(&Api::from_env()).await;
}

/// Runs the story and checks every view; returns the twenty votes cast.
pub async fn run(api: &Api) -> Vec<KnownVote> {
    let commission = api.token(&unique("officer"), &["commission"]);
    let admin = api.token(&unique("admin"), &["admin"]);

    // GIVEN an open election with three candidates
    let voters = new_voters(20);
    let election = open_election(api, &commission, &voters, TimeDelta::hours(1)).await;
    let mut candidates = Vec::new();
    for (ballot, name) in [(1, "Ada Lovelace"), (2, "Grace Hopper"), (3, "Alan Turing")] {
        let sub = unique("candidate");
        let body = json!({"ballotNumber": ballot, "party": format!("Party {ballot}"), "name": name, "userId": sub});
        let reply = api
            .post(&format!("/elections/{election}/candidates"), &commission, &body)
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let id = reply.body["candidateId"].as_str().unwrap().to_owned();
        candidates.push(Candidate {
            id,
            name: name.to_owned(),
            ballot,
            account: api.token(&sub, &["candidate"]),
        });
    }

    // AND each candidate adds two pledges and deletes one
    for c in &candidates {
        let mut ids = Vec::new();
        for title in ["First pledge", "Second pledge"] {
            let body = json!({"theme": "Economy", "title": title, "description": format!("{title} of {}", c.name)});
            let reply = api
                .post(&format!("/candidates/{}/pledges", c.id), &c.account, &body)
                .await;
            assert_eq!(reply.status, 201, "{}", reply.body);
            ids.push(reply.body["pledgeId"].as_str().unwrap().to_owned());
        }
        let delete = format!("/candidates/{}/pledges/{}", c.id, ids[0]);
        assert_eq!(
            api.send(Method::DELETE, &delete, Some(&c.account), None).await.status,
            204
        );
    }

    // WHEN twenty voters vote, and the third candidate withdraws after the first ten
    let voters: Vec<(String, String)> = voters
        .iter()
        .map(|sub| (sub.clone(), api.token(sub, &["voter"])))
        .collect();
    let mut choice: HashMap<usize, usize> = HashMap::new();
    let mut receipts: HashMap<usize, String> = HashMap::new();
    for (i, (_, token)) in voters.iter().enumerate().take(10) {
        let pick = i % 3;
        let reply = vote(api, token, &election, &candidates[pick].id).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        choice.insert(i, pick);
        receipts.insert(i, reply.body["receiptId"].as_str().unwrap().to_owned());
    }
    let withdraw = format!("/elections/{election}/candidates/{}", candidates[2].id);
    assert_eq!(
        api.send(Method::DELETE, &withdraw, Some(&commission), None)
            .await
            .status,
        204
    );
    // The bound the vote path promises: a withdrawal stops new votes within LOOKUP_TTL.
    tokio::time::sleep(election_core::ports::LOOKUP_TTL).await;
    for (i, (_, token)) in voters.iter().enumerate().skip(10) {
        if i == 10 {
            let refused = vote(api, token, &election, &candidates[2].id).await;
            assert_eq!(
                (refused.status, refused.body["code"].as_str()),
                (409, Some("candidate-withdrawn"))
            );
        }
        let pick = i % 2;
        let reply = vote(api, token, &election, &candidates[pick].id).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        choice.insert(i, pick);
        receipts.insert(i, reply.body["receiptId"].as_str().unwrap().to_owned());
    }
    let last_vote = Instant::now();

    // THEN within 30 s the results, total and pledge counts are exact
    let expected: Vec<u64> = (0..3)
        .map(|c| choice.values().filter(|p| **p == c).count() as u64)
        .collect();
    let results = results_within_30s(api, &admin, &election, |r| {
        r["totalVotes"] == 20 && r["candidates"][2]["withdrawn"] == true && r["candidates"][2]["pledgeCount"] == 0
    })
    .await;
    assert!(
        last_vote.elapsed() < Duration::from_secs(10),
        "views took {:?}",
        last_vote.elapsed()
    );
    assert_eq!(results["totalVotes"], 20, "{results}");
    for (i, c) in candidates.iter().enumerate() {
        let row = &results["candidates"][i];
        assert_eq!(row["candidateId"], c.id.as_str(), "{results}");
        assert_eq!(votes_of(&results, &c.id), expected[i], "{results}");
        assert_eq!(row["withdrawn"], i == 2, "{results}");
        assert_eq!(row["pledgeCount"], if i == 2 { 0 } else { 1 }, "{results}");
        let live = eventually(api, &format!("/candidates/{}", c.id), &admin, |b| {
            b["pledgeCount"] == row["pledgeCount"]
        })
        .await;
        assert_eq!(live["pledgeCount"], row["pledgeCount"], "{live}");
        let pledges = api.get(&format!("/candidates/{}/pledges", c.id), &admin).await.body;
        assert_eq!(
            pledges["items"].as_array().map(Vec::len),
            Some(if i == 2 { 0 } else { 1 }),
            "{pledges}"
        );
    }

    // AND every voter sees exactly their own vote
    for (i, (_, token)) in voters.iter().enumerate() {
        let mine = eventually(api, "/me/votes", token, |b| {
            b["items"].as_array().is_some_and(|v| v.len() == 1)
        })
        .await;
        let items = mine["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{mine}");
        let c = &candidates[choice[&i]];
        assert_eq!(items[0]["electionId"], election.as_str());
        assert_eq!(items[0]["candidateId"], c.id.as_str());
        assert_eq!(items[0]["candidateName"], c.name.as_str());
        assert_eq!(items[0]["ballotNumber"], c.ballot);
        assert_eq!(items[0]["candidateWithdrawn"], choice[&i] == 2);
        assert_eq!(items[0]["receiptId"], receipts[&i].as_str());
    }
    voters
        .into_iter()
        .enumerate()
        .map(|(i, (voter, _))| KnownVote {
            election: election.clone(),
            voter,
            candidate: candidates[choice[&i]].id.clone(),
            receipt: receipts[&i].clone(),
        })
        .collect()
}
