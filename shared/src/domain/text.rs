//! Bounded, trimmed text fields (names, parties): never empty, never longer than their limit.

use serde::{Deserialize, Serialize};

/// Longest name or party accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A trimmed, non-empty text of at most [`MAX_NAME_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidText {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_NAME_CHARS} characters")]
    TooLong,
}

impl Name {
    pub fn parse(text: &str) -> Result<Self, InvalidText> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            Err(InvalidText::Empty)
        } else if trimmed.chars().count() > MAX_NAME_CHARS {
            Err(InvalidText::TooLong)
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = InvalidText;
    fn try_from(text: String) -> Result<Self, InvalidText> {
        Self::parse(&text)
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(Name::parse("  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(Name::parse("   "), Err(InvalidText::Empty));
        assert!(Name::parse(&"é".repeat(200)).is_ok());
        assert_eq!(Name::parse(&"é".repeat(201)), Err(InvalidText::TooLong));
    }
}
