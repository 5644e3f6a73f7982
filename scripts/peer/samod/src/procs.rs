//! Process plumbing for the orchestrator: the server child process, /proc readings, temp dirs.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// A server child process. Killed on drop; its stdin pipe also closes then, which ends it even
/// if this process dies without running destructors.
pub struct ServerProc {
    pub child: Child,
    pub pid: u32,
    pub port: u16,
}

impl ServerProc {
    pub async fn start(dir: &Path, max_life_s: u64) -> Result<ServerProc, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(["server", "--port", "0", "--dir"])
            .arg(dir)
            .args(["--max-life-s", &max_life_s.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawn server: {e}"))?;
        let pid = child.id().ok_or("server has no pid")?;
        let stdout = child.stdout.take().ok_or("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .map_err(|_| "server did not start within 30 s".to_string())?
            .map_err(|e| e.to_string())?
            .ok_or("server exited before listening")?;
        let msg: serde_json::Value = serde_json::from_str(&line).map_err(|e| format!("server said {line:?}: {e}"))?;
        let port = msg["port"].as_u64().ok_or("no port")? as u16;
        // Keep draining its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ServerProc { child, pid, port })
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("ws://127.0.0.1:{}", self.port)).expect("valid url")
    }

    /// Graceful stop: close stdin (the server then stops its repo, flushing storage); kill after 10 s.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// VmHWM (peak resident set) of a process, bytes.
pub fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system, all threads) of a process in ms; "self" for this process.
/// Assumes USER_HZ = 100 (Linux on x86_64 and arm64).
pub fn cpu_ms(pid: &str) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // fields after the ")" that closes the command name: state is field 3, utime 14, stime 15
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

/// Sum of file sizes under `dir` (apparent bytes) and the file count.
pub fn dir_bytes(dir: &Path) -> (u64, u64) {
    let (mut bytes, mut files) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                bytes += m.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

/// Directory size once two reads 150 ms apart agree (samod writes in the background), bounded.
pub async fn settled_dir_bytes(dir: &Path) -> (u64, u64) {
    let mut prev = dir_bytes(dir);
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = dir_bytes(dir);
        if now == prev {
            break;
        }
        prev = now;
    }
    prev
}

/// A fresh temp dir, removed on drop (unless `keep`).
pub struct TempDir {
    pub path: PathBuf,
    keep: bool,
}

impl TempDir {
    pub fn new(tag: &str, keep: bool) -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = std::env::temp_dir().join(format!("homevisit-peer-samod-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path, keep })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("[samod-bench] kept {}", self.path.display());
        } else {
            let t0 = std::time::Instant::now();
            let _ = std::fs::remove_dir_all(&self.path);
            if t0.elapsed().as_millis() > 500 {
                eprintln!("[samod-bench] removing {} took {} ms", self.path.display(), t0.elapsed().as_millis());
            }
        }
    }
}
