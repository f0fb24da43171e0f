//! Every function wires on its own settings alone: what its adapters need is among what it
//! reads, so a function the template gives only those settings starts.

use aws_config::{BehaviorVersion, SdkConfig};
use handlers::config::{MissingSetting, Settings, Wiring};
use handlers::consumers::{Consumer, CountPledges, ProjectDashboard, RemoveWithdrawnPledges};
use handlers::functions::OperationFunction;
use handlers::http::routes::*;
use handlers::services::Deployed;

fn aws() -> SdkConfig {
    SdkConfig::builder().behavior_version(BehaviorVersion::latest()).build()
}

/// `W` wired on `settings`, each set to a placeholder value.
fn wire<W: Wiring>(settings: &[handlers::config::Setting]) -> Result<W, MissingSetting> {
    W::wire(&Settings::read(settings, |_| Some("x".into()))?, &aws())
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
        route::<MyVotes>().err(),
        consumer::<ProjectDashboard>().err(),
        consumer::<CountPledges>().err(),
        consumer::<RemoveWithdrawnPledges>().err(),
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
