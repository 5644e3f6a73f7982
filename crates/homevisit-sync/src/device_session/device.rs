//! An open device: its data directory, its shared store, background sync and the status line, as
//! the app uses them. Everything that touches the disk runs on the blocking pool; a sync runs as a
//! task of the runtime, so the caller's executor only waits for it. Methods must be called inside
//! a tokio runtime (the FFI's exports enter UniFFI's; `SessionError::NoRuntime` otherwise).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use homevisit_docs::DocId;
use homevisit_model::VisitId;
use homevisit_store::{DbKey, Store};

use super::background::Background;
use super::credentials::{self, load, relay_client};
use super::enrollment::enroll;
use super::error::SessionError;
use super::files::{open_store, wipe};
use super::peer::PeerExchange;
use super::shared::{SharedStore, blocking};
use super::status::{LastSync, StatusKeeper};
use super::sync::{SyncOutcome, sync_once};
use crate::agent::SyncListener;
use crate::client::RELAY_PEER;
use crate::identity::Identity;
use crate::{DeviceId, PeerId, RejectReason};

/// What a status line shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceStatus {
    /// The relay this device is enrolled with (`None`: not enrolled).
    pub relay_url: Option<String>,
    pub live: bool,
    pub last: LastSync,
    /// Documents the relay does not have yet.
    pub unsynced: usize,
    /// The relay revoked this device: its store was wiped and syncing stopped.
    pub revoked: bool,
}

/// A document waiting to reach the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub doc: DocId,
    /// Why the relay refused it at the last try; `None`: not sent yet, or not answered.
    pub refused: Option<RejectReason>,
}

/// Longest a remote wipe waits for store calls under way to let go of the store before it deletes
/// the files anyway (a deleted file's pages go with the last handle).
const WIPE_WAIT: Duration = Duration::from_secs(10);

pub struct Device {
    inner: Arc<Inner>,
    /// Every sync reports here (and on to the app's listener).
    status: Arc<StatusKeeper>,
}

/// The parts of a device a remote wipe needs, shared with the wipe the status keeper sets off.
struct Inner {
    data_dir: PathBuf,
    /// `None` once signed out or wiped.
    store: Mutex<Option<SharedStore>>,
    background: Background,
    /// The relay revoked this device (the store is wiped, or being wiped).
    revoked: AtomicBool,
    /// One wipe at a time; a second waits for the first and finds nothing to do.
    wiping: tokio::sync::Mutex<()>,
}

impl Inner {
    fn store(&self) -> Result<SharedStore, SessionError> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match store {
            Some(store) => Ok(store),
            None if self.revoked.load(Ordering::SeqCst) => Err(SessionError::Revoked),
            None => Err(SessionError::Closed),
        }
    }

    /// The remote wipe, once the relay said this device is revoked: background sync stops (its
    /// task ends, letting go of the store), the store is taken out of use (every call from now on
    /// is [`SessionError::Revoked`]), and once no call holds it, it is closed and its files deleted
    /// (`-wal`, `-shm`, `-journal` too). Runs once; a later call waits for it and returns.
    async fn wipe_revoked(&self) -> Result<(), SessionError> {
        let _one = self.wiping.lock().await;
        self.revoked.store(true, Ordering::SeqCst);
        self.background.stop_and_wait().await;
        let Some(store) = self.store.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(()); // wiped already (or signed out)
        };
        let dir = self.data_dir.clone();
        blocking(move || {
            let deadline = Instant::now() + WIPE_WAIT;
            while Arc::strong_count(store.mutex()) > 1 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = credentials::forget(&mut store.lock());
            drop(store);
            wipe(&dir)
        })
        .await
    }
}

impl Device {
    /// Opens (or creates) the device's store in `data_dir`; if the device is enrolled, background
    /// sync starts. `listener` hears every sync, background or not.
    pub async fn open(data_dir: PathBuf, key: DbKey, listener: Arc<dyn SyncListener>) -> Result<Self, SessionError> {
        let dir = data_dir.clone();
        let store = blocking(move || open_store(&dir, &key)).await?;
        let inner = Arc::new(Inner {
            data_dir,
            store: Mutex::new(Some(SharedStore::new(store))),
            background: Background::default(),
            revoked: AtomicBool::new(false),
            wiping: tokio::sync::Mutex::new(()),
        });
        let status = Arc::new(StatusKeeper::new(listener));
        // A sync (background or not) that hears "revoked" starts the wipe at once, on its own task.
        let wipe_of = Arc::downgrade(&inner);
        status.on_revoked(move || {
            let Some(inner) = wipe_of.upgrade() else { return };
            // Revoked from this moment (before the listeners hear of this sync): a shell that
            // reads the status when told finds it so, though the wipe may not be done yet.
            inner.revoked.store(true, Ordering::SeqCst);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                // A file that cannot be deleted fails this wipe; the store is out of use either
                // way (every call is `Revoked`), and the shell's `sync_now` reports the failure.
                runtime.spawn(async move {
                    let _ = inner.wipe_revoked().await;
                });
            }
        });
        let device = Device { inner, status };
        device.restart_background().await?;
        Ok(device)
    }

    /// The store; [`SessionError::Closed`] once signed out, [`SessionError::Revoked`] once wiped
    /// because the relay revoked the device.
    pub fn store(&self) -> Result<SharedStore, SessionError> {
        self.inner.store()
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
        self.inner.background.nudge();
        Ok(result)
    }

    /// A phone-to-phone exchange with the partner's phone about `visit` (see `peer.rs`): `peer`
    /// names the partner (its sync state with this phone is kept under it). Works with no relay.
    pub fn peer_exchange(&self, visit: VisitId, peer: PeerId) -> Result<PeerExchange, SessionError> {
        let inner = Arc::downgrade(&self.inner);
        let nudge = Box::new(move || {
            if let Some(inner) = inner.upgrade() {
                inner.background.nudge();
            }
        });
        Ok(PeerExchange::new(self.store()?, peer, visit, self.status.clone(), nudge))
    }

    /// Enrolls with a relay using an invite code: the credentials and who the relay says this
    /// device is are saved in the store (a different relay than before starts sync over) and
    /// background sync starts. Returns the relay's id for this device.
    pub async fn enroll(&self, relay_url: &str, invite: &str) -> Result<DeviceId, SessionError> {
        let store = self.store()?;
        let enrollment = enroll(relay_url, invite).await?;
        let device_id = enrollment.device_id;
        let (credentials, identity) = (enrollment.credentials, enrollment.identity);
        store.call(move |s| credentials::save_enrolled(s, &credentials, identity.as_ref())).await?;
        self.restart_background().await?;
        Ok(device_id)
    }

    /// Whether this device's school shares visit notes with its coordinators, as the relay said
    /// at the last sync (`None` before one). For the settings screen; access is the relay's.
    pub async fn school_shares_notes(&self) -> Result<Option<bool>, SessionError> {
        self.read(|s| crate::identity::school_shares_notes(s)).await
    }

    /// Who the relay said this device is when it enrolled; `None` if not enrolled, or enrolled
    /// with a relay that did not say.
    pub async fn whoami(&self) -> Result<Option<Identity>, SessionError> {
        self.read(|s| credentials::identity(s)).await
    }

    /// Syncs with the relay now ([`SessionError::NotEnrolled`] if not enrolled).
    pub async fn sync_now(&self) -> Result<SyncOutcome, SessionError> {
        let store = self.store()?;
        let status = self.status.clone();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SessionError::NoRuntime)?;
        // A task of its own: the sync applies batches under the store lock, which must not run on
        // the caller's executor (a Python event loop, a coroutine dispatcher).
        let task = runtime.spawn(async move { sync_once(store.mutex(), &*status).await });
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => Err(SessionError::Panicked),
            Err(_) => Err(SessionError::Cancelled),
        };
        if outcome.as_ref().is_err_and(SessionError::is_revoked) {
            // The status keeper started the wipe; return once it is done, so the caller finds the
            // store gone.
            self.inner.wipe_revoked().await?;
        }
        outcome
    }

    /// Live mode (co-editing at the same moment): between syncs, a request stays open at the
    /// relay so a partner's words arrive within moments. Off by default (battery).
    pub async fn set_live(&self, live: bool) -> Result<(), SessionError> {
        self.inner.background.set_live(live);
        self.restart_background().await
    }

    /// The status line. A revoked device's says so (nothing else is left to show).
    pub async fn status(&self) -> Result<DeviceStatus, SessionError> {
        let (live, last) = (self.inner.background.live(), self.status.last());
        if self.inner.revoked.load(Ordering::SeqCst) {
            return Ok(DeviceStatus { relay_url: None, live: false, last, unsynced: 0, revoked: true });
        }
        self.read(move |s| {
            Ok::<_, SessionError>(DeviceStatus {
                relay_url: load(s)?.map(|c| c.relay_url.clone()),
                live,
                last,
                unsynced: s.unsynced_count(RELAY_PEER)?,
                revoked: false,
            })
        })
        .await
    }

    /// Every document the relay does not have yet (by id), each with the reason the relay
    /// refused it if it did (the sync status screen: what is waiting and why).
    pub async fn pending(&self) -> Result<Vec<Pending>, SessionError> {
        let unsynced = self.read(|s| s.unsynced_documents(RELAY_PEER)).await?;
        let refused = self.status.refused_among(&unsynced);
        Ok(unsynced.into_iter().map(|doc| Pending { doc, refused: refused.get(&doc).copied() }).collect())
    }

    /// Documents the relay does not have yet.
    pub async fn unsynced_count(&self) -> Result<usize, SessionError> {
        self.read(|s| s.unsynced_count(RELAY_PEER)).await
    }

    /// Stops background syncing (the store stays open; `set_live` or `enroll` start it again).
    pub fn stop_syncing(&self) {
        self.inner.background.stop();
    }

    /// Whether a background agent is running.
    pub fn is_syncing(&self) -> bool {
        self.inner.background.is_running()
    }

    /// Whether the relay revoked this device (its store is wiped, or being wiped).
    pub fn is_revoked(&self) -> bool {
        self.inner.revoked.load(Ordering::SeqCst)
    }

    /// Signs out: stops syncing, forgets the credentials and deletes the store's files. Every
    /// call afterwards is [`SessionError::Closed`].
    pub async fn sign_out_and_wipe(&self) -> Result<(), SessionError> {
        self.inner.background.stop();
        let taken = self.inner.store.lock().unwrap_or_else(|p| p.into_inner()).take();
        let store = match taken {
            Some(store) => store,
            None => return Err(self.inner.store().err().unwrap_or(SessionError::Closed)),
        };
        let dir = self.inner.data_dir.clone();
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
        self.inner.background.restart(client, &store, self.status.clone())
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // Background sync stops with the device (its task holds the store, not the device).
        self.inner.background.stop();
    }
}
