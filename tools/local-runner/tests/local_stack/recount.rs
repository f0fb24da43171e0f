//! The operator's recount on the running stack, through the real command
//! (`local-runner recount`): votes cast over HTTP, one of them then lost from the results
//! as a dead-lettered event would be; the recount finds it, a repair counts it once.

use crate::support::{clients, stored_ballots, template, unique, Api};
use crate::walking_skeleton::{new_voters, open_election, register_candidate, results_within_30s, vote, votes_of};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::TimeDelta;
use std::process::Output;

async fn recount(election: &str, repair: bool) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-runner"));
    command
        .arg("recount")
        .arg(election)
        .arg("--template")
        .arg(crate::support::repo_root().join("template.yaml"));
    if repair {
        command.arg("--repair");
    }
    command.output().await.expect("local-runner recount runs")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[tokio::test]
async fn a_recount_finds_a_vote_the_results_lost_and_a_repair_counts_it_once() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    // GIVEN four votes cast over HTTP and counted
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let ada = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let grace = register_candidate(&api, &commission, &election, 2, "Grace Hopper").await;
    for (i, candidate) in [&ada, &ada, &ada, &grace].into_iter().enumerate() {
        let voter = api.token(&voters[i], &["voter"]);
        assert_eq!(vote(&api, &voter, &election, candidate).await.status, 201);
    }
    let counted = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 4).await;
    assert_eq!(counted["totalVotes"], 4, "{counted}");
    let matching = recount(&election, false).await;
    assert!(matching.status.success(), "{}", text(&matching));
    assert!(text(&matching).contains("recount matches"));

    // WHEN one of Ada's votes is lost from the results: its marker gone and a counter short,
    // as if its event had been dead-lettered
    let clients = clients().await;
    let dashboard = &template().names["DASHBOARD_TABLE"];
    let ballot = stored_ballots(&clients, &election)
        .await
        .into_iter()
        .find(|b| b.get("candidateId") == Some(&AttributeValue::S(ada.clone())))
        .expect("a ballot for Ada");
    let Some(AttributeValue::S(receipt)) = ballot.get("receiptId") else {
        panic!("a receipt")
    };
    clients
        .dynamodb
        .delete_item()
        .table_name(dashboard)
        .key("pk", AttributeValue::S(format!("event#BallotCast-{receipt}")))
        .key("sk", AttributeValue::S("event".into()))
        .send()
        .await
        .unwrap();
    let mut shortened = false;
    for shard in 0..adapters::dynamodb::VOTE_COUNTER_SHARDS {
        let short = clients
            .dynamodb
            .update_item()
            .table_name(dashboard)
            .key("pk", AttributeValue::S(format!("votes#{election}#{shard}")))
            .key("sk", AttributeValue::S(format!("candidate#{ada}")))
            .update_expression("ADD votes :minus")
            .condition_expression("votes >= :one")
            .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        if short.is_ok() {
            shortened = true;
            break;
        }
    }
    assert!(shortened, "a counter of Ada's to shorten");
    let admin = api.token(&unique("admin"), &["admin"]);
    let short = api.get(&format!("/elections/{election}/results/live"), &admin).await;
    assert_eq!(votes_of(&short.body, &ada), 2);

    // THEN the recount shows the difference and fails
    let differs = recount(&election, false).await;
    assert_eq!(differs.status.code(), Some(1), "{}", text(&differs));
    let report = text(&differs);
    assert!(report.contains("RECOUNT DIFFERS"), "{report}");
    let ada_line = report.lines().find(|l| l.starts_with(&ada)).expect("Ada's line");
    assert_eq!(
        ada_line.split_whitespace().skip(1).collect::<Vec<_>>(),
        ["3", "2", "1"],
        "{report}"
    );

    // AND a repair counts the lost vote once: twice run, still exact
    for _ in 0..2 {
        let repaired = recount(&election, true).await;
        assert!(repaired.status.success(), "{}", text(&repaired));
    }
    let results = api.get(&format!("/elections/{election}/results/live"), &admin).await;
    assert_eq!(
        (votes_of(&results.body, &ada), votes_of(&results.body, &grace)),
        (3, 1),
        "{}",
        results.body
    );
}

#[tokio::test]
async fn a_recount_with_a_bad_election_id_is_refused() {
    let bad = recount("not-an-id", false).await;
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("not an election id"), "{}", text(&bad));
}
