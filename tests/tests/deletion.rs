//! A family's deletion against a real relay process (embedded, or PostgreSQL when
//! `HOMEVISIT_TEST_POSTGRES` is set): the export holds what the phone wrote; after `family
//! delete` no trace of it is left in the relay's files (raw and decrypted) or rows; the phone's
//! next sync deletes it from its store (raw and decrypted) and confirms; the receipt lists that
//! confirmation; a hostile device sending the deleted documents back is refused. The district's
//! notes retention reaches phones the same way.

use std::path::Path;

use homevisit_docs::{DocId, DocKind};
use homevisit_e2e::attacker::{self, Device, educator, refusal};
use homevisit_model::{FamilyAgreement, NoteField, Place, Timestamp, VisitId, VisitNumber, VisitPlan};
use homevisit_protocol::RejectReason;
use homevisit_relay::deletion::DeletionReason;
use homevisit_store::DbKey;

/// The relay process every test here starts (see `homevisit_e2e::RelayProcess`).
/// No trace of [`MARKER`] in the phone's store: not in its files as they are on disk, not in its
/// decrypted pages (and no free page that could keep one), not in any document it holds.
fn assert_no_trace_on_the_phone(phone_db: &Path, phone_key: &DbKey, scratch: &Path) {
    assert!(!contains(&raw_files(phone_db), MARKER));
    let (plain, free) = decrypted(phone_db, phone_key, scratch);
    assert_eq!(free, 0);
    assert!(!contains(&plain, MARKER), "the phone's decrypted store holds the marker");
    assert!(!document_texts(phone_db, phone_key).contains(MARKER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the deletion tests, started by them"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

/// A sentence no demo record holds, so any copy of it anywhere is the phone's note.
const MARKER: &str = "Marker 5f1e: the family keeps three beehives on the garage roof";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The bytes of an encrypted SQLite file and its WAL, as they are on disk.
fn raw_files(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap();
    bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
    bytes
}

/// Every page of an encrypted SQLite file's live content, decrypted (`sqlcipher_export` into a
/// plaintext copy), and its free page count. With no free pages (the deletion's VACUUM), the live
/// content is all there is to read.
fn decrypted(db: &Path, key: &DbKey, scratch: &Path) -> (Vec<u8>, i64) {
    // Read-write: the plaintext copy is attached to it (an attached file takes the main one's flags).
    let conn = homevisit_store::open_encrypted(db, key, rusqlite::OpenFlags::default()).unwrap();
    let plain = scratch.join(format!("plain-{}.db", uuid::Uuid::new_v4()));
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS plaintext KEY ''", [plain.to_str().unwrap()]).unwrap();
    conn.query_row("SELECT sqlcipher_export('plaintext')", [], |_| Ok(())).unwrap();
    conn.execute_batch("DETACH DATABASE plaintext").unwrap();
    let bytes = std::fs::read(&plain).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"), "the copy is plaintext");
    (bytes, free)
}

/// Every text the document rows of a decrypted store hold, loaded as Automerge (snapshots and
/// chunks): a marker in a compressed column is found here even where the bytes do not show it.
fn document_texts(db: &Path, key: &DbKey) -> String {
    let conn = homevisit_store::open_encrypted(db, key, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut docs: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    for sql in [
        "SELECT doc_id, data FROM doc_snapshots",
        "SELECT doc_id, data FROM doc_chunks ORDER BY doc_id, seq",
        "SELECT doc_id, data FROM quarantined_chunks ORDER BY doc_id, seq",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).unwrap();
        for (id, blob) in rows.map(Result::unwrap) {
            docs.entry(id).or_default().extend(blob);
        }
    }
    let mut text = String::new();
    for bytes in docs.values() {
        let doc = homevisit_docs::automerge::AutoCommit::load(bytes).expect("a stored document loads");
        text.push_str(&homevisit_docs::to_json(&doc).to_string());
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_family_leaves_no_trace_on_the_relay_or_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let (relay, admin, data) = attacker::seeded_relay(&relay_dir, "relay_process", "", &[]);
    let embedded = matches!(
        homevisit_e2e::relay_config(&relay_dir, "127.0.0.1:0".parse().unwrap()).storage,
        homevisit_relay::Storage::Embedded
    );
    let (rivera, okafor) = (educator(&data, "Elena Rivera"), educator(&data, "Grace Okafor"));
    let phone = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    let partner = Device::enroll(&admin, &relay.url(), dir.path(), okafor).await;
    phone.sync().await;

    // Their visit's notes hold the marker; the relay receives them, and so does her partner.
    let visit = &attacker::visit_of(&data, &["Elena Rivera", "Grace Okafor"]);
    let family = visit.plan.family_id;
    let (family_doc, log_doc, notes_doc) = (
        DocId::new(DocKind::Family, family.uuid()),
        DocId::new(DocKind::VisitLog, visit.plan.id.uuid()),
        DocId::new(DocKind::VisitNotes, visit.plan.id.uuid()),
    );
    phone.store.lock().unwrap().set_note(visit.plan.id, NoteField::Learned, MARKER).unwrap();
    phone.sync().await;
    assert_eq!(homevisit_e2e::relay_note(&admin, visit.plan.id, NoteField::Learned), MARKER);
    partner.sync().await;
    assert_eq!(partner.store.lock().unwrap().note(visit.plan.id, NoteField::Learned).unwrap(), MARKER);
    // What a device holding them could send back later.
    let held: Vec<(DocId, Vec<u8>)> = [family_doc, log_doc, notes_doc]
        .iter()
        .map(|id| (*id, phone.store.lock().unwrap().document_bytes(id).unwrap()))
        .collect();

    // The export holds everything: the family, the visit, the note.
    let out = dir.path().join("export");
    let export = admin.export_family(family).unwrap();
    export.write_to(&out).unwrap();
    let ids: Vec<DocId> = export.documents.iter().map(|(id, _)| *id).collect();
    for id in [family_doc, log_doc, notes_doc] {
        assert!(ids.contains(&id), "{id} missing from the export: {ids:?}");
    }
    assert!(std::fs::read_to_string(out.join("family.json")).unwrap().contains(MARKER));
    assert!(std::fs::read_to_string(out.join("notes.csv")).unwrap().contains(MARKER));
    assert!(std::fs::read_to_string(out.join("visits.csv")).unwrap().contains(&visit.plan.id.to_string()));

    // The checks below can fail: before the deletion they find the marker.
    let relay_key = DbKey::from_hex(std::fs::read_to_string(relay_dir.join("relay.key")).unwrap().trim()).unwrap();
    let relay_db = relay_dir.join("documents.db");
    if embedded {
        let texts = document_texts(&relay_db, &relay_key);
        assert!(texts.contains(MARKER), "the relay's decrypted documents hold the note before deletion");
        assert!(contains(&decrypted(&relay_db, &relay_key, dir.path()).0, MARKER), "and its decrypted bytes");
    }
    let phone_db = dir.path().join(format!("{}.db", rivera.id));
    let phone_key = DbKey::from_bytes([5; 32]);
    assert!(document_texts(&phone_db, &phone_key).contains(MARKER));
    assert!(contains(&decrypted(&phone_db, &phone_key, dir.path()).0, MARKER));

    // Deleted, with a receipt that holds ids only.
    let receipt = admin.delete_family(family).unwrap();
    assert_eq!(receipt.reason, DeletionReason::Family(family));
    for id in [family_doc, log_doc, notes_doc] {
        assert!(receipt.documents.contains(&id), "{id} not in the receipt");
        assert!(admin.document(&id).unwrap().is_none(), "{id} still on the relay");
    }
    assert!(admin.family_documents(family).unwrap().is_empty());
    let described = receipt.describe();
    let names = data.families.iter().map(|f| f.display_name.as_str());
    for text in names.chain([MARKER]) {
        assert!(!described.contains(text), "the receipt names {text:?}");
    }

    if embedded {
        // No trace in the files as stored (encrypted), nor decrypted: no free page keeps old
        // bytes, the WAL is truncated, and no row or document holds the text.
        assert!(!contains(&raw_files(&relay_db), MARKER));
        let wal = std::fs::metadata(relay_db.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal, 0, "the WAL was truncated after the deletion");
        let (plain, free) = decrypted(&relay_db, &relay_key, dir.path());
        assert_eq!(free, 0, "no free pages keep deleted bytes");
        assert!(!contains(&plain, MARKER), "the decrypted relay file holds the marker");
        assert!(!document_texts(&relay_db, &relay_key).contains(MARKER));
    } else {
        // PostgreSQL: the rows are gone (the document bytes there are sealed with the relay key,
        // so grepping the server's files would prove nothing either way).
        let url = match homevisit_e2e::relay_config(&relay_dir, "127.0.0.1:0".parse().unwrap()).storage {
            homevisit_relay::Storage::Postgres(url) => url,
            homevisit_relay::Storage::Embedded => unreachable!(),
        };
        let ids: Vec<String> = [family_doc, log_doc, notes_doc].iter().map(|d| d.to_string()).collect();
        let counts = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            ["documents", "sync_states", "sync_marks"]
                .iter()
                .map(|t| {
                    let n: i64 = c
                        .query_one(&format!("SELECT count(*) FROM {t} WHERE doc_id = ANY($1)"), &[&ids])
                        .unwrap()
                        .get(0);
                    (t.to_string(), n)
                })
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        for (table, n) in counts {
            assert_eq!(n, 0, "{table} still has rows of the deleted documents");
        }
    }

    // An old app (protocol version 2) is answered in version 2, which has no deletion list: it is
    // not told (and confirms nothing), and keeps syncing.
    let mut old_app = homevisit_protocol::SyncBatch::new(Vec::new());
    old_app.version = 2;
    let (status, reply) = phone.post(old_app.encode(), "").await;
    assert_eq!(status, 200);
    let reply = reply.expect("a version 2 answer decodes");
    assert_eq!(reply.version, 2);
    assert!(reply.deleted.is_empty());
    // A version 3 request is told.
    let (_, reply) = phone.send(Vec::new()).await;
    let told: Vec<DocId> = reply.unwrap().deleted.iter().map(|w| DocId::try_from(*w).unwrap()).collect();
    for id in [family_doc, log_doc, notes_doc] {
        assert!(told.contains(&id), "{id} not listed as deleted: {told:?}");
    }

    // The phone's next sync deletes them, with their history, and confirms.
    phone.sync().await;
    let held_now = phone.held();
    for id in [family_doc, log_doc, notes_doc] {
        assert!(!held_now.contains(&id), "the phone still holds {id}");
    }
    assert!(!held_now.is_empty(), "the rest of the school stays");
    assert_no_trace_on_the_phone(&phone_db, &phone_key, dir.path());
    let receipts = admin.deletion_receipts().unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].confirmations.len(), 1, "the phone's confirmation is on the receipt");
    // Once confirmed, it is not told again.
    let (_, reply) = phone.send(Vec::new()).await;
    assert!(reply.unwrap().deleted.is_empty());
    // Every device of the school is told: her partner's phone deletes them at its next sync too,
    // and both confirmations are on the receipt.
    partner.sync().await;
    for id in [family_doc, log_doc, notes_doc] {
        assert!(!partner.held().contains(&id), "the partner's phone still holds {id}");
    }
    let partner_db = dir.path().join(format!("{}.db", okafor.id));
    assert!(!document_texts(&partner_db, &phone_key).contains(MARKER));
    assert_eq!(admin.deletion_receipts().unwrap()[0].confirmations.len(), 2);
    // Another school's device is not told, and its confirmations of them count for nothing.
    let stranger = Device::enroll(&admin, &relay.url(), dir.path(), educator(&data, "Sami Haddad")).await;
    assert_ne!(educator(&data, "Sami Haddad").school_id, rivera.school_id);
    let mut claim = homevisit_protocol::SyncBatch::new(Vec::new());
    // (Every id of the receipt: confirming all of them is what would put it on the receipt.)
    claim.confirmed_deleted = receipt.documents.iter().map(|d| (*d).into()).collect();
    let (status, reply) = stranger.post(claim.encode(), "").await;
    assert_eq!(status, 200);
    assert!(reply.unwrap().deleted.is_empty());
    let receipt = &admin.deletion_receipts().unwrap()[0];
    assert_eq!(receipt.confirmations.len(), 2, "{:?}", receipt.confirmations);

    // A hostile device (the same phone's token, speaking the protocol itself) sends them back:
    // refused, and nothing is stored.
    for (id, bytes) in &held {
        let message = attacker::snapshot(*id, &mut homevisit_docs::load(bytes).unwrap());
        let (status, reply) = phone.send(vec![message]).await;
        assert_eq!(status, 200);
        assert_eq!(refusal(&reply.unwrap(), *id), Some(RejectReason::Forbidden), "{id}");
        assert!(admin.document(id).unwrap().is_none(), "{id} came back");
    }
    drop(relay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_purges_old_notes_from_the_phone_at_its_next_sync() {
    let dir = tempfile::tempdir().unwrap();
    let relay_dir = dir.path().join("relay");
    let (relay, admin, data) = attacker::seeded_relay(&relay_dir, "relay_process", "", &[]);
    let (rivera, okafor) = (educator(&data, "Elena Rivera"), educator(&data, "Grace Okafor"));
    let phone = Device::enroll(&admin, &relay.url(), dir.path(), rivera).await;
    phone.sync().await;

    // On her phone: a visit of more than a year ago (after she was trained, so her phone plans
    // it), whose notes hold the marker, and a note on today's visit.
    let lopez = data.families.iter().find(|f| f.display_name == "Lopez family").unwrap();
    let long_ago = Timestamp::parse_rfc3339("2025-09-12T17:00:00Z").unwrap();
    let old = VisitPlan {
        id: VisitId::new(),
        family_id: lopez.id,
        school_id: lopez.school_id,
        visit_number: VisitNumber::First,
        educator_ids: vec![rivera.id, okafor.id],
        interpreter: None,
        place: Place::Home,
        scheduled_at: long_ago,
        family_agreement: Some(FamilyAgreement { agreed_at: long_ago, recorded_by: rivera.id }),
        expected_end: None,
    };
    let recent = attacker::visit_of(&data, &["Elena Rivera", "Grace Okafor"]).plan.id;
    let kept = "Ask about the library card";
    {
        let mut store = phone.store.lock().unwrap();
        store.plan_visit(&old).unwrap();
        store.set_note(old.id, NoteField::Learned, MARKER).unwrap();
        store.set_note(recent, NoteField::NextSteps, kept).unwrap();
    }
    phone.sync().await;
    assert_eq!(phone.unsynced(), 0);
    assert_eq!(homevisit_e2e::relay_note(&admin, old.id, NoteField::Learned), MARKER);
    let (old_log, old_notes) =
        (DocId::new(DocKind::VisitLog, old.id.uuid()), DocId::new(DocKind::VisitNotes, old.id.uuid()));
    // The checks below can fail: before retention is applied they find the marker.
    let phone_db = dir.path().join(format!("{}.db", rivera.id));
    let phone_key = DbKey::from_bytes([5; 32]);
    assert!(document_texts(&phone_db, &phone_key).contains(MARKER));

    // The district keeps notes for a year; the operator applies it (`retention apply`).
    admin.set_notes_retention(12).unwrap();
    let receipt = admin.apply_retention(chrono::Utc::now()).unwrap().expect("notes older than a year");
    assert_eq!(receipt.reason, DeletionReason::Retention);
    assert_eq!(receipt.documents, [old_notes], "only the old visit's notes");

    // Her phone's next sync deletes them, with their history, and confirms; the visit's log (a
    // coordinator's stipend record) and the recent note stay.
    phone.sync().await;
    let held = phone.held();
    assert!(!held.contains(&old_notes), "the phone still holds the old notes");
    assert!(held.contains(&old_log), "the old visit's log is kept");
    assert_eq!(phone.store.lock().unwrap().note(recent, NoteField::NextSteps).unwrap(), kept);
    assert_no_trace_on_the_phone(&phone_db, &phone_key, dir.path());
    let receipts = admin.deletion_receipts().unwrap();
    let on_receipt = receipts.iter().find(|r| r.id == receipt.id).expect("the retention receipt");
    let confirmed: Vec<&homevisit_sync::DeviceId> = on_receipt.confirmations.iter().map(|(d, _)| d).collect();
    assert_eq!(confirmed, [&phone.device_id], "the phone's confirmation is on the receipt");
    drop(relay);
}
