//! Builds the API Gateway HTTP API (payload 2.0) event for a request, as Lambda receives
//! it. The local runner uses it to play API Gateway; tests use it to call handlers.

use chrono::Utc;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The parts of an HTTP request that go into the event.
pub struct HttpApiRequest<'a> {
    pub method: &'a str,
    /// The route as the template writes it, e.g. `/elections/{electionId}/votes`.
    pub route_path: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    /// Header name → value (repeated headers joined with commas).
    pub headers: Map<String, Value>,
    pub path_parameters: Map<String, Value>,
    /// Claims the JWT authorizer validated, flattened to strings as API Gateway passes them.
    pub claims: HashMap<String, String>,
    pub body: &'a [u8],
}

/// The event JSON for `request`.
pub fn http_api_event(request: &HttpApiRequest<'_>) -> Value {
    let now = Utc::now();
    let route_key = format!("{} {}", request.method, request.route_path);
    let (body, is_base64) = match std::str::from_utf8(request.body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (aws_smithy_types::base64::encode(request.body), true),
    };
    let user_agent = request
        .headers
        .get("user-agent")
        .and_then(Value::as_str)
        .unwrap_or_default();
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": request.headers,
        "pathParameters": request.path_parameters,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": { "jwt": { "claims": request.claims, "scopes": null } },
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": format!("local-{}", now.timestamp_nanos_opt().unwrap_or_default()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}
