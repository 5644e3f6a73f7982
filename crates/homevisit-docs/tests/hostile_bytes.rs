//! Inputs that made Automerge 0.12 panic (or save a document it could not load again) when called
//! raw, found by the `automerge_raw` fuzz target (crates/homevisit-fuzz/FINDINGS.md). Through
//! homevisit's contained API every one must be an error: never a panic, never `Ok`.
//!
//! A regression file (`crates/homevisit-fuzz/regressions/*.bin`) is one mode byte, then the exact
//! bytes given to Automerge (their checksums already valid). The mode byte modulo 3 says what the
//! bytes are and so which calls run, the same calls as the raw target's (`raw_pipeline`):
//! - 0: a saved document: `load`;
//! - 1: one change chunk: `parse_change`, then `apply_changes` to a fresh document;
//! - 2: a sync message: `decode_sync_message`, then `receive_sync_message` and
//!   `generate_sync_message` on a fresh document;
//!
//! and then, on the resulting document: save it, load the saved bytes again, and read all of it.
//!
//! `regressions/debug-assertions/*.bin` panic only where Automerge is built with debug assertions
//! (overflow checks, `debug_assert!`); `regressions/release-only/*.bin` abort there (see below).
//! The workspace builds automerge and hexane without debug assertions in every profile, so all
//! are checked here. `regressions/screen-*.bin` are inputs that ended the process (a 4 GiB
//! allocation from a bundle chunk; a column run that decodes without end), which only the screen
//! in front of Automerge (`homevisit_docs::screen`) stops; they are checked here too, so a test
//! run that lost the screen would be killed, not pass. `regressions/targets/` are inputs in the
//! fuzz targets' own formats, replayed by `scripts/fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use automerge::AutoCommit;
use automerge::sync::State;
use homevisit_docs::{DocError, ENCODING, load, untrusted};

fn contained_pipeline(mode: u8, bytes: &[u8]) -> Result<(), DocError> {
    let mut doc = match mode % 3 {
        0 => load(bytes)?,
        1 => {
            let change = untrusted::parse_change(bytes)?;
            let mut doc = AutoCommit::new_with_encoding(ENCODING);
            untrusted::apply_changes(&mut doc, vec![change])?;
            doc
        }
        _ => {
            let message = untrusted::decode_sync_message(bytes)?;
            let mut doc = AutoCommit::new_with_encoding(ENCODING);
            let mut state = State::new();
            untrusted::receive_sync_message(&mut doc, homevisit_docs::DocKind::VisitNotes, &mut state, message)?;
            untrusted::generate_sync_message(&mut doc, &mut state)?;
            doc
        }
    };
    let saved = untrusted::contained("save a document", || Ok(doc.save()))?;
    load(&saved)?;
    untrusted::contained("read a document", || Ok(homevisit_docs::to_json(&doc)))?;
    Ok(())
}

fn bin_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    files
}

fn regression_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../homevisit-fuzz/regressions");
    let mut files = bin_files(&dir);
    // Automerge and hexane are built without debug assertions in every profile (the root
    // Cargo.toml), so these are refused like the others, not aborted.
    files.extend(bin_files(&dir.join("debug-assertions")));
    files.extend(bin_files(&dir.join("release-only")));
    files
}

#[test]
fn every_input_that_crashed_automerge_is_an_error_through_the_contained_api() {
    let files = regression_files();
    assert!(!files.is_empty(), "no regression files found");
    // Automerge's panics are expected here (each is caught): keep their messages off the output.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(path).unwrap();
        let Some((&mode, bytes)) = input.split_first() else {
            failures.push(format!("{name}: empty file"));
            continue;
        };
        match catch_unwind(AssertUnwindSafe(|| contained_pipeline(mode, bytes))) {
            Ok(Err(e)) => eprintln!("{name}: refused: {e}"),
            Ok(Ok(())) => failures.push(format!("{name}: accepted (Automerge crashed on it raw)")),
            Err(_) => failures.push(format!("{name}: a panic escaped the contained API")),
        }
    }
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
