//! Running zhaoshang as a service, through the binary: an online backup while `serve`
//! keeps writing holds every write acknowledged before it began, and restores; restore
//! refuses a database with data; PostgreSQL backups are refused with the way to do them;
//! SIGTERM lets requests in flight finish; `/healthz`, `/readyz` and `/metrics` answer;
//! the threads answering requests run below the background work.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::bin::{Served, run, run_ok, stdout};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

/// A SQLite database in `dir` with the sample ledger and an admin token.
fn prepared(dir: &Path) -> (String, String) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("live.db").display());
    run_ok(dir, &["--database-url", &url, "import", common::sample_xlsx().to_str().unwrap()]);
    let token = stdout(&run_ok(dir, &["--database-url", &url, "token", "create", "--role", "admin", "--name", "w"]));
    (url, token.trim().to_string())
}

/// Opens issues one after another (`description = "w{i}"`) until `stop`; records the
/// number of each write whose response said it was done, and every failure.
struct Writer {
    acknowledged: Arc<Mutex<Vec<usize>>>,
    failures: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    fn start(base: &str, token: &str) -> Writer {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, f, s) = (acknowledged.clone(), failures.clone(), stop.clone());
        let (url, token) = (format!("{base}/graphql"), token.to_string());
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            // Bounded: at most 5,000 writes or 60 s.
            let started = Instant::now();
            for i in 0..5_000 {
                if s.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(60) {
                    break;
                }
                let query = format!(
                    r#"mutation {{ openIssue(code: "ZS24004", category: "用地", description: "w{i}", openedDate: "2026-01-05") {{ id }} }}"#
                );
                match client.post(&url).bearer_auth(&token).json(&json!({ "query": query })).send().await {
                    Ok(response) => match response.json::<serde_json::Value>().await {
                        Ok(body) if body["data"]["openIssue"]["id"].is_i64() => a.lock().unwrap().push(i),
                        Ok(body) => f.lock().unwrap().push(format!("w{i}: {body}")),
                        Err(e) => f.lock().unwrap().push(format!("w{i}: body cut: {e}")),
                    },
                    Err(e) if e.is_connect() => break, // the server stopped accepting
                    Err(e) => f.lock().unwrap().push(format!("w{i}: {e}")),
                }
            }
        });
        Writer { acknowledged, failures, stop, task }
    }

    fn acknowledged(&self) -> BTreeSet<usize> {
        self.acknowledged.lock().unwrap().iter().copied().collect()
    }

    async fn wait_for(&self, count: usize) {
        let started = Instant::now();
        while self.acknowledged.lock().unwrap().len() < count {
            assert!(started.elapsed() < Duration::from_secs(30), "the writer is stuck: {:?}", self.failures);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn finish(self) -> (BTreeSet<usize>, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        let failures = self.failures.lock().unwrap().clone();
        (self.acknowledged.lock().unwrap().iter().copied().collect(), failures)
    }
}

/// The descriptions of the issues in the database at `url`.
async fn issues_in(url: &str) -> Vec<String> {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT description FROM element_issues"))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter().map(|r| r.try_get::<String>("", "description").unwrap()).collect()
}

/// The numbers of the writes present in the database at `url`.
async fn writes_in(url: &str) -> BTreeSet<usize> {
    issues_in(url).await.iter().filter_map(|d| d.strip_prefix('w')?.parse().ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serve_writes_holds_every_write_acknowledged_before_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let (url, token) = prepared(dir.path());
    let served = Served::start(dir.path(), &url, &[]);
    let writer = Writer::start(&served.base, &token);
    writer.wait_for(20).await;

    let before = writer.acknowledged();
    let backup = dir.path().join("backup.db");
    let (d, u, b) = (dir.path().to_path_buf(), url.clone(), backup.clone());
    let output = tokio::task::spawn_blocking(move || run(&d, &["--database-url", &u, "backup", b.to_str().unwrap()]))
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let during = writer.acknowledged();
    writer.wait_for(during.len() + 20).await;
    let (all, failures) = writer.finish().await;
    assert!(failures.is_empty(), "{failures:?}");
    assert!(all.len() > before.len() + 20, "writes went on during and after the backup");

    // Restore into a new database and find every write acknowledged before the backup.
    let restored_url = format!("sqlite://{}?mode=rwc", dir.path().join("restored.db").display());
    run_ok(dir.path(), &["--database-url", &restored_url, "restore", backup.to_str().unwrap()]);
    let restored = writes_in(&restored_url).await;
    let missing: Vec<_> = before.difference(&restored).collect();
    assert!(missing.is_empty(), "acknowledged before the backup began, missing from it: {missing:?}");
    // Nothing in the backup that the server never wrote.
    let live = writes_in(&url).await;
    assert!(restored.is_subset(&live));
    assert!(live.is_superset(&all), "every acknowledged write is in the live database");

    // The live database keeps serving after the backup.
    served.terminate();
    let (status, _) = served.wait();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_database_with_data_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = prepared(dir.path());
    let backup = dir.path().join("b.db");
    run_ok(dir.path(), &["--database-url", &url, "backup", backup.to_str().unwrap()]);
    let again = run(dir.path(), &["--database-url", &url, "backup", backup.to_str().unwrap()]);
    assert!(!again.status.success(), "a backup never overwrites a file");

    let refused = run(dir.path(), &["--database-url", &url, "restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("not empty") && message.contains("--force"), "{message}");

    let forced = run_ok(dir.path(), &["--database-url", &url, "restore", "--force", backup.to_str().unwrap()]);
    assert!(stdout(&forced).contains("restored"));
    let projects =
        stdout(&run_ok(dir.path(), &["--database-url", &url, "export", dir.path().join("x").to_str().unwrap()]));
    assert!(projects.starts_with("exported 16 projects"), "{projects}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_backup_is_refused_with_the_way_to_do_it() {
    let Some(t) = common::TestDb::postgres("a_postgresql_backup_is_refused_with_the_way_to_do_it").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["--database-url", &t.url, "backup", "x.db"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
    assert!(!dir.path().join("x.db").exists());
    let output = run(dir.path(), &["--database-url", &t.url, "restore", "x.db"]);
    assert!(!output.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_write_in_flight_finish_before_the_server_exits() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (url, token) = prepared(dir.path());
    let served = Served::start(dir.path(), &url, &[]);
    let writer = Writer::start(&served.base, &token);
    writer.wait_for(10).await;
    let (before, failures) = writer.finish().await;
    assert!(failures.is_empty(), "{failures:?}");

    // A mutation whose body is half sent when SIGTERM arrives: the request is in flight.
    let query = r#"mutation { openIssue(code: "ZS24004", category: "用电", description: "in flight", openedDate: "2026-01-06") { id description } }"#;
    let body = json!({ "query": query }).to_string();
    let addr = served.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    served.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The server no longer accepts new connections, but this request goes on.
    assert!(reqwest::get(format!("{}/healthz", served.base)).await.is_err(), "still accepting after SIGTERM");
    stream.write_all(rest).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""description":"in flight""#), "{response}");

    let (status, log) = served.wait();
    assert!(status.success(), "exit status {status}: {log}");
    assert!(log.contains("SIGTERM") && log.contains(r#""in_flight":1"#) && log.contains(r#""stopped""#), "{log}");
    let stored = issues_in(&url).await.iter().filter(|d| *d == "in flight").count();
    assert_eq!(stored, 1, "the write in flight at SIGTERM is stored");
    assert!(writes_in(&url).await.is_superset(&before));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_readyz_and_metrics_answer_in_their_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (url, token) = prepared(dir.path());
    let served = Served::start(dir.path(), &url, &[]);
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", served.base)).send();
    assert_eq!(get("/healthz").await.unwrap().text().await.unwrap(), "ok");

    // Ready once the frames are built (in the background, at start).
    let started = Instant::now();
    let ready = loop {
        let response = get("/readyz").await.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        if status == 200 {
            break body;
        }
        assert_eq!(status, 503);
        assert_eq!(body["ready"], json!(false));
        assert!(started.elapsed() < Duration::from_secs(30), "never ready: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The read snapshot comes after the frames: built or still building, never off.
    let snapshot = ready["readSnapshot"].clone();
    assert!(snapshot == json!("ok") || snapshot == json!("building"), "{ready}");
    assert_eq!(
        ready,
        json!({ "ready": true, "database": "ok", "migrations": "ok", "analytics": "ok", "readSnapshot": snapshot })
    );

    let graphql = format!("{}/graphql", served.base);
    let ok = client.post(&graphql).bearer_auth(&token).json(&json!({ "query": "{ units { code } }" })).send();
    assert_eq!(ok.await.unwrap().status(), 200);
    // An analytics question: answered from the frames built at start.
    let pipeline = client.post(&graphql).bearer_auth(&token).json(&json!({ "query": "{ pipeline { count } }" })).send();
    let pipeline: serde_json::Value = pipeline.await.unwrap().json().await.unwrap();
    assert!(pipeline["data"]["pipeline"].is_array() || pipeline["data"]["pipeline"].is_object(), "{pipeline}");
    let refused = client.post(&graphql).bearer_auth("nope").json(&json!({ "query": "{ units { code } }" })).send();
    assert_eq!(refused.await.unwrap().status(), 401);

    let response = get("/metrics").await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    let value = |series: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(series)).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value(r#"zhaoshang_http_requests_total{route="/graphql",status="200"}"#), 2.0);
    assert_eq!(value(r#"zhaoshang_http_requests_total{route="/graphql",status="401"}"#), 1.0);
    assert_eq!(value(r#"zhaoshang_graphql_errors_total{code="UNAUTHENTICATED"}"#), 1.0);
    assert_eq!(value(r#"zhaoshang_http_request_duration_seconds_count{route="/graphql"}"#), 3.0);
    assert_eq!(value("zhaoshang_frames_build_seconds_count"), 1.0);
    assert!(value(r#"zhaoshang_frames_cache_total{result="hit"}"#) >= 1.0, "the frames were ready");
    // The data version is the latest audit entry: the import's.
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let latest = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT MAX(id) AS id FROM audit_entries"))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "id")
        .unwrap();
    assert_eq!(value("zhaoshang_data_version"), latest as f64);
    for name in
        ["zhaoshang_http_request_duration_seconds", "zhaoshang_frames_build_seconds", "zhaoshang_frames_behind_seconds"]
    {
        assert!(text.contains(&format!("# TYPE {name} histogram")), "{name}");
    }
    assert_eq!(value("zhaoshang_frames_behind_seconds_count"), 0.0, "no write yet");

    // A write: the frames follow it, and say how long they were behind.
    let write = r#"mutation { openIssue(code: "ZS24004", category: "用地", description: "m", openedDate: "2026-01-05") { id } }"#;
    let wrote = client.post(&graphql).bearer_auth(&token).json(&json!({ "query": write })).send();
    let wrote: serde_json::Value = wrote.await.unwrap().json().await.unwrap();
    assert!(wrote["data"]["openIssue"]["id"].is_i64(), "{wrote}");
    let started = Instant::now();
    let behind = loop {
        let text = get("/metrics").await.unwrap().text().await.unwrap();
        let count = text.lines().find_map(|l| l.strip_prefix("zhaoshang_frames_behind_seconds_count "));
        let sum = text.lines().find_map(|l| l.strip_prefix("zhaoshang_frames_behind_seconds_sum "));
        if let (Some(count), Some(sum)) = (count, sum)
            && count.trim() == "1"
        {
            break sum.trim().parse::<f64>().unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the frames never followed the write:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(behind > 0.0 && behind < started.elapsed().as_secs_f64() + 1.0, "{behind} s behind");
    served.terminate();
    let (status, log) = served.wait();
    assert!(status.success());
    // The log is JSON lines (stderr is not a terminal here), without colour codes.
    assert!(!log.contains('\u{1b}'), "colour codes in the log");
    for line in log.lines().filter(|l| !l.is_empty()) {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_file_sets_the_api_limits_and_the_listen_address() {
    let dir = tempfile::tempdir().unwrap();
    let (url, token) = prepared(dir.path());
    std::fs::write(
        dir.path().join("zhaoshang.toml"),
        "listen = \"127.0.0.1:1\"\n[api]\nmax_depth = 3\nmax_body_bytes = 300\n",
    )
    .unwrap();
    // Found in the working directory; the flag overrides its listen address.
    let served = Served::start(dir.path(), &url, &[]);
    let client = reqwest::Client::new();
    let graphql = format!("{}/graphql", served.base);
    let ask = |query: &str| client.post(&graphql).bearer_auth(&token).json(&json!({ "query": query })).send();

    let shallow: serde_json::Value = ask("{ units { code } }").await.unwrap().json().await.unwrap();
    assert!(shallow["data"]["units"].is_array(), "{shallow}");
    let deep: serde_json::Value =
        ask(r#"{ project(code: "ZS24004") { unit { projects { code } } } }"#).await.unwrap().json().await.unwrap();
    assert!(deep["errors"][0]["message"].as_str().unwrap_or_default().contains("deep"), "depth 4 > 3: {deep}");
    let padded = format!("{{ units {{ code }} }} # {}", "x".repeat(400));
    assert_eq!(ask(&padded).await.unwrap().status().as_u16(), 413, "a body over 300 bytes");
    served.terminate();
    assert!(served.wait().0.success());
}

/// The nice value of each thread of process `pid` by thread name (`/proc`, Linux).
#[cfg(target_os = "linux")]
fn thread_priorities(pid: u32) -> Vec<(u32, String, i64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().flatten() {
        let tid: u32 = task.file_name().to_string_lossy().parse().unwrap();
        let (Ok(name), Ok(stat)) =
            (std::fs::read_to_string(task.path().join("comm")), std::fs::read_to_string(task.path().join("stat")))
        else {
            continue; // the thread ended meanwhile
        };
        // Fields after the name in parentheses; the nice value is the 19th field of all.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        out.push((tid, name.trim().to_string(), fields[16].parse().unwrap()));
    }
    out
}

/// `serve --serving-nice 10` answers requests on threads below its background work:
/// tokio's threads are lowered; the main thread, polars' threads, the spawner of the
/// background work's threads and the runtime that follows the change feed are not; the
/// default (`--serving-nice 0`) lowers none and makes neither the spawner nor that runtime.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_threads_answering_requests_run_below_the_background_work() {
    let dir = tempfile::tempdir().unwrap();
    let (url, token) = prepared(dir.path());
    for (extra, lowered) in [(&["--serving-nice", "10"][..], 10), (&[][..], 0)] {
        let served = Served::start(dir.path(), &url, extra);
        let client = reqwest::Client::new();
        // A figure: the frames are built (polars' threads exist) and workers have run.
        let query = json!({ "query": r#"{ trend(metric: FAI, from: "2025-01", to: "2025-12") { value } }"# });
        let started = Instant::now();
        loop {
            let response = client.post(format!("{}/graphql", served.base)).bearer_auth(&token).json(&query).send();
            let body: serde_json::Value = response.await.unwrap().json().await.unwrap();
            if body["data"]["trend"].is_array() {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no figures: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let threads = thread_priorities(served.pid());
        let nice = |wanted: &dyn Fn(&str) -> bool| -> Vec<i64> {
            threads.iter().filter(|(_, name, _)| wanted(name)).map(|(_, _, nice)| *nice).collect()
        };
        // Relative to the main thread's: the tests may themselves run niced.
        let base = threads.iter().find(|(tid, _, _)| *tid == served.pid()).unwrap().2;
        let workers = nice(&|name| name.starts_with("tokio"));
        let expected = (base + lowered).min(19);
        assert!(workers.contains(&expected), "no tokio thread at nice {expected}: {threads:?}");
        if lowered == 0 {
            assert!(workers.iter().all(|n| *n == base), "{threads:?}");
        }
        let polars = nice(&|name| name.starts_with("polars"));
        assert!(!polars.is_empty() && polars.iter().all(|n| *n == base), "polars' threads: {threads:?}");
        // The spawner of the background work's threads, when there is one, is not lowered.
        let spawner = nice(&|name| name.starts_with("zhaoshang-spawn"));
        assert_eq!(spawner.len(), usize::from(lowered > 0), "{threads:?}");
        assert!(spawner.iter().all(|n| *n == base), "{threads:?}");
        // Nor the runtime following the feed (its name cut to 15 bytes by the kernel).
        let following = nice(&|name| name.starts_with("zhaoshang-follo"));
        assert_eq!(following.len(), if lowered > 0 { 2 } else { 0 }, "{threads:?}");
        assert!(following.iter().all(|n| *n == base), "{threads:?}");
    }
}
