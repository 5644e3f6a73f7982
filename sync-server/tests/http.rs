//! The relay's HTTP surface: health, body limit (413), per-device rate limit (429), metrics that
//! carry no personal data, and refusing bad bodies and tokens.

use std::net::SocketAddr;

use homevisit_protocol::{MAX_BODY_BYTES, SyncBatch};
use homevisit_relay::{Config, RunningRelay, SYNC_REQUESTS_PER_SECOND, start};

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

    // One device sending far more than its share is slowed down with 429.
    let empty = SyncBatch::new(vec![]).encode();
    let mut statuses = Vec::new();
    for _ in 0..(3 * SYNC_REQUESTS_PER_SECOND) {
        statuses.push(sync(empty.clone(), &token).await.unwrap().status().as_u16());
    }
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
