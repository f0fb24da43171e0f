//! Bearer tokens, checked by the functions themselves as well as by API Gateway's JWT
//! authorizers: whoever may invoke a function directly (`lambda:InvokeFunction`) could
//! otherwise put any claims in the request context and act as anyone. A token is valid if
//! its issuer is the one trusted, its signature verifies against one of the issuer's
//! published keys (found through its OpenID Connect discovery document, read once and
//! again when a token names a key not seen yet), it has not expired, and it is for one of
//! the audiences accepted. The claims passed on are the token's own, flattened as API
//! Gateway flattens them.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The shortest time between two reads of an issuer's keys: a forged token naming an
/// unknown key costs at most one read in this time.
const KEYS_READ_AGAIN_AFTER: Duration = Duration::from_secs(300);

/// How long a read of an issuer's documents may take.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Keys {
    set: Option<JwkSet>,
    read_at: Option<Instant>,
}

/// One issuer, and the audiences whose tokens it accepts.
pub struct TrustedIssuer {
    issuer: String,
    audiences: Vec<String>,
    /// Made at the first read of the keys, not at start-up: it loads the system's roots.
    http: std::sync::OnceLock<reqwest::Client>,
    keys: RwLock<Keys>,
}

impl TrustedIssuer {
    pub fn new(issuer: &str, audiences: Vec<String>) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audiences,
            http: std::sync::OnceLock::new(),
            keys: RwLock::default(),
        }
    }

    /// An issuer whose keys are given, not read (for tests).
    pub fn with_keys(issuer: &str, audiences: Vec<String>, keys: JwkSet) -> Self {
        let trusted = Self::new(issuer, audiences);
        Self {
            keys: RwLock::new(Keys {
                set: Some(keys),
                read_at: Some(Instant::now()),
            }),
            ..trusted
        }
    }

    /// A JSON document of the issuer's.
    async fn document(&self, url: &str) -> Result<Value, reqwest::Error> {
        let http = self.http.get_or_init(reqwest::Client::new);
        let reply = http.get(url).timeout(READ_TIMEOUT).send().await?;
        reply.error_for_status()?.json().await
    }

    /// The issuer's keys, found through its discovery document.
    async fn read_keys(&self) -> Result<JwkSet, String> {
        let discovery = self
            .document(&format!("{}/.well-known/openid-configuration", self.issuer))
            .await
            .map_err(|e| e.to_string())?;
        let jwks_uri = discovery["jwks_uri"].as_str().ok_or("no jwks_uri")?;
        let jwks = self.document(jwks_uri).await.map_err(|e| e.to_string())?;
        serde_json::from_value(jwks).map_err(|e| e.to_string())
    }

    /// The issuer's key `kid`: from the keys read, else from a new read (not more often
    /// than [`KEYS_READ_AGAIN_AFTER`] once one has succeeded).
    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        let known = |keys: &Keys| {
            let jwk = keys.set.as_ref()?.find(kid)?;
            DecodingKey::from_jwk(jwk).ok()
        };
        if let Some(key) = known(&*self.keys.read().await) {
            return Some(key);
        }
        let mut keys = self.keys.write().await;
        if let Some(key) = known(&keys) {
            return Some(key);
        }
        if keys.read_at.is_some_and(|at| at.elapsed() < KEYS_READ_AGAIN_AFTER) {
            return None;
        }
        match self.read_keys().await {
            Ok(set) => {
                *keys = Keys {
                    set: Some(set),
                    read_at: Some(Instant::now()),
                }
            }
            Err(error) => tracing::error!(issuer = %self.issuer, %error, "the issuer's keys could not be read"),
        }
        known(&keys)
    }

    /// The token's claims, flattened; `None` if it is missing, forged, expired, from another
    /// issuer or for another audience.
    pub async fn claims(&self, authorization: Option<&str>) -> Option<HashMap<String, String>> {
        let token = authorization?.strip_prefix("Bearer ")?.trim();
        let header = decode_header(token).ok()?;
        if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
            return None;
        }
        // The issuer is checked before its keys are looked for: a stranger's token costs no read.
        let unverified = jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token).ok()?;
        if unverified.claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return None;
        }
        let key = self.key(header.kid.as_deref()?).await?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = 0;
        validation.set_issuer(&[&self.issuer]);
        // The audience is in `aud`, or (Cognito's access tokens) `client_id`, as API Gateway reads it.
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
            .any(|a| self.audiences.iter().any(|expected| expected == a))
        {
            return None;
        }
        Some(claims.into_iter().map(|(k, v)| (k, flatten(v))).collect())
    }
}

/// A claim as API Gateway passes it: an array as `[a b]`.
fn flatten(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Array(items) => {
            format!("[{}]", items.into_iter().map(flatten).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

/// The issuers a function trusts: the officials' (the user pool) on officials' routes, the
/// voters' on voter routes. A function that serves neither trusts none.
#[derive(Default)]
pub struct Tokens {
    pub officials: Option<TrustedIssuer>,
    pub voters: Option<TrustedIssuer>,
}

#[cfg(test)]
mod tests {
    use super::flatten;

    #[test]
    fn claims_flatten_as_api_gateway_passes_them() {
        assert_eq!(
            flatten(serde_json::json!(["commission", "voter"])),
            "[commission voter]"
        );
        assert_eq!(flatten(serde_json::json!(12)), "12");
    }
}
