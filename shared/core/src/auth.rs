//! Who is calling: the `sub` and `cognito:groups` claims that API Gateway's JWT authorizer
//! validated and passed on in the request context.

use std::collections::{BTreeSet, HashMap};

/// A Cognito group that grants a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Commission,
    Admin,
    Candidate,
    Voter,
}

impl Role {
    pub fn from_group(group: &str) -> Option<Self> {
        match group {
            "commission" => Some(Self::Commission),
            "admin" => Some(Self::Admin),
            "candidate" => Some(Self::Candidate),
            "voter" => Some(Self::Voter),
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
    fn needs_a_sub() {
        assert_eq!(Caller::from_claims(&HashMap::new()), None);
        let blank = HashMap::from([("sub".to_owned(), " ".to_owned())]);
        assert_eq!(Caller::from_claims(&blank), None);
    }
}
