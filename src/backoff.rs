//! Exponential backoff with full jitter, so that many clients do not retry in step.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Default)]
pub struct Backoff {
    attempts: u32,
}

impl Backoff {
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// The next delay: `start`, doubling with every failure up to `max`, then jittered.
    pub fn grow(&mut self, start: Duration, max: Duration) -> Duration {
        let ceiling = start.saturating_mul(1 << self.attempts.min(16)).min(max);
        self.attempts = self.attempts.saturating_add(1);
        // At least half the ceiling: a retry never comes at once.
        let half = ceiling / 2;
        half + Duration::from_millis(rand::rng().random_range(0..=half.as_millis() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_bounded() {
        let (start, max) = (Duration::from_secs(1), Duration::from_secs(300));
        let mut b = Backoff::default();
        let first = b.grow(start, max);
        assert!(first >= start / 2 && first <= start);
        let later: Vec<Duration> = (0..30).map(|_| b.grow(start, max)).collect();
        assert!(later.iter().all(|d| *d <= max));
        assert!(later.last().unwrap() >= &(max / 2), "it reaches the cap");
        b.reset();
        assert!(b.grow(start, max) <= start, "reset starts over");
    }
}
