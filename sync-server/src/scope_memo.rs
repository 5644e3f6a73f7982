//! The scopes a part of a device's request has read from the relay's records, kept for the rest of
//! the part. Access asks for a document's governing scope several times (whether the device may
//! read it, its write rule, what it changed once stored), and every visit log judged asks for its
//! family's and its two educators' (the same few for all of a school's visits): on the embedded
//! storage each was a query, a tenth of the writer's time storing an upload.
//!
//! Kept for one part only ([`crate::relay_docs::RelayDocs`] lives as long as a part): between parts
//! other devices' requests run. Within a part, a scope changes only when that document is stored
//! (the index records the scope of the document it writes, and of no other), so the part forgets a
//! document when it stores it ([`ScopeMemo::forget`]).

use std::collections::HashMap;

use homevisit_docs::{DocId, Scope};
use homevisit_model::{EducatorId, FamilyId, VisitId, VisitLog};
use homevisit_sync::DocFailure;

use crate::backend::Records;

/// Most scopes kept: more than a part's page of documents and their governing ones. Past it the
/// memo starts again (a bound on memory, never a change in what is answered).
const MAX_KEPT: usize = 4096;

#[derive(Default)]
pub(crate) struct ScopeMemo(HashMap<DocId, Option<Scope>>);

impl ScopeMemo {
    /// `doc`'s scope as the relay's records hold it: read by `read` the first time it is asked.
    pub(crate) fn scope(
        &mut self,
        doc: &DocId,
        read: impl FnOnce(&DocId) -> Result<Option<Scope>, DocFailure>,
    ) -> Result<Option<Scope>, DocFailure> {
        if let Some(scope) = self.0.get(doc) {
            return Ok(scope.clone());
        }
        let scope = read(doc)?;
        if self.0.len() >= MAX_KEPT {
            self.0.clear();
        }
        self.0.insert(*doc, scope.clone());
        Ok(scope)
    }

    /// `doc` was stored: its scope is read again when next asked.
    pub(crate) fn forget(&mut self, doc: &DocId) {
        self.0.remove(doc);
    }

    /// `records` answering scopes from this memo (and reading into it).
    pub(crate) fn over<'r>(&'r mut self, records: &'r mut dyn Records) -> MemoRecords<'r> {
        MemoRecords { memo: self, records }
    }
}

/// A storage's [`Records`] whose scopes come from a [`ScopeMemo`]; everything else is theirs.
pub(crate) struct MemoRecords<'r> {
    memo: &'r mut ScopeMemo,
    records: &'r mut dyn Records,
}

impl Records for MemoRecords<'_> {
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        let records = &mut *self.records;
        self.memo.scope(doc, |doc| records.scope(doc))
    }
    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        self.records.contributors(visit)
    }
    fn deleted(&mut self, doc: &DocId) -> Result<bool, DocFailure> {
        self.records.deleted(doc)
    }
    fn attested(&mut self, visit: VisitId) -> Result<Option<[Option<EducatorId>; 3]>, DocFailure> {
        self.records.attested(visit)
    }
    fn stored_visit_log(&mut self, visit: VisitId) -> Result<Option<VisitLog>, DocFailure> {
        self.records.stored_visit_log(visit)
    }
    fn open_declines(&mut self, family: FamilyId) -> Result<Vec<VisitId>, DocFailure> {
        self.records.open_declines(family)
    }
    fn visit_family(&mut self, visit: VisitId) -> Result<Option<FamilyId>, DocFailure> {
        self.records.visit_family(visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homevisit_docs::DocKind;
    use homevisit_model::SchoolId;

    fn scope_of(school: SchoolId) -> Option<Scope> {
        Some(Scope { school: Some(school), ..Scope::default() })
    }

    #[test]
    fn reads_once_until_forgotten_and_keeps_errors_out() {
        let doc = DocId::new(DocKind::Family, uuid::Uuid::from_u128(1));
        let (first, second) = (SchoolId::new(), SchoolId::new());
        let mut memo = ScopeMemo::default();
        let reads = std::cell::Cell::new(0);
        let read = |answer: Option<Scope>| {
            let reads = &reads;
            move |_: &DocId| {
                reads.set(reads.get() + 1);
                Ok(answer)
            }
        };
        assert_eq!(memo.scope(&doc, read(scope_of(first))).unwrap(), scope_of(first));
        assert_eq!(memo.scope(&doc, read(scope_of(second))).unwrap(), scope_of(first), "kept");
        memo.forget(&doc);
        assert_eq!(memo.scope(&doc, read(scope_of(second))).unwrap(), scope_of(second), "read again");
        assert_eq!(reads.get(), 2);

        // A failed read is not kept: the next asks again.
        let other = DocId::new(DocKind::Family, uuid::Uuid::from_u128(2));
        let failed = memo.scope(&other, |_| Err(DocFailure::Rejected(homevisit_protocol::RejectReason::Busy)));
        assert!(failed.is_err());
        assert_eq!(memo.scope(&other, |_| Ok(None)).unwrap(), None);
    }

    #[test]
    fn past_its_bound_it_starts_again_and_answers_the_same() {
        let mut memo = ScopeMemo::default();
        let school = SchoolId::new();
        for i in 0..(MAX_KEPT as u128 + 10) {
            let doc = DocId::new(DocKind::Family, uuid::Uuid::from_u128(i));
            assert_eq!(memo.scope(&doc, |_| Ok(scope_of(school))).unwrap(), scope_of(school));
        }
        assert!(memo.0.len() <= MAX_KEPT);
    }
}
