//! The API over real HTTP: a server on 127.0.0.1:0, tokens, limits (depth, aliases,
//! body size, batching), production mode, and the server still healthy afterwards.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{TestDb, sample_xlsx};
use serde_json::{Value, json};
use zhaoshang::api::auth::{Role, create_token};
use zhaoshang::api::{ApiOptions, ApiState, build_schema, server};

struct Running {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _db: TestDb,
}

async fn start(production: bool) -> (Running, String) {
    start_with_site(production, None).await
}

async fn start_with_site(production: bool, site: Option<std::path::PathBuf>) -> (Running, String) {
    let (running, token, _) = start_with_gate(production, site).await;
    (running, token)
}

async fn start_with_gate(production: bool, site: Option<std::path::PathBuf>) -> (Running, String, server::Gate) {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let token = create_token(&t.db, "analyst-1", Role::Analyst, None).await.unwrap();
    let options = ApiOptions::new(production);
    let schema = build_schema(ApiState::new(t.db.clone(), Default::default()), &options);
    let bound = server::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", bound.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let gate = server::Gate::default();
    let state = server::ServerState {
        graphiql: !production,
        site,
        gate: gate.clone(),
        ..server::ServerState::new(schema, t.db.clone())
    };
    let task = tokio::spawn(bound.serve(state, async {
        let _ = rx.await;
    }));
    (Running { base, stop: Some(tx), task, _db: t }, token, gate)
}

impl Running {
    async fn post(&self, token: Option<&str>, body: String) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}/graphql", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn query(&self, token: Option<&str>, query: &str) -> Value {
        self.post(token, json!({ "query": query }).to_string()).await.1
    }

    async fn healthy(&self) -> bool {
        let r = reqwest::get(format!("{}/healthz", self.base)).await.unwrap();
        r.status().is_success() && r.text().await.unwrap() == "ok"
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_graphql_with_tokens_over_http() {
    let (server, token) = start(false).await;
    assert!(server.healthy().await);
    let r = server.query(Some(&token), r#"{ project(code: "ZS24004") { name investorName } }"#).await;
    assert_eq!(r["data"]["project"], json!({ "name": "乔子梁洗煤厂技改项目", "investorName": "乔子梁煤业有限公司" }));
    let anonymous = server.query(None, r#"{ project(code: "ZS24004") { name } }"#).await;
    assert_eq!(anonymous["data"]["project"], Value::Null, "not public");
    let (status, bad) = server.post(Some("zs_not_a_token"), json!({ "query": "{ units { code } }" }).to_string()).await;
    assert_eq!((status, &bad["errors"][0]["extensions"]["code"]), (401, &json!("UNAUTHENTICATED")), "{bad}");
    let graphiql = reqwest::get(format!("{}/graphiql", server.base)).await.unwrap();
    assert!(graphiql.status().is_success());
    assert!(graphiql.headers().contains_key("x-request-id"));
    let analytics = server.query(Some(&token), r#"{ cohort(signedFrom: "2024-01-01", signedTo: "2024-12-31", asOf: "2025-06-30") { size landingRate landed { code } } }"#).await;
    assert_eq!(analytics["data"]["cohort"]["size"], json!(8));
    assert_eq!(analytics["data"]["cohort"]["landingRate"], json!(0.625));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_no_longer_opens_anything() {
    let t = TestDb::sqlite().await;
    let token = create_token(&t.db, "temp", Role::Editor, Some("T02")).await.unwrap();
    let viewer = zhaoshang::api::auth::authenticate(&t.db, &token).await.unwrap().unwrap();
    assert_eq!((viewer.role, viewer.unit.as_deref(), viewer.name.as_str()), (Role::Editor, Some("T02"), "temp"));
    assert!(zhaoshang::api::auth::revoke_token(&t.db, "temp").await.unwrap());
    assert!(zhaoshang::api::auth::authenticate(&t.db, &token).await.unwrap().is_none());
    assert!(!zhaoshang::api::auth::revoke_token(&t.db, "temp").await.unwrap(), "already revoked");
    assert!(create_token(&t.db, "no-unit", Role::Editor, None).await.is_err(), "an editor needs a unit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abusive_requests_are_refused_and_the_server_stays_healthy() {
    let (server, token) = start(false).await;
    // 20 levels deep.
    let mut deep = String::from("code");
    for _ in 0..10 {
        deep = format!("unit {{ projects {{ {deep} }} }}");
    }
    let r = server.query(Some(&token), &format!(r#"{{ project(code: "ZS24001") {{ {deep} }} }}"#)).await;
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("deep"), "{r}");
    assert_eq!(r["data"], Value::Null);
    // 1,000 aliases.
    let aliases: String = (0..1000).map(|i| format!("a{i}: units {{ code }} ")).collect();
    let r = server.query(Some(&token), &format!("{{ {aliases} }}")).await;
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("complex"), "{r}");
    // A 5 MB body: refused from its Content-Length with 413; the server may close the
    // connection before the client has finished sending, which the client sees as a
    // broken pipe. Either way nothing is executed.
    let body = format!(r#"{{"query":"{{ units {{ code }} }}","padding":"{}"}}"#, "x".repeat(5 << 20));
    let sent = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => {
            assert_eq!(response.status().as_u16(), 413);
            // Its body unread, the connection is not kept for another request.
            assert_eq!(response.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"));
        }
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    // Batched requests.
    let (status, body) =
        server.post(Some(&token), r#"[{"query":"{ units { code } }"},{"query":"{ units { code } }"}]"#.into()).await;
    assert!(status >= 400 || body.get("errors").is_some(), "a batch was executed: {status} {body}");
    assert!(server.healthy().await);
    let r = server.query(Some(&token), "{ units { code } }").await;
    assert_eq!(r["data"]["units"].as_array().unwrap().len(), 8);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_mode_turns_off_graphiql_introspection_and_suggestions() {
    let (server, token) = start(true).await;
    let graphiql = reqwest::get(format!("{}/graphiql", server.base)).await.unwrap();
    assert_eq!(graphiql.status().as_u16(), 404);
    let r = server.query(Some(&token), "{ __schema { types { name } } }").await;
    assert!(r["data"]["__schema"].is_null() || r.get("errors").is_some(), "{r}");
    let r = server.query(Some(&token), "{ unitz { code } }").await;
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_built_site_for_preview_and_nothing_outside_it() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("opportunities")).unwrap();
    std::fs::write(site.path().join("index.html"), "<h1>首页</h1>").unwrap();
    std::fs::write(site.path().join("opportunities/index.html"), "<h1>推介项目</h1>").unwrap();
    std::fs::write(site.path().join("404.html"), "<h1>页面不存在</h1>").unwrap();
    let (server, _) = start_with_site(false, Some(site.path().to_path_buf())).await;
    let get = |path: &str| {
        let url = format!("{}{path}", server.base);
        async move {
            let r = reqwest::get(url).await.unwrap();
            (
                r.status().as_u16(),
                r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()),
                r.text().await.unwrap(),
            )
        }
    };
    assert_eq!(get("/").await, (200, Some("text/html; charset=utf-8".into()), "<h1>首页</h1>".into()));
    assert_eq!(get("/opportunities/").await.2, "<h1>推介项目</h1>");
    assert_eq!(get("/nope.html").await.0, 404);
    assert_eq!(get("/nope.html").await.2, "<h1>页面不存在</h1>");
    assert_eq!(get("/%2e%2e/etc/passwd").await.0, 404);
    assert!(server.healthy().await, "the API routes still answer");
    server.stop().await;
}

/// Posts `body` with a raw `Authorization` header value and content type.
async fn post_raw(base: &str, authorization: Option<&str>, content_type: Option<&str>, body: String) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{base}/graphql")).body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(value) = content_type {
        request = request.header("content-type", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_unknown_or_revoked_token_gets_401_with_a_json_error() {
    let (server, token, _) = start_with_gate(false, None).await;
    let body = json!({ "query": "{ units { code } }" }).to_string();
    let unknown = format!("zs_{}", "0".repeat(48));
    let too_long = format!("zs_{}", "a".repeat(60_000));
    for header in [
        format!("Bearer {unknown}"),
        format!("Bearer {too_long}"),
        "Bearer zs_ZZZ".to_string(),
        "Bearer ../../etc".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
    ] {
        let (status, r) = post_raw(&server.base, Some(&header), Some("application/json"), body.clone()).await;
        assert_eq!(status, 401, "{}: {r}", &header[..20.min(header.len())]);
        assert_eq!(r["errors"][0]["extensions"]["code"], json!("UNAUTHENTICATED"), "{r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().len() < 300);
        assert!(r.get("data").is_none(), "no anonymous answer: {r}");
    }
    // Revoked: 401 once the cache has forgotten it (it never learned it here).
    let t = &server._db;
    let temp = create_token(&t.db, "temp", Role::Analyst, None).await.unwrap();
    zhaoshang::api::auth::revoke_token(&t.db, "temp").await.unwrap();
    let (status, _) =
        post_raw(&server.base, Some(&format!("Bearer {temp}")), Some("application/json"), body.clone()).await;
    assert_eq!(status, 401);
    // The good token still works.
    let (status, r) = post_raw(&server.base, Some(&format!("Bearer {token}")), Some("application/json"), body).await;
    assert_eq!((status, r["data"]["units"].as_array().map(Vec::len)), (200, Some(8)), "{r}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_rate_limited_and_never_fill_the_token_cache() {
    let (server, token, gate) = start_with_gate(false, None).await;
    let body = json!({ "query": "{ units { code } }" }).to_string();
    let mut statuses = Vec::new();
    for i in 0..200 {
        let unknown = format!("Bearer zs_{i:048x}");
        statuses.push(post_raw(&server.base, Some(&unknown), Some("application/json"), body.clone()).await.0);
    }
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&429), "no rate limit after 200 failures: {statuses:?}");
    assert!(statuses[..5].iter().all(|s| *s == 401), "the first few are just unauthenticated");
    assert_eq!(gate.tokens.len(), 0, "failed lookups are not cached");
    // A second later the client may try again, and a good token is remembered.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = post_raw(&server.base, Some(&format!("Bearer {token}")), Some("application/json"), body).await;
    assert_eq!(status, 200);
    assert_eq!(gate.tokens.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_needs_a_json_content_type_and_errors_echo_only_an_excerpt() {
    let (server, _, _) = start_with_gate(false, None).await;
    let body = json!({ "query": "{ units { code } }" }).to_string();
    for content_type in
        [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")]
    {
        let (status, r) = post_raw(&server.base, None, content_type, body.clone()).await;
        assert_eq!(status, 415, "{content_type:?}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["code"], json!("UNSUPPORTED_MEDIA_TYPE"));
    }
    for content_type in ["application/json; charset=utf-8", "application/graphql-response+json"] {
        let (status, r) = post_raw(&server.base, None, Some(content_type), body.clone()).await;
        assert_eq!((status, r["data"]["units"].as_array().map(Vec::len)), (200, Some(8)), "{content_type}: {r}");
    }
    // A 400 KB field name, a 400 KB bad variable, a 400 KB broken JSON: short messages.
    let long = "x".repeat(400_000);
    for body in [
        json!({ "query": format!("{{ {long} }}") }).to_string(),
        json!({ "query": "{ units { code } }", "variables": long }).to_string(),
        format!("{{\"query\": \"{long}"),
        json!({ "query": format!("{{ projects(after: \"{long}\") {{ totalCount }} }}") }).to_string(),
    ] {
        let (status, r) = post_raw(&server.base, None, Some("application/json"), body).await;
        let text = r.to_string();
        assert!(text.len() < 2_000, "{status}: {} bytes echoed", text.len());
        assert!(r["errors"][0]["message"].is_string(), "{status}: {text}");
    }
    assert!(server.healthy().await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_past_any_table_is_bad_input_not_a_dropped_connection() {
    let (server, token) = start(false).await;
    for cursor in ["p9223372036854775807", "p18446744073709551615", "p-1", "x", "p", "p1e9", "p99999999999"] {
        let r = server
            .query(Some(&token), &format!(r#"{{ projects(after: "{cursor}") {{ totalCount nodes {{ code }} }} }}"#))
            .await;
        assert_eq!(r["errors"][0]["extensions"]["code"], json!("BAD_INPUT"), "{cursor}: {r}");
    }
    assert!(server.healthy().await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_works_in_development_and_not_in_production() {
    let query = std::fs::read_to_string(common::fixtures().join("introspection.graphql")).unwrap();
    let (server, token) = start(false).await;
    for who in [None, Some(token.as_str())] {
        let r = server.query(who, &query).await;
        assert!(r.get("errors").is_none(), "{}", &r.to_string()[..500.min(r.to_string().len())]);
        let types = r["data"]["__schema"]["types"].as_array().unwrap();
        assert!(types.iter().any(|t| t["name"] == json!("Project")));
    }
    // The data part still has its depth limit, introspection or not.
    let mut deep = String::from("code");
    for _ in 0..7 {
        deep = format!("unit {{ projects {{ {deep} }} }}");
    }
    let r = server.query(Some(&token), &format!("{{ __schema {{ queryType {{ name }} }} units {{ {deep} }} }}")).await;
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("deep"), "{r}");
    server.stop().await;
    let (server, token) = start(true).await;
    let r = server.query(Some(&token), &query).await;
    assert!(r["data"]["__schema"].is_null(), "production answers no schema: {r}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_costs_its_page_size_so_nested_pages_are_refused() {
    let (server, token) = start(false).await;
    // The attack of the issue, in the public's two-level form and the analyst's three.
    for (who, query) in [
        (None, "{ projects(first: 500) { nodes { unit { projects(first: 500) { code name } } } } }"),
        (
            Some(token.as_str()),
            "{ projects(first: 500) { nodes { unit { projects(first: 500) { unit { projects(first: 500) { code } } } } } } }",
        ),
        (None, "{ units { projects(first: 500) { unit { projects(first: 500) { code } } } } }"),
    ] {
        let r = server.query(who, query).await;
        assert!(r["errors"][0]["message"].as_str().unwrap().contains("complex"), "{query}: {r}");
        assert_eq!(r["data"], Value::Null);
    }
    // A full page of 500 with the fields a list shows is fine.
    let r = server
        .query(
            Some(&token),
            "{ projects(first: 500) { totalCount nodes { code name unitCode industryName stage totalInvestmentWan signedDate investorName } } }",
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    assert!(server.healthy().await);
    server.stop().await;
}
