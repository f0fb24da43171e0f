//! Elections and their voting window `[votingStartsAt, votingEndsAt)`.

use super::ids::ElectionId;
use super::roll::RollId;
use super::text::{AccountId, Name};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// A verifiable election whose key ceremony is not complete: it cannot open.
    #[serde(rename = "key-ceremony")]
    KeyCeremony,
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
    /// Set for a verifiable election: its ballots are encrypted on the voter's device.
    pub verifiable: Option<Verifiable>,
}

/// Who holds a verifiable election's key, and whether their ceremony is complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verifiable {
    /// The trustees' accounts in index order: trustee 1 first.
    pub trustees: Vec<AccountId>,
    /// How many trustees together can decrypt the tally.
    pub threshold: u32,
    /// When the last transcript signature completed the key ceremony.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony_completed_at: Option<DateTime<Utc>>,
    /// The ceremony's run: one more at each restart after a complaint.
    #[serde(default)]
    pub attempt: u32,
}

/// Most trustees an election may name: the ceremony's messages grow with their square.
pub const MAX_TRUSTEES: usize = 15;

impl Verifiable {
    pub fn new(trustees: Vec<AccountId>, threshold: u32) -> Result<Self, &'static str> {
        let unique: std::collections::HashSet<&str> = trustees.iter().map(AccountId::as_str).collect();
        if trustees.is_empty() || trustees.len() > MAX_TRUSTEES || unique.len() != trustees.len() {
            return Err("trustees must be 1 to 15 distinct accounts");
        }
        if threshold < 1 || threshold as usize > trustees.len() {
            return Err("threshold must be between 1 and the number of trustees");
        }
        Ok(Self {
            trustees,
            threshold,
            ceremony_completed_at: None,
            attempt: 0,
        })
    }

    /// The caller's trustee index (1-based), if the election names them.
    pub fn index_of(&self, account: &AccountId) -> Option<u32> {
        self.trustees.iter().position(|t| t == account).map(|p| p as u32 + 1)
    }
}

impl Election {
    /// The window's status, but for a verifiable election whose ceremony did not complete
    /// before voting was to start: it never opens (it is closed from its start on).
    pub fn status_at(&self, now: DateTime<Utc>) -> ElectionStatus {
        let by_window = self.window.status_at(now);
        match &self.verifiable {
            Some(v) if v.ceremony_completed_at.is_none_or(|at| at >= self.window.starts_at()) => {
                if by_window == ElectionStatus::Scheduled {
                    ElectionStatus::KeyCeremony
                } else {
                    ElectionStatus::Closed
                }
            }
            _ => by_window,
        }
    }
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
