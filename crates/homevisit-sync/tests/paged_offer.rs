//! A paged offer (the relay's: one session per request, a page per answer) goes round the
//! candidates from where the last page stopped, offers each once, still finds a document that
//! changed behind its cursor, and waits while the peer is still uploading; asked ahead (the peer
//! is still storing the last page), it goes from the cursor to the end and not round.

use std::collections::BTreeSet;

use automerge::ActorId;
use homevisit_docs::{DocId, Record, create_record, read_record, write_record};
use homevisit_model::{School, SchoolId};
use homevisit_protocol::MessageForm;
use homevisit_sync::{MemoryDocs, PeerId, Session, SyncBatch, SyncDocs};

const PAGE: usize = 3;

fn peer() -> PeerId {
    "device".parse().expect("a peer id")
}

/// Storage holding `n` schools' documents, with each school's record.
fn relay_with(n: usize) -> (MemoryDocs, Vec<(DocId, School)>) {
    let mut relay = MemoryDocs::default();
    let mut schools = Vec::new();
    for i in 0..n {
        let school = School { id: SchoolId::new(), name: format!("School {i}") };
        let doc = create_record(&school, &ActorId::random()).unwrap();
        relay.receive_snapshot(&school.doc_id(), &doc.clone().save()).unwrap();
        schools.push((school.doc_id(), school));
    }
    (relay, schools)
}

/// One request's page: a fresh session resumed at `cursor`; returns the documents it sent whole,
/// whether it said more, and where the next page starts. The device is taken to hold what it was
/// sent (marked synced, as its answer would).
fn page(relay: &mut MemoryDocs, cursor: Option<DocId>) -> (Vec<DocId>, bool, Option<DocId>) {
    let (sent, more, next) = unanswered_page(relay, cursor);
    for doc in &sent {
        let heads = relay.heads(doc).unwrap().unwrap();
        relay.mark_synced(&peer(), doc, &heads).unwrap();
    }
    (sent, more, next)
}

/// A page whose documents the device never acknowledges.
fn unanswered_page(relay: &mut MemoryDocs, cursor: Option<DocId>) -> (Vec<DocId>, bool, Option<DocId>) {
    offered_page(relay, cursor, false)
}

/// A page asked for `ahead` or not, unacknowledged.
fn offered_page(relay: &mut MemoryDocs, cursor: Option<DocId>, ahead: bool) -> (Vec<DocId>, bool, Option<DocId>) {
    let mut session = Session::new(peer()).paged(PAGE);
    session.resume_offer_after(cursor);
    if ahead {
        session.offer_ahead_only();
    }
    let batch: SyncBatch = session.outgoing(relay).unwrap();
    let sent: Vec<DocId> = batch
        .messages
        .iter()
        .filter(|m| m.form == MessageForm::Snapshot)
        .map(|m| DocId::try_from(m.doc).unwrap())
        .collect();
    (sent, batch.more, session.offer_resume())
}

#[test]
fn pages_go_round_from_the_cursor_and_offer_each_document_once() {
    let (mut relay, schools) = relay_with(10);
    let (mut cursor, mut offered, mut pages) = (None, Vec::new(), 0);
    loop {
        let (sent, more, next) = page(&mut relay, cursor);
        pages += 1;
        assert!(sent.len() <= PAGE, "a page offers at most its size");
        offered.extend(sent);
        if !more {
            assert_eq!(next, None, "an offer that went all the way round leaves no cursor");
            break;
        }
        assert!(next.is_some(), "a cut offer says where the next starts");
        cursor = next;
        assert!(pages < 20, "the offer ends");
    }
    let unique: BTreeSet<DocId> = offered.iter().copied().collect();
    assert_eq!(unique.len(), offered.len(), "no document offered twice");
    assert_eq!(unique, schools.iter().map(|(id, _)| *id).collect(), "every document offered");
    // 10 documents, 3 a page: the fourth page offers the last one and ends the offer.
    assert_eq!(pages, 4);
}

#[test]
fn unanswered_pages_still_move_on_round_the_candidates() {
    // Nothing is acknowledged, so every document stays a candidate: only the cursor moves the
    // offer on (from the first document every time, it would offer the same page for ever).
    let (mut relay, schools) = relay_with(10);
    let (mut cursor, mut offered) = (None, BTreeSet::new());
    for _ in 0..4 {
        let (sent, more, next) = unanswered_page(&mut relay, cursor);
        assert!(more, "unacknowledged documents are still to offer");
        offered.extend(sent);
        cursor = next;
    }
    assert_eq!(offered, schools.iter().map(|(id, _)| *id).collect(), "four pages of 3 went round all 10");
}

#[test]
fn a_document_changed_behind_the_cursor_is_offered_before_the_offer_ends() {
    let (mut relay, _) = relay_with(7);
    let (first, more, cursor) = page(&mut relay, None);
    assert!(more);
    // One of the first page's documents changes after it was sent.
    let changed = first[0];
    let mut doc = homevisit_docs::load(&relay.snapshot(&changed).unwrap().0).unwrap().fork();
    let mut school: School = read_record(&doc).unwrap();
    school.name = "Renamed".into();
    write_record(&mut doc, &school).unwrap();
    relay.receive_snapshot(&changed, &doc.save()).unwrap();
    let mut later = Vec::new();
    let mut cursor = cursor;
    loop {
        let (sent, more, next) = page(&mut relay, cursor);
        later.extend(sent);
        if !more {
            break;
        }
        cursor = next;
    }
    assert!(later.contains(&changed), "the wrap-around found the changed document: {later:?}");
    assert_eq!(later.len(), 7 - PAGE + 1, "the rest, and the changed one again");
}

#[test]
fn while_the_peer_is_still_sending_the_offer_waits() {
    let (mut relay, _) = relay_with(4);
    let mut session = Session::new(peer()).paged(PAGE);
    session.defer_offer();
    let batch = session.outgoing(&mut relay).unwrap();
    assert!(batch.messages.is_empty(), "nothing offered while the peer has more to send");
    assert!(batch.more, "and it says more follows, so the peer asks again");
    let (sent, _, _) = page(&mut relay, None);
    assert_eq!(sent.len(), PAGE, "the next request's page offers");
}

#[test]
fn asked_ahead_the_offer_goes_to_the_end_and_not_round_to_the_unacknowledged_pages() {
    let (mut relay, schools) = relay_with(7);
    let all: BTreeSet<DocId> = schools.iter().map(|(id, _)| *id).collect();
    // A download: the first page, then pages asked ahead while the one before is still being
    // stored (unacknowledged), each acknowledged with the next request.
    let (first, more, cursor) = unanswered_page(&mut relay, None);
    assert!(more);
    let (second, more, cursor) = offered_page(&mut relay, cursor, true);
    assert!(more, "a full page ahead: more may follow");
    let (third, more, cursor) = offered_page(&mut relay, cursor, true);
    assert_eq!(third.len(), 7 - 2 * PAGE, "the last one, not the first pages again: {third:?}");
    assert!(!more, "nothing is ahead of the end");
    assert_eq!(cursor, None);
    let sent: Vec<DocId> = first.iter().chain(&second).chain(&third).copied().collect();
    assert_eq!(sent.iter().copied().collect::<BTreeSet<_>>(), all, "each sent once: {sent:?}");
    assert_eq!(sent.len(), 7);
    // Ahead of an offer that went all the way, nothing; the next ordinary request goes round and
    // offers what is still unacknowledged.
    assert!(offered_page(&mut relay, None, true).0.is_empty());
    for doc in &first {
        let heads = relay.heads(doc).unwrap().unwrap();
        relay.mark_synced(&peer(), doc, &heads).unwrap();
    }
    let (again, _, _) = unanswered_page(&mut relay, None);
    assert_eq!(again, second, "the unacknowledged are offered again, in order, from the first");
}
