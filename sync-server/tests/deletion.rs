//! `family export`, `family delete`, `deletions` and `retention`, as the `homevisit-relay` binary
//! runs them on a relay holding the demo district: on the embedded storage, or on PostgreSQL when
//! `HOMEVISIT_TEST_POSTGRES` names a server (a database of its own per run). Output carries ids
//! and counts, never a name.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use homevisit_docs::{DocId, DocKind};
use homevisit_relay::deletion::DeletionReason;
use homevisit_relay::{Relay, Storage};

fn storage() -> Storage {
    common::storage("hv_del")
}

fn relay(data: &Path, storage: &Storage, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_homevisit-relay"));
    command.arg("--data").arg(data);
    if let Storage::Postgres(url) = storage {
        command.args(["--postgres", url]);
    }
    command.args(args).output().expect("the relay binary runs")
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// A relay holding the demo district (opened, seeded and closed again).
fn seeded(data: &Path, storage: &Storage) -> homevisit_fixtures::DataSet {
    let district = homevisit_fixtures::demo::data_set(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        chrono::FixedOffset::west_opt(8 * 3600).unwrap(),
    );
    let relay = Relay::open_with(data, storage).unwrap();
    relay
        .import_with(|s| {
            s.import_district(&district.schools, &district.educators, &district.families, &district.visits)
        })
        .unwrap();
    district
}

#[test]
fn a_family_is_exported_then_deleted_with_a_receipt_and_stays_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (data, storage) = (dir.path().join("relay"), storage());
    let district = seeded(&data, &storage);
    let family = district.families[0].id;
    let visits: Vec<_> = district.visits.iter().filter(|(l, _)| l.plan.family_id == family).collect();
    assert!(!visits.is_empty(), "the demo family has visits");
    let other = district.families.iter().find(|f| f.id != family).unwrap().id;

    // Export: JSON of every document, a CSV row per visit.
    let out = dir.path().join("export");
    let printed =
        ok(relay(&data, &storage, &["family", "export", &family.to_string(), "--out", out.to_str().unwrap()]));
    assert!(printed.contains(&format!("{} visits", visits.len())), "{printed}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("family.json")).unwrap()).unwrap();
    let documents = json["documents"].as_object().unwrap();
    assert!(documents.contains_key(&DocId::new(DocKind::Family, family.uuid()).to_string()));
    for (log, _) in &visits {
        assert!(documents.contains_key(&DocId::new(DocKind::VisitLog, log.plan.id.uuid()).to_string()));
    }
    let csv = std::fs::read_to_string(out.join("visits.csv")).unwrap();
    assert_eq!(csv.lines().count(), visits.len() + 1, "{csv}");
    assert!(std::fs::read_to_string(out.join("notes.csv")).unwrap().starts_with("visit_id,field,text"));
    // Another family's documents are not in it.
    assert!(!documents.contains_key(&DocId::new(DocKind::Family, other.uuid()).to_string()));

    // Delete: a receipt of ids, no names.
    let printed = ok(relay(&data, &storage, &["family", "delete", &family.to_string()]));
    assert!(printed.contains("receipt "), "{printed}");
    for f in &district.families {
        assert!(!printed.contains(&f.display_name), "the output names a family");
    }
    let relay_handle = Relay::open_with(&data, &storage).unwrap();
    assert!(relay_handle.family_documents(family).unwrap().is_empty());
    assert!(relay_handle.document(&DocId::new(DocKind::Family, family.uuid())).unwrap().is_none());
    for (log, _) in &visits {
        for kind in [DocKind::VisitLog, DocKind::VisitNotes] {
            assert!(relay_handle.document(&DocId::new(kind, log.plan.id.uuid())).unwrap().is_none());
        }
    }
    assert!(!relay_handle.family_documents(other).unwrap().is_empty(), "other families stay");
    let receipts = relay_handle.deletion_receipts().unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].reason, DeletionReason::Family(family));
    assert_eq!(receipts[0].deleted_by, "operator");
    // Every visit's notes id is tombstoned, held or not.
    for (log, _) in &visits {
        assert!(receipts[0].documents.contains(&DocId::new(DocKind::VisitNotes, log.plan.id.uuid())));
    }
    drop(relay_handle);
    let listed = ok(relay(&data, &storage, &["deletions"]));
    assert!(listed.contains(&receipts[0].id.to_string()), "{listed}");
    // Deleting it again, or an unknown family, is an error.
    let again = relay(&data, &storage, &["family", "delete", &family.to_string()]);
    assert!(!again.status.success());
    let audit = ok(relay(&data, &storage, &["audit"]));
    assert!(audit.contains("exported") && audit.contains("deleted"), "{audit}");
}

#[test]
fn retention_purges_old_notes_as_a_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let (data, storage) = (dir.path().join("relay"), storage());
    let district = seeded(&data, &storage);
    let relay_handle = Relay::open_with(&data, &storage).unwrap();
    let notes: Vec<DocId> = district
        .visits
        .iter()
        .map(|(l, _)| DocId::new(DocKind::VisitNotes, l.plan.id.uuid()))
        .filter(|id| relay_handle.document(id).unwrap().is_some())
        .collect();
    assert!(!notes.is_empty(), "the demo district has notes");
    // No retention set: nothing purged.
    assert_eq!(relay_handle.apply_retention(chrono::Utc::now()).unwrap(), None);
    drop(relay_handle);
    assert!(ok(relay(&data, &storage, &["retention", "--notes-months", "12"])).contains("12 months"));
    assert!(ok(relay(&data, &storage, &["retention"])).contains("12 months"));
    let relay_handle = Relay::open_with(&data, &storage).unwrap();
    // Within the retention (the demo visits are this year's): kept.
    let within = chrono::DateTime::parse_from_rfc3339("2027-06-01T00:00:00Z").unwrap().to_utc();
    assert_eq!(relay_handle.apply_retention(within).unwrap(), None);
    // Past it: every visit's notes are purged, logs kept.
    let past = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().to_utc();
    let receipt = relay_handle.apply_retention(past).unwrap().expect("notes past retention");
    assert_eq!(receipt.reason, DeletionReason::Retention);
    let mut purged = receipt.documents.clone();
    purged.sort();
    let mut expected = notes.clone();
    expected.sort();
    assert_eq!(purged, expected);
    for id in &notes {
        assert!(relay_handle.document(id).unwrap().is_none());
        let log = DocId::new(DocKind::VisitLog, id.id);
        assert!(relay_handle.document(&log).unwrap().is_some(), "the visit's log is kept");
    }
    assert_eq!(relay_handle.apply_retention(past).unwrap(), None, "nothing left to purge");
}
