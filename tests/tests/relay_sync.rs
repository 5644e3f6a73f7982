//! Two devices and a relay on loopback: enrollment, offline edits on both, both partners typing
//! into the same debrief field, revocation, and a relay restarted between and during syncs.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;

use chrono::{FixedOffset, NaiveDate};
use homevisit_fixtures::demo;
use homevisit_model::NoteField;
use homevisit_relay::{Config, RunningRelay, start};
use homevisit_store::{DbKey, Store, VisitImport};
use homevisit_sync::client::{ClientError, RELAY_PEER, RelayClient, enroll};

const SCHOOL: &str = "school-1";

async fn relay_at(dir: &Path) -> RunningRelay {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    start(&Config { data_dir: dir.to_path_buf(), listen }).await.unwrap()
}

/// An enrolled device: its store and its token (which a phone keeps in its keystore).
async fn device(relay: &RunningRelay, path: &Path) -> (Mutex<Store>, String) {
    let code = relay.relay.access().invite(SCHOOL, "educator", None).unwrap();
    let enrollment = enroll(&relay.url(), &code).await.unwrap();
    let store = Store::open(path, &DbKey::from_bytes([5; 32])).unwrap();
    (Mutex::new(store), enrollment.token)
}

fn client(relay: &RunningRelay, token: &str) -> RelayClient {
    RelayClient::new(&relay.url(), token).unwrap()
}

fn demo_day() -> (NaiveDate, FixedOffset) {
    (NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), FixedOffset::west_opt(8 * 3600).unwrap())
}

fn load_demo(store: &Mutex<Store>) -> homevisit_fixtures::DataSet {
    let mut store = store.lock().unwrap();
    let (day, offset) = demo_day();
    let data = demo::data_set(day, offset);
    data.schools.iter().for_each(|s| store.put_school(s).unwrap());
    data.educators.iter().for_each(|e| store.put_educator(e).unwrap());
    store.import_families(&data.families).unwrap();
    let visits: Vec<VisitImport> =
        data.visits.iter().map(|(log, notes)| VisitImport { log: log.clone(), notes: notes.clone() }).collect();
    store.import_visits(&visits).unwrap();
    data
}

fn assert_identical(a: &Mutex<Store>, b: &Mutex<Store>) {
    let (mut a, mut b) = (a.lock().unwrap(), b.lock().unwrap());
    let ids = a.document_ids(None).unwrap();
    assert_eq!(ids, b.document_ids(None).unwrap());
    for id in &ids {
        assert_eq!(a.document_heads(id).unwrap(), b.document_heads(id).unwrap(), "{id}");
        assert_eq!(a.document_json(id).unwrap(), b.document_json(id).unwrap(), "{id}");
    }
}

fn unsynced(store: &Mutex<Store>) -> usize {
    store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_on_two_devices_converge_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(&dir.path().join("relay")).await;
    let (a, token_a) = device(&relay, &dir.path().join("a.db")).await;
    let (b, token_b) = device(&relay, &dir.path().join("b.db")).await;
    let (client_a, client_b) = (client(&relay, &token_a), client(&relay, &token_b));
    let data = load_demo(&a);
    assert!(unsynced(&a) > 0);

    client_a.sync(&a).await.unwrap();
    assert_eq!(unsynced(&a), 0, "everything reached the relay");
    client_b.sync(&b).await.unwrap();
    assert_identical(&a, &b);
    let (day, offset) = demo_day();
    assert_eq!(b.lock().unwrap().visits_on_day(day, offset).unwrap().len(), 3);

    // Both partners type into the same debrief field while offline, then sync in turn.
    let visit = data.visits[0].0.plan.id;
    a.lock().unwrap().set_note(visit, NoteField::Learned, "Sofia loves soccer.").unwrap();
    b.lock().unwrap().set_note(visit, NoteField::Learned, "Mateo draws dragons.").unwrap();
    b.lock().unwrap().set_note(visit, NoteField::NextSteps, "Literacy night invite.").unwrap();
    client_a.sync(&a).await.unwrap();
    client_b.sync(&b).await.unwrap();
    client_a.sync(&a).await.unwrap();
    assert_identical(&a, &b);
    let text = a.lock().unwrap().note(visit, NoteField::Learned).unwrap();
    assert!(text.contains("Sofia loves soccer.") && text.contains("Mateo draws dragons."), "{text}");
    assert_eq!(unsynced(&a), 0);
    assert_eq!(unsynced(&b), 0);
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_revoked_devices_are_refused_and_plain_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(&dir.path().join("relay")).await;
    let store = Mutex::new(Store::open(dir.path().join("a.db"), &DbKey::from_bytes([5; 32])).unwrap());
    load_demo(&store);

    assert!(matches!(enroll(&relay.url(), "not-an-invite").await, Err(ClientError::Unauthorized)));
    let stranger = RelayClient::new(&relay.url(), "made-up-token").unwrap();
    assert!(matches!(stranger.sync(&store).await, Err(ClientError::Unauthorized)));

    let code = relay.relay.access().invite(SCHOOL, "educator", None).unwrap();
    let enrollment = enroll(&relay.url(), &code).await.unwrap();
    assert!(matches!(enroll(&relay.url(), &code).await, Err(ClientError::Unauthorized)), "invites are single-use");
    let client = RelayClient::new(&relay.url(), &enrollment.token).unwrap();
    client.sync(&store).await.unwrap();
    assert!(relay.relay.access().revoke(&enrollment.device_id).unwrap());
    store.lock().unwrap().set_note(homevisit_model::VisitId(uuid_of_first_visit()), NoteField::Learned, "x").unwrap();
    assert!(matches!(client.sync(&store).await, Err(ClientError::Unauthorized)), "revocation takes effect at once");
    assert_eq!(unsynced(&store), 1, "the refused edit is still waiting, not lost");

    assert!(matches!(RelayClient::new("http://relay.example.org", "t"), Err(ClientError::InsecureUrl)));
    assert!(RelayClient::new("https://relay.example.org", "t").is_ok());
    relay.stop().await.unwrap();
}

fn uuid_of_first_visit() -> uuid::Uuid {
    let (day, offset) = demo_day();
    demo::data_set(day, offset).visits[0].0.plan.id.uuid()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restart_loses_nothing_and_the_next_sync_converges() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let relay = relay_at(&relay_dir).await;
    let (a, token_a) = device(&relay, &dir.path().join("a.db")).await;
    let (b, token_b) = device(&relay, &dir.path().join("b.db")).await;
    let data = load_demo(&a);

    // The relay stops while A is syncing: the sync either finishes or fails cleanly.
    let client_a = client(&relay, &token_a);
    let stopping = tokio::spawn(async move { relay.stop().await });
    let first = client_a.sync(&a).await;
    stopping.await.unwrap().unwrap();
    assert!(matches!(first, Ok(_) | Err(ClientError::Unreachable(_))), "{first:?}");

    // While it is down, syncs fail with a typed error and edits wait.
    let visit = data.visits[2].0.plan.id;
    a.lock().unwrap().set_note(visit, NoteField::HopesAndDreams, "A nurse, like her aunt.").unwrap();
    assert!(matches!(client_a.sync(&a).await, Err(ClientError::Unreachable(_))));
    assert!(unsynced(&a) > 0);

    // The relay comes back on the same data (on a new port): tokens still work, nothing was lost.
    let relay = relay_at(&relay_dir).await;
    client(&relay, &token_a).sync(&a).await.unwrap();
    client(&relay, &token_b).sync(&b).await.unwrap();
    assert_identical(&a, &b);
    assert_eq!(b.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap(), "A nurse, like her aunt.");
    assert_eq!(unsynced(&a), 0);
    relay.stop().await.unwrap();
}
