//! The table of functions: each Lambda in `template.yaml`, by the name of its folder under
//! `functions/`, and what it runs. The Lambda binaries, the local runner and the tests all
//! dispatch through here, so they run the very same handlers.

use crate::api;
use crate::clock::Clock;
use crate::events;
use crate::http::response::reply;
use crate::ports::{EventBus, Store};
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// A function behind an HTTP API route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpFunction {
    RegisterElection,
    RegisterCandidate,
    CastVote,
    GetResults,
}

/// A function fed by a DynamoDB stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFunction {
    PublishEvents,
}

/// A function fed by an SQS queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueFunction {
    ProjectDashboard,
}

/// Any function, by trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Http(HttpFunction),
    Stream(StreamFunction),
    Queue(QueueFunction),
}

impl Function {
    pub const ALL: [Function; 6] = [
        Function::Http(HttpFunction::RegisterElection),
        Function::Http(HttpFunction::RegisterCandidate),
        Function::Http(HttpFunction::CastVote),
        Function::Http(HttpFunction::GetResults),
        Function::Stream(StreamFunction::PublishEvents),
        Function::Queue(QueueFunction::ProjectDashboard),
    ];

    /// The folder under `functions/`, which is also the `CodeUri` in the template.
    pub fn name(self) -> &'static str {
        match self {
            Function::Http(HttpFunction::RegisterElection) => "register-election",
            Function::Http(HttpFunction::RegisterCandidate) => "register-candidate",
            Function::Http(HttpFunction::CastVote) => "cast-vote",
            Function::Http(HttpFunction::GetResults) => "get-results",
            Function::Stream(StreamFunction::PublishEvents) => "publish-events",
            Function::Queue(QueueFunction::ProjectDashboard) => "project-dashboard",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
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
        let (store, clock) = (&self.store, &self.clock);
        match function {
            HttpFunction::RegisterElection => reply(
                StatusCode::CREATED,
                api::register_election::handle(store, clock, &req).await,
            ),
            HttpFunction::RegisterCandidate => reply(
                StatusCode::CREATED,
                api::register_candidate::handle(store, clock, &req).await,
            ),
            HttpFunction::CastVote => reply(
                StatusCode::CREATED,
                api::cast_vote::handle(store, clock, &req).await,
            ),
            HttpFunction::GetResults => reply(
                StatusCode::OK,
                api::get_results::handle(store, clock, &req).await,
            ),
        }
    }

    pub async fn stream(
        &self,
        function: StreamFunction,
        event: dynamodb::Event,
    ) -> DynamoDbEventResponse {
        match function {
            StreamFunction::PublishEvents => events::publish::handle(&self.bus, event).await,
        }
    }

    pub async fn queue(&self, function: QueueFunction, event: SqsEvent) -> SqsBatchResponse {
        match function {
            QueueFunction::ProjectDashboard => {
                events::project_dashboard::handle(&self.store, event).await
            }
        }
    }
}
