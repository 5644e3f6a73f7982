//! The relay's documents as sync storage for one device: the shared store, seen through the
//! device's permissions. A document the device may not read is never offered or answered; a change
//! it may not make is refused and nothing of it is stored.
//!
//! Every decision is made from the relay's own records ([`Records`]: the scope each stored
//! document was given under its id when it passed [`homevisit_docs::check`]) and from the
//! received document's checked content, whose ids the check has already matched to its id. What a
//! document says about *another* document is never believed.

use automerge::ChangeHash;
use automerge::sync::{Message, State};
use homevisit_docs::{Content, DocId, DocKind, Scope, governing_doc, untrusted};
use homevisit_model::{EducatorId, VisitId, VisitLog};
use homevisit_protocol::RejectReason;
use homevisit_store::{Applied, Incoming, Received};
use homevisit_sync::{Access as Permission, AccessPolicy, CandidateRange, DocFailure, Merged, PeerId, SyncDocs};

use crate::access::Role;
use crate::attest::{self, Effect};
use crate::backend::{Bounds, Changed, DocStorage, Records, SyncRequest, Usage};
use crate::consent;
use crate::policy::DevicePolicy;
use crate::scope_memo::ScopeMemo;

pub(crate) struct RelayDocs<'a, D: DocStorage> {
    store: &'a mut D,
    policy: DevicePolicy<'a>,
    bounds: &'a Bounds,
    /// What the device's changes stored, by the relay's scope of each changed document.
    changed: Vec<Changed>,
    /// Operations the request's messages brought so far, this part and the ones before.
    ops: u64,
    /// The scopes this part has read from the relay's records.
    scopes: ScopeMemo,
}

/// What a change from this device must satisfy, decided from the relay's records before the
/// change is applied (for a sync message and a whole document alike).
enum WriteRule<'a> {
    /// Read-only: nothing new may be stored.
    NothingNew,
    /// A coordinator's device on a visit log it reads: only its confirmation of a visit made by
    /// one educator with an interpreter (`attest::judge_coordinator_confirmation`).
    CoordinatorConfirms,
    /// Writable (or new): the result must still be writable by this device, so nobody can move a
    /// visit into another school or off their own visits, and must agree with the relay's records.
    StillWritable {
        policy: DevicePolicy<'a>,
        /// The relay's scope of the document that governs access (for notes: their visit log's).
        governing: Option<Scope>,
    },
}

impl WriteRule<'_> {
    /// Whether the change may be stored; what to record if it is goes to `effects`.
    fn allows(&self, received: &Received<'_>, records: &mut dyn Records, effects: &mut Vec<Effect>) -> bool {
        let (policy, governing) = match self {
            WriteRule::StillWritable { policy, governing } => (policy, governing),
            WriteRule::CoordinatorConfirms => {
                let Content::VisitLog(log) = received.content else { return false };
                return match attest::judge_coordinator_confirmation(log, records) {
                    Ok(Some(found)) => {
                        *effects = found;
                        true
                    }
                    _ => false,
                };
            }
            WriteRule::NothingNew => return false,
        };
        // Notes have no scope of their own: their visit log's, as the relay holds it.
        let scope = match received.content {
            Content::VisitNotes => match governing {
                Some(scope) => scope.clone(),
                None => return false, // notes of a visit the relay does not have
            },
            content => content.scope(&received.doc),
        };
        if policy.permission(received.doc.kind, &scope) != Permission::ReadWrite {
            return false;
        }
        let role = &policy.device.role;
        let judged = match received.content {
            Content::VisitLog(log) => match visit_agrees_with_records(log, governing.as_ref(), records) {
                Ok(true) => judge_all([
                    attest::judge_visit_log(log, received.is_new, role, records),
                    consent::judge_visit_log(log, records),
                ]),
                _ => Ok(None),
            },
            Content::Family(family) => consent::judge_family(family, role, records),
            _ => Ok(Some(Vec::new())),
        };
        match judged {
            Ok(Some(found)) => {
                *effects = found;
                true
            }
            _ => false,
        }
    }
}

/// Every judgement's effects, or `None` if one refuses.
fn judge_all<const N: usize>(
    judgements: [Result<Option<Vec<Effect>>, DocFailure>; N],
) -> Result<Option<Vec<Effect>>, DocFailure> {
    let mut all = Vec::new();
    for judged in judgements {
        match judged? {
            Some(effects) => all.extend(effects),
            None => return Ok(None),
        }
    }
    Ok(Some(all))
}

/// A visit log's people must be the relay's: its family and educators are records of the visit's
/// school, and no partner who has written to the visit is taken off it (they would silently lose
/// their notes; see the README's "Pairs").
fn visit_agrees_with_records(
    log: &VisitLog,
    stored: Option<&Scope>,
    records: &mut dyn Records,
) -> Result<bool, DocFailure> {
    let school = Some(log.plan.school_id);
    let family = DocId::new(DocKind::Family, log.plan.family_id.uuid());
    if records.scope(&family)?.and_then(|s| s.school) != school {
        return Ok(false);
    }
    for educator in &log.plan.educator_ids {
        let doc = DocId::new(DocKind::Educator, educator.uuid());
        if records.scope(&doc)?.and_then(|s| s.school) != school {
            return Ok(false);
        }
    }
    let removed: Vec<EducatorId> = stored
        .map(|s| s.educators.iter().filter(|e| !log.plan.educator_ids.contains(e)).copied().collect())
        .unwrap_or_default();
    if !removed.is_empty() {
        let wrote = records.contributors(log.plan.id)?;
        if removed.iter().any(|e| wrote.contains(e)) {
            return Ok(false);
        }
    }
    Ok(true)
}

impl<'a, D: DocStorage> RelayDocs<'a, D> {
    /// The relay's documents for `request`'s device, `ops` operations into the request.
    pub(crate) fn new(store: &'a mut D, request: &'a SyncRequest<'a>, ops: u64) -> Self {
        Self {
            store,
            policy: request.policy(),
            bounds: request.bounds,
            changed: Vec::new(),
            ops,
            scopes: ScopeMemo::default(),
        }
    }

    /// What was stored, and the request's operations so far.
    pub(crate) fn into_outcome(self) -> (Vec<Changed>, u64) {
        (self.changed, self.ops)
    }

    /// Counts what `incoming` brings against the request's work budget and the device's bytes
    /// quota, before anything of it is loaded (the screen walks the bytes without decoding them).
    /// Returns its size in bytes (`documents` 0).
    fn within_budget(&mut self, incoming: &Incoming<'_>) -> Result<Usage, DocFailure> {
        let malformed = |_| DocFailure::Rejected(RejectReason::Malformed);
        let (bytes, ops) = match incoming {
            Incoming::Whole(bytes) => (bytes.len() as u64, untrusted::screen_chunks(bytes).map_err(malformed)?),
            Incoming::Sync { message, .. } => {
                let (mut bytes, mut ops) = (0u64, 0u64);
                for change in message.changes.iter() {
                    bytes += change.len() as u64;
                    ops = ops.saturating_add(untrusted::screen_chunks(change).map_err(malformed)?);
                }
                (bytes, ops)
            }
        };
        if !fits_request_ops(self.ops, ops, self.bounds.request_ops) {
            return Err(DocFailure::Rejected(RejectReason::Busy));
        }
        self.ops = self.ops.saturating_add(ops);
        let used = self.store.usage(&self.policy.device.device_id)?;
        if used.bytes.saturating_add(bytes) > self.bounds.device_bytes {
            return Err(DocFailure::Rejected(RejectReason::OverQuota));
        }
        Ok(Usage { documents: 0, bytes })
    }

    /// Whether the device has created as many documents as it may.
    fn at_document_quota(&mut self) -> Result<bool, DocFailure> {
        Ok(self.store.usage(&self.policy.device.device_id)?.documents >= self.bounds.device_documents)
    }

    fn governing_scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        let store = &mut *self.store;
        self.scopes.scope(&governing_doc(doc), |governing| store.scope(governing))
    }

    /// The rule a change to `doc` from this device must satisfy; refused outright if the device
    /// may not even read it.
    fn write_rule(&mut self, doc: &DocId) -> Result<WriteRule<'a>, DocFailure> {
        // A deleted document stays deleted: no device brings it back.
        if self.store.deleted(doc)? {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        let governing = self.governing_scope(doc)?;
        let now = match &governing {
            Some(scope) => self.permission(doc.kind, scope),
            // New: judged on its content (notes, on their visit's log, which sorts before them in
            // every batch; notes of a visit the relay does not have are refused then).
            None => Permission::ReadWrite,
        };
        Ok(match now {
            Permission::None => return Err(DocFailure::Rejected(RejectReason::Forbidden)),
            Permission::Read if doc.kind == DocKind::VisitLog && self.policy.device.role.educator().is_none() => {
                WriteRule::CoordinatorConfirms
            }
            Permission::Read => WriteRule::NothingNew,
            Permission::ReadWrite => WriteRule::StillWritable { policy: self.policy, governing },
        })
    }

    fn permission(&self, kind: DocKind, scope: &Scope) -> Permission {
        self.policy.permission(kind, scope)
    }

    /// What the device may do with `doc`, from the relay's records.
    fn access(&mut self, doc: &DocId) -> Result<Permission, DocFailure> {
        Ok(match self.governing_scope(doc)? {
            Some(scope) => self.permission(doc.kind, &scope),
            None if self.store.deleted(doc)? => Permission::None,
            // A document new to the relay: judged on its content when its changes arrive.
            None => Permission::ReadWrite,
        })
    }

    /// Applies what the device sent under `doc`'s write rule.
    fn receive_checked(&mut self, doc: &DocId, incoming: Incoming<'_>) -> Result<Merged, DocFailure> {
        // Bounds first, so a device over them gets the same answer whether or not the document
        // exists (an answer that differed would tell it which ids exist elsewhere).
        let usage = self.within_budget(&incoming)?;
        let rule = match self.write_rule(doc) {
            Err(DocFailure::Rejected(RejectReason::Forbidden)) if usage.bytes > 0 && self.at_document_quota()? => {
                return Err(DocFailure::Rejected(RejectReason::OverQuota));
            }
            rule => rule?,
        };
        let creates = usage.bytes > 0 && self.store.heads(doc)?.is_none();
        if creates && self.at_document_quota()? {
            return Err(DocFailure::Rejected(RejectReason::OverQuota));
        }
        let usage = Usage { documents: creates as u64, ..usage };
        let mut effects = Vec::new();
        let scopes = &mut self.scopes;
        let applied = self.store.apply_checked(doc, incoming, &mut |received, records| {
            effects.clear();
            rule.allows(received, &mut scopes.over(records), &mut effects)
        })?;
        match applied {
            Applied::Unchanged => Ok(Merged::Unchanged),
            Applied::Changed => {
                // Its scope is now what it says (the index recorded it as it stored it).
                self.scopes.forget(doc);
                let scope = self.governing_scope(doc)?.unwrap_or_default();
                self.changed.push(Changed { kind: doc.kind, scope });
                self.store.add_usage(&self.policy.device.device_id, usage)?;
                self.note_contribution(doc)?;
                let device = self.policy.device.device_id.as_str().to_owned();
                for effect in &effects {
                    self.store.record_effect(effect, &device)?;
                }
                Ok(Merged::Changed)
            }
            // A message about a document the relay does not have, which creates nothing: refused
            // with the same answer as a document the device may not read, so whether a document
            // exists cannot be told apart; and nothing is kept of it.
            Applied::Pending => {
                self.store.discard_pending(doc);
                Err(DocFailure::Rejected(RejectReason::Forbidden))
            }
        }
    }

    /// A device that stored changes to a visit's log or notes has written to it.
    fn note_contribution(&mut self, doc: &DocId) -> Result<(), DocFailure> {
        let Some(educator) = self.policy.device.role.educator() else {
            return Ok(());
        };
        match doc.kind {
            DocKind::VisitLog | DocKind::VisitNotes => self.store.record_contributor(VisitId(doc.id), educator),
            _ => Ok(()),
        }
    }
}

impl<D: DocStorage> SyncDocs for RelayDocs<'_, D> {
    fn candidates(&mut self, peer: &PeerId) -> Result<Vec<DocId>, DocFailure> {
        self.candidates_in(peer, CandidateRange::all())
    }

    fn candidates_in(&mut self, peer: &PeerId, range: CandidateRange<'_>) -> Result<Vec<DocId>, DocFailure> {
        // Only the device's school's documents (and the prompt packs) can be readable by it; a
        // district administrator's, every school's.
        let school = match self.policy.device.role {
            Role::DistrictAdmin => None,
            Role::Educator(_) | Role::SchoolCoordinator => Some(self.policy.device.school_id),
        };
        self.store.candidates_of_school(peer, school, range)
    }

    fn load_state(&mut self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure> {
        self.store.load_state(peer, doc)
    }

    fn save_state(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<(), DocFailure> {
        self.store.save_state(peer, doc, state)
    }

    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure> {
        self.store.generate(doc, state)
    }

    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure> {
        self.store.snapshot(doc)
    }

    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<Merged, DocFailure> {
        self.receive_checked(doc, Incoming::Whole(bytes))
    }

    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]) {
        // Loading is work: only for documents this device may write (or that are new here).
        // Whatever else it sent is refused unread. Their records first, in one read where it
        // saves round trips (a failure here is met again, and answered, when each is asked for).
        let ids: Vec<DocId> = snapshots.iter().map(|(doc, _)| *doc).collect();
        let _ = self.store.read_ahead(&ids);
        let writable: Vec<(DocId, &[u8])> = snapshots
            .iter()
            .filter(|(doc, _)| matches!(self.access(doc), Ok(Permission::ReadWrite)))
            .copied()
            .collect();
        self.store.preload_snapshots(&within_ops(&writable, self.ops, self.bounds.request_ops));
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<Merged, DocFailure> {
        self.receive_checked(doc, Incoming::Sync { state, message })
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        self.store.heads(doc)
    }

    fn read_heads_ahead(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        self.store.read_ahead(docs)
    }

    fn read_snapshots_ahead(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        self.store.read_snapshots_ahead(docs)
    }

    fn mark_synced(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.store.mark_synced(peer, doc, heads)
    }

    fn mark_synced_whole(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.store.mark_synced_whole(peer, doc, heads)
    }
}

/// Whether `ops` more operations fit in a request's `budget` with `used` brought so far. The
/// request's first document always fits (each is bounded by its kind's limit), so every round
/// makes progress.
fn fits_request_ops(used: u64, ops: u64, budget: u64) -> bool {
    used == 0 || used.saturating_add(ops) <= budget
}

/// The documents of `snapshots` whose operations fit in what is left of a request's budget
/// (`budget`, `used` so far), in order, each counted as its write will count it
/// ([`fits_request_ops`], as `within_budget` does). Working on a document ahead is loading it: the
/// documents of a part that a device may write are worked on only as far as the request may still
/// bring operations, never more (the rest is refused by its write, unread). Bytes that are not
/// whole chunks are left out: their write refuses them.
fn within_ops<'b>(snapshots: &[(DocId, &'b [u8])], used: u64, budget: u64) -> Vec<(DocId, &'b [u8])> {
    let mut used = used;
    snapshots
        .iter()
        .filter(|(_, bytes)| {
            let Ok(ops) = untrusted::screen_chunks(bytes) else { return false };
            let fits = fits_request_ops(used, ops, budget);
            if fits {
                used = used.saturating_add(ops);
            }
            fits
        })
        .copied()
        .collect()
}

/// The session asks the device's policy through its view of the relay's documents (the records
/// it decides on are read in the request's transaction).
impl<D: DocStorage> AccessPolicy<RelayDocs<'_, D>> for DevicePolicy<'_> {
    fn access(&self, docs: &mut RelayDocs<'_, D>, _peer: &PeerId, doc: &DocId) -> Result<Permission, DocFailure> {
        docs.access(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved document with `n` operations (a map of `n` keys).
    fn doc_of(n: usize) -> Vec<u8> {
        use automerge::transaction::Transactable;
        let mut doc = automerge::AutoCommit::new();
        for i in 0..n {
            doc.put(automerge::ROOT, format!("k{i}"), i as i64).unwrap();
        }
        doc.save()
    }

    #[test]
    fn only_what_fits_in_the_requests_operations_is_worked_on_ahead() {
        let (big, small) = (doc_of(300), doc_of(20));
        let ops = |b: &[u8]| untrusted::screen_chunks(b).unwrap();
        let ids: Vec<DocId> = (0..4).map(|_| DocId::new(DocKind::Family, uuid::Uuid::new_v4())).collect();
        let window =
            [(ids[0], big.as_slice()), (ids[1], big.as_slice()), (ids[2], small.as_slice()), (ids[3], &b"junk"[..])];
        let kept = |used, budget| -> Vec<DocId> { within_ops(&window, used, budget).iter().map(|(d, _)| *d).collect() };
        // A request's first document always fits; the second big one does not, the small one does;
        // bytes that are not chunks are never worked on.
        assert_eq!(kept(0, ops(&big) + ops(&small)), [ids[0], ids[2]]);
        // Some of the budget used by earlier messages: only the small one.
        assert_eq!(kept(1, ops(&big)), [ids[2]]);
        // Room for everything that screens.
        assert_eq!(kept(0, u64::MAX), [ids[0], ids[1], ids[2]]);
        // Nothing left.
        assert!(kept(5, 5).is_empty());
    }
}
