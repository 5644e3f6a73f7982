//! Tests' PostgreSQL: a fresh schema of their own on the server `HOMEVISIT_TEST_POSTGRES` names
//! (`scripts/with-postgres`), dropped when the test ends, and a URL whose search path puts it
//! first, so a relay opened on it makes its tables there. `None` (with a notice) without a server.

use postgres::NoTls;

pub(crate) struct TestSchema {
    admin_url: String,
    schema: String,
    /// The relay's URL for this test: its schema first on the search path.
    pub(crate) url: String,
}

/// `url` with `-c search_path=<schema>` in its options.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// The test server's admin URL (`HOMEVISIT_TEST_POSTGRES`), or `None` with a notice naming `what`
/// was skipped when no server is configured.
pub(crate) fn admin_url(what: &str) -> Option<String> {
    match std::env::var("HOMEVISIT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped: the PostgreSQL {what} needs HOMEVISIT_TEST_POSTGRES (scripts/with-postgres)");
            None
        }
    }
}

impl TestSchema {
    /// A new schema named `<prefix>_<uuid>`, or `None` when no server is configured (`what`: the
    /// run the notice names).
    pub(crate) fn new(prefix: &str, what: &str) -> Option<TestSchema> {
        let admin_url = admin_url(what)?;
        let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = postgres::Client::connect(&admin_url, NoTls).expect("connect to the test PostgreSQL");
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("a schema for the test");
        let url = with_search_path(&admin_url, &schema);
        Some(TestSchema { admin_url, schema, url })
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}
