//! W2 live co-edit latency: A and B connected to the server; A creates one form, B finds it; A
//! makes single-character insertions into `notes.hopesAndDreams` at seeded positions, one at a
//! time, the next only after B's `DocHandle::changes()` stream showed that character.
//! Latency = B's change notification − the instant just before A's edit (one process, one clock).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use automerge::transaction::Transactable;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{
    Opts,
    form::{Mulberry32, hopes_text, make_debrief, now_commit},
    log,
    net::Counters,
    procs::{ServerProc, TempDir, vm_hwm},
    stats::{num, percentile},
    w1::{Clients, connect},
};

/// B's observation of edit `i`.
struct Seen {
    i: usize,
    t: Instant,
    /// first WS message into B since the previous observation
    recv: Option<Instant>,
    batched: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(opts: &Opts, gap_ms: u64, r: u32) -> Result<Value, String> {
    let tmp = TempDir::new(&format!("w2-gap{gap_ms}-r{r}"), opts.keep).map_err(|e| e.to_string())?;
    let srv = ServerProc::start(&tmp.path.join("server"), opts.server_life_s).await?;
    let clients = Clients::default();
    let result = run_inner(opts, gap_ms, r, &tmp.path, &srv, &clients).await;
    clients.stop_all().await;
    srv.stop().await;
    result
}

async fn run_inner(
    opts: &Opts,
    gap_ms: u64,
    r: u32,
    tmp: &std::path::Path,
    srv: &ServerProc,
    clients: &Clients,
) -> Result<Value, String> {
    let a = clients.repo(&tmp.join("a")).await;
    let b = clients.repo(&tmp.join("b")).await;
    let (a_net, b_net) = (Arc::new(Counters::default()), Arc::new(Counters::default()));
    let (a_dialer, a_conn) = connect(&a, srv.url(), a_net.clone()).await?;
    let (b_dialer, _) = connect(&b, srv.url(), b_net.clone()).await?;

    let ha = a.create(make_debrief(0, 4242).to_doc()).await.map_err(|_| "repo stopped")?;
    tokio::time::timeout(Duration::from_secs(30), ha.they_have_our_changes(a_conn))
        .await
        .map_err(|_| "server did not ack the W2 doc within 30 s")?;
    let hb = tokio::time::timeout(Duration::from_secs(30), b.find(ha.document_id().clone()))
        .await
        .map_err(|_| "B find timed out")?
        .map_err(|_| "repo stopped")?
        .ok_or("B could not find the W2 doc")?;
    let text_a = ha.with_document(|d| hopes_text(d)).ok_or("A: no notes.hopesAndDreams")?;
    let text_b = hb.with_document(|d| hopes_text(d)).ok_or("B: no notes.hopesAndDreams")?;
    let base = hb.with_document(|d| automerge::ReadDoc::length(d, &text_b));

    // B's observer: every new character in the text is one observed edit
    let (tx, mut rx) = mpsc::unbounded_channel::<Seen>();
    let mut changes = hb.changes();
    let observer = {
        let (hb, b_net) = (hb.clone(), b_net.clone());
        tokio::spawn(async move {
            let mut last = base;
            while changes.next().await.is_some() {
                let t = Instant::now();
                let len = hb.with_document(|d| automerge::ReadDoc::length(d, &text_b));
                if len > last {
                    let recv = b_net.take_recv_mark();
                    for k in last + 1..=len {
                        let _ = tx.send(Seen { i: k - base - 1, t, recv, batched: len - last });
                    }
                    last = len;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await; // let initial sync traffic settle
    b_net.take_recv_mark();
    let (net_a0, net_b0) = (a_net.snapshot(), b_net.snapshot());

    let mut rng = Mulberry32::new(7);
    let mut early: HashMap<usize, Seen> = HashMap::new();
    let (mut lat, mut a_local, mut transit, mut b_local) = (vec![], vec![], vec![], vec![]);
    let mut batched = 0;
    let loop_t0 = Instant::now();
    let result: Result<(), String> = async {
        for i in 0..opts.edits {
            let len = ha.with_document(|d| automerge::ReadDoc::length(d, &text_a));
            let pos = (rng.next_f64() * (len + 1) as f64).floor() as usize;
            let ch = char::from(b'a' + (i % 26) as u8).to_string();
            a_net.reset_send_mark();
            let t = Instant::now();
            ha.with_document(|d| {
                d.transact_with::<_, _, automerge::AutomergeError, _>(
                    |_| now_commit(),
                    |tx| tx.splice_text(&text_a, pos, 0, &ch),
                )
                .map(|_| ())
                .map_err(|f| f.error.to_string())
            })
            .map_err(|e| format!("edit {i}: {e}"))?;
            let seen = match early.remove(&i) {
                Some(s) => s,
                None => loop {
                    let s = tokio::time::timeout(Duration::from_secs(15), rx.recv())
                        .await
                        .map_err(|_| format!("edit {i} not observed by B within 15s"))?
                        .ok_or("observer ended")?;
                    if s.i == i {
                        break s;
                    }
                    early.insert(s.i, s);
                },
            };
            lat.push(ms(seen.t - t));
            let send = *a_net.first_send.lock().unwrap();
            if let (Some(send), Some(recv)) = (send, seen.recv) {
                a_local.push(ms(send.saturating_duration_since(t)));
                transit.push(ms(recv.saturating_duration_since(send)));
                b_local.push(ms(seen.t.saturating_duration_since(recv)));
            }
            if seen.batched > 1 {
                batched += 1;
            }
            if gap_ms > 0 {
                tokio::time::sleep(Duration::from_millis(gap_ms)).await;
            }
        }
        Ok(())
    }
    .await;
    let loop_ms = ms(loop_t0.elapsed());
    observer.abort();
    result?;

    let e = opts.edits as f64;
    let (na, nb) = (a_net.snapshot().minus(net_a0), b_net.snapshot().minus(net_b0));
    let stat = |xs: &[f64], p: f64| num(percentile(xs, p));
    let max = lat.iter().copied().fold(f64::MIN, f64::max);
    let min = lat.iter().copied().fold(f64::MAX, f64::min);
    log(&format!(
        "W2 gap={gap_ms} run {r}: p50 {:.2} p95 {:.2} p99 {:.2} max {max:.2} ms ({} edits in {loop_ms:.0} ms)",
        percentile(&lat, 50.0),
        percentile(&lat, 95.0),
        percentile(&lat, 99.0),
        opts.edits
    ));
    let server_peak = vm_hwm(srv.pid);
    a_dialer.close();
    b_dialer.close();
    Ok(json!({
        "edits": opts.edits, "gapMs": gap_ms,
        "p50Ms": stat(&lat, 50.0), "p95Ms": stat(&lat, 95.0), "p99Ms": stat(&lat, 99.0),
        "maxMs": num(max), "minMs": num(min), "meanMs": num(lat.iter().sum::<f64>() / e),
        "loopMs": num(loop_ms), "batchedObservations": batched,
        // p50 breakdown: A edit -> first WS message out of A; -> first WS message into B; -> B's change
        "breakdownP50Ms": {"aEditToSend": stat(&a_local, 50.0), "sendToBRecv": stat(&transit, 50.0),
            "bRecvToChange": stat(&b_local, 50.0)},
        "bytesPerEdit": {
            "aToServerPayload": num(na.payload_out as f64 / e), "aToServerWire": num(na.wire_out as f64 / e),
            "serverToBPayload": num(nb.payload_in as f64 / e), "serverToBWire": num(nb.wire_in as f64 / e),
            "serverToAPayload": num(na.payload_in as f64 / e), "bToServerPayload": num(nb.payload_out as f64 / e),
        },
        "msgsPerEdit": {
            "aToServer": num(na.msgs_out as f64 / e), "serverToB": num(nb.msgs_in as f64 / e),
            "serverToA": num(na.msgs_in as f64 / e), "bToServer": num(nb.msgs_out as f64 / e),
        },
        "serverPeakRssBytes": server_peak,
    }))
}
