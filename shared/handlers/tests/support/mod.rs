//! What the handler tests share: AWS endpoints on this machine, and ones that misbehave;
//! the tokens callers hold. Each test crate uses a part of it.
#![allow(dead_code)]

/// A socket that accepts connections and then says nothing, like an overloaded endpoint.
pub async fn silent_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

/// AWS clients' settings for `endpoint`, with the functions' fail-fast timeouts.
pub async fn aws_at(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .timeout_config(adapters::aws::timeouts(
            election_core::bounds::Bounds::DEFAULT.operation,
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// The issuers the handler tests sign tokens with (the runner's stand-ins, under a secret of
/// their own), at an address where nothing answers: the functions are given their keys.
pub fn issuers() -> local_runner::jwt::LocalIssuers {
    local_runner::jwt::LocalIssuers::new("http://127.0.0.1:1", "handler tests")
}

/// A function's trust in one of [`issuers`], its keys given.
pub fn trusted(issuer: local_runner::jwt::Issuer) -> handlers::http::tokens::TrustedIssuer {
    let issuers = issuers();
    handlers::http::tokens::TrustedIssuer::with_keys(
        &issuers.url(issuer),
        vec![issuer.audience().to_owned()],
        serde_json::from_value(issuers.jwks(issuer)).unwrap(),
    )
}

/// What the functions trust here: the officials' stand-in, for officials and for voters
/// (voters in the user pool, known by `sub`, as when the template's `VoterIssuer` is empty).
pub fn tokens() -> handlers::http::tokens::Tokens {
    use local_runner::jwt::Issuer;
    handlers::http::tokens::Tokens {
        officials: Some(trusted(Issuer::Officials)),
        voters: Some(trusted(Issuer::Officials)),
    }
}

/// The `authorization` header of `sub` in `groups` (`[a b]`, as the claims flatten them).
pub fn bearer(sub: &str, groups: &str) -> String {
    let groups = local_runner::jwt::groups_of(groups);
    let token = issuers().official(sub, &groups, std::time::Duration::from_secs(600));
    format!("Bearer {token}")
}
