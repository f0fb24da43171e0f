//! No reply lies about a vote. A proxy in front of DynamoDB Local lets a vote's write
//! commit and then drops its reply (as a timeout under load does): the voter gets 201 with
//! their receipt, not a 503 for a vote that counts. When no write is answered and none is
//! found, the voter gets 503 `outcome-unknown` (a write may still commit: they are sent to
//! My votes), never "not recorded", and nothing is stored. A repeat vote gets 409 with the
//! first one's time. Votes whose writes a proxy holds across the close are counted before
//! certification, or set aside as late: never added to the final results.

use crate::support::{clients, mixed_ballots, stored_ballots, stored_participations, template, unique, Api};
use crate::walking_skeleton::{new_voters, open_election, register_candidate, vote};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;
use chrono::TimeDelta;
use chrono::{DateTime, Utc};
use local_runner::clients::{Clients, Ports};
use local_runner::gateway::{compile_routes, router, Gateway};
use local_runner::lambdas::Lambdas;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// What the proxy does to a vote's write (`UpdateItem`: cast-vote's only one); it passes
/// everything else.
#[derive(Clone)]
pub(crate) enum Fault {
    /// Forward the first write, so that it commits, and never answer it, nor any later one.
    CommitThenDropReply,
    /// Answer no write, and forward none.
    DropWrite,
    /// Forward each write this long after it came, even if its caller has given up.
    Delay(Duration),
    /// Forward each write once released, even if its caller has given up.
    HoldUntilReleased(watch::Receiver<bool>),
}

pub(crate) struct Proxy {
    target: String,
    fault: Fault,
    forwarded: AtomicBool,
    /// When each held write was forwarded.
    forwarded_at: Mutex<Vec<DateTime<Utc>>>,
    http: reqwest::Client,
}

/// How long a held write waits before it is forwarded.
enum Hold {
    For(Duration),
    Until(watch::Receiver<bool>),
}

impl Hold {
    async fn wait(self) {
        match self {
            Hold::For(delay) => tokio::time::sleep(delay).await,
            Hold::Until(mut released) => {
                let _ = released.wait_for(|released| *released).await;
            }
        }
    }
}

async fn forward(proxy: Arc<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let is_write = local_runner::clients::aws_operation(&parts.headers) == "UpdateItem";
    let mut upstream = proxy.http.post(&proxy.target).body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let hold = match &proxy.fault {
        Fault::Delay(delay) => Some(Hold::For(*delay)),
        Fault::HoldUntilReleased(released) => Some(Hold::Until(released.clone())),
        _ => None,
    };
    if let (true, Some(hold)) = (is_write, hold) {
        // In a task of its own: DynamoDB applies a request that reaches it late, whether or
        // not its caller still waits.
        let (reply, replied) = tokio::sync::oneshot::channel();
        let held = proxy.clone();
        tokio::spawn(async move {
            hold.wait().await;
            held.forwarded_at.lock().unwrap().push(Utc::now());
            let _ = reply.send(relay(upstream.send().await.expect("DynamoDB Local answers")).await);
        });
        return match replied.await {
            Ok(response) => response,
            Err(_) => std::future::pending().await,
        };
    }
    if is_write {
        if matches!(proxy.fault, Fault::CommitThenDropReply) && !proxy.forwarded.swap(true, Ordering::SeqCst) {
            let committed = upstream.send().await.expect("DynamoDB Local answers");
            assert!(committed.status().is_success(), "the write committed");
        }
        // The reply is lost: the caller hears nothing until its own timeout.
        return std::future::pending().await;
    }
    relay(upstream.send().await.expect("DynamoDB Local answers")).await
}

/// DynamoDB Local's reply, passed on.
async fn relay(reply: reqwest::Response) -> Response {
    let mut response = Response::builder().status(reply.status().as_u16());
    for (name, value) in reply.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(reply.bytes().await.unwrap_or_default()))
        .expect("a response")
}

async fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> String {
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// The API on a port of its own, with every DynamoDB call going through a faulty proxy.
async fn api_behind(fault: Fault) -> Api {
    api_and_proxy(fault).await.0
}

pub(crate) async fn api_and_proxy(fault: Fault) -> (Api, Arc<Proxy>) {
    let ports = Ports::from_env();
    let proxy = Arc::new(Proxy {
        target: format!("http://127.0.0.1:{}/", ports.dynamodb_endpoint),
        fault,
        forwarded: AtomicBool::new(false),
        forwarded_at: Mutex::default(),
        http: reqwest::Client::new(),
    });
    let proxy_app = axum::Router::new()
        .fallback(|State(p): State<Arc<Proxy>>, r: Request| forward(p, r))
        .with_state(proxy.clone());
    let proxy_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_port = proxy_listener.local_addr().unwrap().port();
    serve(proxy_listener, proxy_app).await;

    let via_proxy = Clients::local(Ports {
        dynamodb_endpoint: proxy_port,
        ..ports
    })
    .await;
    let template = template();
    let gateway = Gateway::new(
        compile_routes(&template).unwrap(),
        Arc::new(Lambdas::InProcess(Arc::new(
            local_runner::local_services(&via_proxy, &template).unwrap(),
        ))),
        local_runner::authorizer::local_authorizers(&template, &local_runner::jwt::LocalIssuers::from_env()).unwrap(),
        String::new(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    (Api::at(serve(listener, router(Arc::new(gateway))).await), proxy)
}

#[tokio::test]
async fn a_vote_whose_reply_was_lost_is_answered_with_its_receipt_and_a_lost_write_with_503() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let clients: Clients = clients().await;

    // GIVEN a vote whose write commits but whose reply never comes back
    let lossy = api_behind(Fault::CommitThenDropReply).await;
    let voter = lossy.token(&voters[0], &["voter"]);
    let reply = vote(&lossy, &voter, &election, &candidate).await;

    // THEN the voter is told the truth: 201, with the receipt of the ballot in the box
    assert_eq!(reply.status, 201, "{}", reply.body);
    let receipt = reply.body["receiptId"].as_str().expect("a receipt").to_owned();
    let ballots = mixed_ballots(&clients, &election, 1).await;
    assert_eq!(ballots.len(), 1);
    assert_eq!(ballots[0]["receiptId"].as_s().unwrap(), &receipt);
    assert_eq!(stored_participations(&clients, &election).await.len(), 1);

    // AND a repeat, through the healthy API, is refused with when the first was cast
    let again = vote(&api, &voter, &election, &candidate).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["code"], "already-voted");
    let first = chrono::DateTime::parse_from_rfc3339(reply.body["castAt"].as_str().unwrap()).unwrap();
    let told = chrono::DateTime::parse_from_rfc3339(again.body["castAt"].as_str().unwrap()).unwrap();
    assert_eq!(told, first);

    // GIVEN a vote whose write never reaches the database
    let down = api_behind(Fault::DropWrite).await;
    let other = down.token(&voters[1], &["voter"]);
    let reply = vote(&down, &other, &election, &candidate).await;

    // THEN 503 outcome-unknown (the service cannot know the write will not arrive late),
    // pointing to My votes, and nothing of it is stored
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.body["code"], "outcome-unknown");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("My votes"),
        "{}",
        reply.body
    );
    assert_eq!(stored_participations(&clients, &election).await.len(), 1);
    assert_eq!(stored_ballots(&clients, &election).await.len(), 1);
}

#[tokio::test]
async fn votes_held_across_the_close_are_counted_before_certification_or_set_aside_as_late() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::seconds(4)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let read = api.get(&format!("/elections/{election}"), &commission).await;
    let closes: DateTime<Utc> = read.body["votingEndsAt"].as_str().unwrap().parse().unwrap();
    let clients: Clients = clients().await;

    // GIVEN votes sent just before the close, whose writes reach DynamoDB after it: three
    // delayed by 1 s (inside the bound: they commit while their sender waits or reads
    // back), and one held until after certification (past every bound)
    let (slow, delayed) = api_and_proxy(Fault::Delay(Duration::from_secs(1))).await;
    let (release, released) = watch::channel(false);
    let (stuck, held) = api_and_proxy(Fault::HoldUntilReleased(released)).await;
    let until_close = (closes - Utc::now() - TimeDelta::milliseconds(800))
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(until_close).await;
    let tokens: Vec<String> = (0..4)
        .map(|i| (if i < 3 { &slow } else { &stuck }).token(&voters[i], &["voter"]))
        .collect();
    let (first, second, third, fourth) = tokio::join!(
        vote(&slow, &tokens[0], &election, &candidate),
        vote(&slow, &tokens[1], &election, &candidate),
        vote(&slow, &tokens[2], &election, &candidate),
        vote(&stuck, &tokens[3], &election, &candidate),
    );
    let replies = [first, second, third, fourth];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let delayed_after_close = delayed
        .forwarded_at
        .lock()
        .unwrap()
        .iter()
        .filter(|t| **t >= closes)
        .count();
    assert!(
        delayed_after_close > 0,
        "no delayed write reached DynamoDB after the close: {statuses:?}"
    );
    // The held vote's sender heard nothing it could trust: 503 outcome-unknown.
    assert_eq!(
        (replies[3].status, &replies[3].body["code"]),
        (503, &serde_json::json!("outcome-unknown")),
        "{}",
        replies[3].body
    );

    // WHEN the results are certified (after the close and the commit bound)
    let certified = crate::no_silent_loss::certify_when_drained(&api, &commission, &election).await;
    assert_eq!(certified.status, 200, "{}", certified.body);
    let counted = stored_ballots(&clients, &election).await.len();

    // THEN every ballot in the box then is in the final results, and every 201 among them
    assert_eq!(certified.body["totalVotes"], counted, "{}", certified.body);
    let accepted = replies[..3].iter().filter(|r| r.status == 201).count();
    assert!(accepted <= counted, "{accepted} accepted, {counted} counted");

    // WHEN the held write reaches DynamoDB after certification
    release.send(true).unwrap();
    // THEN it commits, and is set aside as late: the final results do not change
    let late =
        crate::walking_skeleton::results_within_30s(&api, &commission, &election, |r| r["lateBallots"] == 1).await;
    assert_eq!(held.forwarded_at.lock().unwrap().len(), 1);
    assert_eq!(stored_ballots(&clients, &election).await.len(), counted + 1);
    assert_eq!(
        (&late["totalVotes"], &late["final"], &late["certifiedAt"]),
        (
            &certified.body["totalVotes"],
            &serde_json::json!(true),
            &certified.body["certifiedAt"]
        ),
        "{late}"
    );
}
