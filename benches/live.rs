//! Live-figures benchmark (issue 14): two servers on one database, 8 writers at 10 writes/s
//! in all and 8 analysts reading the dashboard set, for 60 s; then the database and the
//! audit log are checked for lost and reverted writes.
//!
//! `cargo bench --bench live -- 100000` (sizes as arguments; default 100,000) runs on a
//! new SQLite file and, when `ZHAOSHANG_BENCH_POSTGRES` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`), on a new PostgreSQL database too.
//! `LIVE_SECONDS` shortens the run; `LIVE_ONLY=postgres` (or `sqlite`) runs one database
//! alone. A PostgreSQL database is vacuumed, analyzed and checkpointed after the import
//! (as `benches/api.sh` does), before the full build is timed. The two servers are tasks
//! of the bench's process, or `zhaoshang serve` processes of this build with
//! `LIVE_PROCESSES=1` and always from 1,000,000 projects (two read snapshots and two sets
//! of frames of that size do not fit in one process beside the bench's own). Per size and
//! database it prints: the full build (`Frames::load`) time and the frames' own memory (polars' estimate of the two
//! frames), `/healthz` after start, the first analytics answer, analyst p50/p99/max,
//! the write-visibility lag (graph and figures, on both servers), errors, writes, lost
//! and reverted writes, and how many frame builds the two servers ran during the load
//! and their mean time (the `zhaoshang_frames_build_seconds` histogram), the answers by
//! how they were come by, and the steps of the frames' updates
//! (`zhaoshang_frames_update_seconds`).
//!
//! `LIVE_PROFILE=1` also times the parts of one full build apart (the reads of
//! `store::bulk` both ways, the other tables, `Frames::build`, `WorkRows::build`), then
//! `Frames::load` whole, and
//! `LIVE_PROFILE=only` does that and skips the load. Both also time 20 patches of the
//! frames, each after one progress write, with the engine's debug lines on its parts.
//! `LIVE_DATABASE=<url>` profiles a database made before (e.g. by `zhaoshang demo
//! --projects 1000000` against it) instead of a new one: no import, no load, nothing
//! dropped — to profile the same data again and again (under `perf`, say) without
//! importing it each time; its 20 patches' writes stay in it.

#![allow(clippy::unwrap_used)] // a benchmark: a failure is a failed run

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/common/load.rs"]
mod load;
// The load's servers as `zhaoshang serve` processes (`load::Load::processes`).
#[path = "../tests/common/bin.rs"]
#[allow(dead_code)] // the bench uses `Served` only
mod bin;

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

/// Times the parts of one full build apart, one after the other (`Frames::load` runs the
/// big tables' read beside the rest, and the two builds on both cores): the big tables
/// through [`zhaoshang::store::bulk`] (rusqlite on a SQLite file, binary COPY on
/// PostgreSQL, and sea-orm), the other tables, then `Frames::build` and `WorkRows::build`;
/// then `Frames::load` whole.
async fn profile_build(db: &sea_orm::DatabaseConnection) {
    use entities::prelude::*;
    use sea_orm::{EntityTrait, QueryOrder};
    use zhaoshang::store::bulk;
    let lap = |label: &str, started: &mut Instant| {
        println!("  {label}: {:.3} s", started.elapsed().as_secs_f64());
        *started = Instant::now();
    };
    let mut t = Instant::now();
    let (txn, version) = zhaoshang::store::feed::begin_read(db).await.unwrap();
    lap("begin_read + data version", &mut t);
    if let Some(path) = bulk::sqlite_file(db) {
        let file = path.clone();
        let read = tokio::task::spawn_blocking(move || bulk::read_sqlite(&path, version)).await.unwrap().unwrap();
        let read = read.expect("no write during the profile");
        lap(&format!("rusqlite: {} projects, {} progress months", read.projects.len(), read.progress.len()), &mut t);
        let work = tokio::task::spawn_blocking(move || bulk::read_sqlite_work(&file, version)).await.unwrap().unwrap();
        let work = work.expect("no write during the profile");
        let rows = work.investors.len() + work.engagements.len() + work.incentives.len();
        lap(&format!("rusqlite: investors, engagements, incentives ({rows} rows)"), &mut t);
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let snapshot = zhaoshang::store::copy::export_snapshot(&txn).await.unwrap();
        let read = zhaoshang::store::copy::read_postgres(db, &snapshot).await.unwrap();
        let (projects, months) = (read.tables.projects.len(), read.tables.progress.len());
        lap(
            &format!("binary COPY: {projects} projects, {months} progress months, the work sheets, key projects"),
            &mut t,
        );
    }
    let projects = bulk::read_projects(&txn, None).await.unwrap();
    lap(&format!("sea-orm: {} projects", projects.len()), &mut t);
    let progress = bulk::read_progress(&txn, None, &projects).await.unwrap();
    lap(&format!("sea-orm: {} progress months", progress.len()), &mut t);
    let units = Unit::find().order_by_asc(entities::unit::Column::Code).all(&txn).await.unwrap();
    let targets = Target::find().all(&txn).await.unwrap();
    let issues = ElementIssue::find().all(&txn).await.unwrap();
    lap("units, targets, issues", &mut t);
    let work = zhaoshang::analytics::work::WorkInput::load(&txn).await.unwrap();
    lap("sea-orm: WorkInput::load (five tables)", &mut t);
    txn.commit().await.unwrap();
    lap("commit", &mut t);
    let frames = zhaoshang::analytics::Frames::build(version, &projects, &progress, units, targets, issues).unwrap();
    lap("Frames::build", &mut t);
    let rows = zhaoshang::analytics::work::WorkRows::build(work, &projects, &progress);
    lap("WorkRows::build", &mut t);
    drop((frames, rows, projects, progress));
    lap("drop", &mut t);
    let frames = zhaoshang::analytics::Frames::load(db).await.unwrap();
    lap("Frames::load (the engine's full build, parts side by side)", &mut t);
    drop(frames);
}

/// Times `Frames::patched` after each of 20 one-project progress writes (what units
/// send all day), each patch starting from the last; the engine's `frames patched` debug
/// lines give the parts.
async fn profile_patch(db: &sea_orm::DatabaseConnection) {
    use sea_orm::{FromQueryResult, Statement};
    use zhaoshang::store::feed::{self, Change};
    #[derive(FromQueryResult)]
    struct Month {
        project_code: String,
        month: chrono::NaiveDate,
    }
    let backend = db.get_database_backend();
    let sql = "SELECT project_code, month FROM progress ORDER BY project_code, month LIMIT 400";
    let months = Month::find_by_statement(Statement::from_string(backend, sql)).all(db).await.unwrap();
    let mut frames = zhaoshang::analytics::Frames::load(db).await.unwrap();
    let mut times = Vec::new();
    for m in months.iter().step_by(20).take(20) {
        let txn = feed::begin_write(db).await.unwrap();
        let update = Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DatabaseBackend::Postgres => {
                    "UPDATE progress SET fai = COALESCE(fai, 0) + 1 WHERE project_code = $1 AND month = $2"
                }
                _ => "UPDATE progress SET fai = COALESCE(fai, 0) + 1 WHERE project_code = ? AND month = ?",
            },
            [m.project_code.clone().into(), m.month.into()],
        );
        txn.execute_raw(update).await.unwrap();
        let recorded = feed::record(&txn, Change::new("bench", "recordProgress", "progress", m.project_code.clone()))
            .await
            .unwrap();
        feed::commit(db, txn, recorded).await.unwrap();
        let started = Instant::now();
        frames = frames.patched(db).await.unwrap().expect("a progress write patches");
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  patch after one progress write: min {:.1} / median {:.1} / max {:.1} ms ({} patches)",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
}

fn main() {
    zhaoshang::allocator::configure(); // as the binary does
    let sizes: Vec<usize> =
        std::env::args().skip(1).filter_map(|a| a.replace('_', "").parse().ok()).collect::<Vec<_>>();
    let sizes = if sizes.is_empty() { vec![100_000] } else { sizes };
    let seconds: f64 = std::env::var("LIVE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let mut kinds = vec!["sqlite"];
    if std::env::var("ZHAOSHANG_BENCH_POSTGRES").is_ok() {
        kinds.push("postgres");
    }
    // `LIVE_ONLY=postgres` (or `sqlite`) runs one database alone.
    if let Ok(only) = std::env::var("LIVE_ONLY") {
        kinds.retain(|kind| *kind == only);
    }
    // A database made before, profiled as it is.
    let given = std::env::var("LIVE_DATABASE").ok();
    if let Some(url) = &given {
        kinds = vec![if url.starts_with("sqlite:") { "sqlite" } else { "postgres" }];
    }
    // The profile prints the engine's own account of each patch.
    let filter = if std::env::var("LIVE_PROFILE").is_ok() { "warn,zhaoshang::analytics=debug" } else { "warn" };
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for &n in &sizes {
            for kind in &kinds {
                let (url, _dir) = match &given {
                    Some(url) => (url.clone(), None),
                    None => database(kind, n).await,
                };
                let db = zhaoshang::store::connect(&url).await.unwrap();
                let started = Instant::now();
                if given.is_none() {
                    zhaoshang::jobs::import_ledger(&db, zhaoshang::demo::generate(n, 1), "bench", "demo")
                        .await
                        .unwrap();
                }
                let import = started.elapsed().as_secs_f64();
                if kind == &"postgres" && given.is_none() {
                    // Settled after the import, as `benches/api.sh` does: the autovacuum
                    // of six million new rows (and the hint bits the first reads of them
                    // would write) belong to the import, not to the builds and the load.
                    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
                    db.execute_unprepared("CHECKPOINT").await.unwrap();
                }
                let started = Instant::now();
                let frames = zhaoshang::analytics::Frames::load(&db).await.unwrap();
                let build = started.elapsed().as_secs_f64();
                let memory =
                    (frames.projects().estimated_size() + frames.progress().estimated_size()) as f64 / 1048576.0;
                let (projects, months) = (frames.projects().height(), frames.progress().height());
                drop(frames);
                let profile = std::env::var("LIVE_PROFILE").ok().or_else(|| given.as_ref().map(|_| "only".into()));
                if profile.is_some() {
                    println!(
                        "## {kind}, {n} projects: import {import:.1} s; full build {build:.2} s; frames {memory:.0} MiB"
                    );
                    println!("## {kind}, {n} projects: full build by part");
                    profile_build(&db).await;
                    println!("## {kind}, {n} projects: patches");
                    profile_patch(&db).await;
                }
                db.close().await.ok();
                if profile.as_deref() != Some("only") {
                    run_load(kind, n, &url, seconds, import, build, memory, projects, months).await;
                }
                if kind == &"postgres" && given.is_none() {
                    // The bench's database goes with the run.
                    let admin = Database::connect(std::env::var("ZHAOSHANG_BENCH_POSTGRES").unwrap()).await.unwrap();
                    let name = url.rsplit_once('/').unwrap().1;
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
                }
            }
        }
    });
}

/// The sum of the samples of the series `name` (its name and labels) in a Prometheus text
/// exposition.
fn series_sum(text: &str, name: &str) -> f64 {
    text.lines().filter_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok()).sum()
}

/// The load run of one database and size, and its report.
#[allow(clippy::too_many_arguments)] // the figures of the run so far, printed with its own
async fn run_load(
    kind: &str,
    n: usize,
    url: &str,
    seconds: f64,
    import: f64,
    build: f64,
    memory: f64,
    projects: usize,
    months: usize,
) {
    let processes = std::env::var("LIVE_PROCESSES").is_ok_and(|v| v == "1") || n >= 1_000_000;
    let built = zhaoshang::metrics::metrics().frames_build.clone();
    let (builds_before, build_seconds_before) = (built.get_sample_count(), built.get_sample_sum());
    let answers = zhaoshang::metrics::metrics().analytics_answers.clone();
    let answered = |result: &str| answers.with_label_values(&[result]).get();
    const HOW: [&str; 5] = ["kept", "carried", "computed", "prepared", "patched"];
    let before = HOW.map(answered);
    let behind = zhaoshang::metrics::metrics().frames_behind.clone();
    // The histogram's count, sum and count within 1 s.
    let behind_now = || {
        use prometheus::core::Metric as _;
        let m = behind.metric();
        let h = m.get_histogram();
        let within = h.get_bucket().iter().find(|b| b.upper_bound() == 1.0).map_or(0, |b| b.cumulative_count());
        [h.get_sample_count() as f64, h.get_sample_sum(), within as f64]
    };
    let behind_before = behind_now();
    let registry_before = zhaoshang::metrics::metrics().render().unwrap_or_default();
    let load =
        load::Load { url: url.to_string(), seconds, writers: 8, writes_per_second: 10.0, analysts: 8, processes };
    let report = load::run(&load).await;
    // Tasks of this process count in its own registry; processes in theirs.
    let (
        builds,
        build_seconds,
        [kept, carried, computed, prepared, patched],
        [behind_count, behind_sum, behind_within],
    ) = if processes {
        let sum = |name: &str| -> f64 { report.metrics.iter().map(|text| series_sum(text, name)).sum() };
        (
            sum("zhaoshang_frames_build_seconds_count") as u64,
            sum("zhaoshang_frames_build_seconds_sum"),
            HOW.map(|result| sum(&format!(r#"zhaoshang_analytics_answers_total{{result="{result}"}}"#)) as u64),
            ["_count", "_sum", r#"_bucket{le="1"}"#].map(|s| sum(&format!("zhaoshang_frames_behind_seconds{s}"))),
        )
    } else {
        let now = behind_now();
        (
            built.get_sample_count() - builds_before,
            built.get_sample_sum() - build_seconds_before,
            [0, 1, 2, 3, 4].map(|i| answered(HOW[i]) - before[i]),
            [0, 1, 2].map(|i| now[i] - behind_before[i]),
        )
    };
    let q = |v: &[f64], p: f64| load::quantile(v, p);
    let servers = if processes { "two serve processes" } else { "two servers in the bench's process" };
    println!("## {kind}, {n} projects ({projects} rows, {months} progress months), {seconds} s, {servers}");
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
    let worst: Vec<String> = report
        .worst_lags
        .iter()
        .map(|(lag, at, server, figures)| {
            format!("{lag:.0} ms at +{at:.1} s ({} of server {server})", if *figures { "figures" } else { "graph" })
        })
        .collect();
    println!("longest lags (the write's acknowledgement from the load's start): {}", worst.join(", "));
    let load_start = chrono::DateTime::from_timestamp_millis((report.load_started_unix_s * 1e3) as i64)
        .map_or_else(String::new, |t| t.format("%H:%M:%S%.3f UTC").to_string());
    println!("the load started at {load_start}");
    let ready: Vec<String> = report
        .snapshot_ready_s
        .iter()
        .map(|s| s.map_or("not during the load".to_string(), |s| format!("+{s:.1} s")))
        .collect();
    println!("read snapshots built (from the load's start): {}", ready.join(" / "));
    println!(
        "writes acknowledged {} ({:.1}/s); errors {}; lost {}; reverted {}",
        report.writes,
        report.writes as f64 / seconds,
        report.errors.len(),
        report.lost,
        report.reverted
    );
    println!(
        "frame builds by the two servers (first builds included): {builds}, mean {:.2} s",
        build_seconds / builds.max(1) as f64
    );
    println!(
        "frames behind the feed (per version, from the server learning it to frames with it answering): {behind_count:.0} versions, mean {:.2} s, {:.1} % within 1 s",
        behind_sum / behind_count.max(1.0),
        100.0 * behind_within / behind_count.max(1.0)
    );
    println!(
        "analytics answers kept from the same frames {kept} / carried from older frames {carried} / computed {computed}; prepared for new frames {prepared}; patched by the changed rows {patched}"
    );
    // The steps of the servers' frame updates: where a write's way to the figures goes.
    let registry_after = zhaoshang::metrics::metrics().render().unwrap_or_default();
    for step in ["wait", "read", "patch", "prepare"] {
        let series = |suffix: &str| format!(r#"zhaoshang_frames_update_seconds{suffix}"#);
        let bucket = |le: &str| series(&format!(r#"_bucket{{step="{step}",le="{le}"}}"#));
        let names = [
            series(&format!(r#"_count{{step="{step}"}}"#)),
            series(&format!(r#"_sum{{step="{step}"}}"#)),
            bucket("0.1"),
            bucket("0.25"),
            bucket("1"),
        ];
        let [count, seconds, within_100ms, within_250ms, within_1s] = names.map(|name| {
            if processes {
                report.metrics.iter().map(|text| series_sum(text, &name)).sum::<f64>()
            } else {
                series_sum(&registry_after, &name) - series_sum(&registry_before, &name)
            }
        });
        let share = |n: f64| 100.0 * n / count.max(1.0);
        println!(
            "update step {step}: {count:.0}, mean {:.0} ms, within 100 ms {:.1} %, 250 ms {:.1} %, 1 s {:.1} %",
            1e3 * seconds / count.max(1.0),
            share(within_100ms),
            share(within_250ms),
            share(within_1s)
        );
    }
    for e in report.errors.iter().take(5) {
        println!("  error: {}", e.chars().take(300).collect::<String>());
    }
}
