//! The table of functions: each Lambda in `template.yaml`, by the name of its folder under
//! `functions/`, and its handler. The local runner and the tests dispatch through here at
//! run time; each function binary names its handler directly instead (see [`crate::lambda`]).

use crate::config::Setting;
use crate::consumers::{Consumer, CountPledges, ImportRoll, ProjectDashboard, RecountPart, RemoveWithdrawnPledges};
use crate::http::routes::{self, Route};
use crate::mixer;
use crate::operations::OperationError;
use crate::publisher::{self, publish_events};
use crate::services::Services;
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::DynamoDbEventResponse;
use election_core::clock::Clock;
use election_core::ports::{BallotSealer, ChoiceSealer, EventBus, RecordFiles, RollFiles, Store, VoterKeys};
use lambda_http::{Body, Request, Response};

fn failed(err: impl std::fmt::Display) -> OperationError {
    OperationError::Failed(err.to_string())
}

/// A function behind HTTP API routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    CertifyResults,
    GetCertification,
    MyVotes,
    StartRollImport,
    QueryRoll,
    CorrectRoll,
    GetTurnout,
    KeyCeremony,
    QueryCeremony,
    QueryBoard,
    ChallengeBallot,
    DecryptTally,
}

/// A function fed by DynamoDB streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFunction {
    PublishEvents,
    /// Also on a schedule: [`Services::tick`].
    MixBallots,
}

/// A function fed by an SQS queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueFunction {
    ProjectDashboard,
    CountPledges,
    RemoveWithdrawnPledges,
    RecountPart,
    ImportRoll,
}

/// An operator's command, invoked directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationFunction {
    Recount,
}

/// Any function, by trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Http(HttpFunction),
    Stream(StreamFunction),
    Queue(QueueFunction),
    Operation(OperationFunction),
}

/// Every function with its folder name under `functions/` (also its `CodeUri`).
const NAMES: [(Function, &str); 30] = [
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
    (Function::Http(HttpFunction::CertifyResults), "certify-results"),
    (Function::Http(HttpFunction::GetCertification), "get-certification"),
    (Function::Http(HttpFunction::MyVotes), "my-votes"),
    (Function::Http(HttpFunction::StartRollImport), "start-roll-import"),
    (Function::Http(HttpFunction::QueryRoll), "query-roll"),
    (Function::Http(HttpFunction::CorrectRoll), "correct-roll"),
    (Function::Http(HttpFunction::GetTurnout), "get-turnout"),
    (Function::Http(HttpFunction::KeyCeremony), "key-ceremony"),
    (Function::Http(HttpFunction::QueryCeremony), "query-ceremony"),
    (Function::Http(HttpFunction::QueryBoard), "query-board"),
    (Function::Http(HttpFunction::ChallengeBallot), "challenge-ballot"),
    (Function::Http(HttpFunction::DecryptTally), "decrypt-tally"),
    (Function::Stream(StreamFunction::PublishEvents), "publish-events"),
    (Function::Stream(StreamFunction::MixBallots), "mix-ballots"),
    (Function::Queue(QueueFunction::ProjectDashboard), "project-dashboard"),
    (Function::Queue(QueueFunction::CountPledges), "count-pledges"),
    (
        Function::Queue(QueueFunction::RemoveWithdrawnPledges),
        "remove-withdrawn-pledges",
    ),
    (Function::Queue(QueueFunction::RecountPart), "recount-part"),
    (Function::Queue(QueueFunction::ImportRoll), "import-roll"),
    (Function::Operation(OperationFunction::Recount), "recount"),
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

    /// What the function reads from its environment: the variables the template gives it.
    pub fn settings(self) -> &'static [Setting] {
        use HttpFunction::*;
        match self {
            Function::Http(RegisterElection) => routes::RegisterElection::SETTINGS,
            Function::Http(QueryElections) => routes::QueryElections::SETTINGS,
            Function::Http(RegisterCandidate) => routes::RegisterCandidate::SETTINGS,
            Function::Http(WithdrawCandidate) => routes::WithdrawCandidate::SETTINGS,
            Function::Http(QueryCandidates) => routes::QueryCandidates::SETTINGS,
            Function::Http(AddPledge) => routes::AddPledge::SETTINGS,
            Function::Http(DeletePledge) => routes::DeletePledge::SETTINGS,
            Function::Http(QueryPledges) => routes::QueryPledges::SETTINGS,
            Function::Http(CastVote) => routes::CastVote::SETTINGS,
            Function::Http(GetResults) => routes::GetResults::SETTINGS,
            Function::Http(CertifyResults) => routes::CertifyResults::SETTINGS,
            Function::Http(GetCertification) => routes::GetCertification::SETTINGS,
            Function::Http(MyVotes) => routes::MyVotes::SETTINGS,
            Function::Http(StartRollImport) => routes::StartRollImport::SETTINGS,
            Function::Http(QueryRoll) => routes::QueryRoll::SETTINGS,
            Function::Http(CorrectRoll) => routes::CorrectRoll::SETTINGS,
            Function::Http(GetTurnout) => routes::GetTurnout::SETTINGS,
            Function::Http(KeyCeremony) => routes::KeyCeremony::SETTINGS,
            Function::Http(QueryCeremony) => routes::QueryCeremony::SETTINGS,
            Function::Http(QueryBoard) => routes::QueryBoard::SETTINGS,
            Function::Http(ChallengeBallot) => routes::ChallengeBallot::SETTINGS,
            Function::Http(DecryptTally) => routes::DecryptTally::SETTINGS,
            Function::Stream(StreamFunction::PublishEvents) => publisher::SETTINGS,
            Function::Stream(StreamFunction::MixBallots) => mixer::SETTINGS,
            Function::Queue(QueueFunction::ProjectDashboard) => ProjectDashboard::SETTINGS,
            Function::Queue(QueueFunction::CountPledges) => CountPledges::SETTINGS,
            Function::Queue(QueueFunction::RemoveWithdrawnPledges) => RemoveWithdrawnPledges::SETTINGS,
            Function::Queue(QueueFunction::RecountPart) => RecountPart::SETTINGS,
            Function::Queue(QueueFunction::ImportRoll) => ImportRoll::SETTINGS,
            Function::Operation(operation) => operation.settings(),
        }
    }
}

impl<S: Store, B: EventBus, C: Clock, K: ChoiceSealer + VoterKeys + BallotSealer, F: RollFiles + RecordFiles>
    Services<S, B, C, K, F>
{
    /// Answers an HTTP request with the function's handler.
    pub async fn http(&self, function: HttpFunction, req: Request) -> Response<Body> {
        use HttpFunction::*;
        match function {
            RegisterElection => routes::RegisterElection::handle(self, req).await,
            QueryElections => routes::QueryElections::handle(self, req).await,
            RegisterCandidate => routes::RegisterCandidate::handle(self, req).await,
            WithdrawCandidate => routes::WithdrawCandidate::handle(self, req).await,
            QueryCandidates => routes::QueryCandidates::handle(self, req).await,
            AddPledge => routes::AddPledge::handle(self, req).await,
            DeletePledge => routes::DeletePledge::handle(self, req).await,
            QueryPledges => routes::QueryPledges::handle(self, req).await,
            CastVote => routes::CastVote::handle(self, req).await,
            GetResults => routes::GetResults::handle(self, req).await,
            CertifyResults => routes::CertifyResults::handle(self, req).await,
            GetCertification => routes::GetCertification::handle(self, req).await,
            MyVotes => routes::MyVotes::handle(self, req).await,
            StartRollImport => routes::StartRollImport::handle(self, req).await,
            QueryRoll => routes::QueryRoll::handle(self, req).await,
            CorrectRoll => routes::CorrectRoll::handle(self, req).await,
            GetTurnout => routes::GetTurnout::handle(self, req).await,
            KeyCeremony => routes::KeyCeremony::handle(self, req).await,
            QueryCeremony => routes::QueryCeremony::handle(self, req).await,
            QueryBoard => routes::QueryBoard::handle(self, req).await,
            ChallengeBallot => routes::ChallengeBallot::handle(self, req).await,
            DecryptTally => routes::DecryptTally::handle(self, req).await,
        }
    }

    pub async fn stream(&self, function: StreamFunction, event: dynamodb::Event) -> DynamoDbEventResponse {
        match function {
            StreamFunction::PublishEvents => publish_events(&self.bus, event).await,
            StreamFunction::MixBallots => mixer::mix_ballots(self, event).await,
        }
    }

    /// A function's scheduled run (the mixer's tick), answering JSON.
    pub async fn tick(&self, function: StreamFunction) -> Result<serde_json::Value, OperationError> {
        let reply = match function {
            StreamFunction::MixBallots => serde_json::to_value(mixer::tick(self).await.map_err(failed)?),
            StreamFunction::PublishEvents => return Err(failed("publish-events has no schedule")),
        };
        reply.map_err(failed)
    }

    /// Runs an operator's command on its JSON payload, answering JSON.
    pub async fn operation(
        &self,
        function: OperationFunction,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, OperationError> {
        let reply = match function {
            OperationFunction::Recount => serde_json::to_value(self.recount(payload).await?),
        };
        reply.map_err(|err| OperationError::Failed(err.to_string()))
    }

    pub async fn queue(&self, function: QueueFunction, event: SqsEvent) -> SqsBatchResponse {
        match function {
            QueueFunction::ProjectDashboard => ProjectDashboard::consume(self, event).await,
            QueueFunction::CountPledges => CountPledges::consume(self, event).await,
            QueueFunction::RemoveWithdrawnPledges => RemoveWithdrawnPledges::consume(self, event).await,
            QueueFunction::RecountPart => RecountPart::consume(self, event).await,
            QueueFunction::ImportRoll => ImportRoll::consume(self, event).await,
        }
    }
}
