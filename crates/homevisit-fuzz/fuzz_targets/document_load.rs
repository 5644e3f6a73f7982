//! A stored or received document through homevisit's contained API: `homevisit_docs::load`, then
//! `upgrade` and `check` as every kind, then save and reload (as the store persists it). Every
//! chunk header gets a valid checksum first. Must never crash: Automerge's panics are contained,
//! and a panic that escapes is a bug of ours.
#![no_main]

use automerge::{ROOT, ReadDoc};
use homevisit_docs::{DocId, DocKind, untrusted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        homevisit_fuzz::quiet_caught_panics();
        homevisit_fuzz::write_seeds_if_asked("document_load");
    },
    |data: &[u8]| {
        homevisit_fuzz::run_contained(|| {
            let mut bytes = data.to_vec();
            homevisit_fuzz::fix_checksums(&mut bytes);
            let Ok(mut doc) = homevisit_docs::load(&bytes) else { return };
            // Check it under its own id (so the check goes past the id to the record), as each kind.
            let id = untrusted::contained("read the id", || {
                Ok(match doc.get(ROOT, "id") {
                    Ok(Some((automerge::Value::Scalar(s), _))) => s.as_str().and_then(|s| s.parse().ok()),
                    _ => None,
                })
            });
            let uuid = id.ok().flatten().unwrap_or(uuid::Uuid::nil());
            for kind in DocKind::ALL {
                let id = DocId::new(kind, uuid);
                let _ = homevisit_docs::check(&id, &doc);
                let mut upgraded = doc.clone();
                if homevisit_docs::upgrade(&mut upgraded, kind).is_ok() {
                    let _ = homevisit_docs::check(&id, &upgraded);
                }
            }
            // The store saves what it accepted (outside `untrusted`), and loads it again later.
            let saved = doc.save();
            let _ = homevisit_docs::load(&saved);
        });
    }
);
