//! The store's behaviour through its public API: encryption, queries, editing, validation,
//! compaction, corruption, and exchanging documents between two devices.

mod common;

use common::*;
use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::forms;
use homevisit_model::*;
use homevisit_store::{Store, StoreError};

#[test]
fn the_file_is_encrypted_and_reopens_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = demo_store(&dir);
    drop(store);
    let bytes = std::fs::read(db_path(&dir)).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "the store file must not be plain SQLite");
    assert!(!bytes.windows(b"Morales family".len()).any(|w| w == b"Morales family"), "no plaintext names");
    let (day, offset) = demo_day();
    assert_eq!(open(&db_path(&dir)).visits_on_day(day, offset).unwrap().len(), 3);
}

/// A new store's file, and the WAL and shared-memory files SQLite makes beside it, are readable
/// by this user only.
#[cfg(unix)]
#[test]
fn a_new_store_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = demo_store(&dir);
    let path = db_path(&dir);
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", file.display());
    }
    drop(store);
}

#[test]
fn a_wrong_key_is_a_clear_error_not_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    drop(demo_store(&dir));
    let err = Store::open(db_path(&dir), &key(8)).err().expect("wrong key must fail");
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    assert!(err.to_string().contains("key"));
    // And the right key still opens it afterwards: the failed attempt changed nothing.
    assert_eq!(open(&db_path(&dir)).visits_for_family(FamilyId(uuid::Uuid::nil())).unwrap().len(), 0);
    let (day, offset) = demo_day();
    assert_eq!(open(&db_path(&dir)).visits_on_day(day, offset).unwrap().len(), 3);
}

#[test]
fn files_that_are_not_stores_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    assert!(matches!(Store::open(&garbage, &key(1)), Err(StoreError::WrongKey)));

    let plain = dir.path().join("plain.db");
    rusqlite::Connection::open(&plain).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
    assert!(matches!(Store::open(&plain, &key(1)), Err(StoreError::Unencrypted)));
}

#[test]
fn a_damaged_file_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = demo_store(&dir);
    load(&mut store, &forms::data_set(300)); // enough pages that damage lands in data
    drop(store);
    let path = db_path(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 2..len / 2 + 4096] {
        *b ^= 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    // Opening may succeed (the damaged pages are read later) or fail; either way, typed errors.
    match Store::open(&path, &key(7)) {
        Err(e) => assert!(matches!(e, StoreError::Corrupt(_) | StoreError::WrongKey), "{e:?}"),
        Ok(mut store) => {
            let results =
                [store.check_integrity().map(|_| ()), store.export_json().map(|_| ()), store.report_data().map(|_| ())];
            assert!(
                results.iter().any(|r| matches!(r, Err(StoreError::Corrupt(_)))),
                "damage must be reported: {results:?}"
            );
        }
    }
    // A truncated file is also refused cleanly.
    std::fs::write(&path, &bytes[..1000]).unwrap();
    assert!(Store::open(&path, &key(7)).is_err());
}

#[test]
fn todays_visits_family_visits_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (store, data) = demo_store(&dir);
    let (day, offset) = demo_day();
    let today = store.visits_on_day(day, offset).unwrap();
    assert_eq!(today.len(), 3);
    assert!(today.windows(2).all(|w| w[0].scheduled_at <= w[1].scheduled_at));
    assert_eq!(today[0].family_name.as_deref(), Some("Morales family"));
    assert_eq!(today[0].educator_ids.len(), 2);

    let morales = data.families[0].id;
    assert_eq!(store.visits_for_family(morales).unwrap().len(), 2);

    let chen = data.educators.iter().find(|e| e.display_name == "David Chen").unwrap();
    assert_eq!(store.visits_for_educator(chen.id).unwrap().len(), 5);
}

#[test]
fn report_data_holds_the_records_logs_and_debrief_marks_and_no_notes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let got = store.report_data().unwrap();
    let names: Vec<_> = got.schools.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Lincoln Elementary", "Roosevelt Middle"]);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(got.educators.iter().map(|e| e.id.to_string()).collect()),
        sorted(data.educators.iter().map(|e| e.id.to_string()).collect())
    );
    assert_eq!(got.families.len(), data.families.len());
    for family in &data.families {
        assert!(got.families.contains(family), "{}", family.id);
    }
    assert_eq!(got.visits.len(), data.visits.len());
    for (log, _) in &data.visits {
        assert!(got.visits.contains(log), "{}", log.plan.id);
    }
    let debriefed: Vec<VisitId> =
        data.visits.iter().filter(|(_, n)| n.debrief_done.is_some()).map(|(l, _)| l.plan.id).collect();
    assert_eq!(debriefed.len(), 1);
    assert_eq!(got.debriefed.iter().copied().collect::<Vec<_>>(), debriefed);

    // A debrief marked done on this device is read on the next call.
    let (other, _) = data
        .visits
        .iter()
        .find(|(l, n)| n.debrief_done.is_none() && l.outcome.status == VisitStatus::Completed)
        .unwrap();
    store.mark_debrief_done(other.plan.id, other.plan.educator_ids[0], Timestamp::now()).unwrap();
    assert!(store.report_data().unwrap().debriefed.contains(&other.plan.id));
}

#[test]
fn planning_validates_against_the_roster() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let okafor = data.educators.iter().find(|e| e.display_name == "Grace Okafor").unwrap().id;
    let johnson = data.educators.iter().find(|e| e.display_name == "Dana Johnson").unwrap().id;
    let mut plan = data.visits[0].0.plan.clone();
    plan.id = VisitId::new();
    plan.interpreter = None;

    plan.educator_ids = vec![okafor];
    assert!(matches!(store.plan_visit(&plan), Err(StoreError::Invalid(ValidationError::TooFewAdults { adults: 1 }))));

    let untrained = Educator {
        id: EducatorId::new(),
        display_name: "New Teacher".into(),
        training_date: None,
        ..data.educators[0].clone()
    };
    store.put_educator(&untrained).unwrap();
    plan.educator_ids = vec![okafor, untrained.id];
    assert!(matches!(
        store.plan_visit(&plan),
        Err(StoreError::Invalid(ValidationError::UntrainedWithoutTrainedPartner(_)))
    ));

    let stranger = EducatorId::new();
    plan.educator_ids = vec![johnson, stranger];
    assert!(
        matches!(store.plan_visit(&plan), Err(StoreError::Invalid(ValidationError::UnknownEducator(id))) if id == stranger)
    );

    plan.educator_ids = vec![okafor, johnson];
    store.plan_visit(&plan).unwrap();
    assert_eq!(store.visit_log(plan.id).unwrap().plan, plan);

    // An import with one bad visit stores none of them.
    let before = store.document_ids(None).unwrap().len();
    let good = homevisit_store::VisitImport {
        log: VisitLog { plan: VisitPlan { id: VisitId::new(), ..plan.clone() }, outcome: VisitOutcome::planned() },
        notes: VisitNotes::default(),
    };
    let bad = homevisit_store::VisitImport {
        log: VisitLog {
            plan: VisitPlan { id: VisitId::new(), educator_ids: vec![okafor], ..plan.clone() },
            outcome: VisitOutcome::planned(),
        },
        notes: VisitNotes::default(),
    };
    assert!(store.import_visits(&[good, bad]).is_err());
    assert_eq!(store.document_ids(None).unwrap().len(), before);
}

#[test]
fn outcomes_and_partner_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let plan = &data.visits[0].0.plan;
    let (a, b) = (plan.educator_ids[0], plan.educator_ids[1]);
    let t = |s: &str| Timestamp::parse_rfc3339(s);
    let mut outcome = VisitOutcome {
        status: VisitStatus::Completed,
        started_at: t("2026-11-22T16:00:00-08:00"),
        ended_at: t("2026-11-22T15:30:00-08:00"),
        recorded_by: Some(a),
        partner_confirmation: None,
        coordinator_confirmation: None,
    };
    assert!(matches!(
        store.record_outcome(plan.id, &outcome),
        Err(StoreError::Invalid(ValidationError::EndBeforeStart))
    ));
    outcome.ended_at = t("2026-11-22T16:40:00-08:00");
    store.record_outcome(plan.id, &outcome).unwrap();
    assert!(matches!(
        store.confirm_visit(plan.id, a, Timestamp::now()),
        Err(StoreError::Invalid(ValidationError::SelfConfirmation))
    ));
    store.confirm_visit(plan.id, b, Timestamp::now()).unwrap();
    let log = store.visit_log(plan.id).unwrap();
    assert!(log.is_documented());
    assert_eq!(log.duration_minutes(), Some(40));
    // Recording the same outcome again keeps the confirmation; changing it clears it.
    store.record_outcome(plan.id, &outcome).unwrap();
    assert!(store.visit_log(plan.id).unwrap().outcome.partner_confirmation.is_some());
    outcome.ended_at = t("2026-11-22T16:45:00-08:00");
    store.record_outcome(plan.id, &outcome).unwrap();
    assert!(store.visit_log(plan.id).unwrap().outcome.partner_confirmation.is_none());
    let (day, offset) = demo_day();
    let summary = store.visits_on_day(day, offset).unwrap().into_iter().find(|v| v.visit_id == plan.id).unwrap();
    assert_eq!(summary.status, VisitStatus::Completed);
}

#[test]
fn the_pair_marks_its_debrief_done_and_it_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let plan = data.visits[0].0.plan.clone();
    let outsider = data.educators.iter().find(|e| !plan.educator_ids.contains(&e.id)).unwrap().id;
    assert!(store.visit_notes(plan.id).unwrap().debrief_done.is_none());
    assert!(matches!(
        store.mark_debrief_done(plan.id, outsider, Timestamp::now()),
        Err(StoreError::Invalid(ValidationError::NotOnVisit(e))) if e == outsider
    ));
    store.splice_note(plan.id, NoteField::NextSteps, 0, 0, "Call on Friday.").unwrap();
    let at = Timestamp::now();
    store.mark_debrief_done(plan.id, plan.educator_ids[1], at).unwrap();
    drop(store);
    let mut store = open(&db_path(&dir));
    let notes = store.visit_notes(plan.id).unwrap();
    assert_eq!(notes.debrief_done, Some(DebriefDone { by: plan.educator_ids[1], at }));
    assert_eq!(notes.next_steps, "Call on Friday.");
    store.reopen_debrief(plan.id).unwrap();
    assert!(store.visit_notes(plan.id).unwrap().debrief_done.is_none());
}

#[test]
fn note_edits_persist_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let visit = data.visits[0].0.plan.id;
    let mut expected = String::new();
    for i in 0..300 {
        let word = format!("w{i}é ");
        store.splice_note(visit, NoteField::Learned, expected.encode_utf16().count(), 0, &word).unwrap();
        expected.push_str(&word);
    }
    store.splice_note(visit, NoteField::Learned, 0, "w0é ".encode_utf16().count(), "").unwrap();
    expected.replace_range(0.."w0é ".len(), "");
    assert!(matches!(
        store.splice_note(visit, NoteField::Learned, 1_000_000, 0, "x"),
        Err(StoreError::Document { source, .. }) if matches!(*source, homevisit_docs::DocError::OutOfRange { .. })
    ));
    drop(store);

    // Chunks were folded into snapshots along the way: the file holds far fewer than 300 chunks.
    let conn = raw_connection(&db_path(&dir));
    let chunks: i64 = conn
        .query_row("SELECT count(*) FROM doc_chunks WHERE doc_id = ?1", [format!("visit-notes/{}", visit)], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(chunks < 50, "{chunks} chunks left: compaction did not run");
    drop(conn);

    let mut store = open(&db_path(&dir));
    assert_eq!(store.note(visit, NoteField::Learned).unwrap(), expected);
    assert!(store.check_integrity().unwrap().is_clean());
}

#[test]
fn a_corrupt_chunk_is_reported_and_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let (damaged, healthy) = (data.visits[0].0.plan.id, data.visits[1].0.plan.id);
    store.set_note(damaged, NoteField::HopesAndDreams, "first words").unwrap();
    store.splice_note(damaged, NoteField::HopesAndDreams, 11, 0, " and more").unwrap();
    drop(store);

    let conn = raw_connection(&db_path(&dir));
    let doc = format!("visit-notes/{damaged}");
    let last: i64 = conn.query_row("SELECT max(seq) FROM doc_chunks WHERE doc_id = ?1", [&doc], |r| r.get(0)).unwrap();
    conn.execute(
        "UPDATE doc_chunks SET data = X'0badc0de' WHERE doc_id = ?1 AND seq = ?2",
        rusqlite::params![doc, last],
    )
    .unwrap();
    drop(conn);

    let mut store = open(&db_path(&dir));
    let report = store.check_integrity().unwrap();
    assert_eq!(report.corrupt_chunks.len(), 1);
    assert_eq!(report.corrupt_chunks[0].doc, DocId::new(DocKind::VisitNotes, damaged.uuid()));
    assert!(report.unreadable.is_empty());
    // The damaged document still loads without the bad chunk; every other document is untouched.
    assert_eq!(store.note(damaged, NoteField::HopesAndDreams).unwrap(), "first words");
    assert_eq!(store.visit_notes(healthy).unwrap(), data.visits[1].1);
    // It stays editable, and the bad chunk is kept in quarantine when the document is compacted.
    for i in 0..40 {
        store.splice_note(damaged, NoteField::HopesAndDreams, 0, 0, &format!("{i} ")).unwrap();
    }
    drop(store);
    let conn = raw_connection(&db_path(&dir));
    let quarantined: i64 =
        conn.query_row("SELECT count(*) FROM quarantined_chunks WHERE data = X'0badc0de'", [], |r| r.get(0)).unwrap();
    assert_eq!(quarantined, 1);
}

#[test]
fn two_devices_exchange_documents_and_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, data) = demo_store(&dir);
    let mut b = Store::open(dir.path().join("b.db"), &key(9)).unwrap();
    // Device B receives everything A has (as a relay would deliver it).
    for id in a.document_ids(None).unwrap() {
        let bytes = a.document_bytes(&id).unwrap();
        assert!(b.merge_document_bytes(&id, &bytes).unwrap());
    }
    let (day, offset) = demo_day();
    assert_eq!(b.visits_on_day(day, offset).unwrap(), a.visits_on_day(day, offset).unwrap());

    // Both partners write in the same debrief field while offline, then exchange again.
    let visit = data.visits[0].0.plan.id;
    a.set_note(visit, NoteField::NextSteps, "Send the flyer in Spanish.").unwrap();
    b.set_note(visit, NoteField::NextSteps, "Invite them to literacy night.").unwrap();
    let notes = DocId::new(DocKind::VisitNotes, visit.uuid());
    let from_a = a.document_bytes(&notes).unwrap();
    let from_b = b.document_bytes(&notes).unwrap();
    a.merge_document_bytes(&notes, &from_b).unwrap();
    b.merge_document_bytes(&notes, &from_a).unwrap();
    let text = a.note(visit, NoteField::NextSteps).unwrap();
    assert_eq!(text, b.note(visit, NoteField::NextSteps).unwrap());
    assert!(text.contains("flyer in Spanish") && text.contains("literacy night"), "{text}");
    assert_eq!(a.document_heads(&notes).unwrap(), b.document_heads(&notes).unwrap());
    // Garbage from a peer is a typed error and changes nothing.
    assert!(a.merge_document_bytes(&notes, b"junk").is_err());
    assert_eq!(a.note(visit, NoteField::NextSteps).unwrap(), text);
}

#[test]
fn documents_preloaded_on_every_core_merge_as_if_loaded_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, data) = demo_store(&dir);
    let mut b = Store::open(dir.path().join("b.db"), &key(9)).unwrap();
    let visit = data.visits[0].0.plan.id;
    let notes = DocId::new(DocKind::VisitNotes, visit.uuid());
    let ids = a.document_ids(None).unwrap();
    let sent: Vec<(DocId, Vec<u8>)> = ids.iter().map(|id| (*id, a.document_bytes(id).unwrap())).collect();
    // One preloaded entry is junk: its merge must be refused on its own, the rest must land.
    let junk = ids.iter().find(|id| id.kind == DocKind::VisitLog && id.id != visit.uuid()).copied().unwrap();
    let preload: Vec<(DocId, &[u8])> =
        sent.iter().map(|(id, bytes)| (*id, if *id == junk { &b"junk"[..] } else { bytes.as_slice() })).collect();
    b.preload_documents(&preload);
    // A's notes change after the preload: the merge must take the bytes it is given, not the
    // (older) preloaded document.
    a.set_note(visit, NoteField::NextSteps, "Send the flyer in Spanish.").unwrap();
    let newer_notes = a.document_bytes(&notes).unwrap();
    for (id, bytes) in &preload {
        let bytes = if *id == notes { newer_notes.as_slice() } else { bytes };
        let merged = b.merge_document_bytes(id, bytes);
        assert_eq!(merged.is_err(), *id == junk, "{id:?}: {merged:?}");
    }
    assert!(!b.contains_document(&junk).unwrap());
    assert_eq!(b.note(visit, NoteField::NextSteps).unwrap(), "Send the flyer in Spanish.");
    for id in ids.iter().filter(|id| **id != junk) {
        assert_eq!(b.document_heads(id).unwrap(), a.document_heads(id).unwrap(), "{id:?}");
    }
}

#[test]
fn unsynced_documents_and_sync_state() {
    let relay = &homevisit_store::PeerId::RELAY;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let all = store.document_ids(None).unwrap();
    assert_eq!(store.unsynced_count(relay).unwrap(), all.len());
    for id in &all {
        let heads = store.document_heads(id).unwrap();
        store.mark_synced(relay, id, &heads).unwrap();
    }
    assert_eq!(store.unsynced_count(relay).unwrap(), 0);
    let visit = data.visits[0].0.plan.id;
    store.splice_note(visit, NoteField::Invitation, 0, 0, "Math night").unwrap();
    assert_eq!(store.unsynced_documents(relay).unwrap(), vec![DocId::new(DocKind::VisitNotes, visit.uuid())]);
    assert_eq!(store.unsynced_count(&"other-phone".parse().unwrap()).unwrap(), all.len(), "marks are per peer");

    let doc = all[0];
    assert_eq!(store.sync_state(relay, &doc).unwrap(), None);
    store.save_sync_state(relay, &doc, b"state-bytes").unwrap();
    drop(store);
    let mut store = open(&db_path(&dir));
    assert_eq!(store.sync_state(relay, &doc).unwrap().as_deref(), Some(&b"state-bytes"[..]));
    store.forget_peer(relay).unwrap();
    assert_eq!(store.sync_state(relay, &doc).unwrap(), None);
    assert_eq!(store.unsynced_count(relay).unwrap(), all.len());
}

#[test]
fn prompt_packs_fall_back_and_can_be_edited() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = demo_store(&dir);
    let es_mx = Language::parse("es-MX").unwrap();
    let pack = store.prompt_pack(&es_mx, VisitNumber::First).unwrap();
    assert_eq!(pack.language, Language::spanish());
    let fr = Language::parse("fr").unwrap();
    assert_eq!(store.prompt_pack(&fr, VisitNumber::Second).unwrap().language, Language::english());

    let mut edited = pack.clone();
    edited.prompts.push("¿Cuál es la comida favorita de su familia?".into());
    store.put_prompt_pack(&edited).unwrap();
    drop(store);
    let mut store = open(&db_path(&dir));
    assert_eq!(store.prompt_pack(&es_mx, VisitNumber::First).unwrap(), edited);
}

#[test]
fn export_holds_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let json = store.export_json().unwrap();
    assert_eq!(json["visit-log"].as_array().unwrap().len(), data.visits.len());
    assert_eq!(json["visit-notes"].as_array().unwrap().len(), data.visits.len());
    assert_eq!(json["family"].as_array().unwrap().len(), data.families.len());
    let text = json.to_string();
    assert!(text.contains("literacy night"));
}

/// Core practice 1: the family's "no" sticks on the phone until a coordinator records that it
/// agreed again.
#[test]
fn a_family_that_declined_is_not_planned_until_a_coordinator_records_its_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let plan = data.visits[0].0.plan.clone();
    let family = plan.family_id;
    let listed = |store: &mut Store| store.families_for_planning().unwrap().iter().any(|f| f.0 == family);
    assert!(!store.family_declined(family).unwrap());
    assert!(listed(&mut store));

    let stranger = EducatorId::new();
    assert!(matches!(
        store.record_family_decline(plan.id, stranger),
        Err(StoreError::Invalid(ValidationError::NotOnVisit(id))) if id == stranger
    ));
    store.record_family_decline(plan.id, plan.educator_ids[0]).unwrap();
    let declined = store.visit_log(plan.id).unwrap().outcome;
    assert_eq!((declined.status, declined.recorded_by), (VisitStatus::FamilyDeclined, Some(plan.educator_ids[0])));
    assert!(store.family_declined(family).unwrap());
    assert!(!listed(&mut store), "a declined family is not offered for planning");
    // Nor can a declined visit be confirmed as if it happened.
    assert!(matches!(
        store.confirm_visit(plan.id, plan.educator_ids[1], Timestamp::now()),
        Err(StoreError::Invalid(ValidationError::ConfirmationBeforeCompletion))
    ));

    let next = VisitPlan { id: VisitId::new(), family_agreement: None, ..plan.clone() };
    assert!(matches!(
        store.plan_visit(&next),
        Err(StoreError::Invalid(ValidationError::FamilyDeclined(f))) if f == family
    ));
    assert!(store.visit_log(next.id).is_err(), "nothing of the refused plan is stored");

    store.renew_family_agreement(family, Timestamp::now()).unwrap();
    assert_eq!(store.family(family).unwrap().agreement_renewed.unwrap().lifts, vec![plan.id]);
    assert!(!store.family_declined(family).unwrap());
    assert!(listed(&mut store));
    store.plan_visit(&next).unwrap();

    // A later "no" stands again: the earlier renewal does not lift it.
    store.record_family_decline(next.id, next.educator_ids[1]).unwrap();
    assert!(store.family_declined(family).unwrap());
}
