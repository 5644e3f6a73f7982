//! homevisit records as Automerge documents.
//!
//! Every record people co-edit is one document, addressed by a [`DocId`] (`kind/uuid`). A visit is
//! two documents so access can differ: its *log* (plan and outcome, which coordinators read) and its
//! *notes* (notes and debrief, which belong to the pair). Free text is Automerge text indexed in
//! UTF-16 code units, the unit Kotlin and Swift cursors count in.
//!
//! Document layout (schema version 2 for visit logs and notes, 1 for the rest):
//! ```text
//! { schema_version: u64, kind: "visit-log", id: "<uuid>",
//!   data: { ...the record, written with autosurgeon... } }          // record documents
//! { schema_version: 2, kind: "visit-notes", id: "<visit uuid>",
//!   channel: "text" | null, text: { hopes_and_dreams: Text, ... },   // notes documents (v1)
//!   debrief_done: { by: "<educator uuid>", at: timestamp } | null }  // added by v2's step
//! ```

mod check;
mod doc_id;
mod error;
pub mod limits;
mod map_reads;
mod notes;
mod record;
mod root;
mod schema;
pub mod screen;
mod skeleton;
mod steps;
pub mod untrusted;

pub use automerge;
pub use check::{Content, Scope, check, governing_doc};
pub use doc_id::{DocId, DocKind};
pub use error::DocError;
pub use map_reads::MapReads;
pub use notes::{
    debrief_done, note_text, read_notes, set_channel, set_debrief_done, set_note_text, splice_note, write_notes,
};
pub use record::{Record, create_record, prompt_pack_doc_id, read_record, school_prompt_pack_doc_id, write_record};
pub use schema::{SCHEMA_KEY, current_version, upgrade};
pub use skeleton::{ENCODING, create_notes, create_notes_with, load, new_skeleton};

/// The whole document as JSON (text as strings), for export and inspection.
pub fn to_json(doc: &automerge::AutoCommit) -> serde_json::Value {
    serde_json::to_value(automerge::AutoSerde::from(doc)).unwrap_or(serde_json::Value::Null)
}
