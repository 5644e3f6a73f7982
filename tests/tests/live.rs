//! Live mode: a partner whose agent is live receives an edit without anyone syncing by hand, and
//! the listener names the changed document; a poll with nothing to say answers empty at its
//! deadline; stopping the relay answers waiting devices at once; a nudge during a poll pushes the
//! local edit. Timeouts here are liveness bounds, never speed targets.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::DataSet;
use homevisit_model::{NoteField, VisitId};
use homevisit_relay::RunningRelay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::SyncReport;
use homevisit_sync::agent::{Backoff, Mode, SyncAgent, SyncListener};
use homevisit_sync::client::{ClientError, RelayClient, SyncProgress, enroll};

/// A generous bound for something that should take milliseconds.
const LIVENESS: Duration = Duration::from_secs(15);

fn district() -> DataSet {
    homevisit_e2e::district()
}

async fn relay_with_district(dir: &Path, data: &DataSet) -> RunningRelay {
    homevisit_e2e::start_relay_with_district(dir, data).await
}

/// An educator's phone, enrolled and synced once: its store and its client.
async fn phone(relay: &RunningRelay, data: &DataSet, dir: &Path, educator: &str) -> (Arc<Mutex<Store>>, RelayClient) {
    let e = data.educators.iter().find(|e| e.display_name == educator).unwrap();
    let code = relay.relay.access().invite(&e.school_id, &homevisit_relay::access::Role::Educator(e.id)).unwrap();
    let token = enroll(&relay.url(), &code).await.unwrap().token;
    let store =
        Arc::new(Mutex::new(Store::open(dir.join(format!("{educator}.db")), &DbKey::from_bytes([6; 32])).unwrap()));
    let client = RelayClient::new(&relay.url(), &token).unwrap();
    client.sync(&store).await.unwrap();
    (store, client)
}

/// The visit Elena Rivera and Grace Okafor make together today.
fn shared_visit(data: &DataSet) -> VisitId {
    data.visits[0].0.plan.id
}

fn notes_of(visit: VisitId) -> DocId {
    DocId::new(DocKind::VisitNotes, visit.uuid())
}

#[derive(Default)]
struct Recorder {
    changed: Mutex<Vec<DocId>>,
    outcomes: Mutex<Vec<bool>>,
}

impl SyncListener for Recorder {
    fn progress(&self, _: SyncProgress) {}
    fn finished(&self, result: &Result<SyncReport, ClientError>, _: Option<Duration>) {
        self.outcomes.lock().unwrap().push(result.is_ok());
    }
    fn documents_changed(&self, docs: Vec<DocId>) {
        self.changed.lock().unwrap().extend(docs);
    }
}

/// Polls `check` until it holds, for at most [`LIVENESS`].
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let give_up = tokio::time::Instant::now() + LIVENESS;
    while !check() {
        assert!(tokio::time::Instant::now() < give_up, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIVENESS, f).await.unwrap_or_else(|_| panic!("did not finish: {what}"))
}

fn live_agent(client: RelayClient, store: &Arc<Mutex<Store>>, recorder: &Arc<Recorder>, wait: Duration) -> SyncAgent {
    let backoff = Backoff::new(Duration::from_millis(20), Duration::from_millis(500));
    SyncAgent::start_with(client, store.clone(), recorder.clone(), backoff, Mode::Live { wait })
}

/// Rivera's phone A (synced by hand) and Okafor's phone B in live mode on a relay holding the demo
/// district, B in sync and waiting at the relay with nothing heard yet; and their shared visit.
struct LivePair {
    relay: RunningRelay,
    a: Arc<Mutex<Store>>,
    client_a: RelayClient,
    b: Arc<Mutex<Store>>,
    recorder: Arc<Recorder>,
    agent: SyncAgent,
    visit: VisitId,
}

async fn live_pair(dir: &Path) -> LivePair {
    let data = district();
    let relay = relay_with_district(&dir.join("relay"), &data).await;
    let (a, client_a) = phone(&relay, &data, dir, "Elena Rivera").await;
    let (b, client_b) = phone(&relay, &data, dir, "Grace Okafor").await;
    let recorder = Arc::new(Recorder::default());
    // Polls as long as the relay allows: only live mode can bring an edit within the bound.
    let agent = live_agent(client_b, &b, &recorder, Duration::from_secs(25));
    tokio::time::sleep(Duration::from_millis(200)).await; // B is in sync: its agent waits at the relay
    assert!(recorder.changed.lock().unwrap().is_empty(), "B was already in sync");
    LivePair { relay, a, client_a, b, recorder, agent, visit: shared_visit(&data) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_partner_receives_an_edit_without_syncing_and_hears_which_document_changed() {
    let dir = tempfile::tempdir().unwrap();
    let LivePair { relay, a, client_a, b, recorder, agent, visit } = live_pair(dir.path()).await;

    a.lock().unwrap().set_note(visit, NoteField::HopesAndDreams, "Wants to be a pilot.").unwrap();
    client_a.sync(&a).await.unwrap();
    eventually("B holds A's words", || {
        b.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap() == "Wants to be a pilot."
    })
    .await;
    eventually("B's listener hears of it", || recorder.changed.lock().unwrap().contains(&notes_of(visit))).await;
    assert_eq!(*recorder.changed.lock().unwrap(), vec![notes_of(visit)], "only the notes changed");

    // And back: B types while live, nudges, and A (syncing by hand) gets it.
    b.lock().unwrap().splice_note(visit, NoteField::HopesAndDreams, 0, 0, "Sofia ").unwrap();
    agent.nudge();
    eventually("the relay holds B's words", || {
        homevisit_e2e::relay_note(&relay.relay, visit, NoteField::HopesAndDreams) == "Sofia Wants to be a pilot."
    })
    .await;
    client_a.sync(&a).await.unwrap();
    assert_eq!(a.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap(), "Sofia Wants to be a pilot.");
    assert!(recorder.outcomes.lock().unwrap().iter().all(|ok| *ok));
    drop(agent);
    relay.stop().await.unwrap();
}

/// A partner typing word after word: B's listener hears of every edit as it arrives, not only the
/// first one of B's live session (W2 stalled on the second: the session lists a document once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_partner_hears_of_every_edit_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let LivePair { relay, a, client_a, b, recorder, agent, visit } = live_pair(dir.path()).await;
    let mut text = String::new();
    for (i, word) in ["Sofia ", "loves ", "soccer ", "and ", "drawing."].into_iter().enumerate() {
        a.lock().unwrap().splice_note(visit, NoteField::HopesAndDreams, text.encode_utf16().count(), 0, word).unwrap();
        text.push_str(word);
        client_a.sync(&a).await.unwrap();
        // The next word only once B's listener heard of this one, as a screen would refresh.
        eventually(&format!("B's listener hears of edit {i}"), || {
            recorder.changed.lock().unwrap().iter().filter(|d| **d == notes_of(visit)).count() > i
        })
        .await;
        assert_eq!(b.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap(), text);
    }
    drop(agent);
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_with_nothing_to_say_answers_empty_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_with_district(&dir.path().join("relay"), &data).await;
    let (store, client) = phone(&relay, &data, dir.path(), "Elena Rivera").await;
    let heads_before = store.lock().unwrap().document_heads(&notes_of(shared_visit(&data))).unwrap();

    let wait = Duration::from_millis(300);
    let started = tokio::time::Instant::now();
    let report = within("an empty poll", client.sync_live(&store, wait)).await.unwrap();
    assert!(started.elapsed() >= wait, "with nothing new, the relay holds the poll to its deadline");
    assert_eq!(report.messages_received, 0, "{report:?}");
    assert!(report.changed.is_empty());
    assert_eq!(store.lock().unwrap().document_heads(&notes_of(shared_visit(&data))).unwrap(), heads_before);

    // A poll with something waiting for it answers at once, with it.
    let (other, other_client) = phone(&relay, &data, dir.path(), "Grace Okafor").await;
    other.lock().unwrap().set_note(shared_visit(&data), NoteField::Learned, "Loves soccer.").unwrap();
    other_client.sync(&other).await.unwrap();
    let report = within("a poll with news", client.sync_live(&store, Duration::from_secs(25))).await.unwrap();
    assert_eq!(report.changed, vec![notes_of(shared_visit(&data))]);
    assert_eq!(store.lock().unwrap().note(shared_visit(&data), NoteField::Learned).unwrap(), "Loves soccer.");
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_relay_answers_waiting_devices_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_with_district(&dir.path().join("relay"), &data).await;
    let (store, client) = phone(&relay, &data, dir.path(), "Elena Rivera").await;

    // The device waits as long as the relay allows (25 s); the stop must not wait for it.
    let waiting = tokio::spawn(async move { client.sync_live(&store, Duration::from_secs(25)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "nothing new: the poll waits");
    within("a graceful stop with a device waiting", relay.stop()).await.unwrap();
    let answer = within("the waiting poll", waiting).await.unwrap();
    assert!(
        matches!(answer, Ok(ref r) if r.messages_received == 0) || matches!(answer, Err(ClientError::Unreachable(_))),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nudge_during_a_poll_pushes_the_local_edit() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_with_district(&dir.path().join("relay"), &data).await;
    let (store, client) = phone(&relay, &data, dir.path(), "Elena Rivera").await;
    let visit = shared_visit(&data);

    let recorder = Arc::new(Recorder::default());
    // A poll lasts 25 s here, longer than the bound below: only giving it up pushes in time.
    let agent = live_agent(client, &store, &recorder, Duration::from_secs(25));
    tokio::time::sleep(Duration::from_millis(200)).await; // in sync: the agent waits at the relay
    assert!(recorder.outcomes.lock().unwrap().is_empty(), "still waiting");

    store.lock().unwrap().set_note(visit, NoteField::NextSteps, "Literacy night invite.").unwrap();
    agent.nudge();
    eventually("the relay holds the edit", || {
        homevisit_e2e::relay_note(&relay.relay, visit, NoteField::NextSteps) == "Literacy night invite."
    })
    .await;
    eventually("the edit counts as synced", || {
        store.lock().unwrap().unsynced_count(homevisit_sync::client::RELAY_PEER).unwrap() == 0
    })
    .await;
    assert!(recorder.changed.lock().unwrap().is_empty(), "nothing arrived from the relay: {:?}", recorder.changed);
    drop(agent);
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_device_over_its_rate_limit_is_paced_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = relay_with_district(&dir.path().join("relay"), &data).await;
    let (store, client) = phone(&relay, &data, dir.path(), "Elena Rivera").await;

    // The whole burst and then two seconds' worth of the sustained rate, back to back (on the
    // embedded storage, far faster than the limit allows): live requests past the burst wait their
    // turn instead of being refused. (That ordinary ones are refused is sync-server/tests/http.rs.)
    // 1,100 requests one after another take ~15 s on PostgreSQL on a busy 2-core machine: the
    // bound here is only that they end (the pacing itself adds 2 s).
    let requests = homevisit_relay::SYNC_BURST + 2 * homevisit_relay::SYNC_REQUESTS_PER_SECOND;
    let all_of_them = async {
        let mut outcomes = Vec::new();
        for _ in 0..requests {
            outcomes.push(client.sync_live(&store, Duration::from_millis(1)).await);
        }
        outcomes
    };
    let paced =
        tokio::time::timeout(6 * LIVENESS, all_of_them).await.expect("did not finish: live requests over the limit");
    assert!(paced.iter().all(Result::is_ok), "{:?}", paced.iter().find(|r| r.is_err()));
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_two_relay_instances_on_one_database_a_live_partner_receives_the_edit() {
    let dir = tempfile::tempdir().unwrap();
    let first = homevisit_e2e::relay_config(&dir.path().join("relay-1"), "127.0.0.1:0".parse().unwrap());
    let homevisit_relay::Storage::Postgres(_) = &first.storage else {
        eprintln!("skipped: set {} to run relays on PostgreSQL", homevisit_e2e::POSTGRES_ENV);
        return;
    };
    let one = homevisit_relay::start(&first).await.unwrap();
    // The second instance: its own data directory, the same key and database.
    let two = homevisit_relay::start(&homevisit_e2e::same_storage(&first, &dir.path().join("relay-2"))).await.unwrap();
    let data = district();
    homevisit_e2e::import_district(&one.relay, &data);
    let (a, client_a) = phone(&one, &data, dir.path(), "Elena Rivera").await;
    let (b, client_b) = phone(&two, &data, dir.path(), "Grace Okafor").await;
    let visit = shared_visit(&data);

    // B waits at instance two; A's edit is stored through instance one.
    let recorder = Arc::new(Recorder::default());
    let agent = live_agent(client_b, &b, &recorder, Duration::from_secs(25));
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.lock().unwrap().set_note(visit, NoteField::HopesAndDreams, "Wants to be a pilot.").unwrap();
    client_a.sync(&a).await.unwrap();
    eventually("B, live at the other instance, holds A's words", || {
        b.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap() == "Wants to be a pilot."
    })
    .await;
    eventually("B's listener hears of it", || recorder.changed.lock().unwrap().contains(&notes_of(visit))).await;
    drop(agent);
    one.stop().await.unwrap();
    two.stop().await.unwrap();
}
