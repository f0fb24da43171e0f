//! Opaque identifiers. Ids are UUIDs made by the server; anything else is refused before a
//! table is touched.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// The id as a number, to spread keys by: the random bits of a v4 UUID are uniform.
            pub fn as_u128(&self) -> u128 {
                self.0.as_u128()
            }

            /// Parses an id from untrusted text: only the canonical hyphenated form.
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                if text.len() != 36 {
                    return Err(InvalidId);
                }
                Uuid::try_parse(text).map(Self).map_err(|_| InvalidId)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(text: String) -> Result<Self, InvalidId> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

/// The text given is not an id of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id")]
pub struct InvalidId;

id_type!(
    /// Identifies an election.
    ElectionId
);
id_type!(
    /// Identifies a candidate across all elections.
    CandidateId
);
id_type!(
    /// The receipt a voter gets for a stored vote.
    ReceiptId
);

impl ReceiptId {
    /// An encrypted ballot's receipt: the first 16 bytes of its tracking code, uniform and
    /// one per ballot (a ballot id is cast once), so the board finds a ballot by its code.
    pub fn of_tracking_code(code: &[u8; 64]) -> Self {
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&code[..16]);
        Self(Uuid::from_bytes(bytes))
    }
}

id_type!(
    /// Identifies a pledge.
    PledgeId
);
