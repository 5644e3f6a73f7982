//! The app-facing API from Rust, as the shells use it: two phones and a relay on loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{FixedOffset, NaiveDate};
use homevisit_ffi::*;

struct Changes(Mutex<Vec<ChangedDocument>>);
impl DocumentChangeListener for Changes {
    fn on_documents_changed(&self, documents: Vec<ChangedDocument>) -> Result<(), ListenerError> {
        self.0.lock().unwrap().extend(documents);
        Ok(())
    }
}

struct Progress(Mutex<(usize, Vec<Option<String>>)>);
impl SyncProgressListener for Progress {
    fn on_progress(&self, _progress: SyncProgress) -> Result<(), ListenerError> {
        self.0.lock().unwrap().0 += 1;
        Ok(())
    }
    fn on_finished(&self, error: Option<String>) -> Result<(), ListenerError> {
        self.0.lock().unwrap().1.push(error);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_plan_co_edit_and_sync_through_a_relay() {
    let dir = tempfile::tempdir().unwrap();
    let data = homevisit_fixtures::demo::data_set(
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        FixedOffset::west_opt(8 * 3600).unwrap(),
    );
    let relay = homevisit_relay::start(&homevisit_relay::Config::embedded(
        dir.path().join("relay"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    relay
        .relay
        .import_with(|s| s.import_district(&data.schools, &data.educators, &data.families, &data.visits))
        .unwrap();
    let invite = |name: &str| {
        let e = data.educators.iter().find(|e| e.display_name == name).unwrap();
        relay.relay.access().invite(&e.school_id, &homevisit_relay::access::Role::Educator(e.id)).unwrap()
    };

    // Wrong key and bad input are typed errors.
    let key = generate_database_key().unwrap();
    let a = open_app(dir.path().join("a").display().to_string(), key.clone()).await.unwrap();
    drop(a);
    let wrong = open_app(dir.path().join("a").display().to_string(), generate_database_key().unwrap()).await;
    assert!(matches!(wrong, Err(HomevisitError::WrongKey)), "{:?}", wrong.err());
    assert!(matches!(
        open_app(dir.path().join("x").display().to_string(), "abc".into()).await,
        Err(HomevisitError::Invalid { .. })
    ));

    let a = open_app(dir.path().join("a").display().to_string(), key).await.unwrap();
    let b = open_app(dir.path().join("b").display().to_string(), generate_database_key().unwrap()).await.unwrap();
    assert!(matches!(a.sync_now().await, Err(HomevisitError::NotEnrolled)));
    a.enroll(relay.url(), invite("Elena Rivera")).await.unwrap();
    b.enroll(relay.url(), invite("Grace Okafor")).await.unwrap();
    assert!(matches!(b.enroll(relay.url(), "used-or-unknown".into()).await, Err(HomevisitError::Unauthorized)));
    let progress = Arc::new(Progress(Mutex::new((0, vec![]))));
    let _p = a.subscribe_sync_progress(progress.clone());
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    assert!(progress.0.lock().unwrap().1.contains(&None), "the progress listener heard a successful sync");

    // Plan a visit with the partner; an invalid one (one adult) is refused.
    let roster = a.roster().await.unwrap();
    let rivera = roster.educators.iter().find(|e| e.display_name == "Elena Rivera").unwrap();
    let okafor = roster.educators.iter().find(|e| e.display_name == "Grace Okafor").unwrap();
    let family = roster.families.iter().find(|f| f.school_id == rivera.school_id).unwrap();
    let mut plan = VisitPlan {
        visit_id: String::new(),
        family_id: family.id.clone(),
        school_id: rivera.school_id.clone(),
        visit_number: 1,
        educator_ids: vec![rivera.id.clone()],
        interpreter: None,
        place: Place::Home,
        scheduled_at_ms: 1_795_000_000_000,
        expected_end_ms: None,
        family_agreed_at_ms: None,
        agreement_recorded_by: None,
    };
    assert!(matches!(a.plan_visit(plan.clone()).await, Err(HomevisitError::Invalid { .. })));
    plan.educator_ids.push(okafor.id.clone());
    let visit = a.plan_visit(plan).await.unwrap();
    assert_eq!(a.visit(visit.clone()).await.unwrap().plan.educator_ids.len(), 2);
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();

    // Both type into the same debrief field at once; B hears about A's words.
    let changes = Arc::new(Changes(Mutex::new(vec![])));
    let sub = b.subscribe_document_changes(changes.clone());
    a.splice_note(visit.clone(), NoteField::Learned, 0, 0, "Sofia loves soccer 🎨.".into()).await.unwrap();
    b.splice_note(visit.clone(), NoteField::Learned, 0, 0, "Mateo draws dragons. ".into()).await.unwrap();
    // UTF-16 positions, in a field only A writes (background sync may merge B's words into the
    // shared one at any moment): 🎨 is two units, and a position between them is refused.
    a.splice_note(visit.clone(), NoteField::UseInClass, 0, 0, "Art corner 🎨!".into()).await.unwrap();
    let inside_emoji = a.splice_note(visit.clone(), NoteField::UseInClass, 12, 0, "x".into()).await;
    assert!(matches!(inside_emoji, Err(HomevisitError::Invalid { .. })), "{inside_emoji:?}");
    a.splice_note(visit.clone(), NoteField::UseInClass, 13, 1, ".".into()).await.unwrap();
    assert_eq!(a.note_text(visit.clone(), NoteField::UseInClass).await.unwrap(), "Art corner 🎨.");
    for _ in 0..2 {
        a.sync_now().await.unwrap();
        b.sync_now().await.unwrap();
    }
    let (ta, tb) = (
        a.note_text(visit.clone(), NoteField::Learned).await.unwrap(),
        b.note_text(visit.clone(), NoteField::Learned).await.unwrap(),
    );
    assert_eq!(ta, tb);
    assert!(ta.contains("Sofia loves soccer 🎨.") && ta.contains("Mateo draws dragons."), "{ta}");
    assert!(changes.0.lock().unwrap().iter().any(|d| d.kind == "visit-notes" && d.id == visit));
    sub.cancel();
    assert_eq!(a.unsynced_count().await.unwrap(), 0);

    // Live mode: B receives A's next words without syncing by hand.
    b.set_live(true).await.unwrap();
    let live_changes = Arc::new(Changes(Mutex::new(vec![])));
    let _sub = b.subscribe_document_changes(live_changes.clone());
    a.splice_note(visit.clone(), NoteField::NextSteps, 0, 0, "Invite to literacy night.".into()).await.unwrap();
    a.sync_now().await.unwrap();
    // The words are stored first and the listener hears of them just after: wait for both.
    let heard_of_visit = || live_changes.0.lock().unwrap().iter().any(|d| d.id == visit);
    let mut waited = Duration::ZERO;
    while (b.note_text(visit.clone(), NoteField::NextSteps).await.unwrap().is_empty() || !heard_of_visit())
        && waited < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    assert_eq!(b.note_text(visit.clone(), NoteField::NextSteps).await.unwrap(), "Invite to literacy night.");
    assert!(heard_of_visit(), "the live listener heard which document changed");
    assert!(b.sync_status().await.unwrap().live);

    // Shutting down ends subscriptions at once: A's next words reach B, but B's listener hears nothing.
    b.shutdown();
    let heard = live_changes.0.lock().unwrap().len();
    a.splice_note(visit.clone(), NoteField::NextSteps, 0, 0, "Soon: ".into()).await.unwrap();
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    assert!(b.note_text(visit.clone(), NoteField::NextSteps).await.unwrap().starts_with("Soon: "));
    assert_eq!(live_changes.0.lock().unwrap().len(), heard, "no listener is called after shutdown");

    // Sign out wipes the phone; the app is closed afterwards.
    b.sign_out_and_wipe().await.unwrap();
    assert!(matches!(b.todays_visits().await, Err(HomevisitError::Closed)));
    assert!(!dir.path().join("b").join("homevisit.db").exists());
    relay.stop().await.unwrap();
}
