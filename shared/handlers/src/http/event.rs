//! Builds the API Gateway HTTP API (payload 2.0) event for a request, as Lambda receives
//! it, in `aws_lambda_events`' types. The local runner uses it to play API Gateway; tests
//! use it to call handlers.

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequest,
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use chrono::Utc;
use lambda_http::http::{header, HeaderMap, HeaderValue, Method};
use lambda_http::request::LambdaRequest;
use std::collections::HashMap;

/// The parts of an HTTP request that go into the event.
pub struct HttpApiRequest<'a> {
    pub method: Method,
    /// The route as the template writes it, e.g. `/elections/{electionId}/votes`.
    pub route_path: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub path_parameters: HashMap<String, String>,
    /// Claims the route's JWT authorizer validated, flattened to strings as API Gateway
    /// passes them; `None` on a public route, which has no authorizer.
    pub claims: Option<HashMap<String, String>>,
    pub body: &'a [u8],
}

/// The event for `request`.
pub fn http_api_event(request: HttpApiRequest<'_>) -> ApiGatewayV2httpRequest {
    let now = Utc::now();
    let route_key = format!("{} {}", request.method, request.route_path);
    let body = match std::str::from_utf8(request.body) {
        Ok(text) => text.to_owned(),
        Err(_) => aws_smithy_types::base64::encode(request.body),
    };
    let authorizer = request.claims.map(|claims| {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        authorizer
    });
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = request.method;
    http.path = Some(request.raw_path.to_owned());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some("127.0.0.1".into());
    http.user_agent = request
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.clone());
    context.account_id = Some("000000000000".into());
    context.stage = Some("$default".into());
    context.request_id = Some(format!("local-{}", uuid::Uuid::new_v4()));
    context.authorizer = authorizer;
    context.apiid = Some("local".into());
    context.domain_name = Some("127.0.0.1".into());
    context.domain_prefix = Some("local".into());
    context.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(route_key);
    event.raw_path = Some(request.raw_path.to_owned());
    event.raw_query_string = Some(request.raw_query.to_owned());
    event.headers = joined_headers(request.headers);
    event.path_parameters = request.path_parameters;
    event.request_context = context;
    event.is_base64_encoded = std::str::from_utf8(request.body).is_err();
    event.body = Some(body);
    event
}

/// The request a handler sees for `event`, as `lambda_http` makes it.
pub fn http_request(event: ApiGatewayV2httpRequest) -> lambda_http::Request {
    LambdaRequest::ApiGatewayV2(event).into()
}

/// API Gateway passes a repeated header once, its values joined with commas.
fn joined_headers(headers: &HeaderMap) -> HeaderMap {
    let mut joined = HeaderMap::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        if let Ok(value) = HeaderValue::from_str(&values.join(",")) {
            joined.insert(name.clone(), value);
        }
    }
    joined
}
