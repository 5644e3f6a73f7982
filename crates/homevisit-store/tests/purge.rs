//! Deleting documents with their history (`Store::purge_documents`): every row of them goes, the
//! phone's query tables follow, and the decrypted file keeps no copy of their text (no free page,
//! the WAL truncated); the rest of the store is untouched.

mod common;

use common::*;
use homevisit_docs::{DocId, DocKind};
use homevisit_model::NoteField;

const MARKER: &str = "Purge marker 9b2d: the grandmother grows peppers by the door";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The live content of the encrypted file, decrypted into a plaintext copy, and its free pages.
fn decrypted(dir: &tempfile::TempDir) -> (Vec<u8>, i64) {
    let conn = raw_connection(&db_path(dir));
    let plain = dir.path().join(format!("plain-{}.db", uuid_like()));
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS plaintext KEY ''", [plain.to_str().unwrap()]).unwrap();
    conn.query_row("SELECT sqlcipher_export('plaintext')", [], |_| Ok(())).unwrap();
    conn.execute_batch("DETACH DATABASE plaintext").unwrap();
    (std::fs::read(&plain).unwrap(), free)
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Every text of every stored document (snapshot and chunks loaded together), as JSON.
fn document_texts(dir: &tempfile::TempDir) -> String {
    let conn = raw_connection(&db_path(dir));
    let mut docs: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    for sql in ["SELECT doc_id, data FROM doc_snapshots", "SELECT doc_id, data FROM doc_chunks ORDER BY doc_id, seq"] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).unwrap();
        for (id, blob) in rows.map(Result::unwrap) {
            docs.entry(id).or_default().extend(blob);
        }
    }
    docs.values()
        .map(|b| homevisit_docs::to_json(&homevisit_docs::automerge::AutoCommit::load(b).unwrap()).to_string())
        .collect()
}

#[test]
fn purged_documents_leave_no_row_and_no_text_in_the_decrypted_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let (log, _) = &data.visits[0];
    let visit = log.plan.id;
    // Several edits, so the text is in chunks as well as (after compaction) a snapshot.
    for i in 0..5 {
        store.set_note(visit, NoteField::Learned, &format!("{MARKER} ({i})")).unwrap();
    }
    let notes = DocId::new(DocKind::VisitNotes, visit.uuid());
    let log_doc = DocId::new(DocKind::VisitLog, visit.uuid());
    let family = DocId::new(DocKind::Family, log.plan.family_id.uuid());
    store.save_sync_state(&homevisit_store::PeerId::RELAY, &notes, b"state").unwrap();
    assert!(document_texts(&dir).contains(MARKER), "the check can fail: the marker is there before");
    let before = store.document_ids(None).unwrap().len();

    let gone = [notes, log_doc, family];
    assert_eq!(store.purge_documents(&gone).unwrap(), 3);
    assert_eq!(store.document_ids(None).unwrap().len(), before - 3);
    for id in gone {
        assert!(!store.contains_document(&id).unwrap());
    }
    // The phone's query tables follow.
    assert!(store.visit_log(visit).is_err());
    assert!(!store.families().unwrap().iter().any(|(f, _, _)| *f == log.plan.family_id));
    let conn = raw_connection(&db_path(&dir));
    for table in ["documents", "doc_snapshots", "doc_chunks", "sync_states", "sync_marks", "quarantined_chunks"] {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table} WHERE doc_id = ?1"), [notes.to_string()], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table} keeps a row of the purged notes");
    }
    drop(conn);
    let wal = std::fs::metadata(format!("{}-wal", db_path(&dir).display())).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal, 0, "the WAL is truncated");
    let (plain, free) = decrypted(&dir);
    assert_eq!(free, 0, "no free page keeps old bytes");
    assert!(!contains(&plain, MARKER));
    assert!(!document_texts(&dir).contains(MARKER));
    // Purging what is not stored changes nothing.
    assert_eq!(store.purge_documents(&gone).unwrap(), 0);
    // The rest still works.
    let (other, _) = &data.visits[1];
    store.set_note(other.plan.id, NoteField::Learned, "still here").unwrap();
    assert_eq!(store.note(other.plan.id, NoteField::Learned).unwrap(), "still here");
}
