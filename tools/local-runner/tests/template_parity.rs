//! `template.yaml` is the single source of truth: every function, route and trigger in it
//! is what the runner and the contract serve, and nothing else. These checks read the
//! files only; `local_stack/template_parity.rs` checks the live stack.

mod common;

use common::repo_file;
use handlers::functions::{Function, StreamFunction};
use local_runner::template::{Template, Trigger};
use std::collections::BTreeSet;

fn template() -> Template {
    Template::load(&repo_file("template.yaml")).expect("template.yaml parses")
}

#[test]
fn every_template_function_has_a_handler_and_every_handler_a_template_function() {
    let template = template();
    let in_template: BTreeSet<&str> = template.functions.iter().map(|f| f.name.as_str()).collect();
    let in_runner: BTreeSet<&str> = Function::all().map(|f| f.name()).collect();
    assert_eq!(in_template, in_runner);
    for def in &template.functions {
        let function = Function::from_name(&def.name).unwrap();
        for trigger in &def.triggers {
            let fits = matches!(
                (trigger, function),
                (Trigger::Http(_), Function::Http(_))
                    | (Trigger::Stream { .. }, Function::Stream(_))
                    | (Trigger::Queue { .. }, Function::Queue(_))
                    | (Trigger::Schedule, Function::Stream(StreamFunction::MixBallots))
            );
            assert!(
                fits,
                "{} has a trigger its handler does not take: {trigger:?}",
                def.name
            );
        }
    }
}

#[test]
fn the_runner_serves_exactly_the_template_routes() {
    let template = template();
    let served: BTreeSet<(String, String)> = local_runner::gateway::compile_routes(&template)
        .unwrap()
        .into_iter()
        .map(|r| (r.route.method, r.route.path))
        .collect();
    let declared: BTreeSet<(String, String)> = template.routes().into_iter().map(|(r, _)| (r.method, r.path)).collect();
    assert_eq!(served, declared);
    assert!(declared.len() >= 4);
}

fn spec() -> serde_json::Value {
    let text = std::fs::read_to_string(repo_file("openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The spec's operations as (METHOD, path, security scheme), `None` for a public one.
fn spec_operations(spec: &serde_json::Value) -> BTreeSet<(String, String, Option<String>)> {
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                let security = operation.get("security").or(spec.get("security"));
                let schemes: Vec<String> = security
                    .and_then(|s| s.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_object())
                    .flat_map(|s| s.keys().cloned())
                    .collect();
                assert!(
                    schemes.len() <= 1,
                    "{method} {path}: one scheme at most, as one authorizer"
                );
                operations.insert((method.to_uppercase(), path.clone(), schemes.into_iter().next()));
            }
        }
    }
    operations
}

#[test]
fn the_contract_has_exactly_the_template_routes_each_with_its_authorizer() {
    // The user pool's authorizer is the contract's `officials`, the voters' is `voters`, and a
    // route without one (Auth NONE) is public in both.
    let scheme = |authorizer: Option<String>| {
        authorizer.map(|name| match name.as_str() {
            local_runner::authorizer::OFFICIALS => "officials".to_owned(),
            local_runner::authorizer::VOTERS => "voters".to_owned(),
            other => panic!("an authorizer the contract does not name: {other}"),
        })
    };
    let declared: BTreeSet<(String, String, Option<String>)> = template()
        .routes()
        .into_iter()
        .map(|(r, _)| (r.method, r.path, scheme(r.authorizer)))
        .collect();
    assert_eq!(spec_operations(&spec()), declared);
    // Only reads are public, and the Benaloh challenge: it must never carry an identity.
    assert!(declared.iter().all(|(method, path, scheme)| scheme.is_some()
        || method == "GET"
        || path == "/elections/{electionId}/challenges"));
}

#[test]
fn the_contract_lists_exactly_the_problem_codes_of_the_core() {
    let spec = spec();
    let listed: BTreeSet<&str> = spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    let core: BTreeSet<&str> = election_core::problem::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, core);
}

/// Each function's IAM grants as "action table" lines, read off the template's statements.
/// Whether `value` has the shape `schema` gives it: types, required and allowed properties,
/// array sizes, `$ref`s followed. Enough to catch a field the contract does not know.
fn conforms(
    spec: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = spec
            .pointer(reference.trim_start_matches('#'))
            .ok_or(format!("{at}: no {reference}"))?;
        return conforms(spec, target, value, at);
    }
    match (schema["type"].as_str(), value) {
        (Some("object"), serde_json::Value::Object(fields)) => {
            let properties = schema["properties"].as_object().cloned().unwrap_or_default();
            for required in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str())
            {
                if !fields.contains_key(required) {
                    return Err(format!("{at}: `{required}` is required"));
                }
            }
            for (name, field) in fields {
                match properties.get(name) {
                    Some(property) => conforms(spec, property, field, &format!("{at}.{name}"))?,
                    None if schema["additionalProperties"] == false => {
                        return Err(format!("{at}: `{name}` is not in the contract"))
                    }
                    None => {}
                }
            }
            Ok(())
        }
        (Some("array"), serde_json::Value::Array(items)) => {
            if items.len() < schema["minItems"].as_u64().unwrap_or(0) as usize {
                return Err(format!("{at}: too few items"));
            }
            items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| conforms(spec, &schema["items"], item, &format!("{at}[{i}]")))
        }
        (Some("string"), serde_json::Value::String(_)) | (None, _) => Ok(()),
        (Some("integer"), value) if value.is_u64() || value.is_i64() => Ok(()),
        (expected, value) => Err(format!("{at}: {value} is not of type {expected:?}")),
    }
}

#[test]
fn the_contract_takes_every_ballot_the_device_may_send_and_the_board_shows() {
    // The crypto crate's test vectors are ballots in the published format: a plain one and one
    // with proofs of 0 for withdrawn candidates (spec 7.4), which the board lists as they came.
    let spec = spec();
    let schema = &spec["components"]["schemas"]["EncryptedBallot"];
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_file("shared/crypto/tests/vectors.json")).unwrap()).unwrap();
    let withdrawn = &vectors["withdrawn_ballot"]["ballot"];
    assert!(withdrawn["zero_proofs"].as_array().is_some_and(|z| !z.is_empty()));
    conforms(&spec, schema, withdrawn, "ballot").unwrap();
    let mut plain = withdrawn.clone();
    plain.as_object_mut().unwrap().remove("zero_proofs");
    conforms(&spec, schema, &plain, "ballot").unwrap();
    let mut unknown = plain.clone();
    unknown["extra"] = serde_json::json!(1);
    assert!(
        conforms(&spec, schema, &unknown, "ballot").is_err(),
        "the check itself can fail"
    );
}

fn grants(yaml: &serde_yaml::Value, function: &str) -> BTreeSet<String> {
    let text = |v: &serde_yaml::Value| -> Vec<String> {
        match v {
            serde_yaml::Value::Sequence(items) => items.iter().map(|i| format!("{i:?}")).collect(),
            other => vec![format!("{other:?}")],
        }
    };
    let mut found = BTreeSet::new();
    let policies = &yaml["Resources"][function]["Properties"]["Policies"];
    for policy in policies.as_sequence().into_iter().flatten() {
        assert!(
            policy.get("Statement").is_some(),
            "{function}: a managed policy template: {policy:?}"
        );
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            assert_eq!(statement["Effect"].as_str(), Some("Allow"));
            for action in text(&statement["Action"]) {
                for resource in text(&statement["Resource"]) {
                    // `Tagged(!GetAtt, String("CandidatesTable.Arn"))` → `CandidatesTable`
                    let table = resource
                        .split('"')
                        .nth(1)
                        .map(|r| {
                            r.trim_start_matches("${")
                                .split(['.', '}'])
                                .next()
                                .unwrap_or_default()
                                .to_owned()
                        })
                        .unwrap_or(resource.clone());
                    let index = if resource.contains("/index/") { "/index" } else { "" };
                    found.insert(format!(
                        "{} {table}{index}",
                        action
                            .trim_matches('"')
                            .trim_start_matches("String(\"")
                            .trim_end_matches("\")")
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_function_gets_exactly_the_table_actions_it_uses() {
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo_file("template.yaml")).unwrap()).unwrap();
    let expected: &[(&str, &[&str])] = &[
        ("RegisterElectionFunction", &["dynamodb:PutItem ElectionsTable"]),
        (
            "RegisterCandidateFunction",
            &[
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem CandidatesTable",
                "dynamodb:Query CeremonyTable",
            ],
        ),
        // The ceremony writes its own messages and, once complete, the election's mark.
        (
            "KeyCeremonyFunction",
            &[
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem CeremonyTable",
                "dynamodb:Query CandidatesTable/index",
                "dynamodb:Query CeremonyTable",
                "dynamodb:UpdateItem ElectionsTable",
            ],
        ),
        // The board reads the box; a challenge claims its ballot and puts it beside the box.
        (
            "QueryBoardFunction",
            &[
                "dynamodb:GetItem BallotBoxTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:Query BallotBoxTable",
                "dynamodb:Query CeremonyTable",
            ],
        ),
        (
            "ChallengeBallotFunction",
            &[
                "dynamodb:BatchGetItem ClaimsTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PartiQLInsert ClaimsTable",
                "dynamodb:PutItem BallotBoxTable",
                "dynamodb:Query CeremonyTable",
            ],
        ),
        // The tally reads the board and the pools, keeps itself, each partial decryption and
        // the late ballots as ceremony messages, and publishes the record (reading back the
        // ballots it froze).
        (
            "DecryptTallyFunction",
            &[
                "dynamodb:BatchGetItem DashboardTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem CeremonyTable",
                "dynamodb:PutItem DashboardTable",
                "dynamodb:Query BallotBoxTable",
                "dynamodb:Query CeremonyTable",
                "dynamodb:Query DashboardTable",
                "dynamodb:UpdateItem DashboardTable",
                "s3:GetObject RecordsBucket",
                "s3:PutObject RecordsBucket",
                "sqs:SendMessage RecountQueue",
            ],
        ),
        (
            "QueryCeremonyFunction",
            &["dynamodb:GetItem ElectionsTable", "dynamodb:Query CeremonyTable"],
        ),
        (
            "WithdrawCandidateFunction",
            &[
                "dynamodb:GetItem CandidatesTable",
                "dynamodb:UpdateItem CandidatesTable",
            ],
        ),
        (
            "AddPledgeFunction",
            &[
                "dynamodb:ConditionCheckItem CandidatesTable",
                "dynamodb:GetItem CandidatesTable",
                "dynamodb:PutItem PledgesTable",
            ],
        ),
        (
            "DeletePledgeFunction",
            &["dynamodb:DeleteItem PledgesTable", "dynamodb:GetItem CandidatesTable"],
        ),
        (
            "QueryElectionsFunction",
            &[
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:Query ElectionsTable/index",
                "dynamodb:Query CandidatesTable/index",
                "dynamodb:Query PledgesTable",
            ],
        ),
        (
            "QueryCandidatesFunction",
            &[
                "dynamodb:GetItem CandidatesTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:Query CandidatesTable/index",
            ],
        ),
        (
            "QueryPledgesFunction",
            &["dynamodb:GetItem CandidatesTable", "dynamodb:Query PledgesTable"],
        ),
        // A vote updates the voter's roll entry, and nothing else: no put of an entry (it
        // could add a voter to the roll), no batch write, no delete, and no ballot box. An
        // encrypted ballot also reads the ceremony and claims its id and ciphertexts.
        (
            "CastVoteFunction",
            &[
                "dynamodb:BatchGetItem ClaimsTable",
                "dynamodb:GetItem CandidatesTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:GetItem ParticipationTable",
                "dynamodb:PartiQLInsert ClaimsTable",
                "dynamodb:Query CeremonyTable",
                "dynamodb:UpdateItem ParticipationTable",
            ],
        ),
        // The mixer removes its copy from an entry (an update: it cannot add a voter), and
        // keeps its pools and writes ballots in the ballot box; it reads an election's window.
        (
            "MixBallotsFunction",
            &[
                "dynamodb:BatchGetItem BallotBoxTable",
                "dynamodb:BatchWriteItem BallotBoxTable",
                "dynamodb:DeleteItem BallotBoxTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem BallotBoxTable",
                "dynamodb:Query BallotBoxTable",
                "dynamodb:UpdateItem ParticipationTable",
                "sqs:SendMessage PublishFailuresQueue",
            ],
        ),
        (
            "StartRollImportFunction",
            &[
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem RollsTable",
                "s3:PutObject RollFilesBucket",
            ],
        ),
        (
            "QueryRollFunction",
            &["dynamodb:GetItem ElectionsTable", "dynamodb:GetItem RollsTable"],
        ),
        // A correction may add or remove an entry, but never vote: no update of an entry.
        (
            "CorrectRollFunction",
            &[
                "dynamodb:DeleteItem ParticipationTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:GetItem ParticipationTable",
                "dynamodb:PutItem ParticipationTable",
                "dynamodb:PutItem RollsTable",
                "dynamodb:UpdateItem RollsTable",
            ],
        ),
        (
            "GetTurnoutFunction",
            &[
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:GetItem RollsTable",
                "dynamodb:Query DashboardTable",
            ],
        ),
        // The import writes entries and its own progress, and adopts the roll on the
        // election's item: nothing else.
        (
            "ImportRollFunction",
            &[
                "dynamodb:BatchGetItem ParticipationTable",
                "dynamodb:BatchWriteItem ParticipationTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:GetItem RollsTable",
                "dynamodb:PutItem RollsTable",
                "dynamodb:UpdateItem ElectionsTable",
                "s3:DeleteObject RollFilesBucket",
                "s3:GetObject RollFilesBucket",
            ],
        ),
        (
            "MyVotesFunction",
            &[
                "dynamodb:BatchGetItem DashboardTable",
                "dynamodb:Query ParticipationTable",
            ],
        ),
        (
            "GetResultsFunction",
            &["dynamodb:GetItem ElectionsTable", "dynamodb:Query DashboardTable"],
        ),
        (
            "ProjectDashboardFunction",
            &[
                "dynamodb:ConditionCheckItem DashboardTable",
                "dynamodb:GetItem DashboardTable",
                "dynamodb:PutItem DashboardTable",
                "dynamodb:UpdateItem DashboardTable",
            ],
        ),
        (
            "CountPledgesFunction",
            &[
                "dynamodb:GetItem CandidatesTable",
                "dynamodb:PutItem CandidatesTable",
                "dynamodb:UpdateItem CandidatesTable",
            ],
        ),
        (
            "RemoveWithdrawnPledgesFunction",
            &["dynamodb:DeleteItem PledgesTable", "dynamodb:Query PledgesTable"],
        ),
        (
            "CertifyResultsFunction",
            &[
                "dynamodb:BatchGetItem DashboardTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem DashboardTable",
                "dynamodb:Query BallotBoxTable",
                "dynamodb:Query CeremonyTable",
                "dynamodb:Query DashboardTable",
                "dynamodb:UpdateItem DashboardTable",
                "sqs:GetQueueAttributes DashboardDeadLetterQueue",
                "sqs:GetQueueAttributes DashboardQueue",
                "sqs:GetQueueAttributes PledgeCountDeadLetterQueue",
                "sqs:GetQueueAttributes PledgeCountQueue",
                "sqs:GetQueueAttributes PublishFailuresQueue",
                "sqs:GetQueueAttributes RuleDeliveryDeadLetterQueue",
                "sqs:GetQueueAttributes UnreadableRecordsQueue",
                "sqs:GetQueueAttributes WithdrawalDeadLetterQueue",
                "sqs:GetQueueAttributes WithdrawalQueue",
                "sqs:SendMessage RecountQueue",
            ],
        ),
        ("GetCertificationFunction", &["dynamodb:BatchGetItem DashboardTable"]),
        (
            "RecountPartFunction",
            &[
                "dynamodb:BatchGetItem DashboardTable",
                "dynamodb:GetItem ElectionsTable",
                "dynamodb:PutItem CeremonyTable",
                "dynamodb:PutItem DashboardTable",
                "dynamodb:Query BallotBoxTable",
                "dynamodb:Query CeremonyTable",
                "dynamodb:Query DashboardTable",
                "dynamodb:UpdateItem DashboardTable",
                "s3:PutObject RecordsBucket",
                "sqs:SendMessage RecountQueue",
            ],
        ),
        (
            "RecountFunction",
            &[
                "dynamodb:ConditionCheckItem DashboardTable",
                "dynamodb:GetItem DashboardTable",
                "dynamodb:PutItem DashboardTable",
                "dynamodb:Query BallotBoxTable",
                "dynamodb:Query DashboardTable",
                "dynamodb:UpdateItem DashboardTable",
            ],
        ),
    ];
    for (function, actions) in expected {
        let want: BTreeSet<String> = actions.iter().map(|a| a.to_string()).collect();
        assert_eq!(grants(&yaml, function), want, "{function}");
    }
    // Every function is listed, but the publisher (no table access: the bus and two queues).
    let functions: BTreeSet<&str> = yaml["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .filter_map(|(id, _)| id.as_str())
        .collect();
    let listed: BTreeSet<&str> = expected
        .iter()
        .map(|(f, _)| *f)
        .chain(["PublishEventsFunction"])
        .collect();
    assert_eq!(functions, listed);
}

#[test]
fn every_function_is_given_exactly_the_settings_it_reads() {
    let template = template();
    assert!(
        template.environment.is_empty(),
        "Globals give every function {:?}",
        template.environment
    );
    for def in &template.functions {
        let function = Function::from_name(&def.name).unwrap();
        let given: BTreeSet<&str> = def.variables.keys().map(String::as_str).collect();
        let read: BTreeSet<&str> = function.settings().iter().map(|s| s.variable()).collect();
        assert_eq!(
            given, read,
            "{}: the template's variables and the settings it reads",
            def.name
        );
    }
}

#[test]
fn a_vote_ends_inside_its_functions_timeout_with_a_margin() {
    let text = std::fs::read_to_string(repo_file("template.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let timeout = yaml["Resources"]["CastVoteFunction"]["Properties"]["Timeout"]
        .as_u64()
        .expect("the vote function states its timeout");
    // The last send starts inside the send window; it and the read-back are bounded: at the
    // most the template allows each of them.
    let worst = max_ms(&yaml, "SendWindowMs") + 2 * max_ms(&yaml, "OperationBoundMs");
    let margin = std::time::Duration::from_secs(3);
    assert!(
        worst + margin <= std::time::Duration::from_secs(timeout),
        "the worst vote ({worst:?}) and a {margin:?} margin do not fit in {timeout} s"
    );
}

/// The most a time parameter of the template may be set to.
fn max_ms(yaml: &serde_yaml::Value, parameter: &str) -> std::time::Duration {
    let ms = yaml["Parameters"][parameter]["MaxValue"].as_u64();
    std::time::Duration::from_millis(ms.unwrap_or_else(|| panic!("{parameter} states its MaxValue")))
}

#[test]
fn a_stalled_recount_is_sent_again_only_after_its_workers_would_have_timed_out() {
    let text = std::fs::read_to_string(repo_file("template.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let timeout = yaml["Resources"]["RecountPartFunction"]["Properties"]["Timeout"]
        .as_u64()
        .expect("the recount worker states its timeout");
    let least = yaml["Parameters"]["RecountStallMs"]["MinValue"].as_u64().unwrap();
    assert!(
        least > timeout * 1000,
        "RecountStallMs may be {least} ms, the worker runs {timeout} s"
    );
    // And its queue hands a part out again only after a worker would have given it up.
    let visibility = yaml["Resources"]["RecountQueue"]["Properties"]["VisibilityTimeout"]
        .as_u64()
        .unwrap();
    assert!(visibility > timeout, "{visibility} s visibility, {timeout} s worker");
}

#[test]
fn the_pipeline_queues_hide_a_batch_longer_than_their_consumers_run_and_a_test_stack_may_shorten_it() {
    let text = std::fs::read_to_string(repo_file("template.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let least = yaml["Parameters"]["ConsumerVisibilityTimeout"]["MinValue"]
        .as_u64()
        .unwrap();
    let consumer_timeout = yaml["Globals"]["Function"]["Timeout"].as_u64().unwrap();
    assert!(
        least >= 3 * consumer_timeout,
        "{least} s visibility, {consumer_timeout} s consumers"
    );
    let visibility = |template: &Template, queue: &str| {
        template
            .queues
            .iter()
            .find(|q| q.logical_id == queue)
            .map(|q| q.properties["VisibilityTimeout"].clone())
    };
    let defaults = Template::parse(&text, "").unwrap();
    let shortened = Template::parse(&text, "ConsumerVisibilityTimeout=30").unwrap();
    for queue in ["DashboardQueue", "PledgeCountQueue", "WithdrawalQueue"] {
        assert_eq!(visibility(&defaults, queue), Some(serde_json::json!("60")), "{queue}");
        assert_eq!(visibility(&shortened, queue), Some(serde_json::json!("30")), "{queue}");
    }
}

#[test]
fn the_bounds_the_template_gives_are_its_parameters_and_a_test_stack_may_lower_them() {
    let text = std::fs::read_to_string(repo_file("template.yaml")).unwrap();
    let defaults = Template::parse(&text, "").unwrap();
    assert_eq!(defaults.names["OPERATION_BOUND_MS"], "3000");
    assert_eq!(defaults.names["CLOCK_SKEW_MARGIN_MS"], "2000");
    let lowered = Template::parse(&text, "ClockSkewMarginMs=500 OperationBoundMs=1500").unwrap();
    assert_eq!(
        (
            &lowered.names["CLOCK_SKEW_MARGIN_MS"][..],
            &lowered.names["OPERATION_BOUND_MS"][..]
        ),
        ("500", "1500")
    );
    // Not beyond what CloudFormation would take.
    for refused in ["OperationBoundMs=60000", "NoSuchParameter=1", "OperationBoundMs"] {
        assert!(Template::parse(&text, refused).is_err(), "{refused}");
    }
}

#[test]
fn no_log_level_below_info_is_offered() {
    // At DEBUG and TRACE the runtime logs raw events (claims, bodies, bearer tokens) and the
    // SDK its requests: a vote beside its voter.
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo_file("template.yaml")).unwrap()).unwrap();
    let allowed: Vec<&str> = yaml["Parameters"]["LogLevel"]["AllowedValues"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(allowed, ["INFO", "WARN", "ERROR", "FATAL"]);
    let samconfig = std::fs::read_to_string(repo_file("samconfig.toml")).unwrap();
    assert!(!samconfig.contains("LogLevel=DEBUG") && !samconfig.contains("LogLevel=TRACE"));
}
