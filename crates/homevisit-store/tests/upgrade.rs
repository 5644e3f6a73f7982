//! Opening a file written by an older schema: the store migrates it, rebuilds its query tables
//! from the documents, and upgrades old documents when they are first read.

mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use chrono::{FixedOffset, NaiveDate};
use common::*;
use homevisit_docs::{DocId, DocKind, Record, SCHEMA_KEY, create_notes, create_record, set_channel, set_note_text};
use homevisit_fixtures::demo;
use homevisit_model::*;
use homevisit_store::{Store, StoreError};
use rusqlite::{Connection, params};

/// The v1 schema exactly as the first release wrote it.
const SCHEMA_V1: &str = include_str!("../migrations/001_documents.sql");

fn insert_v1(conn: &Connection, id: &DocId, doc: &mut AutoCommit) {
    let snapshot = doc.save();
    let mut heads = doc.get_heads();
    heads.sort();
    let heads: Vec<u8> = heads.iter().flat_map(|h| h.0).collect();
    conn.execute(
        "INSERT INTO documents (doc_id, kind, snapshot_len, chunk_bytes, heads, updated_at) VALUES (?1, ?2, ?3, 0, ?4, 0)",
        params![id.to_string(), id.kind.as_str(), snapshot.len() as i64, heads],
    )
    .unwrap();
    conn.execute("INSERT INTO doc_snapshots (doc_id, data) VALUES (?1, ?2)", params![id.to_string(), snapshot])
        .unwrap();
}

/// Notes as the v1 app wrote them: the frozen v1 skeleton (no "debrief done" mark), then the text.
fn v1_notes(visit: VisitId, notes: &VisitNotes) -> AutoCommit {
    let mut current = create_notes(visit);
    let creation: Vec<_> =
        current.get_changes_meta(&[]).into_iter().filter(|c| c.deps.is_empty()).map(|c| c.hash).collect();
    let mut doc = current.fork_at(&creation).unwrap().with_actor(ActorId::random());
    assert!(doc.get(ROOT, "debrief_done").unwrap().is_none());
    for field in NoteField::ALL {
        set_note_text(&mut doc, field, notes.field(field)).unwrap();
    }
    set_channel(&mut doc, notes.communication_channel).unwrap();
    doc
}

/// Rewrites a visit-log document into the v1 document schema (place as one string).
fn to_v1_place(doc: &mut AutoCommit, place: &str) {
    let (_, data) = doc.get(ROOT, "data").unwrap().unwrap();
    let (_, plan) = doc.get(&data, "plan").unwrap().unwrap();
    doc.put(&plan, "place", place).unwrap();
    doc.put(ROOT, SCHEMA_KEY, 1u64).unwrap();
    doc.commit();
}

#[test]
fn a_v1_store_file_opens_migrated_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (day, offset) = (NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), FixedOffset::west_opt(8 * 3600).unwrap());
    let data = demo::data_set(day, offset);
    let actor = ActorId::random();

    // Write the file as the v1 store did: schema 1, documents only, no query tables.
    let conn = raw_connection(&path);
    conn.execute_batch(SCHEMA_V1).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    for s in &data.schools {
        insert_v1(&conn, &s.doc_id(), &mut create_record(s, &actor).unwrap());
    }
    for e in &data.educators {
        insert_v1(&conn, &e.doc_id(), &mut create_record(e, &actor).unwrap());
    }
    for f in &data.families {
        insert_v1(&conn, &f.doc_id(), &mut create_record(f, &actor).unwrap());
    }
    let neutral_visit =
        data.visits.iter().find(|(l, _)| matches!(l.plan.place, Place::Neutral { .. })).unwrap().0.plan.id;
    for (log, notes) in &data.visits {
        let mut doc = create_record(log, &actor).unwrap();
        if log.plan.id == neutral_visit {
            let Place::Neutral { description } = &log.plan.place else { unreachable!() };
            to_v1_place(&mut doc, &format!("neutral:{description}"));
        }
        insert_v1(&conn, &log.doc_id(), &mut doc);
        insert_v1(&conn, &DocId::new(DocKind::VisitNotes, log.plan.id.uuid()), &mut v1_notes(log.plan.id, notes));
    }
    drop(conn);

    // The current store opens it: migrated, query tables rebuilt, everything readable.
    let mut store = open(&path);
    let version: i64 = raw_connection(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, homevisit_store::SCHEMA_VERSION);
    assert_eq!(store.visits_on_day(day, offset).unwrap().len(), 3);
    assert_eq!(store.educators().unwrap().len(), data.educators.len());
    let report = store.report_data().unwrap();
    let lincoln = report.schools.iter().find(|s| s.name == "Lincoln Elementary").unwrap().id;
    assert_eq!(report.families.iter().filter(|f| f.school_id == lincoln).count(), 5);
    let completed = |v: &&VisitLog| v.plan.school_id == lincoln && v.outcome.status == VisitStatus::Completed;
    assert_eq!(report.visits.iter().filter(completed).count(), 2);
    // Notes written by the v1 app read with every word, and no "debrief done" mark (v1 had none).
    for (log, notes) in &data.visits {
        let read = store.visit_notes(log.plan.id).unwrap();
        assert_eq!(read, VisitNotes { debrief_done: None, ..notes.clone() });
    }

    // The v1 visit-log document reads as v2, and the upgrade is stored.
    let expected = data.visits.iter().find(|(l, _)| l.plan.id == neutral_visit).unwrap().0.clone();
    assert_eq!(store.visit_log(neutral_visit).unwrap(), expected);
    drop(store);
    let mut store = open(&path);
    let json = store.document_json(&DocId::new(DocKind::VisitLog, neutral_visit.uuid())).unwrap();
    assert_eq!(json[SCHEMA_KEY], 2);
    // ...and so is the notes documents' (v1 -> v2, the step every device adds alike).
    let notes_id = DocId::new(DocKind::VisitNotes, neutral_visit.uuid());
    assert_eq!(store.document_json(&notes_id).unwrap()[SCHEMA_KEY], 2);
    let done = DebriefDone { by: expected.plan.educator_ids[0], at: Timestamp::now() };
    store.mark_debrief_done(neutral_visit, done.by, done.at).unwrap();
    assert_eq!(store.visit_notes(neutral_visit).unwrap().debrief_done, Some(done));
    assert!(store.check_integrity().unwrap().is_clean());
}

#[test]
fn a_file_from_a_newer_app_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(open(&path));
    raw_connection(&path).pragma_update(None, "user_version", 99).unwrap();
    assert!(matches!(
        Store::open(&path, &key(7)),
        Err(StoreError::NewerStoreSchema { found: 99, supported: homevisit_store::SCHEMA_VERSION })
    ));
    let version: i64 = raw_connection(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 99);
}

/// A phone's store from before the document store and its layers were split (schema 4): the
/// relay's record tables were made in every store, and the query tables' build was kept under one
/// key. It opens with its visits, its screens rebuilt, and no relay table left.
#[test]
fn a_store_from_before_the_split_opens_with_its_visits_and_without_relay_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (store, data) = demo_store(&dir);
    let family = data.visits[0].0.plan.family_id;
    let visits = store.visits_for_family(family).unwrap();
    assert!(!visits.is_empty());
    drop(store);
    let conn = raw_connection(&db_path(&dir));
    conn.execute_batch(
        "CREATE TABLE doc_scopes (doc_id TEXT PRIMARY KEY, school_id TEXT, visit_id TEXT, educator_ids TEXT NOT NULL);
         CREATE TABLE visit_contributors (visit_id TEXT NOT NULL, educator_id TEXT NOT NULL);
         CREATE TABLE device_usage (device_id TEXT PRIMARY KEY, documents INTEGER NOT NULL, bytes INTEGER NOT NULL);
         DELETE FROM meta WHERE key IN ('schema:phone', 'index_version:phone');
         INSERT INTO meta (key, value) VALUES ('index_version', 2);
         DELETE FROM visit_index;",
    )
    .unwrap();
    drop(conn);

    let store = open(&db_path(&dir));
    assert_eq!(store.visits_for_family(family).unwrap(), visits, "the screens are rebuilt from the documents");
    let conn = raw_connection(&db_path(&dir));
    let relay_tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('doc_scopes', 'visit_contributors', 'device_usage')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(relay_tables, 0);
}
