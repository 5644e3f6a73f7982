//! The settings screen's "does my school share my notes with coordinators?": unknown before the
//! first sync, then what the relay's policy record says, following a change of policy at the next
//! sync.

mod common;

use homevisit_ffi::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_shows_its_schools_notes_policy_as_the_relay_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, invites) = common::demo_relay(dir.path()).await;
    let a = open_app(dir.path().join("a").display().to_string(), generate_database_key().unwrap()).await.unwrap();
    assert_eq!(a.school_shares_notes().await.unwrap(), None, "not enrolled");
    a.enroll(relay.url(), common::code(&invites, "Elena Rivera")).await.unwrap();
    a.shutdown(); // syncs only when the test says
    assert_eq!(a.school_shares_notes().await.unwrap(), None, "enrolled, not synced");
    a.sync_now().await.unwrap();
    assert_eq!(a.school_shares_notes().await.unwrap(), Some(false), "notes are the pair's by default");

    let school: homevisit_model::SchoolId = a.whoami().await.unwrap().unwrap().school_id.parse().unwrap();
    // The coordinator's phone (whose answer comes from its own sharing set) and the district
    // administrator's (every sharing school) are told the same.
    let others = [
        open_app(dir.path().join("c").display().to_string(), generate_database_key().unwrap()).await.unwrap(),
        open_app(dir.path().join("d").display().to_string(), generate_database_key().unwrap()).await.unwrap(),
    ];
    others[0].enroll(relay.url(), common::code(&invites, "Dana Johnson")).await.unwrap();
    others[1].enroll(relay.url(), common::code(&invites, "District")).await.unwrap();
    for phone in &others {
        phone.shutdown();
    }
    for shares in [true, false] {
        relay.relay.access().set_coordinators_read_notes(&school, shares).unwrap();
        for phone in std::iter::once(&a).chain(&others) {
            phone.sync_now().await.unwrap();
            assert_eq!(phone.school_shares_notes().await.unwrap(), Some(shares));
        }
    }
    relay.stop().await.unwrap();
}
