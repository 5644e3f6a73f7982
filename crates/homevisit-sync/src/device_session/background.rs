//! The background sync agent's lifecycle for one device: started when the device is enrolled (at
//! open, after enrollment), restarted when live mode changes, stopped at shutdown, sign-out and
//! drop. At most one agent runs per device.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::error::SessionError;
use super::shared::SharedStore;
use crate::agent::{Backoff, SyncAgent, SyncListener};
use crate::client::RelayClient;

/// Retries after a failure: 1 s doubling up to 5 minutes, with full jitter.
fn backoff() -> Backoff {
    Backoff::new(Duration::from_secs(1), Duration::from_secs(300))
}

#[derive(Default)]
pub struct Background {
    agent: Mutex<Option<SyncAgent>>,
    live: AtomicBool,
}

impl Background {
    /// Whether the agent runs (or would run, once enrolled) in live mode.
    pub fn live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    pub fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::SeqCst);
    }

    /// Replaces the running agent with one for `client` in the current mode, or stops it when
    /// there is no client (not enrolled). Spawns on the current tokio runtime.
    pub fn restart(
        &self,
        client: Option<RelayClient>,
        store: &SharedStore,
        listener: Arc<dyn SyncListener>,
    ) -> Result<(), SessionError> {
        let mut agent = self.agent.lock().unwrap_or_else(|p| p.into_inner());
        *agent = None; // dropping the old agent stops it
        if let Some(client) = client {
            let runtime = tokio::runtime::Handle::try_current().map_err(|_| SessionError::NoRuntime)?;
            let _entered = runtime.enter();
            let store = store.mutex().clone();
            *agent = Some(if self.live() {
                SyncAgent::start_live(client, store, listener, backoff())
            } else {
                SyncAgent::start(client, store, listener, backoff())
            });
        }
        Ok(())
    }

    /// Stops the agent (if any). Enrolling again or `restart` starts a new one.
    pub fn stop(&self) {
        *self.agent.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Stops the agent and waits until its task has ended (so it no longer holds the store).
    pub async fn stop_and_wait(&self) {
        let agent = self.agent.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(agent) = agent {
            agent.stopped().await;
        }
    }

    /// A local edit: let the agent push it.
    pub fn nudge(&self) {
        if let Some(agent) = self.agent.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            agent.nudge();
        }
    }

    pub fn is_running(&self) -> bool {
        self.agent.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}
