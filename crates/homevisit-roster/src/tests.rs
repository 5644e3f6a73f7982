//! The parser's promises: each OneRoster edge case, the template, stable ids, line-numbered
//! errors that quote nothing from the file, bounds, and no panic on any input.

use std::collections::BTreeMap;

use homevisit_model::{Day, EducatorRole, Grade, Language};

use crate::*;

fn files(list: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    list.iter().map(|(n, c)| (n.to_string(), c.as_bytes().to_vec())).collect()
}

const ORGS: &str = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
d1,active,2026-07-01,Springfield District,district,,
s-a,active,2026-07-01,Lincoln Elementary,school,,d1
s-b,active,2026-07-01,Roosevelt Middle,school,,d1
s-old,tobedeleted,2026-07-01,Closed School,school,,d1
";

/// Line 2 teacher, 3 aide at two schools, 4 and 5 siblings, 6 their guardian, 7 a student without
/// a guardian row, 8 a deleted student, 9 a student at school B with a guardian, 10 the guardian.
const USERS: &str = "sourcedId,status,enabledUser,orgSourcedIds,role,username,givenName,familyName,grades,agentSourcedIds,favouriteColour,metadata.homevisit.language,metadata.homevisit.interpreterNeeded,metadata.homevisit.trainingDate
t1,active,true,s-a,teacher,t1,Ana,Rivera,,,blue,,,2026-08-10
t2,active,true,\"s-a,s-b\",aide,t2,Grace,Okafor,,,,,,
st1,active,true,s-a,student,st1,Sofia,Garcia,02,g1,,,,
st2,active,true,s-a,student,st2,Mateo,Garcia,KG,g1,,,,
g1,active,true,s-a,guardian,g1,Rosa,Garcia,,\"st1,st2\",,es-MX,true,
st3,active,true,s-a,student,st3,Jayden,Brooks,03,,,,,
st4,tobedeleted,true,s-a,student,st4,Gone,Away,04,,,,,
st5,active,true,s-b,student,st5,Linh,Nguyen,07,g2,,,,
g2,active,true,s-b,parent,g2,Mai,Nguyen,,st5,,vi,yes,
";

const CLASSES: &str = "sourcedId,status,title,grades,courseSourcedId,classCode,classType,schoolSourcedId
c1,active,Room 4,02,,,homeroom,s-a
c2,active,Art,02,,,scheduled,s-a
c3,active,Kindergarten A,KG,,,homeroom,s-a
";

const ENROLLMENTS: &str = "sourcedId,status,classSourcedId,schoolSourcedId,userSourcedId,role,primary
e1,active,c1,s-a,st1,student,false
e2,active,c2,s-a,st1,student,false
e3,active,c3,s-a,st2,student,false
e4,active,c1,s-a,t1,teacher,true
e5,active,c1,s-a,st4,student,false
";

fn oneroster() -> BTreeMap<String, Vec<u8>> {
    files(&[("orgs.csv", ORGS), ("users.csv", USERS), ("classes.csv", CLASSES), ("enrollments.csv", ENROLLMENTS)])
}

fn family<'r>(roster: &'r Roster, name: &str) -> &'r homevisit_model::Family {
    roster.families.iter().find(|f| f.display_name == name).unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn oneroster_gives_schools_staff_and_families() {
    let roster = parse(Format::OneRoster, &oneroster()).unwrap();
    let (a, b) = (ids::school_id(Format::OneRoster, "s-a"), ids::school_id(Format::OneRoster, "s-b"));
    // Schools only (not the district), the deleted one skipped.
    assert_eq!(roster.schools.len(), 2);
    assert!(roster.schools.iter().any(|s| s.id == a && s.name == "Lincoln Elementary"));
    // The teacher, trained; the aide at two schools is two records.
    let rivera: Vec<_> = roster.educators.iter().filter(|e| e.display_name == "Ana Rivera").collect();
    assert_eq!(rivera.len(), 1);
    assert_eq!(rivera[0].role, EducatorRole::Teacher);
    assert_eq!(rivera[0].training_date, Day::parse("2026-08-10"));
    let okafor: Vec<_> = roster.educators.iter().filter(|e| e.display_name == "Grace Okafor").collect();
    assert_eq!(okafor.len(), 2, "one record per school");
    assert_eq!(okafor.iter().map(|e| e.school_id).collect::<std::collections::BTreeSet<_>>(), [a, b].into());
    assert_ne!(okafor[0].id, okafor[1].id);
    assert!(okafor.iter().all(|e| e.role == EducatorRole::Paraprofessional && e.training_date.is_none()));
    // Siblings sharing a guardian are one family, named and spoken as the guardian says.
    assert_eq!(roster.families.len(), 3, "{:?}", roster.families);
    let garcia = family(&roster, "Garcia family");
    assert_eq!(garcia.school_id, a);
    assert_eq!(garcia.id, ids::family_id(Format::OneRoster, "g1", "s-a"));
    assert_eq!(garcia.preferred_language, Language::parse("es-MX").unwrap());
    assert!(garcia.interpreter_needed);
    let names: Vec<_> = garcia.students.iter().map(|s| (s.first_name.as_str(), s.grade)).collect();
    assert_eq!(names, [("Sofia", Grade::G2), ("Mateo", Grade::K)]);
    // A student in two classes has both.
    assert_eq!(garcia.students[0].classes, ["Art", "Room 4"]);
    assert_eq!(garcia.students[1].classes, ["Kindergarten A"]);
    // A student with no guardian row is a family alone, in English by default.
    let brooks = family(&roster, "Brooks family");
    assert_eq!(brooks.id, ids::family_id(Format::OneRoster, "st3", "s-a"));
    assert_eq!(brooks.preferred_language, Language::english());
    assert!(!brooks.interpreter_needed);
    assert!(brooks.students[0].classes.is_empty());
    let nguyen = family(&roster, "Nguyen family");
    assert_eq!((nguyen.school_id, nguyen.preferred_language.as_str(), nguyen.interpreter_needed), (b, "vi", true));
    // The deleted student is nowhere (and its enrollment is ignored, not an error).
    assert!(roster.families.iter().flat_map(|f| &f.students).all(|s| s.first_name != "Gone"));
}

#[test]
fn siblings_at_two_schools_are_a_family_at_each() {
    let users = USERS.replace("st2,active,true,s-a,", "st2,active,true,s-b,");
    let roster = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &users)])).unwrap();
    let garcias: Vec<_> = roster.families.iter().filter(|f| f.display_name == "Garcia family").collect();
    assert_eq!(garcias.len(), 2);
    assert!(garcias.iter().all(|f| f.students.len() == 1 && f.preferred_language.as_str() == "es-MX"));
}

#[test]
fn guardians_link_from_either_side() {
    // Only the students list the guardian (agentSourcedIds on the student rows).
    let users = USERS.replace("guardian,g1,Rosa,Garcia,,\"st1,st2\"", "guardian,g1,Rosa,Garcia,,");
    let roster = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &users)])).unwrap();
    assert_eq!(family(&roster, "Garcia family").students.len(), 2);
}

#[test]
fn bom_crlf_and_extra_columns_are_accepted() {
    let crlf = |s: &str| format!("\u{feff}{}", s.replace('\n', "\r\n"));
    let with_bom = files(&[
        ("orgs.csv", &crlf(ORGS)),
        ("users.csv", &crlf(USERS)),
        ("classes.csv", &crlf(CLASSES)),
        ("enrollments.csv", &crlf(ENROLLMENTS)),
    ]);
    assert_eq!(parse(Format::OneRoster, &with_bom).unwrap(), parse(Format::OneRoster, &oneroster()).unwrap());
}

#[test]
fn ids_are_stable_across_parses_and_row_order() {
    let first = parse(Format::OneRoster, &oneroster()).unwrap();
    let mut lines: Vec<&str> = USERS.lines().collect();
    lines[1..].reverse();
    let reordered = lines.join("\n");
    let mut f = oneroster();
    f.insert("users.csv".into(), reordered.into_bytes());
    let second = parse(Format::OneRoster, &f).unwrap();
    assert_eq!(first, second);
    // And the template's ids are its own.
    let t = parse(Format::Template, &template()).unwrap();
    assert!(t.schools.iter().all(|s| first.schools.iter().all(|o| o.id != s.id)));
}

#[test]
fn oneroster_1_2_roles_file_gives_roles_and_orgs() {
    let users = "sourcedId,status,givenName,familyName,grades,agentSourcedIds,primaryOrgSourcedId
t1,active,Ana,Rivera,,,s-a
st1,active,Sofia,Garcia,01,,s-a
";
    let roles = "sourcedId,status,userSourcedId,roleType,role,orgSourcedId
r1,active,t1,primary,teacher,s-a
r2,active,t1,secondary,counselor,s-b
r3,active,st1,primary,student,s-a
";
    let roster =
        parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", users), ("roles.csv", roles)])).unwrap();
    assert_eq!(roster.educators.len(), 2, "a teacher at two schools");
    assert!(roster.educators.iter().all(|e| e.role == EducatorRole::Teacher));
    assert_eq!(roster.families.len(), 1);
}

#[test]
fn errors_are_line_numbered_collected_and_quote_nothing() {
    // Line 3: an unknown role; line 5: a grade the model has not; line 10: a bad language tag.
    let users = USERS
        .replace("t2,active,true,\"s-a,s-b\",aide", "t2,active,true,\"s-a,s-b\",wizard")
        .replace("Mateo,Garcia,KG", "Mateo,Garcia,XX")
        .replace("Mai,Nguyen,,st5,,vi,", "Mai,Nguyen,,st5,,Vietnamese language,");
    let errors = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &users)])).unwrap_err();
    let at: Vec<_> = errors.iter().map(|e| (e.file, e.line, e.column)).collect();
    assert_eq!(
        at,
        [
            ("users.csv", 3, Some("role")),
            ("users.csv", 5, Some("grades")),
            ("users.csv", 10, Some(oneroster::LANGUAGE)),
        ],
        "{errors:?}"
    );
    let text: String = errors.iter().map(|e| format!("{e}\n")).collect();
    assert!(text.contains("users.csv line 5, column grades"), "{text}");
    for secret in ["Mateo", "Garcia", "Nguyen", "Vietnamese", "wizard", "XX", "Grace", "Okafor"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[test]
fn references_to_unknown_ids_are_errors_but_deleted_ones_are_ignored() {
    let enrollments =
        format!("{ENROLLMENTS}e6,active,c9,s-a,st1,student,false\ne7,active,c1,s-a,nobody,student,false\n");
    let mut f = oneroster();
    f.insert("enrollments.csv".into(), enrollments.into_bytes());
    let errors = parse(Format::OneRoster, &f).unwrap_err();
    let at: Vec<_> = errors.iter().map(|e| (e.file, e.line, e.column)).collect();
    assert_eq!(at, [("enrollments.csv", 7, Some("classSourcedId")), ("enrollments.csv", 8, Some("userSourcedId"))]);
    // A user at the deleted school: the org is known (deleted), so no error, and no school.
    let users = USERS.replace("st3,active,true,s-a,", "st3,active,true,\"s-old,s-a\",");
    assert!(parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &users)])).is_ok());
}

#[test]
fn structural_errors_are_reported() {
    let no_role = files(&[("orgs.csv", ORGS), ("users.csv", "sourcedId,givenName\nx,y\n")]);
    let e = parse(Format::OneRoster, &no_role).unwrap_err();
    assert!(e.iter().any(|e| e.line == 1 && e.column == Some("role") && e.reason == Reason::MissingColumn));
    let e = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS)])).unwrap_err();
    assert_eq!(e, [RosterError { file: "users.csv", line: 0, column: None, reason: Reason::MissingFile }]);
    let short_row = files(&[("orgs.csv", "sourcedId,name,type\ns-a,Lincoln\n"), ("users.csv", USERS)]);
    let e = parse(Format::OneRoster, &short_row).unwrap_err();
    assert_eq!(e[0].reason, Reason::FieldCount { found: 2, expected: 3 });
    assert_eq!((e[0].file, e[0].line), ("orgs.csv", 2));
    let dup = files(&[("orgs.csv", &format!("{ORGS}s-a,active,x,Again,school,,\n")), ("users.csv", USERS)]);
    let e = parse(Format::OneRoster, &dup).unwrap_err();
    assert_eq!((e[0].line, e[0].reason.clone()), (6, Reason::DuplicateId));
}

#[test]
fn many_bad_rows_give_many_errors_up_to_the_limit() {
    let mut users = String::from("sourcedId,orgSourcedIds,role,givenName,grades\n");
    for i in 0..(MAX_ERRORS + 50) {
        users.push_str(&format!("u{i},s-a,student,Kid,99\n"));
    }
    let e = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &users)])).unwrap_err();
    assert_eq!(e.len(), MAX_ERRORS);
    assert_eq!(e.last().unwrap().reason, Reason::TooManyErrors);
    assert_eq!(e[0].line, 2);
}

#[test]
fn files_and_rows_over_the_limits_are_refused() {
    let mut f = oneroster();
    f.insert("users.csv".into(), vec![b'a'; MAX_FILE_BYTES + 1]);
    let e = parse(Format::OneRoster, &f).unwrap_err();
    assert_eq!(
        e,
        [RosterError {
            file: "users.csv",
            line: 0,
            column: None,
            reason: Reason::FileTooLarge { max: MAX_FILE_BYTES }
        }]
    );
    let long = format!("{USERS}x1,active,true,s-a,teacher,x,{},Y,,,,,,\n", "n".repeat(MAX_ROW_BYTES));
    let mut f = oneroster();
    f.insert("users.csv".into(), long.into_bytes());
    let e = parse(Format::OneRoster, &f).unwrap_err();
    assert_eq!((e[0].line, e[0].reason.clone()), (11, Reason::RowTooLong { max: MAX_ROW_BYTES }));
    // A name over the model's limit is the model's error, on its line.
    let long_name = USERS.replace("Jayden", &"J".repeat(300));
    let e = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &long_name)])).unwrap_err();
    assert_eq!(e[0].line, 7);
    assert!(matches!(e[0].reason, Reason::Invalid(_)));
}

/// One guardian of many students: refused as one family too many students, on the guardian's
/// row, and found in linear time (the sibling sets shorten their paths).
#[test]
fn a_guardian_of_thousands_is_refused_quickly() {
    let mut users = String::from("sourcedId,orgSourcedIds,role,givenName,familyName,grades,agentSourcedIds\n");
    users.push_str("g1,s-a,guardian,P,Q,,\n");
    for i in 0..20_000 {
        users.push_str(&format!("st{i:05},s-a,student,Kid,Q,03,g1\n"));
    }
    let started = std::time::Instant::now();
    let e = parse(Format::OneRoster, &files(&[("orgs.csv", ORGS), ("users.csv", &users)])).unwrap_err();
    assert_eq!(
        e,
        [RosterError {
            file: "users.csv",
            line: 2,
            column: None,
            reason: Reason::Invalid(homevisit_model::ValidationError::TooMany {
                field: "students",
                max: MAX_FAMILY_STUDENTS
            })
        }]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

/// No input makes the parser panic: mutated versions of a valid roster, bytes flipped, cut and
/// spliced (deterministic, a few thousand cases).
#[test]
fn no_input_panics() {
    let base = oneroster();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b",\"\r\n\xEF\xBB\xBF\xFFa0-:; ";
    for _ in 0..3000 {
        let mut f = base.clone();
        for bytes in f.values_mut() {
            for _ in 0..(next() % 6) {
                let at = (next() as usize) % (bytes.len() + 1);
                match next() % 3 {
                    0 => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.truncate(at),
                }
            }
        }
        let _ = parse(Format::OneRoster, &f);
        let renamed: BTreeMap<String, Vec<u8>> = ["schools.csv", "staff.csv", "families.csv", "students.csv"]
            .iter()
            .zip(f.values())
            .map(|(n, b)| (n.to_string(), b.clone()))
            .collect();
        let _ = parse(Format::Template, &renamed);
    }
}

fn template() -> BTreeMap<String, Vec<u8>> {
    let mut f = BTreeMap::new();
    f.insert("schools.csv".to_string(), include_bytes!("../examples/template/schools.csv").to_vec());
    f.insert("staff.csv".to_string(), include_bytes!("../examples/template/staff.csv").to_vec());
    f.insert("families.csv".to_string(), include_bytes!("../examples/template/families.csv").to_vec());
    f.insert("students.csv".to_string(), include_bytes!("../examples/template/students.csv").to_vec());
    f
}

#[test]
fn the_shipped_template_example_parses() {
    let roster = parse(Format::Template, &template()).unwrap();
    assert_eq!((roster.schools.len(), roster.educators.len(), roster.families.len()), (2, 5, 3));
    let johnson: Vec<_> = roster.educators.iter().filter(|e| e.display_name == "Dana Johnson").collect();
    assert_eq!(johnson.len(), 2, "a coordinator at two schools");
    assert!(johnson.iter().all(|e| e.role == EducatorRole::Coordinator));
    let okafor = roster.educators.iter().find(|e| e.display_name == "Grace Okafor").unwrap();
    assert_eq!(okafor.training_date, None);
    let morales = family(&roster, "Morales family");
    assert_eq!(morales.id, ids::family_id(Format::Template, "f-1", "lincoln"));
    assert_eq!((morales.preferred_language.as_str(), morales.interpreter_needed), ("es", true));
    assert_eq!(morales.students.iter().map(|s| s.first_name.as_str()).collect::<Vec<_>>(), ["Sofia", "Mateo"]);
    assert_eq!(family(&roster, "Brooks family").students[0].classes, ["Reading Club", "Room 7"]);
    assert_eq!(parse(Format::Template, &template()).unwrap(), roster, "stable");
}

#[test]
fn template_errors_are_line_numbered() {
    let mut f = template();
    let families = "family_id,school_id,name,language,interpreter_needed
f-1,lincoln,Morales family,es,perhaps
f-2,nowhere,Brooks family,en,false
f-3,roosevelt,Nguyen family,vi,true
";
    f.insert("families.csv".into(), families.as_bytes().to_vec());
    f.insert(
        "staff.csv".into(),
        b"staff_id,school_id,name,role,training_date\nt-1,lincoln,Ana Rivera,teacher,10/08/2026\n".to_vec(),
    );
    let e = parse(Format::Template, &f).unwrap_err();
    let at: Vec<_> = e.iter().map(|e| (e.file, e.line, e.column)).collect();
    assert_eq!(
        at,
        [
            ("staff.csv", 2, Some("training_date")),
            ("families.csv", 2, Some("interpreter_needed")),
            ("families.csv", 3, Some("school_id")),
        ],
        "{e:?}"
    );
}

#[test]
fn a_reimport_keeps_what_the_roster_does_not_own() {
    let roster = parse(Format::Template, &template()).unwrap();
    let mut stored = roster.families[0].clone();
    stored.contact = Some(homevisit_model::ContactPreference {
        channel: homevisit_model::CommunicationChannel::Text,
        rhythm: "weekly".into(),
    });
    let mut imported = roster.families[0].clone();
    imported.preferred_language = Language::parse("pt").unwrap();
    let merged = merge_family(&stored, &imported);
    assert_eq!((merged.contact, merged.preferred_language), (stored.contact, imported.preferred_language));
    let mut trained = roster.educators[0].clone();
    trained.training_date = Day::parse("2026-01-01");
    let mut untrained_import = trained.clone();
    untrained_import.training_date = None;
    assert_eq!(merge_educator(&trained, &untrained_import).training_date, trained.training_date);
    let mut retrained = trained.clone();
    retrained.training_date = Day::parse("2026-02-02");
    assert_eq!(merge_educator(&trained, &retrained).training_date, retrained.training_date);
}

mod generated {
    //! Generated rosters: real OneRoster headers (with an extension column and an unknown one),
    //! rows whose ids are distinct and whose other cells are drawn from values that refer to each
    //! other (schools, users, classes), roles, grades, language tags, with now and then hostile
    //! text instead (quotes, separators, CR, BOM, invalid UTF-8, long values, random bytes) or a
    //! row of the wrong width. Whatever comes, the parser does not panic; what it accepts is valid
    //! by the model's rules and parses again to the same roster.

    use homevisit_model::validate::{validate_educator, validate_family, validate_school};
    use proptest::prelude::*;

    use super::*;

    fn hostile() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"\"a\"\"b\"".to_vec()),
            Just(b"a\rb".to_vec()),
            Just(b"\xEF\xBB\xBF".to_vec()),
            Just(b"\xFF\xFE".to_vec()),
            Just("\u{1F600}\u{301}".as_bytes().to_vec()),
            Just(vec![b'x'; 300]),
            Just(Vec::new()),
            proptest::collection::vec(any::<u8>(), 0..12),
        ]
    }

    /// A cell: one of `pool` mostly, hostile text sometimes.
    fn cell(pool: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            80 => proptest::sample::select(pool).prop_map(|v| v.as_bytes().to_vec()),
            1 => hostile(),
        ]
        .boxed()
    }

    /// A file: `header`, then rows whose first cell is `<id>N` (distinct) and the rest from `pools`.
    fn file(
        header: &'static str,
        id: &'static str,
        rows: std::ops::Range<usize>,
        pools: Vec<&'static [&'static str]>,
    ) -> BoxedStrategy<Vec<u8>> {
        let row = (pools.into_iter().map(cell).collect::<Vec<_>>(), 0..100u8);
        proptest::collection::vec(row, rows)
            .prop_map(move |rows| {
                let mut out = header.as_bytes().to_vec();
                for (i, (mut cells, shape)) in rows.into_iter().enumerate() {
                    match shape {
                        0 => {
                            cells.pop();
                        }
                        1 => cells.push(b"extra".to_vec()),
                        _ => {}
                    }
                    out.extend(b"\r\n");
                    out.extend(format!("{id}{}", i + 1).into_bytes());
                    for c in cells {
                        out.push(b',');
                        out.extend(c);
                    }
                }
                out
            })
            .boxed()
    }

    const STATUS: &[&str] = &["active", "", "active", "tobedeleted"];
    const SCHOOLS: &[&str] = &["o1", "o2", "\"o1,o2\""];
    const USERS: &[&str] = &["", "u1", "u2", "u3", "\"u1,u2\"", "\"u3,u4\""];

    proptest! {
        #[test]
        fn any_generated_roster_is_refused_or_valid(
            orgs in file("sourcedId,status,name,type", "o", 2..4, vec![STATUS, &["Lincoln", "Roosevelt \"Middle\""], &["school", "school", "district"]]),
            users in file(
                "sourcedId,status,orgSourcedIds,role,givenName,familyName,grades,agentSourcedIds,metadata.homevisit.language,extra",
                "u",
                4..9,
                vec![
                    STATUS,
                    SCHOOLS,
                    &["student", "student", "guardian", "parent", "teacher", "aide"],
                    &["Ana", "Zoë", "Mateo"],
                    &["Garcia", "", "Nguyen"],
                    &["KG", "07", "12", "PK", "03"],
                    USERS,
                    &["", "es", "vi", "en-US"],
                    &["", "x"],
                ],
            ),
            classes in file("sourcedId,status,title,schoolSourcedId", "c", 2..4, vec![STATUS, &["Art", "Room 4"], &["o1", "o2", ""]]),
            enrollments in file(
                "sourcedId,status,classSourcedId,schoolSourcedId,userSourcedId,role",
                "e",
                0..8,
                vec![STATUS, &["c1", "c2"], &["o1", "o2", ""], &["u1", "u2", "u3", "u4"], &["student", "teacher"]],
            ),
        ) {
            let files: BTreeMap<String, Vec<u8>> = [
                ("orgs.csv", orgs),
                ("users.csv", users),
                ("classes.csv", classes),
                ("enrollments.csv", enrollments),
            ]
            .into_iter()
            .map(|(n, b)| (n.to_string(), b))
            .collect();
            match parse(Format::OneRoster, &files) {
                Ok(roster) => {
                    prop_assert!(roster.schools.iter().all(|s| validate_school(s).is_ok()));
                    prop_assert!(roster.educators.iter().all(|e| validate_educator(e).is_ok()));
                    prop_assert!(roster.families.iter().all(|f| validate_family(f).is_ok()));
                    prop_assert_eq!(parse(Format::OneRoster, &files).unwrap(), roster);
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty() && errors.len() <= MAX_ERRORS);
                }
            }
        }
    }
}
