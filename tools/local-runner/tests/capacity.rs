//! Election day's capacity, as the template buys it: the count's functions have reserved
//! concurrency that matches what their mappings can run, so that neither a surge of votes
//! nor a backlog of the count starves the other; the tables every vote writes are warmed.
//! The arithmetic is the template's comments', redone from its own values.

mod common;

use common::repo_file;
use serde_yaml::Value;

fn template() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(repo_file("template.yaml")).unwrap()).unwrap()
}

/// DynamoDB serves about 1,000 write units a second per partition, and a table's stream has a
/// shard per partition.
const WRITES_PER_PARTITION: u64 = 1_000;

/// Lambda keeps at least this much of an account's concurrency unreserved, and a new
/// account has 1,000: reservations over 900 would not deploy before a quota increase.
const DEPLOYABLE_RESERVATIONS: u64 = 900;

/// A value the template gives on election day only: `!If [ForElectionDay, <value>, NoValue]`.
fn on_election_day(value: &Value) -> Option<&Value> {
    let Value::Tagged(chosen) = value else {
        return None;
    };
    assert_eq!(chosen.tag, "If");
    assert_eq!(chosen.value[0].as_str(), Some("ForElectionDay"));
    assert!(
        format!("{:?}", chosen.value[2]).contains("AWS::NoValue"),
        "nothing on other days"
    );
    Some(&chosen.value[1])
}

/// The writes per second a table is warmed for on election day, if it is.
fn warm_writes(table: &Value) -> Option<u64> {
    on_election_day(&table["Properties"]["WarmThroughput"])?["WriteUnitsPerSecond"].as_u64()
}

/// The table a stream mapping reads (`!GetAtt <Table>.StreamArn`).
fn streamed_table(mapping: &Value) -> String {
    let Value::Tagged(stream) = &mapping["Properties"]["Stream"] else {
        panic!("a stream is a !GetAtt")
    };
    stream.value.as_str().unwrap().trim_end_matches(".StreamArn").to_owned()
}

fn functions(yaml: &Value) -> impl Iterator<Item = (&str, &Value)> {
    yaml["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(id, r)| (id.as_str().unwrap(), r))
}

/// The concurrency a function reserves on election day, if it does.
fn reserved(function: &Value) -> Option<u64> {
    on_election_day(&function["Properties"]["ReservedConcurrentExecutions"])?.as_u64()
}

fn events(function: &Value) -> impl Iterator<Item = &Value> {
    function["Properties"]["Events"]
        .as_mapping()
        .into_iter()
        .flat_map(|events| events.values())
}

#[test]
fn a_queue_consumer_reserves_exactly_what_its_mapping_may_run() {
    let yaml = template();
    let mut capped = 0;
    for (id, function) in functions(&yaml) {
        for event in events(function).filter(|e| e["Type"].as_str() == Some("SQS")) {
            if let Some(cap) = event["Properties"]["ScalingConfig"]["MaximumConcurrency"].as_u64() {
                assert_eq!(
                    reserved(function),
                    Some(cap),
                    "{id}: a reservation under its MaximumConcurrency throttles its poller, one over it is never used"
                );
                capped += 1;
            }
        }
    }
    assert!(capped >= 4, "{capped} capped queue mappings");
}

#[test]
fn a_stream_consumer_reserves_a_batch_for_every_shard_it_reads() {
    let yaml = template();
    let resources = &yaml["Resources"];
    let mut consumers = 0;
    for (id, function) in functions(&yaml) {
        let mut needed = 0;
        for event in events(function) {
            match event["Type"].as_str() {
                Some("DynamoDB") => {
                    let table = streamed_table(event);
                    let shards = warm_writes(&resources[table.as_str()])
                        .map_or(1, |writes| writes.div_ceil(WRITES_PER_PARTITION));
                    let factor = event["Properties"]["ParallelizationFactor"].as_u64().unwrap_or(1);
                    needed += shards * factor;
                }
                Some("Schedule") => needed += 1,
                _ => {}
            }
        }
        if needed > 0 {
            consumers += 1;
            // One batch at a time for each shard it reads (x its ParallelizationFactor), and
            // half as much again: a table's partitions may split further, and never merge.
            assert_eq!(
                reserved(function),
                Some((needed * 3).div_ceil(2)),
                "{id}: {needed} shards' batches, and half as much again"
            );
        }
    }
    assert_eq!(consumers, 2, "the publisher and the mixer");
}

#[test]
fn the_reservations_deploy_on_a_new_account_and_every_vote_writes_warmed_tables() {
    let yaml = template();
    let total: u64 = functions(&yaml).filter_map(|(_, f)| reserved(f)).sum();
    assert!(
        total <= DEPLOYABLE_RESERVATIONS,
        "{total} reserved: Lambda keeps 100 of a new account's 1,000 unreserved"
    );
    // What every vote writes, in either mode: its participation, its ballot (through the
    // mixer's pool) and its count.
    for table in ["ParticipationTable", "BallotBoxTable", "DashboardTable"] {
        let writes = warm_writes(&yaml["Resources"][table]).unwrap_or_else(|| panic!("{table} is not warmed"));
        assert!(writes >= 10_000, "{table}: {writes}");
    }
    let ballots = &yaml["Resources"]["PublishEventsFunction"]["Properties"]["Events"]["Ballots"];
    assert!(ballots["Properties"]["ParallelizationFactor"].as_u64() > Some(1));
}

#[test]
fn the_crowds_reads_are_answered_at_the_edge() {
    let yaml = template();
    let resources = &yaml["Resources"];
    let distribution = &resources["PublicDocumentsDistribution"]["Properties"]["DistributionConfig"];
    assert!(format!("{:?}", distribution["Origins"][0]["DomainName"]).contains("${HttpApi}"));
    let behaviour = &distribution["DefaultCacheBehavior"];
    assert_eq!(
        format!("{:?}", behaviour["AllowedMethods"]),
        format!("{:?}", serde_yaml::from_str::<Value>("[GET, HEAD]").unwrap()),
        "reads only"
    );
    // A refusal is not kept: the results' 403 turns into the results at the close, and the
    // web app tries a 503 again.
    let kept = |code: u64| {
        distribution["CustomErrorResponses"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|r| r["ErrorCode"].as_u64() == Some(code))
            .and_then(|r| r["ErrorCachingMinTTL"].as_u64())
    };
    for code in [403, 500, 502, 503, 504] {
        assert_eq!(kept(code), Some(0), "{code}");
    }
    let policy = &resources["PublicDocumentsCachePolicy"]["Properties"]["CachePolicyConfig"];
    // Nothing is kept that the API did not mark cacheable, nothing personal is forwarded,
    // and the board's cursor is part of the key.
    assert_eq!(policy["DefaultTTL"].as_u64(), Some(0));
    let key = &policy["ParametersInCacheKeyAndForwardedToOrigin"];
    assert_eq!(key["CookiesConfig"]["CookieBehavior"].as_str(), Some("none"));
    let headers: Vec<&str> = key["HeadersConfig"]["Headers"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(headers, ["Origin"], "never Authorization");
    assert_eq!(key["QueryStringsConfig"]["QueryStringBehavior"].as_str(), Some("all"));
    // The web app is told where it is.
    let deploy = std::fs::read_to_string(repo_file("scripts/deploy-web.sh")).unwrap();
    assert!(deploy.contains(r#""publicUrl": "%s""#) && deploy.contains("out[PublicDocumentsUrl]"));
}

/// The API Gateway quota that docs/election-day.md asks for, requests a second for the
/// account in the region (the default is 10,000).
const REQUESTED_API_RATE: u64 = 35_000;

#[test]
fn the_route_throttles_sum_inside_the_requested_quota_with_headroom() {
    let yaml = template();
    let api = &yaml["Resources"]["HttpApi"]["Properties"];
    let default = api["DefaultRouteSettings"]["ThrottlingRateLimit"].as_u64().unwrap();
    let settings = api["RouteSettings"].as_mapping().unwrap();
    let template = local_runner::template::Template::load(&repo_file("template.yaml")).unwrap();
    let routes: Vec<String> = template
        .routes()
        .into_iter()
        .map(|(route, _)| format!("{} {}", route.method, route.path))
        .collect();
    // A setting for a route that does not exist would silently set nothing.
    for key in settings.keys() {
        assert!(
            routes.contains(&key.as_str().unwrap().to_owned()),
            "{key:?} is no route"
        );
    }
    let rate = |route: &str| {
        settings
            .get(route)
            .map_or(default, |s| s["ThrottlingRateLimit"].as_u64().unwrap())
    };
    let total: u64 = routes.iter().map(|route| rate(route)).sum();
    assert!(
        total * 10 <= REQUESTED_API_RATE * 8,
        "the routes may take {total} requests/s: over 80% of the {REQUESTED_API_RATE} requested"
    );
    // 10,000 voters a second vote, and may read My votes.
    assert_eq!(rate("POST /elections/{electionId}/votes"), 10_000);
    assert_eq!(rate("GET /me/votes"), 10_000);
    let burst = |route: &str| settings[route]["ThrottlingBurstLimit"].as_u64().unwrap();
    assert!(
        burst("POST /elections/{electionId}/votes") <= 5_000,
        "the account's burst is 5,000 until raised"
    );
}
