//! Set-up shared by the relay binary's integration tests.

use homevisit_relay::Storage;

/// The storage of this run: embedded, or, when `HOMEVISIT_TEST_POSTGRES` names a server, a fresh
/// PostgreSQL database of its own (named `<prefix>_<uuid>`).
pub fn storage(prefix: &str) -> Storage {
    match std::env::var("HOMEVISIT_TEST_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
            let (url, db) = (admin.clone(), name.clone());
            // The synchronous client runs its own runtime: on a thread of its own, never inside
            // a test's.
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("the test PostgreSQL");
                client.batch_execute(&format!("CREATE DATABASE {db}")).expect("a database");
            })
            .join()
            .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base).to_string();
            Storage::Postgres(format!("{base}/{name}"))
        }
        _ => Storage::Embedded,
    }
}
