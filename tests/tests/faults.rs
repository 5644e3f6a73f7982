//! A fault-injecting proxy between two phones and the relay: requests are dropped, delayed,
//! duplicated, and connections are cut after the relay has answered. Once the network heals, every
//! document converges within 3 sync rounds and no edit is lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use homevisit_docs::{DocId, DocKind};
use homevisit_fixtures::DataSet;
use homevisit_model::NoteField;
use homevisit_relay::RunningRelay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{RELAY_PEER, RelayClient, enroll};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    dropped: AtomicU32,
    cut: AtomicU32,
    duplicated: AtomicU32,
    delayed: AtomicU32,
    passed: AtomicU32,
}

/// Reads one HTTP/1.1 request (headers and a Content-Length body).
async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

/// Sends `request` to the relay on a fresh connection (asking it to close after answering) and
/// returns the whole response.
async fn forward(upstream: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let end = request.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&request[..end]);
    let kept: Vec<&str> = head.lines().filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
    let mut rewritten = format!("{}\r\nconnection: close\r\n\r\n", kept.join("\r\n")).into_bytes();
    rewritten.extend_from_slice(&request[end + 4..]);
    let mut up = TcpStream::connect(upstream).await.ok()?;
    up.write_all(&rewritten).await.ok()?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await.ok()?;
    Some(response)
}

/// A proxy on loopback; while `faulty` is set, each request meets a seeded random fault.
async fn proxy(upstream: SocketAddr, faulty: Arc<AtomicBool>, counts: Arc<Counts>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seed = Arc::new(AtomicU32::new(0x9e37_79b9));
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            let (faulty, counts, seed) = (faulty.clone(), counts.clone(), seed.clone());
            tokio::spawn(async move {
                // One request per connection: the relay's answer says "connection: close".
                let Some(request) = read_request(&mut client).await else { return };
                {
                    let roll = {
                        let x = seed.fetch_add(0x6d2b_79f5, Ordering::Relaxed).wrapping_mul(2_654_435_761);
                        (x >> 16) % 100
                    };
                    let fault = if faulty.load(Ordering::Relaxed) { roll } else { 100 };
                    match fault {
                        0..=19 => {
                            counts.dropped.fetch_add(1, Ordering::Relaxed);
                            return; // the request never reaches the relay
                        }
                        20..=34 => {
                            counts.cut.fetch_add(1, Ordering::Relaxed);
                            let _ = forward(upstream, &request).await;
                            return; // the relay answered; the answer is lost
                        }
                        35..=49 => {
                            counts.duplicated.fetch_add(1, Ordering::Relaxed);
                            let _ = forward(upstream, &request).await;
                        }
                        50..=69 => {
                            counts.delayed.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(20 + u64::from(roll))).await;
                        }
                        _ => {
                            counts.passed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let Some(response) = forward(upstream, &request).await else { return };
                    let _ = client.write_all(&response).await;
                }
            });
        }
    });
    addr
}

fn district() -> DataSet {
    homevisit_e2e::district()
}

async fn seeded_relay(dir: &std::path::Path, data: &DataSet) -> RunningRelay {
    homevisit_e2e::start_relay_with_district(dir, data).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_converge_after_drops_delays_duplicates_and_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let data = district();
    let relay = seeded_relay(&dir.path().join("relay"), &data).await;
    let faulty = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let proxy_addr = proxy(relay.addr, faulty.clone(), counts.clone()).await;
    let proxy_url = format!("http://{proxy_addr}");

    let mut phones = Vec::new();
    for name in ["Elena Rivera", "Grace Okafor"] {
        let e = data.educators.iter().find(|e| e.display_name == name).unwrap();
        let code = relay.relay.access().invite(&e.school_id, &homevisit_relay::access::Role::Educator(e.id)).unwrap();
        let token = enroll(&relay.url(), &code).await.unwrap().token;
        let store =
            Mutex::new(Store::open(dir.path().join(format!("{name}.db")), &DbKey::from_bytes([1; 32])).unwrap());
        let client = RelayClient::new(&proxy_url, &token).unwrap();
        client.sync(&store).await.unwrap();
        phones.push((store, client));
    }

    // The network turns bad. Both partners keep writing into their shared visit, syncing as they go.
    faulty.store(true, Ordering::Relaxed);
    let visit = data.visits[0].0.plan.id;
    let fields = [NoteField::Learned, NoteField::NextSteps, NoteField::AssumptionsChanged];
    let mut written = Vec::new();
    let mut failures = 0;
    for i in 0..24 {
        let (store, client) = &phones[i % 2];
        let word = format!("p{}w{i} ", i % 2);
        let field = fields[i % fields.len()];
        store.lock().unwrap().splice_note(visit, field, 0, 0, &word).unwrap();
        written.push((field, word));
        if client.sync(store).await.is_err() {
            failures += 1;
        }
    }
    assert!(failures > 0, "the proxy must have caused failures");

    // The network heals: within 3 rounds (each phone syncs once per round) everything converges.
    faulty.store(false, Ordering::Relaxed);
    let docs = [DocId::new(DocKind::VisitLog, visit.uuid()), DocId::new(DocKind::VisitNotes, visit.uuid())];
    let mut converged_after = None;
    for round in 1..=3 {
        for (store, client) in &phones {
            client.sync(store).await.unwrap();
        }
        let same = docs.iter().all(|d| {
            let a = phones[0].0.lock().unwrap().document_heads(d).unwrap();
            let b = phones[1].0.lock().unwrap().document_heads(d).unwrap();
            a == b
        });
        let settled = phones.iter().all(|(s, _)| s.lock().unwrap().unsynced_count(RELAY_PEER).unwrap() == 0);
        if same && settled {
            converged_after = Some(round);
            break;
        }
    }
    let c = &counts;
    let summary = format!(
        "dropped {} cut {} duplicated {} delayed {} passed {}, {failures} failed syncs",
        c.dropped.load(Ordering::Relaxed),
        c.cut.load(Ordering::Relaxed),
        c.duplicated.load(Ordering::Relaxed),
        c.delayed.load(Ordering::Relaxed),
        c.passed.load(Ordering::Relaxed)
    );
    assert!(converged_after.is_some(), "not converged within 3 rounds ({summary})");
    assert!(c.cut.load(Ordering::Relaxed) > 0 && c.duplicated.load(Ordering::Relaxed) > 0, "{summary}");

    // No edit is lost, on either phone or on the relay.
    for (store, _) in &phones {
        let mut store = store.lock().unwrap();
        for (field, word) in &written {
            assert!(store.note(visit, *field).unwrap().contains(word.trim()), "{word} missing ({summary})");
        }
    }
    let relay_text: Vec<String> = fields.iter().map(|f| homevisit_e2e::relay_note(&relay.relay, visit, *f)).collect();
    for (field, word) in &written {
        let i = fields.iter().position(|f| f == field).unwrap();
        assert!(relay_text[i].contains(word.trim()), "{word} missing on the relay");
    }
    println!("faults: {summary}; converged after {} healthy rounds", converged_after.unwrap());
    relay.stop().await.unwrap();
}

/// A proxy that closes the connection of each of the first `n` requests without an answer (as a
/// relay closing a kept-alive connection when the request goes out), then passes requests on.
async fn closing_first(upstream: SocketAddr, n: u32, seen: Arc<AtomicU32>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            let seen = seen.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut client).await else { return };
                if seen.fetch_add(1, Ordering::SeqCst) < n {
                    return; // closed, nothing answered
                }
                let Some(response) = forward(upstream, &request).await else { return };
                let _ = client.write_all(&response).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_connection_closes_unanswered_is_sent_once_more() {
    let data = district();
    let dir = tempfile::tempdir().unwrap();
    let relay = seeded_relay(&dir.path().join("relay"), &data).await;
    let rivera = data.educators.iter().find(|e| e.display_name == "Elena Rivera").unwrap();
    let code =
        relay.relay.access().invite(&rivera.school_id, &homevisit_relay::access::Role::Educator(rivera.id)).unwrap();
    let enrolled = enroll(&relay.url(), &code).await.unwrap();
    let seen = Arc::new(AtomicU32::new(0));
    let url = format!("http://{}", closing_first(relay.addr, 1, seen.clone()).await);
    let store = Mutex::new(Store::open(dir.path().join("phone.db"), &DbKey::from_bytes([3; 32])).unwrap());
    let client = RelayClient::new(&url, &enrolled.token).unwrap();
    // The first request's connection closes unanswered: sent again, the sync completes.
    let report = client.sync(&store).await.expect("the phone syncs");
    assert!(report.messages_received > 0);
    assert_eq!(store.lock().unwrap().unsynced_count(RELAY_PEER).unwrap(), 0);
    let requests = seen.load(Ordering::SeqCst);
    assert!(requests >= 2, "{requests} requests");
    // Twice in a row: the second failure of one request is the caller's (offline, say).
    seen.store(0, Ordering::SeqCst);
    let closing_twice = format!("http://{}", closing_first(relay.addr, 2, seen.clone()).await);
    let client = RelayClient::new(&closing_twice, &enrolled.token).unwrap();
    assert!(matches!(client.sync(&store).await, Err(homevisit_sync::client::ClientError::Unreachable(_))));
    assert_eq!(seen.load(Ordering::SeqCst), 2, "sent twice, not more");
}
