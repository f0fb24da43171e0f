//! Every route over HTTP on the local stack, with its refusals. Each refusal leaves the
//! election's footprint in the command tables exactly as it was.

use crate::support::{clients, eventually, footprint, scan_table, template, unique, Api, Reply};
use crate::walking_skeleton::{
    enroll, new_voters, open_election, register_candidate, register_election, results_within_30s, vote, votes_of,
};
use chrono::{TimeDelta, Utc};
use reqwest::Method;
use serde_json::{json, Value};

/// A commission, an election open now with four voters on its roll, and one candidate whose
/// account is `owner`.
struct Stage {
    api: Api,
    commission: String,
    election: String,
    candidate: String,
    owner: String,
    /// The voters on the roll (their identity keys).
    voters: Vec<String>,
}

impl Stage {
    /// The token of the `n`th voter on the roll.
    fn voter(&self, n: usize) -> String {
        self.api.token(&self.voters[n], &["voter"])
    }
}

async fn stage() -> Stage {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(4);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let owner_sub = unique("candidate");
    let body = json!({"ballotNumber": 1, "party": "Blue Horizon", "name": "Ada Lovelace", "userId": owner_sub});
    let reply = api
        .post(&format!("/elections/{election}/candidates"), &commission, &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let candidate = reply.body["candidateId"].as_str().unwrap().to_owned();
    let owner = api.token(&owner_sub, &["candidate"]);
    Stage {
        api,
        commission,
        election,
        candidate,
        owner,
        voters,
    }
}

/// Sleeps until a wall-clock instant (no-op if it has passed).
async fn sleep_until(instant: chrono::DateTime<Utc>) {
    if let Ok(wait) = (instant - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// Asserts a problem+json refusal that wrote nothing of `election`.
async fn refused(election: &str, status: u16, code: Option<&str>, request: impl std::future::Future<Output = Reply>) {
    let clients = clients().await;
    let before = footprint(&clients, election).await;
    let reply = request.await;
    assert_eq!(reply.status, status, "{}", reply.body);
    if let Some(code) = code {
        assert_eq!(reply.body["code"], code, "{}", reply.body);
    }
    assert_eq!(
        footprint(&clients, election).await,
        before,
        "a refused request wrote something"
    );
}

const NO_SUCH_ID: &str = "00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn elections_are_registered_listed_and_read_with_their_status() {
    let s = stage().await;
    let voter = s.api.token(&unique("voter"), &["voter"]);
    let later = register_election(&s.api, &s.commission, TimeDelta::hours(1), TimeDelta::hours(2)).await;

    let one = s.api.get(&format!("/elections/{}", s.election), &voter).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["status"], "open");
    assert_eq!(
        s.api.get(&format!("/elections/{later}"), &voter).await.body["status"],
        "scheduled"
    );
    let list = s.api.get("/elections", &voter).await;
    assert_eq!(list.status, 200);
    // The same list for everyone: the edge serves the crowd that signs in.
    assert_eq!(list.cache_control.as_deref(), Some("public, max-age=0, s-maxage=5"));
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["electionId"].as_str())
        .collect();
    assert!(ids.contains(&s.election.as_str()) && ids.contains(&later.as_str()));

    assert_eq!(s.api.get(&format!("/elections/{NO_SUCH_ID}"), &voter).await.status, 404);
    assert_eq!(
        s.api.get("/elections/not-an-id", &voter).await.body["code"],
        "invalid-id"
    );
    // Public: no token needed.
    assert_eq!(s.api.send(Method::GET, "/elections", None, None).await.status, 200);
}

#[tokio::test]
async fn bad_elections_are_refused_and_none_is_stored() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let candidate = api.token(&unique("candidate"), &["candidate"]);
    let name = unique("Refused election");
    let good = json!({"name": name, "votingStartsAt": "2030-01-01T00:00:00Z", "votingEndsAt": "2030-01-02T00:00:00Z"});
    let cases = [
        (candidate.as_str(), good.clone(), 403, "forbidden"),
        (
            &commission,
            json!({"name": name, "votingStartsAt": "2030-01-02T00:00:00Z", "votingEndsAt": "2030-01-01T00:00:00Z"}),
            400,
            "invalid-window",
        ),
        (
            &commission,
            json!({"name": name, "votingStartsAt": "2001-01-01T00:00:00Z", "votingEndsAt": "2001-01-02T00:00:00Z"}),
            400,
            "invalid-window",
        ),
        (
            &commission,
            json!({"name": name, "votingStartsAt": "1 Jan 2030", "votingEndsAt": "2030-01-02T00:00:00Z"}),
            400,
            "malformed-body",
        ),
        (
            &commission,
            json!({"name": "", "votingStartsAt": "2030-01-01T00:00:00Z", "votingEndsAt": "2030-01-02T00:00:00Z"}),
            400,
            "malformed-body",
        ),
        (
            &commission,
            json!({"name": name, "votingStartsAt": "2030-01-01T00:00:00Z"}),
            400,
            "malformed-body",
        ),
        (
            &commission,
            json!({"name": name, "votingStartsAt": "2030-01-01T00:00:00Z", "votingEndsAt": "2030-01-02T00:00:00Z", "id": "x"}),
            400,
            "malformed-body",
        ),
    ];
    for (token, body, status, code) in cases {
        let reply = api.post("/elections", token, &body).await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let list = api.get("/elections", &candidate).await.body;
    assert!(
        !list["items"].as_array().unwrap().iter().any(|e| e["name"] == name),
        "a refused election was stored"
    );
}

#[tokio::test]
async fn candidates_are_registered_listed_read_and_their_refusals_write_nothing() {
    let s = stage().await;
    let voter = s.api.token(&unique("voter"), &["voter"]);
    let path = format!("/elections/{}/candidates", s.election);
    let grace = register_candidate(&s.api, &s.commission, &s.election, 2, "Grace Hopper").await;

    let list = s.api.get(&path, &voter).await;
    assert_eq!(list.status, 200);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", list.body);
    assert_eq!(items[0]["ballotNumber"], 1);
    assert_eq!(items[1]["candidateId"], grace.as_str());
    assert!(items
        .iter()
        .all(|c| c["pledgeCount"] == 0 && c["status"] == "registered"));
    let one = s.api.get(&format!("/candidates/{}", s.candidate), &voter).await;
    assert_eq!((one.status, one.body["name"].as_str()), (200, Some("Ada Lovelace")));
    assert_eq!(
        s.api.get(&format!("/candidates/{NO_SUCH_ID}"), &voter).await.status,
        404
    );
    assert_eq!(
        s.api
            .get(&format!("/elections/{NO_SUCH_ID}/candidates"), &voter)
            .await
            .status,
        404
    );

    let clash = json!({"ballotNumber": 1, "party": "P", "name": "Clash", "userId": "u"});
    refused(
        &s.election,
        409,
        Some("ballot-number-taken"),
        s.api.post(&path, &s.commission, &clash),
    )
    .await;
    let good = json!({"ballotNumber": 9, "party": "P", "name": "N", "userId": "u"});
    refused(&s.election, 401, None, s.api.post(&path, &voter, &good)).await;
    refused(
        &s.election,
        401,
        None,
        s.api.send(Method::POST, &path, None, Some(&good)),
    )
    .await;
    let too_long = json!({"ballotNumber": 9, "party": "P", "name": "N".repeat(201), "userId": "u"});
    refused(
        &s.election,
        400,
        Some("malformed-body"),
        s.api.post(&path, &s.commission, &too_long),
    )
    .await;
    let wrong_type = json!({"ballotNumber": "nine", "party": "P", "name": "N", "userId": "u"});
    refused(
        &s.election,
        400,
        Some("malformed-body"),
        s.api.post(&path, &s.commission, &wrong_type),
    )
    .await;
    let reply = s
        .api
        .post(&format!("/elections/{NO_SUCH_ID}/candidates"), &s.commission, &good)
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn a_withdrawn_candidate_keeps_its_votes_and_gets_no_new_ones() {
    let s = stage().await;
    let grace = register_candidate(&s.api, &s.commission, &s.election, 2, "Grace Hopper").await;
    assert_eq!(vote(&s.api, &s.voter(0), &s.election, &s.candidate).await.status, 201);
    let withdraw = format!("/elections/{}/candidates/{}", s.election, s.candidate);
    results_within_30s(&s.api, &s.commission, &s.election, |r| r["totalVotes"] == 1).await;

    let voter = s.voter(1);
    refused(
        &s.election,
        401,
        None,
        s.api.send(Method::DELETE, &withdraw, Some(&voter), None),
    )
    .await;
    refused(
        &s.election,
        403,
        Some("forbidden"),
        s.api.send(Method::DELETE, &withdraw, Some(&s.owner), None),
    )
    .await;
    let elsewhere = stage().await;
    let wrong_election = format!("/elections/{}/candidates/{}", elsewhere.election, s.candidate);
    refused(
        &s.election,
        404,
        None,
        s.api.send(Method::DELETE, &wrong_election, Some(&s.commission), None),
    )
    .await;

    assert_eq!(
        s.api
            .send(Method::DELETE, &withdraw, Some(&s.commission), None)
            .await
            .status,
        204
    );
    refused(
        &s.election,
        409,
        Some("candidate-withdrawn"),
        s.api.send(Method::DELETE, &withdraw, Some(&s.commission), None),
    )
    .await;
    let status = s.api.get(&format!("/candidates/{}", s.candidate), &voter).await.body;
    assert_eq!(status["status"], "withdrawn");
    // The bound the vote path promises: a withdrawal stops new votes within LOOKUP_TTL.
    tokio::time::sleep(election_core::ports::LOOKUP_TTL).await;
    refused(
        &s.election,
        409,
        Some("candidate-withdrawn"),
        vote(&s.api, &voter, &s.election, &s.candidate),
    )
    .await;
    assert_eq!(vote(&s.api, &voter, &s.election, &grace).await.status, 201);

    let results = results_within_30s(&s.api, &s.commission, &s.election, |r| {
        r["totalVotes"] == 2 && r["candidates"][0]["withdrawn"] == true
    })
    .await;
    assert_eq!(votes_of(&results, &s.candidate), 1, "{results}");
    assert_eq!(results["candidates"][0]["withdrawn"], true, "{results}");
    assert_eq!(votes_of(&results, &grace), 1, "{results}");
}

async fn pledge_count(s: &Stage, expected: u64) {
    let body = eventually(&s.api, &format!("/candidates/{}", s.candidate), &s.commission, |c| {
        c["pledgeCount"] == expected
    })
    .await;
    assert_eq!(body["pledgeCount"], expected, "{body}");
}

#[tokio::test]
async fn pledges_are_managed_by_their_candidate_or_the_commission_only() {
    let s = stage().await;
    let rival = stage().await;
    let voter = s.api.token(&unique("voter"), &["voter"]);
    let pledges = format!("/candidates/{}/pledges", s.candidate);
    let pledge =
        json!({"theme": "Education", "title": "Free school meals", "description": "A hot lunch for every pupil."});

    let own = s.api.post(&pledges, &s.owner, &pledge).await;
    assert_eq!(own.status, 201, "{}", own.body);
    let by_commission = s.api.post(&pledges, &s.commission, &pledge).await;
    assert_eq!(by_commission.status, 201, "{}", by_commission.body);
    let rival_pledge = s
        .api
        .post(
            &format!("/candidates/{}/pledges", rival.candidate),
            &rival.owner,
            &pledge,
        )
        .await;
    assert_eq!(rival_pledge.status, 201);
    pledge_count(&s, 2).await;
    pledge_count(&rival, 1).await;
    let listed = s.api.get(&pledges, &voter).await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.body
    );
    assert_eq!(listed.body["items"][0]["title"], "Free school meals");

    refused(
        &s.election,
        403,
        Some("forbidden"),
        s.api.post(&pledges, &rival.owner, &pledge),
    )
    .await;
    refused(&s.election, 401, None, s.api.post(&pledges, &voter, &pledge)).await;
    refused(
        &s.election,
        401,
        None,
        s.api.send(Method::POST, &pledges, None, Some(&pledge)),
    )
    .await;
    let bad_bodies = [
        json!({"theme": "T", "title": "", "description": "D"}),
        json!({"theme": "T", "title": "T", "description": "D".repeat(5_001)}),
        json!({"theme": "T", "title": "T", "description": "D", "candidateId": rival.candidate}),
        json!({"theme": "T", "title": "T"}),
    ];
    for body in &bad_bodies {
        refused(
            &s.election,
            400,
            Some("malformed-body"),
            s.api.post(&pledges, &s.owner, body),
        )
        .await;
    }
    let huge = json!({"theme": "T", "title": "T", "description": "D".repeat(17 * 1024)});
    refused(
        &s.election,
        413,
        Some("payload-too-large"),
        s.api.post(&pledges, &s.owner, &huge),
    )
    .await;
    assert_eq!(
        s.api
            .post(&format!("/candidates/{NO_SUCH_ID}/pledges"), &s.commission, &pledge)
            .await
            .status,
        404
    );

    let own_id = own.body["pledgeId"].as_str().unwrap();
    let rival_id = rival_pledge.body["pledgeId"].as_str().unwrap();
    // Another candidate's pledge: refused through their path, and not found through ours.
    let rivals_path = format!("/candidates/{}/pledges/{rival_id}", rival.candidate);
    refused(
        &rival.election,
        403,
        Some("forbidden"),
        s.api.send(Method::DELETE, &rivals_path, Some(&s.owner), None),
    )
    .await;
    let through_ours = format!("{pledges}/{rival_id}");
    refused(
        &rival.election,
        404,
        None,
        s.api.send(Method::DELETE, &through_ours, Some(&s.owner), None),
    )
    .await;
    refused(
        &s.election,
        401,
        None,
        s.api
            .send(Method::DELETE, &format!("{pledges}/{own_id}"), Some(&voter), None),
    )
    .await;

    assert_eq!(
        s.api
            .send(Method::DELETE, &format!("{pledges}/{own_id}"), Some(&s.owner), None)
            .await
            .status,
        204
    );
    // The count goes down asynchronously; let it settle before checking a refusal writes nothing.
    pledge_count(&s, 1).await;
    refused(
        &s.election,
        404,
        None,
        s.api
            .send(Method::DELETE, &format!("{pledges}/{own_id}"), Some(&s.owner), None),
    )
    .await;
    assert_eq!(
        s.api.get(&pledges, &voter).await.body["items"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        s.api
            .get(&format!("/candidates/{NO_SUCH_ID}/pledges"), &voter)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_ballot_page_is_one_public_cacheable_document() {
    let s = stage().await;
    let second =
        json!({"ballotNumber": 2, "party": "Green Dawn", "name": "Grace Hopper", "userId": unique("candidate")});
    let reply = s
        .api
        .post(&format!("/elections/{}/candidates", s.election), &s.commission, &second)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    for title in ["Free school meals", "Night buses"] {
        let pledge = json!({"theme": "Education", "title": title, "description": "For every pupil."});
        let added = s
            .api
            .post(&format!("/candidates/{}/pledges", s.candidate), &s.owner, &pledge)
            .await;
        assert_eq!(added.status, 201, "{}", added.body);
    }
    // No token: the document names no one and is the same for everyone.
    let ballot = s
        .api
        .send(Method::GET, &format!("/elections/{}/ballot", s.election), None, None)
        .await;
    assert_eq!(ballot.status, 200, "{}", ballot.body);
    assert_eq!(ballot.cache_control.as_deref(), Some("public, max-age=0, s-maxage=5"));
    assert_eq!(ballot.body["election"]["electionId"], s.election.as_str());
    assert_eq!(ballot.body["election"]["status"], "open");
    let candidates = ballot.body["candidates"].as_array().unwrap();
    let numbers: Vec<u64> = candidates.iter().map(|c| c["ballotNumber"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [1, 2], "in ballot order");
    assert_eq!(candidates[0]["candidateId"], s.candidate.as_str());
    let titles: Vec<&str> = candidates[0]["pledges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Free school meals", "Night buses"], "oldest first");
    assert_eq!(candidates[1]["pledges"], json!([]));

    let unknown = format!("/elections/{}/ballot", uuid::Uuid::new_v4());
    assert_eq!(s.api.send(Method::GET, &unknown, None, None).await.status, 404);
    let bad = s.api.send(Method::GET, "/elections/not-an-id/ballot", None, None).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("invalid-id")));
}

#[tokio::test]
async fn votes_are_taken_only_inside_the_window() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    // A window opening in 5 s and closing 3 s later, at instants the test knows exactly,
    // with four voters on its roll.
    let opens = Utc::now() + TimeDelta::seconds(5);
    let closes = opens + TimeDelta::seconds(3);
    let body = json!({"name": unique("Window"), "votingStartsAt": opens, "votingEndsAt": closes});
    let reply = api.post("/elections", &commission, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let election = reply.body["electionId"].as_str().unwrap().to_owned();
    let subs = new_voters(4);
    enroll(&api, &commission, &election, &subs).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let voters: Vec<String> = subs.iter().map(|sub| api.token(sub, &["voter"])).collect();

    refused(
        &election,
        409,
        Some("voting-not-open"),
        vote(&api, &voters[0], &election, &candidate),
    )
    .await;
    sleep_until(opens + TimeDelta::milliseconds(100)).await;
    let at_start = vote(&api, &voters[1], &election, &candidate).await;
    assert_eq!(at_start.status, 201, "just after the opening: {}", at_start.body);
    assert!(at_start.body["receiptId"].is_string());
    sleep_until(closes - TimeDelta::milliseconds(1500)).await;
    let before_end = vote(&api, &voters[2], &election, &candidate).await;
    assert_eq!(before_end.status, 201, "just before the end: {}", before_end.body);
    sleep_until(closes + TimeDelta::milliseconds(100)).await;
    refused(
        &election,
        409,
        Some("voting-closed"),
        vote(&api, &voters[3], &election, &candidate),
    )
    .await;

    let elsewhere = stage().await;
    refused(
        &elsewhere.election,
        404,
        None,
        vote(&api, &voters[3], &elsewhere.election, &candidate),
    )
    .await;
    let body = json!({"candidateId": elsewhere.candidate, "voterId": "someone-else"});
    let path = format!("/elections/{}/votes", elsewhere.election);
    refused(
        &elsewhere.election,
        400,
        Some("malformed-body"),
        api.post(&path, &voters[3], &body),
    )
    .await;
    // An official's pool token is not the voters' issuer's.
    refused(
        &elsewhere.election,
        401,
        None,
        api.post(
            &path,
            &elsewhere.commission,
            &json!({"candidateId": elsewhere.candidate}),
        ),
    )
    .await;
}

#[tokio::test]
async fn results_are_live_for_admin_and_commission_and_public_after_the_close() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let admin = api.token(&unique("admin"), &["admin"]);
    let sub = new_voters(1);
    let voter = api.token(&sub[0], &["voter"]);
    let election = open_election(&api, &commission, &sub, TimeDelta::seconds(8)).await;
    let closes = Utc::now() + TimeDelta::seconds(8);
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    let path = format!("/elections/{election}/results");
    let live = format!("{path}/live");

    assert_eq!(api.get(&path, &voter).await.status, 403, "not before the close");
    assert_eq!(api.send(Method::GET, &path, None, None).await.status, 403);
    assert_eq!(api.send(Method::GET, &live, None, None).await.status, 401);
    assert_eq!(
        api.get(&live, &voter).await.status,
        401,
        "a voter's token is not an official's"
    );
    let results = results_within_30s(&api, &admin, &election, |r| r["totalVotes"] == 1).await;
    let row: &Value = &results["candidates"][0];
    assert_eq!(
        (
            row["ballotNumber"].as_u64(),
            row["party"].as_str(),
            row["name"].as_str()
        ),
        (Some(1), Some("Party 1"), Some("Ada Lovelace"))
    );
    assert_eq!(
        (
            row["pledgeCount"].as_u64(),
            row["votes"].as_u64(),
            row["withdrawn"].as_bool()
        ),
        (Some(0), Some(1), Some(false))
    );
    assert!(results["asOf"].is_string());
    let official = api.get(&live, &commission).await;
    assert_eq!(official.status, 200);
    assert_eq!(
        official.cache_control, None,
        "an official's live results are not for a cache"
    );
    sleep_until(closes + TimeDelta::milliseconds(100)).await;
    for token in [Some(voter.as_str()), None] {
        let public = api.send(Method::GET, &path, token, None).await;
        assert_eq!((public.status, public.body["totalVotes"].as_u64()), (200, Some(1)));
        // The same for everyone once voting has ended: the edge answers the crowd.
        assert_eq!(public.cache_control.as_deref(), Some("public, max-age=0, s-maxage=5"));
    }
    assert_eq!(
        api.get(&format!("/elections/{NO_SUCH_ID}/results/live"), &admin)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn my_votes_shows_the_callers_own_votes_only() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(2);
    let first = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let second = open_election(&api, &commission, &voters[..1], TimeDelta::hours(1)).await;
    let ada = register_candidate(&api, &commission, &first, 3, "Ada Lovelace").await;
    let grace = register_candidate(&api, &commission, &second, 7, "Grace Hopper").await;
    let me = api.token(&voters[0], &["voter"]);
    let other = api.token(&voters[1], &["voter"]);
    let voted = vote(&api, &me, &first, &ada).await;
    // A receipt is about one person: no cache may keep it.
    assert_eq!(voted.cache_control.as_deref(), Some("no-store"));
    let receipt = voted.body["receiptId"].clone();
    assert_eq!(vote(&api, &me, &second, &grace).await.status, 201);
    assert_eq!(vote(&api, &other, &first, &ada).await.status, 201);

    // The receipts are there at once; the elections' and candidates' names come from the
    // projected view (each from its own event, in no set order).
    let mine = eventually(&api, "/me/votes", &me, |b| {
        b["items"].as_array().is_some_and(|i| {
            i.len() == 2
                && i.iter()
                    .all(|v| v["candidateName"].is_string() && v["electionName"].is_string())
        })
    })
    .await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{mine}");
    // Votes cast within one minute are listed in no set order: their times are the minute.
    let in_election = |election: &str| items.iter().find(|v| v["electionId"] == election).unwrap();
    let (ada_vote, grace_vote) = (in_election(&first), in_election(&second));
    assert_eq!(ada_vote["candidateName"], "Ada Lovelace");
    assert_eq!(ada_vote["ballotNumber"], 3);
    assert_eq!(ada_vote["receiptId"], receipt);
    assert!(ada_vote["electionName"].is_string());
    let cast_at: chrono::DateTime<Utc> = ada_vote["castAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        cast_at,
        election_core::domain::vote::to_the_minute(cast_at),
        "kept to the minute"
    );
    assert_eq!(grace_vote["candidateName"], "Grace Hopper");
    let theirs = eventually(&api, "/me/votes", &other, |b| {
        b["items"].as_array().is_some_and(|i| i.len() == 1)
    })
    .await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(1), "{theirs}");
    assert_ne!(theirs["items"][0]["receiptId"], receipt);
    assert_eq!(
        api.get("/me/votes", &me).await.cache_control.as_deref(),
        Some("no-store")
    );

    // An official's pool token is not the voters' issuer's.
    assert_eq!(api.get("/me/votes", &commission).await.status, 401);
    assert_eq!(api.send(Method::GET, "/me/votes", None, None).await.status, 401);
}

#[tokio::test]
async fn commission_actions_record_who_did_them() {
    let api = Api::from_env();
    let (registrar, withdrawer) = (unique("officer"), unique("officer"));
    let registering = api.token(&registrar, &["commission"]);
    let election = register_election(&api, &registering, TimeDelta::minutes(-1), TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &registering, &election, 1, "Ada Lovelace").await;
    let withdrawing = api.token(&withdrawer, &["commission"]);
    let withdraw = format!("/elections/{election}/candidates/{candidate}");
    let reply = api.send(Method::DELETE, &withdraw, Some(&withdrawing), None).await;
    assert_eq!(reply.status, 204, "{}", reply.body);

    let (clients, tables) = (clients().await, template().names);
    let elections = scan_table(&clients, &tables["ELECTIONS_TABLE"], Some(&election)).await;
    assert_eq!(elections.len(), 1);
    assert_eq!(elections[0]["registeredBy"].as_s().unwrap(), &registrar);
    let candidates = scan_table(&clients, &tables["CANDIDATES_TABLE"], Some(&election)).await;
    let stored = candidates
        .iter()
        .find(|item| item.get("id").and_then(|id| id.as_s().ok()) == Some(&candidate))
        .expect("the candidate's item");
    assert_eq!(stored["registeredBy"].as_s().unwrap(), &registrar);
    assert_eq!(stored["withdrawnBy"].as_s().unwrap(), &withdrawer);
}
