//! A small roster builder the modules' tests share: schools, educators, families and visits with
//! only what a test needs to say.

use homevisit_model::{
    Day, Educator, EducatorId, EducatorRole, Family, FamilyAgreement, FamilyId, Grade, Interpreter, InterpreterKind,
    Language, PartnerConfirmation, Place, School, SchoolId, Student, Timestamp, VisitId, VisitLog, VisitNumber,
    VisitOutcome, VisitPlan, VisitStatus,
};

use crate::{Period, ReportData};

pub(crate) fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("a test timestamp")
}

pub(crate) fn day(s: &str) -> Day {
    Day::parse(s).expect("a test day")
}

/// The UTC days `from` to `to`, both included.
pub(crate) fn period(from: &str, to: &str) -> Period {
    Period::days(day(from), day(to), chrono::FixedOffset::east_opt(0).expect("UTC"))
}

#[derive(Default)]
pub(crate) struct Roster {
    pub data: ReportData,
}

impl Roster {
    pub fn school(&mut self, name: &str) -> SchoolId {
        let id = SchoolId::new();
        self.data.schools.push(School { id, name: name.into() });
        id
    }

    /// An educator trained on `trained` (`None`: not trained).
    pub fn educator(&mut self, school: SchoolId, name: &str, trained: Option<&str>) -> EducatorId {
        let id = EducatorId::new();
        self.data.educators.push(Educator {
            id,
            school_id: school,
            display_name: name.into(),
            role: EducatorRole::Teacher,
            training_date: trained.map(day),
        });
        id
    }

    /// A family with one student per `(grade, classes)`.
    pub fn family(&mut self, school: SchoolId, name: &str, students: &[(Grade, &[&str])]) -> FamilyId {
        let id = FamilyId::new();
        self.data.families.push(Family {
            id,
            school_id: school,
            display_name: name.into(),
            preferred_language: Language::english(),
            interpreter_needed: false,
            contact: None,
            students: students
                .iter()
                .enumerate()
                .map(|(i, (grade, classes))| Student {
                    first_name: format!("{name} child {i}"),
                    grade: *grade,
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
            agreement_renewed: None,
        });
        id
    }

    /// A visit to `family` scheduled at `scheduled`, agreed a day before. A completed one started
    /// at its time, lasted an hour and was confirmed by the second educator.
    pub fn visit(
        &mut self,
        family: FamilyId,
        educators: &[EducatorId],
        number: VisitNumber,
        status: VisitStatus,
        scheduled: &str,
    ) -> VisitId {
        let school_id = self.data.families.iter().find(|f| f.id == family).expect("a family of the roster").school_id;
        let scheduled_at = at(scheduled);
        let id = VisitId::new();
        let completed = status == VisitStatus::Completed;
        let hour = chrono::TimeDelta::hours(1);
        let day_before = chrono::TimeDelta::days(1);
        self.data.visits.push(VisitLog {
            plan: VisitPlan {
                id,
                family_id: family,
                school_id,
                visit_number: number,
                educator_ids: educators.to_vec(),
                interpreter: None,
                place: Place::Home,
                scheduled_at,
                family_agreement: Some(FamilyAgreement {
                    agreed_at: Timestamp(scheduled_at.0 - day_before),
                    recorded_by: educators[0],
                }),
                expected_end: Some(Timestamp(scheduled_at.0 + hour)),
            },
            outcome: VisitOutcome {
                status,
                started_at: completed.then_some(scheduled_at),
                ended_at: completed.then_some(Timestamp(scheduled_at.0 + hour)),
                recorded_by: completed.then_some(educators[0]),
                partner_confirmation: completed
                    .then(|| educators.get(1))
                    .flatten()
                    .map(|e| PartnerConfirmation { educator_id: *e, confirmed_at: Timestamp(scheduled_at.0 + hour) }),
                coordinator_confirmation: None,
            },
        });
        id
    }

    /// A completed first visit.
    pub fn completed(&mut self, family: FamilyId, educators: &[EducatorId], scheduled: &str) -> VisitId {
        self.visit(family, educators, VisitNumber::First, VisitStatus::Completed, scheduled)
    }

    pub fn log_mut(&mut self, visit: VisitId) -> &mut VisitLog {
        self.data.visits.iter_mut().find(|v| v.plan.id == visit).expect("a visit of the roster")
    }

    /// A separate interpreter joins `visit`.
    pub fn with_separate_interpreter(&mut self, visit: VisitId) {
        self.log_mut(visit).plan.interpreter =
            Some(Interpreter { language: Language::spanish(), kind: InterpreterKind::Separate });
    }
}
