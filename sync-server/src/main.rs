//! `homevisit-relay`: serve, and the coordinator's device administration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use homevisit_relay::policy::{ROLE_COORDINATOR, ROLE_EDUCATOR};
use homevisit_relay::{Config, Relay, Storage, start};

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
        #[arg(long)]
        school: String,
        /// educator or coordinator
        #[arg(long, default_value = "educator")]
        role: String,
        #[arg(long)]
        educator: Option<String>,
    },
    /// Revoke a device: its next request is refused.
    Revoke { device_id: String },
    /// Set whether a school's coordinators may read visit notes (default: no).
    Policy {
        #[arg(long)]
        school: String,
        #[arg(long)]
        coordinators_read_notes: bool,
    },
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

/// Imports the demo district into an empty relay and prints invite codes for two partners and
/// their coordinator.
fn demo_district(running: &homevisit_relay::RunningRelay) -> Result<(), String> {
    let relay = &running.relay;
    let now = chrono::Local::now();
    let data = homevisit_fixtures::demo::data_set(now.date_naive(), *now.offset());
    if relay.document_count().map_err(|e| e.to_string())? > 0 {
        println!("(the relay already has data: not importing the demo district)");
        return Ok(());
    }
    relay
        .import_with(|store| store.import_district(&data.schools, &data.educators, &data.families, &data.visits))
        .map_err(|e| e.to_string())?;
    println!("imported the demo district; single-use invite codes:");
    for (name, role) in
        [("Ms. Rivera", ROLE_EDUCATOR), ("Ms. Okafor", ROLE_EDUCATOR), ("Ms. Johnson", ROLE_COORDINATOR)]
    {
        let e = data.educators.iter().find(|e| e.display_name == name).expect("demo educator");
        let educator = (role == ROLE_EDUCATOR).then(|| e.id.to_string());
        let code =
            relay.access().invite(&e.school_id.to_string(), role, educator.as_deref()).map_err(|e| e.to_string())?;
        println!("  {name:<12} ({role:<11}) {code}");
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
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::warn!(%at, "a panic was contained (its message is withheld); what it was handling was refused");
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
            Command::Invite { school, role, educator } => {
                if ![ROLE_EDUCATOR, ROLE_COORDINATOR].contains(&role.as_str()) {
                    return Err(format!("`{role}` is not a role: educator or coordinator"));
                }
                if role == ROLE_EDUCATOR && educator.is_none() {
                    return Err("an educator's device needs --educator <educator id>".into());
                }
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                let code = relay.access().invite(&school, &role, educator.as_deref()).map_err(|e| e.to_string())?;
                println!("{code}");
                Ok(())
            }
            Command::Revoke { device_id } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                if !relay.access().revoke(&device_id).map_err(|e| e.to_string())? {
                    return Err(format!("no active device {device_id}"));
                }
                println!("revoked {device_id}");
                Ok(())
            }
            Command::Policy { school, coordinators_read_notes } => {
                let relay = Relay::open_with(&cli.data, &storage).map_err(|e| e.to_string())?;
                relay
                    .access()
                    .set_coordinators_read_notes(&school, coordinators_read_notes)
                    .map_err(|e| e.to_string())?;
                println!("school {school}: coordinators read notes = {coordinators_read_notes}");
                Ok(())
            }
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
