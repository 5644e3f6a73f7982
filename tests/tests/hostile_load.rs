//! A hostile enrolled device trying to exhaust a real relay, or to stall the other devices (trust,
//! part 2). The relay runs in a process of its own, on the embedded storage, or on PostgreSQL when
//! `HOMEVISIT_TEST_POSTGRES` is set. Each test attacks with one class of load and asserts it is
//! bounded: refused (or cut off) early, nothing of it kept, and the other devices served.
//! Figures under hostile load (memory, time to refuse) are measured by the release benchmark
//! `sync-server/benches/hostile.rs`, not asserted here.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use homevisit_docs::automerge::transaction::Transactable;
use homevisit_docs::automerge::{ROOT, ReadDoc};
use homevisit_docs::{DocId, DocKind};
use homevisit_e2e::RelayProcess;
use homevisit_e2e::attacker::{
    self, Device, educator, metric, new_family, question, refusal, snapshot, sync_with_changes, visit_of,
};
use homevisit_e2e::craft::raw_sync_head;
use homevisit_fixtures::DataSet;
use homevisit_model::NoteField;
use homevisit_protocol::{MAX_BATCH_MESSAGES, RejectReason, SyncBatch};
use homevisit_relay::Relay;
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{ClientError, RelayClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the hostile-load tests, started by them"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

fn seeded_relay(dir: &Path, settings: &[(&str, &str)]) -> (RelayProcess, Arc<Relay>, DataSet) {
    attacker::seeded_relay(dir, "relay_process", "", settings)
}

/// The relay process's resident memory, in MB (Linux).
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_bounded_and_unknown_documents_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // The 20 full batches below cost the device about 1,080 turns (`device_limit::batch_cost`: 50
    // for the messages, a few for the body, one for the request), more than the shipped burst of
    // 1,000: with it, this test passed only when the batches took long enough for the bucket to
    // refill the difference (a fresh CI run was quick enough to get a 429). The per-device limit
    // is attacked in its own tests (`a_body_the_device_cannot_pay_for_is_refused_before_it_is_read`,
    // and in live.rs); here the budget must not decide the outcome.
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &[("HOMEVISIT_RELAY_DEVICE_BURST", "5000")]);
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Elena Rivera")).await;
    attacker.sync().await;

    // One message over the bound: the whole batch is refused before it is read.
    let unknown = || DocId::new(DocKind::VisitNotes, uuid::Uuid::new_v4());
    let over: Vec<_> = (0..=MAX_BATCH_MESSAGES).map(|_| question(unknown())).collect();
    assert_eq!(attacker.send(over).await.0, 400);
    // A body claiming four billion messages, in five bytes: refused, nothing allocated for them.
    let mut lying = homevisit_protocol::VERSION.to_le_bytes().to_vec();
    lying.extend_from_slice(&[0, homevisit_protocol::VERSION as u8, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert_eq!(attacker.post(lying, "").await.0, 400);

    // 20,000 questions about documents that do not exist, in full batches: each answered like a
    // forbidden one, and nothing kept of any (before, each left state behind for good: 60,000
    // took the relay from 33 MB to 767 MB).
    let (documents, rss_before) = (admin.document_count().unwrap(), rss_mb(relay.pid()));
    let mut asked = Vec::new();
    for _ in 0..20 {
        let batch: Vec<_> = (0..MAX_BATCH_MESSAGES).map(|_| question(unknown())).collect();
        asked.push(DocId::try_from(batch[0].doc).unwrap());
        let (status, reply) = attacker.send(batch).await;
        assert_eq!(status, 200);
        let reply = reply.unwrap();
        assert_eq!(reply.rejected.len(), MAX_BATCH_MESSAGES);
        assert!(reply.rejected.iter().all(|r| r.reason == RejectReason::Forbidden));
    }
    assert_eq!(admin.document_count().unwrap(), documents, "nothing stored");
    assert!(asked.iter().all(|doc| admin.document(doc).unwrap().is_none()));
    let grown = rss_mb(relay.pid()) - rss_before;
    assert!(grown < 64.0, "the relay kept {grown:.0} MB for 20,000 unknown documents");
    // The attacker's own syncs still work.
    attacker
        .store
        .lock()
        .unwrap()
        .set_note(visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan.id, NoteField::Learned, "Park.")
        .unwrap();
    assert_eq!(attacker.sync().await.refused_by_peer, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_bombs_are_refused_before_they_are_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &[]);
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let partner = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Grace Okafor")).await;
    attacker.sync().await;
    partner.sync().await;
    let family = data.families.iter().find(|f| f.school_id == rivera.school_id).unwrap();
    let family_doc = DocId::new(DocKind::Family, family.id.uuid());
    let heads_before = admin.document(&family_doc).unwrap().unwrap().get_heads();

    // Her school's family record, rewritten past what a record may hold (a few KB of bytes).
    let (bytes, _) = attacker.store.lock().unwrap().stored_document(&family_doc).unwrap();
    let mut bomb = homevisit_docs::load(&bytes).unwrap();
    for i in 0..=homevisit_docs::limits::MAX_RECORD_OPS {
        bomb.put(ROOT, "x", i as i64).unwrap();
    }
    bomb.commit();
    // A new family whose record is as large.
    let (new_doc, mut new_bomb) = new_family(family);
    for i in 0..=homevisit_docs::limits::MAX_RECORD_OPS {
        new_bomb.put(ROOT, "x", i as i64).unwrap();
    }
    new_bomb.commit();
    // And a bomb under another school's visit: refused as forbidden, unread.
    let elsewhere = DocId::new(DocKind::VisitNotes, visit_of(&data, &["Sami Haddad", "Priya Patel"]).plan.id.uuid());
    let (status, reply) = attacker
        .send(vec![
            sync_with_changes(family_doc, &mut bomb),
            snapshot(new_doc, &mut new_bomb),
            snapshot(elsewhere, &mut new_bomb),
        ])
        .await;
    assert_eq!(status, 200);
    let reply = reply.unwrap();
    assert_eq!(refusal(&reply, family_doc), Some(RejectReason::Malformed), "{:?}", reply.rejected);
    assert_eq!(refusal(&reply, new_doc), Some(RejectReason::Forbidden), "refused, and unknown: {:?}", reply.rejected);
    assert_eq!(refusal(&reply, elsewhere), Some(RejectReason::Forbidden));
    assert_eq!(admin.document(&family_doc).unwrap().unwrap().get_heads(), heads_before, "the record is unchanged");
    assert!(admin.document(&new_doc).unwrap().is_none());
    // The other devices of the school receive nothing of it.
    assert_eq!(partner.sync().await.messages_received, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_request_does_not_hold_up_another_devices_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &[]);
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Arc::new(Device::enroll(&admin, &relay.url(), dir.path(), rivera).await);
    let other = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Sami Haddad")).await;
    other.sync().await;
    let family = data.families.iter().find(|f| f.school_id == rivera.school_id).unwrap();

    // A maximal batch of new records: real work for the relay, a second or more of it.
    let batch: Vec<_> = (0..MAX_BATCH_MESSAGES)
        .map(|_| {
            let (doc, mut content) = new_family(family);
            snapshot(doc, &mut content)
        })
        .collect();
    let base = admin.document_count().unwrap();
    let hostile = tokio::spawn({
        let attacker = attacker.clone();
        async move { attacker.send(batch).await.0 }
    });
    // Another device's syncs go on meanwhile: the relay applies a large request a part at a
    // time, each its own short transaction, and others' requests take their turn between parts
    // (before, the whole request held the storage: a 10,000-message batch held others 4.8 s). So
    // the other device is answered while part, not all, of the batch is stored.
    let mut served_while_applying = 0;
    while !hostile.is_finished() {
        other.sync().await;
        let stored = admin.document_count().unwrap() - base;
        if 0 < stored && stored < MAX_BATCH_MESSAGES {
            served_while_applying += 1;
        }
        tokio::time::sleep(Duration::from_millis(30)).await; // a phone, under its rate limit
    }
    assert_eq!(hostile.await.unwrap(), 200);
    assert_eq!(admin.document_count().unwrap() - base, MAX_BATCH_MESSAGES);
    assert!(served_while_applying >= 1, "no sync of another device was answered while the batch was applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_relay_turns_requests_away_unread_and_phones_come_back_after_the_time_it_gives() {
    // One request worked on at a time and one in line (its body read, or waiting): a third at
    // once is turned away.
    let dir = tempfile::tempdir().unwrap();
    let limits = [("HOMEVISIT_RELAY_RUNNING_SYNCS", "1"), ("HOMEVISIT_RELAY_QUEUED_SYNCS", "1")];
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &limits);
    // Four educators of one school: three send, the fourth's phone syncs.
    let school = educator(&data, "Elena Rivera").school_id;
    let colleagues: Vec<_> = data.educators.iter().filter(|e| e.school_id == school).take(4).collect();
    assert_eq!(colleagues.len(), 4, "the demo school has four educators");
    let mut senders = Vec::new();
    for e in &colleagues[..3] {
        senders.push(Arc::new(Device::enroll(&admin, &relay.url(), dir.path(), e).await));
    }
    let phone = Device::enroll(&admin, &relay.url(), dir.path(), colleagues[3]).await;
    let family = data.families.iter().find(|f| f.school_id == school).unwrap();
    // Maximal batches of new records (a second or more of work each), all sent at once.
    let batch = || -> Vec<u8> {
        let messages = (0..MAX_BATCH_MESSAGES)
            .map(|_| {
                let (doc, mut content) = new_family(family);
                snapshot(doc, &mut content)
            })
            .collect();
        SyncBatch::new(messages).encode()
    };
    let base = admin.document_count().unwrap();
    let http = reqwest::Client::new();
    let mut sending = tokio::task::JoinSet::new();
    for sender in &senders {
        let (http, url, token, body) =
            (http.clone(), format!("{}/v1/sync", relay.url()), sender.token.clone(), batch());
        sending.spawn(async move {
            let r = http.post(url).bearer_auth(token).body(body).send().await.unwrap();
            let after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), after)
        });
    }
    // Meanwhile a phone syncs: turned away while the line is full, it comes back after the time
    // the relay gave and finishes (its client follows Retry-After; no error reaches the app).
    tokio::time::sleep(Duration::from_millis(50)).await;
    phone.sync().await;
    let answers = sending.join_all().await;
    let turned_away = answers.iter().filter(|(status, _)| *status == 503).count();
    assert!(turned_away >= 1, "{answers:?}");
    assert!(answers.iter().all(|(status, _)| *status == 200 || *status == 503), "{answers:?}");
    assert!(
        answers.iter().filter(|(status, _)| *status == 503).all(|(_, after)| after.as_deref() == Some("2")),
        "a turned-away request is told when to come back: {answers:?}"
    );
    // Nothing of a turned-away request was done; every admitted one was stored whole.
    let admitted = answers.len() - turned_away;
    assert_eq!(admin.document_count().unwrap() - base, admitted * MAX_BATCH_MESSAGES);
    let counted = metric(&relay.url(), "homevisit_relay_requests_total{endpoint=\"sync\",status=\"503\"}").await;
    assert!(counted > turned_away as u64, "the phone was turned away too, and still synced: {counted} counted");
}

/// Polls the relay's metrics until `done` holds of (sync requests running, waiting, turned away
/// with 503), and returns them; panics after 30 s.
async fn await_admission(url: &str, done: impl Fn(u64, u64, u64) -> bool) -> (u64, u64, u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        // One scrape for all three (the 503 counter appears with the first 503).
        let text = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
        let value = |name: &str| -> Option<u64> {
            text.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().parse().unwrap())
        };
        let running = value("homevisit_relay_sync_running ").expect("the running gauge");
        let waiting = value("homevisit_relay_sync_waiting ").expect("the waiting gauge");
        let turned_away = value("homevisit_relay_requests_total{endpoint=\"sync\",status=\"503\"}").unwrap_or(0);
        if done(running, waiting, turned_away) {
            return (running, waiting, turned_away);
        }
        assert!(std::time::Instant::now() < deadline, "running {running}, waiting {waiting}, 503 {turned_away}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_device_opening_many_connections_cannot_fill_the_line() {
    // One request worked on at a time, sixteen places in line (a request holds its place from
    // before its body is read until it has a permit).
    let dir = tempfile::tempdir().unwrap();
    let limits = [("HOMEVISIT_RELAY_RUNNING_SYNCS", "1"), ("HOMEVISIT_RELAY_QUEUED_SYNCS", "16")];
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &limits);
    let school = educator(&data, "Elena Rivera").school_id;
    let colleagues: Vec<_> = data.educators.iter().filter(|e| e.school_id == school).take(2).collect();
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), colleagues[0]).await;
    let phone = Device::enroll(&admin, &relay.url(), dir.path(), colleagues[1]).await;

    // The attacker's device opens thirty requests at once and sends none of their bodies: two
    // hold places in line, the rest are turned away (503) before a byte of their bodies is read.
    let head = raw_sync_head(&attacker.token, 4096);
    let mut flood: Vec<TcpStream> = (0..30)
        .map(|_| {
            let mut stream = TcpStream::connect(relay.url().trim_start_matches("http://")).unwrap();
            stream.write_all(head.as_bytes()).unwrap();
            stream
        })
        .collect();
    let (running, _, turned_away) = await_admission(&relay.url(), |_, _, away| away == 28).await;
    assert_eq!((running, turned_away), (0, 28), "one device holds at most two places in line, no permit");
    // What each connection has been answered so far (the two in line: nothing).
    let answered: Vec<bool> = flood
        .iter_mut()
        .map(|stream| {
            stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
            let mut first = [0u8; 12];
            matches!(stream.read(&mut first), Ok(n) if first[..n].starts_with(b"HTTP/1.1 503"))
        })
        .collect();
    assert_eq!(answered.iter().filter(|a| **a).count(), 28, "{answered:?}");

    // Another phone finds a place and a permit, and syncs while the attacker's two still wait for
    // their bodies.
    phone.sync().await;
    drop(flood);
    let (_, _, turned_away) = await_admission(&relay.url(), |_, _, _| true).await;
    assert_eq!(turned_away, 28, "the phone was never turned away");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_the_device_cannot_pay_for_is_refused_before_it_is_read() {
    // A bucket of five turns, one more a second; a body may take 30 s to arrive.
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("HOMEVISIT_RELAY_DEVICE_BURST", "5"),
        ("HOMEVISIT_RELAY_DEVICE_REQUESTS_PER_SECOND", "1"),
        ("HOMEVISIT_RELAY_BODY_TIMEOUT_SECS", "30"),
    ];
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &settings);
    let device = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Elena Rivera")).await;
    // An empty request spends a turn: the bucket is no longer full.
    assert_eq!(device.send(Vec::new()).await.0, 200);
    let received = metric(&relay.url(), "homevisit_relay_sync_bytes_received_total").await;

    // A request declaring 15 MB (about 900 turns, more than the bucket holds now), of which only
    // the first KB comes: refused at once from its declared length, its body never read (else it
    // would wait 30 s for the rest, and be answered 408).
    let mut stream = TcpStream::connect(relay.addr).unwrap();
    stream.write_all(raw_sync_head(&device.token, 15_000_000).as_bytes()).unwrap();
    stream.write_all(&[0; 1024]).unwrap();
    let answer = String::from_utf8_lossy(&read_all(&mut stream, Duration::from_secs(10))).to_string();
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert_eq!(metric(&relay.url(), "homevisit_relay_sync_bytes_received_total").await, received, "nothing read");
    // A declared length over the relay's limit is refused as too large, also unread.
    let mut stream = TcpStream::connect(relay.addr).unwrap();
    stream.write_all(raw_sync_head(&device.token, homevisit_protocol::MAX_BODY_BYTES + 1).as_bytes()).unwrap();
    let answer = String::from_utf8_lossy(&read_all(&mut stream, Duration::from_secs(10))).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // The device's small requests are served again as its turns come back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(device.send(Vec::new()).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_waits_are_one_per_device_and_woken_only_by_what_it_may_read() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &[]);
    let listener = Arc::new(Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Elena Rivera")).await);
    let partner = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Grace Okafor")).await;
    let elsewhere = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Sami Haddad")).await;
    for device in [&*listener, &partner, &elsewhere] {
        device.sync().await;
    }

    // Five waits of the same device: each new one ends the one before at once.
    let empty = SyncBatch::new(Vec::new()).encode();
    let mut waits = Vec::new();
    for _ in 0..5 {
        let (listener, empty) = (listener.clone(), empty.clone());
        waits.push(tokio::spawn(async move { listener.post(empty, "?wait_ms=20000").await }));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let last = waits.pop().unwrap();
    for earlier in waits {
        let (status, reply) = tokio::time::timeout(Duration::from_secs(5), earlier).await.expect("ended").unwrap();
        assert_eq!((status, reply.unwrap().messages.len()), (200, 0), "superseded, with nothing");
    }

    // Another school's edits do not make the waiting device look (before, every stored change
    // in any school woke every waiter: 100 waits + 3 edits = 300 sessions in a second).
    let looks = metric(&relay.url(), "homevisit_relay_live_looks_total").await;
    let theirs = visit_of(&data, &["Sami Haddad", "Priya Patel"]).plan.id;
    for text in ["One.", "Two.", "Three."] {
        elsewhere.store.lock().unwrap().set_note(theirs, NoteField::Learned, text).unwrap();
        elsewhere.sync().await;
    }
    assert_eq!(metric(&relay.url(), "homevisit_relay_live_looks_total").await, looks);
    assert!(!last.is_finished());
    // The partner's edit to their shared visit wakes it, with the edit.
    let shared = visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan.id;
    partner.store.lock().unwrap().set_note(shared, NoteField::Learned, "They love the park.").unwrap();
    partner.sync().await;
    let (status, reply) = tokio::time::timeout(Duration::from_secs(10), last).await.expect("woken").unwrap();
    assert_eq!(status, 200);
    assert!(!reply.unwrap().messages.is_empty(), "the partner's edit arrives");
    assert!(metric(&relay.url(), "homevisit_relay_live_looks_total").await > looks);
}

/// Reads what the relay sends on `stream` until it closes or `within` passes.
fn read_all(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                panic!(
                    "the relay kept the connection open past {within:?}; read so far: {:?}",
                    String::from_utf8_lossy(&out)
                )
            }
            Err(_) => return out, // reset: closed
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_unauthenticated_and_excess_connections_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("HOMEVISIT_RELAY_HEADER_TIMEOUT_SECS", "3"),
        ("HOMEVISIT_RELAY_BODY_TIMEOUT_SECS", "1"),
        ("HOMEVISIT_RELAY_MAX_CONNECTIONS", "6"),
    ];
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &settings);
    let device = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Elena Rivera")).await;
    let addr = relay.addr;

    // A connection that says nothing is closed once the header timeout passes.
    let mut silent = TcpStream::connect(addr).unwrap();
    assert!(read_all(&mut silent, Duration::from_secs(10)).is_empty());
    // A 15 MB body without a token: 401 before the body is read (only its first KB is sent).
    let mut unauthenticated = TcpStream::connect(addr).unwrap();
    write!(unauthenticated, "POST /v1/sync HTTP/1.1\r\nHost: relay\r\nContent-Length: 15000000\r\n\r\n").unwrap();
    unauthenticated.write_all(&[0; 1024]).unwrap();
    let answer = String::from_utf8_lossy(&read_all(&mut unauthenticated, Duration::from_secs(5))).to_string();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    // An authenticated body that stalls: 408 once the body timeout passes.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.write_all(raw_sync_head(&device.token, 1000).as_bytes()).unwrap();
    stalled.write_all(&[0; 10]).unwrap();
    let answer = String::from_utf8_lossy(&read_all(&mut stalled, Duration::from_secs(5))).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // Over the connection limit, a new connection is closed unread: its request gets no answer.
    // Seven idle connections for six slots: even if a connection above still held its slot for a
    // moment (and one of the seven was refused), six of them hold every slot until their header
    // timeout (3 s) when the excess one arrives.
    std::thread::sleep(Duration::from_millis(300));
    let idle: Vec<_> = (0..7).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut excess = TcpStream::connect(addr).unwrap();
    let _ = excess.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
    let answer = read_all(&mut excess, Duration::from_secs(10));
    assert!(answer.is_empty(), "answered over the limit: {:?}", String::from_utf8_lossy(&answer));
    drop(idle);
    // And the relay serves again once they are gone.
    tokio::time::sleep(Duration::from_millis(200)).await;
    device.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_bound_what_one_device_stores_and_what_one_request_costs() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &[("HOMEVISIT_RELAY_DEVICE_DOCUMENTS", "3")]);
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let family = data.families.iter().find(|f| f.school_id == rivera.school_id).unwrap();
    let families: Vec<_> = (0..5).map(|_| new_family(family)).collect();
    let batch = families.iter().map(|(doc, content)| snapshot(*doc, &mut content.clone())).collect();
    let (status, reply) = attacker.send(batch).await;
    assert_eq!(status, 200);
    let reply = reply.unwrap();
    let refused: Vec<_> = families.iter().map(|(doc, _)| refusal(&reply, *doc)).collect();
    assert_eq!(refused.iter().filter(|r| r.is_none()).count(), 3, "{refused:?}");
    assert_eq!(refused.iter().filter(|r| **r == Some(RejectReason::OverQuota)).count(), 2, "{refused:?}");
    assert_eq!(families.iter().filter(|(doc, _)| admin.document(doc).unwrap().is_some()).count(), 3);
    drop(relay);

    // A request's work: past its operations budget, a message waits for the next request.
    let dir = tempfile::tempdir().unwrap();
    let (relay, admin, data) = seeded_relay(&dir.path().join("relay"), &[("HOMEVISIT_RELAY_REQUEST_OPS", "30")]);
    let rivera = educator(&data, "Elena Rivera");
    let attacker = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let family = data.families.iter().find(|f| f.school_id == rivera.school_id).unwrap();
    let (first, mut first_content) = new_family(family);
    let (second, mut second_content) = new_family(family);
    let ops = first_content.stats().num_ops;
    assert!(ops <= 30 && 2 * ops > 30, "two new families ({ops} operations each) pass the budget of 30");
    let (_, reply) =
        attacker.send(vec![snapshot(first, &mut first_content), snapshot(second, &mut second_content)]).await;
    let reply = reply.unwrap();
    assert_eq!((refusal(&reply, first), refusal(&reply, second)), (None, Some(RejectReason::Busy)));
    let (_, reply) = attacker.send(vec![snapshot(second, &mut second_content)]).await;
    assert_eq!(refusal(&reply.unwrap(), second), None, "accepted in the next request");
    assert!(admin.document(&second).unwrap().is_some());

    // A phone whose edits pass the budget sends the rest in its next round, in the same sync.
    let phone_dir = dir.path().join("phone");
    std::fs::create_dir(&phone_dir).unwrap();
    let phone = Device::enroll(&admin, &relay.url(), &phone_dir, rivera).await;
    phone.sync().await;
    let hers: Vec<_> = data.visits.iter().filter(|(l, _)| l.plan.educator_ids.contains(&rivera.id)).take(2).collect();
    assert_eq!(hers.len(), 2, "two of her visits");
    for (log, _) in &hers {
        phone
            .store
            .lock()
            .unwrap()
            .set_note(log.plan.id, NoteField::Learned, "They love the park, and soccer.")
            .unwrap();
    }
    let report = phone.sync().await;
    assert_eq!(report.refused_by_peer, vec![]);
    assert_eq!(phone.store.lock().unwrap().unsynced_count(homevisit_sync::client::RELAY_PEER).unwrap(), 0);
    for (log, _) in &hers {
        assert_eq!(
            homevisit_e2e::relay_note(&admin, log.plan.id, NoteField::Learned),
            "They love the park, and soccer."
        );
    }
}

/// A relay that answers every request with `len` bytes (a `Content-Length`, or chunked without).
fn oversized_relay(len: usize, chunked: bool) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut head = [0u8; 8192];
            let _ = stream.read(&mut head);
            let header = if chunked {
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
            } else {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n")
            };
            if stream.write_all(header.as_bytes()).is_err() {
                continue;
            }
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..len.div_ceil(chunk.len()) {
                let sent = if chunked {
                    write!(stream, "{:x}\r\n", chunk.len())
                        .and_then(|_| stream.write_all(&chunk))
                        .and_then(|_| stream.write_all(b"\r\n"))
                } else {
                    stream.write_all(&chunk)
                };
                if sent.is_err() {
                    break; // the phone hung up: what this test wants
                }
            }
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_refuses_an_oversized_reply_as_it_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(Store::open(dir.path().join("phone.db"), &DbKey::from_bytes([3; 32])).unwrap());
    for chunked in [false, true] {
        let url = oversized_relay(256 << 20, chunked);
        let client = RelayClient::new(&url, "a-token").unwrap();
        let refused = client.sync(&store).await;
        let Err(ClientError::Protocol(homevisit_protocol::ProtocolError::TooLarge(read))) = refused else {
            panic!("chunked {chunked}: {refused:?}")
        };
        if chunked {
            // Stopped as soon as the body passed the limit, one chunk past it at most.
            assert!(read <= homevisit_protocol::MAX_BODY_BYTES + (1 << 20), "read {read} bytes");
        } else {
            assert_eq!(read, 256 << 20, "refused on its declared length, before reading it");
        }
    }
}
