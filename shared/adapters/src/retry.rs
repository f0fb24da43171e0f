//! One retry policy for every retry loop: capped exponential backoff with full jitter. The
//! wait before retry n (from 1) is drawn uniformly from [0, min(cap, base · 2^(n-1))], from
//! the thread's generator (seeded by the operating system), so that rivals that failed
//! together do not wake together and retry into each other again.

use rand::Rng;
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap }
    }

    /// The longest wait before retry `attempt` (1 for the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }

    /// The wait before retry `attempt`: uniform in [0, ceiling].
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        ceiling.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }

    /// Waits before retry `attempt`.
    pub async fn wait(&self, attempt: u32) {
        tokio::time::sleep(self.delay(attempt)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));

    #[test]
    fn the_ceiling_doubles_up_to_the_cap() {
        let ceilings: Vec<u128> = (1..=7).map(|n| POLICY.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [50, 100, 200, 400, 800, 1000, 1000]);
        assert_eq!(POLICY.ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn waits_are_spread_over_the_whole_range() {
        let waits: Vec<Duration> = (0..400).map(|_| POLICY.delay(3)).collect();
        assert!(waits.iter().all(|w| *w <= POLICY.ceiling(3)));
        // Full jitter: some rivals retry almost at once, some near the ceiling.
        assert!(waits.iter().any(|w| *w < Duration::from_millis(20)), "{waits:?}");
        assert!(waits.iter().any(|w| *w > Duration::from_millis(180)), "{waits:?}");
        let distinct: std::collections::BTreeSet<Duration> = waits.into_iter().collect();
        assert!(
            distinct.len() > 300,
            "rivals would wake together: {} distinct waits",
            distinct.len()
        );
    }
}
