//! Every route × every kind of caller, over HTTP, each with the exact status expected:
//! no token, a forged signature, an expired token, a token from an unknown issuer, a voter
//! (national identity), the candidate owning the resource, another candidate, an admin, the
//! commission (user pool).

use crate::support::{unique, Api};
use crate::walking_skeleton::{new_voters, schedule_election, sleep_until};
use chrono::TimeDelta;
use local_runner::jwt::{Issuer, NATIONAL_ID_CLAIM};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    NoToken,
    /// An official's claims, signed by a key that no issuer publishes.
    ForgedSignature,
    Expired,
    /// A token from an issuer that no route trusts.
    UnknownIssuer,
    /// A voter on the roll, signed in with the national identity service.
    Voter,
    OwningCandidate,
    OtherCandidate,
    Admin,
    Commission,
}

const CALLERS: [Caller; 9] = [
    Caller::NoToken,
    Caller::ForgedSignature,
    Caller::Expired,
    Caller::UnknownIssuer,
    Caller::Voter,
    Caller::OwningCandidate,
    Caller::OtherCandidate,
    Caller::Admin,
    Caller::Commission,
];

/// A fresh open election with one voter on its roll and two candidates, the first with one
/// pledge.
struct World {
    election: String,
    candidate: String,
    pledge: String,
    owner_sub: String,
    other_sub: String,
    voter_sub: String,
}

/// Worlds are made many at once: each has this long to be written before its election opens.
const WORLD_LEAD: TimeDelta = TimeDelta::seconds(8);

/// Makes a world, `making` of them at a time, and returns once its election is open.
async fn world(api: &Api, commission: &str, making: &tokio::sync::Semaphore) -> World {
    let permit = making.acquire().await.expect("the semaphore stays open");
    let voter = new_voters(1);
    let (election, opens) = schedule_election(api, commission, &voter, WORLD_LEAD, TimeDelta::hours(1)).await;
    let (owner_sub, other_sub) = (unique("owner"), unique("other"));
    let mut ids = Vec::new();
    for (ballot, sub) in [(1, &owner_sub), (2, &other_sub)] {
        let body = json!({"ballotNumber": ballot, "party": "P", "name": "N", "userId": sub});
        let reply = api
            .post(&format!("/elections/{election}/candidates"), commission, &body)
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.body["candidateId"].as_str().unwrap().to_owned());
    }
    let pledge = json!({"theme": "T", "title": "T", "description": "D"});
    let reply = api
        .post(&format!("/candidates/{}/pledges", ids[0]), commission, &pledge)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let pledge = reply.body["pledgeId"].as_str().unwrap().to_owned();
    drop(permit);
    sleep_until(opens).await;
    World {
        election,
        candidate: ids.swap_remove(0),
        pledge,
        owner_sub,
        other_sub,
        voter_sub: voter[0].clone(),
    }
}

fn token(api: &Api, caller: Caller, world: &World) -> Option<String> {
    let ttl = Duration::from_secs(600);
    match caller {
        Caller::NoToken => None,
        Caller::ForgedSignature => Some(api.issuers.impostor().token("mallory", &["commission".into()], ttl)),
        Caller::Expired => {
            let claims = json!({"sub": "late", "cognito:groups": ["commission"], "exp": 1_600_000_000u64});
            Some(api.issuers.sign(Issuer::Officials, claims, ttl))
        }
        Caller::UnknownIssuer => {
            let claims =
                json!({"sub": "stranger", "cognito:groups": ["commission"], NATIONAL_ID_CLAIM: world.voter_sub});
            Some(api.issuers.sign(Issuer::Elsewhere, claims, ttl))
        }
        Caller::Voter => Some(api.token(&world.voter_sub, &["voter"])),
        Caller::OwningCandidate => Some(api.token(&world.owner_sub, &["candidate"])),
        Caller::OtherCandidate => Some(api.token(&world.other_sub, &["candidate"])),
        Caller::Admin => Some(api.token(&unique("admin"), &["admin"])),
        Caller::Commission => Some(api.token(&unique("officer"), &["commission"])),
    }
}

/// A route: method, path, body, and the expected status for each caller in `CALLERS` order.
type Case = (Method, String, Option<Value>, [u16; 9]);

/// A route that trusts an issuer: the four callers it does not know get 401, then these for
/// the voter, the owning candidate, the other candidate, an admin and the commission. A
/// voter's national token is not the user pool's, nor an official's the voters' issuer's.
fn guarded([voter, owner, other, admin, commission]: [u16; 5]) -> [u16; 9] {
    [401, 401, 401, 401, voter, owner, other, admin, commission]
}

/// A public route: a token, good or bad, is not even looked at.
fn public(status: u16) -> [u16; 9] {
    [status; 9]
}

fn cases(w: &World) -> Vec<Case> {
    let (e, c, p) = (&w.election, &w.candidate, &w.pledge);
    let election =
        json!({"name": "N", "votingStartsAt": "2030-01-01T00:00:00Z", "votingEndsAt": "2030-01-02T00:00:00Z"});
    let candidate = json!({"ballotNumber": 3, "party": "P", "name": "N", "userId": "u"});
    let pledge = json!({"theme": "T", "title": "T", "description": "D"});
    //                                   voter owner other admin commission
    vec![
        (
            Method::POST,
            "/elections".into(),
            Some(election),
            guarded([401, 403, 403, 403, 201]),
        ),
        (Method::GET, "/elections".into(), None, public(200)),
        (Method::GET, format!("/elections/{e}"), None, public(200)),
        (Method::GET, format!("/elections/{e}/ballot"), None, public(200)),
        (
            Method::POST,
            format!("/elections/{e}/candidates"),
            Some(candidate),
            guarded([401, 403, 403, 403, 201]),
        ),
        (
            Method::DELETE,
            format!("/elections/{e}/candidates/{c}"),
            None,
            guarded([401, 403, 403, 403, 204]),
        ),
        (Method::GET, format!("/elections/{e}/candidates"), None, public(200)),
        (Method::GET, format!("/candidates/{c}"), None, public(200)),
        (
            Method::POST,
            format!("/candidates/{c}/pledges"),
            Some(pledge),
            guarded([401, 201, 403, 403, 201]),
        ),
        (
            Method::DELETE,
            format!("/candidates/{c}/pledges/{p}"),
            None,
            guarded([401, 204, 403, 403, 204]),
        ),
        (Method::GET, format!("/candidates/{c}/pledges"), None, public(200)),
        (
            Method::POST,
            format!("/elections/{e}/votes"),
            Some(json!({"candidateId": c})),
            guarded([201, 401, 401, 401, 401]),
        ),
        // Results: public once voting has ended (it is open here); officials' live ones.
        (Method::GET, format!("/elections/{e}/results"), None, public(403)),
        (
            Method::GET,
            format!("/elections/{e}/results/live"),
            None,
            guarded([401, 403, 403, 200, 200]),
        ),
        // Voting is still open: the commission may certify, but not yet (409).
        (
            Method::POST,
            format!("/elections/{e}/certification"),
            None,
            guarded([401, 403, 403, 403, 409]),
        ),
        // No certification requested: the commission is told there is none (404).
        (
            Method::GET,
            format!("/elections/{e}/certification"),
            None,
            guarded([401, 403, 403, 403, 404]),
        ),
        (
            Method::GET,
            "/me/votes".into(),
            None,
            guarded([200, 401, 401, 401, 401]),
        ),
        // Voting is open: the roll is final (409 for the commission).
        (
            Method::POST,
            format!("/elections/{e}/roll/imports"),
            None,
            guarded([401, 403, 403, 403, 409]),
        ),
        (
            Method::POST,
            format!("/elections/{e}/roll/corrections"),
            Some(json!({"add": [{"identityKey": "late-voter", "district": "North"}]})),
            guarded([401, 403, 403, 403, 409]),
        ),
        (
            Method::GET,
            format!("/elections/{e}/roll"),
            None,
            guarded([401, 403, 403, 403, 200]),
        ),
        (
            Method::GET,
            format!("/elections/{e}/roll/imports/initial"),
            None,
            guarded([401, 403, 403, 403, 200]),
        ),
        // The key ceremony of an election that is not verifiable: there is none (404) for the
        // commission and the public; only a trustee may post or read envelopes.
        (
            Method::POST,
            format!("/elections/{e}/ceremony"),
            None,
            guarded([401, 403, 403, 403, 404]),
        ),
        (
            Method::POST,
            format!("/elections/{e}/ceremony/restart"),
            Some(json!({"replace": "new-trustee"})),
            guarded([401, 403, 403, 403, 404]),
        ),
        (
            Method::PUT,
            format!("/elections/{e}/ceremony/keys"),
            Some(json!({})),
            guarded([401, 403, 403, 403, 403]),
        ),
        (Method::GET, format!("/elections/{e}/ceremony"), None, public(404)),
        (
            Method::GET,
            format!("/elections/{e}/ceremony/envelopes"),
            None,
            guarded([401, 403, 403, 403, 403]),
        ),
        // The board of an election that is not verifiable: there is none (404), whoever asks;
        // a challenge is public and takes no identity (404 here too).
        (Method::GET, format!("/elections/{e}/board"), None, public(404)),
        (
            Method::GET,
            format!("/elections/{e}/board/{}", "ab".repeat(64)),
            None,
            public(404),
        ),
        (
            Method::POST,
            format!("/elections/{e}/challenges"),
            Some(json!({"ballot": {}, "reveal": {}})),
            public(400),
        ),
        // Nor a tally: none to read (404); only a trustee may post a decryption (403 else).
        (Method::GET, format!("/elections/{e}/tally"), None, public(404)),
        (
            Method::PUT,
            format!("/elections/{e}/decryption"),
            Some(json!({})),
            guarded([401, 403, 403, 403, 403]),
        ),
        // Turnout: the commission and admins during voting; everyone after the close.
        (Method::GET, format!("/elections/{e}/turnout"), None, public(403)),
        (
            Method::GET,
            format!("/elections/{e}/turnout/live"),
            None,
            guarded([401, 403, 403, 200, 200]),
        ),
    ]
}

#[tokio::test]
async fn every_route_gives_every_caller_exactly_the_expected_status() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let routes_in_template = crate::support::template().routes().len();
    let mut checked = 0;
    let mut wrong = Vec::new();
    let making = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let probe = world(&api, &commission, &making).await;
    let route_count = cases(&probe).len();
    // A read changes nothing: every read is made in the probe's world. Every write gets a
    // fresh world, so that a withdrawal or deletion by one caller does not change what the
    // next one sees. Made all at once: each waits for its election to open.
    let writes = cases(&probe)
        .iter()
        .filter(|(method, ..)| *method != Method::GET)
        .count();
    let api = std::sync::Arc::new(api);
    let making: Vec<_> = (0..writes * CALLERS.len())
        .map(|_| {
            let (api, commission, making) = (api.clone(), commission.clone(), making.clone());
            tokio::spawn(async move { world(&api, &commission, &making).await })
        })
        .collect();
    let mut worlds = Vec::new();
    for world in making {
        worlds.push(world.await.expect("a world is made"));
    }
    for index in 0..route_count {
        let reads = cases(&probe)[index].0 == Method::GET;
        for (position, caller) in CALLERS.into_iter().enumerate() {
            let fresh = if reads { None } else { worlds.pop() };
            let w = fresh.as_ref().unwrap_or(&probe);
            let (method, path, body, allowed) = cases(w).swap_remove(index);
            let expected = allowed[position];
            let token = token(&api, caller, w);
            let reply = api.send(method.clone(), &path, token.as_deref(), body.as_ref()).await;
            checked += 1;
            if reply.status != expected {
                wrong.push(format!(
                    "{method} {path} as {caller:?}: {} (expected {expected}) {}",
                    reply.status, reply.body
                ));
            }
        }
    }
    assert!(worlds.is_empty(), "a fresh world for each write");
    assert!(
        wrong.is_empty(),
        "{} of {checked} calls wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(route_count, routes_in_template, "every template route is in the matrix");
    assert_eq!(checked, route_count * CALLERS.len());
}
