//! Automerge 0.12 itself, with NO containment: load a document, parse and apply a change, decode
//! and receive a sync message, then save, reload and read the result. The first input byte picks
//! the call (`homevisit_fuzz::Mode`); every chunk in the rest gets a valid checksum first, so
//! mutations reach the parsers. For FINDING Automerge's panics: crashes are expected (FINDINGS.md).
//! `FUZZ_KNOWN_PANICS=site,site` skips panics at sites already found, to hunt for new ones.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        homevisit_fuzz::raw_init();
        homevisit_fuzz::write_seeds_if_asked("automerge_raw");
    },
    |data: &[u8]| {
        homevisit_fuzz::export_if_asked(data);
        homevisit_fuzz::run_raw(|| {
            if let Some((mode, bytes)) = homevisit_fuzz::prepare(data) {
                let _ = homevisit_fuzz::raw_pipeline(mode, &bytes);
            }
        });
    }
);
