//! The local stand-in for API Gateway's JWT authorizer: HS256 tokens signed with
//! `LOCAL_JWT_SECRET`. Claims reach the handlers the way API Gateway passes them, with
//! arrays flattened to `[a b]`.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The secret used when `LOCAL_JWT_SECRET` is not set. Local use only: AWS uses Cognito.
pub const DEFAULT_SECRET: &str = "local-development-secret";

/// The secret in force: `LOCAL_JWT_SECRET`, or [`DEFAULT_SECRET`].
pub fn secret_from_env() -> String {
    std::env::var("LOCAL_JWT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SECRET.to_owned())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A signed token for `sub` in `groups`, valid for `ttl`.
pub fn mint(secret: &str, sub: &str, groups: &[String], ttl: Duration) -> String {
    let now = unix_now();
    let claims = json!({
        "sub": sub,
        "cognito:groups": groups,
        "iat": now,
        "exp": now + ttl.as_secs(),
        "token_use": "access",
    });
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

/// The token's claims, flattened as API Gateway passes them; `None` if the token is
/// missing, forged or expired.
pub fn verify(secret: &str, authorization: Option<&str>) -> Option<HashMap<String, String>> {
    let token = authorization?.strip_prefix("Bearer ")?.trim();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    let data = decode::<Map<String, Value>>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation).ok()?;
    Some(data.claims.into_iter().map(|(k, v)| (k, flatten(v))).collect())
}

fn flatten(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Array(items) => {
            format!("[{}]", items.into_iter().map(flatten).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_flattens_groups() {
        let token = mint(
            "s",
            "alice",
            &["commission".into(), "voter".into()],
            Duration::from_secs(60),
        );
        let claims = verify("s", Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["cognito:groups"], "[commission voter]");
    }

    #[test]
    fn refuses_bad_tokens() {
        let token = mint("s", "alice", &[], Duration::from_secs(60));
        assert!(verify("other", Some(&format!("Bearer {token}"))).is_none());
        assert!(verify("s", Some(&token)).is_none());
        assert!(verify("s", None).is_none());
        assert!(verify("s", Some("Bearer not.a.token")).is_none());
        let expired = encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "a", "exp": unix_now() - 10}),
            &EncodingKey::from_secret(b"s"),
        )
        .unwrap();
        assert!(verify("s", Some(&format!("Bearer {expired}"))).is_none());
    }
}
