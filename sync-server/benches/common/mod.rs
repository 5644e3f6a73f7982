//! What the sync benchmarks share: arguments, the relay's peak RSS, the relay process that ends
//! with the benchmark, and where the relays keep their documents (the embedded files, or a fresh
//! PostgreSQL database that several relay processes share).

#![allow(dead_code)] // each bench includes this module and uses part of it

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use homevisit_relay::Storage;

/// The relay binary the benchmarks start: this build's, or the one `HOMEVISIT_BENCH_RELAY` names
/// (another build to compare with the same devices, or a wrapper that runs this one under a
/// profiler such as callgrind; see the README's benchmarks section).
fn relay_binary() -> std::ffi::OsString {
    std::env::var_os("HOMEVISIT_BENCH_RELAY").unwrap_or_else(|| env!("CARGO_BIN_EXE_homevisit-relay").into())
}

pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Whether `name` (e.g. `--postgres`) is on the command line.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Runs `f` on a thread of its own and waits for it: the relay opened in the bench's process (the
/// roster import) may use PostgreSQL's synchronous client, which runs its own runtime, never
/// inside the bench's.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// The highest peak RSS of `relays` (each its own process), in bytes.
pub fn peak_rss_max(relays: &[RelayProcess]) -> u64 {
    relays.iter().map(|r| peak_rss(r.0.id())).max().unwrap_or(0)
}

/// CPU time (user + system) a process has used so far, in seconds; 0 if unreadable.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks a second
    // (the Linux USER_HZ).
    (ticks(11) + ticks(12)) / 100.0
}

/// A process's peak resident memory (VmHWM), in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    memory(pid, "VmHWM:")
}

/// A process's resident memory now (VmRSS), in bytes.
pub fn rss(pid: u32) -> u64 {
    memory(pid, "VmRSS:")
}

/// CPU time (user + system, all threads) a process has used so far, in milliseconds; 0 if
/// unreadable. `pid` 0: this process.
#[allow(dead_code)] // not every bench includes it
pub fn cpu_ms(pid: u32) -> f64 {
    let path = if pid == 0 { "/proc/self/stat".to_string() } else { format!("/proc/{pid}/stat") };
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Clock ticks are 100 a second on Linux (sysconf(_SC_CLK_TCK)).
    (ticks(11) + ticks(12)) * 10.0
}

/// A `/proc/<pid>/status` memory line (`field` with its colon), in bytes; 0 if unreadable.
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The relay under benchmark, killed when dropped.
pub struct RelayProcess(pub Child);

impl RelayProcess {
    /// Starts the real `homevisit-relay` binary on `data_dir` (its own process, so its RSS is its
    /// own) on a free loopback port, waits until it accepts connections, and returns it with its URL.
    pub fn spawn(data_dir: &Path) -> (RelayProcess, String) {
        Self::spawn_with(data_dir, &[])
    }

    /// As [`RelayProcess::spawn`], keeping documents and devices in the PostgreSQL database at
    /// `url` (the relay key stays in `data_dir`: instances started on one directory share it).
    pub fn spawn_postgres(data_dir: &Path, url: &str) -> (RelayProcess, String) {
        Self::spawn_with(data_dir, &["--postgres", url])
    }

    fn spawn_with(data_dir: &Path, storage_args: &[&str]) -> (RelayProcess, String) {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut args = vec!["--data", data_dir.to_str().unwrap()];
        args.extend_from_slice(storage_args);
        let listen = format!("127.0.0.1:{port}");
        args.extend_from_slice(&["serve", "--listen", &listen]);
        let child =
            Command::new(relay_binary()).args(&args).env("RUST_LOG", "warn").stdout(Stdio::null()).spawn().unwrap();
        let mut relay = RelayProcess(child);
        // The relay opens its storage (PostgreSQL: a pool, the schema check) before it listens.
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = relay.0.try_wait() {
                panic!("the relay exited before listening: {status}");
            }
            assert!(Instant::now() < until, "the relay did not listen on {port} within 30 s");
            std::thread::sleep(Duration::from_millis(25));
        }
        (relay, format!("http://127.0.0.1:{port}"))
    }
}

/// Where the relays under benchmark keep their documents: their embedded files (one relay
/// process), or a fresh PostgreSQL database that two relay processes share.
pub enum Backend {
    Embedded,
    Postgres(PgDatabase),
}

impl Backend {
    /// `--postgres` on the command line: a fresh database on the server `HOMEVISIT_TEST_POSTGRES`
    /// names (`scripts/with-postgres` sets it), dropped when this is; else embedded.
    pub fn from_args() -> Backend {
        if !flag("--postgres") {
            return Backend::Embedded;
        }
        match std::env::var("HOMEVISIT_TEST_POSTGRES") {
            Ok(admin) if !admin.is_empty() => Backend::Postgres(PgDatabase::create(&admin)),
            _ => {
                eprintln!(
                    "--postgres needs HOMEVISIT_TEST_POSTGRES (a PostgreSQL admin URL); run under scripts/with-postgres"
                );
                std::process::exit(2);
            }
        }
    }

    /// The storage for opening the relay in this process (the roster import).
    pub fn storage(&self) -> Storage {
        match self {
            Backend::Embedded => Storage::Embedded,
            Backend::Postgres(db) => Storage::Postgres(db.url.clone()),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Relay processes served: two on PostgreSQL (what it is for), one on the embedded files
    /// (one instance per directory).
    pub fn instances(&self) -> usize {
        match self {
            Backend::Embedded => 1,
            Backend::Postgres(_) => 2,
        }
    }

    /// Starts [`Backend::instances`] relay processes on `data_dir` (one after another, each
    /// listening before the next starts); each with its URL.
    pub fn spawn(&self, data_dir: &Path) -> (Vec<RelayProcess>, Vec<String>) {
        (0..self.instances())
            .map(|_| match self {
                Backend::Embedded => RelayProcess::spawn(data_dir),
                Backend::Postgres(db) => RelayProcess::spawn_postgres(data_dir, &db.url),
            })
            .unzip()
    }
}

/// A PostgreSQL database of the benchmark's own (`hv_bench_<uuid>`), dropped when this is (after
/// the relays using it have stopped: drop them first).
pub struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin: &str) -> PgDatabase {
        let name = format!("hv_bench_{}", uuid::Uuid::new_v4().simple());
        admin_sql(admin, &format!("CREATE DATABASE {name}"));
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("HOMEVISIT_TEST_POSTGRES must name a database (postgres://user@host:port/db)"),
        };
        PgDatabase { admin: admin.to_string(), name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // FORCE: a pool connection of an instance not yet gone must not keep it.
        admin_sql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// Runs `sql` on the admin URL. The synchronous client runs its own runtime: on a thread of its
/// own, never inside the bench's.
fn admin_sql(admin: &str, sql: &str) {
    let (admin, sql) = (admin.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("the PostgreSQL admin URL");
        client.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .unwrap();
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The median over `runs` of the number at `path` in each (runs without it are left out);
/// `null` if none has it.
#[allow(dead_code)] // not every bench includes it
pub fn median_of(runs: &[serde_json::Value], path: &[&str]) -> serde_json::Value {
    let mut v: Vec<f64> = runs
        .iter()
        .filter_map(|r| path.iter().try_fold(r, |acc, k| acc.get(k)).and_then(serde_json::Value::as_f64))
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v.get(v.len() / 2).map_or(serde_json::Value::Null, |m| serde_json::json!(m))
}
