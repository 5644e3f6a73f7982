//! The relay's HTTP surface: health, body limit (413), per-device budget (429 once a burst is spent), metrics that
//! carry no personal data, and refusing bad bodies and tokens.

use std::net::SocketAddr;

use homevisit_docs::{DocId, DocKind};
use homevisit_protocol::{MAX_BATCH_MESSAGES, MAX_BODY_BYTES, SyncBatch};
use homevisit_relay::{Config, RunningRelay, SYNC_BURST, SYNC_REQUESTS_PER_SECOND, start};

// Crafted messages and raw requests, as the hostile suites make them (`refusal`, `snapshot` are
// not used here).
#[allow(dead_code)]
#[path = "../../tests/craft.rs"]
mod craft;

/// The school every device here is enrolled in.
const SCHOOL: homevisit_model::SchoolId = homevisit_model::SchoolId(uuid::Uuid::from_u128(0x5c4001));

async fn relay(dir: &tempfile::TempDir) -> RunningRelay {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    start(&Config::embedded(dir.path().join("relay"), listen)).await.unwrap()
}

async fn device_token(relay: &RunningRelay) -> (String, String) {
    let role = homevisit_relay::access::Role::Educator(homevisit_model::EducatorId::new());
    let code = relay.relay.access().invite(&SCHOOL, &role).unwrap();
    let e = homevisit_sync::client::enroll(&relay.url(), &code).await.unwrap();
    (e.device_id.to_string(), e.token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_limits_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(&dir).await;
    homevisit_sync::client::install_tls_provider();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", relay.url());

    let health = http.get(url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let (device_id, token) = device_token(&relay).await;
    let sync = |body: Vec<u8>, token: &str| http.post(url("/v1/sync")).bearer_auth(token).body(body).send();

    // Bad bodies and tokens get typed statuses.
    assert_eq!(sync(b"junk".to_vec(), &token).await.unwrap().status(), 400);
    assert_eq!(sync(SyncBatch::new(vec![]).encode(), "wrong").await.unwrap().status(), 401);
    assert_eq!(http.post(url("/v1/sync")).body(SyncBatch::new(vec![]).encode()).send().await.unwrap().status(), 401);

    // A body over the limit: 413, before anything is read into the store.
    let too_big = vec![0u8; MAX_BODY_BYTES + 1];
    assert_eq!(sync(too_big, &token).await.unwrap().status(), 413);

    // A burst of small requests (partners typing, three seconds' worth of the sustained rate at
    // once) is not slowed down...
    let empty = SyncBatch::new(vec![]).encode();
    for _ in 0..(3 * SYNC_REQUESTS_PER_SECOND) {
        assert_eq!(sync(empty.clone(), &token).await.unwrap().status(), 200);
    }
    // ...but a device sending maximal batches (a thousand messages each, about unknown documents)
    // spends the burst after a handful of them and is slowed down with 429.
    let maximal = || {
        SyncBatch::new(
            (0..MAX_BATCH_MESSAGES)
                .map(|_| craft::question(DocId::new(DocKind::VisitNotes, uuid::Uuid::new_v4())))
                .collect(),
        )
        .encode()
    };
    let per_batch = 1 + homevisit_relay::device_limit::batch_cost(MAX_BATCH_MESSAGES, maximal().len());
    // (Sent three at a time, the most one device may have worked on and waiting at once
    // (`admission::WAITING_PER_DEVICE`): one at a time, a debug build's relay takes long enough
    // over each that the budget refills in between, which is the point of a sustained rate.)
    let mut statuses = Vec::new();
    for _ in 0..(SYNC_BURST / per_batch + 10) {
        let mut sending = tokio::task::JoinSet::new();
        for _ in 0..=homevisit_relay::admission::WAITING_PER_DEVICE {
            let (http, url, token, body) = (http.clone(), relay.url(), token.clone(), maximal());
            sending.spawn(async move { craft::post(&http, &url, &token, body, "").await.0 });
        }
        statuses.extend(sending.join_all().await);
        if statuses.contains(&429) {
            break;
        }
    }
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&200) && statuses.contains(&429), "{statuses:?}");
    // ...without affecting another device.
    let (_, other) = device_token(&relay).await;
    assert_eq!(sync(empty.clone(), &other).await.unwrap().status(), 200);

    // Metrics: counts and latencies by endpoint and status, nothing that identifies anyone.
    let metrics = http.get(url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("homevisit_relay_requests_total{endpoint=\"sync\",status=\"429\"}"), "{metrics}");
    assert!(metrics.contains("homevisit_relay_sync_duration_seconds_bucket"), "{metrics}");
    assert!(!metrics.contains(&device_id) && !metrics.contains(&SCHOOL.to_string()) && !metrics.contains(&token));
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_before_the_body_is_read_still_reaches_the_client() {
    // A client sends a whole 16 MB body and only then reads the answer (as plain HTTP clients
    // do). Refused before the body was read (401: an unknown token; 413: a declared length over
    // the limit), the relay still reads the rest and throws it away, so the client's writes
    // finish and the refusal is there to read; dropping the body unread closed the connection
    // under the client's writes, which then failed with a reset and lost the status.
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(&dir).await;
    let addr = relay.addr;
    let (_, token) = device_token(&relay).await;
    for (token, declared, expect) in
        [("unknown".to_string(), MAX_BODY_BYTES, "HTTP/1.1 401"), (token, MAX_BODY_BYTES + 1, "HTTP/1.1 413")]
    {
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
            stream.write_all(craft::raw_sync_head(&token, declared).as_bytes()).unwrap();
            stream.write_all(&vec![0u8; declared]).map_err(|e| format!("writing the body: {e}"))?;
            let mut answer = [0u8; 12];
            stream.read_exact(&mut answer).map_err(|e| format!("reading the answer: {e}"))?;
            Ok::<_, String>(String::from_utf8_lossy(&answer).to_string())
        })
        .await
        .unwrap();
        assert_eq!(answer.as_deref(), Ok(expect));
    }
    relay.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_sent_slowly_do_not_stop_the_relay_working_for_others() {
    // Hostile enrolled devices, one more than the requests the relay works on at once (embedded:
    // 4), each start a sync and then trickle its body (10 bytes of the 1,000 declared, then
    // nothing). When a request took its permit before its body was read, they held every permit
    // for up to the body timeout (60 s), and every other phone waited 20 s in line and was turned
    // away (503). A body is now read before its request waits for a permit: another device's
    // sync is answered while the slow bodies are still arriving.
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(&dir).await;
    homevisit_sync::client::install_tls_provider();
    let mut slow = Vec::new();
    for _ in 0..=homevisit_relay::admission::EMBEDDED_RUNNING {
        let (_, token) = device_token(&relay).await;
        let mut stream = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
        stream.write_all(craft::raw_sync_head(&token, 1000).as_bytes()).await.unwrap();
        stream.write_all(&[0u8; 10]).await.unwrap();
        slow.push(stream);
    }
    // Long enough for the relay to have let every one of them in.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let (_, token) = device_token(&relay).await;
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/sync", relay.url()))
        .bearer_auth(&token)
        .body(SyncBatch::new(vec![]).encode())
        .timeout(std::time::Duration::from_secs(40))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "another device's sync beside the slow bodies");
    // An operator sees them: requests whose bodies are still arriving, none holding a permit.
    let metrics = reqwest::get(format!("{}/metrics", relay.url())).await.unwrap().text().await.unwrap();
    let gauge = |name: &str| metrics.lines().find_map(|l| l.strip_prefix(name)).map(str::trim).map(str::to_owned);
    assert_eq!(gauge("homevisit_relay_sync_reading_bodies ").as_deref(), Some("5"), "{metrics}");
    assert_eq!(gauge("homevisit_relay_sync_running ").as_deref(), Some("0"), "{metrics}");
    // The slow requests are still waiting for their bodies: nothing was answered to them.
    for stream in &slow {
        let mut buf = [0u8; 16];
        assert!(
            matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a slow request was answered"
        );
    }
    // Closing them ends their requests (the relay then stops, nothing left in flight).
    drop(slow);
    relay.stop().await.unwrap();
}
