//! A small demo district (fictional people) for the README's first command and manual testing.
//! Visits are placed relative to `today` so "today's visits" always has something to show.

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use homevisit_model::*;

use crate::{DataSet, stable_uuid};

fn at(today: NaiveDate, offset: FixedOffset, days: i64, hour: u32, minute: u32) -> Timestamp {
    let local = (today + Duration::days(days)).and_hms_opt(hour, minute, 0).expect("valid time");
    Timestamp(offset.from_local_datetime(&local).unwrap().with_timezone(&chrono::Utc))
}

/// The demo district, with visits around `today` in the time zone at `offset`.
pub fn data_set(today: NaiveDate, offset: FixedOffset) -> DataSet {
    let school = |name: &str| School { id: SchoolId(stable_uuid(&format!("demo/school/{name}"))), name: name.into() };
    let schools = vec![school("Lincoln Elementary"), school("Roosevelt Middle")];
    let (lincoln, roosevelt) = (schools[0].id, schools[1].id);

    let educator = |name: &str, school_id, role, trained: Option<&str>| Educator {
        id: EducatorId(stable_uuid(&format!("demo/educator/{name}"))),
        school_id,
        display_name: name.into(),
        role,
        training_date: trained.and_then(Day::parse),
    };
    let educators = vec![
        educator("Elena Rivera", lincoln, EducatorRole::Teacher, Some("2025-06-20")),
        educator("David Chen", lincoln, EducatorRole::Teacher, Some("2025-06-20")),
        educator("Grace Okafor", lincoln, EducatorRole::Paraprofessional, None),
        educator("Sami Haddad", roosevelt, EducatorRole::Teacher, Some("2024-08-01")),
        educator("Priya Patel", roosevelt, EducatorRole::Counselor, Some("2024-08-01")),
        educator("Dana Johnson", lincoln, EducatorRole::Coordinator, Some("2023-07-10")),
    ];
    let [rivera, chen, okafor, haddad, patel] = [0, 1, 2, 3, 4].map(|i| educators[i].id);

    let family = |name: &str, school_id, lang: &str, interpreter_needed, students: &[(&str, &str)]| Family {
        id: FamilyId(stable_uuid(&format!("demo/family/{name}"))),
        school_id,
        display_name: name.into(),
        preferred_language: Language::parse(lang).expect("valid tag"),
        interpreter_needed,
        contact: Some(ContactPreference { channel: CommunicationChannel::Text, rhythm: "every other week".into() }),
        students: students
            .iter()
            .map(|(n, g)| Student {
                first_name: n.to_string(),
                grade: Grade::parse(g).expect("valid grade"),
                classes: Vec::new(),
            })
            .collect(),
        agreement_renewed: None,
    };
    let families = vec![
        family("Morales family", lincoln, "es", true, &[("Sofia", "2"), ("Mateo", "K")]),
        family("Nguyen family", lincoln, "vi", true, &[("Linh", "4")]),
        family("Brooks family", lincoln, "en", false, &[("Jayden", "3")]),
        family("Haddad family", roosevelt, "ar", true, &[("Yara", "7")]),
        family("Kowalski family", roosevelt, "en", false, &[("Emma", "6"), ("Jan", "8")]),
        family("Mensah family", lincoln, "en", false, &[("Kofi", "1")]),
        family("Tanaka family", roosevelt, "ja", false, &[("Ren", "7")]),
        family("Lopez family", lincoln, "es", false, &[("Camila", "5")]),
    ];

    let mut visits = Vec::new();
    let mut visit = |label: &str,
                     f: usize,
                     pair: [EducatorId; 2],
                     when: Timestamp,
                     place: Place,
                     outcome: VisitOutcome,
                     notes: VisitNotes| {
        let fam: &Family = &families[f];
        let plan = VisitPlan {
            id: VisitId(stable_uuid(&format!("demo/visit/{label}"))),
            family_id: fam.id,
            school_id: fam.school_id,
            visit_number: VisitNumber::First,
            educator_ids: pair.to_vec(),
            interpreter: fam.interpreter_needed.then(|| Interpreter {
                language: fam.preferred_language.clone(),
                kind: if fam.preferred_language.primary() == "es" {
                    InterpreterKind::Educator
                } else {
                    InterpreterKind::Separate
                },
            }),
            place,
            scheduled_at: when,
            family_agreement: Some(FamilyAgreement { agreed_at: when, recorded_by: pair[0] }),
            expected_end: None,
        };
        visits.push((VisitLog { plan, outcome }, notes));
    };
    let planned = VisitOutcome::planned;
    let completed = |start: Timestamp, by: EducatorId, partner: Option<EducatorId>| VisitOutcome {
        status: VisitStatus::Completed,
        started_at: Some(start),
        ended_at: Some(Timestamp(start.0 + Duration::minutes(35))),
        recorded_by: Some(by),
        partner_confirmation: partner.map(|p| PartnerConfirmation { educator_id: p, confirmed_at: start }),
        coordinator_confirmation: None,
    };
    let d = |days, h, m| at(today, offset, days, h, m);

    // Today.
    visit("today-1", 0, [rivera, okafor], d(0, 16, 0), Place::Home, planned(), VisitNotes::default());
    visit(
        "today-2",
        2,
        [chen, rivera],
        d(0, 17, 30),
        Place::Neutral { description: "Public library, main branch".into() },
        planned(),
        VisitNotes::default(),
    );
    visit("today-3", 4, [haddad, patel], d(0, 18, 15), Place::Virtual, planned(), VisitNotes::default());
    // Done, with notes and a debrief.
    let notes = VisitNotes {
        hopes_and_dreams:
            "They hope Linh keeps her love of drawing and becomes the first in the family to go to college.".into(),
        invitation: "Invited the family to the fall literacy night.".into(),
        family_expectations: "Call with good news, not only problems.".into(),
        school_expectations: "Twenty minutes of reading together most evenings.".into(),
        communication_channel: Some(CommunicationChannel::Text),
        communication_rhythm: "A text every other Friday, in Vietnamese.".into(),
        learned: "Grandmother cooks while both parents work late; Linh helps her younger cousins with homework.".into(),
        assumptions_changed: "We thought the family was not interested in conferences; they could not come at 3pm."
            .into(),
        use_in_class: "Linh will lead the drawing station; invite families to an evening showcase.".into(),
        next_steps: "Schedule conferences after 6pm. Send the literacy night flyer in Vietnamese.".into(),
        debrief_done: Some(DebriefDone { by: chen, at: d(-6, 18, 10) }),
    };
    visit("past-1", 1, [rivera, chen], d(-6, 17, 0), Place::Home, completed(d(-6, 17, 5), rivera, Some(chen)), notes);
    visit(
        "past-2",
        3,
        [haddad, patel],
        d(-4, 18, 0),
        Place::Home,
        completed(d(-4, 18, 0), patel, Some(haddad)),
        VisitNotes::default(),
    );
    visit(
        "past-3",
        5,
        [chen, okafor],
        d(-3, 16, 30),
        Place::Home,
        completed(d(-3, 16, 35), chen, None),
        VisitNotes::default(),
    );
    visit(
        "past-4",
        6,
        [patel, haddad],
        d(-2, 17, 0),
        Place::Home,
        VisitOutcome { status: VisitStatus::FamilyNotHome, ..planned() },
        VisitNotes::default(),
    );
    // Coming up.
    visit(
        "soon-1",
        7,
        [rivera, chen],
        d(2, 16, 0),
        Place::Neutral { description: "Community center on Elm".into() },
        VisitOutcome { status: VisitStatus::Confirmed, ..planned() },
        VisitNotes::default(),
    );
    visit("soon-2", 0, [chen, okafor], d(5, 17, 0), Place::Home, planned(), VisitNotes::default());

    DataSet { schools, educators, families, visits }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homevisit_model::validate::{validate_outcome, validate_plan};

    #[test]
    fn the_demo_district_is_valid_and_has_visits_today() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let offset = FixedOffset::west_opt(8 * 3600).unwrap();
        let data = data_set(today, offset);
        for (log, _) in &data.visits {
            validate_plan(&log.plan, &data.educators).unwrap();
            validate_outcome(&log.plan, &log.outcome).unwrap();
        }
        let local_day = |t: Timestamp| t.0.with_timezone(&offset).date_naive();
        assert_eq!(data.visits.iter().filter(|(l, _)| local_day(l.plan.scheduled_at) == today).count(), 3);
    }
}
