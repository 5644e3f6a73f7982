//! A small demo district (fictional people) for the README's first command and manual testing.
//! Its roster is a OneRoster 1.1 CSV export (`demo-district/`, compiled in), parsed exactly as a
//! district's is; visits are placed relative to `today` so "today's visits" always has something
//! to show.

use std::collections::BTreeMap;

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use homevisit_model::*;
use homevisit_roster::{Format, Roster, ids};

use crate::{DataSet, stable_uuid};

/// The demo district's OneRoster export, by file name: the files `roster import` reads.
pub fn oneroster_files() -> BTreeMap<String, Vec<u8>> {
    [
        ("orgs.csv", &include_bytes!("../demo-district/orgs.csv")[..]),
        ("users.csv", &include_bytes!("../demo-district/users.csv")[..]),
        ("classes.csv", &include_bytes!("../demo-district/classes.csv")[..]),
        ("enrollments.csv", &include_bytes!("../demo-district/enrollments.csv")[..]),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
    .collect()
}

/// The demo district's roster, parsed from [`oneroster_files`] as a district's is.
pub fn roster() -> Roster {
    homevisit_roster::parse(Format::OneRoster, &oneroster_files())
        .expect("the demo district's OneRoster export is valid")
}

fn at(today: NaiveDate, offset: FixedOffset, days: i64, hour: u32, minute: u32) -> Timestamp {
    let local = (today + Duration::days(days)).and_hms_opt(hour, minute, 0).expect("valid time");
    Timestamp(offset.from_local_datetime(&local).unwrap().with_timezone(&chrono::Utc))
}

/// The demo district, with visits around `today` in the time zone at `offset`. Its schools,
/// educators and families are [`roster`]'s (in the order below), so a relay that imported the
/// roster holds the records these visits name.
pub fn data_set(today: NaiveDate, offset: FixedOffset) -> DataSet {
    data_set_of(&roster(), today, offset)
}

/// [`data_set`] from the demo roster already parsed (what a demo import parsed once).
pub fn data_set_of(roster: &Roster, today: NaiveDate, offset: FixedOffset) -> DataSet {
    const F: Format = Format::OneRoster;
    let school = |source: &str| {
        let id = ids::school_id(F, source);
        roster.schools.iter().find(|s| s.id == id).cloned().expect("a demo school")
    };
    let schools = vec![school("sch-lincoln"), school("sch-roosevelt")];
    let educator = |staff: &str, school: &str| {
        let id = ids::educator_id(F, staff, school);
        roster.educators.iter().find(|e| e.id == id).cloned().expect("a demo educator")
    };
    let educators = vec![
        educator("stf-rivera", "sch-lincoln"),
        educator("stf-chen", "sch-lincoln"),
        educator("stf-okafor", "sch-lincoln"),
        educator("stf-haddad", "sch-roosevelt"),
        educator("stf-patel", "sch-roosevelt"),
        educator("stf-johnson", "sch-lincoln"),
    ];
    let [rivera, chen, okafor, haddad, patel] = [0, 1, 2, 3, 4].map(|i| educators[i].id);
    // A family is keyed by its first guardian.
    let family = |guardian: &str, school: &str| {
        let id = ids::family_id(F, guardian, school);
        roster.families.iter().find(|f| f.id == id).cloned().expect("a demo family")
    };
    let families = vec![
        family("g-morales-1", "sch-lincoln"),
        family("g-nguyen", "sch-lincoln"),
        family("g-brooks", "sch-lincoln"),
        family("g-haddad", "sch-roosevelt"),
        family("g-kowalski", "sch-roosevelt"),
        family("g-mensah", "sch-lincoln"),
        family("g-tanaka", "sch-roosevelt"),
        family("g-lopez", "sch-lincoln"),
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

    #[test]
    fn the_demo_data_set_is_exactly_its_oneroster_roster() {
        let data = data_set(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), FixedOffset::east_opt(0).unwrap());
        let roster = roster();
        fn sorted<T: Clone, K: Ord>(v: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
            let mut v = v.to_vec();
            v.sort_by_key(key);
            v
        }
        assert_eq!(sorted(&data.schools, |s| s.id), roster.schools);
        assert_eq!(sorted(&data.educators, |e| e.id), roster.educators);
        assert_eq!(sorted(&data.families, |f| f.id), roster.families);
        let name = |i: usize| data.educators[i].display_name.as_str();
        assert_eq!([name(0), name(2), name(5)], ["Elena Rivera", "Grace Okafor", "Dana Johnson"]);
        assert_eq!(data.educators[5].role, EducatorRole::Coordinator, "by the metadata.homevisit.role column");
        assert_eq!(data.educators[2].role, EducatorRole::Paraprofessional, "an aide");
        let morales = &data.families[0];
        assert_eq!(morales.display_name, "Morales family");
        assert_eq!((morales.preferred_language.as_str(), morales.interpreter_needed), ("es", true));
        let sofia = morales.students.iter().find(|s| s.first_name == "Sofia").unwrap();
        assert_eq!(sofia.classes.len(), 2, "a student in two classes: {:?}", sofia.classes);
    }
}
