//! Shared harness for the end-to-end tests in `tests/`: which storage the relay under test uses.
//!
//! By default the relay runs on its embedded storage. With `HOMEVISIT_TEST_POSTGRES` set to a
//! PostgreSQL URL whose user may create databases, every relay runs on PostgreSQL instead, in a
//! database of its own named after its data directory (so a relay restarted on the same
//! directory finds its data). `scripts/test` runs the suite both ways.

use std::net::SocketAddr;
use std::path::Path;

use homevisit_relay::{Config, Storage};

#[path = "attacker.rs"]
pub mod attacker;
#[path = "craft.rs"]
pub mod craft;
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

/// A relay in a process of its own, to be killed with SIGKILL and started again on the same data
/// and port: the test binary started again to run only its `#[ignore]`d test `child_test`, which
/// calls [`serve_as_child`]. The child stops by itself after a few minutes, so it never outlives a
/// failed test for long; it is killed when this is dropped.
pub struct RelayProcess {
    pub addr: SocketAddr,
    dir: std::path::PathBuf,
    child_test: &'static str,
    /// Settings the relay reads from its environment (`HOMEVISIT_RELAY_*`), kept across restarts.
    settings: Vec<(String, String)>,
    child: std::process::Child,
}

/// Environment the parent passes to [`serve_as_child`].
const CHILD_DIR: &str = "HOMEVISIT_RELAY_PROCESS_DIR";
const CHILD_LISTEN: &str = "HOMEVISIT_RELAY_PROCESS_LISTEN";
/// Faults the child arms before serving, `storing:<doc id>` or `marking:<doc id>`, comma-separated.
pub const CHILD_FAULTS: &str = "HOMEVISIT_RELAY_PROCESS_FAULTS";

impl RelayProcess {
    /// Starts the relay on `dir` (a free loopback port), with `faults` armed (see [`CHILD_FAULTS`]).
    pub fn start(dir: &Path, child_test: &'static str, faults: &str) -> Self {
        Self::start_with(dir, child_test, faults, &[])
    }

    /// [`RelayProcess::start`], with relay settings in its environment (e.g.
    /// `("HOMEVISIT_RELAY_DEVICE_DOCUMENTS", "3")`).
    pub fn start_with(dir: &Path, child_test: &'static str, faults: &str, settings: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let settings = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self::start_on(dir, SocketAddr::from(([127, 0, 0, 1], port)), child_test, faults, settings)
    }

    /// The relay process's id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn start_on(
        dir: &Path,
        addr: SocketAddr,
        child_test: &'static str,
        faults: &str,
        settings: Vec<(String, String)>,
    ) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", child_test, "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir)
            .env(CHILD_LISTEN, addr.to_string())
            .env(CHILD_FAULTS, faults)
            .envs(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the relay process starts");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = std::io::BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("relay-process ready") => break,
                Some(Ok(_)) => {}
                _ => panic!("the relay process ended before it was ready"),
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { addr, dir: dir.to_path_buf(), child_test, settings, child }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills the relay with SIGKILL (nothing is flushed or closed) and starts it again on the same
    /// data and port, with no faults armed.
    pub fn kill_9_and_restart(self) -> Self {
        self.kill_9_and_restart_with("")
    }

    /// Like [`RelayProcess::kill_9_and_restart`], with `faults` armed in the new process.
    pub fn kill_9_and_restart_with(mut self, faults: &str) -> Self {
        self.child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
        self.child.wait().expect("the killed relay is reaped");
        Self::start_on(&self.dir, self.addr, self.child_test, faults, std::mem::take(&mut self.settings))
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a [`RelayProcess`]'s child test: serves the relay whose directory and address the
/// parent passed, with its faults armed, for at most `STOP_AFTER`; returns at once when not started
/// by a parent.
pub async fn serve_as_child() {
    const STOP_AFTER: std::time::Duration = std::time::Duration::from_secs(180);
    let (Ok(dir), Ok(listen)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_LISTEN)) else { return };
    for fault in std::env::var(CHILD_FAULTS).unwrap_or_default().split(',').filter(|f| !f.is_empty()) {
        let (point, doc) = fault.split_once(':').expect("point:doc");
        let doc: homevisit_docs::DocId = doc.parse().expect("a document id");
        homevisit_store::fault::arm(match point {
            "storing" => homevisit_store::fault::Fault::Storing(doc),
            "marking" => homevisit_store::fault::Fault::Marking(doc),
            other => panic!("unknown fault point {other}"),
        });
    }
    let relay = start_relay_on(Path::new(&dir), listen.parse().expect("an address")).await;
    println!("relay-process ready {}", relay.addr);
    tokio::time::sleep(STOP_AFTER).await;
    relay.stop().await.expect("the relay stops");
}

/// The relay's data opened by an administrator beside a running [`RelayProcess`] (invites,
/// imports, reading what it stores), as a second instance on the same storage would.
pub fn admin(dir: &Path) -> std::sync::Arc<homevisit_relay::Relay> {
    let config = relay_config(dir, "127.0.0.1:0".parse().unwrap());
    homevisit_relay::Relay::open_with(&config.data_dir, &config.storage).expect("the relay's data opens")
}

/// Inputs the fuzzers found to make Automerge 0.12 panic (`crates/homevisit-fuzz/regressions`):
/// `(mode, bytes)`, the mode being 0 for a saved document, 1 for a change chunk, 2 for a sync
/// message (the first byte of each file). The hostile tests send each of them.
pub fn automerge_crashers() -> Vec<(u8, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/homevisit-fuzz/regressions");
    let mut files: Vec<_> = ["", "debug-assertions", "release-only"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).expect("the fuzzers' regression inputs"))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).expect("a regression input");
            (bytes[0], bytes[1..].to_vec())
        })
        .collect()
}
