//! What the sync benchmarks share: arguments, the relay's peak RSS, and the relay process that
//! ends with the benchmark.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A process's peak resident memory (VmHWM), in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    memory(pid, "VmHWM:")
}

/// A process's resident memory now (VmRSS), in bytes.
#[allow(dead_code)] // used by the hostile bench only; each bench includes this module
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
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_homevisit-relay"))
            .args(["--data", data_dir.to_str().unwrap(), "serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let relay = RelayProcess(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        (relay, format!("http://127.0.0.1:{port}"))
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
