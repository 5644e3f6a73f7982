//! The PostgreSQL backend, for districts that run several relay instances behind a load
//! balancer. Every instance keeps nothing of its own between requests: documents, sync states,
//! marks and devices are all in the database, and a request's work is one transaction.
//!
//! Live mode across instances: a transaction that stored changes sends `NOTIFY homevisit_changes`
//! (delivered on commit); each instance LISTENs on its own connection and wakes its waiting
//! requests.
//!
//! Connections are plain TCP, so they are accepted only to a loopback address or a Unix socket
//! (the database on the relay's host, or reached through a local TLS tunnel).

mod access;
mod attestations;
mod audit;
mod dashboard;
mod deletion;
mod device_turns;
mod docs;
mod pool;
mod seal;
mod statements;
#[cfg(test)]
pub(crate) mod test_schema;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use automerge::AutoCommit;
use homevisit_docs::DocId;
use homevisit_store::DbKey;
use postgres::config::Host;
use postgres::fallible_iterator::FallibleIterator;

use crate::RelayError;
use crate::access::AccessStore;
use crate::audit::AuditLog;
use crate::backend::{Backend, SyncOutcome, SyncRequest, UnloadedChecked};
use crate::live::{Announcement, Announcer, payload};
use crate::request_run::RequestRun;
use access::PgAccess;
use audit::PgAudit;
use dashboard::PgDashboard;
pub(crate) use docs::PgDocs;
use pool::Pool;
pub(crate) use seal::Sealer;
pub(crate) use statements::Statements;

const SCHEMA: &str = include_str!("schema.sql");

/// Sync requests worked on at once by one instance ([`crate::admission`]): half its connection
/// cap, so signing devices in, live looks and the dashboard always find one.
pub(crate) fn running_syncs() -> Result<usize, RelayError> {
    Ok((pool::max_connections()? as usize / 2).max(1))
}
/// 2: scopes recomputed from checked content under each document's own id; visit contributors.
/// 3: each document's family recorded (recomputed), deletion receipts and tombstones, settings.
/// 4: the dashboard's accounts, sessions and stipend marks (new tables only: nothing recomputed).
/// 5: each device's offer cursor (a new table only).
/// 6: notes stored unloaded (a new table only).
/// 7: each device's shared budget (a new table only).
/// 8: sealed columns stored as they are ([`SEALED_STORAGE`]).
pub(crate) const SCHEMA_VERSION: i32 = 8;
/// The last version whose upgrade recomputes every document's scope and family.
const RECOMPUTED_AT: i32 = 3;
/// The version from which sealed columns are stored as they are.
const SEALED_STORAGE_AT: i32 = 8;
/// Sealed bytes (documents, sync states) do not compress: PostgreSQL's attempt to (on every row
/// over about 2 KB) was work for nothing on each write (W1 on PostgreSQL: upload ~6% faster
/// without). Run when the schema is made or brought past version 8, not at every start (it locks
/// its tables; a lock queued behind a long transaction would hold up every request).
const SEALED_STORAGE: &str = "ALTER TABLE documents ALTER COLUMN data SET STORAGE EXTERNAL;
                              ALTER TABLE sync_states ALTER COLUMN state SET STORAGE EXTERNAL;";
/// Any constant shared by all instances: serializes schema setup.
const SCHEMA_LOCK: i64 = 0x686f_6d65_7669_7369; // "homevisi"
const CHANNEL: &str = "homevisit_changes";

impl From<postgres::Error> for RelayError {
    fn from(e: postgres::Error) -> Self {
        RelayError::Io(format!("postgres: {e}"))
    }
}

impl From<pool::PoolError> for RelayError {
    fn from(e: pool::PoolError) -> Self {
        RelayError::Io(format!("postgres: {e}"))
    }
}

pub struct Postgres {
    pool: Arc<Pool>,
    sealer: Sealer,
    access: PgAccess,
    audit: PgAudit,
    dashboard: PgDashboard,
    /// This instance's name in notifications, so it does not wake itself twice.
    instance: String,
}

/// Parses `url` and refuses a server reached over the network without TLS.
fn config(url: &str) -> Result<postgres::Config, RelayError> {
    let config: postgres::Config =
        url.parse().map_err(|e| RelayError::Io(format!("not a PostgreSQL URL (postgres://user@host/db): {e}")))?;
    let local = |h: &Host| match h {
        Host::Unix(_) => true,
        Host::Tcp(name) => matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]"),
    };
    if config.get_hosts().is_empty() || !config.get_hosts().iter().all(local) {
        return Err(RelayError::Io(
            "PostgreSQL must be on this host (loopback or a Unix socket): connections to it are not encrypted".into(),
        ));
    }
    Ok(config)
}

impl Postgres {
    /// Connects, sets up the schema if needed, and starts listening for other instances' changes
    /// (which bump `changes`; the listener ends when `changes` is dropped).
    pub fn open(url: &str, key: &DbKey, changes: Weak<Announcer>) -> Result<Self, RelayError> {
        let config = config(url)?;
        let sealer = Sealer::new(key.as_bytes());
        let pool = Arc::new(Pool::new(config.clone())?);
        pool.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
            tx.batch_execute(SCHEMA)?;
            tx.batch_execute(audit::SCHEMA)?;
            let version: Option<i32> = tx.query_opt("SELECT max(version) FROM hv_schema", &[])?.and_then(|r| r.get(0));
            match version {
                None => {
                    tx.batch_execute(SEALED_STORAGE)?;
                    tx.execute("INSERT INTO hv_schema (version) VALUES ($1)", &[&SCHEMA_VERSION])?;
                }
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(RelayError::Io(format!(
                        "the database has schema {v}, newer than this relay's {SCHEMA_VERSION}: upgrade the relay"
                    )));
                }
                Some(v) if v < SCHEMA_VERSION => {
                    if v < RECOMPUTED_AT {
                        docs::recompute_scopes(&mut tx, &sealer)?;
                    }
                    if v < SEALED_STORAGE_AT {
                        tx.batch_execute(SEALED_STORAGE)?;
                    }
                    tx.execute("UPDATE hv_schema SET version = $1", &[&SCHEMA_VERSION])?;
                }
                Some(_) => {}
            }
            match tx.query_opt("SELECT sealed FROM hv_key_check", &[])? {
                None => {
                    tx.execute("INSERT INTO hv_key_check (sealed) VALUES ($1)", &[&sealer.key_check()])?;
                }
                Some(row) if !sealer.matches(row.get(0)) => {
                    return Err(RelayError::Io(
                        "this database was set up with another relay key: give every instance the same \
                         HOMEVISIT_RELAY_KEY (or relay.key)"
                            .into(),
                    ));
                }
                Some(_) => {}
            }
            tx.commit()?;
            Ok(())
        })?;
        let instance = uuid::Uuid::new_v4().to_string();
        listen(config, instance.clone(), changes);
        Ok(Self {
            access: PgAccess { pool: pool.clone() },
            audit: PgAudit { pool: pool.clone() },
            dashboard: PgDashboard { pool: pool.clone() },
            pool,
            sealer,
            instance,
        })
    }
}

/// Wakes this instance's waiting requests when another instance stored changes. Reconnects after
/// a lost connection (and then wakes everyone once, since notifications may have been missed).
fn listen(config: postgres::Config, instance: String, changes: Weak<Announcer>) {
    let announce = |changes: &Weak<Announcer>, announcement: Announcement| match changes.upgrade() {
        Some(announcer) => {
            announcer.announce(announcement);
            true
        }
        None => false,
    };
    std::thread::spawn(move || {
        let mut backoff = Duration::from_millis(200);
        while changes.strong_count() > 0 {
            let mut client = match config.connect(postgres::NoTls) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "postgres listener cannot connect; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                tracing::warn!(error = %e, "postgres LISTEN failed; retrying");
                continue;
            }
            backoff = Duration::from_millis(200);
            announce(&changes, Announcement::Unknown);
            loop {
                let next = client.notifications().timeout_iter(Duration::from_millis(250)).next();
                match next {
                    Ok(Some(n)) => {
                        let (from, announcement) = payload::decode(n.payload());
                        // This instance already woke its own.
                        if from != instance && !announce(&changes, announcement) {
                            return;
                        }
                    }
                    Ok(None) if changes.strong_count() == 0 => return,
                    Ok(None) if !client.is_closed() => {}
                    Ok(None) | Err(_) => break, // reconnect
                }
            }
        }
    });
}

/// Whether a session of this database other than `c`'s is running a statement or holds a
/// transaction open (other instances' requests included). Prepared once per connection: it is
/// asked as every part of a lone request begins, and polled by the background check.
fn others_at_work(c: &mut impl postgres::GenericClient, statements: &mut Statements) -> Result<bool, postgres::Error> {
    let statement = statements.prepared(
        c,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND state IN ('active', 'idle in transaction'))",
    )?;
    Ok(c.query_one(&statement, &[])?.get(0))
}

impl Backend for Postgres {
    fn access(&self) -> &dyn AccessStore {
        &self.access
    }

    fn audit(&self) -> &dyn AuditLog {
        &self.audit
    }

    fn sync(&self, request: &SyncRequest<'_>) -> Result<SyncOutcome, RelayError> {
        // Short transactions (per-document locks are held until each commits), as the embedded
        // relay's; each announces what it stored to the other instances when (and only if) it
        // commits. A part may run longer only when the request is alone here and the database
        // was quiet as the part began (see `longer_parts_when_alone`).
        let alone_here = request.alone;
        // Set as each part begins: alone here, and the database quiet.
        let quiet = AtomicBool::new(false);
        let alone = || quiet.load(Ordering::Relaxed);
        let request = SyncRequest { alone: &alone, ..*request };
        let mut run = RequestRun::new(&request);
        self.pool.run_prepared(|c| {
            while run.has_incoming() {
                let step = std::time::Instant::now();
                let mut tx = c.client.transaction()?;
                // Asked only of a request alone on this instance: one query more per part.
                quiet.store(alone_here() && !others_at_work(&mut tx, &mut c.statements)?, Ordering::Relaxed);
                let changed = {
                    let mut docs = PgDocs::deferring(&mut tx, &mut c.statements, &self.sealer);
                    let changed = run.apply_next(&mut docs)?;
                    docs.flush()?;
                    changed
                };
                if !changed.is_empty() {
                    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload::encode(&self.instance, &changed)])?;
                }
                tx.commit()?;
                (request.between_steps)(step.elapsed());
            }
            loop {
                let step = std::time::Instant::now();
                let mut tx = c.client.transaction()?;
                let outcome = {
                    let mut docs = PgDocs::deferring(&mut tx, &mut c.statements, &self.sealer);
                    let outcome = run.answer_next(&mut docs)?;
                    docs.flush()?;
                    outcome
                };
                tx.commit()?;
                (request.between_steps)(step.elapsed());
                if let Some(outcome) = outcome {
                    return Ok(outcome);
                }
            }
        })
    }

    fn import(&self, docs: &[(DocId, Vec<u8>)]) -> Result<(), RelayError> {
        self.pool.run_prepared(|c| {
            let mut tx = c.client.transaction()?;
            let mut pg = PgDocs::new(&mut tx, &mut c.statements, &self.sealer);
            for (id, bytes) in docs {
                pg.import(id, bytes)?;
            }
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &format!("{};*", self.instance)])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn document(&self, id: &DocId) -> Result<Option<AutoCommit>, RelayError> {
        self.pool.run_prepared(|c| {
            let mut tx = c.client.transaction()?;
            let stored = PgDocs::new(&mut tx, &mut c.statements, &self.sealer).stored(id)?;
            stored.map(|(bytes, _)| homevisit_docs::load(&bytes).map_err(|e| RelayError::Io(e.to_string()))).transpose()
        })
    }

    fn document_count(&self) -> Result<usize, RelayError> {
        self.pool.run(|c| {
            let n: i64 = c.query_one("SELECT count(*) FROM documents", &[])?.get(0);
            Ok(n as usize)
        })
    }

    fn document_ids(&self, kind: homevisit_docs::DocKind) -> Result<Vec<DocId>, RelayError> {
        self.pool.run(|c| deletion::document_ids(c, kind))
    }

    fn school_documents(&self, school: Option<homevisit_model::SchoolId>) -> Result<Vec<DocId>, RelayError> {
        self.pool.run(|c| deletion::school_documents(c, school))
    }

    fn dashboard(&self) -> &dyn crate::dashboard_store::DashboardStore {
        &self.dashboard
    }

    fn family_documents(&self, family: homevisit_model::FamilyId) -> Result<Vec<DocId>, RelayError> {
        self.pool.run(|c| deletion::family_documents(c, family))
    }

    fn delete(&self, receipt: &crate::deletion::DeletionReceipt) -> Result<(), RelayError> {
        self.pool.run(|c| deletion::delete(c, receipt))
    }

    fn receipts(&self) -> Result<Vec<crate::deletion::DeletionReceipt>, RelayError> {
        self.pool.run(deletion::receipts)
    }

    fn confirm_deleted(
        &self,
        device: &homevisit_sync::DeviceId,
        school: homevisit_model::SchoolId,
        docs: &[DocId],
    ) -> Result<(), RelayError> {
        self.pool.run(|c| deletion::confirm_deleted(c, device, school, docs))
    }

    fn pending_deletions(
        &self,
        device: &homevisit_sync::DeviceId,
        school: homevisit_model::SchoolId,
        limit: usize,
    ) -> Result<Vec<DocId>, RelayError> {
        self.pool.run(|c| deletion::pending_deletions(c, device, school, limit))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, RelayError> {
        self.pool
            .run(|c| Ok(c.query_opt("SELECT value FROM relay_settings WHERE key = $1", &[&key])?.map(|r| r.get(0))))
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), RelayError> {
        self.pool.run(|c| {
            c.execute(
                "INSERT INTO relay_settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    fn attestations(&self, visit: homevisit_model::VisitId) -> Result<Vec<crate::attest::Attestation>, RelayError> {
        self.pool.run(|c| Ok(attestations::attestations(c, visit)?))
    }

    fn storage_busy(&self) -> bool {
        let busy =
            self.pool.run_prepared(|c| others_at_work(&mut c.client, &mut c.statements).map_err(RelayError::from));
        // Unknown is not busy: the check then runs, and meets any failure itself.
        busy.unwrap_or(false)
    }

    /// Yes here, and [`Postgres::sync`] also requires the database quiet as each part begins (no
    /// other session at work: another instance's requests are not seen by this one's admission):
    /// a lone device's upload then commits in 40 ms parts rather than 10 ms ones. With anything
    /// else at work on the database, parts stay short, so a heavy device is paced between them.
    fn longer_parts_when_alone(&self) -> bool {
        true
    }

    fn shared_buckets(&self) -> Option<Arc<dyn crate::device_limit::SharedBuckets>> {
        Some(Arc::new(device_turns::PgBuckets { pool: self.pool.clone() }))
    }

    fn check_unloaded(&self, max: usize) -> Result<UnloadedChecked, RelayError> {
        self.pool.run_prepared(|c| {
            let mut tx = c.client.transaction()?;
            // Another instance checking at the same time takes others.
            let ids: Vec<DocId> = tx
                .query(
                    "SELECT doc_id FROM unloaded_documents ORDER BY doc_id LIMIT $1 FOR UPDATE SKIP LOCKED",
                    &[&(max as i64)],
                )?
                .iter()
                .filter_map(|r| r.get::<_, &str>(0).parse().ok())
                .collect();
            let failed = PgDocs::new(&mut tx, &mut c.statements, &self.sealer).check_unloaded(&ids)?;
            if !failed.is_empty() {
                // Bytes from elsewhere that never passed: nothing of them was ever readable.
                let failed: Vec<String> = failed.iter().map(|d| d.to_string()).collect();
                deletion::delete_documents(&mut tx, &failed)?;
            }
            let left: i64 = tx.query_one("SELECT count(*) FROM unloaded_documents", &[])?.get(0);
            tx.commit()?;
            Ok(UnloadedChecked { deleted: failed.len(), left: left as usize })
        })
    }
}

#[cfg(test)]
mod tests {
    use postgres::{Client, NoTls};

    use super::{Statements, others_at_work};

    /// A database of this test's own on the test server (other tests' sessions are in the
    /// server's default database, and would count as at work), dropped at the end.
    struct OwnDatabase {
        admin: Client,
        name: String,
        config: postgres::Config,
    }

    impl OwnDatabase {
        fn new() -> Option<Self> {
            let url = super::test_schema::admin_url("quiet check")?;
            let mut admin = Client::connect(&url, NoTls).expect("connect to the test PostgreSQL");
            let name = format!("quiet_{}", uuid::Uuid::new_v4().simple());
            admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let mut config: postgres::Config = url.parse().unwrap();
            config.dbname(&name);
            Some(Self { admin, name, config })
        }

        fn connect(&self) -> Client {
            self.config.connect(NoTls).unwrap()
        }
    }

    impl Drop for OwnDatabase {
        fn drop(&mut self) {
            let _ = self.admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }

    /// The check that lets a lone request's parts run longer on PostgreSQL: another session with
    /// a transaction open (another instance's request between statements) or running a statement
    /// is at work; idle sessions (another instance's idle pool, its listener) are not; and the
    /// asking session's own open transaction is not counted (a request asks from inside its part).
    #[test]
    fn others_at_work_counts_other_sessions_in_a_transaction_not_idle_ones_nor_the_asker() {
        let Some(db) = OwnDatabase::new() else { return };
        let (mut asker, mut other) = (db.connect(), db.connect());
        // Prepared on the asker's connection on first use, then kept (as on a pooled one).
        let mut statements = Statements::default();
        assert!(!others_at_work(&mut asker, &mut statements).unwrap(), "the other session is idle");

        let mut own = asker.transaction().unwrap();
        own.execute("SELECT 1", &[]).unwrap();
        assert!(!others_at_work(&mut own, &mut statements).unwrap(), "the asker's own open transaction does not count");
        own.commit().unwrap();

        let mut theirs = other.transaction().unwrap();
        theirs.execute("SELECT 1", &[]).unwrap();
        assert!(others_at_work(&mut asker, &mut statements).unwrap(), "another session holds a transaction open");
        let mut own = asker.transaction().unwrap();
        assert!(others_at_work(&mut own, &mut statements).unwrap(), "seen from inside the asker's transaction too");
        own.commit().unwrap();
        theirs.commit().unwrap();
        assert!(!others_at_work(&mut asker, &mut statements).unwrap(), "the other transaction ended");
    }
}
