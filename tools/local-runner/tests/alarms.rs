//! The template's alarms reach someone, and each watches what it names: every function,
//! queue, table and route has its own. These checks read `template.yaml` with its
//! `Fn::ForEach` loops expanded as CloudFormation's LanguageExtensions transform does.

mod common;

use common::repo_file;
use local_runner::template::{Template, Trigger};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

fn text() -> String {
    std::fs::read_to_string(repo_file("template.yaml")).unwrap()
}

/// `Fn::ForEach::Name: [Identifier, [items], {OutputKey: fragment}]`, expanded: `${Identifier}`
/// replaced by each item everywhere, `&{Identifier}` by its letters and digits only.
fn expanded_resources() -> BTreeMap<String, Value> {
    let yaml: Value = serde_yaml::from_str(&text()).unwrap();
    let mut resources = BTreeMap::new();
    for (key, value) in yaml["Resources"].as_mapping().unwrap() {
        let key = key.as_str().unwrap();
        if !key.starts_with("Fn::ForEach::") {
            resources.insert(key.to_owned(), value.clone());
            continue;
        }
        let identifier = value[0].as_str().unwrap();
        let fragment = serde_yaml::to_string(&value[2]).unwrap();
        for item in value[1].as_sequence().unwrap() {
            let item = item.as_str().unwrap();
            let letters: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
            let replaced = fragment
                .replace(&format!("${{{identifier}}}"), item)
                .replace(&format!("&{{{identifier}}}"), &letters);
            let outputs: Value = serde_yaml::from_str(&replaced).unwrap();
            for (output, resource) in outputs.as_mapping().unwrap() {
                let previous = resources.insert(output.as_str().unwrap().to_owned(), resource.clone());
                assert!(previous.is_none(), "{output:?} twice");
            }
        }
    }
    resources
}

fn of_type(resources: &BTreeMap<String, Value>, kind: &str) -> BTreeMap<String, Value> {
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

/// A value as text: `!Ref X`, `!Sub "${X}:live"` and a plain string all show the names in them.
fn shown(value: &Value) -> String {
    format!("{value:?}")
}

/// One metric an alarm reads: its namespace, name, and dimensions (name → value as shown).
struct Watched {
    namespace: String,
    metric: String,
    dimensions: BTreeMap<String, String>,
}

fn dimensions(list: &Value) -> BTreeMap<String, String> {
    list.as_sequence()
        .into_iter()
        .flatten()
        .map(|d| (d["Name"].as_str().unwrap().to_owned(), shown(&d["Value"])))
        .collect()
}

/// The metrics an alarm reads, in either form: one metric, or metric math over several.
fn watched(alarm: &Value) -> Vec<Watched> {
    let properties = &alarm["Properties"];
    match properties["Metrics"].as_sequence() {
        None => vec![Watched {
            namespace: properties["Namespace"].as_str().unwrap().to_owned(),
            metric: properties["MetricName"].as_str().unwrap().to_owned(),
            dimensions: dimensions(&properties["Dimensions"]),
        }],
        Some(metrics) => metrics
            .iter()
            .filter_map(|m| m.get("MetricStat"))
            .map(|stat| Watched {
                namespace: stat["Metric"]["Namespace"].as_str().unwrap().to_owned(),
                metric: stat["Metric"]["MetricName"].as_str().unwrap().to_owned(),
                dimensions: dimensions(&stat["Metric"]["Dimensions"]),
            })
            .collect(),
    }
}

/// The alarms that read `metric` of `namespace` with a dimension `dimension` naming `what`.
fn alarms_on(resources: &BTreeMap<String, Value>, namespace: &str, metric: &str, dimension: &str, what: &str) -> usize {
    of_type(resources, "AWS::CloudWatch::Alarm")
        .values()
        .filter(|alarm| {
            watched(alarm).iter().any(|w| {
                w.namespace == namespace
                    && w.metric == metric
                    && w.dimensions.get(dimension).is_some_and(|v| v.contains(what))
            })
        })
        .count()
}

/// The logical id a `!Ref` names.
fn ref_target(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        _ => None,
    }
}

fn refers_to(value: &Value, id: &str) -> bool {
    ref_target(value) == Some(id)
}

#[test]
fn every_alarm_publishes_to_a_topic_that_cloudwatch_may_use() {
    let resources = expanded_resources();
    let alarms = of_type(&resources, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() > 100, "{} alarms", alarms.len());
    for (id, alarm) in &alarms {
        let actions = alarm["Properties"]["AlarmActions"].as_sequence().unwrap();
        assert!(
            actions.len() == 1 && refers_to(&actions[0], "AlarmTopic"),
            "{id} publishes nowhere useful"
        );
    }
    // Under the AWS-managed key (`alias/aws/sns`) CloudWatch cannot publish: a key of the
    // stack's own, whose policy lets CloudWatch use it.
    let topic = &resources["AlarmTopic"]["Properties"];
    let key = ref_target(&topic["KmsMasterKeyId"]).expect("the topic's key is a !Ref to a key of the stack");
    assert_eq!(resources[key]["Type"].as_str(), Some("AWS::KMS::Key"));
    let lets_cloudwatch = |policy: &Value, actions: &[&str]| {
        policy["Statement"].as_sequence().unwrap().iter().any(|s| {
            s["Effect"].as_str() == Some("Allow")
                && s["Principal"]["Service"].as_str() == Some("cloudwatch.amazonaws.com")
                && actions.iter().all(|a| shown(&s["Action"]).contains(a))
        })
    };
    assert!(lets_cloudwatch(
        &resources[key]["Properties"]["KeyPolicy"],
        &["kms:Decrypt", "kms:GenerateDataKey*"]
    ));
    let topic_policy = of_type(&resources, "AWS::SNS::TopicPolicy")
        .into_values()
        .find(|p| refers_to(&p["Properties"]["Topics"][0], "AlarmTopic"))
        .expect("the alarm topic has a policy");
    assert!(lets_cloudwatch(
        &topic_policy["Properties"]["PolicyDocument"],
        &["sns:Publish"]
    ));
}

#[test]
fn every_function_rolls_back_on_an_alarm_that_watches_it_alone() {
    let resources = expanded_resources();
    let yaml: Value = serde_yaml::from_str(&text()).unwrap();
    assert!(
        yaml["Globals"]["Function"]["DeploymentPreference"]
            .get("Alarms")
            .is_none(),
        "an alarm for every function's deployment would roll one back on another's errors"
    );
    let functions = of_type(&resources, "AWS::Serverless::Function");
    assert_eq!(
        functions.len(),
        Template::load(&repo_file("template.yaml")).unwrap().functions.len()
    );
    for (id, function) in &functions {
        let alarms = function["Properties"]["DeploymentPreference"]["Alarms"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no rollback alarm"));
        assert_eq!(alarms.len(), 1, "{id}");
        let alarm = &resources[ref_target(&alarms[0]).unwrap()];
        let lambda: Vec<Watched> = watched(alarm)
            .into_iter()
            .filter(|w| w.namespace == "AWS/Lambda")
            .collect();
        assert!(
            lambda.iter().any(|w| w.metric == "Errors"),
            "{id}: its rollback alarm watches its errors"
        );
        for w in &lambda {
            assert!(
                w.dimensions["FunctionName"].contains(id) && w.dimensions["Resource"].contains(&format!("{id}}}:live")),
                "{id}: its rollback alarm reads {} of another function or of every one",
                w.metric
            );
        }
    }
    // No alarm on a Lambda metric counts every function in the account.
    for (id, alarm) in of_type(&resources, "AWS::CloudWatch::Alarm") {
        for w in watched(&alarm) {
            assert!(
                w.namespace != "AWS/Lambda" || w.dimensions.contains_key("FunctionName"),
                "{id} reads {} of every function",
                w.metric
            );
        }
    }
}

#[test]
fn the_vote_rolls_back_on_its_503_replies_too() {
    let resources = expanded_resources();
    let watched = watched(&resources["CastVoteRollbackAlarm"]);
    let vote_route = "POST /elections/{electionId}/votes";
    assert!(watched
        .iter()
        .any(|w| w.metric == "ServerErrors" && w.dimensions["Route"].contains(vote_route)));
    assert!(watched
        .iter()
        .any(|w| w.metric == "Requests" && w.dimensions["Route"].contains(vote_route)));
}

#[test]
fn every_function_queue_table_stream_and_route_has_its_alarm() {
    let resources = expanded_resources();
    let template = Template::load(&repo_file("template.yaml")).unwrap();
    for function in &template.functions {
        let id = &function.logical_id;
        assert_eq!(
            alarms_on(&resources, "AWS/Lambda", "Throttles", "FunctionName", id),
            1,
            "{id}: throttles"
        );
        if function.triggers.iter().any(|t| matches!(t, Trigger::Stream { .. })) {
            assert_eq!(
                alarms_on(&resources, "AWS/Lambda", "IteratorAge", "FunctionName", id),
                1,
                "{id}: behind its stream"
            );
        }
    }
    // A queue of the event pipeline (a rule's target): the age of its oldest message, the
    // count's lag. A job's queue (a recount's parts, a roll's import) holds a message while
    // its job runs, minutes to hours: its dead-letter queue is watched instead. Any other
    // queue holds what failed: any message on it is an alarm.
    let pipeline: BTreeSet<&str> = template
        .rules
        .iter()
        .flat_map(|rule| &rule.target_queues)
        .map(String::as_str)
        .collect();
    let jobs: BTreeSet<&str> = template
        .functions
        .iter()
        .flat_map(|f| &f.triggers)
        .filter_map(|t| match t {
            Trigger::Queue { queue, .. } if !pipeline.contains(queue.as_str()) => Some(queue.as_str()),
            _ => None,
        })
        .collect();
    assert!(pipeline.len() >= 3 && jobs.len() >= 2, "{pipeline:?} {jobs:?}");
    for queue in &template.queues {
        let id = queue.logical_id.as_str();
        let watched = |metric| alarms_on(&resources, "AWS/SQS", metric, "QueueName", &format!("{id}.QueueName"));
        if pipeline.contains(id) {
            assert_eq!(watched("ApproximateAgeOfOldestMessage"), 1, "{id}: its lag");
        } else if jobs.contains(id) {
            let dead_letters = queue
                .dead_letter_queue
                .as_deref()
                .expect("a job's queue has a dead-letter queue");
            assert!(template.queues.iter().any(|q| q.logical_id == dead_letters));
        } else {
            assert_eq!(watched("ApproximateNumberOfMessagesVisible"), 1, "{id}: its depth");
        }
    }
    // Each table's throttles, and each of its indexes' apart (an index throttles on its own).
    let throttle_alarms = |metric: &str, table: &str, index: Option<&str>| {
        of_type(&resources, "AWS::CloudWatch::Alarm")
            .values()
            .filter(|alarm| {
                watched(alarm).iter().any(|w| {
                    w.namespace == "AWS/DynamoDB"
                        && w.metric == metric
                        && w.dimensions.get("TableName").is_some_and(|v| v.contains(table))
                        && match (w.dimensions.get("GlobalSecondaryIndexName"), index) {
                            (None, None) => true,
                            (Some(shown), Some(index)) => shown.contains(index),
                            _ => false,
                        }
                })
            })
            .count()
    };
    let mut indexes = 0;
    for table in template.tables.keys() {
        for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] {
            assert_eq!(throttle_alarms(metric, table, None), 1, "{table}: {metric}");
            for index in resources[table]["Properties"]["GlobalSecondaryIndexes"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let index = index["IndexName"].as_str().unwrap();
                assert_eq!(
                    throttle_alarms(metric, table, Some(index)),
                    1,
                    "{table} {index}: {metric}"
                );
                indexes += 1;
            }
        }
    }
    assert!(indexes >= 4, "the tables' indexes were found: {indexes}");
    for (route, _) in template.routes() {
        let key = format!("\"{} {}\"", route.method, route.path);
        for metric in ["Requests", "ServerErrors"] {
            let alarms = of_type(&resources, "AWS::CloudWatch::Alarm")
                .into_values()
                .filter(|alarm| {
                    watched(alarm).iter().any(|w| {
                        w.namespace == "OnlineElection"
                            && w.metric == metric
                            && w.dimensions.get("Route") == Some(&format!("String({key})"))
                    })
                })
                .count();
            assert!(alarms >= 1, "{key}: no alarm on its {metric}");
        }
    }
}

#[test]
fn the_election_day_dashboard_is_json_and_names_only_what_the_stack_has() {
    let resources = expanded_resources();
    let body = &resources["ElectionDayDashboard"]["Properties"]["DashboardBody"];
    let Value::Tagged(sub) = body else {
        panic!("the body is a !Sub")
    };
    let text = sub.value.as_str().unwrap();
    // Each `${Name}` or `${Name.Attribute}`: a resource of the stack, or a pseudo parameter.
    let mut filled = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let end = start + rest[start..].find('}').unwrap();
        let name = rest[start + 2..end].split('.').next().unwrap();
        assert!(
            resources.contains_key(name) || name.starts_with("AWS::"),
            "the dashboard names {name}, which the stack does not have"
        );
        filled.push_str(&rest[..start]);
        filled.push('x');
        rest = &rest[end + 1..];
    }
    filled.push_str(rest);
    let dashboard: serde_json::Value = serde_json::from_str(&filled).expect("the body is JSON");
    let widgets = dashboard["widgets"].as_array().unwrap();
    assert!(widgets.iter().any(|w| w["type"] == "alarm"));
    assert!(filled.contains("\"POST /elections/{electionId}/votes\""));
}
