//! Stores opened on several threads at the very start of a process all open. SQLCipher finishes
//! initialising only after SQLite reports itself initialised, so without the store's one-time
//! initialisation a thread could key its connection too early and fail (about one process in
//! a few hundred). Each child process below opens its first stores from 8 threads released at once.

mod common;

use std::process::Stdio;
use std::sync::Barrier;

use common::child_test;
use homevisit_store::{DbKey, Store};

const CHILD_ENV: &str = "HOMEVISIT_FIRST_OPEN_CHILD";
const THREADS: usize = 8;
const PROCESSES: usize = 150;

/// The child: the only test a child process runs, so these are its first SQLite calls.
#[test]
#[ignore = "child process of stores_opened_at_once_at_process_start_all_open"]
fn first_open_child() {
    std::env::var(CHILD_ENV).expect("started by stores_opened_at_once_at_process_start_all_open");
    let dir = tempfile::tempdir().unwrap();
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (dir, barrier) = (&dir, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    Store::open(dir.path().join(format!("{i}.db")), &DbKey::from_bytes([7; 32])).map(drop)
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().expect("a store opened at process start");
        }
    });
}

#[test]
fn stores_opened_at_once_at_process_start_all_open() {
    let failed = (0..PROCESSES)
        .filter(|_| {
            let status = child_test("first_open_child", CHILD_ENV, "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            !status.success()
        })
        .count();
    assert_eq!(failed, 0, "{failed} of {PROCESSES} processes failed to open a store at start");
}
