//! Sync by itself: the agent retries with backoff while the relay is unreachable, syncs on its own
//! once it is back, reports progress, and syncs again when nudged after a local edit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use homevisit_model::NoteField;
use homevisit_store::{DbKey, Store};
use homevisit_sync::SyncReport;
use homevisit_sync::agent::{Backoff, SyncAgent, SyncListener};
use homevisit_sync::client::{ClientError, RELAY_PEER, RelayClient, SyncProgress, enroll};

#[derive(Default)]
struct Recorder {
    progress: Mutex<Vec<SyncProgress>>,
    outcomes: Mutex<Vec<(bool, Option<Duration>)>>,
}

impl SyncListener for Recorder {
    fn progress(&self, p: SyncProgress) {
        self.progress.lock().unwrap().push(p);
    }
    fn finished(&self, result: &Result<SyncReport, ClientError>, retry_in: Option<Duration>) {
        self.outcomes.lock().unwrap().push((result.is_ok(), retry_in));
    }
}

impl Recorder {
    async fn wait_for_successes(&self, n: usize) {
        for _ in 0..500 {
            if self.outcomes.lock().unwrap().iter().filter(|(ok, _)| *ok).count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no successful sync: {:?}", self.outcomes.lock().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_syncs_when_the_relay_comes_back_and_when_nudged() {
    let dir = tempfile::tempdir().unwrap();
    let data = homevisit_e2e::district();
    let relay_dir = dir.path().join("relay");
    let relay = homevisit_e2e::start_relay(&relay_dir).await;
    homevisit_e2e::import_district(&relay.relay, &data);
    let rivera = data.educators.iter().find(|e| e.display_name == "Elena Rivera").unwrap();
    let code =
        relay.relay.access().invite(&rivera.school_id, &homevisit_relay::access::Role::Educator(rivera.id)).unwrap();
    let token = enroll(&relay.url(), &code).await.unwrap().token;
    let (addr, url) = (relay.addr, relay.url());
    relay.stop().await.unwrap(); // the phone is out of signal

    let store = Arc::new(Mutex::new(Store::open(dir.path().join("phone.db"), &DbKey::from_bytes([4; 32])).unwrap()));
    let recorder = Arc::new(Recorder::default());
    let agent = SyncAgent::start(
        RelayClient::new(&url, &token).unwrap(),
        store.clone(),
        recorder.clone(),
        Backoff::new(Duration::from_millis(20), Duration::from_millis(200)),
    );
    // Two attempts at least (each sends once more after 100-200 ms when the connection fails, so
    // on a busy machine two take longer than the backoff alone suggests).
    for _ in 0..250 {
        if recorder.outcomes.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    {
        let outcomes = recorder.outcomes.lock().unwrap();
        assert!(outcomes.len() >= 2, "it keeps retrying: {outcomes:?}");
        assert!(outcomes.iter().all(|(ok, retry)| !ok && retry.is_some()), "{outcomes:?}");
    }

    // Signal returns: the relay is reachable again, and the agent syncs by itself.
    let relay = homevisit_e2e::start_relay_on(&relay_dir, addr).await;
    recorder.wait_for_successes(1).await;
    assert_eq!(store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap(), 0);
    assert!(store.lock().unwrap().document_ids(None).unwrap().len() > 10);
    let progress = recorder.progress.lock().unwrap().clone();
    assert!(progress.iter().any(|p| p.documents_total > 0 && p.bytes_received > 0), "{progress:?}");

    // A local edit and a nudge: synced without anyone pressing a button.
    let visit = data.visits[0].0.plan.id;
    store.lock().unwrap().set_note(visit, NoteField::Learned, "Synced by itself.").unwrap();
    agent.nudge();
    recorder.wait_for_successes(2).await;
    assert_eq!(homevisit_e2e::relay_note(&relay.relay, visit, NoteField::Learned), "Synced by itself.");
    drop(agent);
    relay.stop().await.unwrap();
}
