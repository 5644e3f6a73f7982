//! The default backend: the document store a device uses, with the relay's own index
//! ([`RelayIndex`]: its records, no phone tables) in `documents.db`, the access file
//! (`access.db`) and the audit trail (`audit.db`), all encrypted, in the relay's data directory. One relay instance per directory.

use parking_lot::{Mutex, MutexGuard};
use std::path::Path;

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::AutoCommit;
use homevisit_docs::{DocId, DocKind, Scope};
use homevisit_model::{EducatorId, FamilyId, SchoolId, VisitId, VisitLog};
use homevisit_store::{Applied, DbKey, Incoming, StoreOptions};
use homevisit_sync::{CandidateRange, DeviceId, DocFailure, PeerId, store_failure};

use crate::RelayError;
use crate::access::AccessStore;
use crate::attest::{self, Attestation, Effect};
use crate::audit::AuditLog;
use crate::backend::{Backend, DocStorage, Judge, Records, SyncOutcome, SyncRequest, UnloadedChecked, Usage};
use crate::deletion::DeletionReceipt;
use crate::embedded_access::SqliteAccess;
use crate::embedded_audit::SqliteAudit;
use crate::embedded_dashboard::SqliteDashboard;
use crate::relay_index::{self, RelayStore};
use crate::request_run::RequestRun;

/// Loaded documents the relay keeps in memory (its peak RSS is a target: 50 MB).
const RELAY_CACHE_DOCUMENTS: usize = 32;

/// SQLite's page cache for the relay's documents, in KiB: the pages of the indexes every device's
/// sync walks stay decrypted in memory (SQLite's default of 2 MB made a morning rush read and
/// decrypt the same pages again and again: a quarter of the relay's time in W3). Memory grows
/// to it only as the database does.
const RELAY_PAGE_CACHE_KIB: u32 = 32 * 1024;

/// WAL pages (of [`homevisit_store::PAGE_SIZE`], 8 KiB) past which a request's commit also
/// checkpoints: the relay checkpoints in its quiet moments ([`Backend::upkeep`], after the check
/// of documents received whole), so at SQLite's 1,000 a device's request paid for the copying (5%
/// of W1's upload and download). This bounds the WAL (64 MiB) when the relay is never quiet.
const RELAY_WAL_AUTOCHECKPOINT_PAGES: u32 = 8 * 1024;

pub struct Embedded {
    store: Mutex<RelayStore>,
    access: SqliteAccess,
    /// In `access.db`, beside the invites its accounts are made from.
    dashboard: SqliteDashboard,
    audit: SqliteAudit,
}

impl Embedded {
    pub fn open(data_dir: &Path, key: &DbKey) -> Result<Self, RelayError> {
        // The relay touches each document about once per sync: keep few loaded.
        let options = StoreOptions {
            cache_documents: RELAY_CACHE_DOCUMENTS,
            page_cache_kib: Some(RELAY_PAGE_CACHE_KIB),
            wal_autocheckpoint_pages: Some(RELAY_WAL_AUTOCHECKPOINT_PAGES),
            ..Default::default()
        };
        let store = RelayStore::open_indexed(data_dir.join("documents.db"), key, options)?;
        let access = SqliteAccess::open(&data_dir.join("access.db"), key)?;
        let dashboard = SqliteDashboard::open(&access)?;
        let audit = SqliteAudit::open(&data_dir.join("audit.db"), key).map_err(|e| RelayError::Io(e.to_string()))?;
        Ok(Self { store: Mutex::new(store), access, dashboard, audit })
    }

    /// The store, locked. The lock is fair where it matters ([`Embedded::transaction`] hands it to
    /// the longest waiter), and never poisoned: every write runs contained (below), and a panic
    /// in one is recovered from (open transaction rolled back, documents in memory forgotten)
    /// before the lock is released.
    fn store(&self) -> MutexGuard<'_, RelayStore> {
        self.store.lock()
    }

    /// Runs one transaction on the store with panics contained: a panic is an error for this
    /// request, its transaction is rolled back (by `Store::batch`'s guard, as the panic unwinds),
    /// and the lock stays sound for the next request.
    ///
    /// The lock is then handed to whoever waited longest (`unlock_fair`): a device sending one
    /// large request after another, a part per transaction, cannot keep taking it back before a
    /// waiting device's small sync gets its turn.
    fn transaction<R>(&self, f: impl FnOnce(&mut RelayStore) -> Result<R, RelayError>) -> Result<R, RelayError> {
        let mut store = self.store();
        let result = match catch_unwind(AssertUnwindSafe(|| store.batch(f))) {
            Ok(result) => result,
            Err(_) => {
                store.recover_after_panic();
                Err(RelayError::Io(
                    "a request failed inside the store (a contained panic); nothing of it was stored".into(),
                ))
            }
        };
        MutexGuard::unlock_fair(store);
        result
    }
}

impl Backend for Embedded {
    fn access(&self) -> &dyn AccessStore {
        &self.access
    }

    fn audit(&self) -> &dyn AuditLog {
        &self.audit
    }

    fn sync(&self, request: &SyncRequest<'_>) -> Result<SyncOutcome, RelayError> {
        // Short transactions, the lock released (fairly: to whoever waited longest) between them,
        // so another device's small sync waits for one step, not for this whole request.
        let mut run = RequestRun::new(request);
        while run.has_incoming() {
            let step = std::time::Instant::now();
            self.transaction(|store| Ok(run.apply_next(store)?))?;
            (request.between_steps)(step.elapsed());
        }
        loop {
            let step = std::time::Instant::now();
            let answered = self.transaction(|store| Ok(run.answer_next(store)?))?;
            (request.between_steps)(step.elapsed());
            if let Some(outcome) = answered {
                return Ok(outcome);
            }
        }
    }

    fn check_unloaded(&self, max: usize) -> Result<UnloadedChecked, RelayError> {
        // Failing means crafted bytes: rare, so the purge's rewrite of the file is fine.
        let mut store = self.store();
        let deleted = store.remove_unloadable(max)?.len();
        let left = store.unloaded_count()?;
        MutexGuard::unlock_fair(store);
        Ok(UnloadedChecked { deleted, left })
    }

    fn longer_parts_when_alone(&self) -> bool {
        true
    }

    fn upkeep(&self) -> Result<(), RelayError> {
        let store = self.store();
        store.checkpoint_wal()?;
        MutexGuard::unlock_fair(store);
        Ok(())
    }

    fn import(&self, docs: &[(DocId, Vec<u8>)]) -> Result<(), RelayError> {
        self.transaction(|store| {
            for (id, bytes) in docs {
                // What the import attests is recorded as the import's (see `attest`).
                let mut effects = Vec::new();
                let applied = store.apply_received(id, Incoming::Whole(bytes), |received, _| {
                    effects = attest::import_effects(received.content);
                    true
                })?;
                if applied == Applied::Changed {
                    for effect in &effects {
                        relay_index::record_effect(store, effect, attest::IMPORT)?;
                    }
                }
            }
            Ok(())
        })
    }

    fn document(&self, id: &DocId) -> Result<Option<AutoCommit>, RelayError> {
        let store = self.store();
        if !store.contains_document(id)? {
            return Ok(None);
        }
        let (bytes, _) = store.stored_document(id)?;
        Ok(Some(homevisit_docs::load(&bytes).map_err(|e| RelayError::Io(e.to_string()))?))
    }

    fn document_count(&self) -> Result<usize, RelayError> {
        Ok(self.store().document_ids(None)?.len())
    }

    fn document_ids(&self, kind: homevisit_docs::DocKind) -> Result<Vec<DocId>, RelayError> {
        Ok(self.store().document_ids(Some(kind))?)
    }

    fn school_documents(&self, school: Option<SchoolId>) -> Result<Vec<DocId>, RelayError> {
        Ok(relay_index::school_documents(&self.store(), school)?)
    }

    fn dashboard(&self) -> &dyn crate::dashboard_store::DashboardStore {
        &self.dashboard
    }

    fn family_documents(&self, family: FamilyId) -> Result<Vec<DocId>, RelayError> {
        Ok(relay_index::family_documents(&self.store(), family)?)
    }

    fn delete(&self, receipt: &DeletionReceipt) -> Result<(), RelayError> {
        // Under the store's lock: no request reads or writes between the deletion and the
        // file's rewrite.
        let mut store = self.store();
        store.purge_documents_and(&receipt.documents, |conn| relay_index::record_deletion(conn, receipt))?;
        Ok(())
    }

    fn receipts(&self) -> Result<Vec<DeletionReceipt>, RelayError> {
        relay_index::receipts(&self.store())
    }

    fn confirm_deleted(&self, device: &DeviceId, school: SchoolId, docs: &[DocId]) -> Result<(), RelayError> {
        Ok(relay_index::confirm_deleted(&self.store(), device, school, docs)?)
    }

    fn pending_deletions(&self, device: &DeviceId, school: SchoolId, limit: usize) -> Result<Vec<DocId>, RelayError> {
        Ok(relay_index::pending_deletions(&self.store(), device, school, limit)?)
    }

    fn setting(&self, key: &str) -> Result<Option<String>, RelayError> {
        Ok(relay_index::setting(&self.store(), key)?)
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), RelayError> {
        Ok(relay_index::set_setting(&self.store(), key, value)?)
    }

    fn attestations(&self, visit: VisitId) -> Result<Vec<Attestation>, RelayError> {
        Ok(relay_index::attestations(&self.store(), visit)?)
    }
}

impl Records for RelayStore {
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        StoreRecords(self).scope(doc)
    }

    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        StoreRecords(self).contributors(visit)
    }

    fn deleted(&mut self, doc: &DocId) -> Result<bool, DocFailure> {
        StoreRecords(self).deleted(doc)
    }

    fn attested(&mut self, visit: VisitId) -> Result<Option<[Option<EducatorId>; 3]>, DocFailure> {
        StoreRecords(self).attested(visit)
    }

    fn stored_visit_log(&mut self, visit: VisitId) -> Result<Option<VisitLog>, DocFailure> {
        StoreRecords(self).stored_visit_log(visit)
    }

    fn open_declines(&mut self, family: FamilyId) -> Result<Vec<VisitId>, DocFailure> {
        StoreRecords(self).open_declines(family)
    }

    fn visit_family(&mut self, visit: VisitId) -> Result<Option<FamilyId>, DocFailure> {
        StoreRecords(self).visit_family(visit)
    }
}

/// The store's records, seen from inside one of its own writes (which holds it borrowed).
struct StoreRecords<'a>(&'a RelayStore);

impl Records for StoreRecords<'_> {
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        relay_index::document_scope(self.0, doc).map_err(store_failure)
    }

    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        relay_index::contributors(self.0, visit).map_err(store_failure)
    }

    fn deleted(&mut self, doc: &DocId) -> Result<bool, DocFailure> {
        relay_index::is_deleted(self.0, doc).map_err(store_failure)
    }

    fn attested(&mut self, visit: VisitId) -> Result<Option<[Option<EducatorId>; 3]>, DocFailure> {
        relay_index::attested(self.0, visit).map_err(store_failure)
    }

    fn stored_visit_log(&mut self, visit: VisitId) -> Result<Option<VisitLog>, DocFailure> {
        let id = DocId::new(DocKind::VisitLog, visit.uuid());
        match self.0.stored_document(&id) {
            Ok((bytes, _)) => Ok(attest::checked_visit_log(&id, &bytes)),
            Err(homevisit_store::StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(store_failure(e)),
        }
    }

    fn open_declines(&mut self, family: FamilyId) -> Result<Vec<VisitId>, DocFailure> {
        relay_index::open_declines(self.0, family).map_err(store_failure)
    }

    fn visit_family(&mut self, visit: VisitId) -> Result<Option<FamilyId>, DocFailure> {
        relay_index::recorded_family(self.0, &DocId::new(DocKind::VisitLog, visit.uuid())).map_err(store_failure)
    }
}

impl DocStorage for RelayStore {
    fn apply_checked(
        &mut self,
        doc: &DocId,
        incoming: Incoming<'_>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure> {
        self.apply_received(doc, incoming, |received, store| judge(received, &mut StoreRecords(store)))
            .map_err(store_failure)
    }

    fn record_contributor(&mut self, visit: VisitId, educator: EducatorId) -> Result<(), DocFailure> {
        relay_index::record_contributor(self, visit, educator).map_err(store_failure)
    }

    fn record_effect(&mut self, effect: &Effect, device: &str) -> Result<(), DocFailure> {
        relay_index::record_effect(self, effect, device).map_err(store_failure)
    }

    fn discard_pending(&mut self, doc: &DocId) {
        RelayStore::discard_pending(self, doc);
    }

    fn candidates_of_school(
        &mut self,
        peer: &PeerId,
        school: Option<SchoolId>,
        range: CandidateRange<'_>,
    ) -> Result<Vec<DocId>, DocFailure> {
        relay_index::unsynced_of_school(self, peer, school, range).map_err(store_failure)
    }

    fn offer_cursor(&mut self, peer: &PeerId) -> Result<Option<DocId>, DocFailure> {
        relay_index::offer_cursor(self, peer).map_err(store_failure)
    }

    fn save_offer_cursor(&mut self, peer: &PeerId, cursor: Option<DocId>) -> Result<(), DocFailure> {
        relay_index::save_offer_cursor(self, peer, cursor).map_err(store_failure)
    }

    fn usage(&mut self, device: &DeviceId) -> Result<Usage, DocFailure> {
        relay_index::device_usage(self, device).map_err(store_failure)
    }

    fn add_usage(&mut self, device: &DeviceId, added: Usage) -> Result<(), DocFailure> {
        relay_index::add_device_usage(self, device, added).map_err(store_failure)
    }
}
