//! A peer's sync batch through the device's session over a real store: `Session::incoming`, then
//! `outgoing` and `finish` (as a sync round does), inside `Store::batch` that is rolled back, so
//! every input meets the same store. The input is a few `DocMessage`s (homevisit_fuzz::session).
//! Must never crash, never fail the store (a storage error would stop the whole sync), and always
//! leave the store as it was.
#![no_main]

use std::sync::{Mutex, OnceLock};

use automerge::ChangeHash;
use homevisit_docs::DocId;
use homevisit_store::{DbKey, Store, StoreError};
use homevisit_sync::{DocFailure, Session};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    store: Mutex<Store>,
    seeded: Vec<(DocId, Vec<ChangeHash>)>,
}

/// One store per process, in `$TMPDIR` (scripts/fuzz points it into target/fuzz and clears it).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("homevisit-fuzz-store-").tempdir().expect("temp dir").keep();
        let mut store = Store::open(dir.join("store.db"), &DbKey::from_bytes([7; 32])).expect("open the store");
        let mut seeded = Vec::new();
        for (id, mut doc) in homevisit_fuzz::demo_documents() {
            store.merge_document_bytes(&id, &doc.save()).expect("seed a document");
            let heads = store.document_heads(&id).expect("heads");
            assert_eq!(heads, doc.get_heads(), "the store holds the demo document as built");
            seeded.push((id, heads));
        }
        Fixture { store: Mutex::new(store), seeded }
    })
}

/// How a round ends: always rolled back (or the store failed, a bug).
enum End {
    RolledBack,
    Store(StoreError),
}

impl From<StoreError> for End {
    fn from(e: StoreError) -> Self {
        End::Store(e)
    }
}

fn no_storage_failure<T>(step: &str, r: Result<T, DocFailure>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(DocFailure::Rejected(_)) => None,
        Err(DocFailure::Storage(e)) => panic!("crafted input made the store fail during {step}: {e}"),
    }
}

fuzz_target!(
    init: {
        homevisit_fuzz::quiet_caught_panics();
        homevisit_fuzz::write_seeds_if_asked("session_receive");
        fixture();
    },
    |data: &[u8]| {
        homevisit_fuzz::run_contained(|| {
            let fixture = fixture();
            let batch = homevisit_fuzz::session::batch_from(data, &fixture.seeded);
            let mut store = fixture.store.lock().unwrap_or_else(|p| p.into_inner());
            let end = store.batch(|s| {
                let mut session = Session::new(homevisit_sync::PeerId::parse("fuzz-peer").expect("a peer id"));
                if no_storage_failure("incoming", session.incoming(s, &batch)).is_some()
                    && no_storage_failure("outgoing", session.outgoing(s)).is_some()
                {
                    no_storage_failure("finish", session.finish(s));
                }
                Err::<(), End>(End::RolledBack)
            });
            match end {
                Err(End::RolledBack) => {}
                Ok(()) => unreachable!(),
                Err(End::Store(e)) => panic!("the store failed around the batch: {e}"),
            }
            // Rolled back: the store is as seeded.
            let ids = store.document_ids(None).expect("document ids");
            assert_eq!(ids.len(), fixture.seeded.len(), "a document stayed after the rollback");
            for (id, heads) in &fixture.seeded {
                assert_eq!(&store.document_heads(id).expect("heads"), heads, "{id} changed after the rollback");
            }
        });
    }
);
