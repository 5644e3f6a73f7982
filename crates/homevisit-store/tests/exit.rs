//! A process that exits while another thread is opening and closing stores exits cleanly. SQLCipher
//! tears down its state from an exit handler; without the store's exit gate a store closed at that
//! moment touched freed memory and the process died with SIGSEGV (seen in the FFI's test process
//! as its background sync was dropped).

mod common;

use std::process::Stdio;

use common::child_test;
use homevisit_store::{DbKey, Store};

const CHILD_ENV: &str = "HOMEVISIT_EXIT_CHILD_DIR";
const PROCESSES: usize = 40;

/// The child: a thread opens and closes a store in a loop; the test returns (and the process
/// exits) while it does.
#[test]
#[ignore = "child process of a_process_exiting_while_stores_open_and_close_exits_cleanly"]
fn exit_child() {
    let dir = std::env::var(CHILD_ENV).expect("started by a_process_exiting_while_stores_open_and_close_exits_cleanly");
    let path = std::path::Path::new(&dir).join("exit.db");
    let key = DbKey::from_bytes([7; 32]);
    drop(Store::open(&path, &key).unwrap());
    let (opened, first) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        loop {
            // After exit begins, an open is refused: keep going, as a background task would.
            let _ = Store::open(&path, &key);
            let _ = opened.send(());
        }
    });
    first.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
}

#[test]
fn a_process_exiting_while_stores_open_and_close_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let outcomes: Vec<_> = (0..PROCESSES)
        .map(|_| {
            child_test("exit_child", CHILD_ENV, dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
        })
        .collect();
    let failed: Vec<_> = outcomes.iter().filter(|s| !s.success()).collect();
    assert!(failed.is_empty(), "{} of {PROCESSES} processes did not exit cleanly: {failed:?}", failed.len());
}
