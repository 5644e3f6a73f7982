//! Two phones syncing directly through an in-memory channel (bytes in, bytes out), about the one
//! visit they share.

use std::collections::VecDeque;

use chrono::{FixedOffset, NaiveDate};
use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::demo;
use homevisit_model::{NoteField, VisitId};
use homevisit_store::{DbKey, Store};
use homevisit_sync::{PeerId, PeerSync, SyncReport};

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

/// The other phone's id, as a sync peer.
fn peer(name: &str) -> PeerId {
    name.parse().expect("a peer id")
}

/// How many of the visit's documents have not reached `peer`.
fn unsynced_of(store: &Store, peer_name: &str, visit: VisitId) -> usize {
    store.unsynced_documents(&peer(peer_name)).unwrap().iter().filter(|d| visit_docs(visit).contains(d)).count()
}

fn visit_docs(visit: VisitId) -> Vec<DocId> {
    vec![DocId::new(DocKind::VisitLog, visit.uuid()), DocId::new(DocKind::VisitNotes, visit.uuid())]
}

/// A lossless in-memory channel: each side's bytes are delivered to the other in order.
fn exchange(a: &mut Store, b: &mut Store, visit: VisitId) -> (SyncReport, SyncReport) {
    let mut pa = PeerSync::for_visit(peer("phone-b"), visit);
    let mut pb = PeerSync::for_visit(peer("phone-a"), visit);
    let mut to_b = VecDeque::from([pa.start(a).unwrap()]);
    let mut to_a = VecDeque::new();
    loop {
        if let Some(bytes) = to_b.pop_front() {
            match pb.receive(b, &bytes).unwrap() {
                Some(reply) => to_a.push_back(reply),
                None => break,
            }
        }
        if let Some(bytes) = to_a.pop_front() {
            match pa.receive(a, &bytes).unwrap() {
                Some(reply) => to_b.push_back(reply),
                None => break,
            }
        } else {
            break;
        }
    }
    (pa.finish(a).unwrap(), pb.finish(b).unwrap())
}

fn assert_same_documents(a: &mut Store, b: &mut Store, ids: &[DocId]) {
    for id in ids {
        assert_eq!(a.document_heads(id).unwrap(), b.document_heads(id).unwrap(), "{id}");
        assert_eq!(a.document_json(id).unwrap(), b.document_json(id).unwrap(), "{id}");
    }
}

#[test]
fn a_phone_receives_the_shared_visit_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    let data = load_demo(&mut a);
    let visit = data.visits[0].0.plan.id;
    let (ra, rb) = exchange(&mut a, &mut b, visit);
    assert_eq!(b.document_ids(None).unwrap(), visit_docs(visit), "only the visit's log and notes travel");
    assert_same_documents(&mut a, &mut b, &visit_docs(visit));
    assert_eq!(ra.in_sync, 2, "{ra:?}");
    assert_eq!(unsynced_of(&b, "phone-a", visit), 0, "{rb:?}");
    assert!(ra.rounds <= 4, "{} rounds", ra.rounds);

    // A second exchange with nothing new sends nothing but the opening (empty) batch.
    let (ra, _) = exchange(&mut a, &mut b, visit);
    assert_eq!(ra.messages_sent, 0);
}

#[test]
fn a_peer_cannot_push_or_pull_anything_but_the_shared_visit() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut hostile) = (store(&dir, "a"), store(&dir, "hostile"));
    let data = load_demo(&mut a);
    load_demo(&mut hostile); // the other phone holds (and edits) the whole district
    let (shared, other) = (data.visits[0].0.plan.id, data.visits[1].0.plan.id);
    hostile.set_note(other, NoteField::Learned, "pushed into a visit A did not open").unwrap();
    let family = data.families[0].clone();
    hostile.put_family(&homevisit_model::Family { display_name: "Renamed".into(), ..family.clone() }).unwrap();
    let before: Vec<_> = a.document_ids(None).unwrap().iter().map(|d| (*d, a.document_heads(d).unwrap())).collect();

    // The hostile phone offers everything it has (an unlimited session), for the shared visit.
    let mut pa = PeerSync::for_visit(peer("hostile"), shared);
    let mut ph = homevisit_sync::Session::new(peer("a"));
    let offer = ph.outgoing(&mut hostile).unwrap();
    assert!(offer.messages.len() > 2, "the hostile phone offers more than the visit");
    let reply = pa.receive(&mut a, &offer.encode()).unwrap().expect("a reply");
    let reply = homevisit_protocol::SyncBatch::decode(&reply).unwrap();
    let refused: Vec<DocId> = reply.rejected.iter().map(|r| DocId::try_from(r.doc).unwrap()).collect();
    assert!(refused.contains(&DocId::new(DocKind::VisitNotes, other.uuid())));
    assert!(refused.contains(&DocId::new(DocKind::Family, family.id.uuid())));
    assert!(reply.rejected.iter().all(|r| r.reason == homevisit_sync::RejectReason::Forbidden));
    // What A sends back is about the shared visit only.
    let shared_docs = visit_docs(shared);
    assert!(reply.messages.iter().all(|m| shared_docs.contains(&DocId::try_from(m.doc).unwrap())));
    pa.finish(&mut a).unwrap();
    for (doc, heads) in before {
        if !shared_docs.contains(&doc) {
            assert_eq!(a.document_heads(&doc).unwrap(), heads, "{doc} must not change");
        }
    }
    assert_eq!(a.note(other, NoteField::Learned).unwrap(), "");
}

#[test]
fn both_partners_typing_offline_keep_every_word() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    let data = load_demo(&mut a);
    let visit = data.visits[0].0.plan.id;
    exchange(&mut a, &mut b, visit);
    a.set_note(visit, NoteField::Learned, "Sofia loves soccer.").unwrap();
    b.set_note(visit, NoteField::Learned, "Mateo draws dragons.").unwrap();
    b.splice_note(visit, NoteField::NextSteps, 0, 0, "Invite to literacy night. ").unwrap();
    assert_eq!(unsynced_of(&a, "phone-b", visit), 1);
    exchange(&mut a, &mut b, visit);
    let text = a.note(visit, NoteField::Learned).unwrap();
    assert!(text.contains("Sofia loves soccer.") && text.contains("Mateo draws dragons."), "{text}");
    assert_eq!(text, b.note(visit, NoteField::Learned).unwrap());
    assert!(a.note(visit, NoteField::NextSteps).unwrap().starts_with("Invite to literacy night."));
    assert_same_documents(&mut a, &mut b, &visit_docs(visit));
    assert_eq!(unsynced_of(&a, "phone-b", visit), 0);
}

#[test]
fn a_lost_reply_never_stalls_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    let data = load_demo(&mut a);
    let visit = data.visits[1].0.plan.id;
    exchange(&mut a, &mut b, visit);
    a.set_note(visit, NoteField::Invitation, "Math night on Thursday").unwrap();

    // A sends, B applies and answers, but B's answer is lost; A abandons its session.
    {
        let mut pa = PeerSync::for_visit(peer("phone-b"), visit);
        let mut pb = PeerSync::for_visit(peer("phone-a"), visit);
        let first = pa.start(&mut a).unwrap();
        let _lost = pb.receive(&mut b, &first).unwrap();
        pb.finish(&mut b).unwrap();
        // pa is dropped without finishing: nothing of this session is persisted on A.
    }
    assert_eq!(unsynced_of(&a, "phone-b", visit), 1, "A does not know B got it");

    // The next attempt starts a fresh session and converges.
    exchange(&mut a, &mut b, visit);
    assert_eq!(b.note(visit, NoteField::Invitation).unwrap(), "Math night on Thursday");
    assert_eq!(unsynced_of(&a, "phone-b", visit), 0);
    assert_same_documents(&mut a, &mut b, &visit_docs(visit));
}

#[test]
fn garbage_from_a_peer_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = store(&dir, "a");
    let data = load_demo(&mut a);
    let before = a.document_ids(None).unwrap();
    let visit = data.visits[0].0.plan.id;
    let mut pa = PeerSync::for_visit(peer("phone-b"), visit);
    assert!(pa.receive(&mut a, b"not a batch").is_err());
    let oversized = vec![0u8; homevisit_sync::peer::MAX_MESSAGE_BYTES + 1];
    assert!(matches!(pa.receive(&mut a, &oversized), Err(homevisit_sync::peer::PeerError::TooLarge(_))));
    // A well-formed batch carrying a malformed message for one document is refused per document.
    let doc = DocId::new(DocKind::VisitNotes, visit.uuid());
    let batch =
        homevisit_protocol::SyncBatch::new(vec![homevisit_protocol::DocMessage::sync(doc.into(), vec![9, 9, 9])]);
    let reply = pa.receive(&mut a, &batch.encode()).unwrap().expect("a reply with the refusal");
    let reply = homevisit_protocol::SyncBatch::decode(&reply).unwrap();
    assert_eq!(reply.rejected.len(), 1);
    assert_eq!(reply.rejected[0].reason, homevisit_sync::RejectReason::Malformed);
    pa.finish(&mut a).unwrap();
    assert_eq!(a.document_ids(None).unwrap(), before);
    assert_eq!(a.note(visit, NoteField::Learned).unwrap(), "");
}

/// A live session keeps receiving a partner's edits to one document: each reply that changes it
/// again says so (`changed_since`), though the session's report lists the document once. (The
/// client told the app only about a document's first change in a session, so a partner's second
/// word in a live session went unnoticed until the session ended: W2 stalled.)
#[test]
fn every_reply_that_changes_a_document_again_is_reported_for_that_reply() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (store(&dir, "a"), store(&dir, "b"));
    let data = load_demo(&mut a);
    load_demo(&mut b);
    let visit = data.visits[0].0.plan.id;
    let notes = DocId::new(DocKind::VisitNotes, visit.uuid());
    // A's session lives on (a live client's); B answers each request with a session of its own,
    // as the relay does.
    let mut on_a = homevisit_sync::Session::new(peer("b"));
    let mut changes_on_a = Vec::new();
    for word in ["Sofia ", "loves ", "soccer."] {
        b.splice_note(visit, NoteField::Learned, 0, 0, word).unwrap();
        let mut on_b = homevisit_sync::Session::new(peer("a"));
        // Rounds until A holds B's word: what each reply changed on A is collected per reply.
        for _ in 0..6 {
            let to_a = on_b.outgoing(&mut b).unwrap();
            let before = on_a.change_count();
            on_a.incoming(&mut a, &to_a).unwrap();
            changes_on_a.push(on_a.changed_since(before));
            let to_b = on_a.outgoing(&mut a).unwrap();
            on_b.incoming(&mut b, &to_b).unwrap();
            if a.note(visit, NoteField::Learned).unwrap() == b.note(visit, NoteField::Learned).unwrap() {
                break;
            }
        }
        on_b.finish(&mut b).unwrap();
    }
    assert_eq!(a.note(visit, NoteField::Learned).unwrap(), b.note(visit, NoteField::Learned).unwrap());
    let told = changes_on_a.iter().filter(|docs| docs.contains(&notes)).count();
    assert_eq!(told, 3, "each of B's three edits is told when it arrives: {changes_on_a:?}");
    let listed = on_a.changed().iter().filter(|d| **d == notes).count();
    assert_eq!(listed, 1, "the session's report lists the document once");
}
