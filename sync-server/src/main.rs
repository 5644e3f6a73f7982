//! `homevisit-relay`: serve, and the coordinator's device administration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use homevisit_model::{EducatorId, FamilyId, SchoolId, VisitId};
use homevisit_protocol::EnrollLink;
use homevisit_relay::access::Role;
use homevisit_relay::audit::{self, AuditEvent};
use homevisit_relay::exports::{self, ExportKind, ExportRequest};
use homevisit_relay::log_limit::LogLimit;
use homevisit_relay::{Config, Relay, Storage, roster_import, start};
use homevisit_sync::DeviceId;

#[derive(Parser)]
#[command(name = "homevisit-relay", version, about = "The homevisit sync relay")]
struct Cli {
    /// Directory for the relay's encrypted data.
    #[arg(long, global = true, env = "HOMEVISIT_RELAY_DATA", default_value = "homevisit-relay-data")]
    data: PathBuf,
    /// Keep documents and devices in this PostgreSQL database (`postgres://user@host/db`) instead
    /// of the embedded files, so several relay instances can share them. The key stays in --data.
    #[arg(long, global = true, env = "HOMEVISIT_RELAY_POSTGRES")]
    postgres: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync protocol until Ctrl-C / SIGTERM (in-flight syncs finish first).
    Serve {
        #[arg(long, env = "HOMEVISIT_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// On an empty relay, import the demo district and print invite codes for its devices.
        #[arg(long)]
        demo: bool,
        /// Stop by itself after this many seconds (for test harnesses: a relay never outlives them).
        #[arg(long)]
        stop_after_secs: Option<u64>,
    },
    /// Make a single-use invite code for one device.
    Invite {
        /// The school the device is enrolled in (its id).
        #[arg(long)]
        school: SchoolId,
        #[arg(long, value_enum, default_value_t = RoleArg::Educator)]
        role: RoleArg,
        /// The educator an educator's device acts as (required for --role educator, refused for
        /// the others).
        #[arg(long)]
        educator: Option<EducatorId>,
        /// Days the code stays usable; an expired code is refused like an unknown one.
        #[arg(long, env = "HOMEVISIT_RELAY_INVITE_DAYS", default_value_t = 14,
              value_parser = clap::value_parser!(u16).range(1..=365))]
        expires_in_days: u16,
        /// The relay's address as phones reach it (https://...): also prints the enrollment link
        /// (`homevisit-enroll:CODE@ADDRESS`) a phone can open or scan.
        #[arg(long)]
        relay_url: Option<String>,
        /// With --relay-url: the enrollment link as a QR code too, for the teacher's phone to scan.
        #[arg(long, requires = "relay_url")]
        qr: bool,
    },
    /// List every device (revoked ones too) grouped by person (an educator's id; a coordinator's
    /// school; district administrators), with enrolled, last seen (to within a minute) and
    /// revoked times, on stdout. Ids only, no names.
    Devices,
    /// Revoke a device: its next request is refused.
    Revoke {
        /// The device's id, as `devices` lists it.
        device_id: DeviceId,
    },
    /// The audit trail: administrative actions and what the relay refused devices, oldest first
    /// (ids and codes only).
    Audit {
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many entries.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Check the whole trail's chain of hashes instead of listing: fails if an entry was
        /// rewritten or removed.
        #[arg(long)]
        verify: bool,
    },
    /// A family's records: export everything the relay holds about it, or delete it with its
    /// history (ids and counts only on the terminal).
    Family {
        #[command(subcommand)]
        command: FamilyCommand,
    },
    /// Every deletion receipt: what was deleted (ids), when, by whom, which devices confirmed.
    Deletions,
    /// The district's notes retention: `--notes-months N` sets it (0: keep notes until deleted);
    /// `apply` purges the notes of visits scheduled longer ago, like a deletion.
    #[command(args_conflicts_with_subcommands = true)]
    Retention {
        /// Months visit notes are kept after their visit's scheduled date.
        #[arg(long)]
        notes_months: Option<u32>,
        #[command(subcommand)]
        command: Option<RetentionCommand>,
    },
    /// Set whether a school's coordinators may read visit notes (default: no).
    Policy {
        #[arg(long)]
        school: SchoolId,
        /// true or false (a policy can be taken back).
        #[arg(long, action = clap::ArgAction::Set)]
        coordinators_read_notes: bool,
    },
    /// The district's roster: `roster import DIR [--format oneroster|template] [--dry-run]`.
    Roster {
        #[command(subcommand)]
        command: roster_import::RosterCommand,
    },
    /// Educators: `educator train ID --on YYYY-MM-DD`.
    Educator {
        #[command(subcommand)]
        command: roster_import::EducatorCommand,
    },
    /// What the relay recorded about a visit (for the coordinator who pays stipends).
    Visit {
        #[command(subcommand)]
        command: VisitCommand,
    },
    /// A dashboard sign-in for a school's coordinator or the district's administrator. The
    /// password (12 to 256 characters) comes from HOMEVISIT_DASHBOARD_PASSWORD, else one line of
    /// stdin; only its argon2id hash is stored.
    DashboardAccount {
        /// The school (a coordinator sees only it; a district administrator sees every school).
        #[arg(long)]
        school: SchoolId,
        #[arg(long, value_enum)]
        role: DashboardRoleArg,
        /// 1 to 64 letters, digits, '.', '-', '_' or '@' (compared ignoring case).
        #[arg(long)]
        username: String,
    },
    /// Gives a dashboard account a new password (a coordinator who forgot theirs or is locked
    /// out): its sessions end and its lock is cleared. The password comes from
    /// HOMEVISIT_DASHBOARD_PASSWORD, else one line of stdin.
    DashboardPassword {
        #[arg(long)]
        username: String,
    },
    /// The district's stipend rate per documented visit: shown, or set to DOLLARS (like 40 or
    /// 42.50; default 40.00).
    StipendRate {
        /// Given as typed, so a negative amount gets the rate's own error rather than clap's.
        #[arg(allow_hyphen_values = true)]
        dollars: Option<String>,
    },
    /// A report as CSV (the dashboard's own computation), to --out (readable by you only) or stdout.
    Export {
        #[arg(value_enum)]
        report: ExportKind,
        /// One school's report.
        #[arg(long, required_unless_present = "all_schools", conflicts_with = "all_schools")]
        school: Option<SchoolId>,
        /// Every school's report.
        #[arg(long)]
        all_schools: bool,
        /// First day (YYYY-MM-DD), included.
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD), included.
        #[arg(long)]
        to: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Stipends only: dollars per documented visit, instead of the district's `stipend-rate`.
        #[arg(long)]
        rate: Option<String>,
    },
}

/// What a dashboard account is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DashboardRoleArg {
    /// A school's coordinator: that school only.
    Coordinator,
    /// The district's administrator: every school.
    DistrictAdmin,
}

impl DashboardRoleArg {
    fn role(self) -> Role {
        match self {
            DashboardRoleArg::Coordinator => Role::SchoolCoordinator,
            DashboardRoleArg::DistrictAdmin => Role::DistrictAdmin,
        }
    }
}

#[derive(Subcommand)]
enum FamilyCommand {
    /// Writes family.json (every document, as JSON), visits.csv and notes.csv into --out.
    Export {
        family_id: FamilyId,
        #[arg(long)]
        out: PathBuf,
    },
    /// Deletes the family record, its visits' logs and notes with their history; refuses them
    /// back from any device; prints the deletion receipt.
    Delete { family_id: FamilyId },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Purges the notes of visits older than the retention (a deletion receipt).
    Apply,
}

#[derive(Subcommand)]
enum VisitCommand {
    /// Who recorded the outcome, who recorded the family's agreement and who confirmed the visit:
    /// every value each was given, with the educator, the writing device (or `import`) and the
    /// relay's time, oldest first. Ids and times only.
    Attestations { visit_id: VisitId },
}

/// A visit's attestations as a table: one line each, ids and relay times only.
fn attestations_table(rows: &[homevisit_relay::attest::Attestation]) -> String {
    let mut out = format!("{:<22}  {:<36}  {:<36}  {}\n", "FIELD", "EDUCATOR", "DEVICE", "AT");
    for r in rows {
        let educator = match (r.what, r.educator) {
            (homevisit_relay::attest::Attested::CoordinatorConfirmation, _) => "(coordinator)".to_string(),
            (_, Some(e)) => e.to_string(),
            (_, None) => "(cleared)".to_string(),
        };
        out.push_str(&format!("{:<22}  {:<36}  {:<36}  {}\n", r.what.as_str(), educator, r.device, r.at));
    }
    out
}

/// What an invited device is enrolled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    /// An educator's phone (needs --educator).
    Educator,
    /// A school's coordinator.
    Coordinator,
    /// The district's administrator: writes the prompt packs every phone shows; otherwise a
    /// coordinator of its school.
    DistrictAdmin,
}

impl RoleArg {
    fn role(self, educator: Option<EducatorId>) -> Result<Role, String> {
        match (self, educator) {
            (RoleArg::Educator, Some(id)) => Ok(Role::Educator(id)),
            (RoleArg::Educator, None) => Err("an educator's device needs --educator <educator id>".into()),
            (RoleArg::Coordinator, None) => Ok(Role::SchoolCoordinator),
            (RoleArg::DistrictAdmin, None) => Ok(Role::DistrictAdmin),
            (RoleArg::Coordinator | RoleArg::DistrictAdmin, Some(_)) => {
                Err("only an educator's device names an educator: leave out --educator".into())
            }
        }
    }
}

/// The audit entries as a table: one line each, ids, codes and UTC times only.
fn audit_table(entries: &[audit::AuditEntry]) -> String {
    let mut out =
        format!("{:>6}  {:<20}  {:<44}  {:<14}  {:<48}  {}\n", "SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "DETAIL");
    for e in entries {
        out.push_str(&format!(
            "{:>6}  {:<20}  {:<44}  {:<14}  {:<48}  {}\n",
            e.seq,
            e.at.format("%Y-%m-%dT%H:%M:%SZ"),
            e.actor,
            e.action,
            e.subject,
            e.detail
        ));
    }
    out
}

/// `text` as a QR code drawn with Unicode half blocks (dark on light, with its quiet zone).
fn qr_text(text: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| format!("the link does not fit a QR code: {e}"))?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .build()
        + "\n")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Imports the demo district into an empty relay through the roster import (`demo.rs`) and prints
/// invite codes for two partners, their coordinator and a district administrator, then the
/// dashboard's address and the demo's dashboard sign-ins.
fn demo_district(running: &homevisit_relay::RunningRelay) -> Result<(), String> {
    let now = chrono::Local::now();
    let invites = homevisit_relay::demo::import_demo_district(&running.relay, now.date_naive(), *now.offset())
        .map_err(|e| e.to_string())?;
    let Some(invites) = invites else {
        println!("(the relay already has data: not importing the demo district)");
        return Ok(());
    };
    // No parentheses on this line: scripts read an invite line as "  NAME (ROLE) CODE".
    println!(
        "imported the demo district, its OneRoster export crates/homevisit-fixtures/demo-district, as `roster import` \
         does; single-use invite codes:"
    );
    for invite in &invites {
        println!("  {:<12} ({:<11}) {}", invite.name, invite.role.as_str(), invite.code);
    }
    // After the invites, so readers waiting for those are not held up by the passwords' hashing.
    let accounts = homevisit_relay::demo::demo_accounts(&running.relay, &invites).map_err(|e| e.to_string())?;
    println!("dashboard: {}/dashboard", running.url());
    // The contract's line as readers match it (nothing after the password), then whose it is on
    // a line of its own (no parentheses: not an invite line).
    for account in accounts {
        println!("  sign in as {} with password {}", account.username, account.password);
        println!("    {} of school {}", account.role.as_str(), account.school);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    // Panics on crafted input are contained (the document or the request is refused), but the
    // default hook would print each one's message, which may quote what was being decoded: log
    // where it happened, never what it says.
    // A hostile device can send crafted documents at will, one contained panic each: at most one
    // line per 10 s, with how many were not logged.
    static CONTAINED_PANICS: LogLimit = LogLimit::new(std::time::Duration::from_secs(10));
    std::panic::set_hook(Box::new(|info| {
        let Some(suppressed) = CONTAINED_PANICS.admit() else { return };
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::warn!(
            %at,
            suppressed,
            "a panic was contained (its message is withheld); what it was handling was refused"
        );
    }));
    let cli = Cli::parse();
    let storage = cli.postgres.clone().map_or(Storage::Embedded, Storage::Postgres);
    let result: Result<(), String> = async {
        match cli.command {
            Command::Serve { listen, demo, stop_after_secs } => {
                let running =
                    start(&Config { data_dir: cli.data, listen, storage }).await.map_err(|e| e.to_string())?;
                println!("homevisit relay listening on {}", running.url());
                if demo {
                    demo_district(&running)?;
                }
                let deadline = async {
                    match stop_after_secs {
                        Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! { _ = shutdown_signal() => {}, _ = deadline => {} }
                running.stop().await.map_err(|e| e.to_string())
            }
            Command::Invite { school, role, educator, expires_in_days, relay_url, qr } => {
                let role = role.role(educator)?;
                // Checked before a code is made: a bad address wastes no invite.
                let link_for = |code: &str| -> Result<Option<String>, String> {
                    let Some(url) = &relay_url else { return Ok(None) };
                    let link = EnrollLink { relay_url: url.clone(), invite_code: code.to_string() };
                    EnrollLink::parse(&link.format()).map_err(|e| format!("--relay-url: {e}"))?;
                    Ok(Some(link.format()))
                };
                link_for("check")?;
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let valid_for = std::time::Duration::from_secs(u64::from(expires_in_days) * 24 * 3600);
                let code = relay.access().invite_valid_for(&school, &role, valid_for).map_err(|e| e.to_string())?;
                relay.audit_operator(&[AuditEvent::Invited { school, role }]).map_err(|e| e.to_string())?;
                println!("{code}");
                if let Some(link) = link_for(&code)? {
                    println!("{link}");
                    if qr {
                        print!("{}", qr_text(&link)?);
                    }
                }
                Ok(())
            }
            Command::Devices => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let devices = relay.access().devices().map_err(|e| e.to_string())?;
                print!("{}", homevisit_relay::device_list::table(&devices));
                Ok(())
            }
            Command::Revoke { device_id } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                if !relay.access().revoke(&device_id).map_err(|e| e.to_string())? {
                    return Err(format!("no active device {device_id}"));
                }
                relay
                    .audit_operator(&[AuditEvent::Revoked { device: device_id.clone() }])
                    .map_err(|e| e.to_string())?;
                println!("revoked {device_id}");
                Ok(())
            }
            Command::Audit { after, limit, verify } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                if verify {
                    let entries = audit::all_entries(relay.audit()).map_err(|e| e.to_string())?;
                    return match audit::first_broken(&entries) {
                        None => {
                            println!("audit trail intact: {} entries", entries.len());
                            Ok(())
                        }
                        Some(seq) => Err(format!("the audit trail is broken at entry {seq}: rewritten or removed")),
                    };
                }
                let entries = relay.audit().entries(after, limit).map_err(|e| e.to_string())?;
                print!("{}", audit_table(&entries));
                Ok(())
            }
            Command::Family { command } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                match command {
                    FamilyCommand::Export { family_id, out } => {
                        let export = relay.export_family(family_id).map_err(|e| e.to_string())?;
                        export.write_to(&out).map_err(|e| e.to_string())?;
                        println!(
                            "exported family {family_id}: {} documents, {} visits, {} notes fields to {}",
                            export.documents.len(),
                            export.visits.len(),
                            export.notes.len(),
                            out.display()
                        );
                    }
                    FamilyCommand::Delete { family_id } => {
                        let receipt = relay.delete_family(family_id).map_err(|e| e.to_string())?;
                        print!("deleted family {family_id}\n{}", receipt.describe());
                    }
                }
                Ok(())
            }
            Command::Deletions => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                for receipt in relay.deletion_receipts().map_err(|e| e.to_string())? {
                    print!("{}", receipt.describe());
                }
                Ok(())
            }
            Command::Retention { notes_months, command } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                match (notes_months, command) {
                    (Some(months), None) => {
                        relay.set_notes_retention(months).map_err(|e| e.to_string())?;
                        println!("notes retention: {months} months (0: kept until deleted)");
                    }
                    (None, Some(RetentionCommand::Apply)) => {
                        match relay.apply_retention(chrono::Utc::now()).map_err(|e| e.to_string())? {
                            Some(receipt) => print!("purged notes past retention\n{}", receipt.describe()),
                            None => println!("nothing past retention"),
                        }
                    }
                    _ => {
                        let months = relay.notes_retention().map_err(|e| e.to_string())?;
                        println!("notes retention: {months} months (0: kept until deleted)");
                    }
                }
                Ok(())
            }
            Command::Visit { command: VisitCommand::Attestations { visit_id } } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let rows = relay.attestations(visit_id).map_err(|e| e.to_string())?;
                print!("{}", attestations_table(&rows));
                Ok(())
            }
            Command::Policy { school, coordinators_read_notes } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                relay
                    .access()
                    .set_coordinators_read_notes(&school, coordinators_read_notes)
                    .map_err(|e| e.to_string())?;
                relay
                    .audit_operator(&[AuditEvent::PolicySet { school, coordinators_read_notes }])
                    .map_err(|e| e.to_string())?;
                println!("school {school}: coordinators read notes = {coordinators_read_notes}");
                Ok(())
            }
            Command::DashboardAccount { school, role, username } => {
                let password = homevisit_relay::dashboard_accounts::read_password(
                    std::env::var(homevisit_relay::dashboard_accounts::PASSWORD_ENV).ok(),
                    std::io::stdin().lock(),
                )
                .map_err(|e| e.to_string())?;
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let account = relay
                    .create_dashboard_account(school, role.role(), &username, &password)
                    .map_err(|e| e.to_string())?;
                println!("dashboard account {} ({}, school {school})", account.id, account.role.as_str());
                Ok(())
            }
            Command::DashboardPassword { username } => {
                let password = homevisit_relay::dashboard_accounts::read_password(
                    std::env::var(homevisit_relay::dashboard_accounts::PASSWORD_ENV).ok(),
                    std::io::stdin().lock(),
                )
                .map_err(|e| e.to_string())?;
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let account = relay.reset_dashboard_password(&username, &password).map_err(|e| e.to_string())?;
                println!("new password set for dashboard account {}; its sessions ended", account.id);
                Ok(())
            }
            Command::StipendRate { dollars } => {
                let cents = dollars.as_deref().map(exports::parse_dollars).transpose().map_err(|e| e.to_string())?;
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                if let Some(cents) = cents {
                    relay.set_stipend_rate_cents(cents).map_err(|e| e.to_string())?;
                }
                let rate = relay.stipend_rate_cents().map_err(|e| e.to_string())?;
                println!("stipend rate: {} dollars per documented visit", exports::dollars(rate));
                Ok(())
            }
            Command::Export { report, school, all_schools: _, from, to, out, rate } => {
                // Checked before the relay's data is opened.
                if rate.is_some() && report != ExportKind::Stipends {
                    return Err("--rate is for the stipends report only".into());
                }
                let request = ExportRequest {
                    kind: report,
                    school,
                    from: exports::parse_day("--from", &from).map_err(|e| e.to_string())?,
                    to: exports::parse_day("--to", &to).map_err(|e| e.to_string())?,
                    rate_cents: rate.as_deref().map(exports::parse_dollars).transpose().map_err(|e| e.to_string())?,
                    offset: exports::DAYS_OFFSET,
                };
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let export = relay.export_report(&request).map_err(|e| e.to_string())?;
                match out {
                    Some(path) => {
                        exports::write_export(&path, &export).map_err(|e| e.to_string())?;
                        println!("exported {} {} rows to {}", export.rows, report.as_str(), path.display());
                    }
                    None => print!("{}", export.csv),
                }
                Ok(())
            }
            Command::Roster { command } => roster_import::run_roster(&cli.data, &storage, command),
            Command::Educator { command } => roster_import::run_educator(&cli.data, &storage, command),
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
