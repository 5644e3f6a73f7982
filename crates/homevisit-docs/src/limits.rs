//! How big a document may be, per kind: what one device may make every other device of its school
//! load. Checked on bytes that came from elsewhere by the screen's operation count, before
//! Automerge loads them ([`crate::untrusted::load_received`], [`crate::untrusted::receive_sync_message`]).
//!
//! Operations, not bytes, are what loading costs: Automerge's columns compress a million repeated
//! operations into about a kilobyte, and loading them takes seconds and ~100 MB.

use crate::DocKind;
use crate::screen::Ops;

/// Records (a school, an educator, a family, a visit's log, a prompt pack): small structured data
/// whose every edit is an operation. A family record edited daily for years stays far below.
pub const MAX_RECORD_OPS: Ops = 20_000;

/// A visit's notes: nine texts of at most 20,000 UTF-16 units each, where every character typed
/// and deleted is an operation: room to fill every field to its limit and rewrite it twice.
pub const MAX_NOTES_OPS: Ops = 400_000;

/// Most bytes one document's stored form (or one snapshot of it on the wire) may take. A batch
/// holds up to `homevisit_protocol::MAX_BATCH_DATA_BYTES` and then one more message: this keeps
/// that under the protocol's body limit.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// The most operations a document of `kind` may hold.
pub fn max_ops(kind: DocKind) -> Ops {
    match kind {
        DocKind::VisitNotes => MAX_NOTES_OPS,
        DocKind::School | DocKind::Educator | DocKind::Family | DocKind::VisitLog | DocKind::PromptPack => {
            MAX_RECORD_OPS
        }
    }
}

/// The largest of [`max_ops`]: what any stored document may hold.
pub const MAX_ANY_OPS: Ops = MAX_NOTES_OPS;
