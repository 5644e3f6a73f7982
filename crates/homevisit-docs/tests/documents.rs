//! Document shape, UTF-16 editing, typed errors and the schema upgrade path.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use homevisit_docs::*;
use homevisit_model::*;

fn plan() -> VisitPlan {
    VisitPlan {
        id: VisitId::new(),
        family_id: FamilyId::new(),
        school_id: SchoolId::new(),
        visit_number: VisitNumber::First,
        educator_ids: vec![EducatorId::new(), EducatorId::new()],
        interpreter: None,
        place: Place::Neutral { description: "Library on 5th".into() },
        scheduled_at: Timestamp::parse_rfc3339("2026-09-14T16:30:00Z").unwrap(),
        family_agreement: None,
        expected_end: None,
    }
}

fn log() -> VisitLog {
    VisitLog { plan: plan(), outcome: VisitOutcome::planned() }
}

#[test]
fn records_round_trip_through_save_and_load() {
    let log = log();
    let mut doc = create_record(&log, &ActorId::random()).unwrap();
    let mut loaded = load(&doc.save()).unwrap();
    assert!(!upgrade(&mut loaded, DocKind::VisitLog).unwrap());
    assert_eq!(read_record::<VisitLog>(&loaded).unwrap(), log);
    let json = to_json(&loaded);
    assert_eq!(json["kind"], "visit-log");
    assert_eq!(json["schema_version"], 2);
}

#[test]
fn partners_editing_different_plan_fields_both_keep_their_edit() {
    let log = log();
    let mut a = create_record(&log, &ActorId::random()).unwrap();
    let mut b = a.fork().with_actor(ActorId::random());
    let mut la = log.clone();
    la.plan.scheduled_at = Timestamp::parse_rfc3339("2026-09-15T16:30:00Z").unwrap();
    write_record(&mut a, &la).unwrap();
    let mut lb = log.clone();
    lb.outcome.status = VisitStatus::Rescheduled;
    write_record(&mut b, &lb).unwrap();
    a.merge(&mut b).unwrap();
    let merged: VisitLog = read_record(&a).unwrap();
    assert_eq!(merged.plan.scheduled_at, la.plan.scheduled_at);
    assert_eq!(merged.outcome.status, VisitStatus::Rescheduled);
}

#[test]
fn invalid_records_are_rejected_before_writing() {
    let mut bad = log();
    bad.outcome.started_at = Timestamp::parse_rfc3339("2026-09-14T17:00:00Z");
    bad.outcome.ended_at = Timestamp::parse_rfc3339("2026-09-14T16:00:00Z");
    let err = create_record(&bad, &ActorId::random()).unwrap_err();
    assert!(matches!(err, DocError::Invalid(ValidationError::EndBeforeStart)), "{err:?}");
}

#[test]
fn splices_count_utf16_units_like_kotlin_and_swift() {
    let mut doc = create_notes(VisitId::new());
    let f = NoteField::HopesAndDreams;
    splice_note(&mut doc, f, 0, 0, "😀 niño").unwrap();
    // In UTF-16 the emoji is 2 units, so "niño" starts at 3 (as String.length counts in Kotlin).
    splice_note(&mut doc, f, 3, 0, "el ").unwrap();
    assert_eq!(note_text(&doc, f).unwrap(), "😀 el niño");
    // Delete "niño" (4 units) at the end.
    splice_note(&mut doc, f, 6, 4, "futuro").unwrap();
    assert_eq!(note_text(&doc, f).unwrap(), "😀 el futuro");
}

#[test]
fn bad_splices_get_typed_errors_and_change_nothing() {
    let mut doc = create_notes(VisitId::new());
    let f = NoteField::NextSteps;
    splice_note(&mut doc, f, 0, 0, "😀ab").unwrap();
    let heads = doc.get_heads();
    assert!(matches!(splice_note(&mut doc, f, 5, 0, "x"), Err(DocError::OutOfRange { len: 4, .. })));
    assert!(matches!(splice_note(&mut doc, f, 2, 3, "x"), Err(DocError::OutOfRange { .. })));
    assert!(matches!(splice_note(&mut doc, f, 1, 0, "x"), Err(DocError::SplitsCharacter { pos: 1, .. })));
    assert!(matches!(splice_note(&mut doc, f, 0, 1, ""), Err(DocError::SplitsCharacter { pos: 1, .. })));
    let huge = "x".repeat(NoteField::MAX_UTF16_LEN);
    assert!(matches!(splice_note(&mut doc, f, 0, 0, &huge), Err(DocError::TooLong { .. })));
    assert_eq!(doc.get_heads(), heads);
    assert_eq!(note_text(&doc, f).unwrap(), "😀ab");
}

#[test]
fn notes_read_back_with_channel() {
    let mut doc = create_notes(VisitId::new());
    set_note_text(&mut doc, NoteField::Invitation, "Literacy night, Oct 3").unwrap();
    set_channel(&mut doc, Some(CommunicationChannel::Text)).unwrap();
    let notes = read_notes(&load(&doc.save()).unwrap()).unwrap();
    assert_eq!(notes.invitation, "Literacy night, Oct 3");
    assert_eq!(notes.communication_channel, Some(CommunicationChannel::Text));
    assert_eq!(notes.hopes_and_dreams, "");
}

/// A visit log as the v1 (prototype) schema wrote it: the place as one string.
fn v1_visit_log(place: &str) -> (AutoCommit, VisitLog) {
    let mut log = log();
    log.plan.place = Place::Home;
    let mut doc = create_record(&log, &ActorId::random()).unwrap();
    let data = match doc.get(ROOT, "data").unwrap() {
        Some((_, id)) => id,
        None => unreachable!(),
    };
    let plan = match doc.get(&data, "plan").unwrap() {
        Some((_, id)) => id,
        None => unreachable!(),
    };
    doc.put(&plan, "place", place).unwrap();
    doc.put(ROOT, SCHEMA_KEY, 1u64).unwrap();
    doc.commit();
    (doc, log)
}

#[test]
fn visit_log_v1_upgrades_to_v2() {
    for (old, new) in [
        ("home", Place::Home),
        ("virtual", Place::Virtual),
        ("neutral: Riverside park", Place::Neutral { description: "Riverside park".into() }),
    ] {
        let (mut v1, mut expected) = v1_visit_log(old);
        let mut doc = load(&v1.save()).unwrap();
        assert!(read_record::<VisitLog>(&doc).is_err(), "v1 does not read as v2");
        assert!(upgrade(&mut doc, DocKind::VisitLog).unwrap());
        expected.plan.place = new;
        assert_eq!(read_record::<VisitLog>(&doc).unwrap(), expected);
        assert_eq!(to_json(&doc)["schema_version"], 2);
        assert!(!upgrade(&mut doc, DocKind::VisitLog).unwrap(), "upgrading twice is a no-op");
    }
}

#[test]
fn two_devices_upgrading_concurrently_agree() {
    let (mut v1, _) = v1_visit_log("neutral:Library");
    let mut a = load(&v1.save()).unwrap().with_actor(ActorId::random());
    let mut b = load(&v1.save()).unwrap().with_actor(ActorId::random());
    upgrade(&mut a, DocKind::VisitLog).unwrap();
    upgrade(&mut b, DocKind::VisitLog).unwrap();
    a.merge(&mut b).unwrap();
    let log: VisitLog = read_record(&a).unwrap();
    assert_eq!(log.plan.place, Place::Neutral { description: "Library".into() });
}

#[test]
fn newer_schema_and_wrong_kind_are_refused() {
    let (mut doc, _) = v1_visit_log("home");
    doc.put(ROOT, SCHEMA_KEY, 9u64).unwrap();
    assert!(matches!(upgrade(&mut doc, DocKind::VisitLog), Err(DocError::NewerSchema { found: 9, supported: 2 })));
    let mut notes = create_notes(VisitId::new());
    assert!(matches!(upgrade(&mut notes, DocKind::VisitLog), Err(DocError::WrongKind { .. })));
    let mut empty = AutoCommit::new();
    empty.put_object(ROOT, "data", ObjType::Map).unwrap();
    assert!(matches!(upgrade(&mut empty, DocKind::School), Err(DocError::WrongKind { .. })));
}

#[test]
fn garbage_bytes_are_a_corrupt_error() {
    assert!(matches!(load(b"definitely not automerge"), Err(DocError::Unreadable(_))));
    let mut saved = AutoCommit::new().save();
    saved[4] ^= 0xff;
    assert!(matches!(load(&saved), Err(DocError::Corrupt(_))), "a bad checksum is Automerge's to find");
}

#[test]
fn prompt_pack_ids_are_the_same_everywhere() {
    let packs = PromptPack::built_in();
    assert_eq!(packs[0].doc_id(), prompt_pack_doc_id("en", 1));
    assert_ne!(prompt_pack_doc_id("en", 1), prompt_pack_doc_id("es", 1));
    let doc = create_record(&packs[2], &ActorId::random()).unwrap();
    assert_eq!(read_record::<PromptPack>(&doc).unwrap(), packs[2]);
    // The district's pack keeps the id it had before schools had packs (pinned: documents
    // already on phones and relays are stored under it).
    assert_eq!(prompt_pack_doc_id("en", 1).to_string(), "prompt-pack/17255a1a-d4e5-53ba-afea-4fdfa3e57e41");
    assert_eq!(school_prompt_pack_doc_id(None, "es", 2), prompt_pack_doc_id("es", 2));
}

fn school_pack(school: SchoolId) -> PromptPack {
    let district = PromptPack::built_in().into_iter().find(|p| p.language.as_str() == "so").unwrap();
    PromptPack { school_id: Some(school), title: "Lincoln: booqashada koowaad".into(), ..district }
}

#[test]
fn a_school_pack_has_its_own_id_and_its_school_as_scope() {
    let school = SchoolId::new();
    let pack = school_pack(school);
    let id = pack.doc_id();
    assert_eq!(id, school_prompt_pack_doc_id(Some(school), "so", 1));
    assert_ne!(id, prompt_pack_doc_id("so", 1), "not the district's");
    assert_ne!(id, school_prompt_pack_doc_id(Some(SchoolId::new()), "so", 1), "not another school's");
    let doc = create_record(&pack, &ActorId::random()).unwrap();
    let content = check(&id, &doc).unwrap();
    assert_eq!(content, Content::PromptPack(pack.clone()));
    assert_eq!(content.scope(&id).school, Some(school));
    // The district's pack concerns no school.
    let district = PromptPack { school_id: None, ..pack.clone() };
    assert_eq!(Content::PromptPack(district).scope(&prompt_pack_doc_id("so", 1)).school, None);
}

#[test]
fn a_pack_cannot_pose_as_another_schools_or_the_districts() {
    let (mine, theirs) = (SchoolId::new(), SchoolId::new());
    let pack = school_pack(mine);
    let mut doc = create_record(&pack, &ActorId::random()).unwrap();
    // My school's pack offered under the other school's id (its root id rewritten to match)...
    for target in [school_prompt_pack_doc_id(Some(theirs), "so", 1), prompt_pack_doc_id("so", 1)] {
        let mut forged = doc.fork();
        forged.put(ROOT, "id", target.id.hyphenated().to_string()).unwrap();
        assert!(matches!(check(&target, &forged), Err(DocError::IdMismatch { what: "record" })), "{target}");
    }
    // ...or the other school's pack edited to name my school: its id no longer agrees.
    let mut other = create_record(&school_pack(theirs), &ActorId::random()).unwrap();
    autosurgeon::reconcile_prop(&mut other, ROOT, "data", &pack).unwrap();
    let their_id = school_prompt_pack_doc_id(Some(theirs), "so", 1);
    assert!(matches!(check(&their_id, &other), Err(DocError::IdMismatch { what: "record" })));
}

/// A pack as the app wrote it before packs had a school, a review mark and a note.
#[derive(autosurgeon::Reconcile)]
struct OldPack {
    language: String,
    visit_number: VisitNumber,
    title: String,
    prompts: Vec<String>,
}

#[derive(autosurgeon::Reconcile)]
struct OldRoot {
    schema_version: u64,
    kind: &'static str,
    id: String,
    data: OldPack,
}

#[test]
fn a_pack_written_before_schools_and_reviews_still_reads_as_the_districts() {
    let id = prompt_pack_doc_id("ar", 1);
    let old = OldRoot {
        schema_version: 1,
        kind: "prompt-pack",
        id: id.id.hyphenated().to_string(),
        data: OldPack {
            language: "ar".into(),
            visit_number: VisitNumber::First,
            title: "الزيارة الأولى".into(),
            prompts: vec!["ما هي آمالكم وأحلامكم لطفلكم؟".into()],
        },
    };
    let mut doc = AutoCommit::new();
    autosurgeon::reconcile(&mut doc, &old).unwrap();
    doc.commit();
    let mut loaded = load(&doc.save()).unwrap();
    assert!(!upgrade(&mut loaded, DocKind::PromptPack).unwrap(), "no schema change for optional fields");
    let Content::PromptPack(pack) = check(&id, &loaded).unwrap() else { panic!("a pack") };
    assert_eq!((pack.school_id, &pack.reviewed, &pack.note), (None, &None, &None));
    // Right-to-left text comes back unchanged, code point for code point.
    assert_eq!(pack.prompts, vec!["ما هي آمالكم وأحلامكم لطفلكم؟".to_string()]);
    assert_eq!(pack.title, "الزيارة الأولى");
    // Written by this app, it gains the new fields alongside the old ones.
    let reviewed = PromptPack {
        reviewed: Some(Review { by: "District Arabic liaison".into(), on: Day::parse("2026-09-01").unwrap() }),
        ..pack
    };
    write_record(&mut loaded, &reviewed).unwrap();
    assert_eq!(read_record::<PromptPack>(&loaded).unwrap(), reviewed);
}

#[test]
fn notes_created_with_content_read_back_and_merge() {
    let notes = VisitNotes {
        hopes_and_dreams: "Que sea feliz 😀".into(),
        learned: "Loves drawing".into(),
        communication_channel: Some(CommunicationChannel::Phone),
        ..VisitNotes::default()
    };
    let visit = VisitId::new();
    let mut a = create_notes_with(visit, &notes, &ActorId::random()).unwrap();
    let mut loaded = load(&a.save()).unwrap();
    assert!(!upgrade(&mut loaded, DocKind::VisitNotes).unwrap());
    assert_eq!(read_notes(&loaded).unwrap(), notes);
    let mut b = a.fork().with_actor(ActorId::random());
    splice_note(&mut a, NoteField::Learned, 0, 0, "Sofia ").unwrap();
    splice_note(&mut b, NoteField::Learned, 13, 0, " and soccer").unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(note_text(&a, NoteField::Learned).unwrap(), "Sofia Loves drawing and soccer");
    // Empty notes still get the shared deterministic skeleton.
    let empty = create_notes_with(visit, &VisitNotes::default(), &ActorId::random()).unwrap();
    assert_eq!(empty.clone().get_heads(), create_notes(visit).get_heads());
}

/// A family document written before students had classes (the key absent, as every app before
/// the roster import wrote it) still reads, as no classes, passes the relay's check, and takes
/// classes on a later write without losing anything.
#[test]
fn a_family_written_before_student_classes_still_reads() {
    let family = Family {
        id: FamilyId::new(),
        school_id: SchoolId::new(),
        display_name: "Family A".into(),
        preferred_language: Language::spanish(),
        interpreter_needed: true,
        contact: None,
        students: vec![Student { first_name: "A".into(), grade: Grade::G2, classes: Vec::new() }],
        agreement_renewed: None,
    };
    let mut doc = create_record(&family, &ActorId::random()).unwrap();
    // Make it an old document: no `classes` key in the student.
    let data = doc.get(ROOT, "data").unwrap().unwrap().1;
    let students = doc.get(&data, "students").unwrap().unwrap().1;
    let student = doc.get(&students, 0).unwrap().unwrap().1;
    doc.delete(&student, "classes").unwrap();
    doc.commit();
    let mut old = load(&doc.save()).unwrap();
    assert!(old.get(&student, "classes").unwrap().is_none(), "the key is gone");
    assert_eq!(read_record::<Family>(&old).unwrap(), family);
    check(&family.doc_id(), &old).unwrap();
    // JSON exported before the field reads too.
    let json = serde_json::json!({"first_name": "A", "grade": "g2"});
    assert_eq!(serde_json::from_value::<Student>(json).unwrap().classes, Vec::<String>::new());
    // A later write adds classes.
    let mut with_classes = family.clone();
    with_classes.students[0].classes = vec!["Grade 2 - Room 4".into()];
    write_record(&mut old, &with_classes).unwrap();
    assert_eq!(read_record::<Family>(&load(&old.save()).unwrap()).unwrap(), with_classes);
}

/// Issue 11 added `agreement_renewed` to the family record: a family document written before it
/// (no such key) still reads, as `None`; and a visit log holding the new `family_declined` status
/// round-trips (an older app cannot read that one document: see the README's schema note).
#[test]
fn a_family_written_before_agreement_renewal_still_reads() {
    let family = Family {
        id: FamilyId::new(),
        school_id: SchoolId::new(),
        display_name: "F".into(),
        preferred_language: Language::english(),
        interpreter_needed: false,
        contact: None,
        students: vec![],
        agreement_renewed: Some(AgreementRenewal { agreed_at: Timestamp::now(), lifts: vec![VisitId::new()] }),
    };
    let mut doc = create_record(&family, &ActorId::random()).unwrap();
    let data = match doc.get(ROOT, "data").unwrap() {
        Some((automerge::Value::Object(_), id)) => id,
        other => panic!("no data map: {other:?}"),
    };
    doc.delete(&data, "agreement_renewed").unwrap();
    let old = load(&doc.save()).unwrap();
    let read: Family = read_record(&old).unwrap();
    assert_eq!(read, Family { agreement_renewed: None, ..family });

    let mut declined = log();
    declined.outcome.status = VisitStatus::FamilyDeclined;
    let mut doc = create_record(&declined, &ActorId::random()).unwrap();
    assert_eq!(read_record::<VisitLog>(&load(&doc.save()).unwrap()).unwrap(), declined);
}
