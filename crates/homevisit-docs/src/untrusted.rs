//! Automerge work on bytes that came from elsewhere: a peer, the relay, a file, or a store that
//! accepted them before this rule existed.
//!
//! Automerge 0.12 can panic on crafted input whose checksums are valid (see
//! `crates/homevisit-fuzz/FINDINGS.md`). Every call on such bytes runs through [`contained`], which
//! turns a panic into [`DocError::Crashed`]: that one document is refused as malformed, and nothing
//! else (the batch, the request, the process) is affected. A document that was being changed when
//! the panic struck may be half-changed: callers drop it (they never keep or store it).

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, Change, ChangeHash, ReadDoc};

use crate::limits::max_ops;
use crate::{DocError, DocKind};

/// Runs `f`, turning a panic inside it into [`DocError::Crashed`]. `during` names the step (for
/// errors and logs; never content).
pub fn contained<T>(during: &'static str, f: impl FnOnce() -> Result<T, DocError>) -> Result<T, DocError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(DocError::Crashed { during }))
}

pub use crate::screen::screen_chunks;

/// Parses one change chunk (its checksum is verified).
pub fn parse_change(bytes: &[u8]) -> Result<Change, DocError> {
    screen_chunks(bytes)?;
    contained("parse a change", || Change::try_from(bytes).map_err(|e| DocError::Corrupt(Box::new(e.into()))))
}

/// Saves `doc` and checks that the saved bytes load again with the same heads. Automerge 0.12 can
/// accept a crafted change and then save a document it cannot load (FINDINGS.md, "Escapes", C):
/// whatever replaces stored data with a save checks it first.
pub fn save_verified(doc: &mut AutoCommit) -> Result<Vec<u8>, DocError> {
    contained("save a document", || {
        let saved = doc.save();
        let mut again = crate::load(&saved)?;
        let (mut before, mut after) = (doc.get_heads(), again.get_heads());
        before.sort();
        after.sort();
        if before != after {
            return Err(DocError::Unreadable("a save that does not load again"));
        }
        Ok(saved)
    })
}

/// Applies changes to `doc`. On an error `doc` may be half-changed: drop it.
pub fn apply_changes(doc: &mut AutoCommit, changes: Vec<Change>) -> Result<(), DocError> {
    contained("apply changes", || Ok(doc.apply_changes(changes)?))
}

/// Merges `other` into `doc`; returns whether `doc` changed. On an error `doc` may be half-changed:
/// drop it.
pub fn merge(doc: &mut AutoCommit, other: &mut AutoCommit) -> Result<bool, DocError> {
    contained("merge", || {
        let before = doc.get_heads();
        doc.merge(other)?;
        Ok(doc.get_heads() != before)
    })
}

/// Loads a document of `kind` that came from elsewhere, refusing it before Automerge reads it if it
/// is larger than [`crate::limits::MAX_DOCUMENT_BYTES`] or holds more operations than a `kind` may.
pub fn load_received(kind: DocKind, bytes: &[u8]) -> Result<AutoCommit, DocError> {
    within_document_bounds(kind, bytes)?;
    crate::load(bytes)
}

/// Refuses a received document of `kind` larger than [`crate::limits::MAX_DOCUMENT_BYTES`] or
/// holding more operations than a `kind` may (counted by the screen, nothing decoded).
fn within_document_bounds(kind: DocKind, bytes: &[u8]) -> Result<(), DocError> {
    if bytes.len() > crate::limits::MAX_DOCUMENT_BYTES {
        return Err(DocError::TooLarge { len: bytes.len(), max: crate::limits::MAX_DOCUMENT_BYTES });
    }
    within_ops(kind, 0, screen_chunks(bytes)?)
}

/// For a visit's notes received whole: the heads its bytes declare, after the same size and
/// operation bounds as [`load_received`], without loading it, if they are one document chunk (see
/// [`crate::screen::document_chunk_heads`]); `None` for any other kind or shape, which is loaded.
///
/// Loading a notes document is most of the cost of receiving one (its text is an operation per
/// character), and nothing about storing it needs its content: whoever may write it is decided by
/// its visit's log. So the store keeps it as received and loads it, strictly, on first use (where
/// [`crate::check`] and Automerge's own verification of these heads run).
pub fn unloaded_notes_heads(kind: DocKind, bytes: &[u8]) -> Result<Option<Vec<ChangeHash>>, DocError> {
    if kind != DocKind::VisitNotes {
        return Ok(None);
    }
    within_document_bounds(kind, bytes)?;
    Ok(crate::screen::document_chunk_heads(bytes)?.map(|heads| heads.into_iter().map(ChangeHash).collect()))
}

/// Refuses `adding` operations to a document of `kind` that holds `holds` if it would pass the
/// kind's limit.
fn within_ops(kind: DocKind, holds: u64, adding: u64) -> Result<(), DocError> {
    let (ops, max) = (holds.saturating_add(adding), max_ops(kind));
    if ops > max {
        return Err(DocError::TooManyOps { kind: kind.as_str(), ops, max });
    }
    Ok(())
}

/// Decodes an Automerge sync message.
pub fn decode_sync_message(bytes: &[u8]) -> Result<Message, DocError> {
    contained("decode a sync message", || Message::decode(bytes).map_err(|_| DocError::BadSyncMessage))
}

/// Applies a peer's sync message to `doc`, a document of `kind`: refused before Automerge reads
/// its changes if they would take `doc` past the kind's operation limit (counted as if none of them
/// were already in `doc`). On an error `doc` (and `state`) may be half-changed: drop them.
pub fn receive_sync_message(
    doc: &mut AutoCommit,
    kind: DocKind,
    state: &mut State,
    message: Message,
) -> Result<(), DocError> {
    let mut adding: u64 = 0;
    for changes in message.changes.iter() {
        adding = adding.saturating_add(screen_chunks(changes)?);
    }
    within_ops(kind, doc.stats().num_ops, adding)?;
    contained("receive a sync message", || Ok(doc.sync().receive_sync_message(state, message)?))
}

/// The next sync message for the peer whose `state` this is. A document holding crafted changes
/// may panic here too; on an error drop `doc`.
pub fn generate_sync_message(doc: &mut AutoCommit, state: &mut State) -> Result<Option<Message>, DocError> {
    contained("generate a sync message", || Ok(doc.sync().generate_sync_message(state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        let r: Result<(), DocError> = contained("test", || panic!("boom"));
        assert!(matches!(r, Err(DocError::Crashed { during: "test" })));
        assert_eq!(contained("test", || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn only_whole_chunks_of_the_types_read_here_pass_the_screen() {
        let mut doc = AutoCommit::new();
        let saved = doc.save();
        assert!(screen_chunks(&saved).is_ok());
        let change = doc.get_changes(&[]).into_iter().map(|mut c| c.bytes().to_vec()).collect::<Vec<_>>().concat();
        assert!(screen_chunks(&[saved.clone(), change].concat()).is_ok());
        let mut bundle = saved.clone();
        bundle[8] = 3;
        assert!(matches!(screen_chunks(&bundle), Err(DocError::Unreadable(_))));
        assert!(screen_chunks(&saved[..saved.len() - 1]).is_err(), "truncated");
        assert!(screen_chunks(&[&saved[..], b"x"].concat()).is_err(), "trailing bytes");
        assert!(crate::load(&bundle).is_err());
    }

    #[test]
    fn operation_bombs_are_refused_before_automerge_loads_them() {
        use automerge::transaction::Transactable;
        // A family record's worth of operations passes; the same bytes with one key rewritten
        // past a record's limit are refused as a family, and pass as notes.
        let mut bomb = AutoCommit::new();
        for i in 0..(crate::limits::MAX_RECORD_OPS + 1) {
            bomb.put(automerge::ROOT, "k", i as i64).unwrap();
        }
        let bytes = bomb.save();
        assert!(bytes.len() < 64 * 1024, "{} bytes", bytes.len());
        let refused = load_received(DocKind::Family, &bytes);
        assert!(matches!(refused, Err(DocError::TooManyOps { kind: "family", .. })), "{refused:?}");
        assert!(load_received(DocKind::VisitNotes, &bytes).is_ok());
        // As a sync message adding to an empty family document.
        let (mut sender, mut to_family) = (bomb, State::new());
        let message = generate_sync_message(&mut sender, &mut State::new()).unwrap().unwrap();
        let mut family = AutoCommit::new();
        let _ = receive_sync_message(&mut family, DocKind::Family, &mut to_family, message.clone());
        let mut to_family = State::new();
        let first = generate_sync_message(&mut family, &mut to_family).unwrap().unwrap();
        let mut sender_state = State::new();
        sender.sync().receive_sync_message(&mut sender_state, first).unwrap();
        let with_changes = generate_sync_message(&mut sender, &mut sender_state).unwrap().unwrap();
        assert!(!with_changes.changes.is_empty());
        let refused = receive_sync_message(&mut family, DocKind::Family, &mut to_family, with_changes);
        assert!(matches!(refused, Err(DocError::TooManyOps { .. })), "{refused:?}");
        assert_eq!(family.stats().num_ops, 0);
    }

    #[test]
    fn garbage_is_refused_not_fatal() {
        assert!(parse_change(b"\x85\x6f\x4a\x83garbage").is_err());
        assert!(decode_sync_message(&[0x42, 1, 2, 3]).is_err());
    }
}
