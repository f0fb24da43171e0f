//! No vote is lost in silence: a malformed item in the ballot box (an operator script, a
//! schema change) is set aside whole in its dead-letter queue, and the votes behind it are
//! still counted.

use crate::redelivery::ballot_cast_envelope;
use crate::support::{clients, queue_url, set_aside_lock, template, unique, Api};
use crate::walking_skeleton::{new_voters, open_election, register_candidate, results_within_30s, vote};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::TimeDelta;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_malformed_ballot_is_set_aside_whole_and_the_votes_behind_it_are_counted() {
    let _set_aside = set_aside_lock().lock().await;
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;

    // GIVEN an item in the ballot box tagged as a ballot but without its candidate
    let clients = clients().await;
    let receipt = uuid::Uuid::new_v4().to_string();
    let malformed_box = format!("{}#0", uuid::Uuid::new_v4());
    clients
        .dynamodb
        .put_item()
        .table_name(&template().names["BALLOT_BOX_TABLE"])
        .item("box", AttributeValue::S(malformed_box.clone()))
        .item("receiptId", AttributeValue::S(receipt.clone()))
        .item("entity", AttributeValue::S("ballot".into()))
        .send()
        .await
        .unwrap();

    // WHEN five votes are cast after it
    for sub in voters.iter().take(5) {
        let voter = api.token(sub, &["voter"]);
        assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    }

    // THEN all five are counted
    let results = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 5).await;
    assert_eq!(results["totalVotes"], 5, "{results}");

    // AND the malformed record waits in the unreadable-records queue, whole, with its image
    let queue_url = queue_url(&clients, local_runner::UNREADABLE_RECORDS_QUEUE).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let kept = loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        let found = received.messages().iter().find_map(|m| {
            let body: Value = serde_json::from_str(m.body().unwrap_or_default()).ok()?;
            (body["record"]["dynamodb"]["NewImage"]["receiptId"]["S"] == receipt.as_str()).then_some(body)
        });
        if let Some(body) = found {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the malformed record never reached the queue"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(
        kept["record"]["dynamodb"]["NewImage"]["box"]["S"],
        malformed_box.as_str()
    );
    assert!(kept["reason"].as_str().unwrap().contains("missing field"), "{kept}");
}

#[tokio::test]
async fn a_dead_lettered_ballot_redriven_is_counted_exactly_once() {
    let _dead_letters = set_aside_lock().lock().await;
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let voter = api.token(&voters[0], &["voter"]);
    assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 1).await;

    // GIVEN a ballot's event dead-lettered by the projector's queue, twice over
    let clients = clients().await;
    let dead_letters = queue_url(&clients, "DashboardDeadLetterQueue").await;
    let lost = crate::redelivery::ballot_cast_envelope(&election, &candidate).to_string();
    for _ in 0..2 {
        clients
            .sqs
            .send_message()
            .queue_url(&dead_letters)
            .message_body(&lost)
            .send()
            .await
            .unwrap();
    }
    let short = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await;
    assert_eq!(short.body["totalVotes"], 1);

    // WHEN the operator redrives the dead-letter queues
    let redrive = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-runner"))
        .arg("redrive")
        .arg("--template")
        .arg(crate::support::repo_root().join("template.yaml"))
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&redrive.stdout).into_owned();
    assert!(
        redrive.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&redrive.stderr)
    );
    // (at least ours: other tests' leftovers may be there too)
    let moved: i64 = said
        .lines()
        .find_map(|l| {
            l.strip_prefix("DashboardDeadLetterQueue: ")?
                .strip_suffix(" messages moved back to DashboardQueue")
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(moved >= 2, "{said}");

    // THEN the ballot is counted, once
    let results = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 2).await;
    assert_eq!(results["totalVotes"], 2, "{results}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await;
    assert_eq!(settled.body["totalVotes"], 2, "{}", settled.body);
}

/// Asks for certification once the operator has dealt with every set-aside record (other
/// tests' malformed ballots), so that nothing waits in the pipeline: asks for up to 90 s
/// (the rest of the suite's traffic drains through the same queues meanwhile) until the
/// answer is not 409.
pub async fn ask_to_certify_when_drained(api: &Api, commission: &str, election: &str) -> crate::support::Reply {
    let path = format!("/elections/{election}/certification");
    let _set_aside = set_aside_lock().lock().await;
    let clients = clients().await;
    let set_aside = queue_url(&clients, local_runner::UNREADABLE_RECORDS_QUEUE).await;
    clients.sqs.purge_queue().queue_url(&set_aside).send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let reply = api.post(&path, commission, &serde_json::json!({})).await;
        if reply.status != 409 || Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Certifies an election ([`ask_to_certify_when_drained`]), follows the job until its
/// workers have finished, and answers the results then read.
pub async fn certify_when_drained(api: &Api, commission: &str, election: &str) -> crate::support::Reply {
    let started = ask_to_certify_when_drained(api, commission, election).await;
    assert!([200, 202].contains(&started.status), "{}", started.body);
    let job = job_when_finished(api, commission, election).await;
    assert_eq!(job["state"], "certified", "{job}");
    api.get(&format!("/elections/{election}/results/live"), commission)
        .await
}

/// The certification job once it is no longer recounting (up to 60 s).
async fn job_when_finished(api: &Api, commission: &str, election: &str) -> serde_json::Value {
    let path = format!("/elections/{election}/certification");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = api.get(&path, commission).await;
        assert_eq!(job.status, 200, "{}", job.body);
        if job.body["state"] != "recounting" || Instant::now() > deadline {
            return job.body;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn results_are_certified_once_voting_has_ended_the_pipeline_is_drained_and_the_recount_matches() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    // GIVEN an election that closes in a few seconds, with three votes
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::seconds(4)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    for sub in voters.iter().take(3) {
        let voter = api.token(sub, &["voter"]);
        assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    }
    let (path, empty) = (format!("/elections/{election}/certification"), serde_json::json!({}));
    let certify = || api.post(&path, &commission, &empty);

    // THEN while voting is open the results are provisional and cannot be certified
    let open = certify().await;
    assert_eq!(
        (open.status, open.body["code"].as_str()),
        (409, Some("not-certifiable")),
        "{}",
        open.body
    );
    assert!(open.body["detail"].as_str().unwrap().contains("has not ended"));
    let provisional = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 3).await;
    assert_eq!(
        (provisional["final"].as_bool(), provisional["certifiedAt"].is_null()),
        (Some(false), true)
    );

    // WHEN voting has ended, and the operator has dealt with every set-aside record
    tokio::time::sleep(Duration::from_secs(5)).await;
    let certified = certify_when_drained(&api, &commission, &election).await;
    let clients = clients().await;

    // THEN the results are final, with when and by whom, and stay so
    assert_eq!(certified.status, 200, "{}", certified.body);
    assert_eq!(certified.body["final"], true);
    assert_eq!(certified.body["totalVotes"], 3);
    assert!(certified.body["certifiedBy"].as_str().unwrap().starts_with("officer"));
    let again = certify().await;
    assert_eq!(
        (again.status, &again.body["state"]),
        (200, &serde_json::json!("certified"))
    );
    let reread = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await;
    assert_eq!(reread.body["certifiedAt"], certified.body["certifiedAt"]);
    let voter = api.token(&unique("reader"), &["voter"]);
    let public = api.get(&format!("/elections/{election}/results"), &voter).await;
    assert_eq!(
        (public.status, public.body["final"].as_bool()),
        (200, Some(true)),
        "{}",
        public.body
    );
    assert_eq!(public.body["lateBallots"], 0, "{}", public.body);

    // WHEN a ballot reaches the count after the results are final (one that committed past
    // every bound; put on the projector's queue here, as the bus would deliver it)
    let dashboard_queue = queue_url(&clients, "DashboardQueue").await;
    clients
        .sqs
        .send_message()
        .queue_url(&dashboard_queue)
        .message_body(ballot_cast_envelope(&election, &candidate).to_string())
        .send()
        .await
        .unwrap();

    // THEN it is set aside: the final results stay as certified, and say a late ballot exists
    let late = results_within_30s(&api, &commission, &election, |r| r["lateBallots"] == 1).await;
    assert_eq!(
        (&late["totalVotes"], &late["final"], &late["certifiedAt"]),
        (
            &serde_json::json!(3),
            &serde_json::json!(true),
            &certified.body["certifiedAt"]
        ),
        "{late}"
    );
}

#[tokio::test]
async fn certification_is_a_job_with_progress_that_a_repeated_request_joins() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    // GIVEN an election that has closed, with two votes counted
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::seconds(3)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    for sub in voters.iter().take(2) {
        let voter = api.token(sub, &["voter"]);
        assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    }
    results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 2).await;
    tokio::time::sleep(Duration::from_secs(9)).await;
    let path = format!("/elections/{election}/certification");

    // THEN before anyone asks, there is no job
    assert_eq!(api.get(&path, &commission).await.status, 404);

    // WHEN the commission asks (once the pipeline is drained), then asks again at once
    let first = ask_to_certify_when_drained(&api, &commission, &election).await;
    let again = api.post(&path, &commission, &serde_json::json!({})).await;

    // THEN the first starts a job (202, or 200 if its workers were already done), and the
    // second joins the same attempt
    assert!([200, 202].contains(&first.status), "{}", first.body);
    assert!([200, 202].contains(&again.status), "{}", again.body);
    assert_eq!(
        (&first.body["attempt"], &again.body["attempt"]),
        (&serde_json::json!(1), &serde_json::json!(1))
    );
    assert_eq!(
        first.body["requestedAt"], again.body["requestedAt"],
        "one job: {} {}",
        first.body, again.body
    );
    assert_eq!(first.body["parts"], 32, "{}", first.body);

    // and the workers finish it: every part counted, the results final with both votes
    let job = job_when_finished(&api, &commission, &election).await;
    assert_eq!(
        (&job["state"], &job["partsDone"], &job["attempt"]),
        (&serde_json::json!("certified"), &job["parts"], &serde_json::json!(1)),
        "{job}"
    );
    let results = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await;
    assert_eq!(
        (&results.body["final"], &results.body["totalVotes"]),
        (&serde_json::json!(true), &serde_json::json!(2)),
        "{}",
        results.body
    );
}
