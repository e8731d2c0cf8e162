//! GraphQL fuzzing over real HTTP (a bounded proptest run): random bytes, invalid UTF-8
//! inside JSON, deep nesting of JSON and of GraphQL, huge strings, random tokens and
//! content types thrown at `POST /graphql`. Never a panic or a dropped connection,
//! always a JSON answer with a clear status, the server healthy, memory bounded.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// The cases per strategy: bounded, so a run takes seconds.
const CASES: u32 = 48;

struct Server {
    runtime: tokio::runtime::Runtime,
    base: String,
    client: reqwest::Client,
    _db: common::TestDb,
}

fn server() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (base, db) = runtime.block_on(async {
        let t = common::TestDb::sqlite().await;
        zhaoshang::jobs::import_file(&t.db, &common::sample_xlsx(), "test").await.unwrap();
        let options = zhaoshang::api::ApiOptions::new(false);
        let schema =
            zhaoshang::api::build_schema(zhaoshang::api::ApiState::new(t.db.clone(), Default::default()), &options);
        let bound = zhaoshang::api::server::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", bound.addr);
        let state = zhaoshang::api::server::ServerState::new(schema, t.db.clone());
        tokio::spawn(bound.serve(state, std::future::pending()));
        (base, t)
    });
    Server { runtime, base, client: reqwest::Client::new(), _db: db }
}

impl Server {
    /// Posts `body`; the status and the body as JSON (a failure if it is not JSON).
    fn post(&self, body: Vec<u8>, content_type: &str, token: Option<&str>) -> Result<(u16, Value), String> {
        self.runtime.block_on(async {
            let mut request =
                self.client.post(format!("{}/graphql", self.base)).header("content-type", content_type).body(body);
            if let Some(token) = token {
                request = request.header("authorization", token);
            }
            let response = request.send().await.map_err(|e| format!("connection failed: {e}"))?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await.map_err(|e| format!("body failed: {e}"))?;
            let json: Value = serde_json::from_slice(&bytes).map_err(|_| {
                format!("{status}: not JSON: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)]))
            })?;
            Ok((status, json))
        })
    }

    fn healthy(&self) -> bool {
        self.runtime.block_on(async {
            let r = self.client.get(format!("{}/healthz", self.base)).send().await;
            r.is_ok_and(|r| r.status().is_success())
        })
    }
}

/// The resident memory of this process (the server runs in it), in MB.
fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// A clear answer: a known status and, unless the request succeeded, an error with a
/// message and a code or a GraphQL error message.
fn clear(status: u16, body: &Value) -> Result<(), String> {
    if ![200, 400, 401, 413, 415, 429].contains(&status) {
        return Err(format!("status {status}: {body}"));
    }
    let errors = body.get("errors").and_then(Value::as_array);
    match (status, errors) {
        (200, _) if body.get("data").is_some() || errors.is_some() => {}
        (_, Some(errors)) if errors.iter().all(|e| e["message"].is_string()) => {}
        _ => return Err(format!("status {status} without a clear error: {body}")),
    }
    let text = body.to_string();
    if text.len() > 64 * 1024 && errors.is_some() && body.get("data").is_none_or(Value::is_null) {
        return Err(format!("an error answer of {} bytes", text.len()));
    }
    Ok(())
}

fn runner() -> TestRunner {
    // No regression files: the run is bounded and repeatable by its seed.
    TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() })
}

/// A GraphQL document nested `depth` deep.
fn nested_query(depth: usize, open: &str) -> String {
    format!("{{ {}code{} }}", open.repeat(depth), " }".repeat(depth))
}

#[test]
fn random_and_broken_graphql_requests_get_clear_answers_and_the_server_survives() {
    let server = server();
    let before = rss_mb();
    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    let check = |result: Result<(u16, Value), String>| -> Result<(), TestCaseError> {
        let (status, body) = result.map_err(TestCaseError::fail)?;
        *statuses.lock().unwrap().entry(status).or_default() += 1;
        clear(status, &body).map_err(TestCaseError::fail)
    };

    // Random bytes, with and without a JSON content type.
    runner()
        .run(&(proptest::collection::vec(any::<u8>(), 0..4096), any::<bool>()), |(bytes, json)| {
            check(server.post(bytes, if json { "application/json" } else { "application/octet-stream" }, None))
        })
        .unwrap();

    // JSON whose strings hold invalid UTF-8, control characters or random text.
    runner()
        .run(&(proptest::collection::vec(any::<u8>(), 0..512), 0..4usize), |(junk, place)| {
            let mut body = match place {
                0 => b"{\"query\": \"".to_vec(),
                1 => b"{\"query\": \"{ units { code } }\", \"variables\": {\"x\": \"".to_vec(),
                2 => b"{\"query\": \"{ projects(filter: { text: \\\"".to_vec(),
                _ => b"{\"operationName\": \"".to_vec(),
            };
            body.extend_from_slice(&junk);
            body.extend_from_slice(if place == 2 { b"\\\" }) { totalCount } }\"}" } else { b"\"}" });
            check(server.post(body, "application/json", None))
        })
        .unwrap();

    // Deep nesting: JSON arrays and objects, GraphQL selections, lists in arguments.
    runner()
        .run(&(1..200_000usize, 0..4usize), |(depth, kind)| {
            let body = match kind {
                0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
                1 => format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
                2 => serde_json::json!({ "query": nested_query(depth.min(30_000), "unit { projects { ") }).to_string(),
                _ => serde_json::json!({ "query": format!("{{ projects(filter: {{ units: {}\"T02\"{} }}) {{ totalCount }} }}", "[".repeat(depth.min(30_000)), "]".repeat(depth.min(30_000))) }).to_string(),
            };
            check(server.post(body.into_bytes(), "application/json", None))
        })
        .unwrap();

    // Huge strings (up to the body limit and beyond), as query, variable or token.
    runner()
        .run(&(0..1_200_000usize, 0..3usize), |(size, kind)| {
            let long = "字".repeat(size / 3);
            let (body, token) = match kind {
                0 => (serde_json::json!({ "query": long }).to_string(), None),
                1 => (serde_json::json!({ "query": "query($t: String) { projects(filter: { text: $t }) { totalCount } }", "variables": { "t": long } }).to_string(), None),
                _ => (serde_json::json!({ "query": "{ units { code } }" }).to_string(), Some(format!("Bearer {}", "a".repeat(size.min(60_000))))),
            };
            check(server.post(body.into_bytes(), "application/json", token.as_deref()))
        })
        .unwrap();

    let statuses = statuses.into_inner().unwrap();
    eprintln!("statuses: {statuses:?}");
    assert!(statuses.values().sum::<usize>() >= 4 * CASES as usize, "every case was sent: {statuses:?}");
    assert!(server.healthy(), "the server answers after the run");
    let after = rss_mb();
    // Generous: the test process holds the server, the client and the runner.
    assert!(after < before + 400, "memory grew from {before} MB to {after} MB");
}
