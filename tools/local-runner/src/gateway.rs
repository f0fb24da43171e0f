//! Plays API Gateway's HTTP API on 127.0.0.1: matches the template's routes, checks the
//! bearer token with the route's JWT authorizer (none on a public route), hands the handler
//! the same version 2.0 event Lambda would, and returns its reply.

use crate::lambdas::Lambdas;
use crate::template::{Route, Template};
use axum::body::{to_bytes, Body as AxumBody};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use handlers::functions::{Function, HttpFunction};
use handlers::http::event::{http_api_event, HttpApiRequest};
use handlers::http::tokens::TrustedIssuer;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// API Gateway refuses payloads over 10 MB before any function runs.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("route {method} {path} names function '{function}', which the runner has no HTTP handler for")]
pub struct UnknownFunction {
    pub method: String,
    pub path: String,
    pub function: String,
}

/// A template route, ready to match request paths.
#[derive(Clone, Debug)]
pub struct CompiledRoute {
    pub route: Route,
    pub function: HttpFunction,
    segments: Vec<String>,
}

impl CompiledRoute {
    /// The path parameters, if `path` matches this route.
    fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = HashMap::new();
        for (pattern, part) in self.segments.iter().zip(parts) {
            match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if !part.is_empty() => {
                    params.insert(name.to_owned(), part.to_owned());
                }
                Some(_) => return None,
                None if pattern == part => {}
                None => return None,
            }
        }
        Some(params)
    }
}

/// The routes the runner serves: every HTTP route of the template, each with its handler.
pub fn compile_routes(template: &Template) -> Result<Vec<CompiledRoute>, UnknownFunction> {
    template
        .routes()
        .into_iter()
        .map(|(route, name)| match Function::from_name(&name) {
            Some(Function::Http(function)) => Ok(CompiledRoute {
                segments: route.path.trim_matches('/').split('/').map(str::to_owned).collect(),
                route,
                function,
            }),
            _ => Err(UnknownFunction {
                method: route.method,
                path: route.path,
                function: name,
            }),
        })
        .collect()
}

pub struct Gateway {
    routes: Vec<CompiledRoute>,
    lambdas: Arc<Lambdas>,
    /// The JWT authorizers, by name.
    authorizers: HashMap<String, TrustedIssuer>,
    /// The API contract, `openapi.json` beside the template, served as it is.
    openapi: String,
    /// Each function's instances: a request waits for a free one.
    instances: HashMap<HttpFunction, Semaphore>,
}

/// Instances of each function that run at once: `OMP_FUNCTION_CONCURRENCY`, by default 16.
/// Lambda would start more and throttle past the account's limit. On one small machine more
/// at once only slow everything down (DynamoDB Local's transactions collapse at around a
/// hundred concurrent requests), so here further requests wait for an instance instead.
pub fn function_concurrency() -> usize {
    crate::count_from_env("OMP_FUNCTION_CONCURRENCY", 16)
}

impl Gateway {
    pub fn new(
        routes: Vec<CompiledRoute>,
        lambdas: Arc<Lambdas>,
        authorizers: HashMap<String, TrustedIssuer>,
        openapi: String,
    ) -> Self {
        let instances = routes
            .iter()
            .map(|route| (route.function, Semaphore::new(function_concurrency())))
            .collect();
        Self {
            routes,
            lambdas,
            authorizers,
            openapi,
            instances,
        }
    }
}

/// The HTTP API: the contract, and every template route.
pub fn router(gateway: Arc<Gateway>) -> axum::Router {
    axum::Router::new()
        .route("/openapi.json", axum::routing::get(openapi))
        .fallback(serve)
        .with_state(gateway)
}

/// `GET /openapi.json`: the contract, public, so that clients and fuzzers can read it.
pub async fn openapi(State(gateway): State<Arc<Gateway>>) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        gateway.openapi.clone(),
    )
        .into_response()
}

fn gateway_message(status: StatusCode, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

/// Serves one request the way API Gateway and Lambda would.
pub async fn serve(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some((route, params)) = gateway
        .routes
        .iter()
        .filter(|r| r.route.method == parts.method.as_str())
        .find_map(|r| r.matches(parts.uri.path()).map(|p| (r, p)))
    else {
        return gateway_message(StatusCode::NOT_FOUND, "Not Found");
    };
    let authorization = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    let claims = match &route.route.authorizer {
        // A public route has no authorizer: a token sent to it is not even looked at.
        None => None,
        Some(name) => {
            let checked = match gateway.authorizers.get(name) {
                Some(authorizer) => authorizer.claims(authorization).await,
                None => None,
            };
            let Some(claims) = checked else {
                return gateway_message(StatusCode::UNAUTHORIZED, "Unauthorized");
            };
            Some(claims)
        }
    };
    let Ok(body) = to_bytes(body, MAX_PAYLOAD_BYTES).await else {
        return gateway_message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    };
    let event = http_api_event(HttpApiRequest {
        method: parts.method.clone(),
        route_path: &route.route.path,
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        path_parameters: params,
        claims,
        body: &body,
    });
    let _instance = match gateway.instances.get(&route.function) {
        Some(instances) => instances.acquire().await.ok(),
        None => None,
    };
    let reply = match gateway.lambdas.http(route.function, event).await {
        Ok(reply) => reply,
        Err(err) => {
            tracing::error!(error = %err, function = Function::Http(route.function).name(), "the function did not answer");
            return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };
    let mut response = Response::new(AxumBody::from(reply.body));
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response
}
