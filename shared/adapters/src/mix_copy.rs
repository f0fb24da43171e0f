//! What the mixer's sealed copy of a ballot holds once opened, and how a pooled copy is
//! named: shared by the KMS sealer and the in-memory one, so both seal the same bytes.

use chrono::{DateTime, Utc};
use election_core::domain::ids::{ElectionId, ReceiptId};
use election_core::domain::vote::{Ballot, Mark, Sealed};
use election_core::problem::PortError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A ballot without its election: the seal binds the election instead.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Plain {
    #[serde(flatten)]
    mark: Mark,
    receipt_id: ReceiptId,
    cast_in_hour: DateTime<Utc>,
}

/// The bytes sealed for the mixer.
pub(crate) fn to_bytes(ballot: &Ballot) -> Result<Vec<u8>, PortError> {
    serde_json::to_vec(&Plain {
        mark: ballot.mark.clone(),
        receipt_id: ballot.receipt_id.clone(),
        cast_in_hour: ballot.cast_in_hour,
    })
    .map_err(|e| PortError::Internal(e.to_string()))
}

/// The ballot in opened bytes, of the election the seal was bound to.
pub(crate) fn from_bytes(election: &ElectionId, bytes: &[u8]) -> Result<Ballot, PortError> {
    let plain: Plain =
        serde_json::from_slice(bytes).map_err(|_| PortError::Internal("a mixer's copy that is no ballot".into()))?;
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
