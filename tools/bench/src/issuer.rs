//! The load test's voters on a deployed stage (docs/election-day.md): an OpenID Connect
//! issuer of the test's own, whose signing key only the load tool holds. `bench issuer`
//! makes the key once and writes the two documents to publish at the issuer's URL; the
//! stage's `VoterIssuer` names that URL, and `bench run --voter-key` signs voters with it.

use local_runner::jwt::SigningIssuer;
use rand::RngCore;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(clap::Args)]
pub struct IssuerOptions {
    /// The issuer's URL (its `iss`), under which the documents are served over HTTPS, e.g.
    /// `https://<bucket>.s3.<region>.amazonaws.com/load-test-issuer`.
    #[arg(long)]
    url: String,
    /// The client id its tokens are for: the stage's `VoterAudience`.
    #[arg(long)]
    audience: String,
    /// The signing key's file: read if it exists, else made (readable by its owner only).
    #[arg(long)]
    key: PathBuf,
    /// Where to write `.well-known/openid-configuration` and `.well-known/jwks.json`.
    #[arg(long)]
    out: PathBuf,
}

/// The signing key in `path`: the secret scalar in hex.
pub fn read_key(path: &Path) -> Result<p256::SecretKey, Error> {
    let text = std::fs::read_to_string(path)?;
    let bytes = hex::decode(text.trim())?;
    Ok(p256::SecretKey::from_slice(&bytes)?)
}

fn new_key(path: &Path) -> Result<p256::SecretKey, Error> {
    let key = loop {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        // A value at or above the group order (odds 2^-32) is drawn again.
        if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
            break key;
        }
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{}", hex::encode(key.to_bytes()))?;
    Ok(key)
}

/// The issuer `url` for `audience`, signing with the key in `key`.
pub fn issuer(url: &str, audience: &str, key: &Path) -> Result<SigningIssuer, Error> {
    Ok(SigningIssuer::new(url, audience, read_key(key)?))
}

/// Makes the key if there is none, and writes the issuer's documents.
pub fn publish(options: IssuerOptions) -> Result<(), Error> {
    let key = if options.key.exists() {
        read_key(&options.key)?
    } else {
        new_key(&options.key)?
    };
    let issuer = SigningIssuer::new(&options.url, &options.audience, key);
    let dir = options.out.join(".well-known");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("openid-configuration"), issuer.discovery().to_string())?;
    std::fs::write(dir.join("jwks.json"), issuer.jwks().to_string())?;
    println!(
        "Publish {} at {} (content type application/json), then deploy the stage with \
         VoterIssuer={} VoterAudience={}.",
        options.out.display(),
        options.url,
        options.url,
        options.audience
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use handlers::http::tokens::TrustedIssuer;

    #[tokio::test]
    async fn a_voter_token_verifies_against_the_published_keys_and_names_the_voter() {
        let dir = std::env::temp_dir().join(format!("bench-issuer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = "https://example.invalid/load-test-issuer";
        let options = |out: &str| IssuerOptions {
            url: url.into(),
            audience: "stage-voters".into(),
            key: dir.join("key"),
            out: dir.join(out),
        };
        publish(options("first")).unwrap();
        // The key is made once: published again, the documents are the same.
        publish(options("again")).unwrap();
        let jwks = std::fs::read_to_string(dir.join("first/.well-known/jwks.json")).unwrap();
        assert_eq!(
            jwks,
            std::fs::read_to_string(dir.join("again/.well-known/jwks.json")).unwrap()
        );
        let discovery: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("first/.well-known/openid-configuration")).unwrap())
                .unwrap();
        assert_eq!(discovery["issuer"], url);
        assert_eq!(discovery["jwks_uri"], format!("{url}/.well-known/jwks.json"));

        let signer = issuer(url, "stage-voters", &dir.join("key")).unwrap();
        let token = signer.voter("national_id", "voter-0042", std::time::Duration::from_secs(60));
        let trusted = TrustedIssuer::with_keys(url, vec!["stage-voters".into()], serde_json::from_str(&jwks).unwrap());
        let bearer = format!("Bearer {token}");
        let claims = trusted
            .claims(Some(&bearer))
            .await
            .expect("the stage's check accepts it");
        assert_eq!(claims["national_id"], "voter-0042");
        let elsewhere =
            TrustedIssuer::with_keys(url, vec!["another-client".into()], serde_json::from_str(&jwks).unwrap());
        assert!(
            elsewhere.claims(Some(&bearer)).await.is_none(),
            "another audience refuses it"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
