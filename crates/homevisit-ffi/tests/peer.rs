//! Phone to phone in the car, through the app-facing API as the shells use it: two partners'
//! phones that synced with the relay earlier, now with no relay, both write the debrief and
//! exchange bytes over an in-memory pipe. Both debriefs merge; nothing of another visit crosses.

use std::sync::{Arc, Mutex};

mod common;

use homevisit_ffi::*;

struct Changes(Mutex<Vec<ChangedDocument>>);
impl DocumentChangeListener for Changes {
    fn on_documents_changed(&self, documents: Vec<ChangedDocument>) -> Result<(), ListenerError> {
        self.0.lock().unwrap().extend(documents);
        Ok(())
    }
}

/// Runs one exchange to its end over a lossless in-memory pipe (A starts); both sides' summaries.
async fn exchange(a: &PeerExchange, b: &PeerExchange) -> (PeerSummary, PeerSummary) {
    let mut to_b = Some(a.first_message().await.unwrap());
    while let Some(message) = to_b.take() {
        let Some(reply) = b.receive(message).await.unwrap() else { break };
        let Some(back) = a.receive(reply).await.unwrap() else { break };
        to_b = Some(back);
    }
    (a.finish().await.unwrap(), b.finish().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_merge_their_debriefs_phone_to_phone_with_no_relay() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, invites) = common::demo_relay(dir.path()).await;
    let code = |name: &str| common::code(&invites, name);
    let open = |name: &str| open_app(dir.path().join(name).display().to_string(), generate_database_key().unwrap());
    let (a, b) = (open("a").await.unwrap(), open("b").await.unwrap());
    a.enroll(relay.url(), code("Elena Rivera")).await.unwrap();
    b.enroll(relay.url(), code("Grace Okafor")).await.unwrap();
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    a.shutdown();
    b.shutdown();
    relay.stop().await.unwrap(); // in the car: no relay from here on

    // The visit they share today, and one of A's that B's phone does not hold.
    let rivera = a.whoami().await.unwrap().unwrap().educator_id.unwrap();
    let okafor = b.whoami().await.unwrap().unwrap().educator_id.unwrap();
    let today = a.todays_visits().await.unwrap();
    let shared = today.iter().find(|v| v.educator_ids.contains(&okafor)).expect("a shared visit").visit_id.clone();
    let other = today.iter().find(|v| !v.educator_ids.contains(&okafor)).expect("A's other visit").visit_id.clone();
    assert!(matches!(b.note_text(other.clone(), NoteField::Learned).await, Err(HomevisitError::NotFound { .. })));

    a.splice_note(shared.clone(), NoteField::Learned, 0, 0, "Sofia loves soccer.".into()).await.unwrap();
    b.splice_note(shared.clone(), NoteField::Learned, 0, 0, "Mateo draws dragons. ".into()).await.unwrap();
    b.mark_debrief_done(shared.clone(), okafor.clone()).await.unwrap();
    a.splice_note(other.clone(), NoteField::Learned, 0, 0, "Only for the other visit.".into()).await.unwrap();
    let heard = Arc::new(Changes(Mutex::new(vec![])));
    let _sub = b.subscribe_document_changes(heard.clone());

    let pa = a.start_peer_exchange(shared.clone(), okafor.clone()).unwrap();
    let pb = b.start_peer_exchange(shared.clone(), rivera.clone()).unwrap();
    let (sa, sb) = exchange(&pa, &pb).await;

    let text_a = a.note_text(shared.clone(), NoteField::Learned).await.unwrap();
    let text_b = b.note_text(shared.clone(), NoteField::Learned).await.unwrap();
    assert_eq!(text_a, text_b);
    assert!(text_a.contains("Sofia loves soccer.") && text_a.contains("Mateo draws dragons."), "{text_a}");
    assert_eq!(a.debrief_done(shared.clone()).await.unwrap().map(|d| d.educator_id), Some(okafor.clone()));
    assert_eq!((sa.documents_changed, sb.documents_changed), (1, 1), "{sa:?} {sb:?}");
    assert_eq!((sa.documents_refused, sb.documents_refused), (0, 0));
    // Nothing of the other visit crossed; B's screen heard of the shared visit's notes.
    assert!(matches!(b.note_text(other.clone(), NoteField::Learned).await, Err(HomevisitError::NotFound { .. })));
    let heard = heard.0.lock().unwrap().clone();
    assert!(heard.iter().any(|d| d.kind == "visit-notes" && d.id == shared), "{heard:?}");
    assert!(heard.iter().all(|d| d.id == shared), "{heard:?}");

    // A second exchange has nothing to move; a used exchange and a garbled message are typed errors.
    let (again, _) = exchange(
        &a.start_peer_exchange(shared.clone(), okafor.clone()).unwrap(),
        &b.start_peer_exchange(shared.clone(), rivera.clone()).unwrap(),
    )
    .await;
    assert_eq!(again.documents_changed, 0);
    assert!(matches!(pa.finish().await, Err(HomevisitError::Invalid { .. })));
    let fresh = b.start_peer_exchange(shared.clone(), rivera.clone()).unwrap();
    assert!(matches!(fresh.receive(b"not a message".to_vec()).await, Err(HomevisitError::Invalid { .. })));
    assert!(matches!(a.start_peer_exchange(shared.clone(), "Ms. Rivera".into()), Err(HomevisitError::Invalid { .. })));
}
