//! `SyncBatch::decode` on arbitrary bytes (what a relay or a phone gets from the network). What
//! decodes must re-encode to something that decodes to the same batch. Must never crash.
#![no_main]

use homevisit_protocol::SyncBatch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        homevisit_fuzz::quiet_caught_panics();
        homevisit_fuzz::write_seeds_if_asked("protocol_decode");
    },
    |data: &[u8]| {
        homevisit_fuzz::run_contained(|| {
            let Ok(batch) = SyncBatch::decode(data) else { return };
            let again = SyncBatch::decode(&batch.encode()).expect("a re-encoded batch decodes");
            assert_eq!(again, batch, "a batch survives encode and decode");
        });
    }
);
