//! The homevisit relay: stores every document it is sent (in the same encrypted store a device
//! uses) and speaks the sync protocol over HTTP. Devices authenticate with a bearer token that an
//! invite code became.
//!
//! Endpoints: `GET /healthz`; `POST /v1/enroll` (JSON `{"invite": ".."}` -> `{"device_id", "token", "role",
//! "school_id", "educator_id"?}`);
//! `POST /v1/sync` (bearer token; body and answer are `homevisit_protocol::SyncBatch`; a revoked
//! device's token is answered 403 `{"error":"revoked"}`, an unknown one 401); `/dashboard/...`:
//! the coordinators' web dashboard ([`dashboard`]).
//! Serve it behind TLS (a reverse proxy, or a load balancer): devices refuse plain HTTP to anything
//! but loopback.

pub mod access;
pub mod admission;
pub mod attest;
mod attestation;
pub mod audit;
mod backend;
pub mod body_budget;
mod candidate_bounds;
#[cfg(test)]
mod conformance_tests;
mod consent;
pub mod dashboard;
pub mod dashboard_accounts;
pub mod dashboard_password;
pub mod dashboard_store;
#[cfg(test)]
mod dashboard_store_tests;
pub mod deletion;
pub mod demo;
pub mod device_limit;
pub mod device_list;
mod embedded;
mod embedded_access;
mod embedded_audit;
mod embedded_dashboard;
mod env_setting;
pub mod exports;
mod live;
pub mod log_limit;
pub mod metrics;
mod pg;
pub mod policy;
mod refused_body;
mod relay_docs;
mod relay_index;
mod report_data;
mod request_run;
pub mod roster_import;
pub mod routes;
mod scope_memo;
pub mod serve;
mod unloaded_check;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::AutoCommit;
use homevisit_docs::{DocId, DocKind};
use homevisit_store::{DbKey, Store, StoreError};
use tokio::sync::{oneshot, watch};

pub use access::{AccessError, AccessStore, Device};
pub use backend::{Backend, Bounds};

/// Where the relay keeps its data.
#[derive(Clone, Debug, Default)]
pub enum Storage {
    /// Encrypted SQLite files in the data directory (the default: nothing to configure).
    #[default]
    Embedded,
    /// A PostgreSQL database, shared by several relay instances (`postgres://...`).
    Postgres(String),
}

/// Where the relay keeps its data and where it listens.
#[derive(Clone, Debug)]
pub struct Config {
    /// The relay's key (and, with the embedded storage, its files) live here.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub storage: Storage,
}

impl Config {
    /// The embedded default in `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        Self { data_dir: data_dir.into(), listen, storage: Storage::Embedded }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("access: {0}")]
    Access(#[from] AccessError),
    #[error("sync: {0}")]
    Sync(#[from] homevisit_sync::DocFailure),
    #[error("{0}")]
    Io(String),
}

/// The relay's state, shared by request handlers.
pub struct Relay {
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) metrics: metrics::Metrics,
    /// Per-device budget of sync work ([`device_limit`]): a device over it is answered 429 (a live
    /// request waits its turn) until it slows down.
    pub(crate) limiter: device_limit::DeviceBudget,
    /// Per-device budget of refused writes written to the audit trail ([`audit::REFUSALS_PER_MINUTE`]).
    pub(crate) audit_limiter: governor::DefaultKeyedRateLimiter<homevisit_sync::DeviceId>,
    /// Where a request that stored something new (here, or on another instance sharing the
    /// storage) announces it: live requests it concerns look again.
    pub(crate) changes: Arc<live::Announcer>,
    /// The live requests waiting now, one per device.
    pub(crate) waits: live::Waits,
    /// What one device may make the relay store and do.
    pub(crate) bounds: backend::Bounds,
    /// Connections, and how long a client may take to send a request.
    pub(crate) connection_limits: serve::Limits,
    /// Set when the relay begins to shut down: live requests answer at once.
    pub(crate) shutting_down: watch::Sender<bool>,
    /// Whether the background check of documents stored unloaded is running ([`unloaded_check`]).
    pub(crate) unloaded_check_running: std::sync::atomic::AtomicBool,
    /// Sync requests in progress (the background check waits for a quiet moment).
    pub(crate) syncs_in_progress: unloaded_check::SyncsInProgress,
    /// The dashboard's session and lock-out settings (from the environment when opened).
    pub(crate) dashboard_settings: parking_lot::RwLock<dashboard::Settings>,
    /// How many sync requests are worked on at once, and who waits ([`admission`]).
    pub(crate) admission: Arc<admission::Admission>,
    /// Memory for the larger bodies being read at once ([`body_budget`]).
    pub(crate) bodies: body_budget::BodyBudget,
}

pub use device_limit::{SYNC_BURST, SYNC_REQUESTS_PER_SECOND};

/// The key that encrypts the relay's files: `HOMEVISIT_RELAY_KEY` (64 hex) or `<data>/relay.key`,
/// made on first start (mode 0600).
fn relay_key(data_dir: &Path) -> Result<DbKey, RelayError> {
    if let Ok(hex) = std::env::var("HOMEVISIT_RELAY_KEY") {
        return DbKey::from_hex(&hex)
            .ok_or_else(|| RelayError::Io("HOMEVISIT_RELAY_KEY must be 64 hex characters".into()));
    }
    let path = data_dir.join("relay.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return DbKey::from_hex(&text).ok_or_else(|| RelayError::Io(format!("{} is not a 64-hex key", path.display())));
    }
    let key = DbKey::generate().map_err(|e| RelayError::Io(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&path).map_err(|e| RelayError::Io(format!("cannot create {}: {e}", path.display())))?;
    std::io::Write::write_all(&mut f, key.to_hex().as_bytes()).map_err(|e| RelayError::Io(e.to_string()))?;
    Ok(key)
}

impl Relay {
    /// Opens (or creates) the relay's embedded data in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Arc<Relay>, RelayError> {
        Self::open_with(data_dir, &Storage::Embedded)
    }

    /// Opens (or creates) the relay's data in `storage`; its key lives in `data_dir`.
    pub fn open_with(data_dir: &Path, storage: &Storage) -> Result<Arc<Relay>, RelayError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| RelayError::Io(format!("cannot create {}: {e}", data_dir.display())))?;
        let key = relay_key(data_dir)?;
        let changes = Arc::new(live::Announcer::new());
        let backend: Box<dyn Backend> = match storage {
            Storage::Embedded => Box::new(embedded::Embedded::open(data_dir, &key)?),
            Storage::Postgres(url) => Box::new(pg::Postgres::open(url, &key, Arc::downgrade(&changes))?),
        };
        let running = match storage {
            Storage::Embedded => admission::EMBEDDED_RUNNING,
            // Half the connections: signing devices in, live looks and the dashboard use the rest.
            Storage::Postgres(_) => pg::running_syncs()?,
        };
        let limits = admission::Limits::from_env(running)?;
        let admission = admission::Admission::new(limits);
        let bodies = body_budget::BodyBudget::from_env(limits.max_wait)?;
        let limiter = device_limit::DeviceBudget::from_env(backend.shared_buckets())?;
        Ok(Arc::new(Relay {
            backend,
            metrics: metrics::Metrics::new(),
            limiter,
            audit_limiter: governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(audit::REFUSALS_PER_MINUTE).expect("non-zero"),
            )),
            changes,
            waits: live::Waits::default(),
            bounds: backend::Bounds::from_env()?,
            connection_limits: serve::Limits::from_env().map_err(RelayError::Io)?,
            shutting_down: watch::Sender::new(false),
            unloaded_check_running: std::sync::atomic::AtomicBool::new(false),
            syncs_in_progress: Default::default(),
            dashboard_settings: parking_lot::RwLock::new(dashboard::Settings::from_env().map_err(RelayError::Io)?),
            admission: Arc::new(admission),
            bodies,
        }))
    }

    /// Invites, devices and school policies.
    pub fn access(&self) -> &dyn AccessStore {
        self.backend.access()
    }

    /// The dashboard's session and lock-out settings in force.
    pub fn dashboard_settings(&self) -> dashboard::Settings {
        *self.dashboard_settings.read()
    }

    /// Replaces the dashboard's session and lock-out settings (tests shorten them); sessions and
    /// locks already recorded keep the times they were given.
    pub fn set_dashboard_settings(&self, settings: dashboard::Settings) {
        *self.dashboard_settings.write() = settings;
    }

    /// The dashboard's accounts, sessions and stipend "paid" marks (`dashboard_store.rs`).
    pub fn dashboard(&self) -> &dyn dashboard_store::DashboardStore {
        self.backend.dashboard()
    }

    /// The append-only audit trail (`audit.rs`).
    pub fn audit(&self) -> &dyn audit::AuditLog {
        self.backend.audit()
    }

    /// Appends an administrator's actions to the audit trail: the action already happened, so a
    /// failure here is an error for the operator to see (the command fails), never silent.
    pub fn audit_operator(&self, events: &[audit::AuditEvent]) -> Result<(), RelayError> {
        self.audit().append(&audit::Actor::Operator, events).map_err(|e| RelayError::Io(e.to_string()))
    }

    /// Administration (importing a district's roster and visits, not serving devices): `write`
    /// fills a scratch store in memory (the phone's layer is what turns records into documents),
    /// whose documents are then merged into the relay's.
    pub fn import_with(&self, write: impl FnOnce(&mut Store) -> Result<(), StoreError>) -> Result<(), RelayError> {
        self.import_kinds(&DocKind::ALL, write)
    }

    /// As [`Relay::import_with`], merging only the scratch store's documents of `kinds`: the rest
    /// only served `write` (the roster a visit's plan is checked against, when the relay has its
    /// own documents for it from [`Relay::upsert_records`] and a second creation must not merge).
    pub fn import_kinds(
        &self,
        kinds: &[DocKind],
        write: impl FnOnce(&mut Store) -> Result<(), StoreError>,
    ) -> Result<(), RelayError> {
        let mut scratch = Store::in_memory()?;
        write(&mut scratch)?;
        let docs = scratch
            .document_ids(None)?
            .into_iter()
            .filter(|id| kinds.contains(&id.kind))
            .map(|id| Ok((id, scratch.stored_document(&id)?.0)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.backend.import(&docs)?;
        self.audit_operator(&[audit::AuditEvent::Imported { documents: docs.len() as u64 }])?;
        self.announce(live::Announcement::Unknown);
        Ok(())
    }

    /// A stored document, loaded, or `None` if the relay does not have it.
    pub fn document(&self, id: &DocId) -> Result<Option<AutoCommit>, RelayError> {
        self.backend.document(id)
    }

    pub fn document_count(&self) -> Result<usize, RelayError> {
        self.backend.document_count()
    }

    /// Every recorded value of a visit's attested fields, oldest first ([`attest`]): who
    /// recorded the outcome and the family's agreement and who confirmed, by which device, when.
    pub fn attestations(&self, visit: homevisit_model::VisitId) -> Result<Vec<attest::Attestation>, RelayError> {
        self.backend.attestations(visit)
    }

    /// Wakes the live requests `announcement` concerns: something new was stored.
    pub(crate) fn announce(&self, announcement: live::Announcement) {
        self.changes.announce(announcement);
    }
}

/// A relay serving on a socket; [`RunningRelay::stop`] shuts it down gracefully (in-flight syncs
/// finish first).
pub struct RunningRelay {
    pub addr: SocketAddr,
    pub relay: Arc<Relay>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningRelay {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) -> std::io::Result<()> {
        self.relay.shutting_down.send_replace(true);
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Opens the relay's data and serves it on `config.listen` (port 0 picks a free port).
pub async fn start(config: &Config) -> Result<RunningRelay, RelayError> {
    let (data_dir, storage) = (config.data_dir.clone(), config.storage.clone());
    let relay = tokio::task::spawn_blocking(move || Relay::open_with(&data_dir, &storage))
        .await
        .map_err(|e| RelayError::Io(e.to_string()))??;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| RelayError::Io(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr().map_err(|e| RelayError::Io(e.to_string()))?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = routes::router(relay.clone());
    let limits = relay.connection_limits;
    let counted = relay.clone();
    // Over the connection limit: closed unread, and counted (as "connection" 503).
    let refused = move |_: SocketAddr| counted.metrics.count("connection", 503);
    let task = tokio::spawn(serve::serve(
        listener,
        app,
        limits,
        async move {
            let _ = rx.await;
        },
        refused,
    ));
    tracing::info!(%addr, "relay listening");
    Ok(RunningRelay { addr, relay, shutdown: Some(tx), task })
}
