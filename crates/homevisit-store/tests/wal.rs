//! The automatic WAL checkpoint a relay raises so that it checkpoints in its quiet moments
//! (`StoreOptions::wal_autocheckpoint_pages`, `Store::checkpoint_wal`).

mod common;

use common::*;
use homevisit_fixtures::forms;
use homevisit_model::NoteField;
use homevisit_store::{Store, StoreOptions};

/// Makes `edits` commits (a word added to a note each) on a store opened with `options`, then
/// checkpoints: the WAL's frames, and how many are in the database file after.
fn frames_after_edits(options: StoreOptions, edits: usize) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut store = open(&path);
    load(&mut store, &forms::data_set(1));
    drop(store);
    let mut store = Store::open_with(&path, &key(7), options).unwrap();
    let visit = forms::data_set(1).visits[0].0.plan.id;
    let mut len = store.note(visit, NoteField::Learned).unwrap().encode_utf16().count();
    for _ in 0..edits {
        store.splice_note(visit, NoteField::Learned, len, 0, "a ").unwrap();
        len += 2;
    }
    store.checkpoint_wal().unwrap()
}

#[test]
fn a_raised_autocheckpoint_leaves_the_copying_to_checkpoint_wal() {
    // Each edit's commit writes at least one frame: 1,200 edits pass SQLite's 1,000.
    let raised = StoreOptions { wal_autocheckpoint_pages: Some(1 << 20), ..Default::default() };
    let (frames, copied) = frames_after_edits(raised, 1_200);
    assert!(frames >= 1_200, "every commit's frames still in the WAL ({frames})");
    assert_eq!(copied, frames, "all copied into the file by the checkpoint");

    // At SQLite's default a commit checkpointed on the way, and the WAL started again.
    let (frames, copied) = frames_after_edits(StoreOptions::default(), 1_200);
    assert!(frames < 1_200, "checkpointed by a commit ({frames})");
    assert_eq!(copied, frames);
}
