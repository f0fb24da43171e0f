//! The live stack is what `template.yaml` says: every route answers, nothing else does,
//! and the bus has exactly the template's rules and targets.

use crate::support::{bus_rules_lock, clients, repo_root, template, Api};
use reqwest::Method;
use std::collections::BTreeSet;

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
        // A guarded route refuses no token; a public one answers (the list, or: no such id;
        // the challenge, which takes no token: no body).
        let expected: &[u16] = if route.authorizer.is_some() {
            &[401]
        } else if route.method == "POST" {
            &[400]
        } else {
            &[200, 404]
        };
        assert!(
            expected.contains(&reply.status),
            "{} {} should exist and answer {expected:?} without a token, not {}",
            route.method,
            route.path,
            reply.status
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
    let _rules = bus_rules_lock().lock().await;
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

#[tokio::test]
async fn the_runner_serves_the_contract_unauthenticated() {
    let api = Api::from_env();
    let reply = api.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200);
    let text = std::fs::read_to_string(repo_root().join("openapi.json")).unwrap();
    assert_eq!(reply.body, serde_json::from_str::<serde_json::Value>(&text).unwrap());
}
