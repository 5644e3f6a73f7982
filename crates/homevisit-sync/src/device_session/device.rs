//! An open device: its data directory, its shared store, background sync and the status line, as
//! the app uses them. Everything that touches the disk runs on the blocking pool; a sync runs as a
//! task of the runtime, so the caller's executor only waits for it. Methods must be called inside
//! a tokio runtime (the FFI's exports enter UniFFI's; `SessionError::NoRuntime` otherwise).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use homevisit_store::{DbKey, Store};

use super::background::Background;
use super::credentials::{self, load, relay_client};
use super::enrollment::enroll;
use super::error::SessionError;
use super::files::{open_store, wipe};
use super::shared::{SharedStore, blocking};
use super::status::{LastSync, StatusKeeper};
use super::sync::{SyncOutcome, sync_once};
use crate::DeviceId;
use crate::agent::SyncListener;
use crate::client::RELAY_PEER;

/// What a status line shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceStatus {
    /// The relay this device is enrolled with (`None`: not enrolled).
    pub relay_url: Option<String>,
    pub live: bool,
    pub last: LastSync,
    /// Documents the relay does not have yet.
    pub unsynced: usize,
}

pub struct Device {
    data_dir: PathBuf,
    /// `None` once signed out.
    store: Mutex<Option<SharedStore>>,
    background: Background,
    /// Every sync reports here (and on to the app's listener).
    status: Arc<StatusKeeper>,
}

impl Device {
    /// Opens (or creates) the device's store in `data_dir`; if the device is enrolled, background
    /// sync starts. `listener` hears every sync, background or not.
    pub async fn open(data_dir: PathBuf, key: DbKey, listener: Arc<dyn SyncListener>) -> Result<Self, SessionError> {
        let dir = data_dir.clone();
        let store = blocking(move || open_store(&dir, &key)).await?;
        let device = Device {
            data_dir,
            store: Mutex::new(Some(SharedStore::new(store))),
            background: Background::default(),
            status: Arc::new(StatusKeeper::new(listener)),
        };
        device.restart_background().await?;
        Ok(device)
    }

    /// The store; [`SessionError::Closed`] once signed out.
    pub fn store(&self) -> Result<SharedStore, SessionError> {
        self.store.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or(SessionError::Closed)
    }

    /// Runs `f` on the store, on the blocking pool.
    pub async fn read<T, E>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, SessionError>
    where
        T: Send + 'static,
        E: Into<SessionError> + Send + 'static,
    {
        self.store()?.call(f).await
    }

    /// Like [`Device::read`], for a local edit: background sync pushes it afterwards.
    pub async fn edit<T, E>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, SessionError>
    where
        T: Send + 'static,
        E: Into<SessionError> + Send + 'static,
    {
        let result = self.read(f).await?;
        self.background.nudge();
        Ok(result)
    }

    /// Enrolls with a relay using an invite code: the credentials are saved in the store (a
    /// different relay than before starts sync over) and background sync starts. Returns the
    /// relay's id for this device.
    pub async fn enroll(&self, relay_url: &str, invite: &str) -> Result<DeviceId, SessionError> {
        let store = self.store()?;
        let enrollment = enroll(relay_url, invite).await?;
        let device_id = enrollment.device_id;
        let credentials = enrollment.credentials;
        store.call(move |s| credentials::save(s, &credentials)).await?;
        self.restart_background().await?;
        Ok(device_id)
    }

    /// Syncs with the relay now ([`SessionError::NotEnrolled`] if not enrolled).
    pub async fn sync_now(&self) -> Result<SyncOutcome, SessionError> {
        let store = self.store()?;
        let status = self.status.clone();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SessionError::NoRuntime)?;
        // A task of its own: the sync applies batches under the store lock, which must not run on
        // the caller's executor (a Python event loop, a coroutine dispatcher).
        let task = runtime.spawn(async move { sync_once(store.mutex(), &*status).await });
        match task.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => Err(SessionError::Panicked),
            Err(_) => Err(SessionError::Cancelled),
        }
    }

    /// Live mode (co-editing at the same moment): between syncs, a request stays open at the
    /// relay so a partner's words arrive within moments. Off by default (battery).
    pub async fn set_live(&self, live: bool) -> Result<(), SessionError> {
        self.background.set_live(live);
        self.restart_background().await
    }

    pub async fn status(&self) -> Result<DeviceStatus, SessionError> {
        let (live, last) = (self.background.live(), self.status.last());
        self.read(move |s| {
            Ok::<_, SessionError>(DeviceStatus {
                relay_url: load(s)?.map(|c| c.relay_url.clone()),
                live,
                last,
                unsynced: s.unsynced_count(RELAY_PEER)?,
            })
        })
        .await
    }

    /// Documents the relay does not have yet.
    pub async fn unsynced_count(&self) -> Result<usize, SessionError> {
        self.read(|s| s.unsynced_count(RELAY_PEER)).await
    }

    /// Stops background syncing (the store stays open; `set_live` or `enroll` start it again).
    pub fn stop_syncing(&self) {
        self.background.stop();
    }

    /// Whether a background agent is running.
    pub fn is_syncing(&self) -> bool {
        self.background.is_running()
    }

    /// Signs out: stops syncing, forgets the credentials and deletes the store's files. Every
    /// call afterwards is [`SessionError::Closed`].
    pub async fn sign_out_and_wipe(&self) -> Result<(), SessionError> {
        self.background.stop();
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner()).take().ok_or(SessionError::Closed)?;
        let dir = self.data_dir.clone();
        blocking(move || {
            // The credentials go first, so a file that cannot be deleted keeps no token. The wipe
            // below removes them anyway: a failure here must not stop it.
            let _ = credentials::forget(&mut store.lock());
            drop(store); // the agent's clone went with it: this closes the database
            wipe(&dir)
        })
        .await
    }

    /// (Re)starts background syncing in the current mode; stops it when not enrolled.
    async fn restart_background(&self) -> Result<(), SessionError> {
        let store = self.store()?;
        let client = store.call(|s| relay_client(s)).await?;
        self.background.restart(client, &store, self.status.clone())
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // Background sync stops with the device (its task holds the store, not the device).
        self.background.stop();
    }
}
