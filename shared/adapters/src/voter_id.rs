//! Voter ids: HMAC-SHA-256 of the identity key, as hex. The same identity key gives the
//! same id in every election, so a voter's token finds their roll entries; without the key,
//! an id says nothing of whose it is, and national identity numbers (few enough to try
//! them all) cannot be tried against it.

use election_core::domain::roll::IdentityKey;
use election_core::domain::text::AccountId;
use election_core::problem::PortError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What the voter-id key is derived from, under the HMAC key in KMS. A new label is a new
/// key, and new ids for everyone.
pub const VOTER_ID_LABEL: &[u8] = b"omp-voting voter id v1";

/// What the claim key is derived from, under the voter-id key.
const CLAIM_KEY_LABEL: &[u8] = b"omp-voting ballot claim key v1";

/// The key voter ids are made under: 32 bytes, kept in memory only.
pub struct VoterIdKey(Hmac<Sha256>);

impl VoterIdKey {
    pub fn new(key: &[u8]) -> Result<Self, PortError> {
        if key.len() < 32 {
            return Err(PortError::Internal("the voter-id key is shorter than 32 bytes".into()));
        }
        Hmac::new_from_slice(key)
            .map(Self)
            .map_err(|_| PortError::Internal("the voter-id key does not fit HMAC".into()))
    }

    /// A keyed tag of `parts`, each framed by its length, under a key of its own derived
    /// from this one (so a tag is never a voter id): a claim of an encrypted ballot.
    pub fn claim_tag(&self, parts: &[&[u8]]) -> String {
        let mut derive = self.0.clone();
        derive.update(CLAIM_KEY_LABEL);
        let key = derive.finalize().into_bytes();
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!("any length fits HMAC"));
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn voter_id(&self, identity: &IdentityKey) -> AccountId {
        let mut mac = self.0.clone();
        mac.update(identity.expose());
        let id = hex::encode(mac.finalize().into_bytes());
        // 64 hexadecimal digits: always a valid account id.
        AccountId::parse(&id).unwrap_or_else(|_| unreachable!("a hex digest is a valid id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_keyed_and_stable() {
        let key = VoterIdKey::new(&[7; 32]).unwrap();
        let other = VoterIdKey::new(&[8; 32]).unwrap();
        let alice = IdentityKey::parse("NID-0001").unwrap();
        let id = key.voter_id(&alice);
        assert_eq!(id, key.voter_id(&alice));
        assert_ne!(id, other.voter_id(&alice));
        assert_ne!(id, key.voter_id(&IdentityKey::parse("NID-0002").unwrap()));
        assert_eq!(id.as_str().len(), 64);
        assert!(!id.as_str().contains("NID"));
        assert!(VoterIdKey::new(&[1; 16]).is_err());
    }

    #[test]
    fn claim_tags_are_keyed_framed_and_never_voter_ids() {
        let key = VoterIdKey::new(&[7; 32]).unwrap();
        let tag = key.claim_tag(&[b"alpha", b"e1", b"x"]);
        assert_eq!(tag, key.claim_tag(&[b"alpha", b"e1", b"x"]));
        assert_ne!(
            tag,
            VoterIdKey::new(&[8; 32]).unwrap().claim_tag(&[b"alpha", b"e1", b"x"])
        );
        // Framing: the same bytes split otherwise are another tag.
        assert_ne!(tag, key.claim_tag(&[b"alpha", b"e", b"1x"]));
        let identity = IdentityKey::parse("alphae1x").unwrap();
        assert_ne!(tag, key.voter_id(&identity).as_str());
    }
}
