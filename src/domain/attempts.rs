//! When a message that keeps failing stops being retried. Each attempt at a message is
//! counted before it is made, and each failure recorded with its error; a message that failed
//! [`MAX_FAILURES`] times while other messages went through (so the fault is the message's,
//! not the server's, the database's or the disk's), or that stopped the daemon
//! [`MAX_INTERRUPTED`] times, is quarantined with its error, and the mailbox goes on.

/// Failures, each with another message going through, before a message is quarantined.
pub const MAX_FAILURES: i64 = 3;
/// Attempts that never ended (the daemon stopped: a crash, a kill, an out-of-memory) before a
/// message is quarantined without another try. Higher than [`MAX_FAILURES`]: an admin's
/// restarts and a machine's reboots interrupt innocent messages too.
pub const MAX_INTERRUPTED: i64 = 5;

/// What is known of the attempts at one message so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Attempts made (each counted as it began).
    pub made: i64,
    /// Those that ended with an error.
    pub failures: i64,
    pub last_error: Option<String>,
    /// Another message went through while this one failed.
    pub others_went_through: bool,
}

/// What to do with a message about to be attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// With the others: it never failed.
    Together,
    /// On its own, so that its failure is its own and the others go through.
    Alone,
    /// Quarantine it without trying again, for this reason.
    GiveUp(String),
}

impl Attempts {
    /// Attempts that neither succeeded nor failed: the daemon stopped during them.
    pub fn interrupted(&self) -> i64 {
        (self.made - self.failures).max(0)
    }

    pub fn next(&self) -> Next {
        if self.interrupted() >= MAX_INTERRUPTED {
            return Next::GiveUp(format!(
                "applymail stopped {} times while processing this message{}",
                self.interrupted(),
                self.last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            ));
        }
        if self.made > 0 {
            Next::Alone
        } else {
            Next::Together
        }
    }

    /// After an attempt failed alone (and was recorded): whether to give up on it.
    pub fn give_up_after_failure(&self) -> bool {
        self.failures >= MAX_FAILURES && self.others_went_through
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempts(made: i64, failures: i64, others: bool) -> Attempts {
        Attempts {
            made,
            failures,
            last_error: Some("boom".into()),
            others_went_through: others,
        }
    }

    #[test]
    fn a_first_attempt_goes_with_the_others_and_a_retry_alone() {
        assert_eq!(attempts(0, 0, false).next(), Next::Together);
        assert_eq!(attempts(1, 1, false).next(), Next::Alone);
        assert_eq!(attempts(2, 0, false).next(), Next::Alone, "two interrupted");
    }

    #[test]
    fn a_message_that_stops_the_daemon_again_and_again_is_given_up() {
        assert_eq!(attempts(4, 0, false).next(), Next::Alone);
        assert_eq!(
            attempts(9, 5, false).next(),
            Next::Alone,
            "four interrupted"
        );
        let Next::GiveUp(why) = attempts(5, 0, false).next() else {
            panic!()
        };
        assert!(why.contains("stopped 5 times"), "{why}");
    }

    #[test]
    fn failures_count_only_when_other_messages_went_through() {
        assert!(
            !attempts(3, 3, false).give_up_after_failure(),
            "the disk or database may be at fault"
        );
        assert!(!attempts(2, 2, true).give_up_after_failure());
        assert!(attempts(3, 3, true).give_up_after_failure());
    }
}
