//! The administrator's commands, as the `homevisit-relay` binary runs them: `invite` with a typed
//! role (an educator's needs `--educator`, the others refuse one) and an expiry, and `devices`
//! listing every device by person with its last-seen and revoked times. On the embedded storage, or on
//! PostgreSQL when `HOMEVISIT_TEST_POSTGRES` names a server (a database of its own per run).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use homevisit_model::{EducatorId, SchoolId};
use homevisit_relay::access::Role;
use homevisit_relay::{Config, Storage, start};

fn storage() -> Storage {
    common::storage("hv_cli")
}

fn relay(data: &Path, storage: &Storage, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_homevisit-relay"));
    command.arg("--data").arg(data).env_remove("HOMEVISIT_RELAY_INVITE_DAYS");
    if let Storage::Postgres(url) = storage {
        command.args(["--postgres", url]);
    }
    command.args(args).output().expect("the relay binary runs")
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn refused(output: Output) -> String {
    assert!(!output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_takes_a_typed_role_and_devices_lists_last_seen_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let (school, educator) = (SchoolId::new(), EducatorId::new());
    let (s, e) = (school.to_string(), educator.to_string());

    // Roles are typed: an educator's invite names the educator, the others name none.
    assert!(refused(relay(&data, &storage, &["invite", "--school", &s, "--role", "educator"])).contains("--educator"));
    assert!(
        refused(relay(&data, &storage, &["invite", "--school", &s, "--role", "coordinator", "--educator", &e]))
            .contains("only an educator")
    );
    assert!(refused(relay(&data, &storage, &["invite", "--school", &s, "--role", "admin"])).contains("district-admin"));
    assert!(
        refused(relay(&data, &storage, &["invite", "--school", "school-1", "--role", "coordinator"]))
            .contains("school")
    );
    assert!(
        refused(relay(&data, &storage, &["invite", "--school", &s, "--expires-in-days", "0", "--educator", &e]))
            .contains("expires-in-days")
    );
    let mut with_env = Command::new(env!("CARGO_BIN_EXE_homevisit-relay"));
    with_env.env("HOMEVISIT_RELAY_INVITE_DAYS", "400").arg("--data").arg(&data);
    if let Storage::Postgres(url) = &storage {
        with_env.args(["--postgres", url]);
    }
    assert!(!with_env.args(["invite", "--school", &s, "--role", "coordinator"]).output().unwrap().status.success());

    let educator_code = ok(relay(&data, &storage, &["invite", "--school", &s, "--educator", &e]));
    let admin_code =
        ok(relay(&data, &storage, &["invite", "--school", &s, "--role", "district-admin", "--expires-in-days", "1"]));

    // Two devices enroll; one syncs.
    let config = Config {
        data_dir: data.clone(),
        listen: "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        storage: storage.clone(),
    };
    let running = start(&config).await.unwrap();
    let phone = homevisit_sync::client::enroll(&running.url(), educator_code.trim()).await.unwrap();
    let district = homevisit_sync::client::enroll(&running.url(), admin_code.trim()).await.unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    let store = std::sync::Mutex::new(
        homevisit_store::Store::open(store_dir.path().join("p.db"), &homevisit_store::DbKey::from_bytes([3; 32]))
            .unwrap(),
    );
    homevisit_sync::client::RelayClient::new(&running.url(), &phone.token).unwrap().sync(&store).await.unwrap();

    let revoked = ok(relay(&data, &storage, &["revoke", district.device_id.as_str()]));
    assert!(revoked.contains(district.device_id.as_str()));
    let table = ok(relay(&data, &storage, &["devices"]));
    let lines: Vec<&str> = table.lines().collect();
    // A header, then each person (the educator, by id; the district administrators) and its device.
    assert_eq!(lines.len(), 5, "{table}");
    let header: Vec<&str> = lines[0].split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(header, ["DEVICE", "ENROLLED", "LAST SEEN", "REVOKED"]);
    let row = |id: &str| -> (String, Vec<String>) {
        let at = lines.iter().position(|l| l.trim_start().starts_with(id)).unwrap_or_else(|| panic!("{id} in {table}"));
        (lines[at - 1].to_string(), lines[at].split_whitespace().map(String::from).collect())
    };
    let (person, seen) = row(phone.device_id.as_str());
    assert_eq!(person, format!("{} {e} (school {s}) - 1 device", Role::EDUCATOR), "{table}");
    assert!(seen[2] != "-" && seen[3] == "-", "synced, not revoked: {table}");
    let (person, gone) = row(district.device_id.as_str());
    assert!(person.starts_with(Role::DISTRICT_ADMIN), "{table}");
    assert!(gone[2] == "-" && gone[3] != "-", "never synced, revoked: {table}");
    // Ids and times only: nothing else the relay knows about anyone.
    assert!(!table.contains(&phone.token) && !table.contains(educator_code.trim()));
    running.stop().await.unwrap();
}

/// A PostgreSQL database made before invites expired and devices were seen gets the columns when
/// a relay opens it: its invite expires 14 days after it was made, its devices get a last-seen time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_from_before_expiry_and_last_seen_migrates() {
    let Storage::Postgres(url) = storage() else {
        eprintln!("skipped: set HOMEVISIT_TEST_POSTGRES to a PostgreSQL URL");
        return;
    };
    let school = SchoolId::new().to_string();
    let (fresh, stale) = ("0123456789abcdef01234567", "89abcdef0123456789abcdef");
    let setup = url.clone();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&setup, postgres::NoTls).unwrap();
        // The tables as the first release made them.
        c.batch_execute(
            "CREATE TABLE invites (code_hash bytea PRIMARY KEY, school_id text NOT NULL, role text NOT NULL,
                 educator_id text, created_at timestamptz NOT NULL DEFAULT now(), used_at timestamptz);
             CREATE TABLE devices (device_id text PRIMARY KEY, token_hash bytea NOT NULL UNIQUE,
                 school_id text NOT NULL, role text NOT NULL, educator_id text,
                 enrolled_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz);",
        )
        .unwrap();
        for (code, age) in [(fresh, "1 day"), (stale, "15 days")] {
            let hash = sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), code)).to_vec();
            c.execute(
                &format!("INSERT INTO invites (code_hash, school_id, role, created_at) VALUES ($1, $2, 'coordinator', now() - interval '{age}')"),
                &[&hash, &school],
            )
            .unwrap();
        }
    })
    .join()
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let relay = homevisit_relay::Relay::open_with(dir.path(), &Storage::Postgres(url)).unwrap();
    let access = relay.access();
    assert!(matches!(access.enroll(stale), Err(homevisit_relay::AccessError::BadInvite)), "made 15 days ago");
    let (device, token) = access.enroll(fresh).unwrap();
    assert_eq!(device.role, Role::SchoolCoordinator);
    assert_eq!(access.authenticate(&token).unwrap(), Some(device));
    assert!(access.devices().unwrap()[0].last_seen_at.is_some());
}

/// `audit` lists the administrator's actions (ids and codes only), pages with `--after`, and
/// `--verify` checks the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_lists_administrative_actions_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let s = SchoolId::new().to_string();
    ok(relay(&data, &storage, &["invite", "--school", &s, "--role", "coordinator"]));
    ok(relay(&data, &storage, &["policy", "--school", &s, "--coordinators-read-notes", "true"]));
    let table = ok(relay(&data, &storage, &["audit"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "DETAIL"]);
    let row = |i: usize| lines[i].split_whitespace().collect::<Vec<_>>();
    assert_eq!(
        [row(1)[0], row(1)[2], row(1)[3], row(1)[4], row(1)[5]],
        ["1", "operator", "invited", &s, "coordinator"]
    );
    assert_eq!(&row(2)[3..], ["policy", &s, "coordinators_read_notes=true"]);
    let after = ok(relay(&data, &storage, &["audit", "--after", "1"]));
    assert_eq!(after.lines().count(), 2, "{after}");
    assert_eq!(ok(relay(&data, &storage, &["audit", "--verify"])).trim(), "audit trail intact: 2 entries");
}

/// `visit attestations` shows the coordinator who recorded and confirmed a visit: field, educator,
/// device (here the district's import) and relay time; ids and times only.
#[test]
fn visit_attestations_lists_who_recorded_and_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let district = homevisit_fixtures::demo::data_set(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        chrono::FixedOffset::west_opt(8 * 3600).unwrap(),
    );
    {
        let relay = homevisit_relay::Relay::open_with(&data, &storage).unwrap();
        relay
            .import_with(|s| {
                s.import_district(&district.schools, &district.educators, &district.families, &district.visits)
            })
            .unwrap();
    }
    let confirmed = district.visits.iter().map(|(l, _)| l).find(|l| l.is_documented()).unwrap();
    let table = ok(relay(&data, &storage, &["visit", "attestations", &confirmed.plan.id.to_string()]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["FIELD", "EDUCATOR", "DEVICE", "AT"]);
    let partner = confirmed.outcome.partner_confirmation.as_ref().unwrap().educator_id.to_string();
    let row = lines.iter().find(|l| l.starts_with("partner_confirmation")).expect("the confirmation");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..3], [partner.as_str(), homevisit_relay::attest::IMPORT], "{table}");
    assert!(chrono::DateTime::parse_from_rfc3339(cells[3]).is_ok(), "{table}");
    for name in district.families.iter().map(|f| f.display_name.as_str()) {
        assert!(!table.contains(name));
    }
    assert!(refused(relay(&data, &storage, &["visit", "attestations", "not-a-visit"])).contains("not-a-visit"));
}

/// `invite --relay-url ... --qr`: the code, the enrollment link a phone opens or scans, and the
/// link as a QR code; the link enrolls a phone. A bad address is refused before a code is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_prints_the_enrollment_link_and_its_qr_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let s = SchoolId::new().to_string();
    let config = Config { data_dir: data.clone(), listen: "127.0.0.1:0".parse().unwrap(), storage: storage.clone() };
    let running = start(&config).await.unwrap();
    let url = running.url();

    let refused_url = refused(relay(
        &data,
        &storage,
        &["invite", "--school", &s, "--role", "coordinator", "--relay-url", "relay.example"],
    ));
    assert!(refused_url.contains("--relay-url"), "{refused_url}");
    assert!(
        refused(relay(&data, &storage, &["invite", "--school", &s, "--role", "coordinator", "--qr"]))
            .contains("relay-url")
    );
    let invited_before = ok(relay(&data, &storage, &["audit"])).lines().filter(|l| l.contains("invited")).count();
    assert_eq!(invited_before, 0, "a refused invite makes no code");

    let out =
        ok(relay(&data, &storage, &["invite", "--school", &s, "--role", "coordinator", "--relay-url", &url, "--qr"]));
    let lines: Vec<&str> = out.lines().collect();
    let link = homevisit_protocol::EnrollLink::parse(lines[1]).expect("the second line is the link");
    assert_eq!((link.invite_code.as_str(), link.relay_url.as_str()), (lines[0], url.as_str()));
    let qr: Vec<&&str> = lines[2..].iter().filter(|l| !l.is_empty()).collect();
    assert!(
        qr.len() > 10 && qr.iter().all(|l| l.chars().count() == qr[0].chars().count()),
        "a square of half blocks:\n{out}"
    );
    assert!(qr.iter().any(|l| l.contains('█') || l.contains('▀') || l.contains('▄')));

    // A phone enrolls from what it scanned.
    homevisit_sync::client::enroll(&link.relay_url, &link.invite_code).await.expect("the link enrolls");
    running.stop().await.unwrap();
}

/// The demo district, imported into `data` (and the relay closed again), with its visits around
/// `today`; and its data set, for what the exports should say.
fn demo_relay(data: &Path, storage: &Storage, today: chrono::NaiveDate) -> homevisit_fixtures::DataSet {
    let offset = chrono::FixedOffset::east_opt(0).unwrap();
    let relay = homevisit_relay::Relay::open_with(data, storage).unwrap();
    homevisit_relay::demo::import_demo_district(&relay, today, offset).unwrap().expect("an empty relay");
    homevisit_fixtures::demo::data_set(today, offset)
}

/// A CSV's lines as cells (the demo's fields hold no comma or quote: checked).
fn cells(csv: &str) -> Vec<Vec<String>> {
    assert!(!csv.contains('"'), "{csv}");
    csv.lines().map(|l| l.split(',').map(String::from).collect()).collect()
}

/// `export stipends` of one demo school: the report's header, one row per educator of that
/// school with a completed visit (their counts as the demo data has them, at the district's rate
/// or `--rate`), the coordinator's paid mark for that period, written readable by the operator only;
/// nothing of the other school in any of its reports; bad dates, schools and rates a clear error.
#[test]
fn export_writes_a_schools_stipends_and_nothing_of_another_school() {
    use homevisit_model::VisitStatus;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let district = demo_relay(&data, &storage, today);
    let (from, to) = ("2026-01-01", "2027-06-30");
    let lincoln = district.schools[0].id;
    let roosevelt = district.schools[1].id;
    let (l, r) = (lincoln.to_string(), roosevelt.to_string());

    // What the stipends should be: Lincoln's educators with a completed visit, and their counts.
    let completed = |e: EducatorId| {
        let of = district.visits.iter().map(|(v, _)| v).filter(|v| v.plan.educator_ids.contains(&e));
        let done: Vec<_> = of.filter(|v| v.outcome.status == VisitStatus::Completed).collect();
        (done.len(), done.iter().filter(|v| v.is_documented()).count())
    };
    let expected: Vec<_> = district
        .educators
        .iter()
        .filter(|e| e.school_id == lincoln && completed(e.id).0 > 0)
        .map(|e| (e.id.to_string(), completed(e.id)))
        .collect();
    assert!(expected.len() >= 2, "the demo has paid work at Lincoln");

    let stipends = ok(relay(&data, &storage, &["export", "stipends", "--school", &l, "--from", from, "--to", to]));
    let rows = cells(&stipends);
    assert_eq!(rows[0].join(","), homevisit_reports::csv::STIPEND_HEADER);
    let column = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (educator, done, confirmed, rate, amount, paid) = (
        column("educator_id"),
        column("completed_visits"),
        column("partner_confirmed_visits"),
        column("rate"),
        column("amount"),
        column("paid"),
    );
    let mut got: Vec<_> = rows[1..]
        .iter()
        .map(|row| (row[educator].clone(), (row[done].parse().unwrap(), row[confirmed].parse().unwrap())))
        .collect();
    let mut want = expected.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{stipends}");
    for row in &rows[1..] {
        assert_eq!(
            (row[column("school_id")].as_str(), row[rate].as_str(), row[paid].as_str()),
            (l.as_str(), "40.00", "no")
        );
        let n: u64 = row[confirmed].parse().unwrap();
        assert_eq!(row[amount], format!("{}.00", n * 40));
    }

    // The coordinator marks one paid for this period; a rate given for this export; to a file.
    let marked: EducatorId = expected[0].0.parse().unwrap();
    {
        let relay = homevisit_relay::Relay::open_with(&data, &storage).unwrap();
        let key = homevisit_relay::dashboard_store::period_key(
            lincoln,
            chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap(),
            chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap(),
        );
        relay.dashboard().set_paid(&key, marked, true, uuid::Uuid::new_v4(), 0).unwrap();
    }
    let out = dir.path().join("stipends.csv");
    let printed = ok(relay(
        &data,
        &storage,
        &[
            "export",
            "stipends",
            "--school",
            &l,
            "--from",
            from,
            "--to",
            to,
            "--rate",
            "42.50",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    assert!(printed.contains(&format!("exported {} stipends rows", expected.len())), "{printed}");
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&out).unwrap().permissions()) & 0o777, 0o600);
    let rows = cells(&std::fs::read_to_string(&out).unwrap());
    for row in &rows[1..] {
        let is_marked = row[educator] == marked.to_string();
        assert_eq!((row[rate].as_str(), row[paid].as_str()), ("42.50", if is_marked { "yes" } else { "no" }));
    }

    // Nothing of Roosevelt in any of Lincoln's reports: its id, its educators', families', visits'.
    let theirs: Vec<String> = std::iter::once(r.clone())
        .chain(district.educators.iter().filter(|e| e.school_id == roosevelt).map(|e| e.id.to_string()))
        .chain(district.families.iter().filter(|f| f.school_id == roosevelt).map(|f| f.id.to_string()))
        .chain(
            district.visits.iter().filter(|(v, _)| v.plan.school_id == roosevelt).map(|(v, _)| v.plan.id.to_string()),
        )
        .collect();
    assert!(theirs.len() > 3);
    let visits = ok(relay(&data, &storage, &["export", "visits", "--school", &l, "--from", from, "--to", to]));
    let lincoln_visits = district.visits.iter().filter(|(v, _)| v.plan.school_id == lincoln).count();
    assert_eq!(visits.lines().count(), 1 + lincoln_visits, "{visits}");
    for report in [&stipends, &visits] {
        for id in &theirs {
            assert!(!report.contains(id.as_str()), "{id} in {report}");
        }
    }
    let all = ok(relay(&data, &storage, &["export", "visits", "--all-schools", "--from", from, "--to", to]));
    assert_eq!(all.lines().count(), 1 + district.visits.len());
    // The evaluation export names no one and no id: its pseudonyms differ at every export.
    let evaluation = ok(relay(&data, &storage, &["export", "evaluation", "--school", &l, "--from", from, "--to", to]));
    assert_eq!(evaluation.lines().count(), 1 + lincoln_visits, "{evaluation}");
    for id in district.visits.iter().map(|(v, _)| v.plan.id.to_string()).chain([l.clone(), r.clone()]) {
        assert!(!evaluation.contains(&id));
    }
    for name in district.families.iter().map(|f| f.display_name.as_str()) {
        assert!(!evaluation.contains(name));
    }
    let again = ok(relay(&data, &storage, &["export", "evaluation", "--school", &l, "--from", from, "--to", to]));
    assert_ne!(again, evaluation, "a fresh key per export");

    // Bad input: a clear error, and nothing exported.
    for (args, says) in [
        (vec!["--school", l.as_str(), "--from", "2026-13-01", "--to", to], "--from must be a date as YYYY-MM-DD"),
        (vec!["--school", l.as_str(), "--from", from, "--to", "30/06/2027"], "--to must be a date as YYYY-MM-DD"),
        (vec!["--school", l.as_str(), "--from", to, "--to", from], "--from must not be after --to"),
        (vec!["--from", from, "--to", to], "--school"),
        (vec!["--school", l.as_str(), "--all-schools", "--from", from, "--to", to], "cannot be used with"),
        (vec!["--school", "lincoln", "--from", from, "--to", to], "lincoln"),
        (vec!["--school", l.as_str(), "--from", from, "--to", to, "--rate", "forty"], "the rate must be dollars"),
    ] {
        let mut command = vec!["export", "stipends"];
        command.extend(args);
        let error = refused(relay(&data, &storage, &command));
        assert!(error.contains(says), "{command:?}: {error}");
    }
    let unknown = SchoolId::new().to_string();
    let error =
        refused(relay(&data, &storage, &["export", "visits", "--school", &unknown, "--from", from, "--to", to]));
    assert!(error.contains(&format!("no school {unknown}")), "{error}");
    let error = refused(relay(
        &data,
        &storage,
        &["export", "visits", "--school", &l, "--from", from, "--to", to, "--rate", "1"],
    ));
    assert!(error.contains("--rate is for the stipends report only"), "{error}");

    // Audited: each export, with its report, school and row count only.
    let audit = ok(relay(&data, &storage, &["audit"]));
    let exported: Vec<&str> = audit.lines().filter(|l| l.contains("report_exported")).collect();
    assert_eq!(exported.len(), 6, "{audit}");
    assert!(exported[0].contains(&l) && exported[0].ends_with(&format!("stipends rows={}", expected.len())));
    assert!(exported[3].contains("all_schools"), "{audit}");
    assert!(!audit.contains(&district.educators[0].display_name));
}

/// `stipend-rate` shows the district's rate (40.00 until set), sets it in dollars, refuses what
/// is not an amount; the export's default follows it; the change is audited.
#[test]
fn stipend_rate_is_shown_set_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let district = demo_relay(&data, &storage, chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    assert_eq!(
        ok(relay(&data, &storage, &["stipend-rate"])).trim(),
        "stipend rate: 40.00 dollars per documented visit"
    );
    for bad in ["-5", "40,00", "$40", "10000.01"] {
        assert!(refused(relay(&data, &storage, &["stipend-rate", bad])).contains("the rate must be dollars"), "{bad}");
    }
    assert_eq!(
        ok(relay(&data, &storage, &["stipend-rate", "42.5"])).trim(),
        "stipend rate: 42.50 dollars per documented visit"
    );
    assert_eq!(
        ok(relay(&data, &storage, &["stipend-rate"])).trim(),
        "stipend rate: 42.50 dollars per documented visit"
    );
    let l = district.schools[0].id.to_string();
    let csv = ok(relay(
        &data,
        &storage,
        &["export", "stipends", "--school", &l, "--from", "2026-01-01", "--to", "2027-06-30"],
    ));
    let rows = cells(&csv);
    let rate = rows[0].iter().position(|c| c == "rate").unwrap();
    assert!(rows.len() > 1 && rows[1..].iter().all(|r| r[rate] == "42.50"), "{csv}");
    let audit = ok(relay(&data, &storage, &["audit"]));
    assert_eq!(audit.lines().filter(|l| l.contains("stipend_rate") && l.ends_with("cents=4250")).count(), 1, "{audit}");
}

/// `dashboard-account`: the password from the environment or a line of stdin, stored as an
/// argon2id hash that verifies; a taken username, a short password or an educator's role refused;
/// the trail names the account by id, never by username.
#[test]
fn dashboard_account_takes_its_password_from_the_environment_or_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let school = SchoolId::new().to_string();
    let run = |args: &[&str], env: Option<&str>, stdin: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_homevisit-relay"));
        command.arg("--data").arg(&data).env_remove("HOMEVISIT_DASHBOARD_PASSWORD");
        if let Storage::Postgres(url) = &storage {
            command.args(["--postgres", url]);
        }
        if let Some(password) = env {
            command.env("HOMEVISIT_DASHBOARD_PASSWORD", password);
        }
        command.args(args);
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let account = |username: &str, role: &str, env: Option<&str>, stdin: &str| {
        run(&["dashboard-account", "--school", &school, "--role", role, "--username", username], env, stdin)
    };
    let made = ok(account("Dana.Johnson", "coordinator", Some("correct horse battery"), ""));
    assert!(made.contains("(coordinator, school"), "{made}");
    ok(account("district", "district-admin", None, "staple battery horse\n"));
    assert!(refused(account("dana.johnson", "district-admin", Some("another long password"), "")).contains("taken"));
    assert!(refused(account("short", "coordinator", Some("short"), "")).contains("12 to 256"));
    assert!(refused(account("nobody", "coordinator", None, "")).contains("HOMEVISIT_DASHBOARD_PASSWORD"));
    assert!(refused(account("bad name", "coordinator", Some("correct horse battery"), "")).contains("username"));
    assert!(refused(account("elena", "educator", Some("correct horse battery"), "")).contains("district-admin"));

    let relay_data = homevisit_relay::Relay::open_with(&data, &storage).unwrap();
    let dana = relay_data.dashboard().account_by_username("DANA.JOHNSON").unwrap().unwrap();
    assert_eq!((dana.role, dana.school_id.to_string()), (Role::SchoolCoordinator, school.clone()));
    assert!(homevisit_relay::dashboard_password::verify_password("correct horse battery", &dana.password_hash));
    let district = relay_data.dashboard().account_by_username("district").unwrap().unwrap();
    assert_eq!(district.role, Role::DistrictAdmin);
    assert!(homevisit_relay::dashboard_password::verify_password("staple battery horse", &district.password_hash));
    drop(relay_data);
    let audit = ok(relay(&data, &storage, &["audit"]));
    let made: Vec<&str> = audit.lines().filter(|l| l.contains("dashboard_account")).collect();
    assert_eq!(made.len(), 2, "{audit}");
    assert!(made[0].contains(&dana.id.to_string()) && made[0].ends_with(&format!("coordinator {school}")));
    assert!(!audit.to_lowercase().contains("dana"), "{audit}");

    // `dashboard-password`: a locked-out coordinator gets a new password; the old one no longer
    // verifies, the lock is cleared; an unknown username is refused; audited by id.
    let relay_data = homevisit_relay::Relay::open_with(&data, &storage).unwrap();
    relay_data.dashboard().record_failed_sign_in(dana.id, 0, 1, i64::MAX / 2).unwrap();
    drop(relay_data);
    let reset = |username: &str, stdin: &str| run(&["dashboard-password", "--username", username], None, stdin);
    assert!(ok(reset("dana.johnson", "a brand new passphrase\n")).contains(&dana.id.to_string()));
    assert!(refused(reset("nobody", "a brand new passphrase\n")).contains("no dashboard account"));
    let relay_data = homevisit_relay::Relay::open_with(&data, &storage).unwrap();
    let dana_after = relay_data.dashboard().account(dana.id).unwrap().unwrap();
    assert!(homevisit_relay::dashboard_password::verify_password("a brand new passphrase", &dana_after.password_hash));
    assert!(!homevisit_relay::dashboard_password::verify_password("correct horse battery", &dana_after.password_hash));
    assert_eq!(dana_after.locked_until_ms, None, "the lock is cleared");
    drop(relay_data);
    let audit = ok(relay(&data, &storage, &["audit"]));
    let resets: Vec<&str> = audit.lines().filter(|l| l.contains("dashboard_password_reset")).collect();
    assert_eq!(resets.len(), 1, "{audit}");
    assert!(resets[0].contains(&dana.id.to_string()) && !audit.to_lowercase().contains("dana"));
}

/// `serve --demo` prints, after the invite codes, the dashboard's address and a sign-in for the
/// demo's coordinator (its school's) and district administrator, each a random password that
/// verifies against the stored hash; a second start makes no accounts.
#[test]
fn serve_demo_prints_the_dashboard_and_its_sign_ins() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("relay");
    let storage = storage();
    let serve = ["serve", "--demo", "--listen", "127.0.0.1:0", "--stop-after-secs", "1"];
    let out = ok(relay(&data, &storage, &serve));
    let lines: Vec<&str> = out.lines().collect();
    let listening = lines[0].strip_prefix("homevisit relay listening on ").expect("the address first");
    let last_invite = lines.iter().rposition(|l| l.contains("(district_admin)")).expect("the invites");
    assert_eq!(lines[last_invite + 1], format!("dashboard: {listening}/dashboard"), "{out}");
    // Each: "  sign in as USERNAME with password PASSWORD" (nothing after it, as the browser
    // suite reads it), then "    ROLE of school SCHOOL_ID".
    let after: Vec<&str> = lines[last_invite + 2..].to_vec();
    assert_eq!(after.len(), 4, "{out}");
    let relay_data = homevisit_relay::Relay::open_with(&data, &storage).unwrap();
    let coordinator_school = {
        let district = homevisit_fixtures::demo::data_set(
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            chrono::FixedOffset::east_opt(0).unwrap(),
        );
        district.educators.iter().find(|e| e.display_name == "Dana Johnson").unwrap().school_id
    };
    let mut passwords = Vec::new();
    for (pair, (username, role)) in
        after.chunks(2).zip([("coordinator", "coordinator"), ("district-admin", "district_admin")])
    {
        let prefix = format!("  sign in as {username} with password ");
        let password = pair[0].strip_prefix(&prefix).unwrap_or_else(|| panic!("{out}"));
        assert!(password.len() >= 16 && password.chars().all(|c| c.is_ascii_alphanumeric()), "{out}");
        assert_eq!(pair[1], format!("    {role} of school {coordinator_school}"), "{out}");
        let account = relay_data.dashboard().account_by_username(username).unwrap().expect("made");
        assert!(homevisit_relay::dashboard_password::verify_password(password, &account.password_hash));
        assert_eq!(account.school_id, coordinator_school);
        passwords.push(password);
    }
    assert_ne!(passwords[0], passwords[1]);
    drop(relay_data);
    // A relay with data: no demo, no accounts, no passwords.
    let again = ok(relay(&data, &storage, &serve));
    assert!(again.contains("already has data") && !again.contains("sign in as"), "{again}");
}
