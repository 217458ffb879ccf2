//! Shutdown on SIGTERM or SIGINT: a flag that loops check between messages, and a future that
//! waits in IDLE or between polls, and that cuts short an IMAP command a server leaves
//! unanswered. Nothing stops in the middle of a commit.

use tokio::sync::watch;
use tracing::info;

#[derive(Debug, Clone)]
pub struct Shutdown {
    requested: watch::Receiver<bool>,
}

/// The sending side, for tests and for the signal handler.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(tx), Shutdown { requested: rx })
    }

    /// A shutdown that never comes (imports, one-off commands): with its sender gone, the
    /// flag stays false and `wait` never resolves.
    pub fn never() -> Shutdown {
        Shutdown {
            requested: watch::channel(false).1,
        }
    }

    /// Shutdown on SIGTERM or Ctrl-C.
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Shutdown::new();
        tokio::spawn(async move {
            wait_for_signal().await;
            info!("shutdown requested: finishing the message in hand");
            trigger.trigger();
        });
        shutdown
    }

    pub fn is_requested(&self) -> bool {
        *self.requested.borrow()
    }

    /// Sleeps for `duration`, or less if shutdown comes first; says whether it came.
    pub async fn sleep(&self, duration: std::time::Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(duration) => false,
            () = self.wait() => true,
        }
    }

    /// Resolves once shutdown is requested.
    pub async fn wait(&self) {
        let mut rx = self.requested.clone();
        // An error means every sender is gone: nobody can ask for shutdown any more.
        if rx.wait_for(|requested| *requested).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
