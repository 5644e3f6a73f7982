//! W3, the morning rush: `--devices` educator devices of `--schools` schools (the roster imported
//! on the relay, each device enrolled with an invite and synced once), each with `--visits`
//! visits created offline in its own store, then all of them sync within the same `--window-s`
//! seconds (start times spread uniformly over the window, seeded). Each device is a tokio task of
//! its own with its own `homevisit_store::Store` and `RelayClient` (no pool: all of them may be
//! in flight at once, as phones would be).
//!
//! Per device, the time to synced: from the start of its sync to everything acknowledged
//! (`unsynced_count(RELAY_PEER) == 0`). A 429 is retried by the device after 50 ms (counted as a
//! retry, not an error); any other failure is counted as an error and retried after 200 ms. A
//! device not synced within 180 s is given up: counted in `timeouts` (and as an error), its time
//! recorded as 180 s, and said on stderr. Setting the devices up (store opened, first
//! sync of the roster, visits created) is measured on its own and not in the time to synced.
//!
//! `--postgres` (under `scripts/with-postgres`): two relay processes on a fresh PostgreSQL
//! database, the devices split between them (device i on instance i mod 2).
//!
//! `--hostile`: the same rush again, on a fresh relay and devices set up exactly as for the first
//! (same seed), with one more enrolled device sending maximal batches (new family records) from
//! two connections (on PostgreSQL one to each instance) throughout; the others' p50/p99 beside it
//! and its ratio to the quiet rush's p99. (A second rush on the same relay is not the same
//! workload: each device then also receives its partner's visits of the first, and without any
//! hostile device its p99 was 4.2x the first's.) The hostile device is an educator of a school of
//! its own: the family records it creates are accepted (up to its quota of documents), so devices of
//! its school would have them all to download (tens of thousands within two minutes), which is
//! not the relay's contention that this measures.
//!
//! `cargo bench -p homevisit-relay --bench w3 -- --devices 300 --schools 30 --visits 20
//! --window-s 10 [--postgres] [--hostile] [--runs 1]`; one JSON line on stdout.

mod common;
#[allow(dead_code)]
#[path = "../../tests/craft.rs"]
mod craft;
#[path = "common/raw.rs"]
mod raw;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, arg, cpu_secs, flag, median_of, peak_rss_max};
use homevisit_fixtures::forms::{self, Mulberry32};
use homevisit_model::{Educator, EducatorId, EducatorRole, Family, School, SchoolId};
use homevisit_protocol::SyncBatch;
use homevisit_relay::Relay;
use homevisit_relay::access::Role;
use homevisit_store::{DbKey, Store, VisitImport};
use homevisit_sync::client::{ClientError, RELAY_PEER, RelayClient, enroll};
use serde_json::{Value, json};

/// How long one device may take to be synced: past it, the device is given up (counted in
/// `timeouts` and as an error, its time recorded as this bound, and said on stderr).
const DEVICE_TIMEOUT: Duration = Duration::from_secs(180);

const TIMED_OUT: &str = "not synced within the bound";

/// Devices set up (first sync of the roster) at once.
const SETUP_CONCURRENCY: usize = 8;

struct Device {
    store: Arc<Mutex<Store>>,
    client: Arc<RelayClient>,
}

/// What one rush measured.
struct Rush {
    /// Each device's time to synced, in ms.
    times: Vec<f64>,
    /// Each device's start, in ms after the window opened (the same order as `times`).
    starts: Vec<f64>,
    errors: usize,
    error_kinds: Vec<String>,
    retries: usize,
    /// Devices given up at [`DEVICE_TIMEOUT`].
    timeouts: usize,
    wall_ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

impl Rush {
    /// The `n` slowest devices as [start in the window, time to synced] (ms): whether the tail is
    /// the window's busy end, one moment's stall, or spread.
    fn slowest(&self, n: usize) -> Vec<[f64; 2]> {
        let mut pairs: Vec<[f64; 2]> =
            self.starts.iter().zip(&self.times).map(|(s, t)| [s.round(), t.round()]).collect();
        pairs.sort_by(|a, b| b[1].total_cmp(&a[1]));
        pairs.truncate(n);
        pairs
    }

    fn summary(&self) -> Value {
        let mut t = self.times.clone();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        json!({
            "p50Ms": percentile(&t, 0.5),
            "p99Ms": percentile(&t, 0.99),
            "maxMs": t[t.len() - 1],
            "slowest": self.slowest(5),
            "errors": self.errors,
            "errorKinds": self.error_kinds,
            "retries": self.retries,
            "timeouts": self.timeouts,
            "wallMs": self.wall_ms,
        })
    }
}

/// Syncs `device` until everything it holds is acknowledged; its time to synced, retries (429)
/// and errors (anything else).
async fn sync_until_settled(d: usize, device: &Device) -> (f64, usize, Vec<String>) {
    let t = Instant::now();
    let deadline = tokio::time::Instant::now() + DEVICE_TIMEOUT;
    let (mut retries, mut errors) = (0, Vec::new());
    // Where its sync stands, for the message if it times out.
    let progress = Mutex::new(None);
    let note = |p| *progress.lock().unwrap() = Some(p);
    loop {
        match tokio::time::timeout_at(deadline, device.client.sync_with_progress(&device.store, &note)).await {
            Err(_) => {
                eprintln!(
                    "TIMEOUT: device {d} not synced within {DEVICE_TIMEOUT:?} ({retries} retries, errors {errors:?}, last progress {:?})",
                    progress.lock().unwrap()
                );
                errors.push(TIMED_OUT.to_string());
                return (DEVICE_TIMEOUT.as_secs_f64() * 1e3, retries, errors);
            }
            Ok(Ok(_)) => {
                let left = device.store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap();
                if left == 0 {
                    return (t.elapsed().as_secs_f64() * 1e3, retries, errors);
                }
                errors.push(format!("sync returned with {left} unacknowledged"));
            }
            Ok(Err(ClientError::RateLimited)) => {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(Err(e)) => {
                // With its causes (a connection reset reads differently from a timeout).
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    text.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                errors.push(text);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Every device syncs once, starting at a seeded uniform time within `window`.
async fn rush(devices: &[Arc<Device>], window: Duration, seed: u32) -> Rush {
    let mut rng = Mulberry32::new(seed);
    let t0 = tokio::time::Instant::now() + Duration::from_millis(100);
    let starts: Vec<Duration> = devices.iter().map(|_| window.mul_f64(rng.next_f64())).collect();
    let tasks: Vec<_> = devices
        .iter()
        .zip(&starts)
        .enumerate()
        .map(|(d, (device, offset))| {
            let start = t0 + *offset;
            let device = device.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(start).await;
                let r = sync_until_settled(d, &device).await;
                (r, Instant::now())
            })
        })
        .collect();
    let (mut times, mut retries, mut error_kinds) = (Vec::new(), 0, Vec::new());
    let mut last = Instant::now();
    for task in tasks {
        let ((ms, r, errors), done) = task.await.expect("a device's task");
        times.push(ms);
        retries += r;
        error_kinds.extend(errors);
        last = last.max(done);
    }
    let wall_ms = (last - t0.into_std()).as_secs_f64() * 1e3;
    let errors = error_kinds.len();
    let timeouts = error_kinds.iter().filter(|e| *e == TIMED_OUT).count();
    error_kinds.sort();
    error_kinds.dedup();
    let starts = starts.iter().map(|s| s.as_secs_f64() * 1e3).collect();
    Rush { times, starts, errors, error_kinds, retries, timeouts, wall_ms }
}

/// A sync of the roster before going offline (set-up), waiting out 429s.
async fn first_sync(device: &Device) {
    for _ in 0..100 {
        match device.client.sync(&device.store).await {
            Ok(_) => return,
            Err(ClientError::RateLimited) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("set-up sync: {e}"),
        }
    }
    panic!("set-up sync: still rate-limited after 100 tries");
}

/// Maximal batches each hostile connection has ready before the rush starts: more than the relay
/// lets one device store in the rush's window (a batch of small records costs about 115 turns:
/// its burst pays for eight or so, its refill for one every two or three seconds after that).
const HOSTILE_BATCHES_READY: usize = 6;

/// The hostile device's connections, sending maximal batches until `stop`; batches sent. The
/// batches are made before this returns (and so before the rush is timed): making one is seconds
/// of this process's CPU, the attacker's own machine's work, which on one 2-core machine would
/// otherwise be taken from the relay it attacks.
async fn start_hostile(
    urls: &[String],
    token: &str,
    family: &Family,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<usize>> {
    let mut tasks = Vec::new();
    for c in 0..2 {
        let raw =
            raw::Raw { url: urls[c % urls.len()].clone(), token: token.to_string(), http: reqwest::Client::new() };
        let f = family.clone();
        let mut ready = tokio::task::spawn_blocking(move || {
            (0..HOSTILE_BATCHES_READY).map(|_| SyncBatch::new(raw::maximal_batch(&f)).encode()).collect::<Vec<_>>()
        })
        .await
        .unwrap();
        let (stop, family) = (stop.clone(), family.clone());
        tasks.push(tokio::spawn(async move {
            let mut batches = 0;
            while !stop.load(Ordering::Relaxed) {
                let batch = match ready.pop() {
                    Some(batch) => batch,
                    None => {
                        let f = family.clone();
                        tokio::task::spawn_blocking(move || SyncBatch::new(raw::maximal_batch(&f)).encode())
                            .await
                            .unwrap()
                    }
                };
                // Whatever the relay answers (429 once its budget is spent, 503 turned away, or
                // 500 from an overloaded PostgreSQL pool), it goes on sending: only stored batches
                // count; one not stored is sent again.
                match raw.send_encoded(batch.clone()).await {
                    (200, _) => batches += 1,
                    _ => {
                        ready.push(batch);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                }
            }
            batches
        }));
    }
    tasks
}

/// The visits device `d` changes offline in rush `phase`: `per_device` visits of the data set's,
/// made by its educator with `partner` (another educator of its school), in its school.
fn offline_visits(
    data: &homevisit_fixtures::DataSet,
    first: usize,
    per_device: usize,
    me: &Educator,
    partner: &Educator,
) -> Vec<VisitImport> {
    data.visits[first..first + per_device]
        .iter()
        .map(|(log, notes)| {
            let mut log = log.clone();
            log.plan.school_id = me.school_id;
            log.plan.educator_ids = vec![me.id, partner.id];
            // What the device may write (the relay attests it): as in W1.
            log.outcome.recorded_by = Some(me.id);
            log.outcome.partner_confirmation = None;
            if let Some(agreement) = log.plan.family_agreement.as_mut() {
                agreement.recorded_by = me.id;
            }
            VisitImport { log, notes: notes.clone() }
        })
        .collect()
}

async fn run(
    n_devices: usize,
    n_schools: usize,
    per_device: usize,
    window: Duration,
    beside_hostile: bool,
    seed: u32,
) -> Value {
    let backend = Backend::from_args();
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let data = forms::data_set((n_devices * per_device) as u32);
    let schools: Vec<School> = (0..n_schools)
        .map(|s| School { id: SchoolId(uuid::Uuid::from_u128(1_000 + s as u128)), name: format!("School {s}") })
        .collect();
    let school_of = |d: usize| schools[d * n_schools / n_devices].id;
    let educator = |i: u128, school: SchoolId| Educator {
        id: EducatorId(uuid::Uuid::from_u128(2_000_000 + i)),
        school_id: school,
        display_name: format!("Educator {i}"),
        role: EducatorRole::Teacher,
        ..data.educators[0].clone()
    };
    let educators: Vec<Educator> = (0..n_devices).map(|d| educator(d as u128, school_of(d))).collect();
    // Each device's partner: the next educator of its school.
    let partner_of = |d: usize| {
        let school = educators[d].school_id;
        let mates: Vec<usize> = (0..n_devices).filter(|&e| educators[e].school_id == school).collect();
        assert!(mates.len() >= 2, "a school needs two educators or more");
        let at = mates.iter().position(|&e| e == d).unwrap();
        mates[(at + 1) % mates.len()]
    };
    // The hostile device is in a school of its own: what it creates in its school is its
    // school's to download, and the rush measures what its load costs the relay's other devices
    // (in a school with other devices, its records are theirs to download: see the README).
    let attacker_school = School { id: SchoolId(uuid::Uuid::from_u128(999)), name: "Hostile".into() };
    let attacker = educator(1_000_000, attacker_school.id);
    // Visit i of the data set belongs to device (i / per_device) % n_devices, in rush
    // i / (per_device * n_devices); its family to that device's school.
    let families: Vec<Family> = data
        .families
        .iter()
        .enumerate()
        .map(|(i, f)| Family { school_id: school_of((i / per_device) % n_devices), ..f.clone() })
        .collect();

    let t = Instant::now();
    let storage = backend.storage();
    let (codes, attacker_code) = common::off_runtime(|| {
        let relay = Relay::open_with(&relay_dir, &storage).unwrap();
        relay
            .import_with(|s| {
                for school in schools.iter().chain([&attacker_school]) {
                    s.put_school(school)?;
                }
                for e in educators.iter().chain([&attacker]) {
                    s.put_educator(e)?;
                }
                s.import_families(&families)
            })
            .unwrap();
        let invite = |e: &Educator| relay.access().invite(&e.school_id, &Role::Educator(e.id)).unwrap();
        (educators.iter().map(invite).collect::<Vec<_>>(), invite(&attacker))
    });
    let import_ms = t.elapsed().as_secs_f64() * 1e3;
    let (relays, urls) = backend.spawn(&relay_dir);
    let url_of = |d: usize| &urls[d % urls.len()];

    // Set-up, not measured in the rush: enrolment, each store opened, the roster's first sync.
    let t = Instant::now();
    let key = DbKey::from_bytes([9; 32]);
    let mut devices = Vec::with_capacity(n_devices);
    for (d, code) in codes.iter().enumerate() {
        let token = enroll(url_of(d), code).await.unwrap().token;
        let store = Store::open(dir.path().join(format!("device-{d}.db")), &key).unwrap();
        let client = RelayClient::new(url_of(d), &token).unwrap();
        devices.push(Arc::new(Device { store: Arc::new(Mutex::new(store)), client: Arc::new(client) }));
    }
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let slots = Arc::new(tokio::sync::Semaphore::new(SETUP_CONCURRENCY));
    let setups: Vec<_> = devices
        .iter()
        .map(|device| {
            let (device, slots) = (device.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire().await.unwrap();
                tokio::time::timeout(DEVICE_TIMEOUT, first_sync(&device)).await.expect("set-up sync within 120 s");
            })
        })
        .collect();
    for s in setups {
        s.await.unwrap();
    }
    let first_sync_ms = t.elapsed().as_secs_f64() * 1e3;
    let attacker_token = enroll(&urls[0], &attacker_code).await.unwrap().token;

    // Offline: each device creates its visits.
    let t = Instant::now();
    for (d, device) in devices.iter().enumerate() {
        let visits = offline_visits(&data, d * per_device, per_device, &educators[d], &educators[partner_of(d)]);
        device.store.lock().unwrap().import_visits(&visits).unwrap();
    }
    let create_ms = t.elapsed().as_secs_f64() * 1e3;

    // The hostile device, if any, starts sending before the rush does.
    let stop = Arc::new(AtomicBool::new(false));
    let hostile_tasks = if beside_hostile {
        let template = Family { school_id: attacker.school_id, ..families[0].clone() };
        let tasks = start_hostile(&urls, &attacker_token, &template, &stop).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        tasks
    } else {
        Vec::new()
    };
    let relay_cpu = || relays.iter().map(|r| cpu_secs(r.0.id())).sum::<f64>();
    let bench_cpu = || cpu_secs(std::process::id());
    let (relay_cpu0, bench_cpu0) = (relay_cpu(), bench_cpu());
    let rushed = rush(&devices, window, seed).await;
    let peak = peak_rss_max(&relays);
    let (relay_cpu1, bench_cpu1) = (relay_cpu(), bench_cpu());
    stop.store(true, Ordering::Relaxed);
    let mut batches = 0;
    for h in hostile_tasks {
        batches +=
            tokio::time::timeout(Duration::from_secs(120), h).await.expect("hostile batch within 120 s").unwrap();
    }
    let mut result = rushed.summary();
    let summary = result.as_object_mut().unwrap();
    summary.insert("serverPeakRssBytes".into(), json!(peak));
    summary.insert("relayCpuSecs".into(), json!(relay_cpu1 - relay_cpu0));
    summary.insert("benchCpuSecs".into(), json!(bench_cpu1 - bench_cpu0));
    summary.insert(
        "setup".into(),
        json!({ "importMs": import_ms, "enrolAndOpenMs": open_ms, "firstSyncMs": first_sync_ms, "createMs": create_ms }),
    );
    if beside_hostile {
        summary.insert("hostileBatches".into(), json!(batches));
    }
    eprintln!(
        "W3 {} x{} {}: p50 {:.0} ms, p99 {:.0} ms, errors {}, retries {}, wall {:.0} ms, relay peak RSS {:.1} MB, relay CPU {:.1} s, bench CPU {:.1} s{}",
        backend.name(),
        backend.instances(),
        if beside_hostile { "beside a hostile device" } else { "quiet" },
        summary["p50Ms"].as_f64().unwrap(),
        summary["p99Ms"].as_f64().unwrap(),
        rushed.errors,
        rushed.retries,
        rushed.wall_ms,
        peak as f64 / 1e6,
        relay_cpu1 - relay_cpu0,
        bench_cpu1 - bench_cpu0,
        if beside_hostile { format!(", {batches} maximal batches stored") } else { String::new() },
    );
    drop(devices);
    drop(relays); // before the database they use
    drop(backend);
    result
}

#[tokio::main]
async fn main() {
    let n_devices = arg("--devices", 300);
    let n_schools = arg("--schools", 30);
    let per_device = arg("--visits", 20);
    let window = Duration::from_secs(arg("--window-s", 10) as u64);
    let runs_n = arg("--runs", 1);
    let hostile = flag("--hostile");
    let (backend, instances) = if flag("--postgres") { ("postgres", 2) } else { ("embedded", 1) };
    let mut runs = Vec::new();
    for r in 0..runs_n {
        let seed = 42 + r as u32;
        let mut quiet = run(n_devices, n_schools, per_device, window, false, seed).await;
        if hostile {
            let mut beside = run(n_devices, n_schools, per_device, window, true, seed).await;
            let ratio = beside["p99Ms"].as_f64().unwrap() / quiet["p99Ms"].as_f64().unwrap();
            beside["p99Ratio"] = json!(ratio);
            eprintln!("W3 beside a hostile device: p99 x{ratio:.2} the quiet rush's");
            quiet["hostile"] = beside;
        }
        runs.push(quiet);
    }
    let m = |p: &[&str]| median_of(&runs, p);
    let mut median = json!({
        "p50Ms": m(&["p50Ms"]),
        "p99Ms": m(&["p99Ms"]),
        "errors": m(&["errors"]),
        "retries": m(&["retries"]),
        "serverPeakRssBytes": m(&["serverPeakRssBytes"]),
        "wallMs": m(&["wallMs"]),
    });
    if hostile {
        median["hostile"] = json!({
            "p50Ms": m(&["hostile", "p50Ms"]),
            "p99Ms": m(&["hostile", "p99Ms"]),
            "errors": m(&["hostile", "errors"]),
            "p99Ratio": m(&["hostile", "p99Ratio"]),
            "serverPeakRssBytes": m(&["hostile", "serverPeakRssBytes"]),
        });
    }
    println!(
        "{}",
        json!({
            "workload": "W3-morning-rush",
            "system": "homevisit",
            "backend": backend,
            "instances": instances,
            "devices": n_devices,
            "schools": n_schools,
            "visitsPerDevice": per_device,
            "windowS": window.as_secs(),
            "median": median,
            "runs": runs,
        })
    );
}
