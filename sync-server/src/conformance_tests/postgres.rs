//! The conformance suite against PostgreSQL's storage (`PgDocs`), on the server
//! `HOMEVISIT_TEST_POSTGRES` names (`scripts/with-postgres`). Each test has a schema of its own
//! (its tables made by `Postgres::open`, as a relay makes them; dropped afterwards), so candidates
//! are exactly its documents. Without a server the tests print a notice and return.

use std::sync::Weak;

use homevisit_store::DbKey;
use homevisit_sync::conformance::Harness;
use homevisit_sync::{DocFailure, SyncDocs};
use postgres::NoTls;

use crate::pg::test_schema::TestSchema;
use crate::pg::{PgDocs, Postgres, Sealer, Statements};

struct PgStore {
    /// Dropped after the client (`Drop` closes it first), so no connection holds the schema.
    schema: TestSchema,
    sealer: Sealer,
    client: Option<postgres::Client>,
    /// The statements prepared on `client`.
    statements: Statements,
}

fn storage(e: postgres::Error) -> DocFailure {
    DocFailure::Storage(Box::new(e))
}

/// A harness on a fresh schema, or `None` (with a notice) when no server is configured.
fn harness() -> Option<PgStore> {
    let schema = TestSchema::new("hv_conformance", "conformance run")?;
    let key = DbKey::generate().expect("a key");
    // The relay's own setup: its tables, in this schema.
    drop(Postgres::open(&schema.url, &key, Weak::new()).expect("the relay's PostgreSQL storage opens"));
    let client = postgres::Client::connect(&schema.url, NoTls).expect("connect");
    Some(PgStore {
        schema,
        sealer: Sealer::new(key.as_bytes()),
        client: Some(client),
        statements: Statements::default(),
    })
}

impl Harness for PgStore {
    fn run(&mut self, step: &mut dyn FnMut(&mut dyn SyncDocs) -> Result<(), DocFailure>) -> Result<(), DocFailure> {
        // As a relay's sync step runs: rows, states and marks written once, before the commit,
        // so every read after a write within a step goes through what is still deferred.
        let mut tx = self.client.as_mut().expect("connected").transaction().map_err(storage)?;
        let mut docs = PgDocs::deferring(&mut tx, &mut self.statements, &self.sealer);
        step(&mut docs)?;
        docs.flush()?;
        drop(docs);
        tx.commit().map_err(storage)
    }

    fn reopen(&mut self) {
        drop(self.client.take());
        self.statements = Statements::default();
        self.client = Some(postgres::Client::connect(&self.schema.url, NoTls).expect("reconnect"));
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        drop(self.client.take());
        self.statements = Statements::default();
    }
}

homevisit_sync::sync_docs_conformance!(optional: harness());
