//! Every function wires on its own settings alone: what its adapters need is among what it
//! reads, so a function the template gives only those settings starts.

use aws_config::{BehaviorVersion, SdkConfig};
use handlers::config::{MissingSetting, Settings, Wiring};
use handlers::consumers::{Consumer, CountPledges, ProjectDashboard, RecountPart, RemoveWithdrawnPledges};
use handlers::functions::OperationFunction;
use handlers::http::routes::*;
use handlers::services::Deployed;

fn aws() -> SdkConfig {
    SdkConfig::builder().behavior_version(BehaviorVersion::latest()).build()
}

/// `W` wired on `settings`, each set to a placeholder value (one that reads as any kind).
fn wire<W: Wiring>(settings: &[handlers::config::Setting]) -> Result<W, MissingSetting> {
    W::wire(&Settings::read(settings, |_| Some("1000".into()))?, &aws())
}

fn route<R: Route>() -> Result<R::Live, MissingSetting> {
    wire::<R::Live>(R::SETTINGS)
}

fn consumer<C: Consumer>() -> Result<Deployed, MissingSetting> {
    wire::<Deployed>(C::SETTINGS)
}

#[test]
fn every_function_wires_on_its_own_settings() {
    let outcomes = [
        route::<RegisterElection>().err(),
        route::<QueryElections>().err(),
        route::<RegisterCandidate>().err(),
        route::<WithdrawCandidate>().err(),
        route::<QueryCandidates>().err(),
        route::<AddPledge>().err(),
        route::<DeletePledge>().err(),
        route::<QueryPledges>().err(),
        route::<CastVote>().err(),
        route::<GetResults>().err(),
        route::<CertifyResults>().err(),
        route::<GetCertification>().err(),
        route::<MyVotes>().err(),
        consumer::<ProjectDashboard>().err(),
        consumer::<CountPledges>().err(),
        consumer::<RemoveWithdrawnPledges>().err(),
        consumer::<RecountPart>().err(),
        wire::<Deployed>(OperationFunction::Recount.settings()).err(),
        wire::<adapters::eventbridge::EventBridgeBus>(handlers::publisher::SETTINGS).err(),
    ];
    let missing: Vec<String> = outcomes.into_iter().flatten().map(|e| e.to_string()).collect();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn a_missing_setting_is_named() {
    let err = Settings::read(CastVote::SETTINGS, |name| {
        (name != "BALLOT_SEAL_KEY").then(|| "x".into())
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable BALLOT_SEAL_KEY is not set, or empty"
    );
}

#[test]
fn a_bound_that_is_not_milliseconds_stops_the_function_and_a_missing_one_is_the_default() {
    let read = |value: &'static str| {
        Settings::read(CastVote::SETTINGS, move |name| {
            Some(if name == "SEND_WINDOW_MS" { value } else { "1000" }.into())
        })
        .unwrap()
        .bounds()
    };
    assert_eq!(
        read("8s").unwrap_err().to_string(),
        "environment variable SEND_WINDOW_MS is not a whole number of milliseconds"
    );
    let bounds = read("2500").unwrap();
    assert_eq!(
        (bounds.send_window, bounds.operation),
        (
            std::time::Duration::from_millis(2500),
            std::time::Duration::from_millis(1000)
        )
    );
    // A function not given a bound (cast-vote is not given the skew margin) has its default.
    assert_eq!(
        bounds.clock_skew_margin,
        election_core::bounds::Bounds::DEFAULT.clock_skew_margin
    );
}
