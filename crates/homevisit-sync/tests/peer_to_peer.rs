//! Two phones syncing directly through an in-memory channel (bytes in, bytes out).

use std::collections::VecDeque;

use chrono::{FixedOffset, NaiveDate};
use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::demo;
use homevisit_model::NoteField;
use homevisit_store::{DbKey, Store};
use homevisit_sync::{PeerSync, SyncReport};

fn store(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(format!("{name}.db")), &DbKey::from_bytes([3; 32])).unwrap()
}

fn demo_day() -> (NaiveDate, FixedOffset) {
    (NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), FixedOffset::west_opt(8 * 3600).unwrap())
}

fn load_demo(store: &mut Store) -> homevisit_fixtures::DataSet {
    let (day, offset) = demo_day();
    let data = demo::data_set(day, offset);
    store.import_district(&data.schools, &data.educators, &data.families, &data.visits).unwrap();
    data
}

/// A lossless in-memory channel: each side's bytes are delivered to the other in order.
fn exchange(a: &mut Store, b: &mut Store) -> (SyncReport, SyncReport) {
    let mut pa = PeerSync::new(a, "phone-b");
    let mut pb = PeerSync::new(b, "phone-a");
    let mut to_b = VecDeque::from([pa.start().unwrap()]);
    let mut to_a = VecDeque::new();
    loop {
        if let Some(bytes) = to_b.pop_front() {
            match pb.receive(&bytes).unwrap() {
                Some(reply) => to_a.push_back(reply),
                None => break,
            }
        }
        if let Some(bytes) = to_a.pop_front() {
            match pa.receive(&bytes).unwrap() {
                Some(reply) => to_b.push_back(reply),
                None => break,
            }
        } else {
            break;
        }
    }
    (pa.finish().unwrap(), pb.finish().unwrap())
}

fn assert_same_documents(a: &mut Store, b: &mut Store) {
    let ids = a.document_ids(None).unwrap();
    assert_eq!(ids, b.document_ids(None).unwrap());
    for id in &ids {
        assert_eq!(a.document_heads(id).unwrap(), b.document_heads(id).unwrap(), "{id}");
        assert_eq!(a.document_json(id).unwrap(), b.document_json(id).unwrap(), "{id}");
    }
}

#[test]
fn a_new_phone_receives_everything_and_both_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    load_demo(&mut a);
    let total = a.document_ids(None).unwrap().len();
    let (ra, rb) = exchange(&mut a, &mut b);
    assert_same_documents(&mut a, &mut b);
    let (day, offset) = demo_day();
    assert_eq!(b.visits_on_day(day, offset).unwrap(), a.visits_on_day(day, offset).unwrap());
    assert_eq!(a.unsynced_count("phone-b").unwrap(), 0, "{ra:?}");
    assert_eq!(b.unsynced_count("phone-a").unwrap(), 0, "{rb:?}");
    assert_eq!(ra.in_sync, total);
    assert!(ra.rounds <= 4, "{} rounds", ra.rounds);

    // A second exchange with nothing new sends nothing but the opening (empty) batch.
    let (ra, _) = exchange(&mut a, &mut b);
    assert_eq!(ra.messages_sent, 0);
}

#[test]
fn both_partners_typing_offline_keep_every_word() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    let data = load_demo(&mut a);
    exchange(&mut a, &mut b);
    let visit = data.visits[0].0.plan.id;
    a.set_note(visit, NoteField::Learned, "Sofia loves soccer.").unwrap();
    b.set_note(visit, NoteField::Learned, "Mateo draws dragons.").unwrap();
    b.splice_note(visit, NoteField::NextSteps, 0, 0, "Invite to literacy night. ").unwrap();
    assert_eq!(a.unsynced_count("phone-b").unwrap(), 1);
    exchange(&mut a, &mut b);
    let text = a.note(visit, NoteField::Learned).unwrap();
    assert!(text.contains("Sofia loves soccer.") && text.contains("Mateo draws dragons."), "{text}");
    assert_eq!(text, b.note(visit, NoteField::Learned).unwrap());
    assert!(a.note(visit, NoteField::NextSteps).unwrap().starts_with("Invite to literacy night."));
    assert_same_documents(&mut a, &mut b);
    assert_eq!(a.unsynced_count("phone-b").unwrap(), 0);
}

#[test]
fn a_lost_reply_never_stalls_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    let data = load_demo(&mut a);
    exchange(&mut a, &mut b);
    let visit = data.visits[1].0.plan.id;
    a.set_note(visit, NoteField::Invitation, "Math night on Thursday").unwrap();

    // A sends, B applies and answers, but B's answer is lost; A abandons its session.
    {
        let mut pa = PeerSync::new(&mut a, "phone-b");
        let mut pb = PeerSync::new(&mut b, "phone-a");
        let first = pa.start().unwrap();
        let _lost = pb.receive(&first).unwrap();
        pb.finish().unwrap();
        // pa is dropped without finishing: nothing of this session is persisted on A.
    }
    assert_eq!(a.unsynced_count("phone-b").unwrap(), 1, "A does not know B got it");

    // The next attempt starts a fresh session and converges.
    exchange(&mut a, &mut b);
    assert_eq!(b.note(visit, NoteField::Invitation).unwrap(), "Math night on Thursday");
    assert_eq!(a.unsynced_count("phone-b").unwrap(), 0);
    assert_same_documents(&mut a, &mut b);
}

#[test]
fn garbage_from_a_peer_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = store(&dir, "a");
    load_demo(&mut a);
    let before = a.document_ids(None).unwrap();
    let mut pa = PeerSync::new(&mut a, "phone-b");
    assert!(pa.receive(b"not a batch").is_err());
    // A well-formed batch carrying a malformed message for one document is refused per document.
    let doc = DocId::new(DocKind::VisitNotes, uuid_like());
    let batch =
        homevisit_protocol::SyncBatch::new(vec![homevisit_protocol::DocMessage::sync(doc.into(), vec![9, 9, 9])]);
    let reply = pa.receive(&batch.encode()).unwrap().expect("a reply with the refusal");
    let reply = homevisit_protocol::SyncBatch::decode(&reply).unwrap();
    assert_eq!(reply.rejected.len(), 1);
    assert_eq!(reply.rejected[0].reason, homevisit_sync::RejectReason::Malformed);
    pa.finish().unwrap();
    assert_eq!(a.document_ids(None).unwrap(), before);
}

fn uuid_like() -> uuid::Uuid {
    uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0)
}
