//! The conformance suite against PostgreSQL's storage (`PgDocs`), on the server
//! `HOMEVISIT_TEST_POSTGRES` names (`scripts/with-postgres`). Each test has a schema of its own
//! (its tables made by `Postgres::open`, as a relay makes them; dropped afterwards), so candidates
//! are exactly its documents. Without a server the tests print a notice and return.

use std::sync::Weak;

use homevisit_store::DbKey;
use homevisit_sync::conformance::Harness;
use homevisit_sync::{DocFailure, SyncDocs};
use postgres::NoTls;

use crate::pg::{PgDocs, Postgres, Sealer};

struct PgStore {
    admin_url: String,
    schema: String,
    /// The relay's URL for this test: its schema first on the search path.
    url: String,
    sealer: Sealer,
    client: Option<postgres::Client>,
}

fn storage(e: postgres::Error) -> DocFailure {
    DocFailure::Storage(Box::new(e))
}

/// `url` with `-c search_path=<schema>` in its options.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// A harness on a fresh schema, or `None` (with a notice) when no server is configured.
fn harness() -> Option<PgStore> {
    let admin_url = match std::env::var("HOMEVISIT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("skipped: the PostgreSQL conformance run needs HOMEVISIT_TEST_POSTGRES (scripts/with-postgres)");
            return None;
        }
    };
    let schema = format!("hv_conformance_{}", uuid::Uuid::new_v4().simple());
    let mut admin = postgres::Client::connect(&admin_url, NoTls).expect("connect to the test PostgreSQL");
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("a schema for the test");
    let url = with_search_path(&admin_url, &schema);
    let key = DbKey::generate().expect("a key");
    // The relay's own setup: its tables, in this schema.
    drop(Postgres::open(&url, &key, Weak::new()).expect("the relay's PostgreSQL storage opens"));
    let client = postgres::Client::connect(&url, NoTls).expect("connect");
    Some(PgStore { admin_url, schema, url, sealer: Sealer::new(key.as_bytes()), client: Some(client) })
}

impl Harness for PgStore {
    fn run(&mut self, step: &mut dyn FnMut(&mut dyn SyncDocs) -> Result<(), DocFailure>) -> Result<(), DocFailure> {
        let mut tx = self.client.as_mut().expect("connected").transaction().map_err(storage)?;
        step(&mut PgDocs::new(&mut tx, &self.sealer))?;
        tx.commit().map_err(storage)
    }

    fn reopen(&mut self) {
        drop(self.client.take());
        self.client = Some(postgres::Client::connect(&self.url, NoTls).expect("reconnect"));
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        drop(self.client.take());
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

homevisit_sync::sync_docs_conformance!(optional: harness());
