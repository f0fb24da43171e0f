//! The table of functions: each Lambda in `template.yaml`, by the name of its folder under
//! `functions/`, and what it runs. The Lambda binaries, the local runner and the tests all
//! dispatch through here, so they run the very same handlers.

use crate::api;
use crate::clock::Clock;
use crate::events;
use crate::http::response::{no_content, reply};
use crate::ports::{EventBus, Store};
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// A function behind HTTP API routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpFunction {
    RegisterElection,
    QueryElections,
    RegisterCandidate,
    WithdrawCandidate,
    QueryCandidates,
    AddPledge,
    DeletePledge,
    QueryPledges,
    CastVote,
    GetResults,
    MyVotes,
}

/// A function fed by DynamoDB streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFunction {
    PublishEvents,
}

/// A function fed by an SQS queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueFunction {
    ProjectDashboard,
    CountPledges,
    RemoveWithdrawnPledges,
}

/// Any function, by trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Http(HttpFunction),
    Stream(StreamFunction),
    Queue(QueueFunction),
}

/// Every function with its folder name under `functions/` (also its `CodeUri`).
const NAMES: [(Function, &str); 15] = [
    (Function::Http(HttpFunction::RegisterElection), "register-election"),
    (Function::Http(HttpFunction::QueryElections), "query-elections"),
    (Function::Http(HttpFunction::RegisterCandidate), "register-candidate"),
    (Function::Http(HttpFunction::WithdrawCandidate), "withdraw-candidate"),
    (Function::Http(HttpFunction::QueryCandidates), "query-candidates"),
    (Function::Http(HttpFunction::AddPledge), "add-pledge"),
    (Function::Http(HttpFunction::DeletePledge), "delete-pledge"),
    (Function::Http(HttpFunction::QueryPledges), "query-pledges"),
    (Function::Http(HttpFunction::CastVote), "cast-vote"),
    (Function::Http(HttpFunction::GetResults), "get-results"),
    (Function::Http(HttpFunction::MyVotes), "my-votes"),
    (Function::Stream(StreamFunction::PublishEvents), "publish-events"),
    (Function::Queue(QueueFunction::ProjectDashboard), "project-dashboard"),
    (Function::Queue(QueueFunction::CountPledges), "count-pledges"),
    (
        Function::Queue(QueueFunction::RemoveWithdrawnPledges),
        "remove-withdrawn-pledges",
    ),
];

impl Function {
    pub fn all() -> impl Iterator<Item = Function> {
        NAMES.into_iter().map(|(f, _)| f)
    }

    /// The folder under `functions/`, which is also the `CodeUri` in the template.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .unwrap_or_default()
    }

    pub fn from_name(name: &str) -> Option<Self> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }
}

/// The adapters and clock a function runs with: real ones in Lambda and the local runner,
/// in-memory ones in unit tests.
pub struct Services<S, B, C> {
    pub store: S,
    pub bus: B,
    pub clock: C,
}

impl<S: Store, B: EventBus, C: Clock> Services<S, B, C> {
    /// Answers an HTTP request. Every outcome is a reply; nothing becomes a bare 500.
    pub async fn http(&self, function: HttpFunction, req: Request) -> Response<Body> {
        let (store, clock, req) = (&self.store, &self.clock, &req);
        use HttpFunction::*;
        match function {
            RegisterElection => reply(
                StatusCode::CREATED,
                api::register_election::handle(store, clock, req).await,
            ),
            QueryElections => reply(StatusCode::OK, api::query_elections::handle(store, clock, req).await),
            RegisterCandidate => reply(
                StatusCode::CREATED,
                api::register_candidate::handle(store, clock, req).await,
            ),
            WithdrawCandidate => no_content(api::withdraw_candidate::handle(store, clock, req).await),
            QueryCandidates => reply(StatusCode::OK, api::query_candidates::handle(store, req).await),
            AddPledge => reply(StatusCode::CREATED, api::add_pledge::handle(store, clock, req).await),
            DeletePledge => no_content(api::delete_pledge::handle(store, req).await),
            QueryPledges => reply(StatusCode::OK, api::query_pledges::handle(store, req).await),
            CastVote => reply(StatusCode::CREATED, api::cast_vote::handle(store, clock, req).await),
            GetResults => reply(StatusCode::OK, api::get_results::handle(store, clock, req).await),
            MyVotes => reply(StatusCode::OK, api::my_votes::handle(store, req).await),
        }
    }

    pub async fn stream(&self, function: StreamFunction, event: dynamodb::Event) -> DynamoDbEventResponse {
        match function {
            StreamFunction::PublishEvents => events::publish::handle(&self.bus, event).await,
        }
    }

    pub async fn queue(&self, function: QueueFunction, event: SqsEvent) -> SqsBatchResponse {
        match function {
            QueueFunction::ProjectDashboard => events::project_dashboard::handle(&self.store, event).await,
            QueueFunction::CountPledges => events::count_pledges::handle(&self.store, event).await,
            QueueFunction::RemoveWithdrawnPledges => events::remove_withdrawn_pledges::handle(&self.store, event).await,
        }
    }
}
