//! The local stand-in for API Gateway's JWT authorizers: each trusts one issuer and its
//! audience, with the check the functions make themselves ([`TrustedIssuer`]: the issuer's
//! keys read through its OpenID Connect discovery document, over HTTP), and passes the
//! claims of a valid token on to the function, arrays flattened to `[a b]` as API Gateway
//! does.

use crate::jwt::{Issuer, LocalIssuers};
use crate::template::Template;
use handlers::config::Setting;
use handlers::http::tokens::TrustedIssuer;
use std::collections::{BTreeMap, HashMap};

/// The authorizer that plays the user pool's.
pub const OFFICIALS: &str = "CognitoAuthorizer";
/// The authorizer of the voter routes.
pub const VOTERS: &str = "VoterAuthorizer";

/// Whom an authorizer trusts: an issuer, and the audience its tokens must be for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trust {
    pub issuer: String,
    pub audience: String,
}

/// Whom the template's authorizers trust as the runner plays them: the user pool's, the
/// officials' stand-in; the voters', `VoterIssuer` and `VoterAudience`, or the pool's stand-in
/// when `VoterIssuer` is empty (the template's condition `VotersInPool`).
pub fn local_trust(template: &Template, issuers: &LocalIssuers) -> Result<HashMap<String, Trust>, String> {
    let officials = Trust {
        issuer: issuers.url(Issuer::Officials),
        audience: Issuer::Officials.audience().to_owned(),
    };
    let parameter = |name: &str| template.parameters.get(name).cloned().unwrap_or_default();
    template
        .authorizers
        .iter()
        .map(|name| match name.as_str() {
            OFFICIALS => Ok((name.clone(), officials.clone())),
            VOTERS if parameter("VoterIssuer").is_empty() => Ok((name.clone(), officials.clone())),
            VOTERS => Ok((
                name.clone(),
                Trust {
                    issuer: parameter("VoterIssuer"),
                    audience: parameter("VoterAudience"),
                },
            )),
            other => Err(format!("the runner does not play the authorizer {other}")),
        })
        .collect()
}

/// The functions' own token settings as the runner plays them: each issuer (and audience)
/// that the authorizer of the same routes trusts.
pub fn local_token_settings(
    template: &Template,
    issuers: &LocalIssuers,
) -> Result<BTreeMap<&'static str, String>, String> {
    let trust = local_trust(template, issuers)?;
    let of = |authorizer: &str| {
        trust
            .get(authorizer)
            .cloned()
            .ok_or_else(|| format!("the template has no authorizer {authorizer}"))
    };
    let (officials, voters) = (of(OFFICIALS)?, of(VOTERS)?);
    Ok(BTreeMap::from([
        (Setting::OfficialsIssuer.variable(), officials.issuer),
        (Setting::OfficialsAudience.variable(), officials.audience),
        (Setting::VoterIssuer.variable(), voters.issuer),
        (Setting::VoterAudience.variable(), voters.audience),
    ]))
}

/// The template's authorizers as the runner plays them, by name.
pub fn local_authorizers(
    template: &Template,
    issuers: &LocalIssuers,
) -> Result<HashMap<String, TrustedIssuer>, String> {
    let trust = local_trust(template, issuers)?;
    Ok(trust
        .into_iter()
        .map(|(name, trust)| (name, TrustedIssuer::new(&trust.issuer, vec![trust.audience])))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::NATIONAL_ID_CLAIM;
    use serde_json::{json, Map, Value};
    use std::time::Duration;

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

    #[tokio::test]
    async fn the_published_key_verifies_the_issuers_tokens_only() {
        let issuers = LocalIssuers::new("http://127.0.0.1:1", "s");
        let keys = serde_json::from_value(issuers.jwks(Issuer::National)).unwrap();
        let audience = vec![Issuer::National.audience().to_owned()];
        // Its keys given: an unknown key is not looked for at 127.0.0.1:1.
        let trusted = TrustedIssuer::with_keys(&issuers.url(Issuer::National), audience, keys);
        let check = |token: String| {
            let trusted = &trusted;
            async move { trusted.claims(Some(&format!("Bearer {token}"))).await }
        };
        let minute = Duration::from_secs(60);
        let claims = check(issuers.voter("a", minute)).await.expect("the issuer's own token");
        assert_eq!(claims[NATIONAL_ID_CLAIM], "a");
        assert!(
            check(issuers.official("a", &[], minute)).await.is_none(),
            "another issuer's"
        );
        assert!(
            check(issuers.impostor().voter("a", minute)).await.is_none(),
            "another key's"
        );
        let expired = issuers.sign(Issuer::National, json!({ "sub": "a", "exp": 1 }), minute);
        assert!(check(expired).await.is_none(), "expired");
        let elsewhere = issuers.sign(Issuer::National, json!({ "sub": "a", "aud": "someone else" }), minute);
        assert!(check(elsewhere).await.is_none(), "for another audience");
        assert!(trusted.claims(None).await.is_none(), "none");
    }
}
