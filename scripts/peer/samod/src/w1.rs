//! W1 fan-in: A creates N forms offline, connects and uploads until the server has every change
//! of every doc; A stops; a fresh B connects and finds all N concurrently; B's docs are checked
//! against A's heads and the generated content.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use futures::{StreamExt, stream::FuturesUnordered};
use samod::{BackoffConfig, ConnectionId, DialerHandle, DocumentId, Repo, storage::TokioFilesystemStorage};
use serde_json::{Value, json};

use crate::{
    Opts,
    form::make_debrief,
    log,
    net::{Counters, CountingWsDialer, Snapshot},
    procs::{ServerProc, TempDir, cpu_ms, settled_dir_bytes, vm_hwm},
    stats::num,
};

/// The client repos of one run, so that every path out of a run (also a stall) stops them.
#[derive(Default)]
pub struct Clients(std::sync::Mutex<Vec<Repo>>);

impl Clients {
    /// A new client repo with filesystem storage in `dir`.
    pub async fn repo(&self, dir: &Path) -> Repo {
        std::fs::create_dir_all(dir).expect("client dir");
        let repo = Repo::build_tokio().with_storage(TokioFilesystemStorage::new(dir)).load().await;
        self.0.lock().unwrap().push(repo.clone());
        repo
    }

    /// Stop (flush and end) every repo made so far; each one once.
    pub async fn stop_all(&self) {
        let repos = std::mem::take(&mut *self.0.lock().unwrap());
        for r in repos {
            if tokio::time::timeout(Duration::from_secs(60), r.stop()).await.is_err() {
                log("a client repo did not stop within 60 s");
            }
        }
    }
}

/// Dial the server with a counting WebSocket dialer; resolves once the samod handshake is done.
pub async fn connect(
    repo: &Repo,
    url: url::Url,
    counters: Arc<Counters>,
) -> Result<(DialerHandle, ConnectionId), String> {
    let backoff = BackoffConfig { max_retries: Some(5), ..BackoffConfig::default() };
    let dialer = repo.dial(backoff, Arc::new(CountingWsDialer { url, counters })).map_err(|_| "repo stopped")?;
    tokio::time::timeout(Duration::from_secs(30), dialer.established())
        .await
        .map_err(|_| "connect timeout".to_string())?
        .map_err(|e| format!("connect failed: {e}"))?;
    let conn = dialer.connection_id().ok_or("connected but no connection id")?;
    Ok((dialer, conn))
}

pub fn net_json(s: Snapshot) -> Value {
    json!({
        "clientToServer": {"payloadBytes": s.payload_out, "wireBytes": s.wire_out, "msgs": s.msgs_out},
        "serverToClient": {"payloadBytes": s.payload_in, "wireBytes": s.wire_in, "msgs": s.msgs_in},
    })
}

const fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(opts: &Opts, n: u32, r: u32) -> Result<Value, String> {
    let ts = Instant::now();
    let tmp = TempDir::new(&format!("w1-n{n}-r{r}"), opts.keep).map_err(|e| e.to_string())?;
    let srv = ServerProc::start(&tmp.path.join("server"), opts.server_life_s).await?;
    let clients = Clients::default();
    let result = run_inner(opts, n, r, ts, &tmp.path, &srv, &clients).await;
    let t0 = Instant::now();
    clients.stop_all().await;
    let clients_ms = ms(t0.elapsed());
    let t0 = Instant::now();
    srv.stop().await;
    log(&format!(
        "W1 n={n} run {r}: teardown: clients stop {clients_ms:.0} ms, server stop {:.0} ms",
        ms(t0.elapsed())
    ));
    result
}

async fn run_inner(
    opts: &Opts,
    n: u32,
    r: u32,
    ts: Instant,
    tmp: &Path,
    srv: &ServerProc,
    clients: &Clients,
) -> Result<Value, String> {
    let stall = Duration::from_secs(opts.stall_s);
    let server_baseline = vm_hwm(srv.pid);

    // A: create N docs offline (repo.create resolves once each doc is persisted)
    let a = clients.repo(&tmp.join("a")).await;
    log(&format!("W1 n={n} run {r}: setup {:.0} ms", ms(ts.elapsed())));
    let t0 = Instant::now();
    let creates: Vec<_> = (0..n).map(|i| a.create(make_debrief(i, 42).to_doc())).collect();
    let handles = futures::future::try_join_all(creates).await.map_err(|_| "repo stopped during create")?;
    let create_ms = ms(t0.elapsed());
    let expected: Vec<(DocumentId, Vec<automerge::ChangeHash>)> =
        handles.iter().map(|h| (h.document_id().clone(), h.with_document(|d| d.get_heads()))).collect();
    log(&format!("W1 n={n} run {r}: A created {n} docs in {create_ms:.1} ms"));

    // upload: connect, then wait until the server's acknowledged (shared) heads equal ours, per doc
    let (srv_cpu0, a_cpu0) = (cpu_ms(&srv.pid.to_string()), cpu_ms("self"));
    let a_net = Arc::new(Counters::default());
    let t0 = Instant::now();
    let (a_dialer, a_conn) = connect(&a, srv.url(), a_net.clone()).await?;
    let upload_connect_ms = ms(t0.elapsed());
    let mut acks: FuturesUnordered<_> = handles.iter().map(|h| h.they_have_our_changes(a_conn)).collect();
    let mut acked = 0usize;
    let waited = tokio::time::timeout(stall, async {
        while acks.next().await.is_some() {
            acked += 1;
        }
    })
    .await;
    if waited.is_err() {
        return Err(format!("upload stalled: {acked}/{n} docs acked by the server after {} s", opts.stall_s));
    }
    let upload_ms = ms(t0.elapsed());
    let up_net = a_net.snapshot();
    let (srv_cpu1, a_cpu1) = (cpu_ms(&srv.pid.to_string()), cpu_ms("self"));
    let server_after_upload = vm_hwm(srv.pid);
    drop(acks);
    drop(handles);
    a_dialer.close();
    clients.stop_all().await; // A
    let (server_disk, server_files) = settled_dir_bytes(&tmp.join("server")).await;
    log(&format!(
        "W1 n={n} run {r}: upload {upload_ms:.1} ms; server disk {server_disk} B in {server_files} files; server HWM {:?} B",
        server_after_upload
    ));

    // download: fresh B finds every doc concurrently
    let b = clients.repo(&tmp.join("b")).await;
    let (srv_cpu2, b_cpu0) = (cpu_ms(&srv.pid.to_string()), cpu_ms("self"));
    let b_net = Arc::new(Counters::default());
    let t0 = Instant::now();
    let (b_dialer, _) = connect(&b, srv.url(), b_net.clone()).await?;
    let download_connect_ms = ms(t0.elapsed());
    let mut finds: FuturesUnordered<_> = expected
        .iter()
        .enumerate()
        .map(|(k, (id, _))| {
            let f = b.find(id.clone());
            async move { (k, f.await) }
        })
        .collect();
    let mut found = vec![None; n as usize];
    let mut done = 0usize;
    let waited = tokio::time::timeout(stall, async {
        while let Some((k, res)) = finds.next().await {
            found[k] = res.ok().flatten();
            done += 1;
        }
    })
    .await;
    if waited.is_err() {
        return Err(format!("download stalled: {done}/{n} finds resolved after {} s", opts.stall_s));
    }
    let download_ms = ms(t0.elapsed());
    let down_net = b_net.snapshot();
    let (srv_cpu3, b_cpu1) = (cpu_ms(&srv.pid.to_string()), cpu_ms("self"));

    // validation (outside the timed region)
    let (mut ok, mut not_found, mut heads_mismatch, mut content_bad) = (0, 0, 0, 0);
    for (k, h) in found.iter().enumerate() {
        let Some(h) = h else {
            not_found += 1;
            continue;
        };
        let (heads_ok, content_ok) = h.with_document(|d| {
            let mut heads = d.get_heads();
            let mut want = expected[k].1.clone();
            heads.sort();
            want.sort();
            (heads == want, make_debrief(k as u32, 42).matches(d))
        });
        heads_mismatch += usize::from(!heads_ok);
        content_bad += usize::from(!content_ok);
        ok += usize::from(heads_ok && content_ok);
    }
    if ok != n as usize {
        return Err(format!(
            "B validation failed: {ok}/{n} ok, {not_found} not found, {heads_mismatch} heads mismatch, {content_bad} bad content"
        ));
    }
    let server_peak = vm_hwm(srv.pid);
    log(&format!("W1 n={n} run {r}: download {download_ms:.1} ms; validated {ok}/{n}"));
    drop(found);
    b_dialer.close();

    Ok(json!({
        "n": n,
        "createMs": num(create_ms),
        "uploadMs": num(upload_ms),
        "uploadConnectMs": num(upload_connect_ms),
        "downloadMs": num(download_ms),
        "downloadConnectMs": num(download_connect_ms),
        "upload": net_json(up_net),
        "download": net_json(down_net),
        "serverPeakRssBytes": server_peak,
        "serverPeakRssAfterUploadBytes": server_after_upload,
        "serverBaselineRssBytes": server_baseline,
        "serverDiskBytes": server_disk,
        "serverDiskFiles": server_files,
        "cpuMs": {
            "uploadServer": num(srv_cpu1 - srv_cpu0), "uploadClientA": num(a_cpu1 - a_cpu0),
            "downloadServer": num(srv_cpu3 - srv_cpu2), "downloadClientB": num(b_cpu1 - b_cpu0),
        },
        "validated": ok,
    }))
}
