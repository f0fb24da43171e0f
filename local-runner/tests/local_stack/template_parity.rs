//! `template.yaml` is the single source of truth: every route, rule and trigger in it is
//! what the runner serves and provisions, and nothing else.

use crate::support::{clients, template, Api};
use local_runner::template::Trigger;
use reqwest::Method;
use shared::functions::Function;
use std::collections::BTreeSet;

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

/// Fills `{param}` segments with a syntactically valid id.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_template_route_is_live_and_others_are_not() {
    let api = Api::from_env();
    for (route, _) in template().routes() {
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let reply = api.send(method, &concrete(&route.path), None, None).await;
        assert_eq!(
            reply.status, 401,
            "{} {} should exist and need a token",
            route.method, route.path
        );
    }
    let voter = api.token("parity-voter", &["voter"]);
    for (method, path) in [
        (Method::DELETE, "/elections"),
        (Method::GET, "/nowhere"),
        (Method::PUT, "/elections/x/votes"),
    ] {
        let reply = api.send(method.clone(), path, Some(&voter), None).await;
        assert_eq!(reply.status, 404, "{method} {path} is not in the template");
    }
}

#[tokio::test]
async fn the_local_bus_has_exactly_the_template_rules_and_targets() {
    let template = template();
    let clients = clients().await;
    for bus in &template.buses {
        let listed = clients.events.list_rules().event_bus_name(bus).send().await.unwrap();
        let live: BTreeSet<String> = listed
            .rules()
            .iter()
            .filter_map(|r| r.name().map(str::to_owned))
            .collect();
        let declared: BTreeSet<String> = template
            .rules
            .iter()
            .filter(|r| &r.bus == bus)
            .map(|r| r.logical_id.clone())
            .collect();
        assert_eq!(live, declared, "rules on bus {bus}");
        for rule in listed.rules() {
            let def = template
                .rules
                .iter()
                .find(|r| Some(r.logical_id.as_str()) == rule.name())
                .unwrap();
            let pattern: serde_json::Value = serde_json::from_str(rule.event_pattern().unwrap_or("null")).unwrap();
            assert_eq!(pattern, def.pattern, "pattern of {}", def.logical_id);
            let targets = clients
                .events
                .list_targets_by_rule()
                .rule(&def.logical_id)
                .event_bus_name(bus)
                .send()
                .await
                .unwrap();
            let live_targets: BTreeSet<String> = targets
                .targets()
                .iter()
                .map(|t| t.arn().rsplit(':').next().unwrap_or_default().to_owned())
                .collect();
            let declared_targets: BTreeSet<String> = def.target_queues.iter().cloned().collect();
            assert_eq!(live_targets, declared_targets, "targets of {}", def.logical_id);
        }
    }
}

fn spec() -> serde_json::Value {
    let text = std::fs::read_to_string(crate::support::repo_root().join("openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The spec's operations as (METHOD, path), with whether each needs a token.
fn spec_operations(spec: &serde_json::Value) -> BTreeSet<(String, String, bool)> {
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                let security = operation.get("security").or(spec.get("security"));
                let needs_token = security.and_then(|s| s.as_array()).is_some_and(|s| !s.is_empty());
                operations.insert((method.to_uppercase(), path.clone(), needs_token));
            }
        }
    }
    operations
}

#[test]
fn the_contract_has_exactly_the_template_routes_and_each_needs_a_token() {
    let declared: BTreeSet<(String, String, bool)> = template()
        .routes()
        .into_iter()
        .map(|(r, _)| (r.method, r.path, true))
        .collect();
    // No route is public: the template puts the authorizer on all of them.
    assert_eq!(spec_operations(&spec()), declared);
}

#[tokio::test]
async fn the_runner_serves_the_contract_unauthenticated() {
    let api = Api::from_env();
    let reply = api.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, spec());
}
