//! The conformance suite every [`SyncDocs`] implementation passes (feature `conformance`): the
//! in-memory [`MemoryDocs`], the phone's store, and the relay's embedded and PostgreSQL storages.
//!
//! A storage runs it through a [`Harness`] (one committed transaction per [`Harness::run`]) and
//! the [`sync_docs_conformance!`](crate::sync_docs_conformance) macro, which makes one `#[test]`
//! per case:
//!
//! ```ignore
//! mod memory {
//!     homevisit_sync::sync_docs_conformance!(homevisit_sync::MemoryDocs::new());
//! }
//! ```
//!
//! Every case works with documents and peers of its own (random ids), so a storage shared by
//! several tests at once still passes. The documents are real (school records from
//! `homevisit_docs`), and the peer in the sync cases is a [`MemoryDocs`].

use std::collections::BTreeSet;

use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc, Value};
use homevisit_docs::{DocId, DocKind, Record, create_record, read_record, write_record};
use homevisit_model::{School, SchoolId};
use homevisit_protocol::RejectReason;

use crate::{DocFailure, MemoryDocs, Merged, PeerId, Session, SyncDocs, SyncReport};

/// How the suite reaches a storage.
pub trait Harness {
    /// Runs `step` once, in one transaction committed when it returns `Ok` (a storage without
    /// transactions just runs it). An `Err` from `step` is returned, and nothing of it is kept.
    fn run(&mut self, step: &mut dyn FnMut(&mut dyn SyncDocs) -> Result<(), DocFailure>) -> Result<(), DocFailure>;
    /// Closes the storage and opens it again (what was committed must all be there: a new
    /// connection, nothing held in memory). Nothing to do for a storage that lives in memory.
    fn reopen(&mut self);
}

/// Runs in memory; [`Harness::reopen`] keeps everything (there is nothing else to keep it in).
impl Harness for MemoryDocs {
    fn run(&mut self, step: &mut dyn FnMut(&mut dyn SyncDocs) -> Result<(), DocFailure>) -> Result<(), DocFailure> {
        step(self)
    }

    fn reopen(&mut self) {}
}

/// Makes one `#[test]` per conformance case, each on a fresh harness from `$harness` (an
/// expression evaluated once per test). With `optional:`, `$harness` is an `Option` and a test
/// given `None` returns at once (the harness prints why: e.g. no database configured).
#[macro_export]
macro_rules! sync_docs_conformance {
    (optional: $harness:expr) => {
        $crate::sync_docs_conformance!(@cases $harness);
    };
    ($harness:expr) => {
        $crate::sync_docs_conformance!(@cases Some($harness));
    };
    (@cases $harness:expr) => {
        $crate::sync_docs_conformance!(@each $harness;
            a_missing_document_is_absent,
            a_whole_document_is_stored_once_and_kept,
            whole_documents_merge_with_what_is_stored,
            malformed_bytes_are_refused_and_nothing_is_kept,
            content_that_disagrees_with_its_id_is_refused,
            a_document_over_its_limits_is_refused,
            bytes_that_make_automerge_panic_are_refused,
            a_message_that_creates_nothing_yet_is_not_a_document,
            sync_messages_from_a_peer_are_applied,
            a_sync_message_that_breaks_the_document_is_refused,
            a_session_converges_both_ways,
            sync_states_are_per_peer_and_kept,
            saving_the_state_of_a_missing_document_keeps_nothing,
            a_document_marked_whole_resumes_from_its_heads,
            marks_decide_the_candidates,
            candidate_parts_walk_the_candidates_in_order,
            preload_then_receive_is_receive,
            a_preload_of_other_bytes_does_not_win,
            generating_for_a_missing_document_stores_nothing,
        );
    };
    (@each $harness:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let Some(mut harness) = $harness else { return };
                $crate::conformance::$case(&mut harness);
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Runs `f` as one step of `h` and returns what it returned. A storage failure (or `Err` from
/// `f`) fails the test: cases that expect a refusal return the `Result` itself.
pub fn run<R>(h: &mut dyn Harness, f: impl FnOnce(&mut dyn SyncDocs) -> Result<R, DocFailure>) -> R {
    let mut f = Some(f);
    let mut out = None;
    h.run(&mut |docs| {
        let f = f.take().expect("a harness runs each step once");
        out = Some(f(docs)?);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("the step failed: {e}"));
    out.expect("the harness ran the step")
}

/// A new school's id and document.
fn school(name: &str) -> (DocId, AutoCommit) {
    let school = School { id: SchoolId::new(), name: name.into() };
    let doc = create_record(&school, &ActorId::random()).expect("a valid school");
    (school.doc_id(), doc)
}

/// A copy of `doc` (another writer's) with the school renamed: one more change.
fn renamed(doc: &AutoCommit, name: &str) -> AutoCommit {
    let mut doc = doc.clone().fork();
    let mut school: School = read_record(&doc).expect("a school");
    school.name = name.into();
    write_record(&mut doc, &school).expect("a valid school");
    doc
}

fn saved(doc: &AutoCommit) -> Vec<u8> {
    doc.clone().save()
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

fn heads_of(doc: &AutoCommit) -> Vec<ChangeHash> {
    sorted(doc.clone().get_heads())
}

/// A peer id of this case's own.
fn peer(label: &str) -> PeerId {
    PeerId::parse(&format!("{label}-{}", SchoolId::new())).expect("a peer id")
}

/// `doc`'s heads in `h`, sorted (`None` if `h` does not hold it).
fn heads(h: &mut dyn Harness, doc: &DocId) -> Option<Vec<ChangeHash>> {
    run(h, |d| d.heads(doc)).map(sorted)
}

/// Which of `among` `h` would offer `peer`, sorted.
fn candidates_among(h: &mut dyn Harness, peer: &PeerId, among: &[DocId]) -> Vec<DocId> {
    let all: BTreeSet<DocId> = run(h, |d| d.candidates(peer)).into_iter().collect();
    among.iter().filter(|doc| all.contains(doc)).copied().collect::<BTreeSet<_>>().into_iter().collect()
}

fn set(docs: &[DocId]) -> Vec<DocId> {
    docs.iter().copied().collect::<BTreeSet<_>>().into_iter().collect()
}

/// `doc`'s snapshot in `h`: its heads as reported, and its bytes loaded.
fn snapshot(h: &mut dyn Harness, doc: &DocId) -> (Vec<ChangeHash>, AutoCommit) {
    let (bytes, reported) = run(h, |d| d.snapshot(doc));
    let loaded = homevisit_docs::load(&bytes).expect("a snapshot loads");
    (sorted(reported), loaded)
}

fn assert_refused(result: Result<Merged, DocFailure>, reason: RejectReason, what: &str) {
    match result {
        Err(DocFailure::Rejected(r)) if r == reason => {}
        other => panic!("{what}: expected Rejected({reason:?}), got {other:?}"),
    }
}

/// Receives `doc` whole in one step.
fn receive_whole(h: &mut dyn Harness, id: &DocId, doc: &AutoCommit) -> Result<Merged, DocFailure> {
    let bytes = saved(doc);
    run(h, |d| Ok(d.receive_snapshot(id, &bytes)))
}

/// A school's document with its record's name replaced by `name` past the model's validation.
fn with_raw_name(doc: &AutoCommit, name: &str) -> AutoCommit {
    let mut doc = doc.clone().fork();
    let data = match doc.get(ROOT, "data").expect("readable") {
        Some((Value::Object(ObjType::Map), data)) => data,
        _ => panic!("a record has its data"),
    };
    doc.put(&data, "name", name).expect("a put");
    doc.commit();
    doc
}

/// Syncs `h` with `peer` through two [`Session`]s until neither has anything more to send; each
/// step on `h`'s side is one transaction. `h` calls the peer `there`; the peer calls `h` `here`.
/// Returns (`h`'s report, the peer's).
fn sync_with(h: &mut dyn Harness, peer: &mut MemoryDocs, here: &PeerId, there: &PeerId) -> (SyncReport, SyncReport) {
    let mut ours = Session::new(there.clone());
    let mut theirs = Session::new(here.clone());
    let mut batch = run(h, |d| ours.outgoing(d));
    let mut settled = false;
    for _ in 0..16 {
        let reply = theirs.respond(peer, &batch).expect("the peer answers");
        if batch.messages.is_empty() && reply.messages.is_empty() && reply.rejected.is_empty() && !reply.more {
            settled = true;
            break;
        }
        batch = run(h, |d| ours.respond(d, &reply));
        if reply.messages.is_empty() && batch.messages.is_empty() && batch.rejected.is_empty() && !batch.more {
            settled = true;
            break;
        }
    }
    assert!(settled, "the session did not settle in 16 rounds");
    run(h, |d| {
        while !ours.persist_some(d, usize::MAX)? {}
        Ok(())
    });
    let ours = ours.into_report();
    let theirs = theirs.finish(peer).expect("the peer persists");
    assert!(ours.refused_by_us.is_empty() && ours.refused_by_peer.is_empty(), "{ours:?}");
    assert!(theirs.refused_by_us.is_empty() && theirs.refused_by_peer.is_empty(), "{theirs:?}");
    (ours, theirs)
}

/// Exchanges Automerge sync messages about `id` between `h` (state `ours`, one step per call) and
/// a raw document (state `theirs`) until both are quiet or `h` refuses one. Returns what each
/// receive on `h`'s side answered.
fn exchange_with_raw(
    h: &mut dyn Harness,
    id: &DocId,
    raw: &mut AutoCommit,
    ours: &mut State,
    theirs: &mut State,
) -> Vec<Result<Merged, DocFailure>> {
    let mut answers = Vec::new();
    for _ in 0..16 {
        let sent = raw.sync().generate_sync_message(theirs);
        if let Some(message) = sent.clone() {
            let answer = run(h, |d| Ok(d.receive(id, ours, message)));
            let refused = answer.is_err();
            answers.push(answer);
            if refused {
                break;
            }
        }
        let reply = run(h, |d| Ok(d.generate(id, ours)));
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => panic!("generate after a receive: {e:?}"),
        };
        match reply {
            Some(reply) => raw.sync().receive_sync_message(theirs, reply).expect("the raw side receives"),
            None if sent.is_none() => break,
            None => {}
        }
    }
    answers
}

/// Exchanges Automerge sync messages about `id` between `h` and a [`MemoryDocs`] `peer`, as
/// [`exchange_with_raw`].
fn exchange_with_peer(
    h: &mut dyn Harness,
    id: &DocId,
    peer: &mut MemoryDocs,
    ours: &mut State,
    theirs: &mut State,
) -> Vec<Merged> {
    let mut answers = Vec::new();
    for _ in 0..16 {
        let sent = peer.generate(id, theirs).expect("the peer generates");
        if let Some(message) = sent.clone() {
            answers.push(run(h, |d| d.receive(id, ours, message)));
        }
        match run(h, |d| d.generate(id, ours)) {
            Some(reply) => {
                peer.receive(id, theirs, reply).expect("the peer receives");
            }
            None if sent.is_none() => break,
            None => {}
        }
    }
    answers
}

// ---------------------------------------------------------------------------------------------
// Cases

/// A document never received has no heads, no snapshot (`Rejected(Malformed)`, as for any document
/// that cannot be sent), no sync state, and is no candidate.
pub fn a_missing_document_is_absent(h: &mut dyn Harness) {
    let (id, _) = school("Absent");
    let who = peer("peer");
    assert_eq!(heads(h, &id), None);
    match run(h, |d| Ok(d.snapshot(&id))) {
        Err(DocFailure::Rejected(RejectReason::Malformed)) => {}
        other => panic!("snapshot of a missing document: {other:?}"),
    }
    assert_eq!(run(h, |d| d.load_state(&who, &id)), None);
    assert_eq!(candidates_among(h, &who, &[id]), vec![]);
}

/// A valid whole document is stored (`Changed`), and again is `Unchanged`; its heads and snapshot
/// are the document's, in later transactions and after reopening.
pub fn a_whole_document_is_stored_once_and_kept(h: &mut dyn Harness) {
    let (id, doc) = school("Lincoln Elementary");
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Changed);
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Unchanged, "the same document again");
    for moment in ["after storing", "after reopening"] {
        assert_eq!(heads(h, &id), Some(heads_of(&doc)), "{moment}");
        let (reported, loaded) = snapshot(h, &id);
        assert_eq!(reported, heads_of(&doc), "{moment}: the snapshot's heads");
        assert_eq!(heads_of(&loaded), heads_of(&doc), "{moment}: the snapshot's bytes");
        assert_eq!(read_record::<School>(&loaded).unwrap(), read_record::<School>(&doc).unwrap(), "{moment}");
        assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Unchanged, "{moment}");
        assert_eq!(candidates_among(h, &peer("new-peer"), &[id]), vec![id], "{moment}: offered to a new peer");
        h.reopen();
    }
}

/// A whole document merges into what is stored: a later version is `Changed`, an older one
/// `Unchanged`, a concurrent one keeps both sides' changes; many changes in a row all stay
/// (however the storage keeps them: chunks, compaction), and the snapshot holds them all.
pub fn whole_documents_merge_with_what_is_stored(h: &mut dyn Harness) {
    let (id, v1) = school("Jefferson");
    assert_eq!(receive_whole(h, &id, &v1).unwrap(), Merged::Changed);
    let v2 = renamed(&v1, "Jefferson Elementary");
    assert_eq!(receive_whole(h, &id, &v2).unwrap(), Merged::Changed, "a later version");
    assert_eq!(heads(h, &id), Some(heads_of(&v2)));
    assert_eq!(receive_whole(h, &id, &v1).unwrap(), Merged::Unchanged, "an older version");
    let other = renamed(&v1, "Jefferson Middle");
    assert_eq!(receive_whole(h, &id, &other).unwrap(), Merged::Changed, "a concurrent version");
    let both = sorted(heads_of(&v2).into_iter().chain(heads_of(&other)).collect());
    assert_eq!(heads(h, &id), Some(both.clone()));
    let (reported, loaded) = snapshot(h, &id);
    assert_eq!((reported, heads_of(&loaded)), (both.clone(), both), "the snapshot holds both");
    // Many small changes, one after another.
    let mut latest = v2;
    for i in 0..12 {
        latest = renamed(&latest, &format!("Jefferson {i}"));
        assert_eq!(receive_whole(h, &id, &latest).unwrap(), Merged::Changed, "change {i}");
    }
    h.reopen();
    let (reported, loaded) = snapshot(h, &id);
    let mut expected = latest.clone();
    homevisit_docs::untrusted::merge(&mut expected, &mut other.clone()).unwrap();
    assert_eq!(reported, heads_of(&expected));
    assert_eq!(heads_of(&loaded), heads_of(&expected));
    assert_eq!(heads(h, &id), Some(heads_of(&expected)));
}

/// Bytes that are not a document are refused as malformed, and nothing of them is kept: neither a
/// new document nor a change to a stored one (into which no bytes, or a document without changes,
/// merge nothing: `Unchanged` is right too). Nor is a sync message whose changes are garbage.
pub fn malformed_bytes_are_refused_and_nothing_is_kept(h: &mut dyn Harness) {
    let (id, doc) = school("Roosevelt");
    let valid = saved(&doc);
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("garbage", b"not an automerge document".to_vec()),
        ("truncated", valid[..valid.len() - 1].to_vec()),
        ("trailing bytes", [&valid[..], b"x"].concat()),
        ("an empty document", AutoCommit::new().save()),
    ];
    for (what, bytes) in &bad {
        assert_refused(run(h, |d| Ok(d.receive_snapshot(&id, bytes))), RejectReason::Malformed, what);
        assert_eq!(heads(h, &id), None, "{what}: nothing stored");
    }
    assert_eq!(candidates_among(h, &peer("peer"), &[id]), vec![]);
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Changed);
    for (what, bytes) in &bad {
        match run(h, |d| Ok(d.receive_snapshot(&id, bytes))) {
            // No bytes at all, or a document with no changes, merge nothing into a stored one.
            Ok(Merged::Unchanged) if bytes.is_empty() || *what == "an empty document" => {}
            other => assert_refused(other, RejectReason::Malformed, what),
        }
        assert_eq!(heads(h, &id), Some(heads_of(&doc)), "{what}: the stored document is unchanged");
    }
    // A sync message (as a peer would send after the first) whose changes are garbage.
    let mut sender = renamed(&doc, "Roosevelt Elementary");
    let mut message = sender.sync().generate_sync_message(&mut State::new()).expect("a first message");
    message.changes = vec![b"garbage".to_vec()].into();
    let mut state = State::new();
    assert_refused(run(h, |d| Ok(d.receive(&id, &mut state, message))), RejectReason::Malformed, "garbage changes");
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
    h.reopen();
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
}

/// A document whose content is not the one its id names (another document's, another kind's, or
/// an invalid record) is refused as malformed and not kept, new or as a change to a stored one.
pub fn content_that_disagrees_with_its_id_is_refused(h: &mut dyn Harness) {
    let (id, doc) = school("Washington");
    let (elsewhere, _) = school("Elsewhere");
    assert_refused(receive_whole(h, &elsewhere, &doc), RejectReason::Malformed, "under another school's id");
    assert_eq!(heads(h, &elsewhere), None);
    let as_family = DocId::new(DocKind::Family, id.id);
    assert_refused(receive_whole(h, &as_family, &doc), RejectReason::Malformed, "under another kind's id");
    assert_eq!(heads(h, &as_family), None);
    assert_refused(receive_whole(h, &id, &with_raw_name(&doc, " ")), RejectReason::Malformed, "an invalid record");
    assert_eq!(heads(h, &id), None);
    // Stored, then a version whose root id (and only that) names another document.
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Changed);
    let mut moved = doc.clone().fork();
    moved.put(ROOT, "id", elsewhere.id.hyphenated().to_string()).unwrap();
    moved.commit();
    assert_refused(receive_whole(h, &id, &moved), RejectReason::Malformed, "a change to another id");
    assert_refused(receive_whole(h, &id, &with_raw_name(&doc, "")), RejectReason::Malformed, "an invalid change");
    assert_eq!(heads(h, &id), Some(heads_of(&doc)), "the stored document is unchanged");
    let (_, loaded) = snapshot(h, &id);
    assert_eq!(read_record::<School>(&loaded).unwrap(), read_record::<School>(&doc).unwrap());
}

/// A document holding more operations than its kind may, or more bytes than any document may
/// (`homevisit_docs::limits`), is refused, new or merged into a stored one. The bytes limit is
/// only the strict loading of received bytes' (`untrusted::load_received`): the check of a loaded
/// document does not look at what its record does not name.
pub fn a_document_over_its_limits_is_refused(h: &mut dyn Harness) {
    let (id, doc) = school("Adams");
    // One more operation than a record may hold, as characters of a text (one operation each).
    let mut bomb = doc.clone().fork();
    let text = bomb.put_object(ROOT, "k", ObjType::Text).unwrap();
    bomb.splice_text(&text, 0, 0, &"a".repeat(homevisit_docs::limits::MAX_RECORD_OPS as usize + 1)).unwrap();
    bomb.commit();
    // The document, then one change (64 KiB of text under a key its record does not name) over
    // and over: loadable, and past the bytes limit.
    let mut extra = doc.clone().fork();
    extra.put(ROOT, "extra", incompressible(64 << 10)).unwrap();
    extra.commit();
    let mut change = extra.get_last_local_change().expect("the change");
    let change = change.bytes().into_owned();
    let repeats = homevisit_docs::limits::MAX_DOCUMENT_BYTES / change.len() + 1;
    let large = [saved(&doc), change.repeat(repeats)].concat();
    assert_refused(receive_whole(h, &id, &bomb), RejectReason::Malformed, "a new document over the operations");
    assert_refused(run(h, |d| Ok(d.receive_snapshot(&id, &large))), RejectReason::Malformed, "a new one too large");
    assert_eq!(heads(h, &id), None);
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Changed);
    assert_refused(receive_whole(h, &id, &bomb), RejectReason::Malformed, "a merge over the operations");
    assert_refused(run(h, |d| Ok(d.receive_snapshot(&id, &large))), RejectReason::Malformed, "a merge too large");
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
}

/// `len` printable characters that do not compress much (Automerge deflates what it saves).
fn incompressible(len: usize) -> String {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 94) as u8)
        })
        .collect()
}

/// 110 bytes that make Automerge 0.12's `load` panic (crates/homevisit-fuzz/FINDINGS.md, site 1,
/// `regressions/am-author-105.bin`).
fn automerge_panic_bytes() -> Vec<u8> {
    let mut bytes = vec![0u8; 110];
    bytes[..14].copy_from_slice(&[0x85, 0x6f, 0x4a, 0x83, 0x75, 0xb9, 0xd3, 0xbf, 0x00, 0x64, 0x33, 0x2d, 0x35, 0xd0]);
    bytes
}

/// A sync message from the fuzz crate's regressions (after its mode byte): `receive` panics in
/// Automerge 0.12 (`change_graph.rs:1673`) or, with `bloom`, the state it leaves does when the
/// next message is generated (`sync/bloom.rs:74`).
fn automerge_panic_message(bloom: bool) -> automerge::sync::Message {
    let bytes: &[u8] = if bloom {
        include_bytes!("../../homevisit-fuzz/regressions/am-bloom-74.bin")
    } else {
        include_bytes!("../../homevisit-fuzz/regressions/am-change_graph-1673.bin")
    };
    homevisit_docs::untrusted::decode_sync_message(&bytes[1..]).expect("the regression decodes")
}

/// Bytes that make Automerge panic are refused as malformed (the panic contained), whole or as a
/// sync message, for a new document or a stored one; the stored document is kept as it was and
/// the storage goes on.
pub fn bytes_that_make_automerge_panic_are_refused(h: &mut dyn Harness) {
    let (id, doc) = school("Madison");
    let crash = automerge_panic_bytes();
    assert_refused(run(h, |d| Ok(d.receive_snapshot(&id, &crash))), RejectReason::Malformed, "whole, new");
    let mut state = State::new();
    let refused = run(h, |d| Ok(d.receive(&id, &mut state, automerge_panic_message(false))));
    assert_refused(refused, RejectReason::Malformed, "a message, new");
    assert_eq!(heads(h, &id), None);
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Changed);
    assert_refused(run(h, |d| Ok(d.receive_snapshot(&id, &crash))), RejectReason::Malformed, "whole, merged");
    let mut state = State::new();
    let refused = run(h, |d| Ok(d.receive(&id, &mut state, automerge_panic_message(false))));
    assert_refused(refused, RejectReason::Malformed, "a message, merged");
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
    // A state that makes the next message panic: refused, or nothing to say; never a failure.
    let mut state = State::new();
    let received = run(h, |d| Ok(d.receive(&id, &mut state, automerge_panic_message(true))));
    assert!(matches!(received, Ok(Merged::Unchanged) | Err(DocFailure::Rejected(_))), "{received:?}");
    let generated = run(h, |d| Ok(d.generate(&id, &mut state)));
    assert!(matches!(generated, Ok(_) | Err(DocFailure::Rejected(_))), "{generated:?}");
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
    let sender = renamed(&doc, "Madison Elementary");
    assert_eq!(receive_whole(h, &id, &sender).unwrap(), Merged::Changed, "the storage goes on");
    let (reported, loaded) = snapshot(h, &id);
    assert_eq!((reported, heads_of(&loaded)), (heads_of(&sender), heads_of(&sender)));
}

/// A peer's first sync message about a document not held here carries no changes: receiving it
/// is `Unchanged` and makes no document (no heads, no snapshot, no candidate, no sync state kept).
pub fn a_message_that_creates_nothing_yet_is_not_a_document(h: &mut dyn Harness) {
    let (id, doc) = school("Monroe");
    let mut peer_docs = MemoryDocs::new();
    peer_docs.receive_snapshot(&id, &saved(&doc)).unwrap();
    let first = peer_docs.generate(&id, &mut State::new()).unwrap().expect("a first message");
    assert!(first.changes.is_empty(), "a first message carries no changes");
    let who = peer("peer");
    let mut state = State::new();
    assert_eq!(run(h, |d| d.receive(&id, &mut state, first)), Merged::Unchanged);
    assert_eq!(heads(h, &id), None);
    assert!(matches!(run(h, |d| Ok(d.snapshot(&id))), Err(DocFailure::Rejected(_))));
    assert_eq!(candidates_among(h, &who, &[id]), vec![]);
    run(h, |d| d.save_state(&who, &id, &state.encode()));
    assert_eq!(run(h, |d| d.load_state(&who, &id)), None);
}

/// Sync messages from a [`MemoryDocs`] peer bring its document here (`Changed` once, when its
/// changes arrive), then its edits; a replayed message changes nothing.
pub fn sync_messages_from_a_peer_are_applied(h: &mut dyn Harness) {
    let (id, doc) = school("Hamilton");
    let mut peer_docs = MemoryDocs::new();
    peer_docs.receive_snapshot(&id, &saved(&doc)).unwrap();
    let (mut ours, mut theirs) = (State::new(), State::new());
    let answers = exchange_with_peer(h, &id, &mut peer_docs, &mut ours, &mut theirs);
    assert_eq!(answers.iter().filter(|a| **a == Merged::Changed).count(), 1, "{answers:?}");
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
    // The peer edits; the edit arrives as a message, on the states both sides kept.
    let rename = |doc: &mut AutoCommit| {
        let mut school: School = read_record(doc)?;
        school.name = "Hamilton Elementary".into();
        write_record(doc, &school)
    };
    assert_eq!(peer_docs.edit(&id, rename).unwrap(), Merged::Changed);
    let edited = peer_docs.document(&id).unwrap().clone();
    let mut sender_state = theirs.clone();
    let with_changes = peer_docs.generate(&id, &mut sender_state).unwrap().expect("the edit");
    assert!(!with_changes.changes.is_empty(), "the message carries the edit");
    let mut replay_state = ours.clone();
    assert_eq!(run(h, |d| d.receive(&id, &mut ours, with_changes.clone())), Merged::Changed);
    assert_eq!(heads(h, &id), Some(heads_of(&edited)));
    assert_eq!(run(h, |d| d.receive(&id, &mut replay_state, with_changes)), Merged::Unchanged, "replayed");
    h.reopen();
    assert_eq!(heads(h, &id), Some(heads_of(&edited)));
    let (_, loaded) = snapshot(h, &id);
    assert_eq!(read_record::<School>(&loaded).unwrap().name, "Hamilton Elementary");
}

/// Changes that arrive by sync message and would make the document disagree with its id are
/// refused as malformed; the stored document is unchanged.
pub fn a_sync_message_that_breaks_the_document_is_refused(h: &mut dyn Harness) {
    let (id, doc) = school("Franklin");
    let (elsewhere, _) = school("Elsewhere");
    assert_eq!(receive_whole(h, &id, &doc).unwrap(), Merged::Changed);
    let mut raw = doc.clone().fork();
    raw.put(ROOT, "id", elsewhere.id.hyphenated().to_string()).unwrap();
    raw.commit();
    let (mut ours, mut theirs) = (State::new(), State::new());
    let answers = exchange_with_raw(h, &id, &mut raw, &mut ours, &mut theirs);
    assert!(
        matches!(answers.last(), Some(Err(DocFailure::Rejected(RejectReason::Malformed)))),
        "the breaking change is refused: {answers:?}"
    );
    assert_eq!(heads(h, &id), Some(heads_of(&doc)));
    // The same for a document new here: nothing is made of it.
    let (new_id, new_doc) = school("Carver");
    let mut raw = new_doc.clone().fork();
    raw.put(ROOT, "id", elsewhere.id.hyphenated().to_string()).unwrap();
    raw.commit();
    let (mut ours, mut theirs) = (State::new(), State::new());
    let answers = exchange_with_raw(h, &new_id, &mut raw, &mut ours, &mut theirs);
    assert!(matches!(answers.last(), Some(Err(DocFailure::Rejected(RejectReason::Malformed)))), "{answers:?}");
    assert_eq!(heads(h, &new_id), None);
}

/// A full [`Session`] between the storage and a [`MemoryDocs`] converges both ways: each side's
/// report lists what changed there, the marks leave no candidates, a new change makes its
/// document a candidate again, and the next session carries it (as a message, from the kept
/// sync state) both ways.
pub fn a_session_converges_both_ways(h: &mut dyn Harness) {
    let (a, doc_a) = school("Here");
    let (b, doc_b) = school("There");
    let (here, there) = (peer("here"), peer("there"));
    let mut peer_docs = MemoryDocs::new();
    assert_eq!(receive_whole(h, &a, &doc_a).unwrap(), Merged::Changed);
    assert_eq!(peer_docs.receive_snapshot(&b, &saved(&doc_b)).unwrap(), Merged::Changed);

    let (ours, theirs) = sync_with(h, &mut peer_docs, &here, &there);
    assert_eq!(ours.changed, vec![b], "changed here");
    assert_eq!(theirs.changed, vec![a], "changed at the peer");
    for id in [a, b] {
        assert_eq!(heads(h, &id), peer_docs.heads(&id).unwrap().map(sorted), "{id}");
    }
    assert_eq!(candidates_among(h, &there, &[a, b]), vec![], "marked: nothing to offer the peer");
    assert!(peer_docs.candidates(&here).unwrap().is_empty(), "nothing the peer would offer");
    h.reopen();

    // A new change here (another writer's version, received whole) is a candidate again.
    let a2 = renamed(&doc_a, "Here, renamed");
    assert_eq!(receive_whole(h, &a, &a2).unwrap(), Merged::Changed);
    assert_eq!(candidates_among(h, &there, &[a, b]), vec![a]);
    let (ours, theirs) = sync_with(h, &mut peer_docs, &here, &there);
    assert_eq!((ours.changed, theirs.changed), (vec![], vec![a]));
    assert_eq!(peer_docs.heads(&a).unwrap().map(sorted), Some(heads_of(&a2)));
    assert_eq!(candidates_among(h, &there, &[a, b]), vec![]);

    // And one at the peer comes back.
    let rename = |doc: &mut AutoCommit| {
        let mut school: School = read_record(doc)?;
        school.name = "There, renamed".into();
        write_record(doc, &school)
    };
    assert_eq!(peer_docs.edit(&b, rename).unwrap(), Merged::Changed);
    let (ours, theirs) = sync_with(h, &mut peer_docs, &here, &there);
    assert_eq!((ours.changed, theirs.changed), (vec![b], vec![]));
    assert_eq!(heads(h, &b), peer_docs.heads(&b).unwrap().map(sorted));
    assert_eq!(candidates_among(h, &there, &[a, b]), vec![]);
    assert!(peer_docs.candidates(&here).unwrap().is_empty());
    // In sync: another session changes nothing.
    let (ours, theirs) = sync_with(h, &mut peer_docs, &here, &there);
    assert_eq!((ours.changed, theirs.changed), (vec![], vec![]));
}

/// Sync states are kept per (peer, document), replaced by the next save, and kept across
/// transactions and reopening.
pub fn sync_states_are_per_peer_and_kept(h: &mut dyn Harness) {
    let (a, doc_a) = school("Lee");
    let (b, doc_b) = school("Grant");
    receive_whole(h, &a, &doc_a).unwrap();
    receive_whole(h, &b, &doc_b).unwrap();
    let (p, q, r) = (peer("p"), peer("q"), peer("r"));
    let fresh = State::new().encode();
    let mut shared = State::new();
    shared.shared_heads = doc_a.clone().get_heads();
    let shared = shared.encode();
    run(h, |d| {
        d.save_state(&p, &a, &fresh)?;
        d.save_state(&q, &a, &shared)
    });
    h.reopen();
    let loaded =
        run(h, |d| Ok((d.load_state(&p, &a)?, d.load_state(&q, &a)?, d.load_state(&r, &a)?, d.load_state(&p, &b)?)));
    assert_eq!(loaded, (Some(fresh.clone()), Some(shared.clone()), None, None));
    run(h, |d| d.save_state(&p, &a, &shared));
    let loaded = run(h, |d| Ok((d.load_state(&p, &a)?, d.load_state(&q, &a)?)));
    assert_eq!(loaded, (Some(shared.clone()), Some(shared)));
}

/// A document marked in sync after going whole resumes from a state whose shared heads are the
/// marked ones (replacing a state saved before, in the same transaction or stored in an earlier
/// one), across reopening, and is no candidate; the next saved state replaces it.
pub fn a_document_marked_whole_resumes_from_its_heads(h: &mut dyn Harness) {
    let (a, doc_a) = school("Lee");
    receive_whole(h, &a, &doc_a).unwrap();
    let held = heads(h, &a).expect("stored");
    let (p, q) = (peer("p"), peer("q"));
    let fresh = State::new().encode();
    run(h, |d| {
        d.save_state(&q, &a, &fresh)?;
        d.mark_synced_whole(&p, &a, &held)?;
        d.mark_synced_whole(&q, &a, &held)
    });
    h.reopen();
    let shared = |bytes: Option<Vec<u8>>| {
        sorted(State::decode(&bytes.expect("a state to resume from")).expect("a sync state").shared_heads)
    };
    let (for_p, for_q) = run(h, |d| Ok((d.load_state(&p, &a)?, d.load_state(&q, &a)?)));
    assert_eq!(shared(for_p), sorted(held.clone()));
    assert_eq!(shared(for_q), sorted(held.clone()), "the state saved before is replaced");
    assert_eq!(candidates_among(h, &p, &[a]), vec![]);
    run(h, |d| d.save_state(&p, &a, &fresh));
    assert_eq!(run(h, |d| d.load_state(&p, &a)), Some(fresh));
    // Marked whole again in a later transaction: the state stored before no longer answers.
    run(h, |d| d.mark_synced_whole(&p, &a, &held));
    h.reopen();
    assert_eq!(shared(run(h, |d| d.load_state(&p, &a))), sorted(held), "the stored state is dropped");
}

/// Saving a sync state for a document not held here does nothing: no state, no document.
pub fn saving_the_state_of_a_missing_document_keeps_nothing(h: &mut dyn Harness) {
    let (id, _) = school("Nowhere");
    let who = peer("peer");
    run(h, |d| d.save_state(&who, &id, &State::new().encode()));
    h.reopen();
    assert_eq!(run(h, |d| d.load_state(&who, &id)), None);
    assert_eq!(heads(h, &id), None);
    assert_eq!(candidates_among(h, &who, &[id]), vec![]);
}

/// A document is a candidate for a peer unless it is marked synced with that peer at exactly its
/// current heads (in any order); marks are per peer; a new change makes it a candidate again.
pub fn marks_decide_the_candidates(h: &mut dyn Harness) {
    let (a, doc_a) = school("Polk");
    let (b, doc_b) = school("Tyler");
    receive_whole(h, &a, &doc_a).unwrap();
    receive_whole(h, &b, &doc_b).unwrap();
    // Two heads: the marks must not depend on their order.
    let other = renamed(&doc_a, "Polk Elementary");
    let concurrent = renamed(&doc_a, "Polk Middle");
    receive_whole(h, &a, &other).unwrap();
    receive_whole(h, &a, &concurrent).unwrap();
    let a_heads = heads(h, &a).expect("stored");
    assert_eq!(a_heads.len(), 2);
    let (p, q) = (peer("p"), peer("q"));
    assert_eq!(candidates_among(h, &p, &[a, b]), set(&[a, b]));
    let mut reversed = a_heads.clone();
    reversed.reverse();
    run(h, |d| d.mark_synced(&p, &a, &reversed));
    h.reopen();
    assert_eq!(candidates_among(h, &p, &[a, b]), vec![b]);
    assert_eq!(candidates_among(h, &q, &[a, b]), set(&[a, b]), "marks are per peer");
    // A mark at other heads (an older state) leaves it a candidate.
    run(h, |d| d.mark_synced(&p, &b, &doc_a.clone().get_heads()));
    assert_eq!(candidates_among(h, &p, &[a, b]), vec![b]);
    let b_heads = heads(h, &b).unwrap();
    run(h, |d| d.mark_synced(&p, &b, &b_heads));
    assert_eq!(candidates_among(h, &p, &[a, b]), vec![]);
    // A new change: a candidate again, for that peer.
    let mut newer = other.clone();
    homevisit_docs::untrusted::merge(&mut newer, &mut concurrent.clone()).unwrap();
    let newer = renamed(&newer, "Polk K-8");
    assert_eq!(receive_whole(h, &a, &newer).unwrap(), Merged::Changed);
    assert_eq!(candidates_among(h, &p, &[a, b]), vec![a]);
}

/// Parts of the candidates ([`crate::CandidateRange`]) walked one after another, each starting
/// after the last one's last, give every candidate once, in one order; a part between two of them
/// gives exactly those in between, the upper end included.
pub fn candidate_parts_walk_the_candidates_in_order(h: &mut dyn Harness) {
    let names = ["Adams", "Buren", "Clay", "Dewey", "Ely"];
    let ids: Vec<DocId> = names
        .iter()
        .map(|name| {
            let (id, doc) = school(name);
            receive_whole(h, &id, &doc).unwrap();
            id
        })
        .collect();
    let p = peer("p");
    let whole = run(h, |d| d.candidates_in(&p, crate::CandidateRange::all()));
    let all: BTreeSet<DocId> = run(h, |d| d.candidates(&p)).into_iter().collect();
    assert_eq!(whole.iter().copied().collect::<BTreeSet<_>>(), all, "the whole range is every candidate");
    assert_eq!(whole.len(), all.len(), "each once");
    let mut walked: Vec<DocId> = Vec::new();
    loop {
        let after = walked.last().copied();
        let range = crate::CandidateRange { after: after.as_ref(), upto: None, limit: 2 };
        let part = run(h, |d| d.candidates_in(&p, range));
        assert!(part.len() <= 2, "a part holds at most its limit");
        walked.extend(&part);
        if part.len() < 2 {
            break;
        }
    }
    assert_eq!(walked, whole, "parts in order make the whole");
    let ours: Vec<usize> = ids.iter().map(|id| whole.iter().position(|w| w == id).expect("a candidate")).collect();
    let (low, high) = (*ours.iter().min().unwrap(), *ours.iter().max().unwrap());
    let range = crate::CandidateRange { after: Some(&whole[low]), upto: Some(&whole[high]), limit: usize::MAX };
    assert_eq!(run(h, |d| d.candidates_in(&p, range)), whole[low + 1..=high].to_vec());
    // Marked synced: out of every part.
    let heads_of = heads(h, &whole[high]).unwrap();
    run(h, |d| d.mark_synced(&p, &whole[high], &heads_of));
    let range = crate::CandidateRange { after: Some(&whole[low]), upto: Some(&whole[high]), limit: usize::MAX };
    assert_eq!(run(h, |d| d.candidates_in(&p, range)), whole[low + 1..high].to_vec());
}

/// Whole documents preloaded and then received are stored exactly as received without a preload;
/// a preload alone stores nothing.
pub fn preload_then_receive_is_receive(h: &mut dyn Harness) {
    let (a, doc_a) = school("Hoover");
    let (b, doc_b) = school("Coolidge");
    let (bytes_a, bytes_b) = (saved(&doc_a), saved(&doc_b));
    let merged = run(h, |d| {
        d.preload_snapshots(&[(a, &bytes_a), (b, &bytes_b)]);
        let merged = d.receive_snapshot(&a, &bytes_a)?;
        d.preload_snapshots(&[]);
        Ok(merged)
    });
    assert_eq!(merged, Merged::Changed);
    assert_eq!(heads(h, &a), Some(heads_of(&doc_a)));
    assert_eq!(heads(h, &b), None, "preloaded, not received: not stored");
    run(h, |d| {
        d.preload_snapshots(&[(b, &bytes_b)]);
        Ok(())
    });
    assert_eq!(heads(h, &b), None, "a preload stores nothing");
    // A preload of a newer version of a stored document, then that version.
    let a2 = renamed(&doc_a, "Hoover Elementary");
    let bytes_a2 = saved(&a2);
    let merged = run(h, |d| {
        d.preload_snapshots(&[(a, &bytes_a2)]);
        d.receive_snapshot(&a, &bytes_a2)
    });
    assert_eq!(merged, Merged::Changed);
    assert_eq!(heads(h, &a), Some(heads_of(&a2)));
    assert_eq!(snapshot(h, &a).0, heads_of(&a2));
    assert_eq!(receive_whole(h, &b, &doc_b).unwrap(), Merged::Changed);
}

/// A preload is only an optimisation: what `receive_snapshot` is given is what is stored, whatever
/// was preloaded under that id (other bytes, bytes that do not load, or another document).
pub fn a_preload_of_other_bytes_does_not_win(h: &mut dyn Harness) {
    let (a, v1) = school("Taft");
    let v2 = renamed(&v1, "Taft Elementary");
    let (bytes_v1, bytes_v2) = (saved(&v1), saved(&v2));
    let merged = run(h, |d| {
        d.preload_snapshots(&[(a, &bytes_v2)]);
        d.receive_snapshot(&a, &bytes_v1)
    });
    assert_eq!(merged, Merged::Changed);
    assert_eq!(heads(h, &a), Some(heads_of(&v1)), "the received bytes, not the preloaded ones");
    let (reported, loaded) = snapshot(h, &a);
    assert_eq!((reported, heads_of(&loaded)), (heads_of(&v1), heads_of(&v1)));
    // Received bytes that do not load are refused, whatever loaded under the id.
    let refused = run(h, |d| {
        d.preload_snapshots(&[(a, &bytes_v2)]);
        Ok(d.receive_snapshot(&a, b"garbage"))
    });
    assert_refused(refused, RejectReason::Malformed, "garbage after a valid preload");
    assert_eq!(heads(h, &a), Some(heads_of(&v1)));
    // A preload that did not load does not stop valid bytes.
    let merged = run(h, |d| {
        d.preload_snapshots(&[(a, b"garbage")]);
        d.receive_snapshot(&a, &bytes_v2)
    });
    assert_eq!(merged, Merged::Changed);
    assert_eq!(heads(h, &a), Some(heads_of(&v2)));
    // Another document's bytes preloaded under a new id: the right ones received are stored.
    let (c, doc_c) = school("Harding");
    let bytes_c = saved(&doc_c);
    let merged = run(h, |d| {
        d.preload_snapshots(&[(c, &bytes_v2)]);
        d.receive_snapshot(&c, &bytes_c)
    });
    assert_eq!(merged, Merged::Changed);
    assert_eq!(heads(h, &c), Some(heads_of(&doc_c)));
    // And the other way round: valid content preloaded, another document's received is refused.
    let (e, doc_e) = school("Wilson");
    let bytes_e = saved(&doc_e);
    let refused = run(h, |d| {
        d.preload_snapshots(&[(e, &bytes_e)]);
        Ok(d.receive_snapshot(&e, &bytes_c))
    });
    assert_refused(refused, RejectReason::Malformed, "another document's bytes after a valid preload");
    assert_eq!(heads(h, &e), None);
}

/// Asking for a message about a document not held here creates nothing (a storage either refuses
/// it, or says it has nothing: the phone store refuses, PostgreSQL answers from an empty document).
/// Both are allowed because they cannot be one answer: the store answers from a document a peer
/// began to send (`Pending`), which it holds in memory across transactions, and refuses only an id
/// it has never seen; PostgreSQL keeps nothing between transactions, so it cannot tell the two
/// apart and must answer both (the exchanges in `sync_messages_from_a_peer_are_applied` need it).
pub fn generating_for_a_missing_document_stores_nothing(h: &mut dyn Harness) {
    let (id, _) = school("Ghost");
    match run(h, |d| Ok(d.generate(&id, &mut State::new()))) {
        Ok(Some(message)) => assert!(message.changes.is_empty(), "a message about nothing carries no changes"),
        Ok(None) | Err(DocFailure::Rejected(_)) => {}
        Err(e) => panic!("a storage failure: {e}"),
    }
    assert_eq!(heads(h, &id), None);
    assert_eq!(candidates_among(h, &peer("peer"), &[id]), vec![]);
}
