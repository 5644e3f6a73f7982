//! Documents that grow: a field added in a later schema version (notes v2's "debrief done" mark)
//! arrives through a step change identical on every device, so documents of the old and the new
//! version, edited apart, merge without losing a word (see `src/steps.rs`).

use automerge::{ActorId, AutoCommit, ChangeHash, ReadDoc};
use homevisit_docs::{
    Content, DocId, DocKind, SCHEMA_KEY, check, create_notes, current_version, debrief_done, load, new_skeleton,
    note_text, set_debrief_done, splice_note, upgrade,
};
use homevisit_model::{DebriefDone, EducatorId, NoteField, Timestamp, VisitId};
use uuid::Uuid;

/// The id the pinned bytes below were made for.
const PINNED_VISIT: Uuid = Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef);

fn version(doc: &AutoCommit) -> u64 {
    match doc.get(automerge::ROOT, SCHEMA_KEY).unwrap() {
        Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
            automerge::ScalarValue::Uint(n) => *n,
            other => panic!("schema version is {other:?}"),
        },
        other => panic!("no schema version: {other:?}"),
    }
}

/// The document's creation change (its one change without dependencies).
fn creation(doc: &mut AutoCommit) -> ChangeHash {
    let roots: Vec<_> = doc.get_changes_meta(&[]).into_iter().filter(|c| c.deps.is_empty()).map(|c| c.hash).collect();
    assert_eq!(roots.len(), 1, "one creation change");
    roots[0]
}

/// What the app before notes v2 created for `visit`: the v1 skeleton alone (pinned below).
fn old_app_notes(visit: VisitId) -> AutoCommit {
    let mut doc = create_notes(visit);
    let root = creation(&mut doc);
    let mut old = doc.fork_at(&[root]).unwrap();
    assert_eq!(version(&old), 1);
    assert!(old.get(automerge::ROOT, "debrief_done").unwrap().is_none(), "v1 has no mark");
    // What the old app stored: bytes, reloaded.
    load(&old.save()).unwrap().with_actor(ActorId::random())
}

fn merged(a: &AutoCommit, b: &AutoCommit) -> AutoCommit {
    let mut m = a.clone();
    m.merge(&mut b.clone()).unwrap();
    m
}

#[test]
fn the_v1_skeleton_is_frozen() {
    // The hash of the v1 skeleton change the app wrote before notes could grow (computed with that
    // build). Every notes document made since holds this change: if it moved, a new phone would
    // make rival text objects next to an old phone's and hide its words.
    let mut doc = new_skeleton(&DocId::new(DocKind::VisitNotes, PINNED_VISIT));
    assert_eq!(creation(&mut doc).to_string(), "021b3e371e99f0c77c17d9f9e036e2575805b3045abb6653025e559b08af91b8");
    assert_eq!(version(&doc), current_version(DocKind::VisitNotes));
}

#[test]
fn every_note_field_is_in_a_new_document_and_it_passes_the_check() {
    let visit = VisitId::new();
    let mut doc = create_notes(visit);
    let id = DocId::new(DocKind::VisitNotes, visit.uuid());
    assert_eq!(check(&id, &doc).unwrap(), Content::VisitNotes);
    for field in NoteField::ALL {
        splice_note(&mut doc, field, 0, 0, "x").unwrap();
    }
    assert!(debrief_done(&doc).unwrap().is_none());
}

#[test]
fn a_v1_document_edited_on_an_old_phone_and_a_v2_document_edited_on_a_new_phone_merge_without_losing_a_word() {
    let visit = VisitId::new();
    let id = DocId::new(DocKind::VisitNotes, visit.uuid());
    let okafor = EducatorId::new();
    // Both phones hold the notes as the old app made them and synced them.
    let mut shared = old_app_notes(visit);

    // The old phone (v1 app) keeps writing into its v1 document.
    let mut old_phone = shared.fork().with_actor(ActorId::random());
    splice_note(&mut old_phone, NoteField::Learned, 0, 0, "Sofia loves soccer.").unwrap();
    splice_note(&mut old_phone, NoteField::NextSteps, 0, 0, "Invite to literacy night.").unwrap();
    assert_eq!(version(&old_phone), 1);

    // The new phone (v2 app) upgrades its copy, writes, and marks the debrief done.
    let mut new_phone = shared.fork().with_actor(ActorId::random());
    assert!(upgrade(&mut new_phone, DocKind::VisitNotes).unwrap());
    splice_note(&mut new_phone, NoteField::Learned, 0, 0, "Mateo draws dragons. ").unwrap();
    splice_note(&mut new_phone, NoteField::HopesAndDreams, 0, 0, "Que sea feliz 😀").unwrap();
    let done = DebriefDone { by: okafor, at: Timestamp::from_millis(1_790_000_000_000).unwrap() };
    set_debrief_done(&mut new_phone, Some(&done)).unwrap();

    // Merged in either order (on the relay, on the new phone, or as bytes on the old phone), the
    // result is one document with every word exactly once and the mark.
    let on_new = merged(&new_phone, &old_phone);
    let on_old = merged(&old_phone, &new_phone);
    assert_eq!(on_new.clone().get_heads(), on_old.clone().get_heads());
    let learned = note_text(&on_new, NoteField::Learned).unwrap();
    assert_eq!(learned.matches("Sofia loves soccer.").count(), 1, "{learned}");
    assert_eq!(learned.matches("Mateo draws dragons. ").count(), 1, "{learned}");
    assert_eq!(note_text(&on_new, NoteField::NextSteps).unwrap(), "Invite to literacy night.");
    assert_eq!(note_text(&on_new, NoteField::HopesAndDreams).unwrap(), "Que sea feliz 😀");
    assert_eq!(debrief_done(&on_new).unwrap(), Some(done.clone()));
    assert_eq!(version(&on_new), 2);
    let mut on_new = on_new;
    assert!(!upgrade(&mut on_new, DocKind::VisitNotes).unwrap(), "already current");
    assert_eq!(check(&id, &on_new).unwrap(), Content::VisitNotes);

    // The old phone goes on writing after it merged (its app cannot read v2, but its edits made
    // offline still merge into the same text objects).
    let mut later_old = shared.fork().with_actor(ActorId::random());
    splice_note(&mut later_old, NoteField::Learned, 0, 0, "Rivera: ").unwrap();
    let all = merged(&on_new, &later_old);
    let learned = note_text(&all, NoteField::Learned).unwrap();
    for words in ["Rivera: ", "Sofia loves soccer.", "Mateo draws dragons. "] {
        assert_eq!(learned.matches(words).count(), 1, "{words} in {learned}");
    }
    assert_eq!(debrief_done(&all).unwrap(), Some(done));
}

#[test]
fn an_old_phone_and_a_new_phone_that_each_create_the_notes_offline_share_their_text_objects() {
    let visit = VisitId::new();
    let mut old_phone = old_app_notes(visit);
    let mut new_phone = create_notes(visit).with_actor(ActorId::random());
    splice_note(&mut old_phone, NoteField::Learned, 0, 0, "from the old phone").unwrap();
    splice_note(&mut new_phone, NoteField::Learned, 0, 0, "from the new phone").unwrap();
    let all = merged(&new_phone, &old_phone);
    let learned = note_text(&all, NoteField::Learned).unwrap();
    assert!(learned.contains("from the old phone") && learned.contains("from the new phone"), "{learned}");
    assert_eq!(version(&all), 2);
}

#[test]
fn two_new_phones_upgrading_the_same_old_document_add_one_change_and_keep_the_mark() {
    let visit = VisitId::new();
    let mut shared = old_app_notes(visit);
    let mut a = shared.fork().with_actor(ActorId::random());
    let mut b = shared.fork().with_actor(ActorId::random());
    // Different edits before upgrading: the step does not depend on them.
    splice_note(&mut a, NoteField::Learned, 0, 0, "a").unwrap();
    splice_note(&mut b, NoteField::UseInClass, 0, 0, "b").unwrap();
    let (before_a, before_b) = (a.get_heads(), b.get_heads());
    upgrade(&mut a, DocKind::VisitNotes).unwrap();
    upgrade(&mut b, DocKind::VisitNotes).unwrap();
    let step_a: Vec<_> = a.get_changes(&before_a).iter().map(|c| c.hash()).collect();
    let step_b: Vec<_> = b.get_changes(&before_b).iter().map(|c| c.hash()).collect();
    assert_eq!(step_a.len(), 1);
    assert_eq!(step_a, step_b, "the step change is the same on both phones");
    // A marks the debrief done; B's upgrade, concurrent with the mark, cannot undo it.
    let done = DebriefDone { by: EducatorId::new(), at: Timestamp::now() };
    set_debrief_done(&mut a, Some(&done)).unwrap();
    assert_eq!(debrief_done(&merged(&a, &b)).unwrap(), Some(done.clone()));
    assert_eq!(debrief_done(&merged(&b, &a)).unwrap(), Some(done));
    // A document created new on a v2 phone holds that same step change.
    let fresh = create_notes(visit);
    assert!(fresh.get_change_by_hash(&step_a[0]).is_some());
}

#[test]
fn notes_imported_by_the_old_app_upgrade_alike_on_every_device() {
    // Bytes the app before notes v2 wrote when it imported a visit with notes ("Loves drawing" in
    // `learned`): one import change, not the skeleton.
    let bytes = include_bytes!("data/notes-v1-imported.automerge");
    let id = DocId::new(DocKind::VisitNotes, PINNED_VISIT);
    let mut a = load(bytes).unwrap().with_actor(ActorId::random());
    let mut b = load(bytes).unwrap().with_actor(ActorId::random());
    assert_eq!(version(&a), 1);
    splice_note(&mut a, NoteField::Learned, 13, 0, " and soccer").unwrap();
    splice_note(&mut b, NoteField::Learned, 0, 0, "Sofia ").unwrap();
    let (before_a, before_b) = (a.get_heads(), b.get_heads());
    assert!(upgrade(&mut a, DocKind::VisitNotes).unwrap());
    assert!(upgrade(&mut b, DocKind::VisitNotes).unwrap());
    let step = |doc: &mut AutoCommit, before: &[ChangeHash]| -> Vec<_> {
        doc.get_changes(before).iter().map(|c| c.hash()).collect()
    };
    assert_eq!(step(&mut a, &before_a), step(&mut b, &before_b));
    let all = merged(&a, &b);
    assert_eq!(note_text(&all, NoteField::Learned).unwrap(), "Sofia Loves drawing and soccer");
    assert_eq!(check(&id, &all).unwrap(), Content::VisitNotes);
}

#[test]
fn a_document_without_a_single_creation_change_is_refused_not_upgraded() {
    // Two unrelated v1 skeletons for different visits, merged: two creation changes.
    let mut a = old_app_notes(VisitId::new());
    let mut b = old_app_notes(VisitId::new());
    a.merge(&mut b).unwrap();
    assert!(upgrade(&mut a, DocKind::VisitNotes).is_err());
}
