//! The sync status screen's "what is waiting and why": an educator's phone that tries to lift a
//! family's "no" (only a coordinator may) sees the family's record waiting, refused as not allowed;
//! its own visit waits with no reason until it syncs, then nothing waits but the refused record;
//! with no signal the status says so, typed.

mod common;

use homevisit_ffi::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_document_is_listed_as_waiting_with_the_relays_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, invites) = common::demo_relay(dir.path()).await;
    let code = common::code(&invites, "Elena Rivera");
    let a = open_app(dir.path().join("a").display().to_string(), generate_database_key().unwrap()).await.unwrap();
    a.enroll(relay.url(), code).await.unwrap();
    a.shutdown(); // syncs only when the test says
    a.sync_now().await.unwrap();
    assert_eq!(a.pending_documents().await.unwrap(), vec![], "all synced");

    // The family says no at today's visit; the decline reaches the relay.
    let me = a.whoami().await.unwrap().unwrap().educator_id.unwrap();
    let visit = a.todays_visits().await.unwrap().into_iter().find(|v| v.educator_ids.contains(&me)).unwrap();
    a.record_family_decline(visit.visit_id.clone(), me.clone()).await.unwrap();
    let waiting = a.pending_documents().await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        (waiting[0].kind.as_str(), waiting[0].id.as_str(), waiting[0].refused),
        ("visit-log", &*visit.visit_id, None)
    );
    a.sync_now().await.unwrap();
    assert_eq!(a.pending_documents().await.unwrap(), vec![]);

    // An educator's phone lifts it anyway: the relay refuses the family's record.
    a.renew_family_agreement(visit.family_id.clone()).await.unwrap();
    a.sync_now().await.unwrap();
    let waiting = a.pending_documents().await.unwrap();
    assert_eq!(
        waiting,
        vec![PendingDocument {
            kind: "family".into(),
            id: visit.family_id.clone(),
            refused: Some(RefusalReason::NotAllowed)
        }]
    );
    assert_eq!(a.unsynced_count().await.unwrap(), 1);
    assert_eq!(a.sync_status().await.unwrap().last_failure, None, "the sync itself succeeded");

    // No signal: the status says why, typed; what waits stays listed.
    relay.stop().await.unwrap();
    assert!(matches!(a.sync_now().await, Err(HomevisitError::Offline)));
    assert_eq!(a.sync_status().await.unwrap().last_failure, Some(SyncProblem::Offline));
    assert_eq!(a.pending_documents().await.unwrap().len(), 1);
}
