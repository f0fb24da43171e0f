//! The two identity providers the runner plays on 127.0.0.1, each an OpenID Connect issuer
//! with its own ES256 key, its discovery document and its JWKS, as on AWS:
//! - `officials`, the user pool's stand-in: commission, admin and candidates, with their
//!   `cognito:groups`;
//! - `national`, the national identity service's stand-in: voters, whose key on the roll is
//!   the `national_id` claim (the template's `VoterIdentityClaim`, set so locally).
//!
//! Their keys are derived from `LOCAL_JWT_SECRET`, so that tests and tools mint tokens that
//! the runner's authorizers verify against the published keys. Local use only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The secret used when `LOCAL_JWT_SECRET` is not set. Local use only.
pub const DEFAULT_SECRET: &str = "local-development-secret";

/// The claim of a national token that is the voter's key on the roll.
pub const NATIONAL_ID_CLAIM: &str = "national_id";

/// The secret in force: `LOCAL_JWT_SECRET`, or [`DEFAULT_SECRET`].
pub fn secret_from_env() -> String {
    std::env::var("LOCAL_JWT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SECRET.to_owned())
}

/// An identity provider the runner plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuer {
    /// The user pool's stand-in.
    Officials,
    /// The national identity service's stand-in.
    National,
    /// An issuer that no route trusts (for tests): its keys are published nowhere.
    Elsewhere,
}

impl Issuer {
    pub fn name(self) -> &'static str {
        match self {
            Issuer::Officials => "officials",
            Issuer::National => "national",
            Issuer::Elsewhere => "elsewhere",
        }
    }

    /// The issuers whose keys are published.
    pub fn served(name: &str) -> Option<Self> {
        [Issuer::Officials, Issuer::National]
            .into_iter()
            .find(|i| i.name() == name)
    }

    /// The client id its tokens are issued to (their `aud`).
    pub fn audience(self) -> &'static str {
        match self {
            Issuer::Officials => "omp-local-officials",
            Issuer::National | Issuer::Elsewhere => "omp-local-voters",
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The local issuers of the runner whose API is at `base`.
#[derive(Clone, Debug)]
pub struct LocalIssuers {
    base: String,
    secret: String,
}

impl LocalIssuers {
    pub fn new(api_base: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            base: api_base.into().trim_end_matches('/').to_owned(),
            secret: secret.into(),
        }
    }

    /// The issuers of the runner at `OMP_API_URL` (the tests' stack) if set, else at
    /// `OMP_API_PORT`, with the secret in force.
    pub fn from_env() -> Self {
        let base = std::env::var("OMP_API_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| format!("http://127.0.0.1:{}", crate::clients::Ports::from_env().api));
        Self::new(base, secret_from_env())
    }

    /// Impostors of these issuers: the same names, other keys, which nothing publishes.
    pub fn impostor(&self) -> Self {
        Self::new(self.base.clone(), format!("not {}", self.secret))
    }

    /// Its issuer identifier (`iss`): a URL under which its discovery document is served.
    pub fn url(&self, issuer: Issuer) -> String {
        format!("{}/__local/issuers/{}", self.base, issuer.name())
    }

    fn key(&self, issuer: Issuer) -> p256::SecretKey {
        let mut counter = 0u8;
        loop {
            let seed = Sha256::new()
                .chain_update(b"omp local issuer key\0")
                .chain_update(issuer.name())
                .chain_update([0, counter])
                .chain_update(&self.secret)
                .finalize();
            // A digest at or above the group order (odds 2^-32) is passed over.
            if let Ok(key) = p256::SecretKey::from_slice(&seed) {
                return key;
            }
            counter = counter.wrapping_add(1);
        }
    }

    /// One of them, as an issuer that signs.
    fn issuer(&self, issuer: Issuer) -> SigningIssuer {
        SigningIssuer::new(self.url(issuer), issuer.audience(), self.key(issuer))
    }

    /// Its OpenID Connect discovery document (what API Gateway reads to find the keys).
    pub fn discovery(&self, issuer: Issuer) -> Value {
        self.issuer(issuer).discovery()
    }

    /// Its public keys, as a JWKS.
    pub fn jwks(&self, issuer: Issuer) -> Value {
        self.issuer(issuer).jwks()
    }

    /// A token `issuer` signs with `claims`, plus its `iss`, `aud`, `iat` and `exp` unless
    /// `claims` has its own.
    pub fn sign(&self, issuer: Issuer, claims: Value, ttl: Duration) -> String {
        self.issuer(issuer).sign(claims, ttl)
    }

    /// The template's parameters that make voters sign in with the national stand-in.
    pub fn voter_sign_in(&self) -> String {
        format!(
            "VoterIssuer={} VoterAudience={} VoterIdentityClaim={NATIONAL_ID_CLAIM}",
            self.url(Issuer::National),
            Issuer::National.audience()
        )
    }

    /// An official's token from the user pool's stand-in.
    pub fn official(&self, sub: &str, groups: &[String], ttl: Duration) -> String {
        let claims = json!({ "sub": sub, "cognito:groups": groups, "token_use": "id" });
        self.sign(Issuer::Officials, claims, ttl)
    }

    /// A voter's token from the national service's stand-in: its `sub` is an opaque
    /// pairwise id, and `national_id` the voter's key on the roll.
    pub fn voter(&self, identity_key: &str, ttl: Duration) -> String {
        self.issuer(Issuer::National)
            .voter(NATIONAL_ID_CLAIM, identity_key, ttl)
    }

    /// The token this caller holds: a voter's (groups `["voter"]`) from the national
    /// service, anyone else's from the user pool.
    pub fn token(&self, sub: &str, groups: &[String], ttl: Duration) -> String {
        match groups {
            [only] if only == "voter" => self.voter(sub, ttl),
            _ => self.official(sub, groups, ttl),
        }
    }
}

/// An OpenID Connect issuer that holds its ES256 signing key: its discovery document, its
/// JWKS and its tokens. The runner's stand-ins are two; the load test against a deployed
/// stage publishes one of its own (`bench issuer`), whose key only the load tool holds.
pub struct SigningIssuer {
    url: String,
    audience: String,
    key: p256::SecretKey,
}

impl SigningIssuer {
    /// The issuer `url` (its `iss`), signing for `audience` with `key`.
    pub fn new(url: impl Into<String>, audience: impl Into<String>, key: p256::SecretKey) -> Self {
        Self {
            url: url.into().trim_end_matches('/').to_owned(),
            audience: audience.into(),
            key,
        }
    }

    fn key_id(&self) -> String {
        let point = self.key.public_key().to_encoded_point(false);
        hex_prefix(&Sha256::digest(point.as_bytes()))
    }

    /// Its OpenID Connect discovery document, served at
    /// `<url>/.well-known/openid-configuration`.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.url,
            "jwks_uri": format!("{}/.well-known/jwks.json", self.url),
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["id_token"],
        })
    }

    /// Its public key, as a JWKS.
    pub fn jwks(&self) -> Value {
        let point = self.key.public_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| base64url_encode(c)).unwrap_or_default();
        json!({ "keys": [{
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
            "kid": self.key_id(),
            "x": coordinate(point.x()),
            "y": coordinate(point.y()),
        }]})
    }

    /// A token with `claims`, plus its `iss`, `aud`, `iat` and `exp` unless `claims` has
    /// its own.
    pub fn sign(&self, mut claims: Value, ttl: Duration) -> String {
        let now = unix_now();
        if let Some(claims) = claims.as_object_mut() {
            for (name, value) in [
                ("iss", json!(self.url)),
                ("aud", json!(self.audience)),
                ("iat", json!(now)),
                ("exp", json!(now + ttl.as_secs())),
            ] {
                claims.entry(name).or_insert(value);
            }
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id());
        let key = self
            .key
            .to_pkcs8_der()
            .map(|der| EncodingKey::from_ec_der(der.as_bytes()));
        match key {
            Ok(key) => encode(&header, &claims, &key).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// A voter's token whose `identity_claim` is their key on the roll; its `sub` is an
    /// opaque pairwise id, unless `sub` is that claim.
    pub fn voter(&self, identity_claim: &str, identity_key: &str, ttl: Duration) -> String {
        let pairwise = hex_prefix(&Sha256::digest(format!("pairwise\0{identity_key}")));
        let mut claims = json!({ "sub": pairwise });
        claims[identity_claim] = json!(identity_key);
        self.sign(claims, ttl)
    }
}

/// Groups as a flattened claim carries them (`[a b]`), as a list.
pub fn groups_of(flattened: &str) -> Vec<String> {
    flattened
        .trim_matches(['[', ']'])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn hex_prefix(digest: &[u8]) -> String {
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
