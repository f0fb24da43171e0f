//! Reading untrusted request parts: the caller, path ids and JSON bodies. Nothing here panics.

use election_core::auth::Caller;
use election_core::domain::ids::InvalidId;
use election_core::problem::{AppError, Code};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The claims the route's JWT authorizer validated; none on a public route.
fn claims(req: &Request) -> Option<&HashMap<String, String>> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
}

/// The caller on an officials' route, as the user pool's authorizer passed them; 401
/// without one.
pub fn caller(req: &Request) -> Result<Caller, AppError> {
    claims(req)
        .and_then(Caller::from_claims)
        .ok_or(AppError::Unauthenticated)
}

/// The caller on a voter route, known by `identity_claim`; 401 without one.
pub fn voter(req: &Request, identity_claim: &str) -> Result<Caller, AppError> {
    claims(req)
        .and_then(|claims| Caller::voter_from_claims(claims, identity_claim))
        .ok_or(AppError::Unauthenticated)
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
