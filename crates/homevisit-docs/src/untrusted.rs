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
use automerge::{AutoCommit, Change};

use crate::DocError;

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

/// Decodes an Automerge sync message.
pub fn decode_sync_message(bytes: &[u8]) -> Result<Message, DocError> {
    contained("decode a sync message", || Message::decode(bytes).map_err(|_| DocError::BadSyncMessage))
}

/// Applies a peer's sync message to `doc`. On an error `doc` (and `state`) may be half-changed:
/// drop them.
pub fn receive_sync_message(doc: &mut AutoCommit, state: &mut State, message: Message) -> Result<(), DocError> {
    for changes in message.changes.iter() {
        screen_chunks(changes)?;
    }
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
    fn garbage_is_refused_not_fatal() {
        assert!(parse_change(b"\x85\x6f\x4a\x83garbage").is_err());
        assert!(decode_sync_message(&[0x42, 1, 2, 3]).is_err());
    }
}
