//! The settings screen's "does my school share my notes with coordinators?": unknown before the
//! first sync, then what the relay's policy record says, following a change of policy at the next
//! sync.

use homevisit_ffi::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_shows_its_schools_notes_policy_as_the_relay_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_relay::start(&homevisit_relay::Config::embedded(
        dir.path().join("relay"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let now = chrono::Local::now();
    let invites = homevisit_relay::demo::import_demo_district(&relay.relay, now.date_naive(), *now.offset())
        .unwrap()
        .expect("an empty relay");
    let rivera = invites.iter().find(|i| i.name == "Elena Rivera").unwrap();
    let a = open_app(dir.path().join("a").display().to_string(), generate_database_key().unwrap()).await.unwrap();
    assert_eq!(a.school_shares_notes().await.unwrap(), None, "not enrolled");
    a.enroll(relay.url(), rivera.code.clone()).await.unwrap();
    a.shutdown(); // syncs only when the test says
    assert_eq!(a.school_shares_notes().await.unwrap(), None, "enrolled, not synced");
    a.sync_now().await.unwrap();
    assert_eq!(a.school_shares_notes().await.unwrap(), Some(false), "notes are the pair's by default");

    let school: homevisit_model::SchoolId = a.whoami().await.unwrap().unwrap().school_id.parse().unwrap();
    relay.relay.access().set_coordinators_read_notes(&school, true).unwrap();
    a.sync_now().await.unwrap();
    assert_eq!(a.school_shares_notes().await.unwrap(), Some(true));
    relay.relay.access().set_coordinators_read_notes(&school, false).unwrap();
    a.sync_now().await.unwrap();
    assert_eq!(a.school_shares_notes().await.unwrap(), Some(false));
    relay.stop().await.unwrap();
}
