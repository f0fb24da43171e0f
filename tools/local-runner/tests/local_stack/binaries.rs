//! The functions' real binaries, as Lambda runs them: each is started on a Runtime API of
//! its own, with the environment the template gives it (pointed at the local stack), and
//! answers its sample event from `events/` (under freshly seeded ids).

use crate::support::{clients, repo_root, template};
use handlers::functions::Function;
use local_runner::clients::Ports;
use local_runner::function_env::function_environment;
use local_runner::jwt::LocalIssuers;
use local_runner::runtime_api::{start_function, InvokeError, Outcome, RuntimeApi};
use local_runner::samples::{seed, signed, with_mix_copy_sealed, SampleIds};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Where `cargo build --workspace` put the function binaries: beside this test's folder.
fn binary(function: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug")
        .join(function);
    assert!(
        path.exists(),
        "{} is not built: run cargo build --workspace",
        path.display()
    );
    path
}

fn log_file(function: &str) -> PathBuf {
    std::env::temp_dir().join(format!("omp-binary-{function}-{}.log", uuid::Uuid::new_v4()))
}

/// Starts `function`'s binary with `environment`, hands it `event`, and returns the outcome
/// and everything the process printed.
async fn invoke(
    function: &str,
    environment: &BTreeMap<String, String>,
    event: Value,
) -> (Result<Outcome, InvokeError>, String) {
    let api = RuntimeApi::serve(function).await.unwrap();
    let log = log_file(function);
    let mut process = start_function(&binary(function), environment, &api, &log).unwrap();
    let outcome = tokio::select! {
        outcome = api.invoke(event, Duration::from_secs(30)) => outcome,
        exited = process.wait() => panic!("{function} exited: {exited:?}\n{}", std::fs::read_to_string(&log).unwrap_or_default()),
    };
    let _ = process.kill().await;
    let printed = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    (outcome, printed)
}

/// The status a sample HTTP event gets, in the order the files are run (by name).
fn expected_status(sample: &str) -> u16 {
    match sample {
        "add-pledge" | "cast-vote" | "register-candidate" | "register-election" | "key-ceremony" => 201,
        "delete-pledge" | "withdraw-candidate" => 204,
        // Voting is open: not yet; and the roll is final. The verifiable election's ceremony
        // is not complete: no ballot is challenged, no tally frozen.
        "certify-results" | "start-roll-import" | "correct-roll" | "challenge-ballot" | "decrypt-tally" => 409,
        // Nobody has asked to certify the sample election.
        "get-certification" => 404,
        _ => 200,
    }
}

#[tokio::test]
async fn every_function_binary_answers_its_sample_event_through_the_runtime_api() {
    let (template, clients) = (template(), clients().await);
    let services = local_runner::local_services(&clients, &template).unwrap();
    let ids = SampleIds::fresh();
    seed(&services.store, &services.sealer, &ids).await.unwrap();
    local_runner::samples::upload_roll_file(&clients, &template, &ids)
        .await
        .unwrap();
    let mut samples: Vec<PathBuf> = std::fs::read_dir(repo_root().join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    samples.sort();
    let mut answered = Vec::new();
    for path in samples {
        let sample = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let name = sample.split('.').next().unwrap().to_owned();
        let function = Function::from_name(&name).unwrap_or_else(|| panic!("{sample} names no function"));
        let environment = function_environment(&template, &name, &clients, Ports::from_env())
            .await
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = match name.as_str() {
            "mix-ballots" => with_mix_copy_sealed(&text, &services.sealer, &ids).await.unwrap(),
            _ => signed(&ids.fill_in(&text), &LocalIssuers::from_env()).unwrap(),
        };
        let event: Value = serde_json::from_str(&text).unwrap();
        let (outcome, printed) = invoke(&name, &environment, event).await;
        let Ok(Outcome::Response(reply)) = outcome else {
            panic!("{sample}: {outcome:?}\n{printed}");
        };
        match function {
            Function::Http(_) => {
                assert_eq!(
                    reply["statusCode"],
                    expected_status(&sample),
                    "{sample}: {reply}\n{printed}"
                );
            }
            Function::Stream(_) | Function::Queue(_) => {
                assert_eq!(reply["batchItemFailures"], Value::Array(vec![]), "{sample}: {reply}");
            }
            Function::Operation(_) => assert!(reply["matches"].is_boolean(), "{sample}: {reply}"),
        }
        answered.push(name);
    }
    for function in Function::all() {
        assert!(
            answered.iter().any(|n| n == function.name()),
            "no sample answered by {}",
            function.name()
        );
    }
}

#[tokio::test]
async fn a_binary_invoked_directly_with_forged_claims_answers_401() {
    let (template, clients) = (template(), clients().await);
    let services = local_runner::local_services(&clients, &template).unwrap();
    let ids = SampleIds::fresh();
    seed(&services.store, &services.sealer, &ids).await.unwrap();
    let issuers = LocalIssuers::from_env();
    for name in ["my-votes", "cast-vote", "register-election"] {
        let environment = function_environment(&template, name, &clients, Ports::from_env())
            .await
            .unwrap();
        let sample = std::fs::read_to_string(repo_root().join(format!("events/{name}.json"))).unwrap();
        let sample = ids.fill_in(&sample);
        // GIVEN the sample's claims in the request context, as anyone allowed to invoke the
        // function could write them, with no token, or one signed by an impostor's key
        let forged = signed(&sample, &issuers.impostor()).unwrap();
        let mut unsigned: Value = serde_json::from_str(&sample).unwrap();
        unsigned["headers"].as_object_mut().unwrap().remove("authorization");
        for event in [unsigned, serde_json::from_str(&forged).unwrap()] {
            // WHEN the binary is invoked directly
            let (outcome, printed) = invoke(name, &environment, event).await;
            // THEN it checks the token itself, and refuses
            let Ok(Outcome::Response(reply)) = outcome else {
                panic!("{name}: {outcome:?}\n{printed}");
            };
            assert_eq!(reply["statusCode"], 401, "{name}: {reply}\n{printed}");
        }
    }
    // AND nothing was stored: the sample voter has not voted in this election (the other
    // binaries test votes as the same voter, in an election of its own)
    let my_votes = signed(
        &ids.fill_in(&std::fs::read_to_string(repo_root().join("events/my-votes.json")).unwrap()),
        &issuers,
    )
    .unwrap();
    let environment = function_environment(&template, "my-votes", &clients, Ports::from_env())
        .await
        .unwrap();
    let (outcome, printed) = invoke("my-votes", &environment, serde_json::from_str(&my_votes).unwrap()).await;
    let Ok(Outcome::Response(reply)) = outcome else {
        panic!("my-votes: {outcome:?}\n{printed}");
    };
    assert_eq!(reply["statusCode"], 200, "{reply}\n{printed}");
    let votes: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert!(!votes.to_string().contains(&ids.election), "{votes}");
}

#[tokio::test]
async fn a_binary_logs_json_lines_with_its_request_id_and_function_name() {
    let (template, clients) = (template(), clients().await);
    let environment = function_environment(&template, "query-elections", &clients, Ports::from_env())
        .await
        .unwrap();
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("events/query-elections.json")).unwrap())
            .unwrap();
    let mut environment = environment;
    environment.insert("AWS_LAMBDA_LOG_LEVEL".into(), "DEBUG".into());
    let (outcome, printed) = invoke("query-elections", &environment, event).await;
    assert!(matches!(outcome, Ok(Outcome::Response(_))), "{outcome:?}");
    let lines: Vec<Value> = printed.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty(), "no JSON log line in:\n{printed}");
    let in_invocation = lines
        .iter()
        .find(|line| {
            line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|s| s["functionName"] == "query-elections"))
        })
        .unwrap_or_else(|| panic!("no line names the function:\n{printed}"));
    let spans = in_invocation["spans"].as_array().unwrap();
    assert!(
        spans
            .iter()
            .any(|s| s["requestId"].as_str().is_some_and(|id| !id.is_empty())),
        "no request id: {in_invocation}"
    );
}

#[tokio::test]
async fn a_binary_started_without_a_setting_exits_naming_it() {
    let (template, clients) = (template(), clients().await);
    let complete = function_environment(&template, "cast-vote", &clients, Ports::from_env())
        .await
        .unwrap();
    for empty in [false, true] {
        let mut environment = complete.clone();
        if empty {
            environment.insert("BALLOT_MIX_KEY".into(), String::new());
        } else {
            environment.remove("BALLOT_MIX_KEY");
        }
        let api = RuntimeApi::serve("cast-vote").await.unwrap();
        let log = log_file("cast-vote");
        let mut process = start_function(&binary("cast-vote"), &environment, &api, &log).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(20), process.wait())
            .await
            .expect("the process exits")
            .unwrap();
        let printed = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        assert!(!status.success(), "started without BALLOT_MIX_KEY (empty: {empty})");
        assert!(
            printed.contains("BALLOT_MIX_KEY"),
            "the message does not name it:\n{printed}"
        );
    }
}
