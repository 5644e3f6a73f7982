//! Access control through the relay, as a matrix of roles and documents: what each enrolled
//! device receives, and which of its writes the relay refuses (storing nothing of them).

use std::collections::BTreeSet;
use std::sync::Mutex;

use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::DataSet;
use homevisit_model::{EducatorId, NoteField, School};
use homevisit_relay::RunningRelay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::RejectReason;
use homevisit_sync::client::{RelayClient, enroll};

fn data() -> DataSet {
    homevisit_e2e::district()
}

fn seed(store: &mut Store, data: &DataSet) -> Result<(), homevisit_store::StoreError> {
    store.import_district(&data.schools, &data.educators, &data.families, &data.visits)
}

struct Phone {
    store: Mutex<Store>,
    client: RelayClient,
}

async fn phone(
    relay: &RunningRelay,
    dir: &std::path::Path,
    name: &str,
    school: &School,
    role: &str,
    educator: Option<EducatorId>,
) -> Phone {
    let role = homevisit_relay::access::Role::from_columns(role, educator.map(|e| e.to_string()).as_deref()).unwrap();
    let code = relay.relay.access().invite(&school.id, &role).unwrap();
    let token = enroll(&relay.url(), &code).await.unwrap().token;
    let store = Store::open(dir.join(format!("{name}.db")), &DbKey::from_bytes([8; 32])).unwrap();
    Phone { store: Mutex::new(store), client: RelayClient::new(&relay.url(), &token).unwrap() }
}

fn held(phone: &Phone) -> BTreeSet<DocId> {
    phone.store.lock().unwrap().document_ids(None).unwrap().into_iter().collect()
}

/// The documents of the visits `educator` is on.
fn visit_docs(data: &DataSet, pick: impl Fn(&homevisit_model::VisitLog) -> bool, kinds: &[DocKind]) -> BTreeSet<DocId> {
    data.visits
        .iter()
        .filter(|(log, _)| pick(log))
        .flat_map(|(log, _)| kinds.iter().map(move |k| DocId::new(*k, log.plan.id.uuid())))
        .collect()
}

fn roster_docs(data: &DataSet, school: &School) -> BTreeSet<DocId> {
    let mut docs = BTreeSet::from([DocId::new(DocKind::School, school.id.uuid())]);
    docs.extend(
        data.educators.iter().filter(|e| e.school_id == school.id).map(|e| DocId::new(DocKind::Educator, e.id.uuid())),
    );
    docs.extend(
        data.families.iter().filter(|f| f.school_id == school.id).map(|f| DocId::new(DocKind::Family, f.id.uuid())),
    );
    docs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_receives_exactly_what_it_may_read() {
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_e2e::start_relay(&dir.path().join("relay")).await;
    let data = data();
    relay.relay.import_with(|s| seed(s, &data)).unwrap();
    let (lincoln, roosevelt) = (&data.schools[0], &data.schools[1]);
    let by_name = |n: &str| data.educators.iter().find(|e| e.display_name == n).unwrap().id;
    let rivera = by_name("Elena Rivera");

    let educator = phone(&relay, dir.path(), "rivera", lincoln, "educator", Some(rivera)).await;
    let coordinator = phone(&relay, dir.path(), "johnson", lincoln, "coordinator", None).await;
    let far_coordinator = phone(&relay, dir.path(), "far", roosevelt, "coordinator", None).await;
    for p in [&educator, &coordinator, &far_coordinator] {
        p.client.sync(&p.store).await.unwrap();
    }

    // The educator: her school's roster, and the log and notes of her own visits only.
    let mut expected = roster_docs(&data, lincoln);
    expected.extend(visit_docs(
        &data,
        |l| l.plan.educator_ids.contains(&rivera),
        &[DocKind::VisitLog, DocKind::VisitNotes],
    ));
    assert_eq!(held(&educator), expected);

    // The coordinator: her school's roster and every visit log of her school, but no notes.
    let mut expected = roster_docs(&data, lincoln);
    expected.extend(visit_docs(&data, |l| l.plan.school_id == lincoln.id, &[DocKind::VisitLog]));
    assert_eq!(held(&coordinator), expected);

    // Another school's coordinator sees nothing of Lincoln.
    let mut expected = roster_docs(&data, roosevelt);
    expected.extend(visit_docs(&data, |l| l.plan.school_id == roosevelt.id, &[DocKind::VisitLog]));
    assert_eq!(held(&far_coordinator), expected);

    // When Lincoln's policy shares notes, its coordinator receives them (read-only).
    relay.relay.access().set_coordinators_read_notes(&lincoln.id, true).unwrap();
    coordinator.client.sync(&coordinator.store).await.unwrap();
    let notes = visit_docs(&data, |l| l.plan.school_id == lincoln.id, &[DocKind::VisitNotes]);
    assert!(notes.is_subset(&held(&coordinator)));
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_a_device_may_not_make_are_refused_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_e2e::start_relay(&dir.path().join("relay")).await;
    let data = data();
    relay.relay.import_with(|s| seed(s, &data)).unwrap();
    let lincoln = &data.schools[0];
    let rivera = data.educators.iter().find(|e| e.display_name == "Elena Rivera").unwrap().id;
    let educator = phone(&relay, dir.path(), "rivera", lincoln, "educator", Some(rivera)).await;
    let coordinator = phone(&relay, dir.path(), "johnson", lincoln, "coordinator", None).await;
    educator.client.sync(&educator.store).await.unwrap();
    coordinator.client.sync(&coordinator.store).await.unwrap();
    let relay_json = |id: DocId| homevisit_e2e::relay_json(&relay.relay, id);

    // An educator may not rename the school (read-only for her)...
    let school_doc = DocId::new(DocKind::School, lincoln.id.uuid());
    let before = relay_json(school_doc);
    educator.store.lock().unwrap().put_school(&School { id: lincoln.id, name: "Renamed".into() }).unwrap();
    // ...nor move her own visit into another school.
    let (mut log, _) = data.visits.iter().find(|(l, _)| l.plan.educator_ids.contains(&rivera)).unwrap().clone();
    let log_doc = DocId::new(DocKind::VisitLog, log.plan.id.uuid());
    let log_before = relay_json(log_doc);
    log.plan.school_id = data.schools[1].id;
    educator.store.lock().unwrap().update_plan(&log.plan).unwrap();
    // But her notes are hers to write.
    educator.store.lock().unwrap().set_note(log.plan.id, NoteField::NextSteps, "Call on Friday.").unwrap();

    let report = educator.client.sync(&educator.store).await.unwrap();
    let refused: BTreeSet<_> = report.refused_by_peer.iter().map(|(d, r)| (*d, *r)).collect();
    assert_eq!(refused, BTreeSet::from([(school_doc, RejectReason::Forbidden), (log_doc, RejectReason::Forbidden)]));
    assert_eq!(relay_json(school_doc), before, "nothing of a refused write is stored");
    assert_eq!(relay_json(log_doc), log_before);
    let notes = homevisit_e2e::relay_note(&relay.relay, log.plan.id, NoteField::NextSteps);
    assert_eq!(notes, "Call on Friday.");

    // A coordinator reads visit logs but may not change them.
    let (log, _) = &data.visits[0];
    let mut changed = log.clone();
    changed.plan.place = homevisit_model::Place::Virtual;
    coordinator.store.lock().unwrap().update_plan(&changed.plan).unwrap();
    let report = coordinator.client.sync(&coordinator.store).await.unwrap();
    assert!(
        report
            .refused_by_peer
            .iter()
            .any(|(d, r)| *d == DocId::new(DocKind::VisitLog, log.plan.id.uuid()) && *r == RejectReason::Forbidden)
    );
    let stored = homevisit_e2e::relay_visit_log(&relay.relay, log.plan.id);
    assert_eq!(stored.plan.place, log.plan.place);
    relay.stop().await.unwrap();
}

/// A district administrator covers every school, whichever one its device was enrolled in: every
/// school's roster and visit logs; notes only of a school whose policy shares them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_admin_reads_every_schools_logs_and_notes_only_by_each_schools_policy() {
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_e2e::start_relay(&dir.path().join("relay")).await;
    let data = data();
    relay.relay.import_with(|s| seed(s, &data)).unwrap();
    let (lincoln, roosevelt) = (&data.schools[0], &data.schools[1]);
    // Enrolled in Roosevelt: Lincoln is just as much its district's.
    let admin = phone(&relay, dir.path(), "district", roosevelt, "district_admin", None).await;
    admin.client.sync(&admin.store).await.unwrap();

    let mut expected = BTreeSet::new();
    for school in &data.schools {
        expected.extend(roster_docs(&data, school));
    }
    expected.extend(visit_docs(&data, |_| true, &[DocKind::VisitLog]));
    assert!(data.schools.len() >= 2 && data.visits.iter().any(|(l, _)| l.plan.school_id == lincoln.id));
    assert_eq!(held(&admin), expected, "every school's roster and logs, no notes");

    // Lincoln shares notes, Roosevelt does not: Lincoln's notes arrive, Roosevelt's stay away.
    relay.relay.access().set_coordinators_read_notes(&lincoln.id, true).unwrap();
    admin.client.sync(&admin.store).await.unwrap();
    expected.extend(visit_docs(&data, |l| l.plan.school_id == lincoln.id, &[DocKind::VisitNotes]));
    assert_eq!(held(&admin), expected);
    // Read-only: a log it changes is refused.
    let (log, _) = data.visits.iter().find(|(l, _)| l.plan.school_id == lincoln.id).unwrap();
    let mut changed = log.clone();
    changed.plan.place = homevisit_model::Place::Virtual;
    admin.store.lock().unwrap().update_plan(&changed.plan).unwrap();
    let report = admin.client.sync(&admin.store).await.unwrap();
    let log_doc = DocId::new(DocKind::VisitLog, log.plan.id.uuid());
    assert!(report.refused_by_peer.iter().any(|(d, r)| *d == log_doc && *r == RejectReason::Forbidden));
    assert_eq!(homevisit_e2e::relay_visit_log(&relay.relay, log.plan.id).plan.place, log.plan.place);
    relay.stop().await.unwrap();
}

/// A school coordinator is kept to its school: it receives nothing of another school, even when
/// that school shares notes, and what it writes there is refused and not stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_coordinator_reaches_nothing_of_another_school() {
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_e2e::start_relay(&dir.path().join("relay")).await;
    let data = data();
    relay.relay.import_with(|s| seed(s, &data)).unwrap();
    let (lincoln, roosevelt) = (&data.schools[0], &data.schools[1]);
    relay.relay.access().set_coordinators_read_notes(&lincoln.id, true).unwrap();
    relay.relay.access().set_coordinators_read_notes(&roosevelt.id, true).unwrap();
    let far = phone(&relay, dir.path(), "far", roosevelt, "coordinator", None).await;
    far.client.sync(&far.store).await.unwrap();
    let of_lincoln = |d: &DocId| {
        roster_docs(&data, lincoln).contains(d)
            || visit_docs(&data, |l| l.plan.school_id == lincoln.id, &[DocKind::VisitLog, DocKind::VisitNotes])
                .contains(d)
    };
    assert!(!held(&far).iter().any(of_lincoln), "nothing of Lincoln");

    // It writes a Lincoln family's record (a copy it made): refused, the relay's stays.
    let family = data.families.iter().find(|f| f.school_id == lincoln.id).unwrap();
    let family_doc = DocId::new(DocKind::Family, family.id.uuid());
    let before = homevisit_e2e::relay_json(&relay.relay, family_doc);
    let mut renamed = family.clone();
    renamed.display_name = "Changed family".into();
    far.store.lock().unwrap().put_family(&renamed).unwrap();
    let report = far.client.sync(&far.store).await.unwrap();
    assert!(report.refused_by_peer.iter().any(|(d, _)| *d == family_doc), "{:?}", report.refused_by_peer);
    assert_eq!(homevisit_e2e::relay_json(&relay.relay, family_doc), before);
    relay.stop().await.unwrap();
}

/// A family new to the relay and the first visit planned with it, made offline and sent in one
/// sync: the visit is judged against the family as the same request stored it (the relay's
/// records as they are once it is stored, not as they were read before: the family was asked
/// about, as new, on its way in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_family_and_its_first_visit_arrive_in_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_e2e::start_relay(&dir.path().join("relay")).await;
    let data = data();
    relay.relay.import_with(|s| seed(s, &data)).unwrap();
    let (log, _) = data.visits.iter().find(|(log, _)| log.plan.educator_ids.len() == 2).unwrap();
    let school = data.schools.iter().find(|s| s.id == log.plan.school_id).unwrap();
    let me = log.plan.educator_ids[0];
    let educator = phone(&relay, dir.path(), "educator", school, "educator", Some(me)).await;
    educator.client.sync(&educator.store).await.unwrap();

    let known = data.families.iter().find(|f| f.id == log.plan.family_id).unwrap();
    let family = homevisit_model::Family {
        id: homevisit_model::FamilyId::new(),
        display_name: "A family new this week".into(),
        agreement_renewed: None,
        ..known.clone()
    };
    let mut plan =
        homevisit_model::VisitPlan { id: homevisit_model::VisitId::new(), family_id: family.id, ..log.plan.clone() };
    if let Some(agreement) = plan.family_agreement.as_mut() {
        agreement.recorded_by = me;
    }
    {
        let mut store = educator.store.lock().unwrap();
        store.put_family(&family).unwrap();
        store.plan_visit(&plan).unwrap();
    }
    let report = educator.client.sync(&educator.store).await.unwrap();
    assert!(report.refused_by_peer.is_empty(), "{:?}", report.refused_by_peer);
    assert_eq!(homevisit_e2e::relay_visit_log(&relay.relay, plan.id).plan.family_id, family.id);
    assert_eq!(educator.store.lock().unwrap().unsynced_count(homevisit_sync::client::RELAY_PEER).unwrap(), 0);
    relay.stop().await.unwrap();
}
