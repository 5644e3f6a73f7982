//! Benchmark peer: samod (the Rust port of automerge-repo, same sync protocol) driven through the
//! same two workloads as the JS automerge-repo peer (shared/peers/automerge-repo/bench.mjs).
//!
//!   homevisit-peer-samod [--workload all|w1|w2] [--n 1000[,5000]] [--runs 3] [--edits 200]
//!                        [--gap-ms 0[,150]] [--stall-s 120] [--timeout-s 3600] [--keep]
//!   homevisit-peer-samod server --port P --dir DIR [--max-life-s S]   (spawned by the above)
//!   homevisit-peer-samod forms --n N [--seed S]                        (generator output, JSON lines)
//!
//! One JSON line per workload configuration on stdout, progress on stderr. The server is its own
//! OS process; clients A and B are samod repos inside this (orchestrator) process.

mod form;
mod net;
mod procs;
mod server;
mod stats;
mod w1;
mod w2;

use std::{future::Future, path::PathBuf, time::Duration};

use serde_json::{Value, json};

const SAMOD_VERSION: &str = "0.16.0";

pub fn log(msg: &str) {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let iso = form::iso_utc_ms(t.as_millis() as i64);
    eprintln!("[samod-bench {}] {msg}", &iso[11..23]);
}

pub struct Opts {
    workload: String,
    ns: Vec<u32>,
    runs: u32,
    edits: usize,
    gaps: Vec<u64>,
    stall_s: u64,
    timeout_s: u64,
    keep: bool,
    /// Server max lifetime (a child never outlives a stuck orchestrator for long).
    server_life_s: u64,
}

fn list<T: std::str::FromStr>(s: &str) -> Result<Vec<T>, String> {
    s.split(',').map(|x| x.trim().parse::<T>().map_err(|_| format!("bad number {x:?}"))).collect()
}

/// `--flag value` pairs (and bare `--keep`) into a map.
fn parse_flags(args: &[String]) -> Result<std::collections::HashMap<String, String>, String> {
    let mut m = std::collections::HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let key = a.strip_prefix("--").ok_or_else(|| format!("unexpected argument {a:?}"))?;
        if key == "keep" {
            m.insert("keep".into(), "1".into());
            continue;
        }
        let (k, v) = match key.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (key.to_string(), it.next().ok_or_else(|| format!("--{key} needs a value"))?.clone()),
        };
        m.insert(k, v);
    }
    Ok(m)
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let m = parse_flags(args)?;
    let known = ["workload", "n", "runs", "edits", "gap-ms", "stall-s", "timeout-s", "keep"];
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown option --{k}"));
    }
    let get = |k: &str, d: &str| m.get(k).cloned().unwrap_or_else(|| d.to_string());
    let timeout_s: u64 = get("timeout-s", "3600").parse().map_err(|_| "bad --timeout-s")?;
    let opts = Opts {
        workload: get("workload", "all").to_lowercase(),
        ns: list::<u32>(&get("n", "1000"))?.into_iter().filter(|&n| n > 0 && n <= 100_000).collect(),
        runs: get("runs", "3").parse::<u32>().map_err(|_| "bad --runs")?.clamp(1, 50),
        edits: get("edits", "200").parse::<usize>().map_err(|_| "bad --edits")?.clamp(1, 100_000),
        gaps: list::<u64>(&get("gap-ms", "0"))?.into_iter().filter(|&g| g <= 10_000).collect(),
        stall_s: get("stall-s", "120").parse::<u64>().map_err(|_| "bad --stall-s")?.clamp(10, 3600),
        timeout_s,
        keep: m.contains_key("keep"),
        server_life_s: timeout_s + 60,
    };
    if !["all", "w1", "w2"].contains(&opts.workload.as_str()) {
        return Err(format!("unknown workload {:?}", opts.workload));
    }
    Ok(opts)
}

fn meta(opts: &Opts) -> Value {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
    });
    let mem_total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    json!({
        "samod": SAMOD_VERSION, "automerge": "0.12.0", "tokioTungstenite": "0.27.0",
        "storage": "samod TokioFilesystemStorage (temp dir per process role)",
        "serverProcess": "own OS process", "clients": "A and B: samod repos in the orchestrator process (one tokio runtime)",
        "serverSharePolicy": "read_write, announce=false",
        "platform": format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpuModel": cpu_model, "memTotalBytes": mem_total, "runs": opts.runs,
        "stallS": opts.stall_s, "date": form::iso_utc_ms(now.as_millis() as i64),
    })
}

/// Runs `opts.runs` times; a failed or stalled run is recorded and the next one starts.
async fn run_all<F, Fut>(opts: &Opts, label: &str, one: F) -> (Vec<Value>, Vec<Value>)
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = Result<Value, String>>,
{
    let (mut runs, mut failed) = (vec![], vec![]);
    for r in 1..=opts.runs {
        match one(r).await {
            Ok(v) => runs.push(v),
            Err(e) => {
                log(&format!("{label} run {r} FAILED (recorded, next run): {e}"));
                failed.push(json!({"run": r, "error": e.chars().take(300).collect::<String>()}));
            }
        }
    }
    (runs, failed)
}

async fn bench(opts: Opts) -> bool {
    let mut all_ok = true;
    let median = |runs: &[Value]| stats::median_tree(&runs.iter().collect::<Vec<_>>());
    if opts.workload == "all" || opts.workload == "w1" {
        for &n in &opts.ns {
            let (runs, failed) = run_all(&opts, &format!("W1 n={n}"), |r| w1::run(&opts, n, r)).await;
            all_ok &= !runs.is_empty();
            let doc0 = serde_json::to_string(&form::make_debrief(0, 42).to_json()).map(|s| s.len()).unwrap_or(0);
            let line = json!({"workload": "W1-fan-in", "system": "samod", "n": n, "formJsonBytesDoc0": doc0,
                "median": median(&runs), "runs": runs, "failedRuns": failed, "meta": meta(&opts)});
            println!("{line}");
        }
    }
    if opts.workload == "all" || opts.workload == "w2" {
        for &gap in &opts.gaps {
            let (runs, failed) = run_all(&opts, &format!("W2 gap={gap}"), |r| w2::run(&opts, gap, r)).await;
            all_ok &= !runs.is_empty();
            let line = json!({"workload": "W2-live-coedit-latency", "system": "samod", "edits": opts.edits,
                "gapMs": gap, "median": median(&runs), "runs": runs, "failedRuns": failed, "meta": meta(&opts)});
            println!("{line}");
        }
    }
    all_ok
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code = match args.first().map(String::as_str) {
        Some("server") => {
            let m = parse_flags(&args[1..]).unwrap_or_else(|e| die(&e));
            let port = m.get("port").and_then(|p| p.parse().ok()).unwrap_or(0);
            let dir = PathBuf::from(m.get("dir").cloned().unwrap_or_else(|| die("server needs --dir")));
            let life = m.get("max-life-s").and_then(|p| p.parse().ok()).unwrap_or(1800);
            match rt.block_on(server::run(port, dir, life)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("server: {e}");
                    1
                }
            }
        }
        Some("forms") => {
            let m = parse_flags(&args[1..]).unwrap_or_else(|e| die(&e));
            let n: u32 = m.get("n").and_then(|x| x.parse().ok()).unwrap_or(3);
            let seed: u32 = m.get("seed").and_then(|x| x.parse().ok()).unwrap_or(42);
            for i in 0..n {
                println!("{}", form::make_debrief(i, seed).to_json());
            }
            0
        }
        _ => {
            let opts = parse_opts(&args).unwrap_or_else(|e| die(&e));
            // Global limit: exit even if a run hangs (the server child ends on stdin EOF).
            let limit = opts.timeout_s;
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(limit));
                log(&format!("global timeout {limit}s reached"));
                std::process::exit(2);
            });
            if rt.block_on(bench(opts)) { 0 } else { 1 }
        }
    };
    rt.shutdown_timeout(Duration::from_secs(5));
    std::process::exit(code);
}

fn die(msg: &str) -> ! {
    eprintln!("homevisit-peer-samod: {msg}");
    std::process::exit(64);
}
