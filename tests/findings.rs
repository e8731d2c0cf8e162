//! Issue 9's findings against the API, replayed as the issue found them: on the binary
//! as users run it (`demo`, `token create`, `serve`), over HTTP only, with nothing but the
//! GraphQL both releases speak. Every finding is checked and the outcome of each printed
//! before the test fails on any that does not hold.
//!
//! `ZHAOSHANG_TEST_BIN=PATH cargo test --test findings -- --nocapture` replays them
//! against another build: against the first release (commit `670c86a`) every one of them
//! fails, which `docs/trust-findings.md` records with the command that built it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::time::Duration;

use common::bin::{Served, run_ok, stdout};
use serde_json::{Value, json};

/// The district the findings are played on: the demo district, tokens of each role, the
/// server, and the projects each finding needs, made by the admin over the API.
struct District {
    _dir: tempfile::TempDir,
    url: String,
    served: Served,
    admin: String,
    analyst: String,
    /// The editor of unit A (which holds the test's own projects but one).
    editor: String,
    /// Unit A's code and the industry of the test's projects.
    unit: String,
    industry: String,
    client: reqwest::Client,
}

/// A project kept from the public: unsigned, public, with contacts and an investor.
const SECRET: &str = "ZS99001";
/// Unit A's and unit B's projects of one investor.
const SHARED_A: &str = "ZS99002";
const SHARED_B: &str = "ZS99003";
/// Public, signed: its investor is public, as on the site.
const SIGNED: &str = "ZS99004";
/// Public, then terminated: not public any more, as on the site.
const ENDED: &str = "ZS99005";
const SECRET_INVESTOR: &str = "秘而不宣投资有限公司";
const SHARED_INVESTOR: &str = "共享投资有限公司";

/// The outcome of a request: its HTTP status and its body as JSON (a string when it is
/// not JSON), or how it failed (a dropped connection).
type Answer = Result<(u16, Value), String>;

impl District {
    fn token(&self, args: &[&str]) -> String {
        token(Path::new(self._dir.path()), &self.url, args)
    }

    async fn post(&self, authorization: Option<&str>, content_type: &str, body: String) -> Answer {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.served.base))
            .header("content-type", content_type)
            .timeout(Duration::from_secs(30))
            .body(body);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.map_err(|e| format!("no answer: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| format!("answer cut: {e}"))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    /// A GraphQL query as `token` (None: the public).
    async fn query(&self, token: Option<&str>, query: &str) -> Answer {
        let bearer = token.map(|t| format!("Bearer {t}"));
        self.post(bearer.as_deref(), "application/json", json!({ "query": query }).to_string()).await
    }

    /// A query that must succeed (setup): its data.
    async fn data(&self, token: Option<&str>, query: &str) -> Value {
        let (status, r) = self.query(token, query).await.unwrap();
        assert!(status == 200 && r.get("errors").is_none(), "{query}: {status} {r}");
        r["data"].clone()
    }

    fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.served.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

fn token(dir: &Path, url: &str, args: &[&str]) -> String {
    let output = run_ok(dir, &[&["--database-url", url, "token", "create"], args].concat());
    stdout(&output).lines().next().unwrap().trim().to_string()
}

async fn district() -> District {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("zhaoshang.db").display());
    run_ok(dir.path(), &["--database-url", &url, "demo", "--projects", "60"]);
    let admin = token(dir.path(), &url, &["--role", "admin", "--name", "管理员"]);
    let analyst = token(dir.path(), &url, &["--role", "analyst", "--name", "王分析"]);
    let served = Served::start(dir.path(), &url, &[]);
    let mut district = District {
        _dir: dir,
        url,
        served,
        admin,
        analyst,
        editor: String::new(),
        unit: String::new(),
        industry: String::new(),
        client: reqwest::Client::new(),
    };
    let admin = Some(district.admin.clone());
    let admin = admin.as_deref();
    let units = district.data(admin, "{ units { code } }").await;
    let units: Vec<&str> = units["units"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    let (a, b) = (units[0].to_string(), units[1].to_string());
    let industry = district.data(admin, "{ industries { name } }").await["industries"][0]["name"].clone();
    let industry = industry.as_str().unwrap().to_string();
    district.editor = district.token(&["--role", "editor", "--unit", &a, "--name", "甲编辑"]);
    district.unit = a.clone();
    district.industry = industry.clone();
    for (code, unit, fields) in [
        (
            SECRET,
            &a,
            format!(
                r#"public: true, intentDate: "2026-01-05", investorName: "{SECRET_INVESTOR}", contactName: "张联系", contactPhone: "13900001111""#
            ),
        ),
        (
            SHARED_A,
            &a,
            format!(r#"intentDate: "2026-01-05", investorName: "{SHARED_INVESTOR}", investorOrigin: "陕西省西安市""#),
        ),
        (SHARED_B, &b, format!(r#"intentDate: "2026-01-05", investorName: "{SHARED_INVESTOR}""#)),
        (
            SIGNED,
            &a,
            r#"public: true, intentDate: "2025-01-02", signedDate: "2025-03-01", investorName: "已签约投资有限公司""#
                .to_string(),
        ),
        (ENDED, &a, r#"public: true, intentDate: "2025-01-02""#.to_string()),
    ] {
        let query = format!(
            r#"mutation {{ createProject(input: {{ code: "{code}", name: "测试项目{code}", unitCode: "{unit}",
                industryName: "{industry}", totalInvestmentWan: 1000, {fields} }}) {{ code }} }}"#
        );
        district.data(admin, &query).await;
    }
    let terminate =
        format!(r#"mutation {{ terminateProject(code: "{ENDED}", date: "2025-06-01", reason: "撤资") {{ code }} }}"#);
    district.data(admin, &terminate).await;
    district
}

/// The first error's code, if any.
fn code(r: &Value) -> Option<&str> {
    r["errors"][0]["extensions"]["code"].as_str()
}

fn holds(ok: bool, found: impl Into<String>) -> Result<(), String> {
    if ok { Ok(()) } else { Err(found.into()) }
}

/// The first 300 characters of an answer, for the report.
fn short(answer: &Answer) -> String {
    let text = match answer {
        Ok((status, body)) => format!("{status} {body}"),
        Err(e) => e.clone(),
    };
    text.chars().take(300).collect()
}

/// Finding 1: an analyst must not read a project's contacts through its history.
async fn history_keeps_contacts_from_analysts(d: &District) -> Result<(), String> {
    let change = format!(
        r#"mutation {{ updateProject(code: "{SECRET}", input: {{ contactPhone: "13911112222" }}) {{ code }} }}"#
    );
    d.data(Some(&d.editor), &change).await;
    let answer = d
        .query(Some(&d.analyst), &format!(r#"{{ project(code: "{SECRET}") {{ history {{ action before after }} }} }}"#))
        .await;
    let text = answer.as_ref().map(|(_, r)| r.to_string()).unwrap_or_default();
    let leaked = ["13911112222", "13900001111", "张联系"].iter().any(|c| text.contains(c));
    let listed = text.contains("updateProject");
    holds(listed && !leaked, format!("contacts in the history: {leaked}; {}", short(&answer)))
}

/// Finding 2a: the public's text filter must not find an unsigned project by its investor.
async fn the_text_filter_is_no_oracle(d: &District) -> Result<(), String> {
    let answer =
        d.query(None, &format!(r#"{{ projects(filter: {{ text: "{SECRET_INVESTOR}" }}) {{ totalCount }} }}"#)).await;
    let found = answer.as_ref().map(|(_, r)| r["data"]["projects"]["totalCount"].clone());
    holds(found == Ok(json!(0)), short(&answer))
}

/// Finding 2b: filters on stage dates and termination, which the public cannot read, are refused.
async fn hidden_filters_are_refused_to_the_public(d: &District) -> Result<(), String> {
    for filter in [r#"signedFrom: "2025-01-01""#, r#"stagesAsOf: "2025-01-01""#, "terminated: true"] {
        let answer = d.query(None, &format!("{{ projects(filter: {{ {filter} }}) {{ totalCount }} }}")).await;
        let refused = answer.as_ref().is_ok_and(|(_, r)| code(r) == Some("FORBIDDEN") && r["data"].is_null());
        holds(refused, format!("{filter}: {}", short(&answer)))?;
    }
    Ok(())
}

/// Finding 3: a wrong token gets 401, not an anonymous answer.
async fn a_wrong_token_gets_401(d: &District) -> Result<(), String> {
    let wrong = format!("zs_{}", "0".repeat(48));
    let answer = d.query(Some(&wrong), "{ units { code } }").await;
    holds(answer.as_ref().is_ok_and(|(status, _)| *status == 401), short(&answer))
}

/// Finding 4: the standard introspection query of graphql-js (GraphiQL's) is answered.
async fn the_standard_introspection_query_is_answered(d: &District) -> Result<(), String> {
    let query = std::fs::read_to_string(common::fixtures().join("introspection.graphql")).unwrap();
    let answer = d.query(Some(&d.analyst), &query).await;
    let answered =
        answer.as_ref().is_ok_and(|(_, r)| r.get("errors").is_none() && r["data"]["__schema"]["types"].is_array());
    holds(answered, short(&answer))
}

/// Finding 5: importing a ledger whose `projects` sheet lacks optional columns (公开推介,
/// the contacts) leaves those fields as they are.
async fn an_absent_column_wipes_nothing(d: &District) -> Result<(), String> {
    use common::xlsx;
    // 意向日期 kept: the first release wanted a stage date on every row.
    let header = ["项目编号", "项目名称", "责任单位", "产业类别", "总投资（万元）", "意向日期"];
    let name = format!("测试项目{SECRET}（导入）");
    let row = [SECRET, name.as_str(), d.unit.as_str(), d.industry.as_str(), "1000", "2026-01-05"];
    let sheet = xlsx::worksheet(None, &(xlsx::row(1, &header) + &xlsx::row(2, &row)));
    let path = d._dir.path().join("projects-only.xlsx");
    std::fs::write(&path, xlsx::workbook("projects", &sheet, false)).unwrap();
    let output = common::bin::run(d._dir.path(), &["--database-url", &d.url, "import", path.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&output.stderr).chars().take(300).collect::<String>();
    holds(output.status.success(), format!("the import failed: {said}"))?;
    // Once the server shows the import (its caches follow another process's writes).
    let query = format!(r#"{{ project(code: "{SECRET}") {{ name public contactName }} }}"#);
    let mut kept = Value::Null;
    for _ in 0..50 {
        kept = d.data(Some(&d.admin), &query).await;
        if kept["project"]["name"] == json!(name) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = json!({ "name": name, "public": true, "contactName": "张联系" });
    holds(kept["project"] == expected, format!("after the import: {kept}"))
}

/// Finding 8 (ledgers): a 1.6 KB workbook whose `<dimension>` claims cell XFD1048576 is
/// refused with a clear error, not a process aborted allocating 512 GB.
async fn a_dimension_bomb_is_a_clear_error(d: &District) -> Result<(), String> {
    use common::xlsx;
    let far = r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#;
    let rows = xlsx::row(1, &xlsx::PROJECT_HEADER) + &xlsx::row(2, &xlsx::PROJECT_ROW) + far;
    let path = d._dir.path().join("dimension.xlsx");
    std::fs::write(&path, xlsx::workbook("projects", &xlsx::worksheet(Some("A1:XFD1048576"), &rows), false)).unwrap();
    let output = common::bin::run(d._dir.path(), &["--database-url", &d.url, "import", path.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&output.stderr).chars().take(300).collect::<String>();
    // Exit code 1 with a message: not a signal, not an abort (134).
    holds(output.status.code() == Some(1) && said.contains("columns"), format!("{:?}: {said}", output.status))
}

/// Finding 7: a unit's editor cannot rewrite an investor another unit's project shares,
/// and an admin's change of it shows in the history of every project of that investor.
async fn a_shared_investor_is_not_one_units_to_change(d: &District) -> Result<(), String> {
    let change = |origin: &str, code: &str| {
        format!(
            r#"mutation {{ updateProject(code: "{code}", input: {{ investorName: "{SHARED_INVESTOR}", investorOrigin: "{origin}" }}) {{ code }} }}"#
        )
    };
    let answer = d.query(Some(&d.editor), &change("开曼群岛", SHARED_A)).await;
    holds(
        answer.as_ref().is_ok_and(|(_, r)| code(r) == Some("FORBIDDEN")),
        format!("the editor's change: {}", short(&answer)),
    )?;
    let origin = d.data(Some(&d.admin), &format!(r#"{{ investor(name: "{SHARED_INVESTOR}") {{ origin }} }}"#)).await;
    holds(origin["investor"]["origin"] != json!("开曼群岛"), format!("the origin became {origin}"))?;
    d.data(Some(&d.admin), &change("陕西省铜川市", SHARED_A)).await;
    let history = format!(r#"{{ project(code: "{SHARED_B}") {{ history {{ entity after }} }} }}"#);
    let answer = d.query(Some(&d.admin), &history).await;
    let shown = answer.as_ref().is_ok_and(|(_, r)| r.to_string().contains("陕西省铜川市"));
    holds(shown, format!("the other unit's project's history: {}", short(&answer)))
}

/// Finding 8a: nested pages cost their page sizes: the issue's query is refused at once.
async fn nested_pages_are_refused(d: &District) -> Result<(), String> {
    for (who, query) in [
        (None, "{ projects(first: 500) { nodes { unit { projects(first: 500) { code name } } } } }"),
        (
            Some(d.analyst.as_str()),
            "{ projects(first: 500) { nodes { unit { projects(first: 500) { unit { projects(first: 500) { code } } } } } } }",
        ),
    ] {
        let answer = d.query(who, query).await;
        let refused = answer.as_ref().is_ok_and(|(_, r)| {
            r["data"].is_null() && r["errors"][0]["message"].as_str().is_some_and(|m| m.contains("complex"))
        });
        holds(refused, format!("{query}: {}", short(&answer)))?;
    }
    Ok(())
}

/// Finding 8b: unknown bearer tokens longer than a real one are refused before any lookup, and
/// failed lookups are not remembered: 2,000 of 60 KB leave the server's memory as it was.
async fn long_unknown_tokens_cost_nothing(d: &District) -> Result<(), String> {
    let before = d.resident_kib();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..2_000 {
        let long = format!("zs_{i:06}{}", "a".repeat(60_000));
        let status = match d.query(Some(&long), "{ units { code } }").await {
            Ok((status, _)) => status,
            Err(_) => 0,
        };
        *statuses.entry(status).or_default() += 1;
    }
    let grown = d.resident_kib().saturating_sub(before);
    let refused = statuses.keys().all(|s| *s == 401 || *s == 429);
    holds(refused && grown < 40 * 1024, format!("statuses {statuses:?}, resident memory grew {} MiB", grown / 1024))
}

/// Finding 8c: a cursor past any table is bad input, not a dropped connection.
async fn a_huge_cursor_is_bad_input(d: &District) -> Result<(), String> {
    let answer = d.query(Some(&d.analyst), r#"{ projects(after: "p9223372036854775807") { totalCount } }"#).await;
    holds(answer.as_ref().is_ok_and(|(_, r)| code(r) == Some("BAD_INPUT")), short(&answer))
}

/// Finding 8d: graphQL requests must be JSON; 8e: errors echo no more than an excerpt.
async fn only_json_and_no_echo(d: &District) -> Result<(), String> {
    let body = json!({ "query": "{ units { code } }" }).to_string();
    let answer = d.post(None, "text/plain", body).await;
    holds(answer.as_ref().is_ok_and(|(status, _)| *status == 415), format!("text/plain: {}", short(&answer)))?;
    let long = "x".repeat(400_000);
    let answer = d.post(None, "application/json", json!({ "query": format!("{{ {long} }}") }).to_string()).await;
    let size = answer.as_ref().map(|(_, r)| r.to_string().len()).unwrap_or(0);
    holds(answer.is_ok() && size < 2_000, format!("a 400 KB field name: {size} bytes back"))
}

/// Finding 9: the API agrees with the site: a terminated project is not public, a
/// signed project's investor is.
async fn the_api_and_the_site_agree(d: &District) -> Result<(), String> {
    let answer = d.query(None, &format!(r#"{{ project(code: "{ENDED}") {{ code }} }}"#)).await;
    holds(
        answer.as_ref().is_ok_and(|(_, r)| r["data"]["project"].is_null()),
        format!("a terminated project: {}", short(&answer)),
    )?;
    let answer =
        d.query(None, &format!(r#"{{ project(code: "{SIGNED}") {{ investorName investor {{ name }} }} }}"#)).await;
    let shown = answer.as_ref().is_ok_and(|(_, r)| {
        r["data"]["project"]["investorName"] == json!("已签约投资有限公司")
            && r["data"]["project"]["investor"]["name"] == json!("已签约投资有限公司")
    });
    holds(shown, format!("a signed project's investor: {}", short(&answer)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_finding_of_the_trust_issue_holds_against_the_binary() {
    let d = district().await;
    let mut outcomes = Vec::new();
    macro_rules! check {
        ($finding:literal, $check:ident) => {
            outcomes.push(($finding, stringify!($check), $check(&d).await));
        };
    }
    check!("1", history_keeps_contacts_from_analysts);
    check!("2", the_text_filter_is_no_oracle);
    check!("2", hidden_filters_are_refused_to_the_public);
    check!("3", a_wrong_token_gets_401);
    check!("4", the_standard_introspection_query_is_answered);
    check!("7", a_shared_investor_is_not_one_units_to_change);
    check!("8", nested_pages_are_refused);
    check!("8", only_json_and_no_echo);
    check!("9", the_api_and_the_site_agree);
    check!("5", an_absent_column_wipes_nothing);
    check!("8", a_dimension_bomb_is_a_clear_error);
    // On the first release this one dropped the connection in a driver panic.
    check!("8", a_huge_cursor_is_bad_input);
    // Last: past this many failed authentications the address is rate limited a while.
    check!("8", long_unknown_tokens_cost_nothing);
    let alive = d.client.get(format!("{}/healthz", d.served.base)).send().await.is_ok_and(|r| r.status().is_success());
    println!("binary: {}", common::bin::binary().display());
    for (finding, check, outcome) in &outcomes {
        match outcome {
            Ok(()) => println!("finding {finding}: {check}: holds"),
            Err(found) => println!("finding {finding}: {check}: FAILS: {found}"),
        }
    }
    println!("server alive afterwards: {alive}");
    let failing: Vec<_> = outcomes.iter().filter(|(_, _, o)| o.is_err()).map(|(_, check, _)| *check).collect();
    assert!(failing.is_empty() && alive, "findings that do not hold: {failing:?}; server alive: {alive}");
}
