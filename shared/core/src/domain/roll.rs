//! The electoral roll: who may vote in an election, and where they are registered.
//!
//! The roll never holds a national identity key. It holds the voter's id: a keyed hash of
//! the identity key (see [`crate::ports::VoterKeys`]), the same one a voter's token is
//! matched through. Each entry is the voter's participation record to be: a vote updates it,
//! on condition that it is there and has not voted.
//!
//! A roll is a version of an election's list: each upload makes a new one, which becomes the
//! election's roll when its import is done, and entries of other versions are inert. So an
//! upload replaces the roll whole, and an import that dies halfway leaves the roll in force
//! as it was.

use super::ids::ElectionId;
use super::text::AccountId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The longest identity key accepted, in bytes.
pub const MAX_IDENTITY_KEY_BYTES: usize = 128;
/// The longest district name accepted, in characters.
pub const MAX_DISTRICT_CHARS: usize = 64;
/// How many refused rows an import lists with their line numbers; it counts all of them.
pub const LISTED_REFUSALS: usize = 1_000;
/// The header a roll file may start with.
pub const HEADER: &str = "identityKey,district";
/// Most districts one roll may have: their counts are kept on the roll's own item, which
/// DynamoDB holds to 400 KB.
pub const MAX_DISTRICTS: usize = 2_000;

/// A voter's key in the national identity service, as it arrives: in a roll file, a
/// correction, or a token's claim. It is hashed at once and never stored or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityKey(String);

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKey(..)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRollText {
    #[error("the identity key is empty")]
    EmptyKey,
    #[error("the identity key is longer than {MAX_IDENTITY_KEY_BYTES} bytes")]
    LongKey,
    #[error("the identity key may hold only letters, digits, '-', '_', '.', ':' and '@'")]
    KeyCharacters,
    #[error("the district is empty")]
    EmptyDistrict,
    #[error("the district is longer than {MAX_DISTRICT_CHARS} characters")]
    LongDistrict,
    #[error("the district may not hold control characters, commas or quotes")]
    DistrictCharacters,
}

impl IdentityKey {
    pub fn parse(text: &str) -> Result<Self, InvalidRollText> {
        let text = text.trim();
        if text.is_empty() {
            return Err(InvalidRollText::EmptyKey);
        }
        if text.len() > MAX_IDENTITY_KEY_BYTES {
            return Err(InvalidRollText::LongKey);
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b)) {
            return Err(InvalidRollText::KeyCharacters);
        }
        Ok(Self(text.to_owned()))
    }

    /// The key's bytes, for the keyed hash only.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl<'de> Deserialize<'de> for IdentityKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Where a voter is registered: the unit turnout is counted by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct District(String);

impl District {
    pub fn parse(text: &str) -> Result<Self, InvalidRollText> {
        let text = text.trim();
        if text.is_empty() {
            return Err(InvalidRollText::EmptyDistrict);
        }
        if text.chars().count() > MAX_DISTRICT_CHARS {
            return Err(InvalidRollText::LongDistrict);
        }
        if text.chars().any(|c| c.is_control() || c == ',' || c == '"') {
            return Err(InvalidRollText::DistrictCharacters);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for District {
    type Error = InvalidRollText;
    fn try_from(text: String) -> Result<Self, InvalidRollText> {
        Self::parse(&text)
    }
}

impl From<District> for String {
    fn from(district: District) -> String {
        district.0
    }
}

/// Which version of an election's roll: the roll every election starts with (empty, and
/// then corrected), or an upload's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RollId(String);

impl RollId {
    /// The roll an election has from its registration.
    pub fn initial() -> Self {
        Self("initial".to_owned())
    }

    /// A new upload's roll.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// From untrusted text: `initial` or an upload's UUID.
    pub fn parse(text: &str) -> Result<Self, super::ids::InvalidId> {
        if text == "initial" || (text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(super::ids::InvalidId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RollId {
    fn default() -> Self {
        Self::initial()
    }
}

impl TryFrom<String> for RollId {
    type Error = super::ids::InvalidId;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<RollId> for String {
    fn from(id: RollId) -> String {
        id.0
    }
}

impl fmt::Display for RollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an entry came from: a line of its roll's file, or a correction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntrySource {
    Line(u64),
    Correction,
}

/// One voter on one version of an election's roll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollEntry {
    pub election_id: ElectionId,
    pub roll: RollId,
    /// The keyed hash of the voter's identity key.
    pub voter: AccountId,
    pub district: District,
    pub source: EntrySource,
}

/// What became of writing one entry of an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryWrite {
    /// Written now, or by an earlier run of the same line (an import restarted).
    Written,
    /// The same voter is on this roll already, from this line.
    Duplicate { of_line: Option<u64> },
}

/// A row of a roll file that is not taken, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedRow {
    pub line: u64,
    pub reason: String,
}

/// Reads one line of a roll file: `identityKey,district`. The header, and blank lines, are
/// no voter (`None`).
pub fn parse_row(line_number: u64, line: &str) -> Result<Option<(IdentityKey, District)>, String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    // A spreadsheet's "CSV UTF-8" starts with a byte-order mark.
    let line = match line_number {
        1 => line.strip_prefix('\u{feff}').unwrap_or(line),
        _ => line,
    };
    if line.trim().is_empty() || (line_number == 1 && line.trim() == HEADER) {
        return Ok(None);
    }
    let mut fields = line.split(',');
    let (Some(key), Some(district), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err("a row has exactly two fields: identityKey,district".to_owned());
    };
    let key = IdentityKey::parse(key).map_err(|e| e.to_string())?;
    let district = District::parse(district).map_err(|e| e.to_string())?;
    Ok(Some((key, district)))
}

/// How far an import has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportState {
    /// Waiting for its file.
    AwaitingUpload,
    Importing,
    /// Every row read; the roll is the election's.
    Done,
    /// Voting opened before it was done: it never became the election's roll.
    TooLate,
    /// A later upload became the election's roll first: this one never will.
    Superseded,
    /// No row of its file was taken: the roll in force stays.
    Empty,
}

impl ImportState {
    /// Whether the import has ended, one way or another.
    pub fn is_final(self) -> bool {
        !matches!(self, ImportState::AwaitingUpload | ImportState::Importing)
    }
}

/// A version of an election's roll, with its import's progress: the roll's own counts by
/// district, and where in its file the import has reached (the checkpoint a restart resumes
/// from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roll {
    pub election_id: ElectionId,
    pub id: RollId,
    pub state: ImportState,
    /// Bytes of the file read and taken.
    pub offset: u64,
    /// The next line's number (from 1).
    pub next_line: u64,
    /// Whether `offset` is inside a refused row longer than a chunk, whose rest is skipped.
    pub skipping: bool,
    pub rows_done: u64,
    pub rows_refused: u64,
    /// The first [`LISTED_REFUSALS`] refused rows.
    pub refusals: Vec<RefusedRow>,
    /// Voters on this roll, by district.
    pub districts: BTreeMap<District, u64>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub by: AccountId,
}

impl Roll {
    /// A new version, before any row.
    pub fn new(election_id: ElectionId, id: RollId, state: ImportState, by: AccountId, at: DateTime<Utc>) -> Self {
        Self {
            election_id,
            id,
            state,
            offset: 0,
            next_line: 1,
            skipping: false,
            rows_done: 0,
            rows_refused: 0,
            refusals: Vec::new(),
            districts: BTreeMap::new(),
            started_at: at,
            updated_at: at,
            by,
        }
    }

    /// Voters on this roll.
    pub fn voters(&self) -> u64 {
        self.districts.values().sum()
    }

    /// Counts a refused row, listing it while the list is short.
    pub fn refuse(&mut self, line: u64, reason: String) {
        self.rows_refused += 1;
        if self.refusals.len() < LISTED_REFUSALS {
            self.refusals.push(RefusedRow { line, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_says_what_is_wrong() {
        let (key, district) = parse_row(2, "NID-0001,North\r").unwrap().unwrap();
        assert_eq!(key.expose(), b"NID-0001");
        assert_eq!(district.as_str(), "North");
        assert_eq!(parse_row(1, HEADER).unwrap(), None);
        assert_eq!(parse_row(7, "   ").unwrap(), None);
        assert_eq!(parse_row(1, "\u{feff}identityKey,district").unwrap(), None);
        assert!(parse_row(3, "NID-1").unwrap_err().contains("two fields"));
        assert!(parse_row(3, "a,b,c").unwrap_err().contains("two fields"));
        assert!(parse_row(3, ",North").unwrap_err().contains("identity key is empty"));
        assert!(parse_row(3, "NID 2,North").unwrap_err().contains("may hold only"));
        assert!(parse_row(3, "NID-2,").unwrap_err().contains("district is empty"));
        assert!(parse_row(3, &format!("NID-2,{}", "d".repeat(65))).is_err());
    }

    #[test]
    fn an_identity_key_never_prints() {
        let key = IdentityKey::parse("NID-0001").unwrap();
        assert_eq!(format!("{key:?}"), "IdentityKey(..)");
    }

    #[test]
    fn refusals_are_all_counted_and_the_first_listed() {
        let mut roll = Roll::new(
            ElectionId::new(),
            RollId::new(),
            ImportState::Importing,
            AccountId::parse("c").unwrap(),
            Utc::now(),
        );
        for line in 0..(LISTED_REFUSALS as u64 + 5) {
            roll.refuse(line, "bad".into());
        }
        assert_eq!(roll.rows_refused, LISTED_REFUSALS as u64 + 5);
        assert_eq!(roll.refusals.len(), LISTED_REFUSALS);
        assert_eq!(RollId::parse("initial"), Ok(RollId::initial()));
        assert!(RollId::parse("x").is_err());
    }
}
