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
