//! Reading untrusted request parts: the caller, path ids and JSON bodies. Nothing here panics.

use super::tokens::{Tokens, TrustedIssuer};
use election_core::auth::Caller;
use election_core::domain::ids::InvalidId;
use election_core::problem::{AppError, Code};
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The claims of the request's bearer token, checked here against `issuer` (API Gateway
/// has checked it too, but a direct invoke passes no authorizer); 401 if it does not verify.
async fn verified(req: &Request, issuer: Option<&TrustedIssuer>) -> Result<HashMap<String, String>, AppError> {
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    match issuer {
        Some(issuer) => issuer.claims(authorization).await.ok_or(AppError::Unauthenticated),
        None => Err(AppError::Unauthenticated),
    }
}

/// The caller on an officials' route, by their token from the user pool; 401 without one.
pub async fn caller(req: &Request, tokens: &Tokens) -> Result<Caller, AppError> {
    let claims = verified(req, tokens.officials.as_ref()).await?;
    Caller::from_claims(&claims).ok_or(AppError::Unauthenticated)
}

/// The caller on a voter route, by their token from the voters' issuer, known by
/// `identity_claim`; 401 without one.
pub async fn voter(req: &Request, tokens: &Tokens, identity_claim: &str) -> Result<Caller, AppError> {
    let claims = verified(req, tokens.voters.as_ref()).await?;
    Caller::voter_from_claims(&claims, identity_claim).ok_or(AppError::Unauthenticated)
}

/// Whether the request came by the route whose path ends with `suffix` (for functions
/// serving a public route and an officials' one).
pub fn came_by(req: &Request, suffix: &str) -> bool {
    req.uri().path().ends_with(suffix)
}

/// Whether the route has this path parameter (for query functions serving two routes).
pub fn has_path_parameter(req: &Request, name: &str) -> bool {
    req.path_parameters_ref().and_then(|p| p.first(name)).is_some()
}

/// A path parameter that is a name, not an id (empty when absent).
pub fn path_name(req: &Request, name: &str) -> String {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default()
        .to_owned()
}

/// A path id, parsed before any table is touched.
pub fn path_id<T>(req: &Request, name: &'static str) -> Result<T, AppError>
where
    T: for<'a> TryFrom<String, Error = InvalidId>,
{
    let raw = req
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default();
    T::try_from(raw.to_owned()).map_err(|_| AppError::bad_request(Code::InvalidId, format!("{name} is not a valid id")))
}

/// The JSON body as `T`; unknown fields, wrong types and invalid values are refused.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, AppError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    if bytes.is_empty() {
        return Err(AppError::bad_request(Code::MalformedBody, "a JSON body is required"));
    }
    serde_json::from_slice(bytes).map_err(|err| AppError::bad_request(Code::MalformedBody, describe(&err)))
}

/// Longest explanation of a refused body; serde may quote the offending value.
const MAX_DETAIL_CHARS: usize = 200;

/// Says what is wrong with the body without echoing it back at length.
fn describe(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => "the body is not valid JSON".to_owned(),
        // serde's data messages name the field and the rule broken, not the value sent.
        Category::Data => {
            let message = err.to_string();
            let message: String = message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .chars()
                .take(MAX_DETAIL_CHARS)
                .collect();
            format!("invalid body: {message}")
        }
    }
}
