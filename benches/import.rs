//! Import benchmark (issue: ≥ 200,000 rows/s into SQLite, peak memory < 1 GB).
//!
//! Method: generate the demo district with 100,000 projects, pad its monthly progress
//! to 1,000,000 rows (more months for the same projects), then time, into a new SQLite
//! file, (1) the ledger checks and (2) the write in one transaction. Reports rows/s and
//! the process's peak resident memory (VmHWM). Run: `cargo bench --bench import`
//! (optionally `-- PROJECTS PROGRESS_ROWS`).

/// The same allocator as the `zhaoshang` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Datelike, Months, NaiveDate};
use entities::progress;

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn pad_progress(ledger: &mut zhaoshang::ledger::Ledger, wanted: usize) {
    let mut taken: HashSet<(String, NaiveDate)> =
        ledger.progress.iter().map(|(_, p)| (p.project_code.clone(), p.month)).collect();
    let codes: Vec<(String, NaiveDate)> = ledger
        .projects
        .iter()
        .map(|(_, p)| (p.code.clone(), p.intent_date.or(p.signed_date).unwrap_or_default()))
        .collect();
    let last = zhaoshang::demo::data_horizon();
    'outer: for (code, from) in codes {
        let mut month = from.with_day(1).unwrap_or(from);
        while month <= last {
            if ledger.progress.len() >= wanted {
                break 'outer;
            }
            if taken.insert((code.clone(), month)) {
                let row = ledger.progress.len() + 2;
                let amount = 10_000 * (1 + (row as i64 % 500));
                ledger.progress.push((
                    row,
                    progress::Model {
                        project_code: code.clone(),
                        month,
                        fai: Some(amount),
                        funds_arrived: Some(amount),
                        out_of_region_funds: Some(amount / 2),
                    },
                ));
            }
            month = month + Months::new(1);
        }
    }
}

fn main() {
    zhaoshang::allocator::configure(); // as the binary does
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let projects = args.first().copied().unwrap_or(100_000);
    let progress_rows = args.get(1).copied().unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        let db = zhaoshang::store::connect(&url).await.expect("connect");

        let started = Instant::now();
        let mut ledger = zhaoshang::demo::generate(projects, 1);
        pad_progress(&mut ledger, progress_rows);
        let generated = started.elapsed();
        let rows = ledger.row_count() + ledger.investors.len();
        println!(
            "ledger: {} projects, {} progress rows, {rows} rows in all (generated in {:.2?})",
            ledger.projects.len(),
            ledger.progress.len(),
            generated
        );

        let known = zhaoshang::store::known(&db).await.expect("known");
        let started = Instant::now();
        let mut warnings = Vec::new();
        let errors = ledger.check(&known, &mut warnings);
        assert!(errors.is_empty(), "{errors:?}");
        let checked = started.elapsed();

        let started = Instant::now();
        let (counts, _) = zhaoshang::store::import_ledger(&db, &ledger, "bench", "bench", None).await.expect("import");
        let written = started.elapsed();
        let total = checked + written;
        println!("check: {checked:.2?}; write: {written:.2?} ({} rows)", counts.total());
        println!(
            "import: {:.0} rows/s (check + write, in memory); write alone {:.0} rows/s",
            rows as f64 / total.as_secs_f64(),
            rows as f64 / written.as_secs_f64()
        );
        println!("peak memory (VmHWM) after the in-memory import: {:.0} MiB", peak_memory_mib());

        // The same ledger as a CSV folder, imported from the files into a new database:
        // what `zhaoshang import FOLDER` does (read, decode, parse, check, write).
        let folder = dir.path().join("ledger");
        zhaoshang::ledger::write_ledger(&ledger, &folder).expect("write CSV");
        drop(ledger);
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("from-files.db").display());
        let db = zhaoshang::store::connect(&url).await.expect("connect");
        let started = Instant::now();
        let imported = zhaoshang::jobs::import_file(&db, &folder, "bench").await.expect("import files");
        let elapsed = started.elapsed();
        println!(
            "from CSV files: {} rows in {elapsed:.2?}: {:.0} rows/s; peak memory (VmHWM) {:.0} MiB",
            imported.counts.total(),
            imported.counts.total() as f64 / elapsed.as_secs_f64(),
            peak_memory_mib()
        );
    });
}
