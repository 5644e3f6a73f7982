//! Upserting a roster on the embedded storage: new, unchanged and changed records, the stored
//! history kept, what the roster does not own kept, dry runs write nothing, training dates.

use std::collections::BTreeMap;

use homevisit_model::{CommunicationChannel, ContactPreference, Family, Language};

use super::*;

fn template() -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/homevisit-roster/examples/template");
    read_roster_files(&dir, Format::Template).unwrap()
}

fn roster() -> Roster {
    homevisit_roster::parse(Format::Template, &template()).unwrap()
}

#[test]
fn a_reimport_updates_the_stored_documents_and_never_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::open(dir.path()).unwrap();
    let roster = roster();
    let total = roster.schools.len() + roster.educators.len() + roster.families.len();

    let dry = relay.upsert_records(&roster, true).unwrap();
    assert_eq!(dry.families.new.len(), 3);
    assert_eq!(dry, UpsertSummary::all_new(&roster));
    assert_eq!(relay.document_count().unwrap(), 0, "a dry run writes nothing");

    let first = relay.upsert_records(&roster, false).unwrap();
    assert_eq!(first, dry, "the dry run said what the import did");
    assert_eq!(relay.document_count().unwrap(), total);
    let again = relay.upsert_records(&roster, false).unwrap();
    assert_eq!(again.families.unchanged.len(), 3);
    assert!(again.schools.new.is_empty() && again.educators.changed.is_empty());

    // A coordinator's phone recorded a contact preference; the district changed a language.
    let family_id = roster.families[0].doc_id();
    let mut stored = relay.document(&family_id).unwrap().unwrap();
    let before = stored.get_heads();
    let mut with_contact: Family = read_record(&stored).unwrap();
    with_contact.contact = Some(ContactPreference { channel: CommunicationChannel::Text, rhythm: "weekly".into() });
    write_record(&mut stored, &with_contact).unwrap();
    relay.backend.import(&[(family_id, stored.save())]).unwrap();
    let mut changed = roster.clone();
    changed.families[0].preferred_language = Language::parse("pt-BR").unwrap();

    let dry = relay.upsert_records(&changed, true).unwrap();
    assert_eq!(dry.families.changed, [family_id]);
    assert_eq!(read_record::<Family>(&relay.document(&family_id).unwrap().unwrap()).unwrap(), with_contact);
    let done = relay.upsert_records(&changed, false).unwrap();
    assert_eq!((done.families.changed.len(), done.families.unchanged.len()), (1, 2));
    assert_eq!(relay.document_count().unwrap(), total, "no duplicate");
    let after = relay.document(&family_id).unwrap().unwrap();
    let family: Family = read_record(&after).unwrap();
    assert_eq!(family.preferred_language.as_str(), "pt-BR");
    assert_eq!(family.contact, with_contact.contact, "the phone's contact preference is kept");
    let mut after = after;
    for head in before {
        assert!(after.get_change_by_hash(&head).is_some(), "written on the stored history, not beside it");
    }
    assert!(!done.report().contains("Morales"), "{}", done.report());
    // Each import that wrote is in the audit trail, with counts only; dry runs and a re-import
    // that changed nothing are not.
    let audited: Vec<_> = crate::audit::all_entries(relay.audit())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "roster_imported")
        .map(|e| e.detail)
        .collect();
    assert_eq!(audited, [format!("created={total} changed=0"), "created=0 changed=1".to_string()]);
}

#[test]
fn training_dates_are_set_on_the_stored_record_and_survive_a_reimport() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::open(dir.path()).unwrap();
    let roster = roster();
    relay.upsert_records(&roster, false).unwrap();
    let untrained = roster.educators.iter().find(|e| e.training_date.is_none()).unwrap();
    let day = Day::parse("2026-09-01").unwrap();
    assert!(relay.set_training_date(untrained.id, day).unwrap());
    assert!(!relay.set_training_date(untrained.id, day).unwrap(), "already");
    let doc_id = untrained.doc_id();
    let read = || read_record::<Educator>(&relay.document(&doc_id).unwrap().unwrap()).unwrap();
    assert_eq!(read().training_date, Some(day));
    // The roster has no date for this educator: the re-import keeps the one set.
    let again = relay.upsert_records(&roster, false).unwrap();
    assert!(again.educators.unchanged.contains(&doc_id));
    assert_eq!(read().training_date, Some(day));
    assert!(relay.set_training_date(EducatorId::new(), day).is_err(), "an unknown educator");
    let trained: Vec<_> = crate::audit::all_entries(relay.audit())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "educator_trained")
        .map(|e| e.subject)
        .collect();
    assert_eq!(trained, [untrained.id.to_string()], "set once, audited once");
}

#[test]
fn a_bad_roster_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let roster_dir = tempfile::tempdir().unwrap();
    std::fs::write(roster_dir.path().join("schools.csv"), "school_id,name\na,\n").unwrap();
    let data = dir.path().join("relay");
    let err = run_roster(
        &data,
        &Storage::Embedded,
        RosterCommand::Import { dir: roster_dir.path().into(), format: FormatArg::Template, dry_run: false },
    )
    .unwrap_err();
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(!data.exists(), "the relay's data was not even opened");
}

#[test]
fn a_dry_run_on_a_relay_with_no_data_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let roster_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/homevisit-roster/examples/template");
    let import = |dry_run| RosterCommand::Import { dir: roster_dir.clone(), format: FormatArg::Template, dry_run };
    run_roster(&data, &Storage::Embedded, import(true)).unwrap();
    assert!(!data.exists(), "nothing was created");
    run_roster(&data, &Storage::Embedded, import(false)).unwrap();
    let relay = Relay::open(&data).unwrap();
    assert_eq!(relay.document_count().unwrap(), 2 + 5 + 3);
}
