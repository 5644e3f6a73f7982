//! The device session's tests: credentials and files on a real store, and a [`Device`] enrolling,
//! syncing in the background and wiping against a relay stand-in on loopback.

mod fake_relay;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use homevisit_store::{DbKey, Store, StoreError};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::status::StatusKeeper;
use super::*;
use crate::SyncReport;
use crate::agent::SyncListener;
use crate::client::{ClientError, RELAY_PEER, RelayClient, SyncProgress};
use fake_relay::FakeRelay;

const TOKEN: &str = "hv_device_token_0123456789abcdef";

fn credentials(relay_url: &str) -> Credentials {
    Credentials { relay_url: relay_url.into(), token: DeviceToken::new(TOKEN.into()) }
}

fn key() -> DbKey {
    DbKey::from_bytes([9; 32])
}

/// Counts the syncs that finished, and how.
#[derive(Default)]
struct Recorder(Mutex<Vec<bool>>);

impl SyncListener for Recorder {
    fn progress(&self, _: SyncProgress) {}
    fn finished(&self, result: &Result<SyncReport, ClientError>, _: Option<Duration>) {
        self.0.lock().unwrap().push(result.is_ok());
    }
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn credentials_are_kept_in_the_store_and_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path(), &key()).unwrap();
    assert_eq!(load(&store).unwrap(), None);
    assert!(relay_client(&store).unwrap().is_none());
    assert!(matches!(require_client(&store), Err(SessionError::NotEnrolled)));

    save(&mut store, &credentials("http://127.0.0.1:8787")).unwrap();
    drop(store);
    let mut store = open_store(dir.path(), &key()).unwrap();
    assert_eq!(load(&store).unwrap(), Some(credentials("http://127.0.0.1:8787")));
    assert!(relay_client(&store).unwrap().is_some());

    forget(&mut store).unwrap();
    assert_eq!(load(&store).unwrap(), None);
    // Only the encrypted store holds them: nothing else was written to the directory.
    let names: Vec<_> = names_in(dir.path()).into_iter().filter(|n| !n.starts_with(STORE_FILE)).collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_plain_http_relay_is_refused_when_the_client_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path(), &key()).unwrap();
    save(&mut store, &credentials("http://relay.example.org")).unwrap();
    assert!(matches!(relay_client(&store), Err(SessionError::Client(ClientError::InsecureUrl))));
}

#[test]
fn enrolling_refuses_plain_http_before_sending_the_invite() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let result = runtime.block_on(enroll("http://relay.example.org", "invite"));
    assert!(matches!(result, Err(ClientError::InsecureUrl)), "{result:?}");
}

#[test]
fn another_relay_starts_sync_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path(), &key()).unwrap();
    let data = homevisit_fixtures::demo::data_set(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        chrono::FixedOffset::west_opt(8 * 3600).unwrap(),
    );
    store.import_district(&data.schools, &data.educators, &data.families, &data.visits).unwrap();
    let doc = store.document_ids(None).unwrap()[0];
    let known = |store: &Store| store.sync_state(RELAY_PEER, &doc).unwrap().is_some();

    store.save_sync_state(RELAY_PEER, &doc, b"state").unwrap();
    save(&mut store, &credentials("https://relay.one.example")).unwrap();
    // The same relay again (a new token): what it holds is still known.
    save(&mut store, &credentials("https://relay.one.example")).unwrap();
    assert!(known(&store));
    save(&mut store, &credentials("https://relay.two.example")).unwrap();
    assert!(!known(&store));
    store.save_sync_state(RELAY_PEER, &doc, b"state").unwrap();
    forget(&mut store).unwrap();
    assert!(!known(&store));
}

#[test]
fn tokens_never_print() {
    let c = credentials("https://relay.example.org");
    let printed = format!("{c:?}");
    assert!(!printed.contains(TOKEN), "{printed}");
    assert!(printed.contains("DeviceToken(<redacted>)"), "{printed}");
    let mut token = DeviceToken::new(TOKEN.into());
    token.zeroize(); // what Drop runs
    assert_eq!(token.expose(), "");
    fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<DeviceToken>();
}

#[cfg(unix)]
#[test]
fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phone").join("data");
    drop(open_store(&data, &key()).unwrap());
    for d in [dir.path().join("phone"), data.clone()] {
        assert_eq!(std::fs::metadata(&d).unwrap().permissions().mode() & 0o777, 0o700, "{}", d.display());
    }
    assert_eq!(std::fs::metadata(data.join(STORE_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn wiping_deletes_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path(), &key()).unwrap();
    save(&mut store, &credentials("https://relay.example.org")).unwrap();
    drop(store);
    wipe(dir.path()).unwrap();
    wipe(dir.path()).unwrap(); // nothing left to delete is fine
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let store = open_store(dir.path(), &key()).unwrap();
    assert_eq!(load(&store).unwrap(), None);
}

#[test]
fn wiping_deletes_sqlites_files_beside_the_store_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    // What a crash can leave beside the store: a write-ahead log, its index, a rollback journal.
    for name in ["homevisit.db", "homevisit.db-wal", "homevisit.db-shm", "homevisit.db-journal"] {
        std::fs::write(dir.path().join(name), b"pages").unwrap();
    }
    std::fs::write(dir.path().join("device.key"), b"the shell's").unwrap();
    std::fs::write(dir.path().join("homevisit.db.bak"), b"not SQLite's").unwrap();
    wipe(dir.path()).unwrap();
    assert_eq!(names_in(dir.path()), ["device.key", "homevisit.db.bak"]);
}

#[test]
fn the_agent_cannot_start_outside_a_runtime_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = SharedStore::new(open_store(dir.path(), &key()).unwrap());
    let client = RelayClient::new("http://127.0.0.1:9", TOKEN).unwrap();
    let background = Background::default();
    let started = background.restart(Some(client), &store, Arc::new(Quiet));
    assert!(matches!(started, Err(SessionError::NoRuntime)), "not a panic: {:?}", started.err());
    assert!(!background.is_running());
    // Stopping when nothing runs, or without credentials, needs no runtime.
    assert!(background.restart(None, &store, Arc::new(Quiet)).is_ok());
}

#[test]
fn the_status_keeps_the_last_outcome_and_passes_reports_on() {
    let recorder = Arc::new(Recorder::default());
    let status = StatusKeeper::new(recorder.clone());
    assert_eq!(status.last(), LastSync::default());
    status.finished(&Err(ClientError::Unauthorized), None);
    assert_eq!(status.last().failure, Some(SyncFailure::Unauthorized));
    assert_eq!(status.last().succeeded_at, None);
    status.finished(&Ok(SyncReport::default()), None);
    let last = status.last();
    assert!(last.succeeded_at.is_some() && last.failure.is_none(), "{last:?}");
    status.finished(&Err(ClientError::TooManyRounds(12)), Some(Duration::from_secs(1)));
    assert_eq!(status.last().failure, Some(SyncFailure::Unexpected { code: "client.too_many_rounds" }));
    assert_eq!(status.last().succeeded_at, last.succeeded_at, "a failure keeps the last success");
    assert_eq!(*recorder.0.lock().unwrap(), [false, true, false]);
}

#[tokio::test]
async fn a_store_call_that_panics_is_an_error_and_the_store_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path().to_path_buf(), key(), Arc::new(Quiet)).await.unwrap();
    let result = device.read(|_| -> Result<(), StoreError> { panic!("a bug, with content") }).await;
    assert!(matches!(result, Err(SessionError::Panicked)), "{result:?}");
    assert_eq!(SessionError::Panicked.code(), "task.panicked");
    assert_eq!(device.unsynced_count().await.unwrap(), 0);
}

#[tokio::test]
async fn before_enrolling_there_is_no_background_sync_and_sync_now_is_not_enrolled() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let device = Device::open(dir.path().to_path_buf(), key(), recorder.clone()).await.unwrap();
    assert!(!device.is_syncing());
    assert!(matches!(device.sync_now().await, Err(SessionError::NotEnrolled)));
    device.set_live(true).await.unwrap();
    assert!(!device.is_syncing());
    let status = device.status().await.unwrap();
    assert_eq!((status.relay_url, status.live, status.last), (None, true, LastSync::default()));
    assert!(recorder.0.lock().unwrap().is_empty(), "nothing was sent, so no sync is reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolling_stores_the_settings_starts_syncing_and_the_wipe_ends_the_device() {
    let relay = FakeRelay::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phone");
    let recorder = Arc::new(Recorder::default());
    let device = Device::open(data.clone(), key(), recorder.clone()).await.unwrap();

    // A pasted address and code, with the newline a clipboard adds.
    let id = device.enroll(&format!(" {}\n", relay.url), &format!("{}\n", fake_relay::INVITE)).await.unwrap();
    assert_eq!(id.as_str(), fake_relay::DEVICE_ID);
    let stored = device.read(|s| load(s)).await.unwrap().expect("the settings are saved");
    assert_eq!(stored.relay_url, relay.url);
    assert_eq!(stored.token.expose(), fake_relay::TOKEN);
    assert_eq!(device.status().await.unwrap().relay_url.as_deref(), Some(relay.url.as_str()));
    // The stand-in answers as a relay from before enrollment said who a device is: it still
    // enrolls, and does not claim to know.
    assert_eq!(device.whoami().await.unwrap(), None);

    // Background sync started with the saved token, and reports how it went (the stand-in
    // answers 503): the status line shows it.
    assert!(device.is_syncing());
    eventually("a background sync", || !recorder.0.lock().unwrap().is_empty()).await;
    assert!(relay.requests_to("POST /v1/sync").iter().all(|a| a == &format!("Bearer {}", fake_relay::TOKEN)));
    assert_eq!(device.status().await.unwrap().last.failure, Some(SyncFailure::Refused(503)));
    assert!(matches!(device.sync_now().await, Err(SessionError::Client(ClientError::Refused(503)))));

    // Reopened, the device is still enrolled and syncs by itself again.
    drop(device);
    let device = Device::open(data.clone(), key(), Arc::new(Quiet)).await.unwrap();
    assert!(device.is_syncing());
    device.stop_syncing();
    assert!(!device.is_syncing());

    device.sign_out_and_wipe().await.unwrap();
    assert!(!device.is_syncing());
    assert!(names_in(&data).iter().all(|n| !n.starts_with(STORE_FILE)), "{:?}", names_in(&data));
    assert!(matches!(device.unsynced_count().await, Err(SessionError::Closed)));
    assert!(matches!(device.sign_out_and_wipe().await, Err(SessionError::Closed)));
    assert!(matches!(device.enroll(&relay.url, fake_relay::INVITE).await, Err(SessionError::Closed)));
}

#[tokio::test]
async fn a_refused_invite_saves_nothing_and_starts_nothing() {
    let relay = FakeRelay::start();
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path().to_path_buf(), key(), Arc::new(Quiet)).await.unwrap();
    let refused = device.enroll(&relay.url, "used-or-unknown").await;
    assert!(matches!(refused, Err(SessionError::Client(ClientError::Unauthorized))), "{refused:?}");
    assert_eq!(device.read(|s| load(s)).await.unwrap(), None);
    assert!(!device.is_syncing());
    assert_eq!(relay.requests_to("POST /v1/enroll").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_relays_revoked_answer_is_a_revocation() {
    let relay = FakeRelay::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(open_store(dir.path(), &key()).unwrap());
    let revoked = RelayClient::new(&relay.url, fake_relay::REVOKED_TOKEN).unwrap().sync(&store).await;
    assert!(matches!(revoked, Err(ClientError::Revoked)), "{revoked:?}");
    assert!(!ClientError::Revoked.is_retryable());
    // Another 403 is a refusal like any other, not a reason to wipe.
    let other = RelayClient::new(&relay.url, fake_relay::FORBIDDEN_TOKEN).unwrap().sync(&store).await;
    assert!(matches!(other, Err(ClientError::Refused(403))), "{other:?}");
}

/// A shell's listener told that a sync heard "revoked" reads the status at once: it must already
/// say revoked (the wipe itself runs on its own task and may finish later).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_told_of_a_revocation_finds_the_device_revoked() {
    #[derive(Default)]
    struct ReadsStatus {
        device: std::sync::OnceLock<Arc<Device>>,
        seen: Mutex<Vec<bool>>,
    }
    impl SyncListener for ReadsStatus {
        fn progress(&self, _: SyncProgress) {}
        fn finished(&self, result: &Result<SyncReport, ClientError>, _: Option<Duration>) {
            if let (Err(ClientError::Revoked), Some(device)) = (result, self.device.get()) {
                self.seen.lock().unwrap().push(device.is_revoked());
            }
        }
    }
    let relay = FakeRelay::start();
    let dir = tempfile::tempdir().unwrap();
    let listener = Arc::new(ReadsStatus::default());
    let device = Arc::new(Device::open(dir.path().to_path_buf(), key(), listener.clone()).await.unwrap());
    let _ = listener.device.set(device.clone());
    let revoked =
        Credentials { relay_url: relay.url.clone(), token: DeviceToken::new(fake_relay::REVOKED_TOKEN.into()) };
    device.read(move |s| save(s, &revoked)).await.unwrap();
    assert!(device.sync_now().await.is_err_and(|e| e.is_revoked()));
    assert_eq!(*listener.seen.lock().unwrap(), vec![true]);
    assert!(device.status().await.unwrap().revoked);
}
