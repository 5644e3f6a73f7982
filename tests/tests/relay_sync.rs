//! Two partners' phones and a relay on loopback: offline edits on both, both typing into the same
//! debrief field, revocation and plain-HTTP refusal, and a relay restarted during and between syncs.

use std::path::Path;
use std::sync::Mutex;

use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::DataSet;
use homevisit_model::{NoteField, VisitId};
use homevisit_relay::RunningRelay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{ClientError, RELAY_PEER, RelayClient, enroll};

fn district() -> DataSet {
    homevisit_e2e::district()
}

/// A relay holding the demo district (as a district's import would put it there).
async fn relay_at(dir: &Path, seed: Option<&DataSet>) -> RunningRelay {
    let relay = homevisit_e2e::start_relay(dir).await;
    if let Some(data) = seed {
        homevisit_e2e::import_district(&relay.relay, data);
    }
    relay
}

/// An educator's phone, enrolled: its store and its token (a phone keeps it in its keystore).
async fn phone(relay: &RunningRelay, data: &DataSet, dir: &Path, educator: &str) -> (Mutex<Store>, String) {
    let e = data.educators.iter().find(|e| e.display_name == educator).unwrap();
    let code = relay.relay.access().invite(&e.school_id, &homevisit_relay::access::Role::Educator(e.id)).unwrap();
    let token = enroll(&relay.url(), &code).await.unwrap().token;
    let store = Store::open(dir.join(format!("{educator}.db")), &DbKey::from_bytes([5; 32])).unwrap();
    (Mutex::new(store), token)
}

fn client(relay: &RunningRelay, token: &str) -> RelayClient {
    RelayClient::new(&relay.url(), token).unwrap()
}

/// The visit Elena Rivera and Grace Okafor make together today.
fn shared_visit(data: &DataSet) -> VisitId {
    data.visits[0].0.plan.id
}

fn assert_same(a: &Mutex<Store>, b: &Mutex<Store>, docs: &[DocId]) {
    let (mut a, mut b) = (a.lock().unwrap(), b.lock().unwrap());
    for id in docs {
        assert_eq!(a.document_heads(id).unwrap(), b.document_heads(id).unwrap(), "{id}");
        assert_eq!(a.document_json(id).unwrap(), b.document_json(id).unwrap(), "{id}");
    }
}

fn visit_docs(visit: VisitId) -> [DocId; 2] {
    [DocId::new(DocKind::VisitLog, visit.uuid()), DocId::new(DocKind::VisitNotes, visit.uuid())]
}

fn unsynced(store: &Mutex<Store>) -> usize {
    store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_offline_edits_converge_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_at(&dir.path().join("relay"), Some(&data)).await;
    let (a, token_a) = phone(&relay, &data, dir.path(), "Elena Rivera").await;
    let (b, token_b) = phone(&relay, &data, dir.path(), "Grace Okafor").await;
    let (client_a, client_b) = (client(&relay, &token_a), client(&relay, &token_b));

    client_a.sync(&a).await.unwrap();
    client_b.sync(&b).await.unwrap();
    let visit = shared_visit(&data);
    assert_same(&a, &b, &visit_docs(visit));
    assert_eq!(unsynced(&a), 0);
    assert_eq!(unsynced(&b), 0);

    // Both partners type into the same debrief field while offline, then sync in turn.
    a.lock().unwrap().set_note(visit, NoteField::Learned, "Sofia loves soccer.").unwrap();
    b.lock().unwrap().set_note(visit, NoteField::Learned, "Mateo draws dragons.").unwrap();
    b.lock().unwrap().set_note(visit, NoteField::NextSteps, "Literacy night invite.").unwrap();
    assert_eq!(unsynced(&a), 1);
    client_a.sync(&a).await.unwrap();
    client_b.sync(&b).await.unwrap();
    client_a.sync(&a).await.unwrap();
    assert_same(&a, &b, &visit_docs(visit));
    let text = a.lock().unwrap().note(visit, NoteField::Learned).unwrap();
    assert!(text.contains("Sofia loves soccer.") && text.contains("Mateo draws dragons."), "{text}");
    assert_eq!(a.lock().unwrap().note(visit, NoteField::NextSteps).unwrap(), "Literacy night invite.");
    assert_eq!(unsynced(&a), 0);
    assert_eq!(unsynced(&b), 0);
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_revoked_devices_are_refused_and_plain_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_at(&dir.path().join("relay"), Some(&data)).await;
    let (store, token) = phone(&relay, &data, dir.path(), "Elena Rivera").await;

    assert!(matches!(enroll(&relay.url(), "not-an-invite").await, Err(ClientError::Unauthorized)));
    let stranger = RelayClient::new(&relay.url(), "made-up-token").unwrap();
    assert!(matches!(stranger.sync(&store).await, Err(ClientError::Unauthorized)));
    assert_eq!(store.lock().unwrap().document_ids(None).unwrap().len(), 0, "a stranger gets nothing");

    let me = client(&relay, &token);
    me.sync(&store).await.unwrap();
    let device_id = relay.relay.access().authenticate(&token).unwrap().unwrap().device_id;
    assert!(relay.relay.access().revoke(&device_id).unwrap());
    store.lock().unwrap().set_note(shared_visit(&data), NoteField::Learned, "x").unwrap();
    assert!(matches!(me.sync(&store).await, Err(ClientError::Revoked)), "revocation takes effect at once");
    assert_eq!(unsynced(&store), 1, "the refused edit is still waiting, not lost");

    assert!(matches!(RelayClient::new("http://relay.example.org", "t"), Err(ClientError::InsecureUrl)));
    assert!(RelayClient::new("https://relay.example.org", "t").is_ok());
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restart_loses_nothing_and_the_next_sync_converges() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let data = district();
    let relay = relay_at(&relay_dir, Some(&data)).await;
    let (a, token_a) = phone(&relay, &data, dir.path(), "Elena Rivera").await;
    let (b, token_b) = phone(&relay, &data, dir.path(), "Grace Okafor").await;
    let visit = shared_visit(&data);

    let client_a = client(&relay, &token_a);
    client_a.sync(&a).await.unwrap();
    client(&relay, &token_b).sync(&b).await.unwrap();

    // The relay stops while A is syncing an edit: the sync either finishes or fails cleanly.
    a.lock().unwrap().set_note(visit, NoteField::Invitation, "Family math night, Thursday 6pm.").unwrap();
    let stopping = tokio::spawn(async move { relay.stop().await });
    let first = client_a.sync(&a).await;
    stopping.await.unwrap().unwrap();
    assert!(matches!(first, Ok(_) | Err(ClientError::Unreachable(_))), "{first:?}");

    // While it is down, syncs fail with a typed error and edits wait.
    a.lock().unwrap().set_note(visit, NoteField::HopesAndDreams, "A nurse, like her aunt.").unwrap();
    assert!(matches!(client_a.sync(&a).await, Err(ClientError::Unreachable(_))));
    assert!(unsynced(&a) > 0);

    // The relay comes back on the same data (on a new port): tokens still work, nothing was lost.
    let relay = relay_at(&relay_dir, None).await;
    client(&relay, &token_a).sync(&a).await.unwrap();
    client(&relay, &token_b).sync(&b).await.unwrap();
    assert_same(&a, &b, &visit_docs(visit));
    assert_eq!(b.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap(), "A nurse, like her aunt.");
    assert_eq!(b.lock().unwrap().note(visit, NoteField::Invitation).unwrap(), "Family math night, Thursday 6pm.");
    assert_eq!(unsynced(&a), 0);
    relay.stop().await.unwrap();
}

/// More than a batch holds, both ways: a phone uploads 1,100 new records (over the 1,000 messages
/// a batch may carry; each page prepared while the one before is out) and a fresh phone downloads
/// them (over the relay's 500-message pages, each stored while the next is asked for ahead); each
/// settles in one sync, every document
/// acknowledged, and the download sent each document once (asking ahead, before a page is
/// acknowledged, does not bring that page again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_larger_than_a_batch_page_and_settle_in_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_at(&dir.path().join("relay"), Some(&data)).await;
    let (rivera, token) = phone(&relay, &data, dir.path(), "Elena Rivera").await;
    client(&relay, &token).sync(&rivera).await.unwrap();
    let template = data.families.iter().find(|f| f.school_id == data.visits[0].0.plan.school_id).unwrap();
    let families: Vec<_> = (0..1100)
        .map(|i| homevisit_model::Family {
            id: homevisit_model::FamilyId::new(),
            display_name: format!("Family {i}"),
            ..template.clone()
        })
        .collect();
    rivera.lock().unwrap().import_families(&families).unwrap();
    assert_eq!(unsynced(&rivera), 1100);

    let up = client(&relay, &token).sync(&rivera).await.unwrap();
    assert_eq!(up.refused_by_peer, vec![]);
    assert_eq!(unsynced(&rivera), 0, "every document acknowledged in one sync");
    assert!(up.rounds >= 3, "paged: {} rounds", up.rounds);
    // Each page prepared while the one before was out: each document still sent once.
    assert_eq!(up.messages_sent, 1100, "each document sent once");
    for f in [&families[0], &families[1099]] {
        assert!(relay.relay.document(&DocId::new(DocKind::Family, f.id.uuid())).unwrap().is_some());
    }

    let (okafor, token) = phone(&relay, &data, dir.path(), "Grace Okafor").await;
    let down = client(&relay, &token).sync(&okafor).await.unwrap();
    assert_eq!(unsynced(&okafor), 0);
    assert!(down.rounds >= 3, "paged: {} rounds", down.rounds);
    let held = okafor.lock().unwrap().document_ids(None).unwrap().len();
    assert!(held > 1100, "{held}");
    assert_eq!(down.messages_received, held, "each document sent once");
    let ids: Vec<_> = families.iter().map(|f| DocId::new(DocKind::Family, f.id.uuid())).collect();
    assert_same(&rivera, &okafor, &ids);
    relay.stop().await.unwrap();
}
