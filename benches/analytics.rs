//! Analytics benchmark (issue: at 1,000,000 projects the warm dashboard set < 300 ms and
//! no slower than DuckDB, the rebuild < 10 s, peak memory < 2 GB).
//!
//! Method: for each size (default 10,000 and 100,000 projects; pass sizes as arguments,
//! e.g. `cargo bench --bench analytics -- 10000 100000 1000000`), generate the demo
//! district, import it into a new SQLite file, then time
//! - the rebuild: `Frames::load` (read the store, build the polars frames);
//! - the dashboard set on warm frames — the 2025 FAI trend by month, the 2025 signing
//!   trend, the 2025 cohort, the 2024 funnel, the alerts as of 2025-12-31, the 2025 Q3
//!   scorecards — best and median of 7 runs;
//! - the same set in DuckDB SQL (`benches/analytics_duckdb.py`, Python's `duckdb`) on
//!   the same data, exported as CSV with the reach dates already derived (as the frames
//!   have them), when python3 with duckdb is installed.
//!
//! Peak memory is the process's VmHWM (cumulative over the sizes run).
//!
//! `ANALYTICS_CSV=DIR` keeps the CSV export in `DIR/N/` (instead of a temporary folder),
//! so that `benches/analytics_duckdb.py DIR/N --graphql URL TOKEN` can compare DuckDB
//! with a server over the same data afterwards (`zhaoshang demo --projects N --seed 1`).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use zhaoshang::analytics::scorecard::{ScoringConfig, scorecards};
use zhaoshang::analytics::volume::{Granularity, trend};
use zhaoshang::analytics::{Frames, Metric, ProjectFilter, alerts, cohort};
use zhaoshang::ledger::Ledger;
use zhaoshang::rules::{reach_dates, recorded_dates};

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// The dashboard set; returns a checksum (so that nothing is optimised away) and the
/// time of each part.
fn dashboard(frames: &Frames) -> (usize, Vec<(&'static str, Duration)>) {
    let all = ProjectFilter::default();
    let mut n = 0;
    let mut parts = Vec::new();
    let mut timed = |name: &'static str, f: &mut dyn FnMut() -> usize| {
        let started = Instant::now();
        n += f();
        parts.push((name, started.elapsed()));
    };
    timed("fai trend", &mut || {
        trend(frames, Metric::Fai, day("2025-01-01"), day("2025-12-01"), Granularity::Month, &all, day("2025-12-31"))
            .expect("fai")
            .len()
    });
    timed("signing trend", &mut || {
        trend(
            frames,
            Metric::SignedInvestment,
            day("2025-01-01"),
            day("2025-12-01"),
            Granularity::Month,
            &all,
            day("2025-12-31"),
        )
        .expect("signed")
        .len()
    });
    timed("cohort", &mut || {
        cohort::cohort(frames, day("2025-01-01"), day("2025-12-31"), day("2025-12-31"), &all).expect("cohort").size()
    });
    timed("funnel", &mut || {
        cohort::funnel(frames, day("2024-01-01"), day("2024-12-31"), day("2025-12-31"), &all).expect("funnel").stages[0]
            .reached
    });
    timed("alerts", &mut || alerts::alerts(frames, day("2025-12-31"), day("2025-01-01")).expect("alerts").len());
    timed("scorecards", &mut || scorecards(frames, 2025, 3, &ScoringConfig::default()).expect("scorecards").len());
    (n, parts)
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The data as CSV for DuckDB, reach dates derived as the frames derive them.
fn export_csv(ledger: &Ledger, dir: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("projects.csv")).expect("csv"));
    writeln!(f, "code,unit,total,reach_0,reach_1,reach_2,reach_3,reach_4,reach_5,rec_0,rec_1,rec_2,rec_3,rec_4,rec_5,registered,planned_start,planned_production,terminated").expect("write");
    for (_, p) in &ledger.projects {
        let rec = recorded_dates(p);
        let reach = reach_dates(&rec);
        let cols: Vec<String> = reach.iter().chain(rec.iter()).map(|d| date(*d)).collect();
        writeln!(
            f,
            "{},{},{},{},{},{},{},{}",
            p.code,
            p.unit_code,
            p.total_investment,
            cols.join(","),
            date(p.registered_date),
            date(p.planned_start_date),
            date(p.planned_production_date),
            date(p.terminated_date)
        )
        .expect("write");
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("progress.csv")).expect("csv"));
    writeln!(f, "code,month,fai,funds,outside").expect("write");
    for (_, r) in &ledger.progress {
        writeln!(
            f,
            "{},{},{},{},{}",
            r.project_code,
            r.month,
            r.fai.unwrap_or(0),
            r.funds_arrived.unwrap_or(0),
            r.out_of_region_funds.unwrap_or(0)
        )
        .expect("write");
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("targets.csv")).expect("csv"));
    writeln!(f, "unit,year,metric,value").expect("write");
    for (_, t) in &ledger.targets {
        writeln!(f, "{},{},{},{}", t.unit_code, t.year, t.metric, t.value).expect("write");
    }
}

fn main() {
    zhaoshang::allocator::configure(); // as the binary does
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        let ledger = zhaoshang::demo::generate(n, 1);
        let progress_rows = ledger.progress.len();
        runtime.block_on(async {
            let db = zhaoshang::store::connect(&url).await.expect("connect");
            let started = Instant::now();
            zhaoshang::jobs::import_ledger(&db, ledger.clone(), "bench", "bench").await.expect("import");
            let imported = started.elapsed();
            let started = Instant::now();
            let frames = Frames::load(&db).await.expect("frames");
            let rebuild = started.elapsed();
            let mut runs: Vec<(Duration, Vec<(&str, Duration)>)> = Vec::new();
            let frames = std::sync::Arc::new(frames);
            for _ in 0..7 {
                let f = frames.clone();
                let started = Instant::now();
                let (check, parts) = tokio::task::spawn_blocking(move || dashboard(&f)).await.expect("dashboard");
                runs.push((started.elapsed(), parts));
                assert!(check > 0);
            }
            runs.sort_by_key(|r| r.0);
            let times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
            let parts: Vec<String> = runs[3].1.iter().map(|(name, d)| format!("{name} {:.1} ms", d.as_secs_f64() * 1000.0)).collect();
            println!(
                "{n} projects, {progress_rows} progress rows: import {imported:.2?}; rebuild {rebuild:.2?}; dashboard best {:.1?} median {:.1?}; peak memory {:.0} MiB",
                times[0],
                times[3],
                peak_memory_mib()
            );
            println!("  median run by part: {}", parts.join(", "));
        });
        let csv = match std::env::var_os("ANALYTICS_CSV") {
            Some(keep) => Path::new(&keep).join(n.to_string()),
            None => dir.path().to_path_buf(),
        };
        std::fs::create_dir_all(&csv).expect("csv folder");
        export_csv(&ledger, &csv);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/analytics_duckdb.py");
        match std::process::Command::new("python3").arg(&script).arg(&csv).output() {
            Ok(out) if out.status.success() => print!("{n} projects, DuckDB: {}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => println!(
                "DuckDB comparison skipped: {}",
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
            ),
            Err(e) => println!("DuckDB comparison skipped: {e}"),
        }
    }
}
