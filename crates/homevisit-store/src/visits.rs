//! The domain operations screens call: roster records, planning visits, outcomes and the partner's
//! confirmation, notes and debrief editing (and the pair's "debrief done" mark), bulk import.
//! Each validates first and is durable when it returns. (Prompt packs: `prompts.rs`.)

use homevisit_docs::{DocId, DocKind, Record, create_notes_with, create_record, read_record, write_record};
use homevisit_model::validate::validate_plan;
use homevisit_model::{
    CommunicationChannel, CoordinatorConfirmation, Day, DebriefDone, Educator, EducatorId, Family, FamilyId, NoteField,
    PartnerConfirmation, School, SchoolId, Timestamp, ValidationError, VisitId, VisitLog, VisitNotes, VisitOutcome,
    VisitPlan,
};

use crate::documents::PreparedDoc;
use crate::error::{Result, StoreError};
use crate::{Store, parallel};
use homevisit_docs::Content as Rows;

/// One visit for [`Store::import_visits`]: its log and its notes.
#[derive(Clone, Debug)]
pub struct VisitImport {
    pub log: VisitLog,
    pub notes: VisitNotes,
}

fn log_id(visit: VisitId) -> DocId {
    DocId::new(DocKind::VisitLog, visit.uuid())
}

fn notes_id(visit: VisitId) -> DocId {
    DocId::new(DocKind::VisitNotes, visit.uuid())
}

impl Store {
    /// Creates or updates a record document (only changed fields are written).
    pub(crate) fn put_record<T: Record>(&mut self, value: &T) -> Result<()> {
        let id = value.doc_id();
        if self.contains_document(&id)? {
            return self.edit_document(&id, |doc| write_record(doc, value));
        }
        let mut doc = create_record(value, &self.actor).map_err(StoreError::doc(id))?;
        self.insert_documents(&[PreparedDoc::new(id, &mut doc, None)?])
    }

    pub(crate) fn get_record<T: Record>(&mut self, id: DocId) -> Result<T> {
        self.read(&id, |doc| read_record(doc))
    }

    pub fn put_school(&mut self, school: &School) -> Result<()> {
        self.put_record(school)
    }

    pub fn put_educator(&mut self, educator: &Educator) -> Result<()> {
        self.put_record(educator)
    }

    pub fn put_family(&mut self, family: &Family) -> Result<()> {
        self.put_record(family)
    }

    pub fn school(&mut self, id: SchoolId) -> Result<School> {
        self.get_record(DocId::new(DocKind::School, id.uuid()))
    }

    pub fn educator(&mut self, id: EducatorId) -> Result<Educator> {
        self.get_record(DocId::new(DocKind::Educator, id.uuid()))
    }

    pub fn family(&mut self, id: FamilyId) -> Result<Family> {
        self.get_record(DocId::new(DocKind::Family, id.uuid()))
    }

    /// Every school known on this device.
    pub fn schools(&self) -> Result<Vec<School>> {
        let mut stmt = self.conn.prepare_cached("SELECT school_id, name FROM school_index ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name) = row?;
            if let Ok(id) = id.parse() {
                out.push(School { id, name });
            }
        }
        Ok(out)
    }

    /// Every educator known on this device, from the query table (no document is loaded).
    pub fn educators(&self) -> Result<Vec<Educator>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT educator_id, school_id, display_name, role, training_date FROM educator_index ORDER BY display_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, school, name, role, trained) = row?;
            let (Ok(id), Ok(school_id), Ok(role)) =
                (id.parse(), school.parse(), serde_json::from_value(serde_json::Value::String(role)))
            else {
                continue;
            };
            out.push(Educator {
                id,
                school_id,
                display_name: name,
                role,
                training_date: trained.and_then(|d| Day::parse(&d)),
            });
        }
        Ok(out)
    }

    /// Families known on this device: (id, school, display name), by name.
    pub fn families(&self) -> Result<Vec<(FamilyId, SchoolId, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT family_id, school_id, display_name FROM family_index ORDER BY display_name")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (f, s, name) = row?;
            if let (Ok(f), Ok(s)) = (f.parse(), s.parse()) {
                out.push((f, s, name));
            }
        }
        Ok(out)
    }

    fn check_plan(&self, plan: &VisitPlan, roster: &[Educator]) -> Result<()> {
        validate_plan(plan, roster)?;
        Ok(())
    }

    /// Plans a visit: its log (plan + "planned" outcome) and its empty notes, stored together.
    /// Refused for a family whose "no" stands ([`ValidationError::FamilyDeclined`]).
    pub fn plan_visit(&mut self, plan: &VisitPlan) -> Result<()> {
        self.check_not_declined(plan.family_id)?;
        self.import_visits(&[VisitImport {
            log: VisitLog { plan: plan.clone(), outcome: VisitOutcome::planned() },
            notes: VisitNotes::default(),
        }])
    }

    /// Stores many visits in one transaction: all of them or none. Each is validated like a plan.
    /// Building the documents, the expensive part, runs on every core.
    pub fn import_visits(&mut self, visits: &[VisitImport]) -> Result<()> {
        let roster = self.educators()?;
        for v in visits {
            self.check_plan(&v.log.plan, &roster)?;
        }
        let actor = self.actor.clone();
        let prepared = parallel::map(visits, |v| -> Result<[PreparedDoc; 2]> {
            let id = v.log.plan.id;
            let mut log = create_record(&v.log, &actor).map_err(StoreError::doc(log_id(id)))?;
            let mut notes = create_notes_with(id, &v.notes, &actor).map_err(StoreError::doc(notes_id(id)))?;
            Ok([
                PreparedDoc::new(log_id(id), &mut log, Some(Rows::VisitLog(v.log.clone())))?,
                PreparedDoc::new(notes_id(id), &mut notes, Some(Rows::VisitNotes))?,
            ])
        })?;
        self.insert_documents(&prepared.into_iter().flatten().collect::<Vec<_>>())
    }

    /// Imports a district: its schools and educators, then its families, then its visits with
    /// their notes (what a district's import, a demo, or a test starts from).
    pub fn import_district(
        &mut self,
        schools: &[School],
        educators: &[Educator],
        families: &[Family],
        visits: &[(VisitLog, VisitNotes)],
    ) -> Result<()> {
        schools.iter().try_for_each(|s| self.put_school(s))?;
        educators.iter().try_for_each(|e| self.put_educator(e))?;
        self.import_families(families)?;
        let visits: Vec<VisitImport> =
            visits.iter().map(|(log, notes)| VisitImport { log: log.clone(), notes: notes.clone() }).collect();
        self.import_visits(&visits)
    }

    /// Stores many families in one transaction: all of them or none.
    pub fn import_families(&mut self, families: &[Family]) -> Result<()> {
        let actor = self.actor.clone();
        let prepared = parallel::map(families, |f| {
            let mut doc = create_record(f, &actor).map_err(StoreError::doc(f.doc_id()))?;
            PreparedDoc::new(f.doc_id(), &mut doc, Some(Rows::Family(f.clone())))
        })?;
        self.insert_documents(&prepared)
    }

    pub fn visit_log(&mut self, visit: VisitId) -> Result<VisitLog> {
        self.get_record(log_id(visit))
    }

    /// Changes a visit's plan (time, place, partners, agreement...). The outcome is kept.
    pub fn update_plan(&mut self, plan: &VisitPlan) -> Result<()> {
        let roster = self.educators()?;
        self.check_plan(plan, &roster)?;
        self.edit_document(&log_id(plan.id), |doc| {
            let mut log: VisitLog = read_record(doc)?;
            log.plan = plan.clone();
            write_record(doc, &log)
        })
    }

    /// Records how the visit went. A change to the outcome clears an earlier partner confirmation
    /// (the partner confirmed something else).
    pub fn record_outcome(&mut self, visit: VisitId, outcome: &VisitOutcome) -> Result<()> {
        self.edit_document(&log_id(visit), |doc| {
            let mut log: VisitLog = read_record(doc)?;
            let without_confirmation = |o: &VisitOutcome| VisitOutcome {
                partner_confirmation: None,
                coordinator_confirmation: None,
                ..o.clone()
            };
            let mut next = outcome.clone();
            if without_confirmation(&log.outcome) == without_confirmation(&next) {
                if next.partner_confirmation.is_none() {
                    next.partner_confirmation = log.outcome.partner_confirmation.take();
                }
                if next.coordinator_confirmation.is_none() {
                    next.coordinator_confirmation = log.outcome.coordinator_confirmation.take();
                }
            }
            log.outcome = next;
            write_record(doc, &log)
        })
    }

    /// A school coordinator confirms a visit made by one educator with a separate interpreter (no
    /// partner to confirm it); on the relay only a coordinator's device may write this.
    pub fn coordinator_confirm_visit(&mut self, visit: VisitId, at: Timestamp) -> Result<()> {
        self.edit_document(&log_id(visit), |doc| {
            let mut log: VisitLog = read_record(doc)?;
            log.outcome.coordinator_confirmation = Some(CoordinatorConfirmation { confirmed_at: at });
            write_record(doc, &log)
        })
    }

    /// The partner confirms the visit happened: the proof a stipend is paid on.
    pub fn confirm_visit(&mut self, visit: VisitId, partner: EducatorId, at: Timestamp) -> Result<()> {
        self.edit_document(&log_id(visit), |doc| {
            let mut log: VisitLog = read_record(doc)?;
            log.outcome.partner_confirmation = Some(PartnerConfirmation { educator_id: partner, confirmed_at: at });
            write_record(doc, &log)
        })
    }

    pub fn visit_notes(&mut self, visit: VisitId) -> Result<VisitNotes> {
        self.read(&notes_id(visit), homevisit_docs::read_notes)
    }

    pub fn note(&mut self, visit: VisitId, field: NoteField) -> Result<String> {
        self.read(&notes_id(visit), |doc| homevisit_docs::note_text(doc, field))
    }

    /// Deletes `delete` UTF-16 units at `pos` of a note field and inserts `text` there.
    pub fn splice_note(
        &mut self,
        visit: VisitId,
        field: NoteField,
        pos: usize,
        delete: usize,
        text: &str,
    ) -> Result<()> {
        self.edit_document(&notes_id(visit), |doc| homevisit_docs::splice_note(doc, field, pos, delete, text))
    }

    /// Sets a note field to `text` (stored as the minimal diff, so concurrent edits elsewhere survive).
    pub fn set_note(&mut self, visit: VisitId, field: NoteField, text: &str) -> Result<()> {
        self.edit_document(&notes_id(visit), |doc| homevisit_docs::set_note_text(doc, field, text))
    }

    /// The pair marks its debrief finished: `by` must be one of the visit's educators. Marking
    /// again (the partner, later) replaces who and when.
    pub fn mark_debrief_done(&mut self, visit: VisitId, by: EducatorId, at: Timestamp) -> Result<()> {
        let log = self.visit_log(visit)?;
        if !log.plan.educator_ids.contains(&by) {
            return Err(StoreError::Invalid(ValidationError::NotOnVisit(by)));
        }
        let done = DebriefDone { by, at };
        self.edit_document(&notes_id(visit), |doc| homevisit_docs::set_debrief_done(doc, Some(&done)))
    }

    /// Takes the "debrief done" mark back (the pair has more to write).
    pub fn reopen_debrief(&mut self, visit: VisitId) -> Result<()> {
        self.edit_document(&notes_id(visit), |doc| homevisit_docs::set_debrief_done(doc, None))
    }

    pub fn set_communication_channel(&mut self, visit: VisitId, channel: Option<CommunicationChannel>) -> Result<()> {
        self.edit_document(&notes_id(visit), |doc| homevisit_docs::set_channel(doc, channel))
    }
}
