//! Two relay instances on one PostgreSQL database (a district behind a load balancer): a device
//! enrolled through one is known to the other, a change synced to one reaches a device syncing
//! with the other, concurrent edits through both converge, and a revocation made on one holds on
//! the other; an instance with another key is refused. Runs when `HOMEVISIT_TEST_POSTGRES` names a server (`scripts/test` starts one).

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
    let code =
        enrolled_by.relay.access().invite(&e.school_id.to_string(), "educator", Some(&e.id.to_string())).unwrap();
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
    let (a, token_a) = phone(&one, &two, &data, dir.path(), "Ms. Rivera").await;
    let (b, token_b) = phone(&two, &one, &data, dir.path(), "Ms. Okafor").await;
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
    assert!(matches!(a_via_one.sync(&a).await, Err(ClientError::Unauthorized)));

    one.stop().await.unwrap();
    two.stop().await.unwrap();
}
