//! The time bounds that an honest close rests on. They are settings (the template gives
//! them to the functions that read them), so that a test stack can run with small ones;
//! [`Bounds::DEFAULT`] is what a deployment gets unless the commission says otherwise.

use crate::domain::election::Election;
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The longest any store, bus or sealer operation may take, retries included: the
    /// adapters give up on it then (and report it `Unknown` if it was sent). So the last
    /// moment our code waits for a vote to commit is the close plus this bound.
    pub operation: Duration,
    /// How far the clocks of two functions may disagree. Lambda's clocks are kept by NTP to
    /// well under a second; certification adds this margin on top of the commit bound.
    pub clock_skew_margin: Duration,
    /// No send of a vote starts later than this after the vote arrived, so that the worst
    /// case (this window, one send and the read-back, each given up after `operation`)
    /// ends well inside `cast-vote`'s timeout.
    pub send_window: Duration,
    /// How long a certification job may go without a part counted before a request sends
    /// the parts left again, and a tally freeze may take before a read starts it again:
    /// longer than a worker may run (`recount-part`'s timeout), so a part still not done by
    /// then was lost.
    pub recount_stall: Duration,
}

impl Bounds {
    pub const DEFAULT: Bounds = Bounds {
        operation: Duration::from_secs(3),
        clock_skew_margin: Duration::from_secs(2),
        send_window: Duration::from_secs(8),
        recount_stall: Duration::from_secs(960),
    };

    /// The first moment an election's results may be certified: its close, plus the
    /// longest our code waits for a vote sent before the close (no send starts after the
    /// close, and each is given up `operation` after it starts), plus the skew margin. A
    /// write that DynamoDB applies later still is caught by the projector as a late ballot.
    pub fn certifiable_from(&self, election: &Election) -> DateTime<Utc> {
        election.window.ends_at() + delta(self.operation) + delta(self.clock_skew_margin)
    }

    /// The last moment an election's roll may change: before voting opens by the time a
    /// vote's cached election may be old ([`crate::ports::LOOKUP_TTL`]) and the skew margin,
    /// so that no vote is ever checked against a roll that is not the final one.
    pub fn roll_changes_until(&self, election: &Election) -> DateTime<Utc> {
        election.window.starts_at() - delta(crate::ports::LOOKUP_TTL) - delta(self.clock_skew_margin)
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A duration as a time difference (saturating: no bound is anywhere near its limit).
pub fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}
