//! One error type: a failed check names the spec's check (V1..V24) so that a verifier's report
//! and a trustee's refusal point at the same rule.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value that does not decode: bad hex, wrong length, non-canonical point or scalar.
    #[error("encoding: {0}")]
    Encoding(String),
    /// A check of the spec failed.
    #[error("{check}: {detail}")]
    Check { check: &'static str, detail: String },
    /// The caller asked for something the construction does not allow (e.g. a blank ballot).
    #[error("usage: {0}")]
    Usage(String),
}

/// A failed check, as an error.
pub fn fail(check: &'static str, detail: impl Into<String>) -> Error {
    Error::Check {
        check,
        detail: detail.into(),
    }
}

/// Passes when `ok`, fails the check otherwise (the detail is built only on failure).
pub fn ensure(ok: bool, check: &'static str, detail: impl FnOnce() -> String) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(fail(check, detail()))
    }
}
