//! Shared harness for the end-to-end tests in `tests/`: which storage the relay under test uses.
//!
//! By default the relay runs on its embedded storage. With `HOMEVISIT_TEST_POSTGRES` set to a
//! PostgreSQL URL whose user may create databases, every relay runs on PostgreSQL instead, in a
//! database of its own named after its data directory (so a relay restarted on the same
//! directory finds its data). `scripts/test` runs the suite both ways.

use std::net::SocketAddr;
use std::path::Path;

use homevisit_relay::{Config, Storage};

#[path = "postgres_db.rs"]
pub mod postgres_db;

/// The environment variable naming the PostgreSQL server to run relays on.
pub const POSTGRES_ENV: &str = "HOMEVISIT_TEST_POSTGRES";

/// The configuration of a relay under test with its data in `dir`, listening on `listen`.
pub fn relay_config(dir: &Path, listen: SocketAddr) -> Config {
    let storage = match std::env::var(POSTGRES_ENV) {
        Ok(admin_url) if !admin_url.is_empty() => Storage::Postgres(postgres_db::database_for(&admin_url, dir)),
        _ => Storage::Embedded,
    };
    Config { data_dir: dir.to_path_buf(), listen, storage }
}

/// A relay under test on a free loopback port.
pub async fn start_relay(dir: &Path) -> homevisit_relay::RunningRelay {
    start_relay_on(dir, "127.0.0.1:0".parse().unwrap()).await
}

/// A relay under test on `listen` (to restart one where the phones expect it).
pub async fn start_relay_on(dir: &Path, listen: SocketAddr) -> homevisit_relay::RunningRelay {
    homevisit_relay::start(&relay_config(dir, listen)).await.expect("relay starts")
}

/// The demo district on a fixed day (Sunday 2026-11-22, UTC-8): what every end-to-end test
/// seeds its relay with.
pub fn district() -> homevisit_fixtures::DataSet {
    homevisit_fixtures::demo::data_set(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("a date"),
        chrono::FixedOffset::west_opt(8 * 3600).expect("an offset"),
    )
}

/// Imports a district into a relay, as a district's administrator would.
pub fn import_district(relay: &homevisit_relay::Relay, data: &homevisit_fixtures::DataSet) {
    relay
        .import_with(|store| store.import_district(&data.schools, &data.educators, &data.families, &data.visits))
        .expect("the district imports");
}

/// A relay under test holding `data`.
pub async fn start_relay_with_district(
    dir: &Path,
    data: &homevisit_fixtures::DataSet,
) -> homevisit_relay::RunningRelay {
    let relay = start_relay(dir).await;
    import_district(&relay.relay, data);
    relay
}

/// Another instance's configuration on the same storage as `first`: its own data directory
/// (`data_dir`), holding a copy of `first`'s key, as every instance sharing a database needs.
pub fn same_storage(first: &Config, data_dir: &Path) -> Config {
    std::fs::create_dir_all(data_dir).expect("the data directory");
    std::fs::copy(first.data_dir.join("relay.key"), data_dir.join("relay.key")).expect("the relay key copies");
    Config { data_dir: data_dir.to_path_buf(), ..first.clone() }
}

/// The text of a visit's note field as the relay holds it ("" if the relay lacks the notes).
pub fn relay_note(
    relay: &homevisit_relay::Relay,
    visit: homevisit_model::VisitId,
    field: homevisit_model::NoteField,
) -> String {
    let id = homevisit_docs::DocId::new(homevisit_docs::DocKind::VisitNotes, visit.uuid());
    relay.document(&id).unwrap().map(|doc| homevisit_docs::note_text(&doc, field).unwrap()).unwrap_or_default()
}

/// A document as the relay holds it, as JSON (`null` if it lacks it).
pub fn relay_json(relay: &homevisit_relay::Relay, id: homevisit_docs::DocId) -> serde_json::Value {
    relay.document(&id).unwrap().map_or(serde_json::Value::Null, |doc| homevisit_docs::to_json(&doc))
}

/// A visit's log as the relay holds it.
pub fn relay_visit_log(relay: &homevisit_relay::Relay, visit: homevisit_model::VisitId) -> homevisit_model::VisitLog {
    let id = homevisit_docs::DocId::new(homevisit_docs::DocKind::VisitLog, visit.uuid());
    homevisit_docs::read_record(&relay.document(&id).unwrap().expect("the relay has the visit log")).unwrap()
}
