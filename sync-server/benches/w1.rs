//! W1 fan-in, the peer benchmark's first workload on homevisit: device A creates N debrief forms
//! offline (each a visit: its log, and its notes + debrief, from the peer's form generator) and
//! uploads them to the relay; a fresh device B downloads all N. The relay runs as its own process
//! (the real `homevisit-relay` binary), so its peak RSS is its own.
//!
//! `cargo bench -p homevisit-relay --bench w1 -- --n 1000 --runs 3`; one JSON line on stdout,
//! shaped like the peer's (`median`, `runs`), with the relay's `backend` and `instances`.
//!
//! `--postgres` (under `scripts/with-postgres`, which sets `HOMEVISIT_TEST_POSTGRES`): each run on
//! a fresh PostgreSQL database served by two relay processes (one relay key, their shared
//! `--data`); A uploads to the first, B downloads from the second. The relay peak RSS is the
//! highest of the two.

mod common;

use common::{Backend, arg, cpu_ms, median_of, peak_rss_max};

use std::sync::Mutex;
use std::time::Instant;

use homevisit_fixtures::forms;
use homevisit_model::{Educator, EducatorRole, SchoolId, VisitId};
use homevisit_relay::Relay;
use homevisit_store::{DbKey, Store, VisitImport};
use homevisit_sync::SyncReport;
use homevisit_sync::client::{RELAY_PEER, RelayClient, enroll};
use serde_json::{Value, json};

fn bytes(r: &SyncReport) -> Value {
    json!({
        "clientToServer": { "payloadBytes": r.body_bytes_sent, "syncMessageBytes": r.bytes_sent, "msgs": r.messages_sent },
        "serverToClient": { "payloadBytes": r.body_bytes_received, "syncMessageBytes": r.bytes_received, "msgs": r.messages_received },
        "rounds": r.rounds,
    })
}

async fn run(n: usize) -> Value {
    let backend = Backend::from_args();
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    // The roster lives on the relay (a district's import); every form's visit is made by one
    // educator, whose two phones are A and B.
    let data = forms::data_set(n as u32);
    let school = SchoolId(uuid::Uuid::from_u128(1));
    let me = Educator { school_id: school, ..data.educators[0].clone() };
    let partner = Educator { school_id: school, role: EducatorRole::Teacher, ..data.educators[1].clone() };
    let storage = backend.storage();
    let (code_a, code_b) = common::off_runtime(|| {
        let relay = Relay::open_with(&relay_dir, &storage).unwrap();
        relay
            .import_with(|s| {
                s.put_school(&homevisit_model::School { id: school, name: "Bench Elementary".into() })?;
                s.put_educator(&me)?;
                s.put_educator(&partner)?;
                // The forms' families: a visit must name a family the relay knows in its school.
                let families: Vec<_> =
                    data.families.iter().map(|f| homevisit_model::Family { school_id: school, ..f.clone() }).collect();
                s.import_families(&families)
            })
            .unwrap();
        let invite = || relay.access().invite(&school, &homevisit_relay::access::Role::Educator(me.id)).unwrap();
        (invite(), invite())
    });
    let (relays, urls) = backend.spawn(&relay_dir);
    // A's instance and B's: the same one on the embedded relay, two on PostgreSQL.
    let (url_a, url_b) = (&urls[0], &urls[urls.len() - 1]);
    let baseline_rss = peak_rss_max(&relays);

    let key = DbKey::from_bytes([9; 32]);
    let token_a = enroll(url_a, &code_a).await.unwrap().token;
    let a = Mutex::new(Store::open(dir.path().join("a.db"), &key).unwrap());
    let client_a = RelayClient::new(url_a, &token_a).unwrap();
    client_a.sync(&a).await.unwrap(); // the roster, before going offline

    // A creates N forms offline.
    let visits: Vec<VisitImport> = data
        .visits
        .iter()
        .map(|(log, notes)| {
            let mut log = log.clone();
            log.plan.school_id = school;
            log.plan.educator_ids = vec![me.id, partner.id];
            // What A's own device may write (the relay attests it): A recorded the outcome and the
            // family's agreement; the partner's confirmation would come from the partner's device.
            log.outcome.recorded_by = Some(me.id);
            log.outcome.partner_confirmation = None;
            if let Some(agreement) = log.plan.family_agreement.as_mut() {
                agreement.recorded_by = me.id;
            }
            VisitImport { log, notes: notes.clone() }
        })
        .collect();
    let t = Instant::now();
    a.lock().unwrap().import_visits(&visits).unwrap();
    let create_ms = t.elapsed().as_secs_f64() * 1e3;

    // CPU time: the relays' (all instances), and this process's (the devices').
    let cpu = || (relays.iter().map(|r| cpu_ms(r.0.id())).sum::<f64>(), cpu_ms(0));
    let (relay_cpu, own_cpu) = cpu();
    let t = Instant::now();
    let up = client_a.sync(&a).await.unwrap();
    let upload_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(a.lock().unwrap().unsynced_count(RELAY_PEER).unwrap(), 0, "everything acknowledged");
    let rss_after_upload = peak_rss_max(&relays);
    let (relay_cpu_up, own_cpu_up) = cpu();

    let token_b = enroll(url_b, &code_b).await.unwrap().token;
    let b = Mutex::new(Store::open(dir.path().join("b.db"), &key).unwrap());
    let client_b = RelayClient::new(url_b, &token_b).unwrap();
    let t = Instant::now();
    let down = client_b.sync(&b).await.unwrap();
    let download_ms = t.elapsed().as_secs_f64() * 1e3;
    let peak = peak_rss_max(&relays);
    let (relay_cpu_down, own_cpu_down) = cpu();

    // Validate: B holds every visit exactly as A does.
    let (mut a, mut b) = (a.lock().unwrap(), b.lock().unwrap());
    let ids: Vec<VisitId> = visits.iter().map(|v| v.log.plan.id).collect();
    for id in &ids {
        assert_eq!(a.visit_notes(*id).unwrap(), b.visit_notes(*id).unwrap());
        assert_eq!(a.visit_log(*id).unwrap(), b.visit_log(*id).unwrap());
    }
    drop(relays); // before the database they use
    drop(backend);
    json!({
        "n": n,
        "createMs": create_ms,
        "uploadMs": upload_ms,
        "downloadMs": download_ms,
        "upload": bytes(&up),
        "download": bytes(&down),
        "serverPeakRssBytes": peak,
        "serverPeakRssAfterUploadBytes": rss_after_upload,
        "serverBaselineRssBytes": baseline_rss,
        "validated": ids.len(),
        // CPU time of each side during each phase (the devices' is this process's: A's during the
        // upload, B's and its enrollment during the download).
        "cpuMs": {
            "uploadServer": relay_cpu_up - relay_cpu, "uploadClientA": own_cpu_up - own_cpu,
            "downloadServer": relay_cpu_down - relay_cpu_up, "downloadClientB": own_cpu_down - own_cpu_up,
        },
    })
}

#[tokio::main]
async fn main() {
    let n = arg("--n", 1000);
    let (backend, instances) = match common::flag("--postgres") {
        true => ("postgres", 2),
        false => ("embedded", 1),
    };
    let runs_n = arg("--runs", 3);
    let mut runs = Vec::new();
    for r in 0..runs_n {
        let result = run(n).await;
        eprintln!(
            "W1 n={n} {backend} x{instances} run {r}: upload {:.1} ms, download {:.1} ms, relay peak RSS {:.1} MB",
            result["uploadMs"].as_f64().unwrap(),
            result["downloadMs"].as_f64().unwrap(),
            result["serverPeakRssBytes"].as_f64().unwrap() / 1e6
        );
        runs.push(result);
    }
    let m = |p: &[&str]| median_of(&runs, p);
    let median = json!({
        "n": n,
        "createMs": m(&["createMs"]),
        "uploadMs": m(&["uploadMs"]),
        "downloadMs": m(&["downloadMs"]),
        "upload": { "clientToServer": { "payloadBytes": m(&["upload", "clientToServer", "payloadBytes"]) },
                    "serverToClient": { "payloadBytes": m(&["upload", "serverToClient", "payloadBytes"]) } },
        "download": { "clientToServer": { "payloadBytes": m(&["download", "clientToServer", "payloadBytes"]) },
                      "serverToClient": { "payloadBytes": m(&["download", "serverToClient", "payloadBytes"]) } },
        "serverPeakRssBytes": m(&["serverPeakRssBytes"]),
    });
    println!(
        "{}",
        json!({ "workload": "W1-fan-in", "system": "homevisit", "backend": backend, "instances": instances, "n": n, "median": median, "runs": runs })
    );
}
