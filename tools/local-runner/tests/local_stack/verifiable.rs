//! Voting in a verifiable election over HTTP: encrypted ballots. Ballots encrypted by the
//! voter's device (here the crate the web app's code reproduces byte for byte, and the web app
//! itself in Chromium), checked and claimed by `cast-vote`, moved to the box by the mixer, and
//! published on the board; the Benaloh challenge; every refusal, which writes nothing; and the
//! tally of 200 voters, frozen, decrypted, certified and verified, with a late ballot.

use crate::ceremony::{assert_problem, parse, verifiable_election_for, Stage};
use crate::lost_replies::{api_and_proxy, Fault};
use crate::no_silent_loss::certify_when_drained;
use crate::support::{clients, repo_root, stored_participations, template};
use crate::walking_skeleton::{enroll, new_voters, register_candidate, sleep_until};
use chrono::{DateTime, TimeDelta, Utc};
use curve25519_dalek::scalar::Scalar;
use election_core::ports::{BallotClaims, Claim};
use election_crypto::ballot::{encrypt, encrypt_with, Ballot, BallotSecrets, Context, SpoiledBallot};
use election_crypto::ceremony::{public_share, SecretShare};
use election_crypto::decryption::{partial_decrypt, PartialDecryption};
use election_crypto::hash::Digest;
use election_crypto::randomness::{OsRandomness, Randomness, Seeded};
use election_crypto::record::ElectionFile;
use election_crypto::tally;
use futures::StreamExt;
use local_runner::ceremony::{self, CeremonyApi};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

/// Runs the whole key ceremony with three trustees made here; returns the election file and
/// each trustee's secret share, in index order.
pub async fn complete_ceremony(stage: &Stage) -> (ElectionFile, Vec<SecretShare>) {
    let api = CeremonyApi {
        http: &reqwest::Client::new(),
        base: &stage.api.base,
        election: &stage.election,
        commission: &stage.commission,
        trustees: &stage.tokens,
    };
    ceremony::complete(&api, 2).await.expect("the ceremony completes")
}

/// A verifiable election with three candidates and `voters` on its roll, open for
/// `open_for`, its ceremony complete, open once this returns; with its election file and
/// the trustees' secret shares.
pub async fn open_verifiable_election(
    voters: &[String],
    open_for: TimeDelta,
) -> (Stage, ElectionFile, Vec<SecretShare>) {
    // 20 s for the roll, the candidates and the ceremony: the roll closes a few seconds before
    // the opening.
    let stage = verifiable_election_for(TimeDelta::seconds(20), open_for).await;
    let opens: DateTime<Utc> = parse(&stage.election().await["votingStartsAt"]);
    enroll(&stage.api, &stage.commission, &stage.election, voters).await;
    for (n, name) in ["Ada", "Grace", "Edsger"].iter().enumerate() {
        register_candidate(&stage.api, &stage.commission, &stage.election, n as u32 + 1, name).await;
    }
    let (file, shares) = complete_ceremony(&stage).await;
    sleep_until(opens).await;
    (stage, file, shares)
}

pub fn encrypted(ctx: &Context, choice: usize) -> (Ballot, BallotSecrets) {
    encrypt(ctx, choice, &mut OsRandomness).unwrap()
}

/// A device that draws `nonce/1` as `nonce/0`: its ballot's first two ciphertexts share `α`,
/// and every proof still holds.
struct OneNonceTwice(Seeded);

impl Randomness for OneNonceTwice {
    fn scalar(&mut self, label: &str) -> Scalar {
        self.0.scalar(if label == "nonce/1" { "nonce/0" } else { label })
    }

    fn id(&mut self, label: &str) -> [u8; 16] {
        self.0.id(label)
    }

    fn scoped(&self, prefix: &str) -> Self {
        OneNonceTwice(self.0.scoped(prefix))
    }
}

pub async fn cast(stage: &Stage, voter: &str, body: &Value) -> crate::support::Reply {
    let token = stage.api.token(voter, &["voter"]);
    stage
        .api
        .post(&format!("/elections/{}/votes", stage.election), &token, body)
        .await
}

pub async fn public(stage: &Stage, method: Method, path: &str, body: Option<&Value>) -> crate::support::Reply {
    stage
        .api
        .send(method, &format!("/elections/{}{path}", stage.election), None, body)
        .await
}

/// `voters` cast their ballots through the web app in headless Chromium
/// (`web/tests/chromium-voters.mjs`), the n-th for Ada, Grace or Edsger in turn: the tracking
/// codes their pages showed.
async fn chromium_voters(stage: &Stage, voters: &[String]) -> Vec<Digest> {
    let names = ["Ada", "Grace", "Edsger"];
    std::env::var("WEB_TEST_MODULES").expect(
        "WEB_TEST_MODULES, where Playwright is installed: scripts/lib.sh exports it, scripts/test.sh installs it",
    );
    let pairs = voters.iter().enumerate().map(|(n, v)| format!("{v}={}", names[n % 3]));
    let ran = tokio::process::Command::new("node")
        .current_dir(repo_root())
        .arg("web/tests/chromium-voters.mjs")
        .arg(&stage.election)
        .args(pairs)
        .env("OMP_WEB_URL", &stage.api.base)
        .output()
        .await
        .expect("node runs (the browser tests' modules: scripts/lib.sh's WEB_TEST_MODULES)");
    assert!(
        ran.status.success(),
        "the Chromium voters: {}{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&ran.stderr));
    let cast: Vec<Value> = serde_json::from_slice(&ran.stdout).expect("the Chromium voters' codes");
    assert_eq!(cast.len(), voters.len());
    cast.iter()
        .map(|c| serde_json::from_value(c["trackingCode"].clone()).expect("a tracking code"))
        .collect()
}

/// Every page of the board, from the first, with each page's `Cache-Control`.
pub async fn whole_board(stage: &Stage) -> (Vec<Ballot>, Vec<SpoiledBallot>) {
    let (mut cast, mut challenged) = (Vec::new(), Vec::new());
    let mut path = "/board".to_owned();
    loop {
        let page = public(stage, Method::GET, &path, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.cache_control.as_deref(), Some("public, max-age=5"));
        // No voter, no time, no receipt: what verify needs, nothing that could link.
        let text = page.body.to_string();
        for field in ["voter", "castInHour", "receiptId", "votedAt", "batch"] {
            assert!(!text.contains(field), "the board shows {field}: {text}");
        }
        cast.extend(parse::<Vec<Ballot>>(&page.body["cast"]));
        challenged.extend(parse::<Vec<SpoiledBallot>>(&page.body["challenged"]));
        match page.body["next"].as_str() {
            Some(next) => path = format!("/board?cursor={next}"),
            None => return (cast, challenged),
        }
    }
}

/// The claims adapter on DynamoDB Local: more tags than one batch takes are claimed whole; a
/// resend finds them its owner's; anyone else's claim of one of them is refused; a tag named
/// twice in one claim is claimed once.
#[tokio::test]
async fn claims_are_inserted_once_and_read_back_for_their_owner_alone() {
    let services = local_runner::local_services(&clients().await, &template()).unwrap();
    let store = &services.store;
    let fresh = || uuid::Uuid::new_v4().to_string();
    let tags: Vec<String> = (0..30).map(|_| fresh()).collect();
    assert_eq!(store.claim(&tags, "ann").await.unwrap(), Claim::Held);
    assert_eq!(store.claim(&tags, "ann").await.unwrap(), Claim::Held, "a resend");
    assert_eq!(
        store.claim(&[fresh(), tags[27].clone()], "bob").await.unwrap(),
        Claim::Taken
    );
    let repeated = fresh();
    assert_eq!(
        store.claim(&[repeated.clone(), repeated.clone()], "cy").await.unwrap(),
        Claim::Held
    );
    assert_eq!(store.claim(&[repeated], "dee").await.unwrap(), Claim::Taken);
}

#[tokio::test]
async fn encrypted_ballots_are_checked_claimed_mixed_and_published_on_the_board() {
    let voters = new_voters(4);
    let (stage, file, _) = open_verifiable_election(&voters, TimeDelta::hours(1)).await;
    let ctx = file.context();
    let clients = clients().await;
    let election = stage.election.clone();

    // Refused, and nothing written: a plaintext vote, both fields, a tampered proof, a
    // ballot for another election's key and hash, too few ciphertexts.
    let (good, _) = encrypted(&ctx, 0);
    let candidate = json!({"candidateId": uuid::Uuid::new_v4().to_string()});
    assert_problem(&cast(&stage, &voters[0], &candidate).await, 400, "invalid-ballot");
    let both = json!({"candidateId": uuid::Uuid::new_v4().to_string(), "ballot": good});
    assert_problem(&cast(&stage, &voters[0], &both).await, 400, "malformed-body");
    let mut tampered = good.clone();
    tampered.ciphertexts.swap(0, 1);
    assert_problem(
        &cast(&stage, &voters[0], &json!({"ballot": tampered})).await,
        400,
        "invalid-ballot",
    );
    let elsewhere = Context {
        extended_base_hash: Digest([7; 64]),
        ..ctx.clone()
    };
    let (foreign, _) = encrypted(&elsewhere, 1);
    assert_problem(
        &cast(&stage, &voters[0], &json!({"ballot": foreign})).await,
        400,
        "invalid-ballot",
    );
    let mut short = good.clone();
    short.ciphertexts.pop();
    assert_problem(
        &cast(&stage, &voters[0], &json!({"ballot": short})).await,
        400,
        "invalid-ballot",
    );
    // One nonce drawn twice: every proof holds, and the ballot repeats its own `α`.
    let seed = uuid::Uuid::new_v4();
    let (twice, _) = encrypt(&ctx, 2, &mut OneNonceTwice(Seeded::new(seed.as_bytes()))).unwrap();
    assert_eq!(twice.ciphertexts[0].alpha, twice.ciphertexts[1].alpha);
    let refused = cast(&stage, &voters[0], &json!({"ballot": twice})).await;
    assert_problem(&refused, 400, "invalid-ballot");
    assert!(
        refused.body["detail"].as_str().unwrap().contains("within itself"),
        "{}",
        refused.body
    );
    assert!(stored_participations(&clients, &election).await.is_empty());

    // Cast: the receipt carries the tracking code and names no candidate.
    let choices = [0usize, 2, 2];
    let mut ballots = Vec::new();
    for (voter, choice) in voters.iter().zip(choices) {
        let (ballot, secrets) = encrypted(&ctx, choice);
        drop(secrets);
        let reply = cast(&stage, voter, &json!({"ballot": ballot})).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(
            reply.body["trackingCode"],
            json!(ballot.tracking_code),
            "{}",
            reply.body
        );
        assert!(reply.body.get("candidateId").is_none(), "{}", reply.body);
        ballots.push(ballot);
    }
    // The same voter again: already voted. Another voter replaying a cast ballot: refused,
    // and that voter has not voted.
    assert_problem(
        &cast(&stage, &voters[0], &json!({"ballot": ballots[0]})).await,
        409,
        "already-voted",
    );
    assert_problem(
        &cast(&stage, &voters[3], &json!({"ballot": ballots[1]})).await,
        400,
        "invalid-ballot",
    );
    assert_eq!(stored_participations(&clients, &election).await.len(), 3);

    // The Benaloh challenge: public, no identity. A wrong reveal is refused; the right one
    // puts the ballot on the board, and it can never be cast.
    let (challenged, secrets) = encrypted(&ctx, 1);
    let mut reveal = secrets.reveal();
    let mut wrong = reveal.clone();
    wrong.choices.rotate_left(1);
    let path = "/challenges";
    let refused = public(
        &stage,
        Method::POST,
        path,
        Some(&json!({"ballot": challenged, "reveal": wrong})),
    )
    .await;
    assert_problem(&refused, 400, "invalid-ballot");
    let body = json!({"ballot": challenged, "reveal": reveal});
    let taken = public(&stage, Method::POST, path, Some(&body)).await;
    assert_eq!(taken.status, 201, "{}", taken.body);
    assert_eq!(taken.body["status"], "challenged");
    assert_eq!(
        public(&stage, Method::POST, path, Some(&body)).await.status,
        201,
        "the same challenge again"
    );
    assert_problem(
        &cast(&stage, &voters[3], &json!({"ballot": challenged})).await,
        400,
        "invalid-ballot",
    );
    // Ada withdraws. Her slot stays on the ballot: once cast-vote's instance knows (within
    // its lookups' 2 s), a ballot must prove it holds 0. Without the proof: refused, nothing
    // written; with it, cast.
    let ada = &file.manifest.candidates[0].id;
    let withdrawn = stage
        .api
        .send(
            Method::DELETE,
            &format!("/elections/{election}/candidates/{ada}"),
            Some(&stage.commission),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, 204, "{}", withdrawn.body);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (unproven, _) = encrypted(&ctx, 2);
    let refused = cast(&stage, &voters[3], &json!({"ballot": unproven})).await;
    assert_problem(&refused, 400, "invalid-ballot");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("position 1 has withdrawn"),
        "{}",
        refused.body
    );
    assert_eq!(stored_participations(&clients, &election).await.len(), 3);
    // A cast ballot cannot be revealed (its voter's device dropped the nonces; a reveal made
    // by whoever kept them is refused all the same).
    let (kept, kept_secrets) = encrypt_with(&ctx, 2, &[0], &mut OsRandomness).unwrap();
    assert!(kept.proves_zero(0));
    let reply = cast(&stage, &voters[3], &json!({"ballot": kept})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    ballots.push(kept.clone());
    reveal = kept_secrets.reveal();
    let exposed = public(
        &stage,
        Method::POST,
        path,
        Some(&json!({"ballot": kept, "reveal": reveal})),
    )
    .await;
    assert_problem(&exposed, 400, "invalid-ballot");

    // The board: every cast ballot once the mixer has written it, the challenged one with
    // its reveal, and each passes verify's checks of ballots (V12–V19).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (board_cast, board_challenged) = loop {
        let board = whole_board(&stage).await;
        if board.0.len() >= ballots.len() || std::time::Instant::now() > deadline {
            break board;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let codes = |bs: &[Ballot]| bs.iter().map(|b| b.tracking_code).collect::<BTreeSet<_>>();
    assert_eq!(codes(&board_cast), codes(&ballots));
    assert_eq!(board_challenged.len(), 1);
    assert_eq!(board_challenged[0].ballot, challenged);
    let encrypted_tally = tally::recompute(&ctx, &board_cast, &board_challenged).unwrap();
    assert_eq!(encrypted_tally.cast_count, 4);

    // Each code looked up: cast or challenged; an unknown code 404; a malformed one 400.
    for ballot in &ballots {
        let found = public(
            &stage,
            Method::GET,
            &format!("/board/{}", hex(&ballot.tracking_code)),
            None,
        )
        .await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert_eq!(found.body["status"], "cast");
        assert_eq!(found.cache_control.as_deref(), Some("public, max-age=5"));
    }
    let found = public(
        &stage,
        Method::GET,
        &format!("/board/{}", hex(&challenged.tracking_code)),
        None,
    )
    .await;
    assert_eq!(found.body["status"], "challenged", "{}", found.body);
    assert_eq!(found.body["reveal"]["choices"], json!([0, 1, 0]));
    let unknown = public(&stage, Method::GET, &format!("/board/{}", "ab".repeat(64)), None).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_problem(
        &public(&stage, Method::GET, "/board/xyz", None).await,
        400,
        "invalid-id",
    );
    assert_problem(
        &public(&stage, Method::GET, "/board?cursor=zz", None).await,
        400,
        "invalid-id",
    );

    // My votes: the tracking code, never the candidate.
    let token = stage.api.token(&voters[0], &["voter"]);
    let mine = stage.api.get("/me/votes", &token).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let item = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["electionId"] == json!(election))
        .unwrap_or_else(|| panic!("{}", mine.body));
    assert_eq!(item["trackingCode"], json!(ballots[0].tracking_code), "{item}");
    assert!(
        item.get("candidateId").is_none() && item["candidateName"].is_null(),
        "{item}"
    );
}

/// A digest or a point as the API writes it: its hex text.
pub fn hex(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).unwrap().as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_tally_of_200_encrypted_votes_freezes_after_the_close_and_two_trustees_of_three_decrypt_it() {
    // 200 voters. 180 of them on a device played by this Rust client, encrypting and proving
    // each ballot, ten at a time: every third chooses Ada, the rest Edsger or Grace (60, 50,
    // 70). At the same time 20 in headless Chromium, through the web app's ballot page (7, 7,
    // 6). Five more ballots challenged.
    let mut voters = new_voters(201);
    let (stage, file, shares) = open_verifiable_election(&voters, TimeDelta::seconds(60)).await;
    // And one more voter, whose vote's write DynamoDB applies only after the tally froze (a
    // proxy holds it): the late-ballot net must list it apart, never count it.
    let late_voter = voters.pop().unwrap();
    let in_chromium = voters.split_off(180);
    let ctx = file.context();
    let choice = |n: usize| match n % 18 {
        0..=5 => 0usize,
        6..=10 => 1,
        _ => 2,
    };
    let expected = [67u64, 57, 76];
    let (release, released) = tokio::sync::watch::channel(false);
    let (held, _) = api_and_proxy(Fault::HoldUntilReleased(released)).await;
    let (late_ballot, _) = encrypted(&ctx, 0);
    let late_vote = {
        let token = held.token(&late_voter, &["voter"]);
        let path = format!("/elections/{}/votes", stage.election);
        let body = json!({"ballot": late_ballot});
        tokio::spawn(async move { held.post(&path, &token, &body).await })
    };
    let casts = voters.iter().enumerate().map(|(n, voter)| {
        let (stage, ctx) = (&stage, &ctx);
        async move {
            let (ballot, _) = encrypted(ctx, choice(n));
            let reply = cast(stage, voter, &json!({"ballot": ballot})).await;
            assert_eq!(reply.status, 201, "{}", reply.body);
        }
    });
    let (_, browsers) = tokio::join!(
        futures::stream::iter(casts).buffer_unordered(10).collect::<Vec<()>>(),
        chromium_voters(&stage, &in_chromium),
    );
    for n in 0..5 {
        let (challenged, secrets) = encrypted(&ctx, n % 3);
        let body = json!({"ballot": challenged, "reveal": secrets.reveal()});
        assert_eq!(
            public(&stage, Method::POST, "/challenges", Some(&body)).await.status,
            201
        );
    }
    // During voting: no tally.
    assert_problem(
        &public(&stage, Method::GET, "/tally", None).await,
        409,
        "not-certifiable",
    );

    // Once no vote can commit (the close, plus the bound on a vote in flight) and the mixer
    // has written every ballot, the first read freezes it.
    let ends: DateTime<Utc> = parse(&stage.election().await["votingEndsAt"]);
    sleep_until(ends + TimeDelta::seconds(5)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let view = loop {
        let reply = public(&stage, Method::GET, "/tally", None).await;
        if reply.status == 200 || std::time::Instant::now() > deadline {
            assert_eq!(reply.status, 200, "{}", reply.body);
            break reply.body;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(view["castCount"], 200, "{view}");
    // The held write commits now, and the mixer moves its ballot to the box: after the freeze.
    release.send(true).unwrap();
    let _ = late_vote.await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while whole_board(&stage).await.0.len() < 181 {
        assert!(
            std::time::Instant::now() < deadline,
            "the late ballot never reached the box"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Certification needs the trustees' decryption: refused, nothing made final.
    let certify = format!("/elections/{}/certification", stage.election);
    let refused = stage.api.post(&certify, &stage.commission, &json!({})).await;
    assert_problem(&refused, 409, "not-certifiable");
    assert!(
        refused.body["detail"].as_str().unwrap().contains("0 of the 2 trustees"),
        "{}",
        refused.body
    );
    assert_eq!(view["decryptedBy"], json!([]));
    assert!(view["result"].is_null(), "{view}");

    // Each trustee recomputes the tally from the board (verify's checks) and finds the same.
    let (mut cast_ballots, challenged_ballots) = whole_board(&stage).await;
    for code in &browsers {
        assert!(
            cast_ballots.iter().any(|b| &b.tracking_code == code),
            "a Chromium voter's ballot is on the board"
        );
    }
    cast_ballots.retain(|b| b.tracking_code != late_ballot.tracking_code);
    let recomputed = tally::recompute(&ctx, &cast_ballots, &challenged_ballots).unwrap();
    assert_eq!(view["castDigest"], json!(recomputed.cast_digest));
    assert_eq!(view["encryptedTally"], json!(recomputed.entries));
    let partial = |i: usize| -> PartialDecryption {
        let k = public_share(shares[i].index, &file.ceremony.commitments).unwrap();
        partial_decrypt(&ctx, &shares[i], &k, &recomputed, &mut OsRandomness)
    };
    let put = |i: usize, body: Value| {
        let stage = &stage;
        async move {
            let path = format!("/elections/{}/decryption", stage.election);
            stage
                .api
                .send(Method::PUT, &path, Some(&stage.tokens[i]), Some(&body))
                .await
        }
    };
    // Trustee 2 is absent. Refused, nothing kept: trustee 3 posting trustee 1's, a proof
    // that fails, the commission, a stranger.
    let first = serde_json::to_value(partial(0)).unwrap();
    assert_problem(&put(2, first.clone()).await, 400, "invalid-ceremony-message");
    let mut bad = partial(2);
    bad.shares[0].proof = bad.shares[1].proof;
    assert_problem(
        &put(2, serde_json::to_value(bad).unwrap()).await,
        400,
        "invalid-ceremony-message",
    );
    let path = format!("/elections/{}/decryption", stage.election);
    let commission = stage
        .api
        .send(Method::PUT, &path, Some(&stage.commission), Some(&first))
        .await;
    assert_eq!(commission.status, 403, "{}", commission.body);

    let one = put(0, first.clone()).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["decryptedBy"], json!([1]));
    assert!(one.body["result"].is_null());
    assert_eq!(put(0, first).await.status, 200, "the same one again");
    let refused = stage.api.post(&certify, &stage.commission, &json!({})).await;
    assert!(
        refused.body["detail"].as_str().unwrap().contains("1 of the 2 trustees"),
        "{}",
        refused.body
    );
    let two = put(2, serde_json::to_value(partial(2)).unwrap()).await;
    assert_eq!(two.status, 200, "{}", two.body);
    assert_eq!(two.body["decryptedBy"], json!([1, 3]));

    // The counts are what the voters chose (the challenged ballots are not among them).
    let counted: Vec<u64> = two.body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", two.body))
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counted, expected);
    let manifest: Vec<&str> = file.manifest.candidates.iter().map(|c| c.id.as_str()).collect();
    let named: Vec<&str> = two.body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["candidate"].as_str().unwrap())
        .collect();
    assert_eq!(named, manifest);
    assert_eq!(public(&stage, Method::GET, "/tally", None).await.body, two.body);

    // Now certifiable: the recount sums the box's ciphertexts part by part to the tally the
    // trustees decrypted, and the final results are their counts.
    let results = certify_when_drained(&stage.api, &stage.commission, &stage.election).await;
    assert_eq!(results.body["final"], json!(true), "{}", results.body);
    assert_eq!(results.body["totalVotes"], 200, "{}", results.body);
    assert_eq!(results.body["lateBallots"], 1, "{}", results.body);
    for (candidate, count) in manifest.iter().zip(expected) {
        let line = results.body["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["candidateId"] == json!(candidate))
            .unwrap_or_else(|| panic!("{}", results.body));
        assert_eq!(line["votes"], count, "{line}");
    }

    // The record is published (records/<election>/ in the records bucket): scripts/verify.sh
    // downloads it over HTTP and the real `verify` passes it, with the voters' counts.
    let verified = Command::new("bash")
        .current_dir(repo_root())
        .args(["scripts/verify.sh", &stage.election])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(printed.contains("record VALID"), "{printed}");
    for (candidate, (name, count)) in manifest.iter().zip([("Ada", 67), ("Grace", 57), ("Edsger", 76)]) {
        assert!(printed.contains(&format!("{candidate} {name}: {count}")), "{printed}");
    }
    assert!(
        printed.contains("late ballots, listed apart and not counted: 1"),
        "{printed}"
    );
    let published: Value = serde_json::from_slice(
        &std::fs::read(
            repo_root()
                .join(".local/records")
                .join(&stage.election)
                .join("tally.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(published["late"], json!([late_ballot.tracking_code]), "{published}");
    // Its voter, looking the code up, is told it was not counted.
    let code = serde_json::to_value(late_ballot.tracking_code).unwrap();
    let looked_up = public(&stage, Method::GET, &format!("/board/{}", code.as_str().unwrap()), None).await;
    assert_eq!(
        (looked_up.status, &looked_up.body["status"]),
        (200, &json!("late")),
        "{}",
        looked_up.body
    );
    std::fs::remove_dir_all(repo_root().join(".local/records").join(&stage.election)).unwrap();
}
