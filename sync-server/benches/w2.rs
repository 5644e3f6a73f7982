//! W2 live co-edit latency, the peer benchmark's second workload on homevisit: the visit's two
//! educators each have a phone (A and B, two stores) with a sync agent in live mode. A makes
//! one-character insertions into the visit notes' hopes-and-dreams field at seeded random
//! positions, as the peer's `client.mjs` does, each the product way (edit the store, nudge the
//! agent); B's listener timestamps the "documents changed" callback that brings it. Latency = B's
//! callback - just before A's edit; the next edit starts as soon as B has seen the previous one
//! (gap 0). The relay runs as its own process (the real `homevisit-relay` binary), so its peak RSS
//! is its own.
//!
//! `cargo bench -p homevisit-relay --bench w2 -- --edits 200 --runs 3 [--gap-ms 0]` (`--gap-ms`: a
//! pause after each observed edit, as the peer's); one JSON line on stdout,
//! shaped like the peer's W2 line (`median`, `runs`), progress on stderr. Bytes per edit are sync
//! request / response bodies (HTTP headers not counted, as the peer's payload bytes do not count
//! WebSocket framing).

mod common;

use common::{RelayProcess, arg, peak_rss};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::forms::{self, Mulberry32};
use homevisit_model::{NoteField, VisitId};
use homevisit_relay::Relay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::SyncReport;
use homevisit_sync::agent::{Backoff, SyncAgent, SyncListener};
use homevisit_sync::client::{ClientError, RelayClient, SyncProgress, enroll};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// As the peer: B must see each edit within this.
const OBSERVE_TIMEOUT: Duration = Duration::from_secs(15);
/// The peer's seed for edit positions (`client.mjs` `edit`).
const EDIT_SEED: u32 = 7;

/// Body bytes a phone's agent sent and received (from each finished sync's report).
#[derive(Default)]
struct Bytes {
    sent: AtomicUsize,
    received: AtomicUsize,
    failures: AtomicUsize,
}

impl Bytes {
    fn count(&self, result: &Result<SyncReport, ClientError>) {
        match result {
            Ok(r) => {
                self.sent.fetch_add(r.body_bytes_sent, Ordering::Relaxed);
                self.received.fetch_add(r.body_bytes_received, Ordering::Relaxed);
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                eprintln!("W2: a sync failed: {e}");
            }
        }
    }

    fn now(&self) -> (usize, usize) {
        (self.sent.load(Ordering::Relaxed), self.received.load(Ordering::Relaxed))
    }
}

/// A's listener: counts bytes.
struct Editor(Arc<Bytes>);
impl SyncListener for Editor {
    fn progress(&self, _: SyncProgress) {}
    fn finished(&self, result: &Result<SyncReport, ClientError>, _: Option<Duration>) {
        self.0.count(result);
    }
}

/// B's listener: when the notes change, the time, then the field's length (UTF-16 units).
struct Watcher {
    bytes: Arc<Bytes>,
    store: Arc<Mutex<Store>>,
    visit: VisitId,
    seen: mpsc::UnboundedSender<(Instant, usize)>,
}
impl SyncListener for Watcher {
    fn progress(&self, _: SyncProgress) {}
    fn finished(&self, result: &Result<SyncReport, ClientError>, _: Option<Duration>) {
        self.bytes.count(result);
    }
    fn documents_changed(&self, docs: Vec<DocId>) {
        let t = Instant::now();
        if docs.contains(&DocId::new(DocKind::VisitNotes, self.visit.uuid())) {
            let text = self.store.lock().unwrap().note(self.visit, NoteField::HopesAndDreams).unwrap();
            let _ = self.seen.send((t, text.encode_utf16().count()));
        }
    }
}

/// Nearest-rank percentile, as the peer's `percentile`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(edits: usize, gap: Duration) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    // One form from the peer's generator: its school, its two educators, its family and its visit
    // (log + notes) live on the relay, as a district's import puts them there.
    let data = forms::data_set(1);
    let (log, _) = &data.visits[0];
    let visit = log.plan.id;
    let (educator_a, educator_b) = (log.plan.educator_ids[0], log.plan.educator_ids[1]);
    let (code_a, code_b) = {
        let relay = Relay::open(&relay_dir).unwrap();
        relay.import_with(|s| s.import_district(&data.schools, &data.educators, &data.families, &data.visits)).unwrap();
        let school = log.plan.school_id;
        let invite = |e: homevisit_model::EducatorId| {
            relay.access().invite(&school, &homevisit_relay::access::Role::Educator(e)).unwrap()
        };
        (invite(educator_a), invite(educator_b))
    };
    let (relay, url) = RelayProcess::spawn(&relay_dir);

    // Two phones, enrolled and synced: both hold the visit.
    let key = DbKey::from_bytes([9; 32]);
    let mut phones = Vec::new();
    for (name, code) in [("a", &code_a), ("b", &code_b)] {
        let token = enroll(&url, code).await.unwrap().token;
        let store = Arc::new(Mutex::new(Store::open(dir.path().join(format!("{name}.db")), &key).unwrap()));
        let client = RelayClient::new(&url, &token).unwrap();
        client.sync(&store).await.unwrap();
        phones.push((store, client));
    }
    let (b, client_b) = phones.pop().unwrap();
    let (a, client_a) = phones.pop().unwrap();
    let base = a.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap().encode_utf16().count();

    let (bytes_a, bytes_b) = (Arc::new(Bytes::default()), Arc::new(Bytes::default()));
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let watcher = Watcher { bytes: bytes_b.clone(), store: b.clone(), visit, seen: seen_tx };
    let backoff = || Backoff::new(Duration::from_millis(20), Duration::from_millis(500));
    let agent_a = SyncAgent::start_live(client_a, a.clone(), Arc::new(Editor(bytes_a.clone())), backoff());
    let agent_b = SyncAgent::start_live(client_b, b.clone(), Arc::new(watcher), backoff());
    tokio::time::sleep(Duration::from_millis(500)).await; // both agents are waiting at the relay

    let (a0, b0) = (bytes_a.now(), bytes_b.now());
    let mut rng = Mulberry32::new(EDIT_SEED);
    let mut latencies = Vec::with_capacity(edits);
    let mut batched = 0;
    let loop_started = Instant::now();
    for i in 0..edits {
        let len = base + i;
        let pos = (rng.next_f64() * (len + 1) as f64).floor() as usize;
        let ch = char::from(b'a' + (i % 26) as u8).to_string();
        let started = Instant::now();
        a.lock().unwrap().splice_note(visit, NoteField::HopesAndDreams, pos, 0, &ch).unwrap();
        agent_a.nudge();
        let observed = loop {
            let (t, seen_len) = tokio::time::timeout(OBSERVE_TIMEOUT, seen.recv())
                .await
                .unwrap_or_else(|_| panic!("edit {i} not observed by B within {OBSERVE_TIMEOUT:?}"))
                .expect("B's agent runs");
            if seen_len > len + 1 {
                batched += 1;
            }
            if seen_len > len {
                break t;
            }
        };
        latencies.push(observed.duration_since(started).as_secs_f64() * 1e3);
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
    }
    let loop_ms = loop_started.elapsed().as_secs_f64() * 1e3;
    tokio::time::sleep(Duration::from_millis(200)).await; // the last acknowledgements
    let (a1, b1) = (bytes_a.now(), bytes_b.now());
    let peak = peak_rss(relay.0.id());
    drop((agent_a, agent_b));

    // Validate: B holds exactly what A typed.
    let text_a = a.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap();
    let text_b = b.lock().unwrap().note(visit, NoteField::HopesAndDreams).unwrap();
    assert_eq!(text_a, text_b, "B holds A's text");
    assert_eq!(text_a.encode_utf16().count(), base + edits);
    let failures = bytes_a.failures.load(Ordering::Relaxed) + bytes_b.failures.load(Ordering::Relaxed);
    drop(relay);

    let mut sorted = latencies.clone();
    sorted.sort_by(|x, y| x.total_cmp(y));
    let per_edit = |n: usize| n as f64 / edits as f64;
    json!({
        "edits": edits,
        "gapMs": gap.as_millis() as u64,
        "p50Ms": percentile(&sorted, 50.0),
        "p95Ms": percentile(&sorted, 95.0),
        "p99Ms": percentile(&sorted, 99.0),
        "maxMs": sorted[sorted.len() - 1],
        "minMs": sorted[0],
        "meanMs": latencies.iter().sum::<f64>() / edits as f64,
        "loopMs": loop_ms,
        "batchedObservations": batched,
        "syncFailures": failures,
        "bytesPerEdit": {
            "aToServerPayload": per_edit(a1.0 - a0.0),
            "serverToBPayload": per_edit(b1.1 - b0.1),
            "serverToAPayload": per_edit(a1.1 - a0.1),
            "bToServerPayload": per_edit(b1.0 - b0.0),
        },
        "serverPeakRssBytes": peak,
    })
}

/// The median of every number in `runs` (same shape as one run), as the peer's `medianTree`.
fn median_tree(runs: &[Value]) -> Value {
    match &runs[0] {
        Value::Object(first) => Value::Object(
            first
                .keys()
                .map(|k| (k.clone(), median_tree(&runs.iter().map(|r| r[k].clone()).collect::<Vec<_>>())))
                .collect(),
        ),
        Value::Number(_) => {
            let mut v: Vec<f64> = runs.iter().filter_map(Value::as_f64).collect();
            v.sort_by(|x, y| x.total_cmp(y));
            let m = v.len() / 2;
            rounded(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
        }
        other => other.clone(),
    }
}

/// As the peer's `roundTree`: integers stay integers, the rest get 3 decimals.
fn rounded(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 { json!(x as i64) } else { json!((x * 1e3).round() / 1e3) }
}

fn round_tree(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, round_tree(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(round_tree).collect()),
        Value::Number(n) if n.is_f64() => n.as_f64().map_or(Value::Null, rounded),
        other => other,
    }
}

#[tokio::main]
async fn main() {
    let edits = arg("--edits", 200).max(1);
    let runs_n = arg("--runs", 3).max(1);
    let gap_ms = arg("--gap-ms", 0);
    let mut runs = Vec::new();
    for r in 1..=runs_n {
        let result = run(edits, Duration::from_millis(gap_ms as u64)).await;
        eprintln!(
            "W2 gap={gap_ms} run {r}: p50 {:.2} p95 {:.2} p99 {:.2} max {:.2} ms ({edits} edits in {:.0} ms)",
            result["p50Ms"].as_f64().unwrap(),
            result["p95Ms"].as_f64().unwrap(),
            result["p99Ms"].as_f64().unwrap(),
            result["maxMs"].as_f64().unwrap(),
            result["loopMs"].as_f64().unwrap(),
        );
        runs.push(round_tree(result));
    }
    let median = median_tree(&runs);
    println!(
        "{}",
        json!({ "workload": "W2-live-coedit-latency", "edits": edits, "gapMs": gap_ms, "median": median, "runs": runs })
    );
}
