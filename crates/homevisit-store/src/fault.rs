//! Fault injection for tests (feature `fault-injection`, never in a shipped build): make the next
//! write of one document, or the next sync mark of one, panic, as a bug or Automerge on crafted
//! bytes would, to prove that a panic in the middle of a batch never leaves anything
//! acknowledged that is not committed. Each armed fault fires once.

use std::sync::Mutex;

use homevisit_docs::DocId;

/// Where to panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// While storing a change to this document: after its rows are written, before its savepoint
    /// is released (contained per document by the store).
    Storing(DocId),
    /// While recording that a peer holds this document (outside any per-document containment: a
    /// panic here unwinds through the whole batch).
    Marking(DocId),
}

static ARMED: Mutex<Vec<Fault>> = Mutex::new(Vec::new());

/// Arms `fault`: the next time it is reached, it panics (once).
pub fn arm(fault: Fault) {
    ARMED.lock().unwrap_or_else(|p| p.into_inner()).push(fault);
}

/// Disarms every fault.
pub fn clear() {
    ARMED.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// Panics if `fault` is armed (and disarms it).
pub fn reached(fault: Fault) {
    let fire = {
        let mut armed = ARMED.lock().unwrap_or_else(|p| p.into_inner());
        match armed.iter().position(|f| *f == fault) {
            Some(i) => {
                armed.remove(i);
                true
            }
            None => false,
        }
    };
    if fire {
        panic!("injected fault: {fault:?}");
    }
}
