//! Who is calling, from the claims that API Gateway's JWT authorizer validated and passed on
//! in the request context. Officials sign in to the user pool: their `sub` and
//! `cognito:groups`. Voters sign in with the voters' issuer (the national identity service,
//! or the pool): a voter route admits no other, so its token makes the caller a voter, known
//! by the claim that is their key on the roll.

use std::collections::{BTreeSet, HashMap};

/// A Cognito group that grants a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Commission,
    Admin,
    Candidate,
    Voter,
    /// Holds a share of a verifiable election's key.
    Trustee,
}

impl Role {
    pub fn from_group(group: &str) -> Option<Self> {
        match group {
            "commission" => Some(Self::Commission),
            "admin" => Some(Self::Admin),
            "candidate" => Some(Self::Candidate),
            "voter" => Some(Self::Voter),
            "trustee" => Some(Self::Trustee),
            _ => None,
        }
    }
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub roles: BTreeSet<Role>,
}

impl Caller {
    /// Reads the caller from authorizer claims; `None` when there is no usable `sub`.
    pub fn from_claims(claims: &HashMap<String, String>) -> Option<Self> {
        let sub = claims.get("sub").map(|s| s.trim()).filter(|s| !s.is_empty())?;
        let roles = claims
            .get("cognito:groups")
            .map(|groups| parse_groups(groups).filter_map(Role::from_group).collect())
            .unwrap_or_default();
        Some(Self {
            sub: sub.to_owned(),
            roles,
        })
    }

    /// A voter on a voter route, known by `claim` (their key on the roll); `None` when the
    /// token does not carry it.
    pub fn voter_from_claims(claims: &HashMap<String, String>, claim: &str) -> Option<Self> {
        let key = claims.get(claim).map(|s| s.trim()).filter(|s| !s.is_empty())?;
        Some(Self {
            sub: key.to_owned(),
            roles: BTreeSet::from([Role::Voter]),
        })
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles.contains(r))
    }
}

/// Splits a groups claim in any form API Gateway may pass it: flattened `[a b]`,
/// a JSON array `["a","b"]`, or a comma-separated list.
fn parse_groups(claim: &str) -> impl Iterator<Item = &str> {
    claim
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|g| g.trim_matches('"'))
        .filter(|g| !g.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(groups: &str) -> Caller {
        let claims = HashMap::from([
            ("sub".to_owned(), "u-1".to_owned()),
            ("cognito:groups".to_owned(), groups.to_owned()),
        ]);
        Caller::from_claims(&claims).unwrap()
    }

    #[test]
    fn reads_every_form_of_the_groups_claim() {
        let both = BTreeSet::from([Role::Commission, Role::Voter]);
        assert_eq!(caller("[commission voter]").roles, both);
        assert_eq!(caller(r#"["commission","voter"]"#).roles, both);
        assert_eq!(caller("commission,voter").roles, both);
        assert_eq!(caller("voter").roles, BTreeSet::from([Role::Voter]));
        assert_eq!(caller("[]").roles, BTreeSet::new());
        assert_eq!(caller("[superuser]").roles, BTreeSet::new());
    }

    #[test]
    fn a_voter_is_known_by_the_claim_named() {
        let claims = HashMap::from([
            ("sub".to_owned(), "pairwise-1".to_owned()),
            ("national_id".to_owned(), "900101-1".to_owned()),
            ("cognito:groups".to_owned(), "[commission]".to_owned()),
        ]);
        let voter = Caller::voter_from_claims(&claims, "national_id").unwrap();
        assert_eq!(voter.sub, "900101-1");
        assert_eq!(voter.roles, BTreeSet::from([Role::Voter]));
        assert_eq!(Caller::voter_from_claims(&claims, "personal_code"), None);
    }

    #[test]
    fn needs_a_sub() {
        assert_eq!(Caller::from_claims(&HashMap::new()), None);
        let blank = HashMap::from([("sub".to_owned(), " ".to_owned())]);
        assert_eq!(Caller::from_claims(&blank), None);
    }
}
