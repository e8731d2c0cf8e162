//! Live-figures benchmark (issue 14): two servers on one database, 8 writers at 10 writes/s
//! in all and 8 analysts reading the dashboard set, for 60 s; then the database and the
//! audit log are checked for lost and reverted writes.
//!
//! `cargo bench --bench live -- 100000` (sizes as arguments; default 100,000) runs on a
//! new SQLite file and, when `ZHAOSHANG_BENCH_POSTGRES` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`), on a new PostgreSQL database too.
//! `LIVE_SECONDS` shortens the run. Per size and database it prints: the full build
//! (`Frames::load`) time and the frames' own memory (polars' estimate of the two
//! frames), `/healthz` after start, the first analytics answer, analyst p50/p99/max,
//! the write-visibility lag (graph and figures, on both servers), errors, writes, lost
//! and reverted writes.

#![allow(clippy::unwrap_used)] // a benchmark: a failure is a failed run

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/common/load.rs"]
mod load;

use std::time::Instant;

use sea_orm::{ConnectionTrait, Database};

async fn database(kind: &str, n: usize) -> (String, Option<tempfile::TempDir>) {
    if kind == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display()), Some(dir))
    } else {
        let admin_url = std::env::var("ZHAOSHANG_BENCH_POSTGRES").unwrap();
        let name = format!("zhaoshang_live_{n}_{}", std::process::id());
        let admin = Database::connect(&admin_url).await.unwrap();
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        (format!("{base}/{name}"), None)
    }
}

fn main() {
    let sizes: Vec<usize> =
        std::env::args().skip(1).filter_map(|a| a.replace('_', "").parse().ok()).collect::<Vec<_>>();
    let sizes = if sizes.is_empty() { vec![100_000] } else { sizes };
    let seconds: f64 = std::env::var("LIVE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let mut kinds = vec!["sqlite"];
    if std::env::var("ZHAOSHANG_BENCH_POSTGRES").is_ok() {
        kinds.push("postgres");
    }
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("warn")).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for &n in &sizes {
            for kind in &kinds {
                let (url, _dir) = database(kind, n).await;
                let db = zhaoshang::store::connect(&url).await.unwrap();
                let started = Instant::now();
                zhaoshang::jobs::import_ledger(&db, zhaoshang::demo::generate(n, 1), "bench", "demo").await.unwrap();
                let import = started.elapsed().as_secs_f64();
                let started = Instant::now();
                let frames = zhaoshang::analytics::Frames::load(&db).await.unwrap();
                let build = started.elapsed().as_secs_f64();
                let memory = (frames.projects.estimated_size() + frames.progress.estimated_size()) as f64 / 1048576.0;
                let (projects, months) = (frames.projects.height(), frames.progress.height());
                drop(frames);
                db.close().await.ok();
                let report = load::run(&load::Load {
                    url: url.clone(),
                    seconds,
                    writers: 8,
                    writes_per_second: 10.0,
                    analysts: 8,
                })
                .await;
                let q = |v: &[f64], p: f64| load::quantile(v, p);
                println!("## {kind}, {n} projects ({projects} rows, {months} progress months), {seconds} s");
                println!("import {import:.1} s; full build {build:.2} s; frames {memory:.0} MiB");
                println!(
                    "healthz after start {:.0} / {:.0} ms; first figures {:.0} / {:.0} ms",
                    report.healthz_ms[0], report.healthz_ms[1], report.first_figures_ms[0], report.first_figures_ms[1]
                );
                println!(
                    "analysts: {} requests, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
                    report.analyst_ms.len(),
                    q(&report.analyst_ms, 0.5),
                    q(&report.analyst_ms, 0.99),
                    q(&report.analyst_ms, 1.0)
                );
                println!(
                    "visibility lag (every write × both servers): graph p50 {:.0} / max {:.0} ms; figures p50 {:.0} / max {:.0} ms",
                    q(&report.graph_lag_ms, 0.5),
                    q(&report.graph_lag_ms, 1.0),
                    q(&report.figures_lag_ms, 0.5),
                    q(&report.figures_lag_ms, 1.0)
                );
                println!(
                    "writes acknowledged {} ({:.1}/s); errors {}; lost {}; reverted {}",
                    report.writes,
                    report.writes as f64 / seconds,
                    report.errors.len(),
                    report.lost,
                    report.reverted
                );
                for e in report.errors.iter().take(5) {
                    println!("  error: {}", e.chars().take(300).collect::<String>());
                }
            }
        }
    });
}
