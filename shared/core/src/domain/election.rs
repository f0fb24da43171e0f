//! Elections and their voting window `[votingStartsAt, votingEndsAt)`.

use super::ids::ElectionId;
use super::roll::RollId;
use super::text::{AccountId, Name};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// When votes are accepted: from `starts_at` included to `ends_at` excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VotingWindow {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("votingEndsAt must be after votingStartsAt")]
pub struct EmptyWindow;

/// Where an instant falls relative to a voting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElectionStatus {
    Scheduled,
    Open,
    Closed,
}

impl VotingWindow {
    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<Self, EmptyWindow> {
        if starts_at < ends_at {
            Ok(Self { starts_at, ends_at })
        } else {
            Err(EmptyWindow)
        }
    }

    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    pub fn status_at(&self, now: DateTime<Utc>) -> ElectionStatus {
        if now < self.starts_at {
            ElectionStatus::Scheduled
        } else if now < self.ends_at {
            ElectionStatus::Open
        } else {
            ElectionStatus::Closed
        }
    }
}

/// A registered election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    pub id: ElectionId,
    pub name: Name,
    pub window: VotingWindow,
    pub registered_at: DateTime<Utc>,
    /// The commission member who registered the election.
    pub registered_by: AccountId,
    /// The version of its roll in force: who may vote.
    pub roll: RollId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn window_is_half_open() {
        let window = VotingWindow::new(at("2027-03-01T08:00:00Z"), at("2027-03-01T20:00:00Z")).unwrap();
        let one_ns = TimeDelta::nanoseconds(1);
        assert_eq!(window.status_at(window.starts_at() - one_ns), ElectionStatus::Scheduled);
        assert_eq!(window.status_at(window.starts_at()), ElectionStatus::Open);
        assert_eq!(window.status_at(window.ends_at() - one_ns), ElectionStatus::Open);
        assert_eq!(window.status_at(window.ends_at()), ElectionStatus::Closed);
    }

    #[test]
    fn window_end_must_follow_start() {
        let t = at("2027-03-01T08:00:00Z");
        assert_eq!(VotingWindow::new(t, t), Err(EmptyWindow));
        assert_eq!(VotingWindow::new(t, t - TimeDelta::seconds(1)), Err(EmptyWindow));
    }
}
