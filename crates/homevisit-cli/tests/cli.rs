//! The `homevisit` binary end to end: demo data, listing, editing notes, errors, export.

mod common;

use std::process::{Command, Output};

use common::homevisit;

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Fills a store with the demo district and returns its roster as `--json roster` prints it.
fn demo_roster(data: &std::path::Path) -> serde_json::Value {
    stdout(&homevisit(data, &["demo"]));
    serde_json::from_str(&stdout(&homevisit(data, &["--json", "roster"]))).unwrap()
}

/// The id of the educator named `name` in a `--json roster`.
fn educator_id(roster: &serde_json::Value, name: &str) -> String {
    roster["educators"].as_array().unwrap().iter().find(|e| e["display_name"] == name).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn demo_then_edit_a_debrief_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = stdout(&homevisit(&data, &["demo"]));
    assert!(out.contains("Today's visits"), "{out}");
    assert!(out.contains("Reach per school"), "{out}");

    let today: serde_json::Value = serde_json::from_str(&stdout(&homevisit(&data, &["--json", "today"]))).unwrap();
    let today = today.as_array().unwrap();
    assert_eq!(today.len(), 3);
    let visit = today[0]["visit_id"].as_str().unwrap();

    stdout(&homevisit(&data, &["notes", "set", visit, "learned", "Sofia loves soccer"]));
    stdout(&homevisit(&data, &["notes", "splice", visit, "learned", "--at", "12", "--text", "and drawing and "]));
    let notes: serde_json::Value =
        serde_json::from_str(&stdout(&homevisit(&data, &["--json", "notes", "show", visit]))).unwrap();
    assert_eq!(notes["learned"], "Sofia loves and drawing and soccer");

    // Bad input: typed, readable errors and a failing exit code; nothing changes.
    let bad = homevisit(&data, &["notes", "splice", visit, "learned", "--at", "999", "--text", "x"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("outside"));
    let bad = homevisit(&data, &["notes", "set", visit, "risk_score", "x"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a note field"));

    let export: serde_json::Value = serde_json::from_str(&stdout(&homevisit(&data, &["export"]))).unwrap();
    assert_eq!(export["visit-log"].as_array().unwrap().len(), 9);
    assert!(export.to_string().contains("Sofia loves and drawing and soccer"));

    // The key file is private, and the store refuses another key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("device.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others");
    }
    let wrong = Command::new(env!("CARGO_BIN_EXE_homevisit"))
        .arg("--data")
        .arg(&data)
        .arg("today")
        .env("HOMEVISIT_DB_KEY", "ab".repeat(32))
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("key does not open this store"));
}

#[test]
fn planning_from_the_command_line_validates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = demo_roster(&data);
    let id_of = |name: &str| educator_id(&roster, name);
    let family = roster["families"][0]["id"].as_str().unwrap().to_string();
    let (okafor, rivera) = (id_of("Grace Okafor"), id_of("Elena Rivera"));

    let alone = homevisit(
        &data,
        &["visit", "plan", "--family", &family, "--educators", &okafor, "--at", "2026-12-01T17:00:00Z"],
    );
    assert!(String::from_utf8_lossy(&alone.stderr).contains("at least two adults"));

    let pair = format!("{okafor},{rivera}");
    let out = stdout(&homevisit(
        &data,
        &[
            "visit",
            "plan",
            "--family",
            &family,
            "--educators",
            &pair,
            "--at",
            "2026-12-01T17:00:00Z",
            "--place",
            "neutral:Library",
        ],
    ));
    let visit = out.trim();
    let shown = stdout(&homevisit(&data, &["visit", "show", visit]));
    assert!(shown.contains("neutral: Library"), "{shown}");
    let late = homevisit(
        &data,
        &[
            "visit",
            "outcome",
            visit,
            "--status",
            "completed",
            "--start",
            "2026-12-01T17:00:00Z",
            "--end",
            "2026-12-01T16:00:00Z",
        ],
    );
    assert!(String::from_utf8_lossy(&late.stderr).contains("end is before its start"));

    // The pair marks the debrief done (only an educator of the visit may), and takes it back.
    let outsider = homevisit(&data, &["visit", "debrief-done", visit, "--by", &id_of("David Chen")]);
    assert!(!outsider.status.success());
    stdout(&homevisit(&data, &["visit", "debrief-done", visit, "--by", &okafor]));
    let notes: serde_json::Value =
        serde_json::from_str(&stdout(&homevisit(&data, &["--json", "notes", "show", visit]))).unwrap();
    assert_eq!(notes["debrief_done"]["by"], okafor.as_str());
    assert!(stdout(&homevisit(&data, &["visit", "show", visit])).contains("debrief done: by Grace Okafor"));
    stdout(&homevisit(&data, &["visit", "debrief-done", visit, "--reopen"]));
    assert!(stdout(&homevisit(&data, &["visit", "show", visit])).contains("debrief done: no"));
}

/// A visit is completed only with the family's agreement; a family's "no" stops planning until a
/// coordinator records that it agreed again.
#[test]
fn a_familys_no_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = demo_roster(&data);
    let id_of = |name: &str| educator_id(&roster, name);
    let family = roster["families"][0]["id"].as_str().unwrap().to_string();
    let (okafor, rivera) = (id_of("Grace Okafor"), id_of("Elena Rivera"));
    let pair = format!("{okafor},{rivera}");
    let plan = |extra: &[&str]| {
        let mut args = vec!["visit", "plan", "--family", &family, "--educators", &pair, "--at", "2026-12-01T17:00:00Z"];
        args.extend_from_slice(extra);
        homevisit(&data, &args)
    };
    let times = ["--start", "2026-12-01T17:00:00Z", "--end", "2026-12-01T17:40:00Z", "--by", rivera.as_str()];
    let complete = |visit: &str| {
        let mut args = vec!["visit", "outcome", visit, "--status", "completed"];
        args.extend_from_slice(&times);
        homevisit(&data, &args)
    };
    let unagreed = stdout(&plan(&[])).trim().to_string();
    assert!(String::from_utf8_lossy(&complete(&unagreed).stderr).contains("agreement"));
    let agreed = stdout(&plan(&["--agreed-by", &rivera])).trim().to_string();
    stdout(&complete(&agreed));

    stdout(&homevisit(&data, &["visit", "decline", &unagreed, "--by", &rivera]));
    let refused = plan(&["--agreed-by", &rivera]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("declined"), "{refused:?}");
    stdout(&homevisit(&data, &["visit", "family-agreed", &family]));
    stdout(&plan(&[]));

    // A coordinator confirms a visit by one educator with an interpreter, never a pair's.
    let pair_refused = homevisit(&data, &["visit", "coordinator-confirm", &agreed]);
    assert!(String::from_utf8_lossy(&pair_refused.stderr).contains("one educator"), "{pair_refused:?}");
    let alone = stdout(&homevisit(
        &data,
        &[
            "visit",
            "plan",
            "--family",
            &family,
            "--educators",
            &rivera,
            "--at",
            "2026-12-01T17:00:00Z",
            "--interpreter",
            "es:separate",
            "--agreed-by",
            &rivera,
        ],
    ))
    .trim()
    .to_string();
    stdout(&complete(&alone));
    stdout(&homevisit(&data, &["visit", "coordinator-confirm", &alone]));
}

#[test]
fn a_district_administrator_edits_conversation_starters_from_a_pack_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stdout(&homevisit(&data, &["demo"]));
    let file = dir.path().join("es.json");
    let pack = serde_json::json!({
        "language": "es",
        "reviewed": { "by": "Revisora nativa", "on": "2026-11-30" },
        "note": "Revisado por la escuela.",
        "visits": [{ "visit": 1, "title": "Primera visita (distrito)", "prompts": ["¿Qué sueños tienen para su hija?"] }]
    });
    std::fs::write(&file, pack.to_string()).unwrap();
    let out = stdout(&homevisit(&data, &["put-prompts", file.to_str().unwrap()]));
    assert!(out.contains("saved 1 pack(s) in es for the district"), "{out}");
    let shown = stdout(&homevisit(&data, &["prompts", "--lang", "es-MX", "--visit", "1"]));
    assert!(shown.contains("Primera visita (distrito)") && shown.contains("sueños tienen"), "{shown}");
    // Visit 2 was not in the file: still the built-in pack.
    let second = stdout(&homevisit(&data, &["prompts", "--lang", "es", "--visit", "2"]));
    assert!(!second.contains("(distrito)"), "{second}");
    assert_eq!(
        stdout(&homevisit(&data, &["unsynced"])).lines().filter(|l| l.contains("prompt-pack")).count(),
        1,
        "the edited pack waits for the next sync"
    );

    // A file that is not a pack, or a pack with no prompts, is refused and saves nothing.
    std::fs::write(&file, "{ not json").unwrap();
    let bad = homevisit(&data, &["put-prompts", file.to_str().unwrap()]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("line 1"));
    std::fs::write(&file, r#"{"language":"es","visits":[{"visit":1,"title":"x","prompts":[]}]}"#).unwrap();
    assert!(!homevisit(&data, &["put-prompts", file.to_str().unwrap()]).status.success());
    let bad_school = homevisit(&data, &["put-prompts", file.to_str().unwrap(), "--school", "lincoln"]);
    assert!(!bad_school.status.success());
}

#[test]
fn the_report_counts_the_demo_district() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stdout(&homevisit(&data, &["demo"]));
    let today = chrono::Local::now().date_naive();
    let (from, to) = ((today - chrono::Days::new(30)).to_string(), (today + chrono::Days::new(10)).to_string());
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&homevisit(&data, &["--json", "report", "--from", &from, "--to", &to]))).unwrap();
    assert_eq!((report["from"].as_str(), report["to"].as_str()), (Some(from.as_str()), Some(to.as_str())));

    // Expected from the fixture: Lincoln's completed visits are to the Nguyen and Mensah
    // families (families 1 and 5), by Rivera, Chen and Okafor of its four educators.
    let fixture = homevisit_fixtures::demo::data_set(today, *chrono::Local::now().offset());
    let lincoln_id = fixture.families[0].school_id;
    let students = |f: &homevisit_model::Family| f.students.len() as u64;
    let enrolled: u64 = fixture.families.iter().filter(|f| f.school_id == lincoln_id).map(students).sum();
    let visited = students(&fixture.families[1]) + students(&fixture.families[5]);
    let schools = report["schools"].as_array().unwrap();
    let lincoln = schools.iter().find(|s| s["school_id"] == lincoln_id.to_string()).unwrap();
    assert_eq!(lincoln["students"]["part"], visited);
    assert_eq!(lincoln["students"]["whole"], enrolled);
    assert_eq!(lincoln["reach_meets_threshold"], true);
    assert_eq!((&lincoln["staff"]["part"], &lincoln["staff"]["whole"]), (&3.into(), &4.into()));
    assert_eq!((&lincoln["families"], &lincoln["families_with_first"]), (&5.into(), &2.into()));
    let roosevelt = schools.iter().find(|s| s["school_id"] != lincoln_id.to_string()).unwrap();
    assert_eq!((&roosevelt["staff"]["part"], &roosevelt["staff"]["whole"]), (&2.into(), &2.into()));

    let chen = report["educators"].as_array().unwrap().iter().find(|e| e["display_name"] == "David Chen").unwrap();
    assert_eq!((&chen["visits"], &chen["completed"], &chen["documented"]), (&5.into(), &2.into(), &1.into()));

    let text = stdout(&homevisit(&data, &["report", "--from", &from, "--to", &to]));
    assert!(text.contains(&format!("students {visited:>4}/{enrolled:<4}")), "{text}");

    // Bad days: a readable error and a failing exit code.
    let bad = homevisit(&data, &["report", "--from", &to, "--to", &from]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is after"));
    let bad = homevisit(&data, &["report", "--from", "2026-13-01"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not YYYY-MM-DD"));
}
