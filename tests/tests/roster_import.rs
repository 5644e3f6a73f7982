//! `homevisit-relay roster import` and `educator train` as processes against a relay's data
//! (embedded, or PostgreSQL when `HOMEVISIT_TEST_POSTGRES` is set), on a realistic OneRoster
//! sample written here: two schools, 300 students (siblings sharing guardians, students with no
//! guardian row, a student in two classes), a staff member at two schools, a deleted row, a
//! `demographics.csv` that is never read. A dry run changes nothing; an import, then the same
//! again, then a changed file (a family's language, a new student) update in place without a
//! duplicate; a bad row exits non-zero with its line and changes nothing; a phone enrolled at
//! school A syncs school A's families and none of school B's, and the updates.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use homevisit_docs::{DocId, Record, read_record};
use homevisit_e2e::{RelayProcess, admin, relay_config};
use homevisit_model::{Day, Family, FamilyId, SchoolId};
use homevisit_relay::Storage;
use homevisit_relay::access::Role;
use homevisit_roster::{Format, Roster, ids};
use homevisit_store::{DbKey, Store};
use homevisit_sync::client::{RelayClient, enroll};

/// The relay process the phone syncs with (see `homevisit_e2e::RelayProcess`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the relay process of the roster test, started by it"]
async fn relay_process() {
    homevisit_e2e::serve_as_child().await;
}

const SCHOOL_A: &str = "sch-lincoln";
const SCHOOL_B: &str = "sch-roosevelt";
const STUDENTS: usize = 300;
const LANGUAGES: [&str; 5] = ["en", "es", "vi", "ar", "so"];
const GIVEN: [&str; 12] =
    ["Sofia", "Mateo", "Linh", "Yara", "Amina", "Jayden", "Emma", "Kofi", "Ren", "Camila", "Omar", "Ana"];
const FAMILY: [&str; 10] =
    ["Garcia", "Nguyen", "Haddad", "Okafor", "Brooks", "Tanaka", "Lopez", "Mensah", "Kowalski", "Farah"];

/// A OneRoster 1.1 export (as an SIS writes it: CRLF, every column, extension columns last).
/// `changed`: guardian g-0002's language becomes Portuguese and a sibling joins g-0001's family.
/// `bad`: student 0042's grade is not a grade (users.csv line `bad_line()`).
fn write_sample(dir: &Path, changed: bool, bad: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let crlf = |s: String| s.replace('\n', "\r\n");
    let orgs = format!(
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
         d-1,active,2026-07-01T00:00:00Z,Springfield Unified,district,,\n\
         {SCHOOL_A},active,2026-07-01T00:00:00Z,Lincoln Elementary,school,LIN,d-1\n\
         {SCHOOL_B},active,2026-07-01T00:00:00Z,Roosevelt Middle,school,ROO,d-1\n"
    );
    let mut users = String::from(
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,\
         middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,\
         metadata.homevisit.language,metadata.homevisit.interpreterNeeded,metadata.homevisit.trainingDate\n",
    );
    let mut classes = String::from(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects\n",
    );
    let mut enrollments = String::from(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n",
    );
    let mut demographics =
        String::from("sourcedId,status,dateLastModified,birthDate,sex,hispanicOrLatinoEthnicity,cityOfBirth\n");
    // Staff: ten teachers a school (half trained), a counselor, and an aide at both schools.
    for (s, school) in [SCHOOL_A, SCHOOL_B].iter().enumerate() {
        for t in 0..10 {
            let id = format!("t-{s}{t:02}");
            let trained = if t % 2 == 0 { "2026-08-10" } else { "" };
            writeln!(
                users,
                "{id},active,2026-07-01,true,{school},teacher,{id},,{},{},,,{id}@example.org,,,,,,,,{trained}",
                GIVEN[t], FAMILY[t]
            )
            .unwrap();
        }
        writeln!(users, "c-{s},active,2026-07-01,true,{school},counselor,c-{s},,Dana,Johnson,,,,,,,,,,,2025-07-10")
            .unwrap();
    }
    writeln!(users, "t-shared,active,2026-07-01,true,\"{SCHOOL_A},{SCHOOL_B}\",aide,t-shared,,Grace,Okafor,,,,,,,,,,,")
        .unwrap();
    writeln!(users, "t-gone,tobedeleted,2026-07-01,false,{SCHOOL_A},teacher,t-gone,,Old,Account,,,,,,,,,,,").unwrap();
    // Homerooms: one a grade a school; and an art class at A.
    let grades_a = ["KG", "01", "02", "03", "04", "05"];
    let grades_b = ["06", "07", "08"];
    for (s, (school, grades)) in [(SCHOOL_A, &grades_a[..]), (SCHOOL_B, &grades_b[..])].iter().enumerate() {
        for (g, grade) in grades.iter().enumerate() {
            writeln!(classes, "hr-{s}-{g},active,2026-07-01,Homeroom {grade},{grade},,,homeroom,,{school},term-1,")
                .unwrap();
            writeln!(enrollments, "en-t-{s}-{g},active,2026-07-01,hr-{s}-{g},{school},t-{s}{g:02},teacher,true,,")
                .unwrap();
        }
    }
    writeln!(classes, "art-a,active,2026-07-01,Art,02,,,scheduled,,{SCHOOL_A},term-1,Art").unwrap();
    // Students: the first 170 at A (K-5), the rest at B (6-8). Guardians: every third guardian
    // has two children (siblings); every tenth student has no guardian row.
    let students = if changed { STUDENTS + 1 } else { STUDENTS };
    let mut guardian_children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut next_guardian = 1;
    let mut i = 1;
    while i <= STUDENTS {
        if i % 10 == 0 {
            i += 1;
            continue;
        }
        let siblings = next_guardian % 3 == 0 && i < STUDENTS && (i + 1) % 10 != 0 && (i <= 170) == (i < 170);
        let children = if siblings { vec![i, i + 1] } else { vec![i] };
        i += children.len();
        guardian_children.insert(next_guardian, children);
        next_guardian += 1;
    }
    if changed {
        guardian_children.get_mut(&1).unwrap().push(STUDENTS + 1);
    }
    let guardian_of: BTreeMap<usize, usize> =
        guardian_children.iter().flat_map(|(g, cs)| cs.iter().map(move |c| (*c, *g))).collect();
    for n in 1..=students {
        let id = format!("stu-{n:04}");
        let at_a = n <= 170 || n > STUDENTS;
        let (school, s, grades) = if at_a { (SCHOOL_A, 0, &grades_a[..]) } else { (SCHOOL_B, 1, &grades_b[..]) };
        let g = n % grades.len();
        let grade = if bad && n == 42 { "Z9" } else { grades[g] };
        let surname = guardian_of.get(&n).map_or(FAMILY[n % FAMILY.len()], |g| FAMILY[g % FAMILY.len()]);
        let agents = guardian_of.get(&n).map(|g| format!("g-{g:04}")).unwrap_or_default();
        writeln!(
            users,
            "{id},active,2026-07-01,true,{school},student,{id},,{},{surname},,,,,,{agents},{grade},,,,",
            GIVEN[n % GIVEN.len()]
        )
        .unwrap();
        writeln!(enrollments, "en-{id},active,2026-07-01,hr-{s}-{g},{school},{id},student,false,,").unwrap();
        writeln!(demographics, "{id},active,2026-07-01,2015-03-0{},female,false,Springfield", n % 9 + 1).unwrap();
    }
    // Student 1 is in two classes.
    writeln!(enrollments, "en-art-1,active,2026-07-01,art-a,{SCHOOL_A},stu-0001,student,false,,").unwrap();
    for (g, children) in &guardian_children {
        let school = if children[0] <= 170 { SCHOOL_A } else { SCHOOL_B };
        let mut language = LANGUAGES[g % LANGUAGES.len()];
        if changed && *g == 2 {
            language = "pt";
        }
        let interpreter = if language == "en" { "false" } else { "true" };
        let kids: Vec<String> = children.iter().map(|c| format!("stu-{c:04}")).collect();
        let (surname, kids) = (FAMILY[g % FAMILY.len()], kids.join(","));
        writeln!(
            users,
            "g-{g:04},active,2026-07-01,true,{school},guardian,g-{g:04},,Parent,{surname},,,,,,\"{kids}\",,,\
             {language},{interpreter},"
        )
        .unwrap();
    }
    std::fs::write(dir.join("orgs.csv"), crlf(orgs)).unwrap();
    std::fs::write(dir.join("users.csv"), crlf(users)).unwrap();
    std::fs::write(dir.join("classes.csv"), crlf(classes)).unwrap();
    std::fs::write(dir.join("enrollments.csv"), crlf(enrollments)).unwrap();
    std::fs::write(dir.join("demographics.csv"), crlf(demographics)).unwrap();
    std::fs::write(dir.join("manifest.csv"), "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n")
        .unwrap();
}

/// The line of student 0042's row in users.csv: header, 21 staff, the deleted row, 41 students.
fn bad_line() -> usize {
    1 + 23 + 42
}

fn parse(dir: &Path) -> Roster {
    homevisit_roster::parse(
        Format::OneRoster,
        &homevisit_relay::roster_import::read_roster_files(dir, Format::OneRoster).unwrap(),
    )
    .unwrap()
}

/// The `homevisit-relay` binary, built once for this run (with the features this crate builds the
/// relay with, so nothing is rebuilt).
fn relay_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
            let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            cargo.args([
                "build",
                "-q",
                "-p",
                "homevisit-relay",
                "--features",
                "fault-injection",
                "--bin",
                "homevisit-relay",
            ]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cargo.arg("--release");
            }
            let status = cargo.arg("--locked").current_dir(env!("CARGO_MANIFEST_DIR")).status().expect("cargo runs");
            assert!(status.success(), "the relay binary builds");
            profile_dir.join("homevisit-relay")
        })
        .clone()
}

/// Runs `homevisit-relay --data <dir> [--postgres <url>] <args>`.
fn relay_cmd(data: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(relay_binary());
    cmd.arg("--data").arg(data);
    if let Storage::Postgres(url) = relay_config(data, "127.0.0.1:0".parse().unwrap()).storage {
        cmd.arg("--postgres").arg(url);
    }
    let out = cmd.args(args).env_remove("HOMEVISIT_RELAY_POSTGRES").env("RUST_LOG", "warn").output().unwrap();
    eprintln!(
        "$ homevisit-relay {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn import(data: &Path, roster: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["roster", "import", roster.to_str().unwrap()];
    args.extend(extra);
    relay_cmd(data, &args)
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Every roster document's heads, as the relay stores them now (`None`: not stored).
fn snapshot(data: &Path, roster: &Roster) -> (usize, BTreeMap<DocId, Option<Vec<String>>>) {
    let relay = admin(data);
    let ids = roster
        .schools
        .iter()
        .map(Record::doc_id)
        .chain(roster.educators.iter().map(Record::doc_id))
        .chain(roster.families.iter().map(Record::doc_id));
    let heads = ids
        .map(|id| (id, relay.document(&id).unwrap().map(|mut d| d.get_heads().iter().map(|h| h.to_string()).collect())))
        .collect();
    (relay.document_count().unwrap(), heads)
}

fn relay_family(data: &Path, id: FamilyId) -> Family {
    let relay = admin(data);
    read_record(&relay.document(&DocId::new(homevisit_docs::DocKind::Family, id.uuid())).unwrap().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_oneroster_export_imports_reimports_and_reaches_only_its_schools_phones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let (v1, v2, bad) = (dir.path().join("v1"), dir.path().join("v2"), dir.path().join("bad"));
    write_sample(&v1, false, false);
    write_sample(&v2, true, false);
    write_sample(&bad, true, true);
    let roster = parse(&v1);
    let (a, b) = (ids::school_id(Format::OneRoster, SCHOOL_A), ids::school_id(Format::OneRoster, SCHOOL_B));
    let students: usize = roster.families.iter().map(|f| f.students.len()).sum();
    assert_eq!(students, STUDENTS);
    assert_eq!(roster.educators.len(), 2 * 11 + 2, "the aide at two schools is two records");
    let total = roster.schools.len() + roster.educators.len() + roster.families.len();

    // A dry run says what would come and changes nothing.
    let out = stdout(&import(&data, &v1, &["--dry-run"]));
    assert!(out.contains(&format!("families: {} new, 0 changed, 0 unchanged", roster.families.len())), "{out}");
    assert!(out.contains("dry run: nothing was changed"), "{out}");
    assert_eq!(snapshot(&data, &roster).0, 0);

    // The import, then the same file again: nothing new, nothing changed.
    let out = stdout(&import(&data, &v1, &[]));
    assert!(out.contains(&format!("educators: {} new", roster.educators.len())), "{out}");
    for name in ["Garcia", "Sofia", "Okafor", "Lincoln"] {
        assert!(!out.contains(name), "{name} printed: {out}");
    }
    let first = snapshot(&data, &roster);
    assert_eq!(first.0, total);
    let out = stdout(&import(&data, &v1, &[]));
    assert!(out.contains(&format!("families: 0 new, 0 changed, {} unchanged", roster.families.len())), "{out}");
    assert_eq!(snapshot(&data, &roster), first, "a re-import of the same file changes nothing");
    let garcia_like = roster.families.iter().find(|f| f.students.iter().any(|s| s.classes.len() == 2)).unwrap();
    assert_eq!(garcia_like.students[0].classes, ["Art", "Homeroom 01"], "the student in two classes");

    // A phone of a teacher at school A syncs school A's families, none of B's.
    let teacher_a = roster.educators.iter().find(|e| e.school_id == a && e.training_date.is_none()).unwrap().clone();
    let relay = RelayProcess::start(&data, "relay_process", "");
    let code = admin(&data).access().invite(&a, &Role::Educator(teacher_a.id)).unwrap();
    let enrolled = enroll(&relay.url(), &code).await.unwrap();
    let phone = Mutex::new(Store::open(dir.path().join("phone.db"), &DbKey::from_bytes([7; 32])).unwrap());
    let client = RelayClient::new(&relay.url(), &enrolled.token).unwrap();
    client.sync(&phone).await.unwrap();
    let on_phone: BTreeSet<FamilyId> = phone
        .lock()
        .unwrap()
        .families()
        .unwrap()
        .into_iter()
        .map(|(f, s, _)| {
            assert_eq!(s, a, "a family of school B reached school A's phone");
            f
        })
        .collect();
    let of_a: BTreeSet<FamilyId> = roster.families.iter().filter(|f| f.school_id == a).map(|f| f.id).collect();
    assert!(roster.families.iter().any(|f| f.school_id == b));
    assert_eq!(on_phone, of_a);
    let shared = ids::educator_id(Format::OneRoster, "t-shared", SCHOOL_A);
    let educators = phone.lock().unwrap().educators().unwrap();
    assert!(educators.iter().any(|e| e.id == shared));
    assert!(educators.iter().all(|e| e.school_id == a));
    drop(relay); // Embedded: one relay per directory; the import runs with it stopped.

    // The district changed a family's language and added a student: a dry run says so, the
    // import updates both families in place.
    let changed = parse(&v2);
    let out = stdout(&import(&data, &v2, &["--dry-run"]));
    assert!(out.contains("families: 0 new, 2 changed"), "{out}");
    assert_eq!(snapshot(&data, &roster), first, "the dry run changed nothing");
    let out = stdout(&import(&data, &v2, &[]));
    assert!(out.contains("families: 0 new, 2 changed"), "{out}");
    let second = snapshot(&data, &changed);
    assert_eq!(second.0, total, "no duplicate");
    let g1 = ids::family_id(Format::OneRoster, "g-0001", SCHOOL_A);
    let g2 = ids::family_id(Format::OneRoster, "g-0002", SCHOOL_A);
    assert_eq!(relay_family(&data, g2).preferred_language.as_str(), "pt");
    assert_eq!(relay_family(&data, g1).students.len(), 2);

    // A bad row: non-zero exit, its line on stderr (no names), nothing changed.
    let out = import(&data, &bad, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("users.csv line {}, column grades", bad_line())), "{err}");
    assert!(!err.contains("Z9") && !err.contains("Mateo") && !err.contains("Garcia"), "{err}");
    assert_eq!(snapshot(&data, &changed), second, "the bad file changed nothing");

    // Training: the teacher is trained now; a re-import without the date keeps it.
    let out = stdout(&relay_cmd(&data, &["educator", "train", &teacher_a.id.to_string(), "--on", "2026-09-01"]));
    assert!(out.contains("trained on 2026-09-01"), "{out}");
    assert!(
        !relay_cmd(&data, &["educator", "train", &teacher_a.id.to_string(), "--on", "1st of May"]).status.success()
    );
    stdout(&import(&data, &v2, &[]));

    // The phone receives the updates on its next sync.
    let relay = RelayProcess::start(&data, "relay_process", "");
    let client = RelayClient::new(&relay.url(), &enrolled.token).unwrap();
    client.sync(&phone).await.unwrap();
    let mut phone = phone.lock().unwrap();
    assert_eq!(phone.family(g2).unwrap().preferred_language.as_str(), "pt");
    assert_eq!(phone.family(g1).unwrap().students.len(), 2);
    assert_eq!(phone.families().unwrap().len(), of_a.len(), "no duplicate on the phone");
    let trained = phone.educators().unwrap().into_iter().find(|e| e.id == teacher_a.id).unwrap();
    assert_eq!(trained.training_date, Day::parse("2026-09-01"));
    let _: SchoolId = b;
}
