//! The local stand-in for API Gateway's JWT authorizers: each trusts one issuer and its
//! audience, finds the issuer's keys through its OpenID Connect discovery document (fetched
//! over HTTP, once), and passes the claims of a valid token on to the function, arrays
//! flattened to `[a b]` as API Gateway does.

use crate::jwt::{Issuer, LocalIssuers};
use crate::template::Template;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::OnceCell;

/// One JWT authorizer: the issuer it trusts and the audiences it accepts.
pub struct JwtAuthorizer {
    issuer: String,
    audience: Vec<String>,
    http: reqwest::Client,
    keys: OnceCell<JwkSet>,
}

impl JwtAuthorizer {
    pub fn new(issuer: String, audience: Vec<String>) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience,
            http: reqwest::Client::new(),
            keys: OnceCell::new(),
        }
    }

    /// A JSON document of the issuer's.
    async fn document(&self, url: &str) -> Result<Value, reqwest::Error> {
        self.http
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    /// The issuer's keys, found through its discovery document.
    async fn fetch_keys(&self) -> Result<JwkSet, String> {
        let discovery = self
            .document(&format!("{}/.well-known/openid-configuration", self.issuer))
            .await
            .map_err(|e| e.to_string())?;
        let jwks_uri = discovery["jwks_uri"].as_str().ok_or("no jwks_uri")?;
        let jwks = self.document(jwks_uri).await.map_err(|e| e.to_string())?;
        serde_json::from_value(jwks).map_err(|e| e.to_string())
    }

    /// The issuer's keys, read once; a failed read is tried again next time.
    async fn keys(&self) -> Option<&JwkSet> {
        match self.keys.get_or_try_init(|| self.fetch_keys()).await {
            Ok(keys) => Some(keys),
            Err(error) => {
                tracing::error!(issuer = %self.issuer, %error, "the issuer's keys could not be read");
                None
            }
        }
    }

    /// The token's claims, flattened; `None` if it is missing, forged, expired, from another
    /// issuer or for another audience.
    pub async fn claims(&self, authorization: Option<&str>) -> Option<HashMap<String, String>> {
        let token = authorization?.strip_prefix("Bearer ")?.trim();
        let header = decode_header(token).ok()?;
        if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
            return None;
        }
        // The issuer is checked before its keys are looked for: a stranger's token costs no fetch.
        let unverified = jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token).ok()?;
        if unverified.claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return None;
        }
        let jwk = self.keys().await?.find(header.kid.as_deref()?)?;
        let key = DecodingKey::from_jwk(jwk).ok()?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = 0;
        validation.set_issuer(&[&self.issuer]);
        // API Gateway accepts the audience in `aud` or (Cognito's access tokens) `client_id`.
        validation.validate_aud = false;
        let claims = decode::<Map<String, Value>>(token, &key, &validation).ok()?.claims;
        let audiences: Vec<&str> = match (claims.get("aud"), claims.get("client_id")) {
            (Some(Value::String(one)), _) => vec![one],
            (Some(Value::Array(many)), _) => many.iter().filter_map(Value::as_str).collect(),
            (None, Some(Value::String(client))) => vec![client],
            _ => vec![],
        };
        if !audiences
            .iter()
            .any(|a| self.audience.iter().any(|expected| expected == a))
        {
            return None;
        }
        Some(claims.into_iter().map(|(k, v)| (k, flatten(v))).collect())
    }
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

/// The authorizer that plays the user pool's.
pub const OFFICIALS: &str = "CognitoAuthorizer";
/// The authorizer of the voter routes.
pub const VOTERS: &str = "VoterAuthorizer";

/// The template's authorizers as the runner plays them: the user pool's trusts the
/// officials' stand-in; the voters' trusts `VoterIssuer` and `VoterAudience`, or the pool
/// when `VoterIssuer` is empty (the template's condition `VotersInPool`).
pub fn local_authorizers(
    template: &Template,
    issuers: &LocalIssuers,
) -> Result<HashMap<String, JwtAuthorizer>, String> {
    let officials = || {
        JwtAuthorizer::new(
            issuers.url(Issuer::Officials),
            vec![Issuer::Officials.audience().to_owned()],
        )
    };
    let parameter = |name: &str| template.parameters.get(name).cloned().unwrap_or_default();
    template
        .authorizers
        .iter()
        .map(|name| match name.as_str() {
            OFFICIALS => Ok((name.clone(), officials())),
            VOTERS if parameter("VoterIssuer").is_empty() => Ok((name.clone(), officials())),
            VOTERS => Ok((
                name.clone(),
                JwtAuthorizer::new(parameter("VoterIssuer"), vec![parameter("VoterAudience")]),
            )),
            other => Err(format!("the runner does not play the authorizer {other}")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::NATIONAL_ID_CLAIM;

    #[test]
    fn a_token_carries_the_issuers_claims() {
        let issuers = LocalIssuers::new("http://127.0.0.1:1", "s");
        let token = issuers.voter("900101-1", Duration::from_secs(60));
        let claims = jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(&token)
            .unwrap()
            .claims;
        assert_eq!(claims["iss"], "http://127.0.0.1:1/__local/issuers/national");
        assert_eq!(claims[NATIONAL_ID_CLAIM], "900101-1");
        assert_ne!(claims["sub"], "900101-1");
    }

    #[test]
    fn the_published_key_verifies_the_issuers_tokens_only() {
        let issuers = LocalIssuers::new("http://127.0.0.1:1", "s");
        let jwks: JwkSet = serde_json::from_value(issuers.jwks(Issuer::National)).unwrap();
        let verify = |token: &str| {
            let kid = decode_header(token).unwrap().kid.unwrap_or_default();
            let key = jwks.find(&kid).and_then(|jwk| DecodingKey::from_jwk(jwk).ok());
            let mut validation = Validation::new(Algorithm::ES256);
            validation.validate_aud = false;
            key.is_some_and(|key| decode::<Map<String, Value>>(token, &key, &validation).is_ok())
        };
        assert!(verify(&issuers.voter("a", Duration::from_secs(60))));
        assert!(!verify(&issuers.official("a", &[], Duration::from_secs(60))));
        let other_secret = LocalIssuers::new("http://127.0.0.1:1", "t");
        assert!(!verify(&other_secret.voter("a", Duration::from_secs(60))));
    }

    #[test]
    fn claims_flatten_as_api_gateway_passes_them() {
        assert_eq!(
            flatten(serde_json::json!(["commission", "voter"])),
            "[commission voter]"
        );
        assert_eq!(flatten(serde_json::json!(12)), "12");
    }
}
