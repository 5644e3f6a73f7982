//! Records a coordinator can pay from, and the family's "no" (issue 11, items 3 and 4), against a
//! real relay in a process of its own (embedded, or PostgreSQL when `HOMEVISIT_TEST_POSTGRES` is
//! set). Hostile devices are enrolled educators whose visits these are: the relay decides from its
//! own records (which device attested what; which family declined), never from the document.

use std::path::Path;
use std::sync::Arc;

use homevisit_docs::automerge::{ActorId, AutoCommit};
use homevisit_docs::{DocId, DocKind, create_record, write_record};
use homevisit_e2e::attacker::{self, Device, educator, refusal, snapshot};
use homevisit_e2e::{RelayProcess, relay_visit_log};
use homevisit_fixtures::DataSet;
use homevisit_model::{
    AgreementRenewal, EducatorId, Family, FamilyAgreement, PartnerConfirmation, Place, Timestamp, ValidationError,
    VisitId, VisitLog, VisitNumber, VisitOutcome, VisitPlan, VisitStatus,
};
use homevisit_protocol::RejectReason;
use homevisit_relay::Relay;
use homevisit_relay::access::Role;
use homevisit_relay::attest::{Attested, IMPORT};
use homevisit_store::StoreError;

/// The relay process every test here starts (see `homevisit_e2e::RelayProcess`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the records tests, started by them"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

fn seeded_relay(dir: &Path) -> (RelayProcess, Arc<Relay>, DataSet) {
    attacker::seeded_relay(dir, "relay_process", "", &[])
}

fn log_id(visit: VisitId) -> DocId {
    DocId::new(DocKind::VisitLog, visit.uuid())
}

/// The relay's visit log, changed by `edit`, as a device that holds it would send it.
fn edited(admin: &Relay, visit: VisitId, edit: impl FnOnce(&mut VisitLog)) -> AutoCommit {
    let mut doc = admin.document(&log_id(visit)).unwrap().expect("the relay has the visit").fork();
    doc.set_actor(ActorId::random());
    let mut log: VisitLog = homevisit_docs::read_record(&doc).unwrap();
    edit(&mut log);
    write_record(&mut doc, &log).unwrap();
    doc
}

/// Sends `doc` as `device`; the relay's reason if it refused it.
async fn send(device: &Device, id: DocId, doc: &mut AutoCommit) -> Option<RejectReason> {
    let (status, reply) = device.send(vec![snapshot(id, doc)]).await;
    assert_eq!(status, 200);
    refusal(&reply.unwrap(), id)
}

/// Rivera and Okafor's visit planned for today, whose family says no at the door: Rivera records
/// it on her phone, which syncs it to the relay.
async fn declined_at_the_door(data: &DataSet, rivera_phone: &Device, rivera: EducatorId) -> VisitLog {
    let declined = attacker::visit_of(data, &["Elena Rivera", "Grace Okafor"]); // planned for today
    rivera_phone.sync().await;
    rivera_phone.store.lock().unwrap().record_family_decline(declined.plan.id, rivera).unwrap();
    rivera_phone.sync().await;
    assert_eq!(rivera_phone.unsynced(), 0);
    declined
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_partners_own_device_confirms_and_the_relay_records_who_and_when() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let (rivera, okafor, chen) =
        (educator(&data, "Elena Rivera"), educator(&data, "Grace Okafor"), educator(&data, "David Chen"));
    let [rivera_phone, okafor_phone, chen_phone] = [
        Device::enroll(&admin, &relay.url(), dir.path(), rivera).await,
        Device::enroll(&admin, &relay.url(), dir.path(), okafor).await,
        Device::enroll(&admin, &relay.url(), dir.path(), chen).await,
    ];
    let lopez = data.families.iter().find(|f| f.display_name == "Lopez family").unwrap();

    // Rivera plans a visit of three (Chen is on it too, so his device may write it), records the
    // family's agreement and the outcome on her phone, and syncs.
    rivera_phone.sync().await;
    let plan = VisitPlan {
        id: VisitId::new(),
        family_id: lopez.id,
        school_id: lopez.school_id,
        visit_number: VisitNumber::First,
        educator_ids: vec![rivera.id, okafor.id, chen.id],
        interpreter: None,
        place: Place::Home,
        scheduled_at: Timestamp::parse_rfc3339("2026-11-20T17:00:00Z").unwrap(),
        family_agreement: Some(FamilyAgreement { agreed_at: Timestamp::now(), recorded_by: rivera.id }),
        expected_end: None,
    };
    let visit = plan.id;
    let outcome = VisitOutcome {
        status: VisitStatus::Completed,
        started_at: Timestamp::parse_rfc3339("2026-11-20T17:00:00Z"),
        ended_at: Timestamp::parse_rfc3339("2026-11-20T17:40:00Z"),
        recorded_by: Some(rivera.id),
        partner_confirmation: None,
        coordinator_confirmation: None,
    };
    {
        let mut store = rivera_phone.store.lock().unwrap();
        store.plan_visit(&plan).unwrap();
        store.record_outcome(visit, &outcome).unwrap();
    }
    rivera_phone.sync().await;
    assert_eq!(rivera_phone.unsynced(), 0, "her own outcome and agreement are accepted");
    assert_eq!(relay_visit_log(&admin, visit).outcome.recorded_by, Some(rivera.id));

    let confirmed_by = |who| {
        move |log: &mut VisitLog| {
            log.outcome.partner_confirmation =
                Some(PartnerConfirmation { educator_id: who, confirmed_at: Timestamp::now() })
        }
    };
    // The recorder's own device confirming for her partner: refused.
    let mut doc = edited(&admin, visit, confirmed_by(okafor.id));
    assert_eq!(send(&rivera_phone, log_id(visit), &mut doc).await, Some(RejectReason::Forbidden));
    // A third educator of the visit confirming in the partner's name: refused.
    let mut doc = edited(&admin, visit, confirmed_by(okafor.id));
    assert_eq!(send(&chen_phone, log_id(visit), &mut doc).await, Some(RejectReason::Forbidden));
    // Chen rewriting who recorded the outcome to Okafor: refused.
    let mut doc = edited(&admin, visit, |log| log.outcome.recorded_by = Some(okafor.id));
    assert_eq!(send(&chen_phone, log_id(visit), &mut doc).await, Some(RejectReason::Forbidden));
    // Nothing of them was stored.
    let stored = relay_visit_log(&admin, visit);
    assert_eq!((stored.outcome.recorded_by, stored.outcome.partner_confirmation), (Some(rivera.id), None));

    // The partner's own phone confirms: accepted, and attested with her device and the relay's time.
    okafor_phone.sync().await;
    let before = chrono::Utc::now();
    okafor_phone.store.lock().unwrap().confirm_visit(visit, okafor.id, Timestamp::now()).unwrap();
    okafor_phone.sync().await;
    assert_eq!(okafor_phone.unsynced(), 0, "the partner's confirmation is accepted");
    assert!(relay_visit_log(&admin, visit).is_documented());
    let rows = admin.attestations(visit).unwrap();
    let current = |what| rows.iter().rev().find(|r| r.what == what).unwrap();
    let confirmation = current(Attested::PartnerConfirmation);
    assert_eq!(confirmation.educator, Some(okafor.id));
    assert_eq!(confirmation.device, okafor_phone.device_id.as_str());
    let at = chrono::DateTime::parse_from_rfc3339(&confirmation.at).unwrap();
    assert!(at >= before - chrono::Duration::seconds(1) && at <= chrono::Utc::now(), "relay time: {at}");
    for what in [Attested::OutcomeRecordedBy, Attested::FamilyAgreement] {
        assert_eq!(current(what).educator, Some(rivera.id));
        assert_eq!(current(what).device, rivera_phone.device_id.as_str());
    }
    // The demo district's visits were imported: attested as the import's.
    let past = attacker::visit_of(&data, &["Elena Rivera", "David Chen"]).plan.id;
    let imported = admin.attestations(past).unwrap();
    assert_eq!(imported.len(), 3);
    assert!(imported.iter().all(|r| r.device == IMPORT), "{imported:?}");
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_family_is_not_planned_until_a_coordinator_records_its_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let (rivera, chen, johnson) =
        (educator(&data, "Elena Rivera"), educator(&data, "David Chen"), educator(&data, "Dana Johnson"));
    let rivera_phone = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let chen_phone = Device::enroll(&admin, &relay.url(), dir.path(), chen).await;
    let coordinator = Device::enroll_as(
        &admin,
        &relay.url(),
        dir.path(),
        &johnson.school_id,
        &Role::SchoolCoordinator,
        "coordinator",
    )
    .await;
    let declined = declined_at_the_door(&data, &rivera_phone, rivera.id).await;
    let family = declined.plan.family_id;
    assert_eq!(relay_visit_log(&admin, declined.plan.id).outcome.status, VisitStatus::FamilyDeclined);

    // Her phone refuses to plan the family again.
    let next = VisitPlan {
        id: VisitId::new(),
        scheduled_at: Timestamp::parse_rfc3339("2026-12-10T17:00:00Z").unwrap(),
        family_agreement: None,
        ..declined.plan.clone()
    };
    let refused = rivera_phone.store.lock().unwrap().plan_visit(&next);
    assert!(matches!(refused, Err(StoreError::Invalid(ValidationError::FamilyDeclined(f))) if f == family));

    // A hostile colleague crafts a visit log for the family anyway: refused, nothing stored.
    let crafted = VisitLog {
        plan: VisitPlan { id: VisitId::new(), educator_ids: vec![chen.id, rivera.id], ..next.clone() },
        outcome: VisitOutcome::planned(),
    };
    let crafted_id = log_id(crafted.plan.id);
    let mut doc = create_record(&crafted, &ActorId::random()).unwrap();
    assert_eq!(send(&chen_phone, crafted_id, &mut doc).await, Some(RejectReason::Forbidden));
    assert!(admin.document(&crafted_id).unwrap().is_none());
    // Nor can a colleague lift the "no" by writing the renewal into the family record.
    chen_phone.sync().await;
    let family_doc = DocId::new(DocKind::Family, family.uuid());
    let mut doc = admin.document(&family_doc).unwrap().unwrap().fork();
    doc.set_actor(ActorId::random());
    let record: Family = homevisit_docs::read_record(&doc).unwrap();
    let lifted = Family {
        agreement_renewed: Some(AgreementRenewal { agreed_at: Timestamp::now(), lifts: vec![declined.plan.id] }),
        ..record
    };
    write_record(&mut doc, &lifted).unwrap();
    assert_eq!(send(&chen_phone, family_doc, &mut doc).await, Some(RejectReason::Forbidden));
    // Nor undo it on the visit.
    let mut doc = edited(&admin, declined.plan.id, |log| log.outcome.status = VisitStatus::Planned);
    assert_eq!(send(&chen_phone, log_id(declined.plan.id), &mut doc).await, Some(RejectReason::Forbidden));

    // The coordinator's phone records that the family agreed again.
    coordinator.sync().await;
    coordinator.store.lock().unwrap().renew_family_agreement(family, Timestamp::now()).unwrap();
    coordinator.sync().await;
    assert_eq!(coordinator.unsynced(), 0, "the coordinator's renewal is accepted");

    // Planning works again, on the phone and on the relay.
    rivera_phone.sync().await;
    assert!(!rivera_phone.store.lock().unwrap().family_declined(family).unwrap());
    rivera_phone.store.lock().unwrap().plan_visit(&next).unwrap();
    rivera_phone.sync().await;
    assert_eq!(rivera_phone.unsynced(), 0, "the new visit is accepted");
    assert_eq!(relay_visit_log(&admin, next.id).plan.family_id, family);
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_visit_does_not_get_round_a_familys_no() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let (rivera, chen) = (educator(&data, "Elena Rivera"), educator(&data, "David Chen"));
    let rivera_phone = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let chen_phone = Device::enroll(&admin, &relay.url(), dir.path(), chen).await;
    let declined = declined_at_the_door(&data, &rivera_phone, rivera.id).await;
    let family = declined.plan.family_id;

    // Chen's visit with Rivera, already on the relay, is of another family of the same school.
    let moved = attacker::visit_of(&data, &["Elena Rivera", "David Chen"]).plan;
    let (visit, its_family) = (moved.id, moved.family_id);
    assert_ne!(its_family, family);
    // His hostile device rewrites that visit's family to the declined one: refused, nothing stored.
    let mut doc = edited(&admin, visit, |log| log.plan.family_id = family);
    assert_eq!(send(&chen_phone, log_id(visit), &mut doc).await, Some(RejectReason::Forbidden));
    assert_eq!(relay_visit_log(&admin, visit).plan.family_id, its_family, "the relay keeps the visit's family");
    assert!(admin.family_documents(its_family).unwrap().contains(&log_id(visit)), "and its record of it");

    // The same move to a family of the school with no "no" is an edit like any other: the refusal
    // above was the decline's.
    let brooks = data.families.iter().find(|f| f.display_name == "Brooks family").unwrap();
    let mut doc = edited(&admin, visit, |log| log.plan.family_id = brooks.id);
    assert_eq!(send(&chen_phone, log_id(visit), &mut doc).await, None);
    assert_eq!(relay_visit_log(&admin, visit).plan.family_id, brooks.id);

    // Nor is the declined visit moved off its family (as a planned visit of another family, the
    // "no" would be gone from its record): refused, and it stays the family's, declined.
    let mut doc = edited(&admin, declined.plan.id, |log| {
        log.plan.family_id = brooks.id;
        log.outcome.status = VisitStatus::Planned;
    });
    assert_eq!(send(&rivera_phone, log_id(declined.plan.id), &mut doc).await, Some(RejectReason::Forbidden));
    let kept = relay_visit_log(&admin, declined.plan.id);
    assert_eq!((kept.plan.family_id, kept.outcome.status), (family, VisitStatus::FamilyDeclined));
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_by_one_educator_with_an_interpreter_is_confirmed_by_the_coordinators_device() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"));
    let (rivera, johnson) = (educator(&data, "Elena Rivera"), educator(&data, "Dana Johnson"));
    let rivera_phone = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let coordinator = Device::enroll_as(
        &admin,
        &relay.url(),
        dir.path(),
        &johnson.school_id,
        &Role::SchoolCoordinator,
        "coordinator",
    )
    .await;
    let mensah = data.families.iter().find(|f| f.display_name == "Mensah family").unwrap();

    // Rivera visits alone with a separate interpreter, and records it.
    rivera_phone.sync().await;
    let plan = VisitPlan {
        id: VisitId::new(),
        family_id: mensah.id,
        school_id: mensah.school_id,
        visit_number: VisitNumber::First,
        educator_ids: vec![rivera.id],
        interpreter: Some(homevisit_model::Interpreter {
            language: homevisit_model::Language::parse("tw").unwrap(),
            kind: homevisit_model::InterpreterKind::Separate,
        }),
        place: Place::Home,
        scheduled_at: Timestamp::parse_rfc3339("2026-11-20T17:00:00Z").unwrap(),
        family_agreement: Some(FamilyAgreement { agreed_at: Timestamp::now(), recorded_by: rivera.id }),
        expected_end: None,
    };
    let visit = plan.id;
    {
        let mut store = rivera_phone.store.lock().unwrap();
        store.plan_visit(&plan).unwrap();
        let outcome = VisitOutcome {
            status: VisitStatus::Completed,
            started_at: Timestamp::parse_rfc3339("2026-11-20T17:00:00Z"),
            ended_at: Timestamp::parse_rfc3339("2026-11-20T17:40:00Z"),
            recorded_by: Some(rivera.id),
            ..VisitOutcome::planned()
        };
        store.record_outcome(visit, &outcome).unwrap();
    }
    rivera_phone.sync().await;
    assert_eq!(rivera_phone.unsynced(), 0);

    let confirm = |log: &mut VisitLog| {
        log.outcome.coordinator_confirmation =
            Some(homevisit_model::CoordinatorConfirmation { confirmed_at: Timestamp::now() })
    };
    // The educator cannot confirm her own visit as the coordinator.
    let mut doc = edited(&admin, visit, confirm);
    assert_eq!(send(&rivera_phone, log_id(visit), &mut doc).await, Some(RejectReason::Forbidden));
    // The coordinator's device may confirm, and change nothing else with it.
    let mut doc = edited(&admin, visit, |log| {
        confirm(log);
        log.outcome.ended_at = Timestamp::parse_rfc3339("2026-11-20T19:00:00Z");
    });
    assert_eq!(send(&coordinator, log_id(visit), &mut doc).await, Some(RejectReason::Forbidden));
    assert!(!relay_visit_log(&admin, visit).is_documented());

    // The coordinator's phone confirms: accepted, and attested with its device.
    coordinator.sync().await;
    coordinator.store.lock().unwrap().coordinator_confirm_visit(visit, Timestamp::now()).unwrap();
    coordinator.sync().await;
    assert_eq!(coordinator.unsynced(), 0, "the coordinator's confirmation is accepted");
    assert!(relay_visit_log(&admin, visit).is_documented());
    let rows = admin.attestations(visit).unwrap();
    let row = rows.iter().find(|r| r.what == Attested::CoordinatorConfirmation).expect("attested");
    assert_eq!(row.device, coordinator.device_id.as_str());
    // Rivera's later edits keep it.
    rivera_phone.sync().await;
    rivera_phone
        .store
        .lock()
        .unwrap()
        .set_note(visit, homevisit_model::NoteField::NextSteps, "Call on Friday")
        .unwrap();
    rivera_phone.sync().await;
    assert_eq!(rivera_phone.unsynced(), 0);
    assert!(relay_visit_log(&admin, visit).is_documented());
    drop(relay);
}
