//! What the store does with documents from elsewhere: content must agree with its document id and
//! pass the model's rules, or nothing of it is stored; a panic inside a batch rolls the whole
//! batch back and leaves the store usable.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::ActorId;
use automerge::transaction::Transactable;
use common::*;
use homevisit_docs::{DocId, DocKind, create_record};
use homevisit_model::*;
use homevisit_store::StoreError;

#[test]
fn a_record_posing_as_another_document_is_refused_and_changes_no_screen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let (own, victim) = (&data.visits[0].0, &data.visits[2].0);
    assert_ne!(own.plan.school_id, victim.plan.school_id);
    let victim_log = DocId::new(DocKind::VisitLog, victim.plan.id.uuid());
    let visits_before = store.visits_for_family(victim.plan.family_id).unwrap();

    // Her own log, naming the other school's visit, under a new document id (root id rewritten too).
    let posing = VisitLog { plan: VisitPlan { id: victim.plan.id, ..own.plan.clone() }, ..own.clone() };
    let forged = DocId::new(DocKind::VisitLog, uuid::Uuid::new_v4());
    let mut doc = create_record(&posing, &ActorId::random()).unwrap();
    doc.put(automerge::ROOT, "id", forged.id.hyphenated().to_string()).unwrap();
    doc.commit();
    let err = store.merge_document_bytes(&forged, &doc.save()).unwrap_err();
    assert!(matches!(err, StoreError::Document { .. }), "{err:?}");
    assert!(!store.contains_document(&forged).unwrap());
    // Nothing of it reached the victim's visit on any screen (the relay's records of the same
    // attack: sync-server's relay_index tests).
    assert!(store.contains_document(&victim_log).unwrap());
    assert_eq!(store.visits_for_family(victim.plan.family_id).unwrap(), visits_before);

    // A document of another kind under an id, and an invalid record, are refused alike.
    let as_family = DocId::new(DocKind::Family, own.plan.id.uuid());
    let mut log = create_record(own, &ActorId::random()).unwrap();
    assert!(store.merge_document_bytes(&as_family, &log.save()).is_err());
    let mut invalid = own.clone();
    invalid.plan.id = VisitId::new();
    invalid.plan.educator_ids.clear(); // a visit needs its educators
    let invalid_id = DocId::new(DocKind::VisitLog, invalid.plan.id.uuid());
    let mut doc = create_record(own, &ActorId::random()).unwrap();
    autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, "data", &invalid).unwrap();
    doc.put(automerge::ROOT, "id", invalid_id.id.hyphenated().to_string()).unwrap();
    doc.commit();
    assert!(matches!(store.merge_document_bytes(&invalid_id, &doc.save()), Err(StoreError::Invalid(_))));
    assert!(!store.contains_document(&invalid_id).unwrap());
}

#[test]
fn a_panic_inside_a_batch_rolls_all_of_it_back_and_the_store_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let visit = data.visits[0].0.plan.id;
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _ = store.batch(|s| {
            s.set_note(visit, NoteField::Learned, "written, then the batch panics").unwrap();
            s.put_school(&School { id: data.schools[0].id, name: "Renamed".into() }).unwrap();
            panic!("a bug in the middle of a batch");
            #[allow(unreachable_code)]
            Ok::<_, StoreError>(())
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(store.note(visit, NoteField::Learned).unwrap(), "", "memory holds nothing the disk does not");
    // The store goes on: the next batch commits (seen from a second connection, and after reopening).
    store.batch(|s| s.set_note(visit, NoteField::Learned, "committed")).unwrap();
    assert_eq!(open(&db_path(&dir)).note(visit, NoteField::Learned).unwrap(), "committed");
    drop(store);
    let mut reopened = open(&db_path(&dir));
    assert_eq!(reopened.note(visit, NoteField::Learned).unwrap(), "committed");
    assert_eq!(reopened.school(data.schools[0].id).unwrap().name, data.schools[0].name);
}

/// A visit's notes received whole are stored as received, unloaded (loading is most of the cost
/// of receiving them); their first load checks them in full, and one that fails is reported by
/// `load_unloaded` and refused whenever it is read.
#[test]
fn notes_received_whole_are_checked_in_full_on_first_load() {
    use homevisit_model::VisitNotes;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let notes_of = |visit: VisitId| DocId::new(DocKind::VisitNotes, visit.uuid());
    let words = VisitNotes { hopes_and_dreams: "Wants to be a pilot.".into(), ..VisitNotes::default() };
    let (one, two, three) = (VisitId::new(), VisitId::new(), VisitId::new());

    // Good notes: stored unloaded, then read (and so checked) like any other.
    let mut good = homevisit_docs::create_notes_with(one, &words, &ActorId::random()).unwrap();
    store.merge_document_bytes(&notes_of(one), &good.save()).unwrap();
    assert_eq!(store.unloaded_count().unwrap(), 1);
    assert_eq!(store.document_heads(&notes_of(one)).unwrap().len(), 1);
    assert_eq!(store.load_unloaded(10).unwrap(), Vec::<DocId>::new());
    assert_eq!(store.unloaded_count().unwrap(), 0);
    assert!(store.document_json(&notes_of(one)).unwrap().to_string().contains("pilot"));

    // Notes of another visit, sent as these: stored (nothing about storing them needs their
    // content), then refused at their first load, and on every read after.
    let mut posing = homevisit_docs::create_notes_with(three, &words, &ActorId::random()).unwrap();
    store.merge_document_bytes(&notes_of(two), &posing.save()).unwrap();
    assert_eq!(store.load_unloaded(10).unwrap(), vec![notes_of(two)]);
    assert!(store.document_json(&notes_of(two)).is_err());

    // A header claiming heads its changes do not have (checksum made right again): Automerge's
    // verification at the first load refuses it.
    let mut saved = homevisit_docs::create_notes_with(three, &words, &ActorId::random()).unwrap().save();
    let own_heads = automerge::AutoCommit::load(&saved).unwrap().get_heads()[0].0;
    let at = saved.windows(32).position(|w| w == own_heads).expect("the heads are in the header");
    saved[at] ^= 0xff;
    fix_checksum(&mut saved);
    store.merge_document_bytes(&notes_of(three), &saved).unwrap();
    // (A document that failed stays listed until its owner removes it: the relay deletes it.)
    let mut failed = store.load_unloaded(10).unwrap();
    failed.sort();
    let mut expected = vec![notes_of(two), notes_of(three)];
    expected.sort();
    assert_eq!(failed, expected);
    assert!(store.document_json(&notes_of(three)).is_err());
    let _ = data;
}

/// Recomputes a lone document chunk's checksum (what a crafting sender can always do).
fn fix_checksum(chunk: &mut [u8]) {
    use sha2::{Digest, Sha256};
    let mut at = 9;
    while chunk[at] & 0x80 != 0 {
        at += 1;
    }
    let digest = Sha256::new().chain_update(&chunk[8..=at]).chain_update(&chunk[at + 1..]).finalize();
    chunk[4..8].copy_from_slice(&digest[..4]);
}
