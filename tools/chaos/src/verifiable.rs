//! The chaos run's verifiable election: voted in through the same faults as the default one,
//! each ballot encrypted beforehand (by this client, as a device would). After the drain its
//! tally freezes, two trustees of three decrypt it, the commission certifies it (the recount
//! sums the box's ciphertexts to the decrypted tally), and `scripts/verify.sh` checks the
//! published record. The counts must be the choices of exactly the voters whose ballots are
//! on the board, and every voter answered 201 must be there.

use crate::voters::Api;
use chrono::{DateTime, TimeDelta, Utc};
use election_crypto::ballot::Ballot;
use election_crypto::ceremony::SecretShare;
use election_crypto::hash::Digest;
use election_crypto::record::ElectionFile;
use local_runner::ceremony::{self, CeremonyApi};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CANDIDATES: usize = 3;
const TRUSTEES: usize = 3;
const THRESHOLD: u32 = 2;

/// The election, its ceremony done, and every voter's ballot sealed.
pub struct Election {
    pub id: String,
    opens: DateTime<Utc>,
    commission: String,
    file: ElectionFile,
    shares: Vec<SecretShare>,
    trustee_tokens: Vec<String>,
    /// Per voter: their account, their choice (a candidate's position) and their request body.
    voters: Vec<(String, usize, Value)>,
}

/// One voter's vote: what they chose, their ballot's tracking code and the reply's status
/// (0: none came).
pub struct Cast {
    choice: usize,
    code: Digest,
    status: u16,
}

/// What the count after the close found.
#[derive(Serialize)]
pub struct Count {
    pub voters: usize,
    pub accepted: usize,
    pub on_board: usize,
    /// 201 replies whose ballot is not on the board (must be 0).
    pub accepted_missing: usize,
    pub counts: Vec<u64>,
    /// The choices of the voters whose ballots are on the board.
    pub expected: Vec<u64>,
    pub late: u64,
    pub certified: bool,
    pub certification: Value,
    pub record_valid: bool,
    pub seconds: f64,
}

impl Count {
    pub fn holds(&self) -> bool {
        self.accepted_missing == 0 && self.counts == self.expected && self.certified && self.record_valid
    }
}

/// Registers the election with its trustees, roll and candidates, runs the key ceremony and
/// seals every voter's ballot. It opens `opens_in` from now and closes `open_for` after.
pub async fn election(
    api: &Api,
    voters: usize,
    opens_in: TimeDelta,
    open_for: TimeDelta,
) -> Result<Election, BoxError> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let commission = api.token("chaos-commission", "commission");
    let trustees: Vec<String> = (1..=TRUSTEES).map(|i| format!("chaos-{run}-trustee-{i}")).collect();
    let opens = Utc::now() + opens_in;
    let body = json!({"name": "Chaos verifiable election", "votingStartsAt": opens, "votingEndsAt": opens + open_for,
                      "verifiable": {"trustees": trustees, "threshold": THRESHOLD}});
    let (status, created) = api.post("/elections", &commission, &body).await;
    let id = created["electionId"]
        .as_str()
        .filter(|_| status == 201)
        .ok_or_else(|| format!("POST /elections (verifiable): {status} {created}"))?
        .to_owned();
    let subs: Vec<String> = (0..voters).map(|i| format!("chaos-{run}-verifiable-{i}")).collect();
    let districts = ["Chaos".to_owned()];
    local_runner::roll_upload::upload_roll(
        &api.http,
        &api.base,
        &commission,
        &id,
        &subs,
        &districts,
        Duration::from_secs(300),
    )
    .await?;
    for n in 1..=CANDIDATES {
        let body = json!({"ballotNumber": n, "party": format!("Party {n}"), "name": format!("Candidate {n}"),
                          "userId": format!("chaos-{run}-candidate-{n}")});
        let (status, reply) = api
            .post(&format!("/elections/{id}/candidates"), &commission, &body)
            .await;
        if status != 201 {
            return Err(format!("a candidate of the verifiable election: {status} {reply}").into());
        }
    }
    let trustee_tokens: Vec<String> = trustees.iter().map(|s| api.token(s, "trustee")).collect();
    let ceremony_api = CeremonyApi {
        http: &api.http,
        base: &api.base,
        election: &id,
        commission: &commission,
        trustees: &trustee_tokens,
    };
    let (file, shares) = ceremony::complete(&ceremony_api, THRESHOLD).await?;
    let choices: Vec<usize> = (0..voters).map(|n| n % CANDIDATES).collect();
    let bodies = ceremony::encrypted_votes(&file.context(), &choices).await?;
    Ok(Election {
        id,
        opens,
        commission,
        file,
        shares,
        trustee_tokens,
        voters: subs
            .into_iter()
            .zip(choices)
            .zip(bodies)
            .map(|((s, c), b)| (s, c, b))
            .collect(),
    })
}

/// Each voter votes once, from `clients` clients, once the election opens.
pub async fn cast(api: Arc<Api>, election: Arc<Election>, clients: usize) -> Vec<Cast> {
    tokio::time::sleep((election.opens - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50)).await;
    let path = format!("/elections/{}/votes", election.id);
    let votes = election.voters.clone().into_iter().map(|(sub, choice, body)| {
        let (api, path) = (api.clone(), path.clone());
        async move {
            let (status, _) = api.post(&path, &api.token(&sub, "voter"), &body).await;
            let code = serde_json::from_value::<Ballot>(body["ballot"].clone())
                .expect("a ballot this run made")
                .tracking_code;
            Cast { choice, code, status }
        }
    });
    futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
        futures::stream::iter(votes),
        clients,
    ))
    .await
}

/// Every tracking code on the board, read through the API page by page.
async fn board_codes(api: &Api, election: &str) -> Result<HashSet<Digest>, BoxError> {
    let mut codes = HashSet::new();
    let mut url = format!("{}/elections/{election}/board", api.base);
    loop {
        let page: Value = api.http.get(&url).send().await?.error_for_status()?.json().await?;
        let cast: Vec<Ballot> = serde_json::from_value(page["cast"].clone())?;
        codes.extend(cast.into_iter().map(|b| b.tracking_code));
        match page["next"].as_str() {
            Some(next) => url = format!("{}/elections/{election}/board?cursor={next}", api.base),
            None => return Ok(codes),
        }
    }
}

/// The certification, asked for until the pipeline lets it start, then followed until its
/// job has finished (at most `wait`): the job as it ended.
async fn certify(api: &Api, election: &Election, wait: Duration) -> Result<Value, BoxError> {
    let path = format!("/elections/{}/certification", election.id);
    let deadline = Instant::now() + wait;
    loop {
        let (status, job) = api.post(&path, &election.commission, &json!({})).await;
        let state = job["state"].as_str().unwrap_or_default();
        if [200, 202].contains(&status) && state != "recounting" {
            return Ok(job);
        }
        if Instant::now() > deadline {
            return Err(format!("the certification did not finish: {status} {job}").into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// After the close and the drain: the freeze, two trustees' decryptions (trustee 2 absent),
/// the certification and `scripts/verify.sh` on the published record.
pub async fn count(api: &Api, election: &Election, casts: &[Cast], repo: &Path) -> Result<Count, BoxError> {
    let started = Instant::now();
    let (view, _) = ceremony::frozen_tally(&api.http, &api.base, &election.id, Duration::from_secs(180)).await?;
    let ceremony_api = CeremonyApi {
        http: &api.http,
        base: &api.base,
        election: &election.id,
        commission: &election.commission,
        trustees: &election.trustee_tokens,
    };
    let mut decrypted = Value::Null;
    for i in [0, 2] {
        decrypted = ceremony::decrypt(&ceremony_api, &election.file, &election.shares[i], &view)
            .await?
            .0;
    }
    let counts: Vec<u64> = decrypted["result"]
        .as_array()
        .ok_or_else(|| format!("no counts after two trustees decrypted: {decrypted}"))?
        .iter()
        .map(|r| r["count"].as_u64().unwrap_or(u64::MAX))
        .collect();
    let on_board = board_codes(api, &election.id).await?;
    let certification = certify(api, election, Duration::from_secs(120)).await?;
    let verified = std::process::Command::new("bash")
        .current_dir(repo)
        .args(["scripts/verify.sh", &election.id])
        .output()?;
    let printed = String::from_utf8_lossy(&verified.stdout);
    let record_valid = verified.status.success() && printed.contains("record VALID");
    if !record_valid {
        eprintln!("{printed}{}", String::from_utf8_lossy(&verified.stderr));
    }
    // The record's late ballots (none, unless a write committed after the freeze): on the
    // board, not counted.
    let late: Vec<Digest> = std::fs::read(repo.join(".local/records").join(&election.id).join("tally.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|tally| serde_json::from_value(tally["late"].clone()).ok())
        .unwrap_or_default();
    let mut expected = vec![0u64; CANDIDATES];
    for cast in casts
        .iter()
        .filter(|c| on_board.contains(&c.code) && !late.contains(&c.code))
    {
        expected[cast.choice] += 1;
    }
    let accepted: Vec<&Cast> = casts.iter().filter(|c| c.status == 201).collect();
    Ok(Count {
        voters: casts.len(),
        accepted: accepted.len(),
        on_board: on_board.len(),
        accepted_missing: accepted.iter().filter(|c| !on_board.contains(&c.code)).count(),
        counts,
        expected,
        late: late.len() as u64,
        certified: certification["state"] == "certified",
        certification,
        record_valid,
        seconds: started.elapsed().as_secs_f64(),
    })
}
