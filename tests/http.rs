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
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let token = create_token(&t.db, "analyst-1", Role::Analyst, None).await.unwrap();
    let options = ApiOptions::new(production);
    let schema = build_schema(ApiState::new(t.db.clone(), Default::default()), &options);
    let bound = server::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", bound.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = server::ServerState { graphiql: !production, site, ..server::ServerState::new(schema, t.db.clone()) };
    let task = tokio::spawn(bound.serve(state, async {
        let _ = rx.await;
    }));
    (Running { base, stop: Some(tx), task, _db: t }, token)
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
    let bad = server.query(Some("zs_not_a_token"), "{ units { code } }").await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], json!("FORBIDDEN"));
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
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
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
