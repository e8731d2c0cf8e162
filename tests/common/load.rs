//! The live-figures load: two HTTP servers on one database, writers and analysts at once,
//! then the database and the audit log checked for lost and reverted writes. Used by
//! `benches/live.rs` (full size, BENCHMARKS.md) and by `tests/live.rs` (a few seconds).
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zhaoshang::api::auth::{Role, create_token};
use zhaoshang::api::{ApiOptions, ApiState, build_schema, server};

/// What to run.
#[derive(Clone, Debug)]
pub struct Load {
    /// The database, already holding a district.
    pub url: String,
    /// How long the writers write.
    pub seconds: f64,
    /// Writer clients (each its own rate), alternating between the servers.
    pub writers: usize,
    /// Writes per second, all writers together.
    pub writes_per_second: f64,
    /// Analysts reading the dashboard set in a loop, alternating between the servers.
    pub analysts: usize,
    /// Each server a `zhaoshang serve` process of its own (this build's binary), as a
    /// deployment runs them, rather than a task of this process: at 1,000,000 projects
    /// two servers do not fit in one process beside the bench's own data.
    pub processes: bool,
}

/// What happened.
#[derive(Debug, Default)]
pub struct Report {
    /// From creating a server's state to its first `/healthz` answer, per server (ms).
    pub healthz_ms: Vec<f64>,
    /// From start to the first analytics answer, per server (ms): the first build.
    pub first_figures_ms: Vec<f64>,
    /// Every dashboard request's latency (ms).
    pub analyst_ms: Vec<f64>,
    /// Per write and server, from its acknowledgement to the first graph answer of that
    /// server of its version or later (ms); the max is the lag promised.
    pub graph_lag_ms: Vec<f64>,
    /// The same for analytics answers.
    pub figures_lag_ms: Vec<f64>,
    /// The five longest lags: (lag ms, the write's acknowledgement in s from the load's
    /// start, server, figures rather than graph).
    pub worst_lags: Vec<(f64, f64, usize, bool)>,
    /// The load's start on the wall clock (s since the Unix epoch), to line the lags up
    /// with samplers and logs outside the bench.
    pub load_started_unix_s: f64,
    /// When each server's read snapshot of the graph was built, in s from the load's
    /// start (`/readyz`; 0: by its start; `None`: not during the load).
    pub snapshot_ready_s: Vec<Option<f64>>,
    /// Error messages of any request.
    pub errors: Vec<String>,
    /// Writes acknowledged.
    pub writes: usize,
    /// Acknowledged writes without their audit entry or their value in the database.
    pub lost: usize,
    /// Fields whose final value is not the last acknowledged one.
    pub reverted: usize,
    /// Each server's `/metrics` at the end of the run.
    pub metrics: Vec<String>,
}

/// The dashboard set (FAI and signing trends, the cohort, the funnel): the queries
/// DuckDB also answers in `benches/analytics_duckdb.py`.
pub const DASHBOARD: [&str; 4] = [
    r#"{ trend(metric: FAI, from: "2025-01", to: "2025-12", asOf: "2025-12-31") { period value cumulative yoy } }"#,
    r#"{ trend(metric: SIGNED_INVESTMENT, from: "2025-01", to: "2025-12", asOf: "2025-12-31") { period value cumulative yoy } }"#,
    r#"{ cohort(signedFrom: "2025-01-01", signedTo: "2025-12-31", asOf: "2025-12-31") { size landingRate productionRate fulfillmentRate registrationRate fundArrivalRate } }"#,
    r#"{ funnel(intakeFrom: "2024-01-01", intakeTo: "2025-12-31", asOf: "2025-12-31") { stages { stage reached conversionToNext } intentToProduction } }"#,
];

/// The project whose fields the first writers edit concurrently.
const SHARED_FIELDS: [&str; 4] = ["summary", "signingEvent", "expectedJobs", "landAreaMu"];

/// A server under load: a task of this process, or a `zhaoshang serve` process.
enum Server {
    Task { base: String, _stop: tokio::sync::oneshot::Sender<()> },
    Process(super::bin::Served),
}

impl Server {
    fn base(&self) -> &str {
        match self {
            Server::Task { base, .. } => base,
            Server::Process(served) => &served.base,
        }
    }
}

async fn start_server(url: &str, process: bool) -> (Server, f64) {
    let started = Instant::now();
    let server = if process {
        // `LIVE_SERVING_NICE` measures another `--serving-nice` than the default.
        let nice = std::env::var("LIVE_SERVING_NICE").ok();
        let extra: Vec<&str> = nice.iter().flat_map(|n| ["--serving-nice", n.as_str()]).collect();
        Server::Process(super::bin::Served::start(&std::env::temp_dir(), url, &extra))
    } else {
        let db = zhaoshang::store::connect(url).await.unwrap();
        let options = ApiOptions::new(false);
        let state = ApiState::new(db.clone(), Default::default());
        state.warm_in_background(options.read_snapshot);
        let schema = build_schema(state, &options);
        let bound = server::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", bound.addr);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(bound.serve(server::ServerState::new(schema, db), async {
            let _ = rx.await;
        }));
        Server::Task { base, _stop: tx }
    };
    let client = reqwest::Client::new();
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", server.base())).send().await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (server, started.elapsed().as_secs_f64() * 1000.0)
}

async fn post(client: &reqwest::Client, base: &str, token: &str, query: &str) -> Result<Value, String> {
    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    match body.get("errors") {
        Some(errors) => Err(errors.to_string()),
        None => Ok(body),
    }
}

fn version_of(body: &Value) -> i64 {
    body["extensions"]["dataVersion"].as_i64().unwrap_or(0)
}

/// One acknowledged write.
#[derive(Clone, Debug)]
struct Ack {
    at: Instant,
    version: i64,
    /// `(project, field)` and its value, or `(project, month)` and its FAI.
    what: Written,
}

#[derive(Clone, Debug)]
enum Written {
    Field { code: String, field: &'static str, value: Value },
    Progress { code: String, month: String, fai: i64 },
}

/// Runs the load and checks the database afterwards.
pub async fn run(load: &Load) -> Report {
    let db = zhaoshang::store::connect(&load.url).await.unwrap();
    let admin = create_token(&db, &format!("load-admin-{}", std::process::id()), Role::Admin, None).await.unwrap();
    let analyst =
        create_token(&db, &format!("load-analyst-{}", std::process::id()), Role::Analyst, None).await.unwrap();
    let codes: Vec<String> = {
        use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
        entities::prelude::Project::find()
            .select_only()
            .column(entities::project::Column::Code)
            .order_by_asc(entities::project::Column::Code)
            .into_tuple()
            .all(&db)
            .await
            .unwrap()
    };
    let start_version = zhaoshang::store::data_version(&db).await.unwrap();
    let mut report = Report::default();
    let mut servers = Vec::new();
    let started = Instant::now();
    for _ in 0..2 {
        let (server, healthz) = start_server(&load.url, load.processes).await;
        report.healthz_ms.push(healthz);
        servers.push(server);
    }
    let client = reqwest::Client::new();
    for server in &servers {
        // The first answer waits for the first build, up to the request's time limit; at
        // 1,000,000 projects two servers building at once take longer: ask again.
        let mut tries = 0;
        while let Err(e) = post(&client, server.base(), &analyst, DASHBOARD[0]).await {
            tries += 1;
            assert!(tries < 40, "no figures after {tries} tries: {e}");
        }
        report.first_figures_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base().to_string()).collect();
    let shared = codes[0].clone();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
    // (server, received, version, is figures)
    let seen = Arc::new(Mutex::new(Vec::<(usize, Instant, i64, bool)>::new()));
    let analyst_ms = Arc::new(Mutex::new(Vec::new()));
    let t0 = Instant::now();
    report.load_started_unix_s =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let write_until = t0 + Duration::from_secs_f64(load.seconds);
    // Readers go on a little after the writers stop, to see the last writes arrive.
    let read_until = write_until + Duration::from_secs(3);

    let mut tasks = Vec::new();
    let period = Duration::from_secs_f64(load.writers as f64 / load.writes_per_second);
    for i in 0..load.writers {
        let (client, base, admin) = (client.clone(), bases[i % 2].clone(), admin.clone());
        let (errors, acks, codes, shared) = (errors.clone(), acks.clone(), codes.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            // Spread the writers over the period.
            tokio::time::sleep(period.mul_f64(i as f64 / 8.0)).await;
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n = 0usize;
            while Instant::now() < write_until {
                ticks.tick().await;
                n += 1;
                let (query, what) = if i < SHARED_FIELDS.len() {
                    let field = SHARED_FIELDS[i];
                    let (literal, value) = match field {
                        "summary" | "signingEvent" => (format!("\"{field} {n}\""), json!(format!("{field} {n}"))),
                        "expectedJobs" => (n.to_string(), json!(n)),
                        _ => (format!("{n}.0"), json!(n as f64)),
                    };
                    (
                        format!(
                            r#"mutation {{ updateProject(code: "{shared}", input: {{ {field}: {literal} }}) {{ code }} }}"#
                        ),
                        Written::Field { code: shared.clone(), field, value },
                    )
                } else {
                    let code = codes[(1 + i + 8 * n) % codes.len()].clone();
                    let month = format!("2026-{:02}", 1 + (i + 8 * n) / codes.len() % 12);
                    let fai = (i * 1000 + n) as i64;
                    (
                        format!(
                            r#"mutation {{ recordProgress(code: "{code}", month: "{month}", faiWan: {fai}) {{ period }} }}"#
                        ),
                        Written::Progress { code, month, fai },
                    )
                };
                match post(&client, &base, &admin, &query).await {
                    Ok(body) => {
                        acks.lock().unwrap().push(Ack { at: Instant::now(), version: version_of(&body), what })
                    }
                    Err(e) => errors.lock().unwrap().push(format!("write: {e}")),
                }
            }
        }));
    }
    for i in 0..load.analysts {
        let (client, server, analyst) = (client.clone(), i % 2, analyst.clone());
        let base = bases[server].clone();
        let (errors, seen, analyst_ms) = (errors.clone(), seen.clone(), analyst_ms.clone());
        tasks.push(tokio::spawn(async move {
            let mut q = i;
            while Instant::now() < read_until {
                q += 1;
                let sent = Instant::now();
                match post(&client, &base, &analyst, DASHBOARD[q % DASHBOARD.len()]).await {
                    Ok(body) => {
                        let now = Instant::now();
                        analyst_ms.lock().unwrap().push((now - sent).as_secs_f64() * 1000.0);
                        seen.lock().unwrap().push((server, now, version_of(&body), true));
                    }
                    Err(e) => errors.lock().unwrap().push(format!("analyst: {e}")),
                }
            }
        }));
    }
    // A graph probe per server.
    for (server, base) in bases.iter().enumerate() {
        let (client, base, analyst) = (client.clone(), base.clone(), analyst.clone());
        let (errors, seen, shared) = (errors.clone(), seen.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            let query = format!(r#"{{ project(code: "{shared}") {{ version }} }}"#);
            while Instant::now() < read_until {
                match post(&client, &base, &analyst, &query).await {
                    Ok(body) => seen.lock().unwrap().push((server, Instant::now(), version_of(&body), false)),
                    Err(e) => errors.lock().unwrap().push(format!("probe: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // When each server's read snapshot is built (it comes after the frames, at start).
    let snapshot_tasks: Vec<_> = bases
        .iter()
        .map(|base| {
            let (client, url) = (client.clone(), format!("{base}/readyz"));
            tokio::spawn(async move {
                while Instant::now() < read_until {
                    let ready = client.get(&url).send().await.ok()?.json::<Value>().await.ok()?;
                    if ready["readSnapshot"] == json!("ok") {
                        return Some(Instant::now().duration_since(t0).as_secs_f64());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                None
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for task in snapshot_tasks {
        report.snapshot_ready_s.push(task.await.unwrap());
    }

    let acks = acks.lock().unwrap().clone();
    let seen = seen.lock().unwrap().clone();
    for ack in &acks {
        for server in 0..2 {
            for figures in [false, true] {
                let arrived = seen
                    .iter()
                    .filter(|(s, at, v, f)| *s == server && *f == figures && *at >= ack.at && *v >= ack.version)
                    .map(|(_, at, _, _)| *at)
                    .min();
                let lag = match arrived {
                    Some(at) => (at - ack.at).as_secs_f64() * 1000.0,
                    None => f64::INFINITY,
                };
                if figures { &mut report.figures_lag_ms } else { &mut report.graph_lag_ms }.push(lag);
                report.worst_lags.push((lag, (ack.at - t0).as_secs_f64(), server, figures));
            }
        }
    }
    report.worst_lags.sort_by(|a, b| b.0.total_cmp(&a.0));
    report.worst_lags.truncate(5);
    for base in &bases {
        let text = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        report.metrics.push(text);
    }
    drop(servers);
    report.analyst_ms = analyst_ms.lock().unwrap().clone();
    report.errors = errors.lock().unwrap().clone();
    report.writes = acks.len();

    // Afterwards, in the database and the audit log.
    let changes = zhaoshang::store::feed::changes_since(&db, start_version).await.unwrap();
    let versions: std::collections::HashSet<i64> = changes.iter().map(|(v, _, _)| *v).collect();
    use sea_orm::EntityTrait;
    let mut last_field: std::collections::HashMap<&'static str, (i64, Value)> = Default::default();
    for ack in &acks {
        if !versions.contains(&ack.version) {
            report.lost += 1;
        }
        match &ack.what {
            Written::Field { field, value, .. } => {
                let entry = last_field.entry(field).or_insert((0, Value::Null));
                if ack.version > entry.0 {
                    *entry = (ack.version, value.clone());
                }
            }
            Written::Progress { code, month, fai } => {
                let month = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
                let row = entities::prelude::Progress::find_by_id((code.clone(), month)).one(&db).await.unwrap();
                if row.and_then(|r| r.fai) != Some(fai * 10_000) {
                    report.lost += 1;
                }
            }
        }
    }
    let project = entities::prelude::Project::find_by_id(shared.as_str()).one(&db).await.unwrap().unwrap();
    let stored = serde_json::to_value(&project).unwrap();
    for (field, (_, value)) in last_field {
        let column = match field {
            "summary" => "summary",
            "signingEvent" => "signing_event",
            "expectedJobs" => "expected_jobs",
            _ => "land_area_mu",
        };
        let matches = match field {
            "landAreaMu" => stored[column].as_f64() == value.as_f64(),
            _ => stored[column] == value,
        };
        if !matches {
            report.reverted += 1;
        }
    }
    report
}

/// The `q`-quantile of `values` (sorted copy), 0 for none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * q).round() as usize]
}
