//! Store benchmark on visits shaped like the peer's debrief forms (`homevisit-fixtures::forms`):
//! each visit is a family record, a visit log (plan + outcome) and its notes + debrief.
//!
//! Measures, as medians over several runs (release build):
//! - import: 1,000 visits into a fresh store (families + logs + notes, one transaction each);
//! - open + today: open a 5,000-visit store and list one day's visits;
//! - edit: one durable single-character note edit (returns after the commit), p50/p99/max per
//!   round of edits, medians across rounds; for both durability levels (crash, power loss).
//!
//! `cargo bench -p homevisit-store --bench store [-- --runs 5 --visits 5000 --edits 1000]`
//! Prints a table on stderr and one JSON line on stdout.

use std::time::{Duration, Instant};

use chrono::FixedOffset;
use homevisit_fixtures::{DataSet, forms};
use homevisit_model::NoteField;
use homevisit_store::{DbKey, Durability, Store, StoreOptions, VisitImport};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    // Nearest rank, as the peer's harness reports.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank - 1]
}

fn roster(store: &mut Store, data: &DataSet) {
    for s in &data.schools {
        store.put_school(s).unwrap();
    }
    for e in &data.educators {
        store.put_educator(e).unwrap();
    }
}

fn import(store: &mut Store, data: &DataSet, range: std::ops::Range<usize>) {
    store.import_families(&data.families[range.clone()]).unwrap();
    let visits: Vec<VisitImport> =
        data.visits[range].iter().map(|(log, notes)| VisitImport { log: log.clone(), notes: notes.clone() }).collect();
    store.import_visits(&visits).unwrap();
}

fn main() {
    let runs = arg("--runs", 5);
    let n_visits = arg("--visits", 5000);
    let n_edits = arg("--edits", 1000);
    let key = DbKey::from_bytes([42; 32]);
    let data = forms::data_set(n_visits as u32);
    let dir = tempfile::tempdir().unwrap();

    // 1. Import 1,000 visits into a fresh store.
    let mut import_ms = Vec::new();
    for run in 0..runs {
        let path = dir.path().join(format!("import-{run}.db"));
        let mut store = Store::open(&path, &key).unwrap();
        roster(&mut store, &data);
        let t = Instant::now();
        import(&mut store, &data, 0..1000);
        import_ms.push(ms(t.elapsed()));
    }

    // 2. A store of n_visits visits; open it and list "today" (the day of visit 0).
    let path = dir.path().join("big.db");
    {
        let mut store = Store::open(&path, &key).unwrap();
        roster(&mut store, &data);
        for start in (0..n_visits).step_by(1000) {
            import(&mut store, &data, start..(start + 1000).min(n_visits));
        }
    }
    let day = data.visits[0].0.plan.scheduled_at.0.date_naive();
    let utc = FixedOffset::east_opt(0).unwrap();
    let mut open_ms = Vec::new();
    let mut today_count = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let store = Store::open(&path, &key).unwrap();
        today_count = store.visits_on_day(day, utc).unwrap().len();
        open_ms.push(ms(t.elapsed()));
    }
    let file_bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("big.db"))
        .map(|e| e.metadata().unwrap().len())
        .sum();

    // 3. Durable single-character edits at seeded random visits, fields and positions; `runs`
    //    rounds of `n_edits` per durability level, each reopening the store; percentiles per
    //    round, medians across rounds.
    let mut rng = forms::Mulberry32::new(7);
    let mut edits = Vec::new();
    for durability in [Durability::Crash, Durability::PowerLoss] {
        let (mut p50s, mut p99s, mut maxes) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut store = Store::open_with(&path, &key, StoreOptions { durability, ..Default::default() }).unwrap();
            let mut edit_ms = Vec::with_capacity(n_edits);
            for _ in 0..n_edits {
                let (log, _) = &data.visits[(rng.next_f64() * n_visits as f64) as usize];
                let field = NoteField::ALL[(rng.next_f64() * NoteField::ALL.len() as f64) as usize];
                let len = store.note(log.plan.id, field).unwrap().encode_utf16().count();
                let pos = (rng.next_f64() * (len + 1) as f64) as usize;
                let t = Instant::now();
                store.splice_note(log.plan.id, field, pos, 0, "e").unwrap();
                edit_ms.push(ms(t.elapsed()));
            }
            edit_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
            p50s.push(percentile(&edit_ms, 50.0));
            p99s.push(percentile(&edit_ms, 99.0));
            maxes.push(*edit_ms.last().unwrap());
        }
        edits.push((durability, median(p50s), median(p99s.clone()), median(maxes), p99s));
    }

    let import_median = median(import_ms.clone());
    let open_median = median(open_ms.clone());
    eprintln!("homevisit store benchmark (release, {runs} runs, medians)");
    eprintln!(
        "  import 1,000 visits (family + log + notes each)  {import_median:>8.1} ms   target <= 1000 ms   runs {import_ms:.1?}"
    );
    eprintln!(
        "  open {n_visits}-visit store + list today ({today_count})   {open_median:>8.1} ms   target <= 100 ms    runs {open_ms:.1?}"
    );
    for (durability, p50, p99, max, p99s) in &edits {
        eprintln!(
            "  note edit, durable to {:<9} {runs}x{n_edits}  p50 {p50:.3} ms  p99 {p99:.3} ms  max {max:.3} ms  target p99 <= 2 ms  p99 runs {p99s:.3?}",
            format!("{durability:?}")
        );
    }
    eprintln!(
        "  store file with {n_visits} visits: {:.1} MB ({:.0} bytes/visit)",
        file_bytes as f64 / 1e6,
        file_bytes as f64 / n_visits as f64
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "homevisit-store",
            "runs": runs,
            "visits": n_visits,
            "import1000Ms": import_median,
            "import1000RunsMs": import_ms,
            "openAndTodayMs": open_median,
            "openAndTodayRunsMs": open_ms,
            "todayVisits": today_count,
            "edit": edits.iter().map(|(d, p50, p99, max, p99s)| serde_json::json!({
                "durability": format!("{d:?}"), "count": n_edits, "p50Ms": p50, "p99Ms": p99, "maxMs": max, "p99RunsMs": p99s,
            })).collect::<Vec<_>>(),
            "storeBytes": file_bytes,
        })
    );
}
