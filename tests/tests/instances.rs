//! Two relay instances on one PostgreSQL database (a district behind a load balancer): a device
//! enrolled through one is known to the other, a change synced to one reaches a device syncing
//! with the other, concurrent edits through both converge (also of a document both create at
//! once), and a revocation made on one holds on the other; an instance with another key is
//! refused. Runs when `HOMEVISIT_TEST_POSTGRES` names a server (`scripts/test` starts one).

use std::sync::Mutex;

use homevisit_fixtures::DataSet;
use homevisit_model::NoteField;
use homevisit_relay::{Config, RunningRelay, Storage, start};
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{ClientError, RelayClient, enroll};

async fn two_instances(dir: &std::path::Path) -> Option<(RunningRelay, RunningRelay)> {
    let first = homevisit_e2e::relay_config(&dir.join("relay-1"), "127.0.0.1:0".parse().unwrap());
    let Storage::Postgres(_) = &first.storage else {
        eprintln!("skipped: set {} to run relays on PostgreSQL", homevisit_e2e::POSTGRES_ENV);
        return None;
    };
    let one = start(&first).await.unwrap();
    // Another instance with a key of its own may not open the database (it could read nothing).
    let stranger = Config { data_dir: dir.join("relay-other-key"), ..first.clone() };
    let refused = start(&stranger).await.err().expect("a different relay key is refused");
    assert!(refused.to_string().contains("another relay key"), "{refused}");
    // The second instance: its own data directory, the same key and database.
    let second = homevisit_e2e::same_storage(&first, &dir.join("relay-2"));
    Some((one, start(&second).await.unwrap()))
}

async fn phone(
    enrolled_by: &RunningRelay,
    enroll_at: &RunningRelay,
    data: &DataSet,
    dir: &std::path::Path,
    name: &str,
) -> (Mutex<Store>, String) {
    let e = data.educators.iter().find(|e| e.display_name == name).unwrap();
    let code = enrolled_by.relay.access().invite(&e.school_id, &homevisit_relay::access::Role::Educator(e.id)).unwrap();
    let token = enroll(&enroll_at.url(), &code).await.unwrap().token;
    let store = Store::open(dir.join(format!("{name}.db")), &DbKey::from_bytes([6; 32])).unwrap();
    (Mutex::new(store), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relay_instances_on_one_database_serve_the_same_district() {
    let dir = tempfile::tempdir().unwrap();
    let Some((one, two)) = two_instances(dir.path()).await else { return };
    let data = homevisit_e2e::district();
    homevisit_e2e::import_district(&one.relay, &data);
    assert_eq!(two.relay.document_count().unwrap(), one.relay.document_count().unwrap());

    // Invited on one instance, enrolled on the other.
    let (a, token_a) = phone(&one, &two, &data, dir.path(), "Elena Rivera").await;
    let (b, token_b) = phone(&two, &one, &data, dir.path(), "Grace Okafor").await;
    let a_via_one = RelayClient::new(&one.url(), &token_a).unwrap();
    let b_via_two = RelayClient::new(&two.url(), &token_b).unwrap();
    a_via_one.sync(&a).await.unwrap();
    b_via_two.sync(&b).await.unwrap();

    // A change synced to one instance reaches a device syncing with the other.
    let visit = data.visits[0].0.plan.id;
    a.lock().unwrap().set_note(visit, NoteField::Learned, "Sofia loves soccer.").unwrap();
    a_via_one.sync(&a).await.unwrap();
    b_via_two.sync(&b).await.unwrap();
    assert_eq!(b.lock().unwrap().note(visit, NoteField::Learned).unwrap(), "Sofia loves soccer.");

    // Both type into the same field at once, each through a different instance: no word lost.
    a.lock().unwrap().splice_note(visit, NoteField::Learned, 0, 0, "Loves maps. ").unwrap();
    b.lock().unwrap().splice_note(visit, NoteField::Learned, 19, 0, " Reads comics.").unwrap();
    let a_via_two = RelayClient::new(&two.url(), &token_a).unwrap();
    let b_via_one = RelayClient::new(&one.url(), &token_b).unwrap();
    let (ra, rb) = tokio::join!(a_via_two.sync(&a), b_via_one.sync(&b));
    ra.unwrap();
    rb.unwrap();
    a_via_one.sync(&a).await.unwrap();
    b_via_two.sync(&b).await.unwrap();
    let text_a = a.lock().unwrap().note(visit, NoteField::Learned).unwrap();
    let text_b = b.lock().unwrap().note(visit, NoteField::Learned).unwrap();
    assert_eq!(text_a, text_b);
    for words in ["Loves maps.", "Sofia loves soccer.", "Reads comics."] {
        assert!(text_a.contains(words), "{words} missing from {text_a}");
    }
    assert_eq!(homevisit_e2e::relay_note(&two.relay, visit, NoteField::Learned), text_a);

    // Revoked through one instance: refused by the other on its next request.
    let device_a = one.relay.access().authenticate(&token_a).unwrap().unwrap().device_id;
    assert!(two.relay.access().revoke(&device_a).unwrap());
    assert!(matches!(a_via_one.sync(&a).await, Err(ClientError::Revoked)));

    one.stop().await.unwrap();
    two.stop().await.unwrap();
}

/// One raw `POST /v1/sync` (as `RelayClient` sends it) of `batch` to the relay at `addr`, over a
/// connection opened beforehand, sent when `start` lets every sender go. Returns the status and the
/// answer's body. Plain blocking I/O: run off the async runtime.
fn post_sync(
    addr: std::net::SocketAddr,
    token: &str,
    batch: &homevisit_sync::SyncBatch,
    start: &std::sync::Barrier,
) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let body = batch.encode();
    let mut request = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    start.wait();
    stream.write_all(&request).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|n| n.trim().parse::<usize>().expect("a length"))
        .expect("a sized answer");
    (status, answer[split + 4..split + 4 + length].to_vec())
}

/// A batch of one `Snapshot` message: the whole document `doc`, as a device sends one the relay
/// has never seen. (This crate does not depend on `homevisit-protocol`: the message is made from
/// its serde form, then given its bytes.)
fn snapshot_batch(
    id: homevisit_docs::DocId,
    doc: &mut homevisit_docs::automerge::AutoCommit,
) -> homevisit_sync::SyncBatch {
    let mut batch: homevisit_sync::SyncBatch = serde_json::from_value(serde_json::json!({
        "version": homevisit_sync::SyncBatch::new(Vec::new()).version,
        "messages": [{
            "doc": { "kind": id.kind.code(), "id": id.id.as_bytes() },
            "form": "Snapshot",
            "data": [],
            "heads": [],
        }],
        "rejected": [],
        "more": false,
    }))
    .expect("a sync batch");
    batch.messages[0].data = doc.save();
    batch.messages[0].heads = doc.get_heads().iter().map(|h| h.0).collect();
    batch
}

/// Whether an answer says the relay holds `id` (a `Holds` message for it).
fn holds(answer: &homevisit_sync::SyncBatch, id: homevisit_docs::DocId) -> bool {
    answer.messages.iter().any(|m| {
        m.doc.kind == id.kind.code()
            && m.doc.id == *id.id.as_bytes()
            && serde_json::to_value(m.form).unwrap() == "Holds"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_creating_the_same_new_document_at_once_both_keep_their_changes() {
    use homevisit_docs::automerge::ActorId;
    use homevisit_model::{EducatorId, Family, FamilyId, SchoolId};

    let dir = tempfile::tempdir().unwrap();
    let Some((one, two)) = two_instances(dir.path()).await else { return };
    let template = homevisit_e2e::district().families[0].clone();

    // Families new to the relay, each created on two phones of its school (one family, two
    // records of it: each has a change the other lacks). Each family has a school of its own, so
    // a phone's answer carries only its own family, not every family sent before (which would
    // make the test quadratic), and each phone sends one request (far under the rate limit).
    const FAMILIES: usize = 40;
    let mut families = Vec::new();
    for i in 0..FAMILIES {
        let school = SchoolId::new();
        let family = Family { id: FamilyId::new(), school_id: school, ..template.clone() };
        let id = homevisit_docs::DocId::new(homevisit_docs::DocKind::Family, family.id.uuid());
        let mut versions = Vec::new();
        for (who, enroll_at) in [("A", &one), ("B", &two)] {
            // Enrolled through the access store, not over HTTP: 80 HTTP clients would take seconds.
            let access = enroll_at.relay.access();
            let code = access.invite(&school, &homevisit_relay::access::Role::Educator(EducatorId::new())).unwrap();
            let (_, token) = access.enroll(&code).unwrap();
            let named = Family { display_name: format!("Family {i} ({who})"), ..family.clone() };
            let mut doc = homevisit_docs::create_record(&named, &ActorId::random()).unwrap();
            versions.push((token, snapshot_batch(id, &mut doc), doc.get_heads()));
        }
        families.push((id, versions));
    }

    // Each family's two versions sent at the same moment, A's through one instance, B's through
    // the other.
    let (addr_one, addr_two) = (one.addr, two.addr);
    let sent: Vec<_> = families
        .iter()
        .map(|(id, v)| (*id, (v[0].0.clone(), v[0].1.clone()), (v[1].0.clone(), v[1].1.clone())))
        .collect();
    tokio::task::spawn_blocking(move || {
        for (id, (token_a, a), (token_b, b)) in sent {
            let start = std::sync::Barrier::new(2);
            let (answer_a, answer_b) = std::thread::scope(|s| {
                let a = s.spawn(|| post_sync(addr_one, &token_a, &a, &start));
                let b = s.spawn(|| post_sync(addr_two, &token_b, &b, &start));
                (a.join().unwrap(), b.join().unwrap())
            });
            for (status, body) in [answer_a, answer_b] {
                assert_eq!(status, 200, "{id}");
                let answer = homevisit_sync::SyncBatch::decode(&body).unwrap();
                assert!(holds(&answer, id), "the relay says it holds {id}");
            }
        }
    })
    .await
    .unwrap();

    // Every change either phone was answered for is stored.
    let mut lost = Vec::new();
    for (id, versions) in &families {
        let mut doc = one.relay.document(id).unwrap().expect("the relay has the family");
        if versions.iter().flat_map(|(_, _, heads)| heads).any(|h| doc.get_change_by_hash(h).is_none()) {
            lost.push(*id);
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {FAMILIES} new families lost a phone's changes, e.g. {:?}",
        lost.len(),
        lost.first()
    );

    one.stop().await.unwrap();
    two.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_has_one_budget_however_many_instances_it_reaches() {
    use homevisit_relay::device_limit::BODY_BYTES_PER_TURN;

    let dir = tempfile::tempdir().unwrap();
    let Some((one, two)) = two_instances(dir.path()).await else { return };
    let access = one.relay.access();
    let school = homevisit_model::SchoolId::new();
    let code = access.invite(&school, &homevisit_relay::access::Role::Educator(homevisit_model::EducatorId::new()));
    let (_, token) = access.enroll(&code.unwrap()).unwrap();
    homevisit_sync::client::install_tls_provider();
    let http = reqwest::Client::new();
    let send = |at: &RunningRelay, body: Vec<u8>| {
        http.post(format!("{}/v1/sync", at.url())).bearer_auth(&token).body(body).send()
    };

    // A hostile device's large request (a body worth 90% of its budget: the relay reads it, and
    // answers 400, not a batch) through one instance...
    let large = || vec![0u8; homevisit_relay::SYNC_BURST as usize * 9 / 10 * BODY_BYTES_PER_TURN];
    assert_eq!(send(&one, large()).await.unwrap().status(), 400);
    // ...and the same through the other: that instance's own bucket for the device is full, but
    // the device's budget is one, and spent (it comes back at the sustained rate, in seconds).
    // Each instance keeping its own gave the device a whole budget per instance.
    assert_eq!(send(&two, large()).await.unwrap().status(), 429);
    // It is slowed down, not cut off: a small request still goes through either.
    let empty = homevisit_sync::SyncBatch::new(Vec::new()).encode();
    assert_eq!(send(&two, empty.clone()).await.unwrap().status(), 200);
    assert_eq!(send(&one, empty).await.unwrap().status(), 200);
    one.stop().await.unwrap();
    two.stop().await.unwrap();
}
