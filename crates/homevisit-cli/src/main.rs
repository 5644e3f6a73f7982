//! `homevisit`: the device CLI. Same crates as the phone apps, no UI: for scripts, demos and admins.

mod keyfile;
mod legacy_relay;
mod output;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Datelike, Local, NaiveDate};
use clap::{Args, Parser, Subcommand};
use homevisit_docs::DocId;
use homevisit_model::*;
use homevisit_store::Store;
use homevisit_sync::device_session::{self, SessionError, SyncOutcome};
use output::Report;

#[derive(Parser)]
#[command(name = "homevisit", version, about = "Parent Teacher Home Visits: the device's store from the command line")]
struct Cli {
    /// Directory holding the encrypted store.
    #[arg(long, global = true, env = "HOMEVISIT_DATA", default_value = "homevisit-data")]
    data: PathBuf,
    /// Key file (64 hex characters). Default: <data>/device.key. HOMEVISIT_DB_KEY overrides it.
    #[arg(long, global = true, env = "HOMEVISIT_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill the store with a small demo district (visits around today) and show today's visits.
    Demo,
    /// Create an empty store and its key.
    Init,
    /// Today's visits, in this machine's time zone.
    Today,
    /// List visits: on a day, for a family, or for an educator.
    Visits(VisitsArgs),
    /// Plan, update, record and confirm visits.
    #[command(subcommand)]
    Visit(VisitCmd),
    /// Read and edit a visit's notes and debrief.
    #[command(subcommand)]
    Notes(NotesCmd),
    /// Schools, educators and families on this device.
    Roster,
    /// A conversation-starter prompt pack.
    Prompts {
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(long, default_value_t = 1)]
        visit: u8,
    },
    /// A district administrator edits conversation starters: every pack of a pack file (the
    /// format of crates/homevisit-model/prompts/*.json) is saved as the district's, or one
    /// school's with --school; the next sync sends them (the relay accepts them only from a
    /// district administrator's device).
    PutPrompts {
        file: PathBuf,
        #[arg(long)]
        school: Option<SchoolId>,
    },
    /// Reach, staff participation and visits per educator, for the coordinator.
    Report(ReportArgs),
    /// Documents that have not reached a peer yet.
    Unsynced {
        #[arg(long, default_value = "relay")]
        peer: homevisit_store::PeerId,
    },
    /// Show one document as JSON (`kind/uuid`).
    Doc { id: String },
    /// Export every document as JSON.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load every document and report damage.
    Check,
    /// Enroll this device with a relay, using the invite code a coordinator gave you.
    Enroll {
        /// The relay's address (https://..., or http:// to this machine).
        #[arg(long)]
        relay: String,
        #[arg(long)]
        invite: String,
    },
    /// Sync with the relay this device is enrolled with.
    Sync,
    /// Forget this device's relay address and token (the documents stay; enroll again to sync).
    SignOut,
}

#[derive(Args)]
struct VisitsArgs {
    /// A day, YYYY-MM-DD (local time).
    #[arg(long)]
    day: Option<String>,
    #[arg(long)]
    family: Option<String>,
    #[arg(long)]
    educator: Option<String>,
}

/// The days a report covers, both included, in this machine's time zone.
#[derive(Args)]
struct ReportArgs {
    /// The first day, YYYY-MM-DD (default: the school year's, 1 July).
    #[arg(long)]
    from: Option<String>,
    /// The last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    to: Option<String>,
}

#[derive(Subcommand)]
enum VisitCmd {
    /// Show a visit's log and notes.
    Show { visit: String },
    /// Plan a new visit.
    Plan {
        #[arg(long)]
        family: String,
        /// Comma-separated educator ids (two or three adults in all).
        #[arg(long, value_delimiter = ',')]
        educators: Vec<String>,
        /// RFC 3339 time, e.g. 2026-11-24T17:00:00-08:00.
        #[arg(long)]
        at: String,
        /// home, virtual, or neutral:<description>.
        #[arg(long, default_value = "home")]
        place: String,
        #[arg(long, default_value_t = 1)]
        number: u8,
        /// Interpreter language; add `:separate` when the interpreter is not one of the educators.
        #[arg(long)]
        interpreter: Option<String>,
        /// The educator recording that the family agreed to the visit (now); a visit is confirmed
        /// or completed only with the family's agreement.
        #[arg(long)]
        agreed_by: Option<String>,
    },
    /// Record the outcome.
    Outcome {
        visit: String,
        /// planned, confirmed, completed, family_not_home, cancelled, rescheduled, family_declined.
        #[arg(long)]
        status: String,
        #[arg(long)]
        start: Option<String>,
        #[arg(long)]
        end: Option<String>,
        /// The educator recording it.
        #[arg(long)]
        by: Option<String>,
    },
    /// The family declined this visit or withdrew (recorded by an educator of the visit): the
    /// family is not planned again until a coordinator records its renewed agreement.
    Decline {
        visit: String,
        #[arg(long)]
        by: String,
    },
    /// A coordinator confirms a visit made by one educator with a separate interpreter.
    CoordinatorConfirm { visit: String },
    /// A coordinator records that a family that declined agreed to visits again.
    FamilyAgreed { family: String },
    /// The partner confirms the visit happened.
    Confirm {
        visit: String,
        #[arg(long)]
        by: String,
    },
    /// The pair marks its debrief done (`--reopen` takes the mark back).
    DebriefDone {
        visit: String,
        /// The educator marking it (one of the visit's).
        #[arg(long, required_unless_present = "reopen")]
        by: Option<String>,
        #[arg(long)]
        reopen: bool,
    },
}

#[derive(Subcommand)]
enum NotesCmd {
    /// Show a visit's notes and debrief.
    Show { visit: String },
    /// Set a field's whole text (stored as a minimal diff).
    Set { visit: String, field: String, text: String },
    /// Splice a field at a UTF-16 position, as a phone's text field does.
    Splice {
        visit: String,
        field: String,
        #[arg(long)]
        at: usize,
        #[arg(long, default_value_t = 0)]
        delete: usize,
        #[arg(long, default_value = "")]
        text: String,
    },
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`homevisit export | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Res<T = ()> = Result<T, String>;

fn parse_id<T: std::str::FromStr>(what: &str, s: &str) -> Res<T> {
    s.parse().map_err(|_| format!("`{s}` is not a {what} id (a UUID)"))
}

fn parse_time(s: &str) -> Res<Timestamp> {
    Timestamp::parse_rfc3339(s).ok_or_else(|| format!("`{s}` is not an RFC 3339 time like 2026-11-24T17:00:00-08:00"))
}

fn parse_field(s: &str) -> Res<NoteField> {
    NoteField::parse(s)
        .ok_or_else(|| format!("`{s}` is not a note field; one of: {}", NoteField::ALL.map(|f| f.key()).join(", ")))
}

fn parse_place(s: &str) -> Res<Place> {
    match s.split_once(':') {
        None if s == "home" => Ok(Place::Home),
        None if s == "virtual" => Ok(Place::Virtual),
        Some(("neutral", d)) => Ok(Place::Neutral { description: d.trim().to_string() }),
        _ => Err(format!("`{s}` is not a place: home, virtual or neutral:<description>")),
    }
}

struct Ctx {
    store: Store,
    json: bool,
}

impl Ctx {
    fn names(&self) -> Res<HashMap<EducatorId, String>> {
        Ok(self.store.educators().map_err(err)?.into_iter().map(|e| (e.id, e.display_name)).collect())
    }

    fn print_visits(&self, list: &[VisitSummary]) -> Res {
        if self.json {
            println!("{}", serde_json::to_string_pretty(list).map_err(err)?);
        } else {
            output::visits(list, &self.names()?);
        }
        Ok(())
    }
}

use homevisit_store::VisitSummary;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn open(cli: &Cli, create_key: bool) -> Res<Store> {
    let key_file = cli.key_file.clone().unwrap_or_else(|| cli.data.join("device.key"));
    let key = if create_key { keyfile::read_or_create(&key_file)? } else { keyfile::read(&key_file)? };
    // Least access: the data directory is created 0700 (unix), the store's files 0600.
    let mut store = device_session::open_store(&cli.data, &key).map_err(err)?;
    if legacy_relay::migrate(&cli.data, &mut store)? {
        eprintln!("moved the relay address and token from relay.json into the encrypted store");
    }
    Ok(store)
}

fn run(cli: Cli) -> Res {
    let create = matches!(cli.command, Command::Demo | Command::Init | Command::Enroll { .. });
    let mut ctx = Ctx { store: open(&cli, create)?, json: cli.json };
    match cli.command {
        Command::Init => println!("store ready at {}", ctx.store.path().display()),
        Command::Demo => demo(&mut ctx)?,
        Command::Today => {
            let list = ctx.store.visits_today().map_err(err)?;
            if !ctx.json {
                println!("Today's visits ({})", Local::now().format("%A %Y-%m-%d"));
            }
            ctx.print_visits(&list)?;
        }
        Command::Visits(a) => {
            let list = if let Some(f) = a.family {
                ctx.store.visits_for_family(parse_id("family", &f)?).map_err(err)?
            } else if let Some(e) = a.educator {
                ctx.store.visits_for_educator(parse_id("educator", &e)?).map_err(err)?
            } else {
                let day = match a.day {
                    Some(d) => {
                        NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| format!("`{d}` is not YYYY-MM-DD"))?
                    }
                    None => Local::now().date_naive(),
                };
                ctx.store.visits_on_day(day, *Local::now().offset()).map_err(err)?
            };
            ctx.print_visits(&list)?;
        }
        Command::Visit(cmd) => visit(&mut ctx, cmd)?,
        Command::Notes(cmd) => notes(&mut ctx, cmd)?,
        Command::Roster => {
            let schools = ctx.store.schools().map_err(err)?;
            let educators = ctx.store.educators().map_err(err)?;
            let families = ctx.store.families().map_err(err)?;
            if ctx.json {
                let families: Vec<_> = families
                    .iter()
                    .map(|(id, school, name)| serde_json::json!({"id": id, "school_id": school, "display_name": name}))
                    .collect();
                let v = serde_json::json!({"schools": schools, "educators": educators, "families": families});
                println!("{}", serde_json::to_string_pretty(&v).map_err(err)?);
            } else {
                println!("Schools");
                schools.iter().for_each(|s| println!("  {:<24} {}", s.name, s.id));
                println!("Educators");
                for e in &educators {
                    let trained =
                        e.training_date.map(|d| format!("trained {d}")).unwrap_or_else(|| "not trained".into());
                    println!("  {:<24} {:<16} {:<16} {}", e.display_name, e.role.as_str(), trained, e.id);
                }
                println!("Families");
                families.iter().for_each(|(id, _, name)| println!("  {name:<24} {id}"));
            }
        }
        Command::Prompts { lang, visit } => {
            let language = Language::parse(&lang).ok_or_else(|| format!("`{lang}` is not a language tag"))?;
            let number = VisitNumber::from_number(visit).ok_or("the visit number is 1 or 2")?;
            let pack = ctx.store.prompt_pack(&language, number).map_err(err)?;
            if ctx.json {
                println!("{}", serde_json::to_string_pretty(&pack).map_err(err)?);
            } else {
                println!("{} [{}]", pack.title, pack.language);
                pack.prompts.iter().for_each(|p| println!("  - {p}"));
            }
        }
        Command::PutPrompts { file, school } => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {name}: {}", e.kind()))?;
            let packs = homevisit_model::prompt_files::parse_pack_file(&name, &text).map_err(err)?;
            let Some(first) = packs.first() else { return Err(format!("{name} has no visits' prompts")) };
            let language = first.language.clone();
            for pack in &packs {
                ctx.store.put_prompt_pack(&PromptPack { school_id: school, ..pack.clone() }).map_err(err)?;
            }
            let whose = school.map_or("the district".to_string(), |s| format!("school {s}"));
            println!("saved {} pack(s) in {language} for {whose}; they go out at the next sync", packs.len());
        }
        Command::Report(args) => {
            let (from, to) = report_days(&args)?;
            let report = Report::of(&ctx.store.report_data().map_err(err)?, from, to)?;
            if ctx.json {
                println!("{}", serde_json::to_string_pretty(&report).map_err(err)?);
            } else {
                output::report(&report);
            }
        }
        Command::Unsynced { peer } => {
            let ids = ctx.store.unsynced_documents(&peer).map_err(err)?;
            if ctx.json {
                let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                println!("{}", serde_json::to_string_pretty(&ids).map_err(err)?);
            } else {
                println!("{} documents have not reached `{peer}`", ids.len());
                ids.iter().for_each(|i| println!("  {i}"));
            }
        }
        Command::Doc { id } => {
            let id: DocId = id.parse().map_err(err)?;
            println!("{}", serde_json::to_string_pretty(&ctx.store.document_json(&id).map_err(err)?).map_err(err)?);
        }
        Command::Export { out } => {
            let json = serde_json::to_string_pretty(&ctx.store.export_json().map_err(err)?).map_err(err)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    eprintln!("exported to {}", path.display());
                }
                None => println!("{json}"),
            }
        }
        Command::Enroll { relay, invite } => {
            let enrollment = runtime()?.block_on(device_session::enroll(&relay, &invite)).map_err(err)?;
            let identity = enrollment.identity;
            device_session::save_enrolled(&mut ctx.store, &enrollment.credentials, identity.as_ref()).map_err(err)?;
            match identity {
                Some(i) => println!(
                    "enrolled as device {} ({}, school {}{})",
                    enrollment.device_id,
                    i.role.as_str(),
                    i.school_id,
                    i.educator_id.map(|e| format!(", educator {e}")).unwrap_or_default()
                ),
                None => println!("enrolled as device {}", enrollment.device_id),
            }
        }
        Command::Sync => {
            // The app's "sync now": one function for both.
            let store = std::sync::Mutex::new(ctx.store);
            let outcome = runtime()?.block_on(device_session::sync_once(&store, &device_session::Quiet));
            let SyncOutcome { report, unsynced: left } = outcome.map_err(|e| match e {
                SessionError::NotEnrolled => {
                    "this device is not enrolled with a relay: run `homevisit enroll --relay URL --invite CODE`".into()
                }
                e => e.to_string(),
            })?;
            let store = store.into_inner().unwrap_or_else(|p| p.into_inner());
            println!(
                "synced in {} rounds: {} messages sent ({} bytes), {} received ({} bytes); {} documents in sync; {} not yet on the relay",
                report.rounds,
                report.messages_sent,
                report.bytes_sent,
                report.messages_received,
                report.bytes_received,
                report.in_sync,
                left
            );
            for (doc, reason) in &report.refused_by_peer {
                println!("  the relay refused {doc}: {reason:?}");
            }
            ctx.store = store;
        }
        Command::SignOut => {
            device_session::forget(&mut ctx.store).map_err(err)?;
            println!("signed out: the relay address and token are forgotten");
        }
        Command::Check => {
            let r = ctx.store.check_integrity().map_err(err)?;
            println!(
                "{} documents, {} corrupt chunks, {} unreadable documents",
                r.documents,
                r.corrupt_chunks.len(),
                r.unreadable.len()
            );
            r.corrupt_chunks.iter().for_each(|c| println!("  corrupt chunk {} of {}", c.seq, c.doc));
            r.unreadable.iter().for_each(|d| println!("  unreadable {d}"));
            if !r.is_clean() {
                return Err("the store has damaged data (isolated; everything else loads)".into());
            }
        }
    }
    Ok(())
}

/// A report's first and last day: as given, else from the school year's start (the last 1 July)
/// to today.
fn report_days(args: &ReportArgs) -> Res<(NaiveDate, NaiveDate)> {
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| format!("`{d}` is not YYYY-MM-DD"));
    let today = Local::now().date_naive();
    let to = args.to.as_deref().map(parse).transpose()?.unwrap_or(today);
    let from = match args.from.as_deref() {
        Some(d) => parse(d)?,
        None => {
            let year = if to.month() >= 7 { to.year() } else { to.year() - 1 };
            NaiveDate::from_ymd_opt(year, 7, 1).ok_or("no school year starts that day")?
        }
    };
    if from > to {
        return Err(format!("--from {from} is after --to {to}"));
    }
    Ok((from, to))
}

fn runtime() -> Res<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))
}

fn demo(ctx: &mut Ctx) -> Res {
    let now = Local::now();
    let data = homevisit_fixtures::demo::data_set(now.date_naive(), *now.offset());
    let store = &mut ctx.store;
    let fresh = store.document_ids(None).map_err(err)?.is_empty();
    if fresh {
        store.import_district(&data.schools, &data.educators, &data.families, &data.visits).map_err(err)?;
    }
    if ctx.json {
        return ctx.print_visits(&ctx.store.visits_today().map_err(err)?);
    }
    println!(
        "{} demo district in {} ({} documents, encrypted)",
        if fresh { "Created the" } else { "Reusing the" },
        ctx.store.path().display(),
        ctx.store.document_ids(None).map_err(err)?.len()
    );
    println!("\nToday's visits ({})", now.format("%A %Y-%m-%d"));
    ctx.print_visits(&ctx.store.visits_today().map_err(err)?)?;
    println!();
    let (from, to) = report_days(&ReportArgs { from: None, to: None })?;
    output::report(&Report::of(&ctx.store.report_data().map_err(err)?, from, to)?);
    println!(
        "\nNot yet synced: {} documents (no relay configured yet)",
        ctx.store.unsynced_count(&homevisit_store::PeerId::RELAY).map_err(err)?
    );
    println!(
        "Try: homevisit --data {} visit show <visit id>",
        ctx.store.path().parent().map(|p| p.display().to_string()).unwrap_or_default()
    );
    Ok(())
}

fn visit(ctx: &mut Ctx, cmd: VisitCmd) -> Res {
    let store = &mut ctx.store;
    match cmd {
        VisitCmd::Show { visit } => {
            let id = parse_id("visit", &visit)?;
            let (log, notes) = (store.visit_log(id).map_err(err)?, store.visit_notes(id).map_err(err)?);
            if ctx.json {
                let v = serde_json::json!({"log": log, "notes": notes});
                println!("{}", serde_json::to_string_pretty(&v).map_err(err)?);
            } else {
                output::visit(&log, &notes, &ctx.names()?);
            }
        }
        VisitCmd::Plan { family, educators, at, place, number, interpreter, agreed_by } => {
            let family_id: FamilyId = parse_id("family", &family)?;
            let school_id = store.family(family_id).map_err(err)?.school_id;
            let interpreter = match interpreter {
                None => None,
                Some(s) => {
                    let (lang, separate) = match s.split_once(':') {
                        Some((l, "separate")) => (l.to_string(), true),
                        _ => (s.clone(), false),
                    };
                    let language = Language::parse(&lang).ok_or_else(|| format!("`{lang}` is not a language tag"))?;
                    let kind = if separate { InterpreterKind::Separate } else { InterpreterKind::Educator };
                    Some(Interpreter { language, kind })
                }
            };
            let plan = VisitPlan {
                id: VisitId::new(),
                family_id,
                school_id,
                visit_number: VisitNumber::from_number(number).ok_or("the visit number is 1 or 2")?,
                educator_ids: educators.iter().map(|e| parse_id("educator", e)).collect::<Res<_>>()?,
                interpreter,
                place: parse_place(&place)?,
                scheduled_at: parse_time(&at)?,
                family_agreement: agreed_by
                    .as_deref()
                    .map(|by| {
                        Ok::<_, String>(FamilyAgreement {
                            agreed_at: Timestamp::now(),
                            recorded_by: parse_id("educator", by)?,
                        })
                    })
                    .transpose()?,
                expected_end: None,
            };
            store.plan_visit(&plan).map_err(err)?;
            println!("{}", plan.id);
        }
        VisitCmd::Outcome { visit, status, start, end, by } => {
            let id = parse_id("visit", &visit)?;
            let outcome = VisitOutcome {
                status: VisitStatus::parse(&status).ok_or_else(|| format!("`{status}` is not a status"))?,
                started_at: start.as_deref().map(parse_time).transpose()?,
                ended_at: end.as_deref().map(parse_time).transpose()?,
                recorded_by: by.as_deref().map(|b| parse_id("educator", b)).transpose()?,
                partner_confirmation: None,
                coordinator_confirmation: None,
            };
            store.record_outcome(id, &outcome).map_err(err)?;
        }
        VisitCmd::Decline { visit, by } => {
            store.record_family_decline(parse_id("visit", &visit)?, parse_id("educator", &by)?).map_err(err)?;
        }
        VisitCmd::CoordinatorConfirm { visit } => {
            store.coordinator_confirm_visit(parse_id("visit", &visit)?, Timestamp::now()).map_err(err)?;
        }
        VisitCmd::FamilyAgreed { family } => {
            store.renew_family_agreement(parse_id("family", &family)?, Timestamp::now()).map_err(err)?;
        }
        VisitCmd::Confirm { visit, by } => {
            store
                .confirm_visit(parse_id("visit", &visit)?, parse_id("educator", &by)?, Timestamp::now())
                .map_err(err)?;
        }
        VisitCmd::DebriefDone { visit, by, reopen } => {
            let id = parse_id("visit", &visit)?;
            match (reopen, by) {
                (true, _) => store.reopen_debrief(id).map_err(err)?,
                (false, Some(by)) => {
                    store.mark_debrief_done(id, parse_id("educator", &by)?, Timestamp::now()).map_err(err)?
                }
                (false, None) => return Err("--by names the educator marking the debrief done".into()),
            }
        }
    }
    Ok(())
}

fn notes(ctx: &mut Ctx, cmd: NotesCmd) -> Res {
    let store = &mut ctx.store;
    match cmd {
        NotesCmd::Show { visit } => {
            let notes = store.visit_notes(parse_id("visit", &visit)?).map_err(err)?;
            if ctx.json {
                println!("{}", serde_json::to_string_pretty(&notes).map_err(err)?);
            } else {
                for f in NoteField::ALL {
                    println!("{:<21} {}", format!("{}:", f.key()), notes.field(f));
                }
            }
        }
        NotesCmd::Set { visit, field, text } => {
            store.set_note(parse_id("visit", &visit)?, parse_field(&field)?, &text).map_err(err)?;
        }
        NotesCmd::Splice { visit, field, at, delete, text } => {
            store.splice_note(parse_id("visit", &visit)?, parse_field(&field)?, at, delete, &text).map_err(err)?;
        }
    }
    Ok(())
}
