//! A hostile enrolled device against a real relay (in a process of its own, on the embedded
//! storage, or on PostgreSQL when `HOMEVISIT_TEST_POSTGRES` is set). The device speaks the sync
//! protocol itself and crafts Automerge documents. Each attack asserts: it is refused; nothing of
//! another school or visit reaches the attacker; the owner keeps access; and a write acknowledged
//! after the attack survives `kill -9` of the relay.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use homevisit_docs::automerge::transaction::Transactable;
use homevisit_docs::automerge::{self, ActorId, AutoCommit, ROOT};
use homevisit_docs::{DocId, DocKind, create_record};
use homevisit_e2e::attacker::{self, Device, educator, refusal, snapshot, sync_with_changes, visit_of};
use homevisit_e2e::{RelayProcess, admin, district};
use homevisit_fixtures::DataSet;
use homevisit_model::{Educator, Family, NoteField, VisitId, VisitLog};
use homevisit_protocol::{DocMessage, MessageForm, RejectReason, SyncBatch, WireDocId};
use homevisit_relay::Relay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{RELAY_PEER, RelayClient};

/// The relay process every test here starts (see `homevisit_e2e::RelayProcess`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the hostile tests, started by them"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

fn seeded_relay(dir: &Path, faults: &str) -> (RelayProcess, Arc<Relay>, DataSet) {
    attacker::seeded_relay(dir, "relay_process", faults, &[])
}

/// A record's document with its root `id` rewritten to `under`: a copy posing as another document.
fn under_id<T: homevisit_docs::Record>(record: &T, under: DocId) -> AutoCommit {
    let mut doc = create_record(record, &ActorId::random()).unwrap();
    doc.put(ROOT, "id", under.id.hyphenated().to_string()).unwrap();
    doc.commit();
    doc
}

/// The documents a device of `educator` may hold: its school's roster and its own visits.
fn readable_by(data: &DataSet, educator: &Educator) -> BTreeSet<DocId> {
    let school = educator.school_id;
    let mut docs = BTreeSet::from([DocId::new(DocKind::School, school.uuid())]);
    docs.extend(
        data.educators.iter().filter(|e| e.school_id == school).map(|e| DocId::new(DocKind::Educator, e.id.uuid())),
    );
    docs.extend(
        data.families.iter().filter(|f| f.school_id == school).map(|f| DocId::new(DocKind::Family, f.id.uuid())),
    );
    for (log, _) in data.visits.iter().filter(|(l, _)| l.plan.educator_ids.contains(&educator.id)) {
        docs.insert(DocId::new(DocKind::VisitLog, log.plan.id.uuid()));
        docs.insert(DocId::new(DocKind::VisitNotes, log.plan.id.uuid()));
    }
    docs
}

/// The owner writes to their visit's notes and syncs until the relay acknowledges it; the relay is
/// killed with SIGKILL and started again; the words are there, for the owner and on the relay.
async fn acknowledged_write_survives_kill_9(
    relay: RelayProcess,
    dir: &Path,
    owner: &Device,
    visit: VisitId,
    words: &str,
) -> RelayProcess {
    owner.store.lock().unwrap().set_note(visit, NoteField::NextSteps, words).unwrap();
    owner.sync().await;
    assert_eq!(owner.unsynced(), 0, "the relay acknowledged the write");
    let relay = relay.kill_9_and_restart();
    let after = admin(dir);
    assert_eq!(homevisit_e2e::relay_note(&after, visit, NoteField::NextSteps), words, "lost after kill -9");
    owner.sync().await;
    assert_eq!(owner.unsynced(), 0);
    relay
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_posing_as_other_documents_are_refused_and_take_nothing_over() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), "");
    let (rivera, haddad) = (educator(&data, "Elena Rivera"), educator(&data, "Sami Haddad"));
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let owner = Device::enroll(&admin, &relay.url(), dir.path(), haddad).await;
    attacker.sync().await;
    owner.sync().await;

    let own = visit_of(&data, &["Elena Rivera", "Grace Okafor"]);
    let victim = visit_of(&data, &["Sami Haddad", "Priya Patel"]); // another school's visit
    let colleagues = visit_of(&data, &["David Chen", "Grace Okafor"]); // same school, not hers
    let own_family = data.families.iter().find(|f| f.id == own.plan.family_id).unwrap();
    let victim_family = data.families.iter().find(|f| f.id == victim.plan.family_id).unwrap();

    // Her own visit log, naming the other school's visit, under a new document id (the takeover
    // that worked: the relay indexed the id inside the content).
    let posing = |visit: &VisitLog| VisitLog {
        plan: homevisit_model::VisitPlan { id: visit.plan.id, ..own.plan.clone() },
        ..own.clone()
    };
    let new_id = |kind| DocId::new(kind, uuid::Uuid::new_v4());
    let forged_log = new_id(DocKind::VisitLog);
    let forged_colleague = new_id(DocKind::VisitLog);
    let forged_family = new_id(DocKind::Family);
    let forged_sync = new_id(DocKind::VisitLog);
    let victim_log = DocId::new(DocKind::VisitLog, victim.plan.id.uuid());
    let messages = vec![
        snapshot(forged_log, &mut under_id(&posing(&victim), forged_log)),
        snapshot(forged_colleague, &mut under_id(&posing(&colleagues), forged_colleague)),
        snapshot(forged_family, &mut under_id(&Family { id: victim_family.id, ..own_family.clone() }, forged_family)),
        sync_with_changes(forged_sync, &mut under_id(&posing(&victim), forged_sync)),
        // The real document of the other school, overwritten with her content: forbidden.
        snapshot(victim_log, &mut create_record(&posing(&victim), &ActorId::random()).unwrap()),
    ];
    let (status, reply) = attacker.send(messages).await;
    assert_eq!(status, 200, "one bad document never fails the batch");
    let reply = reply.unwrap();
    for doc in [forged_log, forged_colleague, forged_family, forged_sync, victim_log] {
        assert!(refusal(&reply, doc).is_some(), "{doc} must be refused: {:?}", reply.rejected);
        if doc != victim_log {
            assert!(admin.document(&doc).unwrap().is_none(), "nothing of {doc} is stored");
        }
    }

    // Nothing of the other school, nor of her colleague's visit, reaches her phone.
    attacker.sync().await;
    let held = attacker.held();
    let allowed = readable_by(&data, rivera);
    assert!(held.is_subset(&allowed), "the attacker holds {:?}", held.difference(&allowed).collect::<Vec<_>>());
    assert!(!held.contains(&DocId::new(DocKind::VisitNotes, colleagues.plan.id.uuid())));
    // The owner keeps her visit, its notes and the family record, unchanged.
    let report = owner.sync().await;
    assert!(report.refused_by_peer.is_empty(), "{:?}", report.refused_by_peer);
    let owner_held = owner.held();
    for doc in [
        victim_log,
        DocId::new(DocKind::VisitNotes, victim.plan.id.uuid()),
        DocId::new(DocKind::Family, victim_family.id.uuid()),
    ] {
        assert!(owner_held.contains(&doc), "the owner lost {doc}");
    }
    assert_eq!(homevisit_e2e::relay_visit_log(&admin, victim.plan.id), victim, "the victim's log is untouched");

    acknowledged_write_survives_kill_9(relay, &dir.path().join("relay"), &owner, victim.plan.id, "Call on Monday.")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_forbidden_documents_get_the_same_answer_and_nothing_else_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), "");
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    attacker.sync().await;
    let elsewhere = DocId::new(DocKind::VisitNotes, visit_of(&data, &["Sami Haddad", "Priya Patel"]).plan.id.uuid());
    let unknown = DocId::new(DocKind::VisitNotes, uuid::Uuid::new_v4());
    let own = visit_of(&data, &["Elena Rivera", "Grace Okafor"]);

    // A question about each (a sync message with no changes), and "I hold these heads" about each,
    // in one batch with a real edit of her own.
    attacker.store.lock().unwrap().set_note(own.plan.id, NoteField::Learned, "They love the park.").unwrap();
    let mut empty = AutoCommit::new();
    let mut question = |doc: DocId| {
        let message = automerge::sync::SyncDoc::generate_sync_message(&empty.sync(), &mut Default::default());
        DocMessage::sync(doc.into(), message.expect("a first message").encode())
    };
    let holds =
        |doc: DocId| DocMessage { doc: doc.into(), form: MessageForm::Holds, data: vec![], heads: vec![[7; 32]] };
    let garbage = |doc: DocId, form| DocMessage {
        doc: doc.into(),
        form,
        data: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2],
        heads: vec![],
    };
    let mut messages = vec![question(elsewhere), question(unknown), holds(elsewhere), holds(unknown)];
    for doc in [elsewhere, unknown] {
        messages.extend([garbage(doc, MessageForm::Sync), garbage(doc, MessageForm::Snapshot)]);
    }
    let own_notes = DocId::new(DocKind::VisitNotes, own.plan.id.uuid());
    let (bytes, _) = attacker.store.lock().unwrap().stored_document(&own_notes).unwrap();
    messages.push(DocMessage { doc: own_notes.into(), form: MessageForm::Snapshot, data: bytes, heads: vec![] });
    let (status, reply) = attacker.send(messages).await;
    assert_eq!(status, 200, "a message about an unknown document no longer fails the whole request");
    let reply = reply.unwrap();
    let answers: Vec<_> = reply.rejected.iter().map(|r| (DocId::try_from(r.doc).unwrap(), r.reason)).collect();
    assert_eq!(
        answers.iter().filter(|(d, _)| *d == elsewhere).map(|(_, r)| *r).collect::<Vec<_>>(),
        answers.iter().filter(|(d, _)| *d == unknown).map(|(_, r)| *r).collect::<Vec<_>>(),
        "an existing document of another school and a random id are answered alike: {answers:?}"
    );
    assert!(answers.iter().all(|(_, r)| *r == RejectReason::Forbidden), "{answers:?}");
    assert!(!reply.messages.iter().any(|m| m.doc == WireDocId::from(elsewhere) || m.doc == WireDocId::from(unknown)));
    assert!(admin.document(&unknown).unwrap().is_none(), "nothing is kept of an unknown document");
    assert_eq!(homevisit_e2e::relay_note(&admin, own.plan.id, NoteField::Learned), "They love the park.");

    acknowledged_write_survives_kill_9(relay, &dir.path().join("relay"), &attacker, own.plan.id, "Send the flyer.")
        .await;
}

/// `?ahead=1` (a phone still storing a download's page asks for the next one) only narrows what
/// the relay offers: asked ahead, in any order and with anything else in the query, the relay
/// offers nothing the device may not read, and an ordinary sync afterwards still brings all it
/// may.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_ahead_reaches_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), "");
    let rivera = educator(&data, "Elena Rivera");
    let readable = readable_by(&data, rivera);
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let ask = || SyncBatch::new(Vec::new()).encode();
    let mut offered = BTreeSet::new();
    for query in ["?ahead=1", "?ahead=1&ahead=1", "?wait_ms=0&ahead=1", "", "?ahead=1", "?ahead=yes"] {
        let (status, reply) = attacker.post(ask(), query).await;
        assert_eq!(status, 200, "{query}");
        offered.extend(reply.unwrap().messages.iter().map(|m| DocId::try_from(m.doc).unwrap()));
    }
    assert!(!offered.is_empty(), "the ordinary request among them was offered the device's documents");
    assert!(offered.is_subset(&readable), "offered beyond what it may read: {:?}", offered.difference(&readable));
    attacker.sync().await;
    assert_eq!(attacker.held(), readable, "an ordinary sync still brings all it may read, and nothing else");
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_mid_batch_acknowledges_only_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let (relay, admin, data) = seeded_relay(&relay_dir, "");
    let rivera = educator(&data, "Elena Rivera");
    let phone = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    phone.sync().await;
    let visit = visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan.id;
    let notes = DocId::new(DocKind::VisitNotes, visit.uuid());
    let log = DocId::new(DocKind::VisitLog, visit.uuid());

    // 1. A panic after the notes' change is written, while the relay records what the phone holds:
    //    outside any one document, so the whole request fails. Nothing of it may be acknowledged.
    //    (The relay applies a request in short transactions: the change itself was committed by
    //    its step before the panic, and is stored but unacknowledged: the phone sends it again.)
    let relay = relay.kill_9_and_restart_with(&format!("marking:{notes}"));
    phone.store.lock().unwrap().set_note(visit, NoteField::Learned, "Sofia loves soccer.").unwrap();
    assert!(phone.client.sync(&phone.store).await.is_err(), "the request that panicked fails");
    assert_eq!(phone.unsynced(), 1, "nothing of the failed request is acknowledged");
    assert_eq!(
        homevisit_e2e::relay_note(&homevisit_e2e::admin(&relay_dir), visit, NoteField::Learned),
        "Sofia loves soccer.",
        "committed by its step, not acknowledged"
    );
    // The relay goes on: the next sync is stored, acknowledged, and survives kill -9 (before, an
    // unreleased savepoint made every later write "acknowledged" and never committed).
    phone.sync().await;
    assert_eq!(phone.unsynced(), 0);
    let relay = relay.kill_9_and_restart();
    assert_eq!(
        homevisit_e2e::relay_note(&homevisit_e2e::admin(&relay_dir), visit, NoteField::Learned),
        "Sofia loves soccer."
    );

    // 2. A panic while one document of a batch is stored: that document alone is refused (and
    //    not stored); the other is stored and acknowledged.
    let relay = relay.kill_9_and_restart_with(&format!("storing:{notes}"));
    phone.store.lock().unwrap().set_note(visit, NoteField::Invitation, "Literacy night.").unwrap();
    let mut plan = visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan;
    plan.expected_end = Some(homevisit_model::Timestamp(plan.scheduled_at.0 + chrono::Duration::minutes(50)));
    phone.store.lock().unwrap().update_plan(&plan).unwrap();
    let report = phone.sync().await;
    assert_eq!(report.refused_by_peer, vec![(notes, RejectReason::Malformed)], "{report:?}");
    let unsynced = phone.store.lock().unwrap().unsynced_documents(RELAY_PEER).unwrap();
    assert_eq!(unsynced, vec![notes], "the log is acknowledged, the notes are not");
    let relay = relay.kill_9_and_restart();
    let after = homevisit_e2e::admin(&relay_dir);
    assert_eq!(homevisit_e2e::relay_visit_log(&after, visit).plan.expected_end, plan.expected_end);
    assert_eq!(homevisit_e2e::relay_note(&after, visit, NoteField::Invitation), "");
    assert!(after.document(&log).unwrap().is_some());
    // Nothing is lost: the next sync brings the notes.
    phone.sync().await;
    assert_eq!(phone.unsynced(), 0);
    assert_eq!(
        homevisit_e2e::relay_note(&homevisit_e2e::admin(&relay_dir), visit, NoteField::Invitation),
        "Literacy night."
    );
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_who_wrote_cannot_be_taken_off_the_visit() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let (relay, admin, data) = seeded_relay(&relay_dir, "");
    let (rivera, okafor, chen) =
        (educator(&data, "Elena Rivera"), educator(&data, "Grace Okafor"), educator(&data, "David Chen"));
    let remover = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let partner = Device::enroll(&admin, &relay.url(), dir.path(), okafor).await;
    remover.sync().await;
    partner.sync().await;

    // Grace Okafor writes her notes of their visit; Elena Rivera then puts David Chen in her place.
    let shared = visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan;
    partner.store.lock().unwrap().set_note(shared.id, NoteField::Learned, "Mateo draws dragons.").unwrap();
    partner.sync().await;
    remover.sync().await;
    let replaced = homevisit_model::VisitPlan { educator_ids: vec![rivera.id, chen.id], ..shared.clone() };
    remover.store.lock().unwrap().update_plan(&replaced).unwrap();
    let report = remover.sync().await;
    let log = DocId::new(DocKind::VisitLog, shared.id.uuid());
    assert_eq!(report.refused_by_peer, vec![(log, RejectReason::Forbidden)]);
    assert_eq!(homevisit_e2e::relay_visit_log(&admin, shared.id).plan.educator_ids, shared.educator_ids);
    // She keeps the visit and her words, and can go on writing.
    partner.store.lock().unwrap().set_note(shared.id, NoteField::NextSteps, "Text on Friday.").unwrap();
    let report = partner.sync().await;
    assert!(report.refused_by_peer.is_empty(), "{report:?}");
    assert!(partner.held().contains(&DocId::new(DocKind::VisitNotes, shared.id.uuid())));
    assert_eq!(homevisit_e2e::relay_note(&admin, shared.id, NoteField::Learned), "Mateo draws dragons.");

    // A partner who has written nothing may be replaced (a plan made with the wrong colleague).
    let other = visit_of(&data, &["David Chen", "Elena Rivera"]).plan;
    let swapped = homevisit_model::VisitPlan { educator_ids: vec![okafor.id, rivera.id], ..other.clone() };
    remover.store.lock().unwrap().update_plan(&swapped).unwrap();
    let report = remover.sync().await;
    assert!(report.refused_by_peer.iter().all(|(d, _)| *d == log), "{report:?}");
    assert_eq!(homevisit_e2e::relay_visit_log(&admin, other.id).plan.educator_ids, swapped.educator_ids);
    partner.sync().await;
    assert!(partner.held().contains(&DocId::new(DocKind::VisitNotes, other.id.uuid())), "the new partner receives it");

    acknowledged_write_survives_kill_9(relay, &relay_dir, &partner, shared.id, "Call on Monday.").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_naming_another_schools_family_or_educator_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let (relay, admin, data) = seeded_relay(&relay_dir, "");
    let (rivera, chen, haddad) =
        (educator(&data, "Elena Rivera"), educator(&data, "David Chen"), educator(&data, "Sami Haddad"));
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    attacker.sync().await;
    let own = visit_of(&data, &["Elena Rivera", "Grace Okafor"]);
    let far_family = data.families.iter().find(|f| f.school_id != rivera.school_id).unwrap();
    let new_visit = |family, educators: Vec<homevisit_model::EducatorId>| VisitLog {
        plan: homevisit_model::VisitPlan {
            id: VisitId::new(),
            family_id: family,
            educator_ids: educators,
            ..own.plan.clone()
        },
        outcome: homevisit_model::VisitOutcome::planned(),
    };
    let with_far_family = new_visit(far_family.id, vec![rivera.id, chen.id]);
    let with_far_educator = new_visit(own.plan.family_id, vec![rivera.id, haddad.id]);
    let honest = new_visit(own.plan.family_id, vec![rivera.id, chen.id]);
    let id = |log: &VisitLog| DocId::new(DocKind::VisitLog, log.plan.id.uuid());
    let messages = [&with_far_family, &with_far_educator, &honest]
        .map(|log| snapshot(id(log), &mut create_record(log, &ActorId::random()).unwrap()))
        .to_vec();
    let (status, reply) = attacker.send(messages).await;
    assert_eq!(status, 200);
    let reply = reply.unwrap();
    assert_eq!(refusal(&reply, id(&with_far_family)), Some(RejectReason::Forbidden));
    assert_eq!(refusal(&reply, id(&with_far_educator)), Some(RejectReason::Forbidden));
    assert_eq!(refusal(&reply, id(&honest)), None, "{:?}", reply.rejected);
    assert!(admin.document(&id(&with_far_family)).unwrap().is_none());
    assert!(admin.document(&id(&with_far_educator)).unwrap().is_none());
    assert!(admin.document(&id(&honest)).unwrap().is_some());
    acknowledged_write_survives_kill_9(relay, &relay_dir, &attacker, own.plan.id, "Bring the flyer.").await;
}

/// Wraps a fuzzer's crashing input as the message a device would send for `doc`.
fn crafted(doc: DocId, mode: u8, bytes: &[u8]) -> DocMessage {
    match mode {
        0 => DocMessage { doc: doc.into(), form: MessageForm::Snapshot, data: bytes.to_vec(), heads: vec![] },
        1 => {
            let message = automerge::sync::Message {
                heads: vec![],
                need: vec![],
                have: vec![automerge::sync::Have { last_sync: vec![], bloom: automerge::sync::BloomFilter::default() }],
                changes: vec![bytes.to_vec()].into(),
                flags: None,
                version: automerge::sync::MessageVersion::V1,
            };
            DocMessage::sync(doc.into(), message.encode())
        }
        _ => DocMessage::sync(doc.into(), bytes.to_vec()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_that_fail_their_full_check_are_deleted_and_never_reach_the_partner() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), "");
    let (rivera, okafor) = (educator(&data, "Elena Rivera"), educator(&data, "Grace Okafor"));
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let partner = Device::enroll(&admin, &relay.url(), dir.path(), okafor).await;
    attacker.sync().await;
    partner.sync().await;

    // A new visit of hers (with her partner), whose log is honest, and "its notes": another
    // visit's notes, sent whole. New notes are stored unloaded (who may write them is their log's
    // business) and checked in full in the background, on either storage.
    let own = visit_of(&data, &["Elena Rivera", "Grace Okafor"]);
    let mut log =
        VisitLog { plan: homevisit_model::VisitPlan { id: VisitId::new(), ..own.plan.clone() }, ..own.clone() };
    log.outcome.recorded_by = Some(rivera.id);
    log.outcome.partner_confirmation = None;
    if let Some(agreement) = log.plan.family_agreement.as_mut() {
        agreement.recorded_by = rivera.id;
    }
    let log_id = DocId::new(DocKind::VisitLog, log.plan.id.uuid());
    let notes_id = DocId::new(DocKind::VisitNotes, log.plan.id.uuid());
    let words = homevisit_model::VisitNotes { hopes_and_dreams: "Not these notes.".into(), ..Default::default() };
    let mut other_visits_notes = homevisit_docs::create_notes_with(VisitId::new(), &words, &ActorId::random()).unwrap();
    let messages = vec![
        snapshot(log_id, &mut create_record(&log, &ActorId::random()).unwrap()),
        snapshot(notes_id, &mut other_visits_notes),
    ];
    let (status, reply) = attacker.send(messages).await;
    assert_eq!(status, 200);
    assert!(refusal(&reply.unwrap(), log_id).is_none(), "the honest log is stored");

    // Deleted by the background check.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !matches!(admin.document(&notes_id), Ok(None)) {
        assert!(std::time::Instant::now() < deadline, "the crafted notes are still stored");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(admin.document(&log_id).unwrap().is_some());
    // Her partner gets the visit, and no notes that fail the check.
    let report = partner.sync().await;
    assert!(report.refused_by_us.is_empty(), "{:?}", report.refused_by_us);
    let held = partner.held();
    assert!(held.contains(&log_id) && !held.contains(&notes_id), "{held:?}");
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_crash_automerge_are_refused_and_the_relay_goes_on() {
    let crashers = homevisit_e2e::automerge_crashers();
    assert!(!crashers.is_empty(), "the fuzzers' crashing inputs are kept in crates/homevisit-fuzz/regressions");
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let (relay, admin, data) = seeded_relay(&relay_dir, "");
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    attacker.sync().await;
    let own = visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan.id;
    let own_notes = DocId::new(DocKind::VisitNotes, own.uuid());

    // Each input under a new document id, and against her own notes (merged into a stored
    // document), with an honest edit of hers in the same batch.
    attacker.store.lock().unwrap().set_note(own, NoteField::Learned, "Sofia loves soccer.").unwrap();
    let mut messages = Vec::new();
    let mut fresh = Vec::new();
    for (mode, bytes) in &crashers {
        let doc = DocId::new(DocKind::VisitNotes, uuid::Uuid::new_v4());
        fresh.push(doc);
        messages.push(crafted(doc, *mode, bytes));
        messages.push(crafted(own_notes, *mode, bytes));
    }
    let (status, reply) = attacker.send(messages).await;
    assert_eq!(status, 200, "crafted bytes fail no request");
    let reply = reply.unwrap();
    for doc in &fresh {
        assert!(refusal(&reply, *doc).is_some(), "{doc} refused: {:?}", reply.rejected);
        assert!(admin.document(doc).unwrap().is_none());
    }
    // Some inputs hold well-formed changes to the demo's notes (the fuzzers start from the demo
    // district), which she may write; whatever was stored, her notes are whole: they load, pass
    // the check, and still hold what they held.
    let stored = admin.document(&own_notes).unwrap().expect("her notes are still there");
    assert!(homevisit_docs::check(&own_notes, &stored).is_ok());
    // Her honest edit goes through; the relay (same process) answers everyone as before.
    let report = attacker.sync().await;
    assert!(report.refused_by_peer.is_empty(), "{report:?}");
    assert!(homevisit_e2e::relay_note(&admin, own, NoteField::Learned).contains("Sofia loves soccer."));
    acknowledged_write_survives_kill_9(relay, &relay_dir, &attacker, own, "Invite to math night.").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_refuses_bytes_that_crash_automerge_from_a_hostile_relay() {
    use axum::body::Bytes;
    let crashers = homevisit_e2e::automerge_crashers();
    assert!(!crashers.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let mut store = Store::open(dir.path().join("phone.db"), &DbKey::from_bytes([6; 32])).unwrap();
    store.import_district(&data.schools, &data.educators, &data.families, &data.visits).unwrap();
    let visit = data.visits[0].0.plan.id;
    store.set_note(visit, NoteField::Learned, "Her words, before the relay turned.").unwrap();
    let notes = DocId::new(DocKind::VisitNotes, visit.uuid());

    // A "relay" that answers every sync with the crafted bytes, for a document the phone holds and
    // for one it does not.
    let mut answer = Vec::new();
    for (mode, bytes) in &crashers {
        answer.push(crafted(notes, *mode, bytes));
        answer.push(crafted(DocId::new(DocKind::VisitNotes, uuid::Uuid::new_v4()), *mode, bytes));
    }
    let answer = Bytes::from(SyncBatch::new(answer).encode());
    let app = axum::Router::new().route("/v1/sync", axum::routing::post(move || async move { answer.clone() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let phone = Mutex::new(store);
    let client = RelayClient::new(&url, "token").unwrap();
    // The sync ends (the hostile relay never settles), but with a typed result, never a crash.
    let outcome = client.sync(&phone).await;
    match &outcome {
        Ok(report) => assert!(!report.refused_by_us.is_empty(), "{report:?}"),
        Err(e) => assert!(matches!(e, homevisit_sync::client::ClientError::TooManyRounds(_)), "{e:?}"),
    }
    let mut store = phone.into_inner().unwrap();
    // New notes arriving whole are stored unloaded and checked at their first load: the crafted
    // ones fail it, without a crash, and go.
    let removed = store.remove_unloadable(usize::MAX).unwrap();
    assert_eq!(store.unloaded_count().unwrap(), 0, "{removed:?}");
    // (Well-formed changes among the inputs may be merged: the phone takes its relay's edits.)
    assert!(store.note(visit, NoteField::Learned).unwrap().contains("Her words, before the relay turned."));
    assert!(store.check_integrity().unwrap().is_clean());
    server.abort();
}
