//! The electoral roll over HTTP on the local stack: a file uploaded through its presigned
//! address into the local S3, imported by `import-roll` from the queue S3 tells; the same
//! file twice; an import that dies halfway and is taken up again; refused rows; corrections
//! before and after the opening; votes by voters on the roll, off it, and on another
//! election's roll; and turnout against the participations.

use crate::support::{clients, eventually, footprint, queue_url, stored_participations, template, unique, Api};
use crate::walking_skeleton::{enroll_in, new_voters, open_election, register_candidate, vote};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Registers an election that opens in `opens_in` (so that its roll may still change);
/// returns its id.
async fn scheduled_election(api: &Api, commission: &str, opens_in: TimeDelta) -> String {
    let opens = Utc::now() + opens_in;
    let body = json!({"name": unique("Roll"), "votingStartsAt": opens, "votingEndsAt": opens + TimeDelta::hours(1)});
    let reply = api.post("/elections", commission, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["electionId"].as_str().unwrap().to_owned()
}

/// Uploads `file` as a new roll of `election`, as the commission's browser does: asks for
/// an upload address, puts the file there. Returns the new roll's id.
async fn upload(api: &Api, commission: &str, election: &str, file: &[u8]) -> String {
    let started = api
        .post(&format!("/elections/{election}/roll/imports"), commission, &json!({}))
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    assert_eq!(started.body["roll"]["state"], "awaiting-upload");
    let put = reqwest::Client::new()
        .put(started.body["uploadUrl"].as_str().unwrap())
        .header("content-type", "text/csv")
        .body(file.to_vec())
        .send()
        .await
        .expect("the local S3 answers");
    assert!(put.status().is_success(), "upload: {}", put.status());
    started.body["roll"]["rollId"].as_str().unwrap().to_owned()
}

/// The roll's view once its import is done (for at most 30 s).
async fn imported(api: &Api, commission: &str, election: &str, roll: &str) -> Value {
    let path = format!("/elections/{election}/roll/imports/{roll}");
    let view = eventually(api, &path, commission, |r| r["state"] == "done").await;
    assert_eq!(view["state"], "done", "{view}");
    view
}

/// A roll file of `n` voters with fresh identity keys, in three districts.
fn roll_file(n: usize) -> (Vec<String>, Vec<u8>) {
    let voters = new_voters(n);
    let mut file = String::from("identityKey,district\n");
    for (i, voter) in voters.iter().enumerate() {
        file.push_str(&format!("{voter},{}\n", ["North", "South", "Harbour"][i % 3]));
    }
    (voters, file.into_bytes())
}

/// What a roll is, as the commission reads it: its counts, its refused rows, its districts.
fn substance(view: &Value) -> Value {
    json!({
        "rowsDone": view["rowsDone"], "rowsRefused": view["rowsRefused"], "refused": view["refused"],
        "voters": view["voters"], "districts": view["districts"],
    })
}

/// The entries of one version of an election's roll: voter id → district, read from the
/// participation table.
async fn entries(election: &str, roll: &str) -> BTreeMap<String, String> {
    let items = crate::support::scan_table(
        &clients().await,
        &template().names["PARTICIPATION_TABLE"],
        Some(election),
    )
    .await;
    items
        .into_iter()
        .filter(|item| item["rollId"].as_s().is_ok_and(|r| r == roll))
        .map(|item| {
            let voter = item["voterId"].as_s().unwrap().clone();
            (voter, item["district"].as_s().unwrap().clone())
        })
        .collect()
}

#[tokio::test]
async fn a_clean_file_becomes_the_roll_and_the_same_file_twice_gives_the_same_roll() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let election = scheduled_election(&api, &commission, TimeDelta::hours(1)).await;
    let (voters, file) = roll_file(300);

    // WHEN the commission uploads a clean file
    let first = upload(&api, &commission, &election, &file).await;
    let view = imported(&api, &commission, &election, &first).await;

    // THEN every row is on the roll, by district, and it is the election's roll
    assert_eq!(
        (view["rowsDone"].as_u64(), view["rowsRefused"].as_u64()),
        (Some(300), Some(0)),
        "{view}"
    );
    assert_eq!(view["voters"], 300);
    let districts: Vec<(&str, u64)> = view["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["district"].as_str().unwrap(), d["voters"].as_u64().unwrap()))
        .collect();
    assert_eq!(districts, [("Harbour", 100), ("North", 100), ("South", 100)]);
    let in_force = api.get(&format!("/elections/{election}/roll"), &commission).await;
    assert_eq!(
        (in_force.body["rollId"].as_str(), in_force.body["inForce"].as_bool()),
        (Some(first.as_str()), Some(true))
    );
    // No identity key is kept: only their keyed hashes.
    let first_entries = entries(&election, &first).await;
    assert_eq!(first_entries.len(), 300);
    assert!(first_entries.keys().all(|id| id.len() == 64 && !voters.contains(id)));

    // WHEN the same file is uploaded again
    let second = upload(&api, &commission, &election, &file).await;
    let again = imported(&api, &commission, &election, &second).await;

    // THEN it replaces the roll with the very same one
    assert_ne!(first, second);
    assert_eq!(substance(&again), substance(&view));
    assert_eq!(entries(&election, &second).await, first_entries);
    let in_force = api.get(&format!("/elections/{election}/roll"), &commission).await;
    assert_eq!(in_force.body["rollId"], second.as_str());
}

#[tokio::test]
async fn an_import_that_dies_halfway_and_is_taken_up_again_gives_the_same_roll() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let election = scheduled_election(&api, &commission, TimeDelta::hours(1)).await;
    let (_, mut file) = roll_file(200);
    file.extend_from_slice(b"bad key!,North\n");
    let roll = upload(&api, &commission, &election, &file).await;
    let clean = imported(&api, &commission, &election, &roll).await;
    let clean_entries = entries(&election, &roll).await;

    // GIVEN the same import as it stands when its run dies after writing the entries of
    // lines 101 to the end, before saving their progress: the checkpoint at line 101, and
    // the election still on its first roll
    let (clients, names) = (clients().await, template().names);
    let text = String::from_utf8(file.clone()).unwrap();
    let head: Vec<&str> = text.split_inclusive('\n').take(100).collect();
    let mut districts: BTreeMap<String, u64> = BTreeMap::new();
    for line in &head[1..] {
        *districts
            .entry(line.trim_end().split(',').nth(1).unwrap().to_owned())
            .or_default() += 1;
    }
    let checkpoint: std::collections::HashMap<String, AttributeValue> = districts
        .iter()
        .map(|(d, n)| (d.clone(), AttributeValue::N(n.to_string())))
        .collect();
    clients
        .dynamodb
        .update_item()
        .table_name(&names["ROLLS_TABLE"])
        .key("electionId", AttributeValue::S(election.clone()))
        .key("rollId", AttributeValue::S(roll.clone()))
        .update_expression(
            "SET #state = :importing, #offset = :offset, nextLine = :line, rowsDone = :done, rowsRefused = :zero, \
             refusals = :none, districts = :districts",
        )
        .expression_attribute_names("#state", "state")
        .expression_attribute_names("#offset", "offset")
        .expression_attribute_values(":importing", AttributeValue::S("importing".into()))
        .expression_attribute_values(":offset", AttributeValue::N(head.concat().len().to_string()))
        .expression_attribute_values(":line", AttributeValue::N("101".into()))
        .expression_attribute_values(":done", AttributeValue::N("99".into()))
        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
        .expression_attribute_values(":none", AttributeValue::L(vec![]))
        .expression_attribute_values(":districts", AttributeValue::M(checkpoint))
        .send()
        .await
        .unwrap();
    clients
        .dynamodb
        .update_item()
        .table_name(&names["ELECTIONS_TABLE"])
        .key("electionId", AttributeValue::S(election.clone()))
        .update_expression("SET rollId = :initial REMOVE rollStartedAt")
        .expression_attribute_values(":initial", AttributeValue::S("initial".into()))
        .send()
        .await
        .unwrap();
    let halfway = api
        .get(&format!("/elections/{election}/roll/imports/{roll}"), &commission)
        .await;
    assert_eq!(
        (halfway.body["state"].as_str(), halfway.body["inForce"].as_bool()),
        (Some("importing"), Some(false))
    );

    // (and its file still there, as it is until the import is done)
    clients
        .s3
        .put_object()
        .bucket(&names["ROLL_FILES_BUCKET"])
        .key(format!("rolls/{election}/{roll}.csv"))
        .body(file.clone().into())
        .send()
        .await
        .unwrap();

    // WHEN the queue gives its message again (as SQS does once a run stops answering): S3's
    // notice, as the import sample carries it
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::repo_root().join("events/import-roll.json")).unwrap(),
    )
    .unwrap();
    let files = local_runner::samples::SampleIds::as_in_files();
    let notice = sample["Records"][0]["body"]
        .as_str()
        .unwrap()
        .replace(&files.election, &election)
        .replace(&files.roll, &roll);
    clients
        .sqs
        .send_message()
        .queue_url(queue_url(&clients, "RollImportQueue").await)
        .message_body(notice)
        .send()
        .await
        .unwrap();

    // THEN the import resumes from its checkpoint, and the roll is the clean import's
    let resumed = imported(&api, &commission, &election, &roll).await;
    assert_eq!(substance(&resumed), substance(&clean));
    assert_eq!(
        (resumed["rowsDone"].as_u64(), resumed["rowsRefused"].as_u64()),
        (Some(200), Some(1))
    );
    assert_eq!(resumed["inForce"], true);
    assert_eq!(entries(&election, &roll).await, clean_entries);
    // The file, with identity keys in the clear, is gone once the roll is written.
    let gone = clients
        .s3
        .get_object()
        .bucket(&names["ROLL_FILES_BUCKET"])
        .key(format!("rolls/{election}/{roll}.csv"))
        .send()
        .await;
    assert!(gone.is_err(), "the roll file is still in the bucket");
}

#[tokio::test]
async fn malformed_rows_are_reported_by_line_and_every_good_row_is_kept() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let election = scheduled_election(&api, &commission, TimeDelta::hours(1)).await;
    let (a, b, c) = (unique("voter"), unique("voter"), unique("voter"));
    let mut file = format!(
        "identityKey,district\n{a},North\nonly-one-field\n{b},South\n,North\nbad key,North\n{c},\n{a},South\n\n{c},Harbour\nx,y,z\r\n"
    )
    .into_bytes();
    file.extend_from_slice(b"\xff\xfe,North\n");
    let roll = upload(&api, &commission, &election, &file).await;
    let view = imported(&api, &commission, &election, &roll).await;

    let refused: Vec<(u64, String)> = view["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_owned()))
        .collect();
    let lines: Vec<u64> = refused.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 5, 6, 7, 8, 11, 12], "{view}");
    assert!(refused[0].1.contains("two fields"), "{refused:?}");
    assert!(refused[4].1.contains("same voter is on line 2"), "{refused:?}");
    assert!(refused[6].1.contains("UTF-8"), "{refused:?}");
    // The good rows are all there: a, b and c (line 10).
    assert_eq!(
        (view["rowsDone"].as_u64(), view["rowsRefused"].as_u64()),
        (Some(3), Some(7))
    );
    assert_eq!(view["voters"], 3);
}

#[tokio::test]
async fn corrections_are_taken_until_the_opening_and_refused_after_it() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(3);
    let opens = Utc::now() + TimeDelta::seconds(6);
    let body =
        json!({"name": unique("Corrections"), "votingStartsAt": opens, "votingEndsAt": opens + TimeDelta::hours(1)});
    let election = api.post("/elections", &commission, &body).await.body["electionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/elections/{election}/roll/corrections");

    // Before the opening: added, added again (already on it), removed, removed again
    let add = json!({"add": [{"identityKey": voters[0], "district": "North"}, {"identityKey": voters[1], "district": "South"},
                             {"identityKey": voters[0], "district": "North"}]});
    let reply = api.post(&path, &commission, &add).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["added"], json!(["added", "added", "already-on-roll"]));
    let reply = api
        .post(&path, &commission, &json!({"remove": [voters[1], voters[2]]}))
        .await;
    assert_eq!(
        reply.body["removed"],
        json!(["removed", "not-on-roll"]),
        "{}",
        reply.body
    );
    let roll = api.get(&format!("/elections/{election}/roll"), &commission).await.body;
    assert_eq!(roll["voters"], 1, "{roll}");
    assert_eq!(
        roll["districts"],
        json!([{"district": "North", "voters": 1}, {"district": "South", "voters": 0}])
    );
    // Bad corrections are refused whole
    for bad in [
        json!({}),
        json!({"add": [{"identityKey": "a b", "district": "North"}]}),
        json!({"remove": ["x"], "extra": 1}),
    ] {
        let reply = api.post(&path, &commission, &bad).await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (400, Some("malformed-body")),
            "{bad}: {}",
            reply.body
        );
    }
    // A voter's national token is refused at the edge; a candidate's pool token by role.
    let voter = api.token(&voters[0], &["voter"]);
    assert_eq!(api.post(&path, &voter, &add).await.status, 401);
    let candidate = api.token(&unique("candidate"), &["candidate"]);
    assert_eq!(api.post(&path, &candidate, &add).await.status, 403);

    // After the opening: refused, and nothing written
    let wait = (opens - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    let clients = clients().await;
    let before = footprint(&clients, &election).await;
    let late = api
        .post(
            &path,
            &commission,
            &json!({"add": [{"identityKey": voters[2], "district": "North"}]}),
        )
        .await;
    assert_eq!(
        (late.status, late.body["code"].as_str()),
        (409, Some("roll-closed")),
        "{}",
        late.body
    );
    assert!(late.body["detail"].as_str().unwrap().contains("final"), "{}", late.body);
    let remove = api.post(&path, &commission, &json!({"remove": [voters[0]]})).await;
    assert_eq!(remove.status, 409);
    let upload = api
        .post(&format!("/elections/{election}/roll/imports"), &commission, &json!({}))
        .await;
    assert_eq!(
        (upload.status, upload.body["code"].as_str()),
        (409, Some("roll-closed"))
    );
    assert_eq!(footprint(&clients, &election).await, before);
}

#[tokio::test]
async fn only_voters_on_the_election_s_roll_may_vote() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let (ours, theirs, nobody) = (new_voters(1), new_voters(1), unique("voter"));
    let election = open_election(&api, &commission, &ours, TimeDelta::hours(1)).await;
    let other = open_election(&api, &commission, &theirs, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let clients = clients().await;

    // A voter not on the roll, and one on another election's roll: 403, nothing written
    for identity in [nobody.as_str(), theirs[0].as_str()] {
        let before = footprint(&clients, &election).await;
        let reply = vote(&api, &api.token(identity, &["voter"]), &election, &candidate).await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (403, Some("not-on-roll")),
            "{}",
            reply.body
        );
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("electoral roll") && detail.contains("commission"),
            "{detail}"
        );
        assert_eq!(footprint(&clients, &election).await, before);
    }
    assert!(stored_participations(&clients, &other).await.is_empty());

    // A voter on the roll: 201, then 409 already-voted (told apart from not-on-roll)
    let voter = api.token(&ours[0], &["voter"]);
    let first = vote(&api, &voter, &election, &candidate).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = vote(&api, &voter, &election, &candidate).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("already-voted")),
        "{}",
        again.body
    );
    assert_eq!(again.body["castAt"], first.body["castAt"]);
    assert_eq!(stored_participations(&clients, &election).await.len(), 1);
}

#[tokio::test]
async fn turnout_by_district_and_hour_matches_the_participations() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    // GIVEN a roll of two voters in the north and two in the south, three of whom vote
    let voters = new_voters(4);
    let opens = Utc::now() + TimeDelta::seconds(5);
    let body =
        json!({"name": unique("Turnout"), "votingStartsAt": opens, "votingEndsAt": opens + TimeDelta::seconds(12)});
    let election = api.post("/elections", &commission, &body).await.body["electionId"]
        .as_str()
        .unwrap()
        .to_owned();
    enroll_in(&api, &commission, &election, &voters[..2], "North").await;
    enroll_in(&api, &commission, &election, &voters[2..], "South").await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    tokio::time::sleep((opens - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50)).await;
    for voter in &voters[..3] {
        assert_eq!(
            vote(&api, &api.token(voter, &["voter"]), &election, &candidate)
                .await
                .status,
            201
        );
    }
    let path = format!("/elections/{election}/turnout");
    let live = format!("{path}/live");

    // The commission sees it as it comes in; no one else does, before the close
    let turnout = eventually(&api, &live, &commission, |t| t["voted"] == 3).await;
    assert_eq!(
        (turnout["onRoll"].as_u64(), turnout["voted"].as_u64()),
        (Some(4), Some(3)),
        "{turnout}"
    );
    assert_eq!(turnout["share"], 0.75);
    let by_district: Vec<(&str, u64, u64)> = turnout["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["district"].as_str().unwrap(),
                d["onRoll"].as_u64().unwrap(),
                d["voted"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_district, [("North", 2, 2), ("South", 2, 1)]);
    let reader = api.token(&unique("reader"), &["voter"]);
    assert_eq!(api.get(&path, &reader).await.status, 403);
    assert_eq!(api.send(reqwest::Method::GET, &path, None, None).await.status, 403);
    assert_eq!(api.get(&live, &reader).await.status, 401);

    // It is counted from the participations: the same counts by district and hour
    let mut counted: BTreeMap<(String, DateTime<Utc>), u64> = BTreeMap::new();
    for participation in stored_participations(&clients().await, &election).await {
        let at: DateTime<Utc> = participation["votedAt"].as_s().unwrap().parse().unwrap();
        let hour = election_core::domain::vote::coarse(at);
        *counted
            .entry((participation["district"].as_s().unwrap().clone(), hour))
            .or_default() += 1;
    }
    let mut shown: BTreeMap<(String, DateTime<Utc>), u64> = BTreeMap::new();
    for district in turnout["districts"].as_array().unwrap() {
        for cell in district["byHour"].as_array().unwrap() {
            let hour: DateTime<Utc> = cell["hour"].as_str().unwrap().parse().unwrap();
            shown.insert(
                (district["district"].as_str().unwrap().to_owned(), hour),
                cell["voted"].as_u64().unwrap(),
            );
        }
    }
    assert_eq!(shown, counted, "{turnout}");
    // It names no voter and no choice
    let text = turnout.to_string();
    assert!(
        !voters.iter().any(|v| text.contains(v.as_str())) && !text.contains(&candidate),
        "{text}"
    );

    // After the close, everyone sees it, signed in or not
    let closes: DateTime<Utc> = api.get(&format!("/elections/{election}"), &commission).await.body["votingEndsAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    tokio::time::sleep((closes - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(100)).await;
    for token in [Some(reader.as_str()), None] {
        let public = api.send(reqwest::Method::GET, &path, token, None).await;
        assert_eq!(
            (public.status, public.body["voted"].as_u64()),
            (200, Some(3)),
            "{}",
            public.body
        );
    }
}
