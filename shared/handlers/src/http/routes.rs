//! One handler per HTTP function, with the status code it answers on success. Each reads
//! the request in the order that tells a caller the least: who they are, whether their
//! role may call the route at all, then path ids and body.

use super::reply::{json, no_content, personal, refusal, reply, with_location};
use super::request::{caller, came_by, has_path_parameter, json_body, path_id, path_name, voter};
use crate::config::{Bound, Setting, Wiring};
use crate::services::{App, Deployed, Unused};
use adapters::dynamodb::Table;
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsKeys;
use adapters::s3::S3Files;
use chrono::{DateTime, Utc};
use election_core::auth::Caller;
use election_core::domain::candidate::BallotNumber;
use election_core::domain::certification::{CertificationJob, JobState};
use election_core::domain::ids::CandidateId;
use election_core::domain::text::{AccountId, LongText, Name};
use election_core::domain::vote::{EncryptedBallot, Mark};
use election_core::problem::{AppError, Code};
use election_core::use_cases::*;
use election_crypto::ballot::SpoiledBallot;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use std::future::Future;

/// An HTTP function: a request in, a reply out. Every outcome is a reply; nothing becomes
/// API Gateway's bare 500.
pub trait Route {
    /// What its function reads from its environment (and the template gives it).
    const SETTINGS: &'static [Setting];
    /// What its function runs with in Lambda: the adapters it uses, and no others.
    type Live: App + Wiring;
    fn handle(app: &impl App, req: Request) -> impl Future<Output = Response<Body>> + Send;
}

/// The caller, who must hold one of `roles`.
async fn caller_who_may(
    app: &impl App,
    req: &Request,
    roles: &[election_core::auth::Role],
) -> Result<Caller, AppError> {
    let caller = caller(req, app.tokens()).await?;
    authorize(&caller, roles)?;
    Ok(caller)
}

/// On `…/live`, an official of the user pool (401 without one); on the public route that
/// serves everyone once voting has ended, no one.
async fn official_on_live_route(app: &impl App, req: &Request) -> Result<Option<Caller>, AppError> {
    if came_by(req, "/live") {
        return caller(req, app.tokens()).await.map(Some);
    }
    Ok(None)
}

/// `POST /elections` → 201.
pub struct RegisterElection;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegisterElectionBody {
    name: Name,
    voting_starts_at: DateTime<Utc>,
    voting_ends_at: DateTime<Utc>,
    #[serde(default)]
    verifiable: Option<VerifiableBody>,
}

/// A verifiable election's trustees (their accounts' `sub`, in index order) and threshold.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifiableBody {
    trustees: Vec<AccountId>,
    threshold: u32,
}

impl Route for RegisterElection {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, register_election::MAY).await?;
            let body: RegisterElectionBody = json_body(&req)?;
            let command = register_election::RegisterElection {
                name: body.name,
                voting_starts_at: body.voting_starts_at,
                voting_ends_at: body.voting_ends_at,
                verifiable: body.verifiable.map(|v| (v.trustees, v.threshold)),
            };
            register_election::register_election(app.store(), app.clock(), &caller, command).await
        };
        reply(StatusCode::CREATED, outcome.await)
    }
}

/// `GET /elections`, `GET /elections/{electionId}` and `GET /elections/{electionId}/ballot`
/// (the ballot page's one document, cacheable) → 200, public.
pub struct QueryElections;

impl Route for QueryElections {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Candidates),
        Setting::Table(Table::Pledges),
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let (store, clock) = (app.store(), app.clock());
        if came_by(&req, "/ballot") {
            let outcome = async { ballot_page::ballot_document(store, clock, &path_id(&req, "electionId")?).await };
            return cacheable(reply(StatusCode::OK, outcome.await), EDGE_CACHE);
        }
        if has_path_parameter(&req, "electionId") {
            let outcome = async { query_elections::get_election(store, clock, &path_id(&req, "electionId")?).await };
            return reply(StatusCode::OK, outcome.await);
        }
        cacheable(
            reply(StatusCode::OK, query_elections::list_elections(store, clock).await),
            EDGE_CACHE,
        )
    }
}

/// `POST /elections/{electionId}/candidates` → 201.
pub struct RegisterCandidate;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegisterCandidateBody {
    ballot_number: BallotNumber,
    party: Name,
    name: Name,
    user_id: AccountId,
}

impl Route for RegisterCandidate {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Candidates),
        Setting::Table(Table::Ceremony),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, register_candidate::MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            let body: RegisterCandidateBody = json_body(&req)?;
            let command = register_candidate::RegisterCandidate {
                election_id,
                ballot_number: body.ballot_number,
                party: body.party,
                name: body.name,
                user_id: body.user_id,
            };
            register_candidate::register_candidate(app.store(), app.clock(), &caller, command).await
        };
        reply(StatusCode::CREATED, outcome.await)
    }
}

/// `DELETE /elections/{electionId}/candidates/{candidateId}` → 204.
pub struct WithdrawCandidate;

impl Route for WithdrawCandidate {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Candidates),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, withdraw_candidate::MAY).await?;
            let command = withdraw_candidate::WithdrawCandidate {
                election_id: path_id(&req, "electionId")?,
                candidate_id: path_id(&req, "candidateId")?,
            };
            withdraw_candidate::withdraw_candidate(app.store(), app.clock(), &caller, command).await
        };
        no_content(outcome.await)
    }
}

/// `GET /elections/{electionId}/candidates` and `GET /candidates/{candidateId}` → 200, public.
pub struct QueryCandidates;

impl Route for QueryCandidates {
    const SETTINGS: &'static [Setting] = &[Setting::Table(Table::Elections), Setting::Table(Table::Candidates)];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let store = app.store();
        if has_path_parameter(&req, "candidateId") {
            let outcome = async { query_candidates::get_candidate(store, &path_id(&req, "candidateId")?).await };
            return reply(StatusCode::OK, outcome.await);
        }
        let outcome = async { query_candidates::list_candidates(store, &path_id(&req, "electionId")?).await };
        reply(StatusCode::OK, outcome.await)
    }
}

/// `POST /candidates/{candidateId}/pledges` → 201.
pub struct AddPledge;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddPledgeBody {
    theme: Name,
    title: Name,
    description: LongText,
}

impl Route for AddPledge {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Candidates),
        Setting::Table(Table::Pledges),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller(&req, app.tokens()).await?;
            let candidate_id: CandidateId = path_id(&req, "candidateId")?;
            let candidate = add_pledge::candidate_managed_by(app.store(), &caller, &candidate_id).await?;
            let body: AddPledgeBody = json_body(&req)?;
            let command = add_pledge::AddPledge {
                candidate,
                theme: body.theme,
                title: body.title,
                description: body.description,
            };
            add_pledge::add_pledge(app.store(), app.clock(), command).await
        };
        reply(StatusCode::CREATED, outcome.await)
    }
}

/// `DELETE /candidates/{candidateId}/pledges/{pledgeId}` → 204.
pub struct DeletePledge;

impl Route for DeletePledge {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Candidates),
        Setting::Table(Table::Pledges),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let pledge_id = path_id(&req, "pledgeId")?;
            let caller = caller(&req, app.tokens()).await?;
            let candidate_id: CandidateId = path_id(&req, "candidateId")?;
            let candidate = delete_pledge::candidate_managed_by(app.store(), &caller, &candidate_id).await?;
            delete_pledge::delete_pledge(app.store(), delete_pledge::DeletePledge { candidate, pledge_id }).await
        };
        no_content(outcome.await)
    }
}

/// `GET /candidates/{candidateId}/pledges` → 200, public.
pub struct QueryPledges;

impl Route for QueryPledges {
    const SETTINGS: &'static [Setting] = &[Setting::Table(Table::Candidates), Setting::Table(Table::Pledges)];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async { query_pledges::list_pledges(app.store(), &path_id(&req, "candidateId")?).await };
        reply(StatusCode::OK, outcome.await)
    }
}

/// `POST /elections/{electionId}/votes` → 201.
pub struct CastVote;

/// The voter is the caller: a `voterId` in the body is refused as an unknown field.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CastVoteBody {
    /// The default mode: whom the vote is for.
    candidate_id: Option<CandidateId>,
    /// A verifiable election: the ballot encrypted on the voter's device.
    ballot: Option<Box<EncryptedBallot>>,
}

impl CastVoteBody {
    fn mark(self) -> Result<Mark, AppError> {
        match (self.candidate_id, self.ballot) {
            (Some(candidate), None) => Ok(Mark::For(candidate)),
            (None, Some(ballot)) => Ok(Mark::Encrypted(ballot)),
            _ => Err(AppError::bad_request(
                Code::MalformedBody,
                "a vote carries either candidateId or ballot, an encrypted ballot",
            )),
        }
    }
}

impl Route for CastVote {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Candidates),
        Setting::Table(Table::Participation),
        Setting::Table(Table::Ceremony),
        Setting::Table(Table::Claims),
        Setting::BallotSealKey,
        Setting::BallotMixKey,
        Setting::VoterIdentityKey,
        Setting::VoterIdentityClaim,
        Setting::Bound(Bound::Operation),
        Setting::Bound(Bound::SendWindow),
        Setting::VoterIssuer,
        Setting::VoterAudience,
    ];
    type Live = Deployed<Unused, KmsKeys>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = voter(&req, app.tokens(), app.voter_identity_claim()).await?;
            let election_id = path_id(&req, "electionId")?;
            let body: CastVoteBody = json_body(&req)?;
            let command = cast_vote::CastVote::by(&caller, election_id, body.mark()?)?;
            cast_vote::cast_vote(app.store(), app.sealer(), app.clock(), app.bounds(), command).await
        };
        personal(reply(StatusCode::CREATED, outcome.await))
    }
}

/// `GET /elections/{electionId}/results` (public, once voting has ended) and
/// `GET /elections/{electionId}/results/live` (officials) → 200.
pub struct GetResults;

impl Route for GetResults {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Dashboard),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let live = came_by(&req, "/live");
        let outcome = async {
            let caller = official_on_live_route(app, &req).await?;
            let election_id = path_id(&req, "electionId")?;
            get_results::get_results(app.store(), app.clock(), caller.as_ref(), &election_id).await
        };
        public_unless_live(live, reply(StatusCode::OK, outcome.await))
    }
}

/// The public results and turnout (once voting has ended) are the same for everyone: the
/// edge answers the crowd that polls them. The live ones (`…/live`) are an official's.
fn public_unless_live(live: bool, replied: Response<Body>) -> Response<Body> {
    if live {
        replied
    } else {
        cacheable(replied, EDGE_CACHE)
    }
}

/// `POST /elections/{electionId}/certification` → 202 with the job while it recounts (a
/// repeated request joins it), 200 once the results are certified; `Location` is where
/// the job is polled.
pub struct CertifyResults;

impl Route for CertifyResults {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Dashboard),
        // Its pools: certification waits until the mixer has emptied them.
        Setting::Table(Table::BallotBox),
        // A verifiable election's frozen tally and its trustees' decryptions.
        Setting::Table(Table::Ceremony),
        Setting::PipelineQueueUrls,
        Setting::RecountQueueUrl,
        Setting::Bound(Bound::Operation),
        Setting::Bound(Bound::ClockSkewMargin),
        Setting::Bound(Bound::RecountStall),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed<EventBridgeBus>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, certify_results::MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            let (bus, clock, bounds) = (app.bus(), app.clock(), app.bounds());
            certify_results::certify_results(app.store(), bus, clock, bounds, &caller, &election_id).await
        };
        let status = |job: &CertificationJob| match job.state {
            JobState::Recounting => StatusCode::ACCEPTED,
            _ => StatusCode::OK,
        };
        match outcome.await {
            // An attempt this request joined, refused meanwhile: a refusal like any other.
            Ok(job) if job.state == JobState::Refused => refusal(&AppError::conflict(
                Code::NotCertifiable,
                job.refusal.unwrap_or_default(),
            )),
            Ok(job) => {
                let location = format!("/elections/{}/certification", job.election_id);
                with_location(json(status(&job), &job), &location)
            }
            Err(err) => refusal(&err),
        }
    }
}

/// `GET /elections/{electionId}/certification` → 200 with the job and its progress.
pub struct GetCertification;

impl Route for GetCertification {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Dashboard),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, certify_results::MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            certify_results::certification_job(app.store(), &caller, &election_id).await
        };
        reply(StatusCode::OK, outcome.await)
    }
}

/// `GET /me/votes` → 200.
pub struct MyVotes;

impl Route for MyVotes {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Participation),
        Setting::Table(Table::Dashboard),
        Setting::BallotSealKey,
        Setting::VoterIdentityKey,
        Setting::VoterIdentityClaim,
        Setting::VoterIssuer,
        Setting::VoterAudience,
    ];
    type Live = Deployed<Unused, KmsKeys>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            my_votes::my_votes(
                app.store(),
                app.sealer(),
                &voter(&req, app.tokens(), app.voter_identity_claim()).await?,
            )
            .await
        };
        personal(reply(StatusCode::OK, outcome.await))
    }
}

/// `POST /elections/{electionId}/roll/imports` → 201 with where to upload the file;
/// `Location` is where the import's progress is read.
pub struct StartRollImport;

impl Route for StartRollImport {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Rolls),
        Setting::RollFilesBucket,
        Setting::Bound(Bound::ClockSkewMargin),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed<Unused, Unused, S3Files>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, roll::MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            let (files, clock, bounds) = (app.files(), app.clock(), app.bounds());
            roll::start_upload(app.store(), files, clock, bounds, &caller, &election_id).await
        };
        match outcome.await {
            Ok(upload) => {
                let location = format!(
                    "/elections/{}/roll/imports/{}",
                    upload.roll.election_id, upload.roll.roll_id
                );
                with_location(json(StatusCode::CREATED, &upload), &location)
            }
            Err(err) => refusal(&err),
        }
    }
}

/// `GET /elections/{electionId}/roll` (the roll in force) and
/// `GET /elections/{electionId}/roll/imports/{rollId}` (an import's progress) → 200.
pub struct QueryRoll;

impl Route for QueryRoll {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Rolls),
        Setting::Bound(Bound::ClockSkewMargin),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, roll::MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            let roll_id = match has_path_parameter(&req, "rollId") {
                true => Some(path_id(&req, "rollId")?),
                false => None,
            };
            roll::get_roll(app.store(), app.bounds(), &caller, &election_id, roll_id).await
        };
        reply(StatusCode::OK, outcome.await)
    }
}

/// `POST /elections/{electionId}/roll/corrections` → 200 with each correction's outcome.
pub struct CorrectRoll;

impl Route for CorrectRoll {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Rolls),
        Setting::Table(Table::Participation),
        Setting::VoterIdentityKey,
        Setting::Bound(Bound::ClockSkewMargin),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed<Unused, KmsKeys>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let caller = caller_who_may(app, &req, roll::MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            let corrections: roll::Corrections = json_body(&req)?;
            let (keys, clock, bounds) = (app.sealer(), app.clock(), app.bounds());
            roll::correct_roll(app.store(), keys, clock, bounds, &caller, &election_id, corrections).await
        };
        reply(StatusCode::OK, outcome.await)
    }
}

/// `GET /elections/{electionId}/turnout` (public, once voting has ended) and
/// `GET /elections/{electionId}/turnout/live` (officials) → 200.
pub struct GetTurnout;

impl Route for GetTurnout {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Rolls),
        Setting::Table(Table::Dashboard),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let live = came_by(&req, "/live");
        let outcome = async {
            let caller = official_on_live_route(app, &req).await?;
            let election_id = path_id(&req, "electionId")?;
            turnout::get_turnout(app.store(), app.clock(), caller.as_ref(), &election_id).await
        };
        public_unless_live(live, reply(StatusCode::OK, outcome.await))
    }
}

/// `POST /elections/{electionId}/ceremony` (the commission starts it: 201),
/// `POST /elections/{electionId}/ceremony/restart` (after a complaint: 200) and
/// `PUT /elections/{electionId}/ceremony/{step}` (a trustee's message: 200).
pub struct KeyCeremony;

/// Who takes the place of the trustee a complaint shows at fault (their account's `sub`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RestartBody {
    replace: AccountId,
}

impl Route for KeyCeremony {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Candidates),
        Setting::Table(Table::Ceremony),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        if has_path_parameter(&req, "step") {
            let outcome = async {
                let caller = caller_who_may(app, &req, key_ceremony::POST_MAY).await?;
                let election_id = path_id(&req, "electionId")?;
                let step = path_name(&req, "step");
                let body: serde_json::Value = json_body(&req)?;
                key_ceremony::post_message(app.store(), app.clock(), &caller, election_id, &step, body).await
            };
            return reply(StatusCode::OK, outcome.await);
        }
        let restart = came_by(&req, "/restart");
        let outcome = async {
            let caller = caller_who_may(app, &req, key_ceremony::START_MAY).await?;
            let election_id = path_id(&req, "electionId")?;
            if restart {
                let body: RestartBody = json_body(&req)?;
                key_ceremony::restart_ceremony(app.store(), app.clock(), &caller, election_id, body.replace).await
            } else {
                key_ceremony::start_ceremony(app.store(), app.clock(), &caller, election_id).await
            }
        };
        let status = if restart { StatusCode::OK } else { StatusCode::CREATED };
        reply(status, outcome.await)
    }
}

/// `GET /elections/{electionId}/ceremony` (public) and
/// `GET /elections/{electionId}/ceremony/envelopes` (a trustee's own shares) → 200.
pub struct QueryCeremony;

impl Route for QueryCeremony {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Ceremony),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        if came_by(&req, "/envelopes") {
            let outcome = async {
                let caller = caller_who_may(app, &req, key_ceremony::POST_MAY).await?;
                let election_id = path_id(&req, "electionId")?;
                key_ceremony::envelopes_for(app.store(), &caller, election_id).await
            };
            return reply(StatusCode::OK, outcome.await);
        }
        let outcome = async { key_ceremony::ceremony_view(app.store(), path_id(&req, "electionId")?).await };
        cacheable(reply(StatusCode::OK, outcome.await), EDGE_CACHE)
    }
}

/// The board changes as the mixer writes batches: any cache may keep a page for 5 s, and a
/// cache in front (CloudFront) serves the crowd.
const BOARD_CACHE: &str = "public, max-age=5";

/// The public documents the crowd reads (the list of elections, the ballot, the ceremony's
/// public view and the tally, the public results and turnout): the edge
/// (PublicDocumentsDistribution) may serve one for 5 s, but a browser asks again each time,
/// so that a voter told a candidate has withdrawn sees it when they load the ballot again.
const EDGE_CACHE: &str = "public, max-age=0, s-maxage=5";

/// A public reply that may be a few seconds late, with its `Cache-Control`.
fn cacheable(mut response: Response<Body>, policy: &'static str) -> Response<Body> {
    if response.status().is_success() || response.status() == StatusCode::NOT_FOUND {
        response.headers_mut().insert(
            lambda_http::http::header::CACHE_CONTROL,
            lambda_http::http::HeaderValue::from_static(policy),
        );
    }
    response
}

/// `GET /elections/{electionId}/board` (a page; `?cursor=` the previous page's `next`) and
/// `GET /elections/{electionId}/board/{trackingCode}` → 200, public and cacheable.
pub struct QueryBoard;

impl Route for QueryBoard {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::BallotBox),
        Setting::Table(Table::Ceremony),
    ];
    type Live = Deployed;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let election_id = path_id(&req, "electionId");
        if has_path_parameter(&req, "trackingCode") {
            let code = path_name(&req, "trackingCode");
            let outcome = async { board::look_up(app.store(), app.clock(), election_id?, &code).await };
            return cacheable(reply(StatusCode::OK, outcome.await), BOARD_CACHE);
        }
        let cursor = req.query_string_parameters().first("cursor").map(str::to_owned);
        let outcome = async { board::board_page(app.store(), election_id?, cursor.as_deref()).await };
        cacheable(reply(StatusCode::OK, outcome.await), BOARD_CACHE)
    }
}

/// `POST /elections/{electionId}/challenges` → 201, public: a Benaloh challenge, with no
/// identity (rate-limited by its route's throttle).
pub struct ChallengeBallot;

impl Route for ChallengeBallot {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Ceremony),
        Setting::Table(Table::Claims),
        Setting::Table(Table::BallotBox),
        Setting::VoterIdentityKey,
    ];
    type Live = Deployed<Unused, KmsKeys>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let outcome = async {
            let election_id = path_id(&req, "electionId")?;
            let challenged: SpoiledBallot = json_body(&req)?;
            board::challenge(app.store(), app.sealer(), app.clock(), election_id, challenged).await
        };
        reply(StatusCode::CREATED, outcome.await)
    }
}

/// `GET /elections/{electionId}/tally` (public: the frozen tally and the decryption so far)
/// and `PUT /elections/{electionId}/decryption` (a trustee's partial decryption) → 200.
pub struct DecryptTally;

impl Route for DecryptTally {
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Ceremony),
        // The board's ballots, and the mixer's pools: the tally waits until they are empty.
        Setting::Table(Table::BallotBox),
        // The turnout: the tally waits until the box holds a ballot for every voter who voted.
        Setting::Table(Table::Dashboard),
        Setting::RecordsBucket,
        // The freeze's parts go to the recount's workers.
        Setting::RecountQueueUrl,
        Setting::Bound(Bound::Operation),
        Setting::Bound(Bound::ClockSkewMargin),
        Setting::Bound(Bound::RecountStall),
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
    ];
    type Live = Deployed<EventBridgeBus, Unused, S3Files>;

    async fn handle(app: &impl App, req: Request) -> Response<Body> {
        let (store, clock, bounds) = (app.store(), app.clock(), app.bounds());
        if came_by(&req, "/decryption") {
            let outcome = async {
                let caller = caller_who_may(app, &req, tally::DECRYPT_MAY).await?;
                let election_id = path_id(&req, "electionId")?;
                let body: serde_json::Value = json_body(&req)?;
                tally::post_decryption(store, app.files(), &caller, election_id, body).await
            };
            return reply(StatusCode::OK, outcome.await);
        }
        let outcome = async { tally::tally_view(store, app.bus(), clock, bounds, path_id(&req, "electionId")?).await };
        // The same for everyone: the crowd that waits for the decryption reads it at the edge.
        cacheable(reply(StatusCode::OK, outcome.await), EDGE_CACHE)
    }
}
