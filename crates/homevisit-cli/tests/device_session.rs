//! The CLI's device session against a real relay on loopback: the relay address and token live
//! only in the encrypted store (no `relay.json`; an old one is moved in and deleted), the data
//! directory is 0700 and its files 0600, and no file holds the token in plain bytes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Local;
use common::homevisit;
use homevisit_store::{DbKey, Store};
use homevisit_sync::device_session::{self, Credentials};

fn ok(o: Output) -> (String, String) {
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert!(o.status.success(), "failed: {err}");
    (out, err)
}

/// A relay on loopback with the demo district; the runtime serves it while the test runs.
struct Relay {
    _runtime: tokio::runtime::Runtime,
    running: homevisit_relay::RunningRelay,
    data: homevisit_fixtures::DataSet,
}

impl Relay {
    fn start(dir: &Path) -> Relay {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let config = homevisit_relay::Config::embedded(dir.join("relay"), "127.0.0.1:0".parse().unwrap());
        let running = runtime.block_on(homevisit_relay::start(&config)).unwrap();
        let data = homevisit_fixtures::demo::data_set(Local::now().date_naive(), *Local::now().offset());
        running
            .relay
            .import_with(|s| s.import_district(&data.schools, &data.educators, &data.families, &data.visits))
            .unwrap();
        Relay { _runtime: runtime, running, data }
    }

    fn url(&self) -> String {
        self.running.url()
    }

    fn invite(&self, name: &str) -> String {
        let e = self.data.educators.iter().find(|e| e.display_name == name).unwrap();
        let role = homevisit_relay::access::Role::Educator(e.id);
        self.running.relay.access().invite(&e.school_id, &role).unwrap()
    }

    /// Credentials for a new device, enrolled without the CLI.
    fn enroll(&self, name: &str) -> Credentials {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(device_session::enroll(&self.url(), &self.invite(name))).unwrap().credentials
    }
}

/// The credentials in a CLI data directory's store, read with its key file.
fn stored_credentials(data: &Path) -> Option<Credentials> {
    let key = DbKey::from_hex(&std::fs::read_to_string(data.join("device.key")).unwrap()).unwrap();
    let store = Store::open(data.join(device_session::STORE_FILE), &key).unwrap();
    device_session::load(&store).unwrap()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_in(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn assert_no_file_holds(data: &Path, secret: &str) {
    assert!(secret.len() >= 16, "a real token");
    for file in files_in(data) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{} holds the token", file.display());
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn enroll_and_sync_keep_the_token_only_in_the_encrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path());
    let data = dir.path().join("phone").join("data");

    let (out, _) =
        ok(homevisit(&data, &["enroll", "--relay", &relay.url(), "--invite", &relay.invite("Elena Rivera")]));
    assert!(out.starts_with("enrolled as device "), "{out}");
    let (out, _) = ok(homevisit(&data, &["sync"]));
    assert!(out.contains("0 not yet on the relay"), "{out}");
    let (today, _) = ok(homevisit(&data, &["--json", "today"]));
    assert!(today.contains("visit_id"), "the roster and visits arrived: {today}");

    assert!(!data.join("relay.json").exists());
    let credentials = stored_credentials(&data).expect("enrolled");
    assert_eq!(credentials.relay_url, relay.url());
    assert_no_file_holds(&data, credentials.token.expose());

    #[cfg(unix)]
    {
        for d in [dir.path().join("phone"), data.clone()] {
            assert_eq!(mode(&d), 0o700, "{}", d.display());
        }
        for file in files_in(&data) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    // Signing out forgets the credentials; the documents stay.
    ok(homevisit(&data, &["sign-out"]));
    assert!(stored_credentials(&data).is_none());
    let refused = homevisit(&data, &["sync"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not enrolled"));
    assert_eq!(ok(homevisit(&data, &["--json", "today"])).0, today);
}

#[test]
fn an_old_relay_json_is_moved_into_the_store_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path());
    let data = dir.path().join("data");
    ok(homevisit(&data, &["init"]));

    // What an older CLI wrote at enrollment.
    let credentials = relay.enroll("Grace Okafor");
    let json = serde_json::json!({"relay": credentials.relay_url, "token": credentials.token.expose()});
    std::fs::write(data.join("relay.json"), json.to_string()).unwrap();

    let (out, err) = ok(homevisit(&data, &["sync"]));
    assert!(err.contains("moved the relay address and token from relay.json"), "{err}");
    assert!(out.contains("synced in"), "{out}");
    assert!(!data.join("relay.json").exists(), "the plain file is deleted");
    assert_eq!(stored_credentials(&data), Some(credentials.clone()));
    // Later runs sync from the store alone, and say nothing about a migration.
    let (_, err) = ok(homevisit(&data, &["sync"]));
    assert!(!err.contains("relay.json"), "{err}");
    assert_no_file_holds(&data, credentials.token.expose());

    // A damaged file is reported and left for the user to look at.
    std::fs::write(data.join("relay.json"), "{not json").unwrap();
    let damaged = homevisit(&data, &["today"]);
    assert!(!damaged.status.success());
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("relay.json is damaged"));
    assert!(data.join("relay.json").exists());
}

#[test]
fn a_key_file_elsewhere_is_created_private_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key_file = dir.path().join("keys").join("device.key");
    let out = Command::new(env!("CARGO_BIN_EXE_homevisit"))
        .arg("--data")
        .arg(&data)
        .arg("--key-file")
        .arg(&key_file)
        .arg("init")
        .env_remove("HOMEVISIT_DB_KEY")
        .output()
        .unwrap();
    ok(out);
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        assert_eq!(mode(&key_file), 0o600);
        assert_eq!(mode(&data), 0o700);
    }
}
