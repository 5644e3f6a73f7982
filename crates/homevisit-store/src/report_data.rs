//! Gathers what a coordinator's reports read ([`homevisit_reports::ReportData`]) from this
//! device's documents: schools, educators, families and visit logs, each read through
//! [`homevisit_docs::check`]; of a visit's notes, only whether the debrief was marked done (its
//! text is never read).

use homevisit_docs::{Content, DocKind, check, debrief_done};
use homevisit_model::VisitId;
use homevisit_reports::ReportData;

use crate::Store;
use crate::error::{Result, StoreError};

impl Store {
    /// Every record and visit log on this device (what this device may hold is already what its
    /// holder may see), schools by name. A document that cannot be read or fails its check is
    /// left out (every write checks documents, so only damage can leave one here); a database
    /// error fails the whole call.
    pub fn report_data(&mut self) -> Result<ReportData> {
        let mut data = ReportData::default();
        for kind in [DocKind::School, DocKind::Educator, DocKind::Family, DocKind::VisitLog] {
            for id in self.document_ids(Some(kind))? {
                match skip_damaged(self.read(&id, |doc| Ok(check(&id, doc).ok())))? {
                    Some(Content::School(s)) => data.schools.push(s),
                    Some(Content::Educator(e)) => data.educators.push(e),
                    Some(Content::Family(f)) => data.families.push(f),
                    Some(Content::VisitLog(v)) => data.visits.push(v),
                    Some(Content::VisitNotes | Content::PromptPack(_)) | None => {}
                }
            }
        }
        for id in self.document_ids(Some(DocKind::VisitNotes))? {
            if skip_damaged(self.read(&id, |doc| Ok(debrief_done(doc).ok().flatten())))?.is_some() {
                data.debriefed.insert(VisitId(id.id));
            }
        }
        data.schools.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(data)
    }
}

/// A document that could not be read (damaged, or crafted to make Automerge fail) as nothing; any
/// other error as it is.
fn skip_damaged<T>(read: Result<Option<T>>) -> Result<Option<T>> {
    match read {
        Err(StoreError::Document { .. } | StoreError::NotFound(_)) => Ok(None),
        other => other,
    }
}
