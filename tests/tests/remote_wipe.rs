//! Remote wipe: a phone the relay revoked wipes its store at its next request and says so. The
//! relay answers a revoked device's token 403 `{"error":"revoked"}` (an unknown token still gets
//! the plain 401); the device session stops syncing, deletes the store's files and reports
//! `Revoked`, whether `sync_now` or the background agent heard it. Also: enrollment tells the
//! phone who it is. Embedded, or PostgreSQL with `HOMEVISIT_TEST_POSTGRES` (see `start_relay`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use homevisit_model::NoteField;
use homevisit_relay::access::Role;
use homevisit_store::DbKey;
use homevisit_sync::SyncReport;
use homevisit_sync::agent::SyncListener;
use homevisit_sync::client::{ClientError, SyncProgress};
use homevisit_sync::device_session::{Device, STORE_FILE, SessionError, SyncFailure};
use homevisit_sync::identity::{DeviceRole, Identity};

/// What the syncs reported: `Err(code)` for a failure.
#[derive(Default)]
struct Heard(Mutex<Vec<Result<(), &'static str>>>);

impl SyncListener for Heard {
    fn progress(&self, _: SyncProgress) {}
    fn finished(&self, result: &Result<SyncReport, ClientError>, _: Option<Duration>) {
        let outcome = match result {
            Ok(_) => Ok(()),
            Err(e) => Err(homevisit_sync::device_session::client_code(e)),
        };
        self.0.lock().unwrap().push(outcome);
    }
}

impl Heard {
    fn revoked(&self) -> bool {
        self.0.lock().unwrap().contains(&Err("client.revoked"))
    }
}

fn store_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.starts_with(STORE_FILE)).collect()
        })
        .unwrap_or_default()
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_phone_wipes_its_store_at_its_next_sync_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = homevisit_e2e::district();
    let relay = homevisit_e2e::start_relay_with_district(&dir.path().join("relay"), &data).await;
    let rivera = data.educators.iter().find(|e| e.display_name == "Elena Rivera").unwrap();
    let key = DbKey::from_bytes([4; 32]);

    // Enrolled, the phone knows who it is.
    let phone_dir = dir.path().join("rivera");
    let heard = Arc::new(Heard::default());
    let phone = Device::open(phone_dir.clone(), key.clone(), heard.clone()).await.unwrap();
    let code = relay.relay.access().invite(&rivera.school_id, &Role::Educator(rivera.id)).unwrap();
    let device_id = phone.enroll(&relay.url(), &code).await.unwrap();
    let me = Identity { role: DeviceRole::Educator, school_id: rivera.school_id, educator_id: Some(rivera.id) };
    assert_eq!(phone.whoami().await.unwrap(), Some(me));

    // It syncs her visits and writes a note the relay has not had yet.
    phone.sync_now().await.unwrap();
    let rivera_id = rivera.id;
    let visit = phone.read(move |s| s.visits_for_educator(rivera_id)).await.unwrap()[0].visit_id;
    phone.stop_syncing(); // the edit stays unsynced until the next sync, the one that is refused
    phone.edit(move |s| s.set_note(visit, NoteField::Learned, "Loves the library.")).await.unwrap();
    let held = phone.read(|s| s.document_ids(None)).await.unwrap().len();
    assert!(held > 0);
    assert!(!store_files(&phone_dir).is_empty());

    // The coordinator revokes the lost phone. Its next sync is told so, and the phone wipes itself.
    assert!(relay.relay.access().revoke(&device_id).unwrap());
    let refused = phone.sync_now().await;
    assert!(matches!(refused, Err(SessionError::Client(ClientError::Revoked))), "{refused:?}");
    assert!(heard.revoked(), "the listener was told");
    assert_eq!(store_files(&phone_dir), Vec::<String>::new(), "the store and its -wal/-shm/-journal are gone");
    assert!(!phone.is_syncing());
    let status = phone.status().await.unwrap();
    assert!(status.revoked && status.relay_url.is_none());
    assert_eq!(status.last.failure, Some(SyncFailure::Revoked));
    assert!(matches!(phone.read(|s| s.document_ids(None)).await, Err(SessionError::Revoked)));
    assert!(matches!(phone.sync_now().await, Err(SessionError::Revoked)));
    assert!(matches!(phone.whoami().await, Err(SessionError::Revoked)));
    drop(phone);

    // Opened again with the same key: an empty store, not enrolled, knowing no one.
    let reopened = Device::open(phone_dir.clone(), key, Arc::new(Heard::default())).await.unwrap();
    assert!(reopened.read(|s| s.document_ids(None)).await.unwrap().is_empty());
    assert_eq!(reopened.whoami().await.unwrap(), None);
    assert!(matches!(reopened.sync_now().await, Err(SessionError::NotEnrolled)));
    drop(reopened);
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sync_that_hears_revoked_wipes_the_phone_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = homevisit_e2e::district();
    let relay = homevisit_e2e::start_relay_with_district(&dir.path().join("relay"), &data).await;
    let lincoln = &data.schools[0];

    // A coordinator's phone: it knows its role and school, and no educator.
    let phone_dir = dir.path().join("coordinator");
    let heard = Arc::new(Heard::default());
    let phone = Device::open(phone_dir.clone(), DbKey::from_bytes([5; 32]), heard.clone()).await.unwrap();
    let code = relay.relay.access().invite(&lincoln.id, &Role::SchoolCoordinator).unwrap();
    let device_id = phone.enroll(&relay.url(), &code).await.unwrap();
    let who = phone.whoami().await.unwrap().unwrap();
    assert_eq!((who.role, who.school_id, who.educator_id), (DeviceRole::SchoolCoordinator, lincoln.id, None));
    assert!(phone.is_syncing());
    eventually("the first background sync", || heard.0.lock().unwrap().contains(&Ok(()))).await;
    assert!(!phone.read(|s| s.document_ids(None)).await.unwrap().is_empty());

    // Revoked; a local edit nudges the background agent, which hears it and the phone wipes itself.
    assert!(relay.relay.access().revoke(&device_id).unwrap());
    let school = homevisit_model::School { id: lincoln.id, name: "Lincoln Elementary (renamed)".into() };
    phone.edit(move |s| s.put_school(&school)).await.unwrap();
    eventually("the background sync to hear it", || heard.revoked()).await;
    eventually("the wipe", || store_files(&phone_dir).is_empty()).await;
    assert!(!phone.is_syncing());
    assert!(phone.status().await.unwrap().revoked);
    assert!(matches!(phone.read(|s| s.document_ids(None)).await, Err(SessionError::Revoked)));
    drop(phone);
    relay.stop().await.unwrap();
}

/// An unknown token learns nothing new: the plain 401, not the revoked answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_token_that_was_valid_is_told_it_was_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = homevisit_e2e::district();
    let relay = homevisit_e2e::start_relay_with_district(&dir.path().join("relay"), &data).await;
    let lincoln = &data.schools[0];
    let code = relay.relay.access().invite(&lincoln.id, &Role::SchoolCoordinator).unwrap();
    let enrolled = homevisit_sync::client::enroll(&relay.url(), &code).await.unwrap();
    homevisit_sync::client::install_tls_provider();
    let post = |token: String| {
        let url = format!("{}/v1/sync", relay.url());
        async move {
            let answer = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .body(homevisit_protocol::SyncBatch::new(Vec::new()).encode())
                .send()
                .await
                .unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        }
    };
    assert_eq!(post(enrolled.token.clone()).await.0, 200);
    let unknown = post("0".repeat(64)).await;
    assert_eq!(unknown.0, 401);
    relay.relay.access().revoke(&enrolled.device_id).unwrap();
    assert_eq!(post(enrolled.token.clone()).await, (403, r#"{"error":"revoked"}"#.to_string()));
    assert_eq!(post("0".repeat(64)).await, unknown, "unknown is answered as before");
    relay.stop().await.unwrap();
}
