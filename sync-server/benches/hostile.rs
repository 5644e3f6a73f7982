//! The relay under a hostile enrolled device (trust, part 2): what it costs the relay, and what it
//! costs the other devices. The relay runs as its own process (the real `homevisit-relay` binary,
//! on the demo district, embedded storage), so its memory is its own.
//!
//! 1. **Unknown documents**: 60,000 change-less messages about ids that do not exist (60 full
//!    batches): the relay's RSS after (target ≤ 80 MB).
//! 2. **Operation bombs**: a record rewritten with a million operations (about a kilobyte of
//!    bytes), sent as a change to the school's family record, as a new family, and under another
//!    school's visit: the time to refuse each (target ≤ 100 ms, median of `--runs`) and RSS after.
//! 3. **Stall**: while the hostile device sends maximal batches (1,000 new records each) from two
//!    connections at once, another device's empty syncs: p50/p99/max (target p99 ≤ 200 ms),
//!    beside the same syncs with no hostile load.
//!
//! `cargo bench -p homevisit-relay --bench hostile -- --runs 5 --stall-secs 10`; one JSON line on
//! stdout.

mod common;
// The hostile suites' crafted messages (the end-to-end crate depends on this one, so it is
// included rather than depended on); `refusal` is not used here.
#[allow(dead_code)]
#[path = "../../tests/craft.rs"]
mod craft;
#[path = "common/raw.rs"]
mod raw;

use common::{RelayProcess, arg, peak_rss, rss};
use raw::Raw;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use homevisit_docs::{DocId, DocKind, create_record};
use homevisit_model::{Educator, FamilyId};
use homevisit_protocol::MAX_BATCH_MESSAGES;
use homevisit_relay::Relay;
use homevisit_relay::access::Role;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{RelayClient, enroll};
use serde_json::json;

/// A million operations that compress well: two values put in turn (putting the value a key
/// already holds makes no operation).
fn million_ops(mut doc: AutoCommit) -> AutoCommit {
    for i in 0..1_000_000i64 {
        doc.put(ROOT, "x", i & 1).unwrap();
    }
    doc.commit();
    doc
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    json!({ "n": ms.len(), "p50Ms": percentile(&ms, 0.5), "p99Ms": percentile(&ms, 0.99), "maxMs": ms[ms.len() - 1] })
}

/// Empty syncs of a device with nothing new, back to back, for `secs`: each one's time.
async fn empty_syncs(client: &RelayClient, store: &Mutex<Store>, secs: u64) -> Vec<f64> {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut times = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        client.sync(store).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(20)).await; // a phone, not a loop: under the rate limit
    }
    times
}

#[tokio::main]
async fn main() {
    let runs = arg("--runs", 5);
    let stall_secs = arg("--stall-secs", 10) as u64;
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let now = chrono::Local::now();
    let data = homevisit_fixtures::demo::data_set(now.date_naive(), *now.offset());
    let by_name = |name: &str| -> Educator { data.educators.iter().find(|e| e.display_name == name).unwrap().clone() };
    let (rivera, haddad) = (by_name("Elena Rivera"), by_name("Sami Haddad"));
    let (code_attacker, code_victim) = {
        let relay = Relay::open(&relay_dir).unwrap();
        relay.import_with(|s| s.import_district(&data.schools, &data.educators, &data.families, &data.visits)).unwrap();
        let invite = |e: &Educator| relay.access().invite(&e.school_id, &Role::Educator(e.id)).unwrap();
        (invite(&rivera), invite(&haddad))
    };
    let (relay, url) = RelayProcess::spawn(&relay_dir);
    let pid = relay.0.id();
    let key = DbKey::from_bytes([9; 32]);
    let attacker = Arc::new(Raw {
        url: url.clone(),
        token: enroll(&url, &code_attacker).await.unwrap().token,
        http: reqwest::Client::new(),
    });
    let victim_store = Mutex::new(Store::open(dir.path().join("victim.db"), &key).unwrap());
    let victim = RelayClient::new(&url, &enroll(&url, &code_victim).await.unwrap().token).unwrap();
    victim.sync(&victim_store).await.unwrap();
    let attacker_store = Mutex::new(Store::open(dir.path().join("attacker.db"), &key).unwrap());
    RelayClient::new(&url, &attacker.token).unwrap().sync(&attacker_store).await.unwrap();
    let baseline = rss(pid);

    // 1. 60,000 questions about unknown documents.
    let t = Instant::now();
    for _ in 0..60 {
        let batch: Vec<_> = (0..MAX_BATCH_MESSAGES)
            .map(|_| craft::question(DocId::new(DocKind::VisitNotes, uuid::Uuid::new_v4())))
            .collect();
        let reply = attacker.send_paced(batch).await;
        assert_eq!(reply.rejected.len(), MAX_BATCH_MESSAGES);
    }
    let unknown_secs = t.elapsed().as_secs_f64();
    let after_unknown = rss(pid);
    eprintln!("unknown documents: 60,000 in {unknown_secs:.1} s; relay RSS {:.1} MB", after_unknown as f64 / 1e6);

    // 2. Operation bombs.
    let family = data.families.iter().find(|f| f.school_id == rivera.school_id).unwrap();
    let family_doc = DocId::new(DocKind::Family, family.id.uuid());
    let (stored, _) = attacker_store.lock().unwrap().stored_document(&family_doc).unwrap();
    let mut rewritten = million_ops(homevisit_docs::load(&stored).unwrap());
    let new_id = FamilyId::new();
    let mut new_family = million_ops(
        create_record(&homevisit_model::Family { id: new_id, ..family.clone() }, &ActorId::random()).unwrap(),
    );
    let new_doc = DocId::new(DocKind::Family, new_id.uuid());
    let theirs = data.visits.iter().find(|(l, _)| l.plan.school_id != rivera.school_id).unwrap().0.plan.id;
    let forbidden_doc = DocId::new(DocKind::VisitNotes, theirs.uuid());
    let bombs = [
        ("familyChange", craft::sync_with_changes(family_doc, &mut rewritten)),
        ("newFamily", craft::snapshot(new_doc, &mut new_family)),
        ("forbidden", craft::snapshot(forbidden_doc, &mut new_family)),
    ];
    let mut bomb_results = serde_json::Map::new();
    for (name, bomb) in &bombs {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let reply = attacker.send_paced(vec![bomb.clone()]).await;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(reply.rejected.len(), 1, "{name} refused");
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        eprintln!("bomb {name} ({} bytes): refused in {:.1} ms (median of {runs})", bomb.data.len(), times[runs / 2]);
        bomb_results.insert(
            name.to_string(),
            json!({ "bytes": bomb.data.len(), "refuseMsMedian": times[runs / 2], "refuseMsRuns": times }),
        );
    }
    let after_bombs = rss(pid);
    eprintln!("after the bombs: relay RSS {:.1} MB", after_bombs as f64 / 1e6);

    // 3. Another device's empty syncs, alone and under maximal batches from two connections.
    let quiet = empty_syncs(&victim, &victim_store, stall_secs.min(5)).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut hostile = Vec::new();
    for _ in 0..2 {
        let (attacker, stop, family) = (attacker.clone(), stop.clone(), family.clone());
        hostile.push(tokio::spawn(async move {
            let mut batches = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let batch = raw::maximal_batch(&family);
                attacker.send_paced(batch).await;
                batches += 1;
            }
            batches
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = empty_syncs(&victim, &victim_store, stall_secs).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut hostile_batches = 0;
    for h in hostile {
        hostile_batches += h.await.unwrap();
    }
    let (quiet, loaded) = (summary(quiet), summary(loaded));
    eprintln!("empty sync alone: {quiet}");
    eprintln!("empty sync under {hostile_batches} maximal batches: {loaded}");
    let peak = peak_rss(pid);
    drop(relay);
    println!(
        "{}",
        json!({
            "bench": "hostile",
            "relayBaselineRssBytes": baseline,
            "unknownDocuments": { "messages": 60_000, "seconds": unknown_secs, "relayRssAfterBytes": after_unknown },
            "bombs": bomb_results,
            "relayRssAfterBombsBytes": after_bombs,
            "emptySyncAlone": quiet,
            "emptySyncUnderMaximalBatches": loaded,
            "hostileBatches": hostile_batches,
            "relayPeakRssBytes": peak,
        })
    );
}
