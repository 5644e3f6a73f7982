//! A coordinator's report on the phone: a school coordinator's and a district administrator's
//! phones, synced with the demo relay, count the demo district's roster and visits.

mod common;

use homevisit_ffi::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinators_phone_reports_its_schools_reach_and_educators() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, invites) = common::demo_relay(dir.path()).await;
    let now = chrono::Local::now();
    let today = now.date_naive();
    // What the relay holds: the demo roster, and visits placed around today.
    let roster = homevisit_fixtures::demo::roster();
    let visits = homevisit_fixtures::demo::data_set(today, *now.offset());
    let name = |id: homevisit_model::SchoolId| roster.schools.iter().find(|s| s.id == id).unwrap().name.clone();
    let completed: Vec<_> = visits
        .visits
        .iter()
        .map(|(log, _)| log)
        .filter(|l| l.outcome.status == homevisit_model::VisitStatus::Completed)
        .collect();
    let expected = |school: homevisit_model::SchoolId| {
        let families: Vec<_> = roster.families.iter().filter(|f| f.school_id == school).collect();
        let visited = |f: &&&homevisit_model::Family| completed.iter().any(|l| l.plan.family_id == f.id);
        let staff: Vec<_> = roster.educators.iter().filter(|e| e.school_id == school).collect();
        let on_visit = |e: &&&homevisit_model::Educator| completed.iter().any(|l| l.plan.educator_ids.contains(&e.id));
        (
            families.iter().filter(visited).map(|f| f.students.len() as u32).sum::<u32>(),
            families.iter().map(|f| f.students.len() as u32).sum::<u32>(),
            staff.iter().filter(on_visit).count() as u32,
            staff.len() as u32,
            families.iter().filter(visited).count() as u32,
        )
    };
    let got = |s: &SchoolReport| {
        (s.students_visited, s.students_enrolled, s.staff_participating, s.staff_on_roster, s.families_with_first_visit)
    };

    let (from, to) = ((today - chrono::Days::new(30)).to_string(), (today + chrono::Days::new(10)).to_string());
    let coordinator =
        open_app(dir.path().join("c").display().to_string(), generate_database_key().unwrap()).await.unwrap();
    coordinator.enroll(relay.url(), common::code(&invites, "Dana Johnson")).await.unwrap();
    coordinator.shutdown();
    coordinator.sync_now().await.unwrap();
    let school: homevisit_model::SchoolId = coordinator.whoami().await.unwrap().unwrap().school_id.parse().unwrap();

    let report = coordinator.coordinator_report(from.clone(), to.clone()).await.unwrap();
    assert_eq!((report.from_day.as_str(), report.to_day.as_str()), (from.as_str(), to.as_str()));
    assert_eq!(report.schools.len(), 1, "a school coordinator's phone holds its school only");
    let lincoln = &report.schools[0];
    assert_eq!((lincoln.school_id.clone(), lincoln.name.clone()), (school.to_string(), name(school)));
    let want = expected(school);
    assert_eq!(got(lincoln), want);
    assert!(want.0 > 0 && want.2 > 0, "the fixture has completed visits at this school");
    assert_eq!(lincoln.reach_percent, 100.0 * f64::from(want.0) / f64::from(want.1));
    assert_eq!(lincoln.meets_reach_threshold, want.0 * 10 >= want.1);
    assert_eq!(lincoln.meets_staff_threshold, want.2 * 2 >= want.3);
    assert_eq!(lincoln.families_with_second_visit, 0, "the demo has first visits only");

    assert_eq!(report.educators.len() as u32, want.3);
    let chen = report.educators.iter().find(|e| e.display_name == "David Chen").unwrap();
    // Chen: five visits around today, two completed, one of them without the partner's confirmation.
    assert_eq!((chen.visits, chen.completed, chen.documented, chen.first_visits), (5, 2, 1, 2));
    assert!(report.educators.windows(2).all(|w| w[0].completed >= w[1].completed), "most completed first");

    // A period before any visit: everyone on the roster, nothing visited.
    let before = coordinator.coordinator_report("2020-07-01".into(), "2020-08-01".into()).await.unwrap();
    assert_eq!((before.schools[0].students_visited, before.schools[0].staff_participating), (0, 0));
    assert!(!before.schools[0].meets_reach_threshold);
    assert_eq!(before.schools[0].students_enrolled, want.1);

    // Bad days are typed invalid input.
    for (from, to) in [("2026-13-01", "2026-12-05"), ("yesterday", "2026-12-05"), ("2026-12-06", "2026-12-05")] {
        let result = coordinator.coordinator_report(from.into(), to.into()).await;
        assert!(matches!(result, Err(HomevisitError::Invalid { .. })), "{from}..{to}: {result:?}");
    }

    // The district administrator's phone: every school, each counted as the coordinator's is.
    let district =
        open_app(dir.path().join("d").display().to_string(), generate_database_key().unwrap()).await.unwrap();
    district.enroll(relay.url(), common::code(&invites, "District")).await.unwrap();
    district.shutdown();
    district.sync_now().await.unwrap();
    let report = district.coordinator_report(from, to).await.unwrap();
    assert_eq!(report.schools.len(), roster.schools.len());
    for s in &report.schools {
        assert_eq!(got(s), expected(s.school_id.parse().unwrap()), "{}", s.name);
    }
    assert!(report.schools.windows(2).all(|w| w[0].name <= w[1].name), "schools by name");
    relay.stop().await.unwrap();
}
