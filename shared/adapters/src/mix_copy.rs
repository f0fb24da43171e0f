//! What the mixer's sealed copy of a ballot holds once opened, and how a pooled copy is
//! named: shared by the KMS sealer and the in-memory one, so both seal the same bytes.

use chrono::{DateTime, Utc};
use election_core::domain::ids::{ElectionId, ReceiptId};
use election_core::domain::vote::{Ballot, Mark, Sealed};
use election_core::problem::PortError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A ballot without its election: the seal binds the election instead. Sealed as CBOR, in
/// which an encrypted ballot's points, scalars and digests are their bytes, not hex: half
/// the size of its JSON, on the participation (written, then updated to remove it) and in
/// the pool (written, then deleted), each a write by size.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Plain {
    mark: Mark,
    receipt_id: ReceiptId,
    cast_in_hour: DateTime<Utc>,
}

/// A copy sealed as JSON, before the copies were CBOR: one may still be on its way through
/// the mixer's stream or pools when the new mixer is deployed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainJson {
    #[serde(flatten)]
    mark: Mark,
    receipt_id: ReceiptId,
    cast_in_hour: DateTime<Utc>,
}

/// The bytes sealed for the mixer.
pub(crate) fn to_bytes(ballot: &Ballot) -> Result<Vec<u8>, PortError> {
    let plain = Plain {
        mark: ballot.mark.clone(),
        receipt_id: ballot.receipt_id.clone(),
        cast_in_hour: ballot.cast_in_hour,
    };
    let mut bytes = Vec::new();
    ciborium::into_writer(&plain, &mut bytes).map_err(|e| PortError::Internal(e.to_string()))?;
    Ok(bytes)
}

/// The ballot in opened bytes, of the election the seal was bound to.
pub(crate) fn from_bytes(election: &ElectionId, bytes: &[u8]) -> Result<Ballot, PortError> {
    let no_ballot = || PortError::Internal("a mixer's copy that is no ballot".into());
    let plain = match bytes.first() {
        Some(b'{') => {
            let old: PlainJson = serde_json::from_slice(bytes).map_err(|_| no_ballot())?;
            Plain {
                mark: old.mark,
                receipt_id: old.receipt_id,
                cast_in_hour: old.cast_in_hour,
            }
        }
        _ => ciborium::from_reader(bytes).map_err(|_| no_ballot())?,
    };
    Ok(Ballot {
        election_id: election.clone(),
        mark: plain.mark,
        receipt_id: plain.receipt_id,
        cast_in_hour: plain.cast_in_hour,
    })
}

/// A pooled copy's name: a digest of its sealed bytes (random), so the same copy pooled
/// twice is one item, and the name says nothing of the voter or the ballot.
pub fn pooled_key(sealed: &Sealed) -> String {
    hex::encode(&Sha256::digest(&sealed.ciphertext)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use election_core::domain::ids::CandidateId;
    use election_crypto::randomness::OsRandomness;

    fn ballot(mark: Mark) -> Ballot {
        Ballot {
            election_id: ElectionId::new(),
            mark,
            receipt_id: ReceiptId::new(),
            cast_in_hour: Utc::now(),
        }
    }

    fn encrypted() -> Mark {
        let ctx = election_crypto::simulation::ceremony_only(5, &mut OsRandomness).unwrap();
        let (encrypted, _) = election_crypto::ballot::encrypt(&ctx, 2, &mut OsRandomness).unwrap();
        Mark::Encrypted(Box::new(encrypted))
    }

    #[test]
    fn a_copy_opens_to_the_ballot_sealed_in_either_mode() {
        for mark in [Mark::For(CandidateId::new()), encrypted()] {
            let sealed = ballot(mark);
            let opened = from_bytes(&sealed.election_id, &to_bytes(&sealed).unwrap()).unwrap();
            assert_eq!(opened, sealed);
        }
    }

    #[test]
    fn an_encrypted_ballot_is_sealed_at_about_half_its_json_and_a_json_copy_still_opens() {
        let sealed = ballot(encrypted());
        // As copies were sealed before: the mark flattened into the JSON beside the rest.
        let mut old = serde_json::to_value(&sealed.mark).unwrap();
        old["receiptId"] = serde_json::to_value(&sealed.receipt_id).unwrap();
        old["castInHour"] = serde_json::to_value(sealed.cast_in_hour).unwrap();
        let as_json = serde_json::to_vec(&old).unwrap();
        let binary = to_bytes(&sealed).unwrap();
        eprintln!(
            "a 5-candidate encrypted ballot's copy: {} bytes, {} as JSON",
            binary.len(),
            as_json.len()
        );
        assert!(
            binary.len() * 100 < as_json.len() * 60,
            "{} bytes against {}",
            binary.len(),
            as_json.len()
        );
        assert_eq!(from_bytes(&sealed.election_id, &as_json).unwrap(), sealed);
        assert!(from_bytes(&sealed.election_id, b"not a ballot").is_err());
    }
}
