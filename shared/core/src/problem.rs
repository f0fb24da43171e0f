//! How things fail: what a store can report, and the one list of refusals a use case
//! can end in, each with a stable code.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// A store or bus operation failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PortError {
    /// A conditional write found the item already there (or otherwise not as required).
    #[error("condition not met")]
    Conflict,
    /// A record the write depends on is not in the state it requires (a candidate that
    /// withdrew between the read and the write).
    #[error("precondition not met")]
    Precondition,
    /// Throttled, refused or unreachable: known not to have been applied, and worth trying
    /// again shortly.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// Sent, and no reply said what became of it (a time-out, a reply cut short, a server
    /// error): it may have been applied, or may be yet.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// Anything else; the text is for logs only.
    #[error("store failure: {0}")]
    Internal(String),
}

/// Every problem `code` a reply can carry (the contract lists the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    MalformedBody,
    InvalidWindow,
    InvalidId,
    Unauthenticated,
    Forbidden,
    NotFound,
    AlreadyVoted,
    NotOnRoll,
    RollClosed,
    VotingNotOpen,
    VotingClosed,
    BallotNumberTaken,
    CandidateWithdrawn,
    NotCertifiable,
    InvalidTrustees,
    InvalidCeremonyMessage,
    CeremonyOutOfStep,
    ManifestFrozen,
    InvalidBallot,
    Conflict,
    PayloadTooLarge,
    ServiceUnavailable,
    OutcomeUnknown,
    Internal,
}

impl Code {
    pub const ALL: [Code; 24] = [
        Code::MalformedBody,
        Code::InvalidWindow,
        Code::InvalidId,
        Code::Unauthenticated,
        Code::Forbidden,
        Code::NotFound,
        Code::AlreadyVoted,
        Code::NotOnRoll,
        Code::RollClosed,
        Code::VotingNotOpen,
        Code::VotingClosed,
        Code::BallotNumberTaken,
        Code::CandidateWithdrawn,
        Code::NotCertifiable,
        Code::InvalidTrustees,
        Code::InvalidCeremonyMessage,
        Code::CeremonyOutOfStep,
        Code::ManifestFrozen,
        Code::InvalidBallot,
        Code::Conflict,
        Code::PayloadTooLarge,
        Code::ServiceUnavailable,
        Code::OutcomeUnknown,
        Code::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedBody => "malformed-body",
            Code::InvalidWindow => "invalid-window",
            Code::InvalidId => "invalid-id",
            Code::Unauthenticated => "unauthenticated",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not-found",
            Code::AlreadyVoted => "already-voted",
            Code::NotOnRoll => "not-on-roll",
            Code::RollClosed => "roll-closed",
            Code::VotingNotOpen => "voting-not-open",
            Code::VotingClosed => "voting-closed",
            Code::BallotNumberTaken => "ballot-number-taken",
            Code::CandidateWithdrawn => "candidate-withdrawn",
            Code::NotCertifiable => "not-certifiable",
            Code::InvalidTrustees => "invalid-trustees",
            Code::InvalidCeremonyMessage => "invalid-ceremony-message",
            Code::CeremonyOutOfStep => "ceremony-out-of-step",
            Code::ManifestFrozen => "manifest-frozen",
            Code::InvalidBallot => "invalid-ballot",
            Code::Conflict => "conflict",
            Code::PayloadTooLarge => "payload-too-large",
            Code::ServiceUnavailable => "service-unavailable",
            Code::OutcomeUnknown => "outcome-unknown",
            Code::Internal => "internal",
        }
    }
}

/// How a request ends when it does not succeed. The HTTP edge gives each its status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("{detail}")]
    BadRequest { code: Code, detail: String },
    #[error("a valid bearer token is required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: Code, detail: String },
    /// The voter has voted in this election already, at `cast_at` (when it could be read).
    #[error("you have already voted in this election; your receipt is in My votes")]
    AlreadyVoted { cast_at: Option<DateTime<Utc>> },
    /// The voter is not on the election's roll: nothing was recorded.
    #[error(
        "you are not on the electoral roll of this election, so you cannot vote in it; if you think you \
         should be, contact the election commission or your district's registration office"
    )]
    NotOnRoll,
    #[error("the request body is larger than the limit")]
    PayloadTooLarge,
    /// Nothing was recorded: the service was busy.
    #[error("the service is busy")]
    Unavailable { retry_after: Duration },
    /// The request may have been recorded, or may be yet: no reply said.
    #[error("the outcome is unknown")]
    Unconfirmed { retry_after: Duration },
    /// The vote may have been recorded, or may be yet: no reply said, and reading it back
    /// did not tell.
    #[error("the vote's outcome is unknown")]
    VoteUnconfirmed { retry_after: Duration },
    #[error("internal error")]
    Internal,
}

/// How long a caller is asked to wait after an overload.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

impl AppError {
    pub fn bad_request(code: Code, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: Code, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// The candidate no longer stands: no vote and no pledge for them.
    pub fn candidate_withdrawn() -> Self {
        Self::conflict(Code::CandidateWithdrawn, "this candidate has withdrawn")
    }

    /// How long the caller is asked to wait before trying again, where a wait helps.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after }
            | Self::Unconfirmed { retry_after }
            | Self::VoteUnconfirmed { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } => *code,
            Self::AlreadyVoted { .. } => Code::AlreadyVoted,
            Self::NotOnRoll => Code::NotOnRoll,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::Forbidden(_) => Code::Forbidden,
            Self::NotFound(_) => Code::NotFound,
            Self::PayloadTooLarge => Code::PayloadTooLarge,
            Self::Unavailable { .. } => Code::ServiceUnavailable,
            Self::Unconfirmed { .. } | Self::VoteUnconfirmed { .. } => Code::OutcomeUnknown,
            Self::Internal => Code::Internal,
        }
    }

    /// What the caller is told; never internal text.
    pub fn detail(&self) -> String {
        match self {
            Self::Unavailable { .. } => {
                "The election service is busy. Nothing was recorded; please try again in a few seconds.".to_owned()
            }
            Self::Unconfirmed { .. } => {
                "The election service did not confirm whether your request was recorded. Please check before \
                 trying again."
                    .to_owned()
            }
            Self::VoteUnconfirmed { .. } => {
                "The election service did not confirm whether your vote was recorded. Look in My votes in a \
                 minute: if your vote is there, it counts; if it is not, vote again."
                    .to_owned()
            }
            Self::Internal => "Something went wrong on our side; nothing was recorded. Please try again.".to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<PortError> for AppError {
    /// A conflict the caller did not anticipate is mapped by the use case that expects it;
    /// here it is only the general case.
    fn from(err: PortError) -> Self {
        match err {
            PortError::Conflict | PortError::Precondition => {
                Self::conflict(Code::Conflict, "the resource changed; try again")
            }
            PortError::Unavailable(reason) => {
                tracing::warn!(%reason, "store unavailable");
                Self::Unavailable {
                    retry_after: RETRY_AFTER,
                }
            }
            PortError::Unknown(reason) => {
                tracing::warn!(%reason, "store did not answer");
                Self::Unconfirmed {
                    retry_after: RETRY_AFTER,
                }
            }
            PortError::Internal(reason) => {
                tracing::error!(%reason, "store failure");
                Self::Internal
            }
        }
    }
}
