//! Every acknowledged edit survives `kill -9`: a child process edits a note in a loop and prints an
//! acknowledgement after each call returns; the parent kills it mid-stream with SIGKILL, reopens the
//! store, and finds every acknowledged edit.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::*;
use homevisit_fixtures::forms;
use homevisit_model::NoteField;
use homevisit_store::{Durability, Store, StoreOptions};

const CHILD_ENV: &str = "HOMEVISIT_DURABILITY_CHILD_DB";
const CHILD_POWER_LOSS_ENV: &str = "HOMEVISIT_DURABILITY_CHILD_POWER_LOSS";

fn word(i: usize) -> String {
    format!("edit{i} ")
}

/// The writer: the child process of the test below, which starts it with `--ignored`.
#[test]
#[ignore = "child process of acknowledged_edits_survive_kill_9"]
fn durability_child_writer() {
    let path = std::env::var(CHILD_ENV).expect("started by acknowledged_edits_survive_kill_9");
    let durability =
        if std::env::var(CHILD_POWER_LOSS_ENV).is_ok() { Durability::PowerLoss } else { Durability::Crash };
    let mut store = Store::open_with(&path, &key(7), StoreOptions { durability, ..Default::default() }).unwrap();
    let visit = forms::data_set(1).visits[0].0.plan.id;
    let mut len = store.note(visit, NoteField::Learned).unwrap().encode_utf16().count();
    for i in 0.. {
        let w = word(i);
        store.splice_note(visit, NoteField::Learned, len, 0, &w).unwrap();
        len += w.encode_utf16().count();
        println!("ACK {i}"); // stdout is line-buffered into the pipe: printed only after the edit returned
    }
}

#[test]
fn acknowledged_edits_survive_kill_9() {
    kill_mid_stream_and_check(Durability::Crash);
}

#[test]
fn acknowledged_edits_survive_kill_9_with_power_loss_durability() {
    kill_mid_stream_and_check(Durability::PowerLoss);
}

fn kill_mid_stream_and_check(durability: Durability) {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut store = open(&path);
    load(&mut store, &forms::data_set(1));
    drop(store);

    let mut command = child_test("durability_child_writer", CHILD_ENV, &path);
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    if durability == Durability::PowerLoss {
        command.env(CHILD_POWER_LOSS_ENV, "1");
    }
    let mut child = command.spawn().unwrap();
    let mut acked: Option<usize> = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ACK ") {
            acked = Some(n.parse().unwrap());
            if acked >= Some(150) {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructors, no flush, no WAL checkpoint
    child.wait().unwrap();
    let acked = acked.expect("the child acknowledged edits");

    let mut store = open(&path);
    let visit = forms::data_set(1).visits[0].0.plan.id;
    let text = store.note(visit, NoteField::Learned).unwrap();
    for i in 0..=acked {
        assert!(text.contains(&word(i)), "acknowledged edit {i} of {acked} lost");
    }
    assert!(store.check_integrity().unwrap().is_clean());
    // And the store is still writable after the crash.
    store.splice_note(visit, NoteField::Learned, 0, 0, "after ").unwrap();
}
