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
