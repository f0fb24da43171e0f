//! Bounded, trimmed text fields (names, parties) and account identities: never empty, never
//! longer than their limit.

use serde::{Deserialize, Serialize};

/// Longest name, party, theme or title accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest pledge description accepted, in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 5_000;

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidText {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
}

fn bounded(text: &str, max_chars: usize) -> Result<String, InvalidText> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(InvalidText::Empty)
    } else if trimmed.chars().count() > max_chars {
        Err(InvalidText::TooLong(max_chars))
    } else {
        Ok(trimmed.to_owned())
    }
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, InvalidText> {
                bounded(text, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidText;
            fn try_from(text: String) -> Result<Self, InvalidText> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> String {
                text.0
            }
        }
    };
}

bounded_text!(
    /// A trimmed, non-empty text of at most [`MAX_NAME_CHARS`] characters.
    Name,
    MAX_NAME_CHARS
);
bounded_text!(
    /// Who a signed-in account is: the token's `sub` (a voter, an official, or a
    /// candidate's own account). An identity, never shown as a name.
    AccountId,
    MAX_NAME_CHARS
);
bounded_text!(
    /// A trimmed, non-empty text of at most [`MAX_LONG_TEXT_CHARS`] characters.
    LongText,
    MAX_LONG_TEXT_CHARS
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(Name::parse("  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(Name::parse("   "), Err(InvalidText::Empty));
        assert!(Name::parse(&"é".repeat(200)).is_ok());
        assert_eq!(Name::parse(&"é".repeat(201)), Err(InvalidText::TooLong(200)));
        assert!(LongText::parse(&"x".repeat(5_000)).is_ok());
        assert_eq!(LongText::parse(&"x".repeat(5_001)), Err(InvalidText::TooLong(5_000)));
    }
}
