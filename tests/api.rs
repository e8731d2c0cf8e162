//! The GraphQL API through `api::execute`: every relation, pagination, filters,
//! mutations with their error codes, the role matrix, the audit trail, batched
//! loading and the committed schema — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Api, TestDb, error_codes, sample_xlsx, viewer};
use serde_json::{Value, json};
use zhaoshang::api::auth::Role;

async fn sample_api(t: &TestDb) -> Api {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("import");
    Api::new(&t.db)
}

fn analyst() -> zhaoshang::api::auth::Viewer {
    viewer(Role::Analyst, None)
}

async fn every_relation_resolves(t: &TestDb) {
    let api = sample_api(t).await;
    let r = api
        .run_as(
            &analyst(),
            r#"{
              project(code: "ZS24001") {
                name totalInvestmentWan stage stageAsOf(date: "2024-04-01")
                unit { code name projects { code } targets(year: 2025) { metric value isMoney } }
                industry { name cluster projects { code } }
                investor { name origin projects { code } }
                progress(last: 2) { period faiWan fundsArrivedWan outOfRegionFundsWan }
                issues { category }
                history { action actor }
              }
              issuesProject: project(code: "ZS24003") { issues { category description open ownerUnitCode } }
            }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let p = &r["data"]["project"];
    assert_eq!(p["totalInvestmentWan"], json!(32000.0));
    assert_eq!(p["stage"], json!("PRODUCING"));
    assert_eq!(p["stageAsOf"], json!("SIGNED"), "signed 2024-03-12, started 2024-04-26");
    assert_eq!(p["unit"]["code"], json!("D02"));
    assert!(p["unit"]["projects"].as_array().unwrap().iter().any(|x| x["code"] == json!("ZS24001")));
    assert_eq!(p["unit"]["targets"].as_array().unwrap().len(), 5);
    assert_eq!(p["industry"]["cluster"], json!("节能环保"));
    assert_eq!(p["investor"]["origin"], json!("陕西省西安市"));
    assert_eq!(p["investor"]["projects"], json!([{ "code": "ZS24001" }]));
    assert_eq!(
        p["progress"],
        json!([
            { "period": "2024-06", "faiWan": 3100.25, "fundsArrivedWan": 3000.0, "outOfRegionFundsWan": 2800.0 },
            { "period": "2025-01", "faiWan": 2600.0, "fundsArrivedWan": 2500.0, "outOfRegionFundsWan": 2500.0 }
        ])
    );
    assert_eq!(r["data"]["issuesProject"]["issues"][0]["category"], json!("用地"));
    assert_eq!(r["data"]["issuesProject"]["issues"][0]["open"], json!(true));
}
on_both_databases!(every_relation_resolves_on, every_relation_resolves);

async fn the_leaders_question_in_one_query(t: &TestDb) {
    let api = sample_api(t).await;
    // "Which signed projects of 陈炉镇 have not started, with their investors?"
    let r = api
        .run_as(
            &analyst(),
            r#"{ projects(filter: { units: ["T02"], stages: [SIGNED], stagesAsOf: "2025-12-31" }) {
                  totalCount nodes { code name investor { name origin } } } }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(r["data"]["projects"]["totalCount"], json!(1));
    assert_eq!(r["data"]["projects"]["nodes"][0]["code"], json!("ZS25002"));
    assert_eq!(r["data"]["projects"]["nodes"][0]["investor"]["name"], json!("某药业股份有限公司"));
}
on_both_databases!(the_leaders_question_in_one_query_on, the_leaders_question_in_one_query);

async fn pages_through_projects(t: &TestDb) {
    let api = sample_api(t).await;
    let page = |after: &str| {
        format!(
            r#"{{ projects(first: 6{after}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} nodes {{ code }} }} }}"#
        )
    };
    let first = api.run_as(&analyst(), &page("")).await;
    let p = &first["data"]["projects"];
    assert_eq!(p["totalCount"], json!(16));
    assert_eq!(p["pageInfo"]["hasNextPage"], json!(true));
    assert_eq!(p["pageInfo"]["hasPreviousPage"], json!(false));
    assert_eq!(p["nodes"][0]["code"], json!("ZS24001"));
    let cursor = p["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let second = api.run_as(&analyst(), &page(&format!(r#", after: "{cursor}""#))).await;
    assert_eq!(second["data"]["projects"]["nodes"][0]["code"], json!("ZS24007"));
    let last = api.run_as(&analyst(), &page(r#", after: "p11""#)).await;
    let l = &last["data"]["projects"];
    assert_eq!(l["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(l["pageInfo"]["hasNextPage"], json!(false));
    assert_eq!(l["pageInfo"]["hasPreviousPage"], json!(true));
    // Without totalCount nothing is counted; a short page still ends the list.
    let uncounted = api
        .run_as(&analyst(), r#"{ projects(first: 6, after: "p11") { pageInfo { hasNextPage } nodes { code } } }"#)
        .await;
    assert_eq!(uncounted["data"]["projects"]["pageInfo"]["hasNextPage"], json!(false));
    let uncounted = api.run_as(&analyst(), r#"{ projects(first: 6) { pageInfo { hasNextPage } } }"#).await;
    assert_eq!(uncounted["data"]["projects"]["pageInfo"]["hasNextPage"], json!(true));
    let bad = api.run_as(&analyst(), &page(r#", after: "garbage""#)).await;
    assert_eq!(error_codes(&bad), vec!["BAD_INPUT"]);
    let beyond = api.run_as(&analyst(), r#"{ projects(first: 100000) { nodes { code } } }"#).await;
    assert_eq!(beyond["data"]["projects"]["nodes"].as_array().unwrap().len(), 16, "capped at 500, all 16 fit");
}
on_both_databases!(pages_through_projects_on, pages_through_projects);

async fn every_filter_narrows(t: &TestDb) {
    let api = sample_api(t).await;
    let codes = |r: &Value| -> Vec<String> {
        r["data"]["projects"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_string())
            .collect()
    };
    let q = |filter: &str, order: &str| format!("{{ projects(filter: {{ {filter} }}{order}) {{ nodes {{ code }} }} }}");
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("units: [\"P01\"]", "", vec!["ZS24002", "ZS24009"]),
        ("industries: [\"医药\"]", "", vec!["ZS25002"]),
        ("signedFrom: \"2025-05-01\", signedTo: \"2025-12-31\"", "", vec!["ZS25002", "ZS25003"]),
        ("stages: [PRODUCING, AT_CAPACITY], stagesAsOf: \"2025-06-30\"", "", vec!["ZS24004", "ZS24009"]),
        ("terminated: true, stagesAsOf: \"2025-12-31\"", "", vec!["ZS24007", "ZS25005"]),
        ("public: false", "", vec!["ZS24004", "ZS24007", "ZS25005"]),
        ("text: \"陶瓷\"", "", vec!["ZS24002"]),
        ("text: \"秦岭\"", "", vec!["ZS24006"]),
        ("keyOnly: true", "", vec![]),
        ("units: [\"D02\"]", ", orderBy: TOTAL_INVESTMENT_DESC", vec!["ZS24001", "ZS26001", "ZS25003"]),
        ("units: [\"D02\"]", ", orderBy: SIGNED_DATE_DESC", vec!["ZS26001", "ZS25003", "ZS24001"]),
    ];
    for (filter, order, want) in cases {
        let r = api.run_as(&analyst(), &q(filter, order)).await;
        assert_eq!(codes(&r), want, "filter {filter} {order}: {r}");
    }
}
on_both_databases!(every_filter_narrows_on, every_filter_narrows);

const CREATE: &str = r#"mutation { createProject(input: {
    code: "ZS27001", name: "新材料项目", unitCode: "T02", industryName: "智能制造",
    totalInvestmentWan: 1234.5678, intentDate: "2026-01-05", signedDate: "2026-03-01",
    investorName: "新投资方", investorOrigin: "北京市", contactName: "李工", public: true }) {
    code totalInvestmentWan stage investor { name origin } contactName } }"#;

async fn mutations_write_and_audit(t: &TestDb) {
    let api = sample_api(t).await;
    let editor = viewer(Role::Editor, Some("T02"));
    let r = api.run_as(&editor, CREATE).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(r["data"]["createProject"]["totalInvestmentWan"], json!(1234.5678));
    assert_eq!(r["data"]["createProject"]["investor"]["origin"], json!("北京市"));
    assert_eq!(r["data"]["createProject"]["contactName"], json!("李工"), "an editor of T02 reads T02's contacts");
    assert_eq!(error_codes(&api.run_as(&editor, CREATE).await), vec!["CONFLICT"]);

    let steps = [
        r#"mutation { updateProject(code: "ZS27001", input: { name: "新材料产业园" }) { name } }"#,
        r#"mutation { advanceStage(code: "ZS27001", stage: STARTED, date: "2026-05-01") { stage } }"#,
        r#"mutation { recordProgress(code: "ZS27001", month: "2026-05", faiWan: 100.5, fundsArrivedWan: 80, outOfRegionFundsWan: 80) { period faiWan } }"#,
        r#"mutation { openIssue(code: "ZS27001", category: "用电", description: "需要增容", openedDate: "2026-05-10") { id open } }"#,
        r#"mutation { terminateProject(code: "ZS27001", date: "2026-09-01", reason: "投资方撤资") { terminatedDate } }"#,
    ];
    for step in steps {
        let r = api.run_as(&editor, step).await;
        assert_eq!(error_codes(&r), Vec::<String>::new(), "{step}: {r}");
    }
    let issue = api.run_as(&analyst(), r#"{ project(code: "ZS27001") { issues { id } } }"#).await;
    let id = issue["data"]["project"]["issues"][0]["id"].as_i64().unwrap();
    let r = api
        .run_as(
            &editor,
            &format!(r#"mutation {{ resolveIssue(id: {id}, date: "2026-06-01") {{ open resolvedDate }} }}"#),
        )
        .await;
    assert_eq!(r["data"]["resolveIssue"], json!({ "open": false, "resolvedDate": "2026-06-01" }));
    let admin = viewer(Role::Admin, None);
    let r = api
        .run_as(
            &admin,
            r#"mutation { setTarget(unitCode: "T02", year: 2027, metric: "签约金额", value: 30000) { metric value } }"#,
        )
        .await;
    assert_eq!(r["data"]["setTarget"], json!({ "metric": "signed_investment", "value": 30000.0 }));

    let history =
        api.run_as(&analyst(), r#"{ project(code: "ZS27001") { name history { action actor before after } } }"#).await;
    let actions: Vec<&str> = history["data"]["project"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "resolveIssue",
            "terminateProject",
            "openIssue",
            "recordProgress",
            "advanceStage",
            "updateProject",
            "createProject",
            // The new investor it created (shared records show in every user's history).
            "createProject"
        ]
    );
    let update = &history["data"]["project"]["history"][5];
    assert_eq!(update["before"]["name"], json!("新材料项目"));
    assert_eq!(update["after"]["name"], json!("新材料产业园"));
    assert_eq!(update["actor"], json!("test-editor"));
}
on_both_databases!(mutations_write_and_audit_on, mutations_write_and_audit);

async fn bad_writes_get_codes_and_change_nothing(t: &TestDb) {
    let api = sample_api(t).await;
    let editor = viewer(Role::Editor, Some("T02"));
    let version = zhaoshang::store::data_version(&t.db).await.unwrap();
    let cases = [
        // Stage order: signed before negotiation (2024-05-09).
        (
            r#"mutation { advanceStage(code: "ZS24006", stage: SIGNED, date: "2024-01-01") { code } }"#,
            "BAD_INPUT",
            Some("signedDate"),
        ),
        (r#"mutation { advanceStage(code: "NOPE", stage: SIGNED, date: "2024-01-01") { code } }"#, "NOT_FOUND", None),
        (
            r#"mutation { updateProject(code: "ZS24006", input: { totalInvestmentWan: -5 }) { code } }"#,
            "BAD_INPUT",
            Some("totalInvestmentWan"),
        ),
        (
            r#"mutation { updateProject(code: "ZS24006", input: { totalInvestmentWan: 1.00001 }) { code } }"#,
            "BAD_INPUT",
            Some("totalInvestmentWan"),
        ),
        (
            r#"mutation { updateProject(code: "ZS24006", input: { industryName: "航空航天" }) { code } }"#,
            "BAD_INPUT",
            Some("industryName"),
        ),
        (
            r#"mutation { updateProject(code: "ZS24006", input: { channel: "网络招商" }) { code } }"#,
            "BAD_INPUT",
            Some("channel"),
        ),
        (
            r#"mutation { recordProgress(code: "ZS24006", month: "2025-06", fundsArrivedWan: 10, outOfRegionFundsWan: 20) { period } }"#,
            "BAD_INPUT",
            Some("outOfRegionFundsWan"),
        ),
        (r#"mutation { recordProgress(code: "ZS24006", month: "2025-13") { period } }"#, "BAD_INPUT", Some("month")),
        (
            r#"mutation { openIssue(code: "ZS24006", category: "天气", description: "x", openedDate: "2025-01-01") { id } }"#,
            "BAD_INPUT",
            Some("category"),
        ),
        (r#"mutation { resolveIssue(id: 99999, date: "2025-01-01") { id } }"#, "NOT_FOUND", None),
        // An editor of T02 touching D02's project, and setting targets.
        (r#"mutation { updateProject(code: "ZS24001", input: { name: "x" }) { code } }"#, "FORBIDDEN", None),
        (r#"mutation { recordProgress(code: "ZS24001", month: "2025-06", faiWan: 1) { period } }"#, "FORBIDDEN", None),
        (r#"mutation { updateProject(code: "ZS24006", input: { unitCode: "D02" }) { code } }"#, "FORBIDDEN", None),
        (
            r#"mutation { setTarget(unitCode: "T02", year: 2027, metric: "fai", value: 1) { value } }"#,
            "FORBIDDEN",
            None,
        ),
    ];
    for (query, code, field) in cases {
        let r = api.run_as(&editor, query).await;
        assert_eq!(error_codes(&r), vec![code], "{query}: {r}");
        if let Some(field) = field {
            assert_eq!(r["errors"][0]["extensions"]["field"], json!(field), "{query}: {r}");
        }
    }
    assert_eq!(zhaoshang::store::data_version(&t.db).await.unwrap(), version, "a refused write left an audit entry");
}
on_both_databases!(bad_writes_get_codes_and_change_nothing_on, bad_writes_get_codes_and_change_nothing);

async fn each_role_sees_what_it_should(t: &TestDb) {
    let api = sample_api(t).await;
    let public = viewer(Role::Public, None);
    let contact = r#"{ project(code: "ZS24006") { contactName contactPhone } }"#;
    // The public: public projects only, public fields only, no analytics, no writes.
    assert_eq!(
        api.run_as(&public, r#"{ project(code: "ZS24004") { code } }"#).await["data"]["project"],
        Value::Null,
        "ZS24004 is not public"
    );
    let r = api.run_as(&public, r#"{ project(code: "ZS24006") { code name totalInvestmentWan stage summary } }"#).await;
    assert_eq!(error_codes(&r), Vec::<String>::new());
    // The investor of a signed public project is public (as on the site).
    let r = api.run_as(&public, r#"{ project(code: "ZS24006") { investorName } }"#).await;
    assert_eq!(r["data"]["project"]["investorName"], json!("秦岭文旅发展有限公司"), "{r}");
    for field in ["channel", "signedDate", "progress { faiWan }", "history { action }", "contactName"] {
        let r = api.run_as(&public, &format!(r#"{{ project(code: "ZS24006") {{ {field} }} }}"#)).await;
        assert_eq!(error_codes(&r), vec!["FORBIDDEN"], "public reading {field}");
    }
    let r = api.run_as(&public, r#"{ unit(code: "T03") { projects { code } } }"#).await;
    assert_eq!(r["data"]["unit"]["projects"], json!([]), "T03's projects are not public");
    assert_eq!(error_codes(&api.run_as(&public, r#"{ pipeline { count } }"#).await), vec!["FORBIDDEN"]);
    assert_eq!(error_codes(&api.run_as(&public, CREATE).await), vec!["FORBIDDEN"]);
    // Analysts: everything but contacts; no writes.
    assert_eq!(error_codes(&api.run_as(&analyst(), contact).await), vec!["FORBIDDEN", "FORBIDDEN"]);
    assert_eq!(
        error_codes(&api.run_as(&analyst(), r#"{ project(code: "ZS24004") { investorName } }"#).await),
        Vec::<String>::new()
    );
    assert_eq!(error_codes(&api.run_as(&analyst(), CREATE).await), vec!["FORBIDDEN"]);
    // Editors: their own unit's contacts only.
    let own = api.run_as(&viewer(Role::Editor, Some("T02")), contact).await;
    assert_eq!(own["data"]["project"], json!({ "contactName": "联系人6", "contactPhone": "13909190005" }));
    assert_eq!(
        error_codes(&api.run_as(&viewer(Role::Editor, Some("T01")), contact).await),
        vec!["FORBIDDEN", "FORBIDDEN"]
    );
    // Admins: everything.
    assert_eq!(error_codes(&api.run_as(&viewer(Role::Admin, None), contact).await), Vec::<String>::new());
}
on_both_databases!(each_role_sees_what_it_should_on, each_role_sees_what_it_should);

/// A connection to `url` whose statements are counted — but for the change feed's
/// follower, which polls the data version in the background: not a statement of a
/// request.
async fn counted(url: &str) -> (sea_orm::DatabaseConnection, Arc<AtomicUsize>) {
    counted_by(url, |sql| !sql.contains("data_version")).await
}

/// A connection to `url` that counts the statements whose SQL `counts`.
async fn counted_by(
    url: &str,
    counts: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> (sea_orm::DatabaseConnection, Arc<AtomicUsize>) {
    let mut db = zhaoshang::store::connect(url).await.unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |info| {
        if counts(&info.statement.sql) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (db, statements)
}

/// How many statements the request `query(n)` takes for pages of 10 and 100 projects of
/// a demo district, on the SQL path (no snapshot), every page checked to be full.
async fn statements_for_pages_of_10_and_100(query: impl Fn(usize) -> String) -> Vec<usize> {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_ledger(&t.db, zhaoshang::demo::generate(300, 3), "test", "demo").await.unwrap();
    let (db, statements) = counted(&t.url).await;
    // The SQL path: no snapshot (its background builds would be counted too).
    let api = Api::with_options(
        &db,
        zhaoshang::api::ApiOptions { read_snapshot: false, ..zhaoshang::api::ApiOptions::new(false) },
    );
    let mut counts = Vec::new();
    for n in [10, 100] {
        statements.store(0, Ordering::SeqCst);
        let r = api.run_as(&analyst(), &query(n)).await;
        assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
        assert_eq!(r["data"]["projects"]["nodes"].as_array().unwrap().len(), n);
        counts.push(statements.load(Ordering::SeqCst));
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_projects_with_relations_takes_a_constant_number_of_statements() {
    let query = |n: usize| {
        format!(
            "{{ projects(first: {n}) {{ totalCount nodes {{ code unit {{ name }} industry {{ cluster }} investor {{ origin }} }} }} }}"
        )
    };
    let counts = statements_for_pages_of_10_and_100(query).await;
    assert_eq!(counts[0], counts[1], "10 and 100 projects took {counts:?} statements");
    assert!(counts[1] <= 5, "count + page + one per relation, got {}", counts[1]);
}

async fn reads_from_the_snapshot_need_no_sql_and_see_this_apis_writes_at_once(t: &TestDb) {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let (db, statements) = counted(&t.url).await;
    let api = Api::new(&db);
    let state = api.schema.data::<zhaoshang::api::ApiState>().unwrap();
    state.snapshots.build_now().await.unwrap();
    let query = r#"{ project(code: "ZS24001") { name unit { name } progress(last: 2) { period faiWan } } }"#;
    let first = api.run_as(&analyst(), query).await;
    statements.store(0, Ordering::SeqCst);
    let second = api.run_as(&analyst(), query).await;
    // The data version is known from the change feed's follower: no SQL at all.
    assert_eq!(statements.load(Ordering::SeqCst), 0, "a snapshot read ran SQL");
    assert_eq!(first, second);
    assert_eq!(second["data"]["project"]["unit"]["name"], json!("区经贸局"));
    assert_eq!(second["data"]["project"]["progress"][1], json!({ "period": "2025-01", "faiWan": 2600.0 }));
    // The public still sees public projects only, and counts only those.
    let public = api.run_as(&viewer(Role::Public, None), r#"{ project(code: "ZS24004") { name } }"#).await;
    assert_eq!(public["data"]["project"], Value::Null);
    let counted = r#"{ projects(first: 1) { totalCount nodes { industry { name } } } }"#;
    assert_eq!(api.run_as(&analyst(), counted).await["data"]["projects"]["totalCount"], json!(16));
    assert_eq!(api.run_as(&viewer(Role::Public, None), counted).await["data"]["projects"]["totalCount"], json!(13));
    // A write through the API is read back at once, not from the old snapshot.
    let admin = viewer(Role::Admin, None);
    let r = api
        .run_as(
            &admin,
            r#"mutation { updateProject(code: "ZS24001", input: { name: "安泰废钢加工基地（扩建）" }) { name } }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new());
    let after = api.run_as(&analyst(), query).await;
    assert_eq!(after["data"]["project"]["name"], json!("安泰废钢加工基地（扩建）"));
}
on_both_databases!(
    reads_from_the_snapshot_need_no_sql_and_see_this_apis_writes_at_once_on,
    reads_from_the_snapshot_need_no_sql_and_see_this_apis_writes_at_once
);

async fn the_default_page_from_the_snapshot_equals_sqls_for_every_reader(t: &TestDb) {
    zhaoshang::jobs::import_ledger(&t.db, zhaoshang::demo::generate(300, 5), "test", "demo").await.unwrap();
    // Only the page's own statement is counted (it alone has an OFFSET): the snapshot's
    // and the frames' background reads may run at any time.
    let page_statement = |sql: &str| sql.contains("OFFSET");
    let (sql_db, sql_pages) = counted_by(&t.url, page_statement).await;
    let sql = Api::with_options(
        &sql_db,
        zhaoshang::api::ApiOptions { read_snapshot: false, ..zhaoshang::api::ApiOptions::new(false) },
    );
    let (db, snapshot_pages) = counted_by(&t.url, page_statement).await;
    let snapshot = Api::new(&db);
    snapshot.schema.data::<zhaoshang::api::ApiState>().unwrap().snapshots.build_now().await.unwrap();
    // A project terminated and one unpublished: the public's pages skip them.
    let admin = viewer(Role::Admin, None);
    let codes = sql.run_as(&admin, "{ projects(first: 40) { nodes { code } } }").await;
    let code = |i: usize| codes["data"]["projects"]["nodes"][i]["code"].as_str().unwrap().to_string();
    for write in [
        format!(
            r#"mutation {{ terminateProject(code: "{}", date: "2025-01-02", reason: "撤资") {{ code }} }}"#,
            code(3)
        ),
        format!(r#"mutation {{ updateProject(code: "{}", input: {{ public: false }}) {{ code }} }}"#, code(7)),
    ] {
        assert_eq!(error_codes(&sql.run_as(&admin, &write).await), Vec::<String>::new());
    }
    // The snapshot follows the other API's writes (the change feed's follower): once it
    // has the last one, the default page needs no SQL.
    let last = zhaoshang::store::data_version(&t.db).await.unwrap();
    for _ in 0..250 {
        snapshot_pages.store(0, Ordering::SeqCst);
        let r = snapshot.run_as(&analyst(), "{ projects(first: 1, after: \"p0\") { totalCount } }").await;
        if r["extensions"]["dataVersion"] == json!(last) && snapshot_pages.load(Ordering::SeqCst) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for reader in [analyst(), viewer(Role::Public, None)] {
        for (first, after) in [(50, None), (1, Some(0)), (7, Some(2)), (50, Some(120)), (10, Some(295)), (5, Some(400))]
        {
            let after = after.map(|a| format!(r#", after: "p{a}""#)).unwrap_or_default();
            let query = format!(
                "{{ projects(first: {first}{after}) {{ totalCount pageInfo {{ hasNextPage }} nodes {{ code name unit {{ name }} }} }} }}"
            );
            sql_pages.store(0, Ordering::SeqCst);
            snapshot_pages.store(0, Ordering::SeqCst);
            let expected = sql.run_as(&reader, &query).await;
            assert_eq!(error_codes(&expected), Vec::<String>::new(), "{expected}");
            let answer = snapshot.run_as(&reader, &query).await;
            assert_eq!(answer["data"], expected["data"], "{} {query}", reader.role.name());
            assert_eq!(sql_pages.load(Ordering::SeqCst), 1, "the SQL path's page statement is the one counted");
            assert_eq!(snapshot_pages.load(Ordering::SeqCst), 0, "{query}: a page of the snapshot ran SQL");
        }
    }
}
on_both_databases!(
    the_default_page_from_the_snapshot_equals_sqls_for_every_reader_on,
    the_default_page_from_the_snapshot_equals_sqls_for_every_reader
);

#[test]
fn the_committed_schema_is_the_schema() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(committed == zhaoshang::api::sdl(), "schema.graphql drifted: run `cargo run -- schema > schema.graphql`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_targets_and_related_projects_are_loaded_in_batches() {
    let query = |n: usize| {
        format!(
            "{{ projects(first: {n}) {{ nodes {{ code history {{ action }} unit {{ targets {{ value }} projects(first: 3) {{ code }} }} industry {{ projects(first: 2) {{ code }} }} investor {{ projects(first: 2) {{ code }} }} }} }} }}"
        )
    };
    let counts = statements_for_pages_of_10_and_100(query).await;
    // One statement per relation, the parents' relations too (prefetched for the whole
    // page, not left to the DataLoader's timing), never one per project: loaded one by
    // one, 100 projects would take over 200.
    assert_eq!(counts[0], counts[1], "10 and 100 projects took {counts:?} statements");
    assert!(counts[1] <= 10, "the page and one per relation, got {}", counts[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_of_a_stopped_request_stop_or_never_start() {
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;
    use zhaoshang::analytics::{Engine, check_cancelled};
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Arc::new(Engine::new(t.db.clone()));
    // A long computation that checks between steps: stopped by its caller's time limit.
    let saw_cancel = Arc::new(AtomicBool::new(false));
    let seen = saw_cancel.clone();
    let long = engine.run(move |_| {
        for _ in 0..500 {
            std::thread::sleep(Duration::from_millis(10));
            if let Err(e) = check_cancelled() {
                seen.store(true, Ordering::SeqCst);
                return Err(e);
            }
        }
        Ok(())
    });
    assert!(tokio::time::timeout(Duration::from_millis(100), long).await.is_err(), "timed out");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(saw_cancel.load(Ordering::SeqCst), "the running computation saw it was stopped");
    // With every turn taken, a stopped request's computation never starts.
    let hold = |engine: Arc<Engine>| {
        tokio::spawn(async move {
            engine
                .run(|_| {
                    std::thread::sleep(Duration::from_millis(400));
                    Ok(())
                })
                .await
        })
    };
    let (a, b) = (hold(engine.clone()), hold(engine.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let queued = engine.run(move |_| {
        flag.store(true, Ordering::SeqCst);
        Ok(())
    });
    assert!(tokio::time::timeout(Duration::from_millis(50), queued).await.is_err());
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!ran.load(Ordering::SeqCst), "a stopped request's computation never ran");
    // And the engine still works.
    assert!(matches!(engine.run(|_| Ok(1)).await, Ok(1)));
}

/// Runs `mutation` as an admin on its own API over `t`'s database; its answer, without errors.
async fn admin_writes(t: &TestDb, mutation: &str) -> Value {
    let r = Api::new(&t.db).run_as(&viewer(Role::Admin, None), mutation).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{mutation}: {r}");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_kept_for_its_data_version_and_no_longer() {
    use zhaoshang::analytics::Engine;
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Engine::new(t.db.clone());
    let computed = Arc::new(AtomicUsize::new(0));
    let ask = |key: &str| {
        let computed = computed.clone();
        engine.run_keyed(key.to_string(), move |f| {
            computed.fetch_add(1, Ordering::SeqCst);
            Ok(f.version())
        })
    };
    let first = ask("trend 2025").await.unwrap();
    assert_eq!(ask("trend 2025").await.unwrap(), first);
    assert_eq!(computed.load(Ordering::SeqCst), 1, "asked again, kept");
    ask("cohort 2025").await.unwrap();
    assert_eq!(computed.load(Ordering::SeqCst), 2, "another key is computed");
    // A write: the next answer is computed from the new version's frames.
    admin_writes(
        &t,
        r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 1, fundsArrivedWan: 1, outOfRegionFundsWan: 0) { period } }"#,
    )
    .await;
    let after = ask("trend 2025").await.unwrap();
    assert!(after > first, "the answer of the new version, not the kept one");
    assert_eq!(computed.load(Ordering::SeqCst), 3);
}

/// The dashboard's four figures, each computed by the engine under its key, with a count
/// of the computations that ran.
async fn dashboard_by(engine: &zhaoshang::analytics::Engine, computed: &Arc<AtomicUsize>) -> Dashboard {
    use zhaoshang::analytics::cohort::{cohort, funnel};
    use zhaoshang::analytics::volume::{Granularity, trend};
    use zhaoshang::analytics::{Metric, ProjectFilter};
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let counted = |c: &Arc<AtomicUsize>| {
        c.fetch_add(1, Ordering::SeqCst);
    };
    let trend_of = |metric: Metric| {
        let c = computed.clone();
        engine.run_keyed(format!("trend {metric:?}"), move |f| {
            counted(&c);
            trend(
                f,
                metric,
                day("2025-01-01"),
                day("2025-12-01"),
                Granularity::Month,
                &ProjectFilter::default(),
                day("2025-12-31"),
            )
        })
    };
    let fai = trend_of(Metric::Fai).await.unwrap();
    let signed = trend_of(Metric::SignedInvestment).await.unwrap();
    let cohort = of_period(engine, computed, "cohort", cohort).await;
    let funnel = of_period(engine, computed, "funnel", funnel).await;
    Dashboard { fai, signed, cohort, funnel }
}

/// A figure of the projects of 2024–2025 as of the end of 2025 (the cohort, the funnel).
type OfPeriod<T> = fn(
    &zhaoshang::analytics::Frames,
    chrono::NaiveDate,
    chrono::NaiveDate,
    chrono::NaiveDate,
    &zhaoshang::analytics::ProjectFilter,
) -> Result<T, zhaoshang::analytics::AnalyticsError>;

/// `figure` computed by the engine under `key`, counted in `computed` when it runs.
async fn of_period<T: Send + Sync + 'static>(
    engine: &zhaoshang::analytics::Engine,
    computed: &Arc<AtomicUsize>,
    key: &str,
    figure: OfPeriod<T>,
) -> Arc<T> {
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let c = computed.clone();
    let (from, to) = (day("2024-01-01"), day("2025-12-31"));
    engine
        .run_keyed(key.to_string(), move |f| {
            c.fetch_add(1, Ordering::SeqCst);
            figure(f, from, to, to, &Default::default())
        })
        .await
        .unwrap()
}

#[derive(Debug, PartialEq)]
struct Dashboard {
    fai: Arc<Vec<zhaoshang::analytics::volume::TrendPoint>>,
    signed: Arc<Vec<zhaoshang::analytics::volume::TrendPoint>>,
    cohort: Arc<zhaoshang::analytics::cohort::Cohort>,
    funnel: Arc<zhaoshang::analytics::cohort::Funnel>,
}

/// A kept answer is given for newer frames exactly when the parts it read did not
/// change: after each write, every figure equals a new engine's on the same database, and
/// only the figures that read what the write changed are computed again.
async fn answers_are_carried_over_writes_that_change_nothing_they_read(t: &TestDb) {
    use zhaoshang::analytics::Engine;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Engine::new(t.db.clone());
    let computed = Arc::new(AtomicUsize::new(0));
    let first = dashboard_by(&engine, &computed).await;
    assert_eq!(computed.load(Ordering::SeqCst), 4);
    // Each write, and how many of the four figures read what it changed.
    let writes = [
        // The summary is in no frame: all four carried.
        (r#"mutation { updateProject(code: "ZS24001", input: { summary: "新的简介" }) { code } }"#, 0),
        // Progress: the FAI trend reads it, and the cohort (funds arrived); the signing
        // trend and the funnel read projects only.
        (
            r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 7, fundsArrivedWan: 3, outOfRegionFundsWan: 0) { period } }"#,
            2,
        ),
        // The month again with another FAI (a month is recorded whole): the FAI trend,
        // not the cohort, which reads funds only.
        (
            r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 8, fundsArrivedWan: 3, outOfRegionFundsWan: 0) { period } }"#,
            1,
        ),
        // Other funds: the cohort, not the FAI trend.
        (
            r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 8, fundsArrivedWan: 4, outOfRegionFundsWan: 0) { period } }"#,
            1,
        ),
        // Out-of-region funds: none of the four reads them.
        (
            r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 8, fundsArrivedWan: 4, outOfRegionFundsWan: 2) { period } }"#,
            0,
        ),
        // The total investment is in the projects frame: all four read it.
        (r#"mutation { updateProject(code: "ZS24001", input: { totalInvestmentWan: 33000 }) { code } }"#, 4),
    ];
    let mut before = first;
    for (write, recomputed) in writes {
        admin_writes(t, write).await;
        let start = computed.load(Ordering::SeqCst);
        let now = dashboard_by(&engine, &computed).await;
        assert_eq!(computed.load(Ordering::SeqCst) - start, recomputed, "computed again after {write}");
        let fresh = dashboard_by(&Engine::new(t.db.clone()), &Arc::new(AtomicUsize::new(0))).await;
        assert_eq!(now, fresh, "after {write}");
        if recomputed > 0 {
            assert_ne!(now, before, "{write} changes a figure");
        }
        before = now;
    }
}
on_both_databases!(
    answers_are_carried_over_writes_that_change_nothing_they_read_on,
    answers_are_carried_over_writes_that_change_nothing_they_read
);

/// The figures that are sums over projects (the trends' month sums, the cohort, the
/// funnel, the pipeline), asked with `run_additive`, counting the computations that ran: a patched
/// answer computes twice (on the changed rows before and after), a full one once.
async fn additive_dashboard(engine: &zhaoshang::analytics::Engine, computed: &Arc<AtomicUsize>) -> AdditiveDashboard {
    use zhaoshang::analytics::cohort::{cohort, funnel, pipeline};
    use zhaoshang::analytics::volume::{Granularity, TrendWindow};
    use zhaoshang::analytics::{Metric, ProjectFilter};
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let (from, to) = (day("2024-01-01"), day("2025-12-31"));
    let window = TrendWindow::of(day("2025-01-01"), day("2025-12-01"), Granularity::Month, to).unwrap();
    let trend_of = |metric: Metric| {
        let c = computed.clone();
        engine.run_additive(format!("trend {metric:?}"), move |f| {
            c.fetch_add(1, Ordering::SeqCst);
            window.sums(f, metric, &ProjectFilter::default())
        })
    };
    let fai = window.points(&trend_of(Metric::Fai).await.unwrap());
    let signed = window.points(&trend_of(Metric::SignedInvestment).await.unwrap());
    let c = computed.clone();
    let cohort = engine
        .run_additive("cohort".into(), move |f| {
            c.fetch_add(1, Ordering::SeqCst);
            cohort(f, from, to, to, &ProjectFilter::default())
        })
        .await
        .unwrap();
    let c = computed.clone();
    let funnel = engine
        .run_additive("funnel".into(), move |f| {
            c.fetch_add(1, Ordering::SeqCst);
            funnel(f, from, to, to, &ProjectFilter::default())
        })
        .await
        .unwrap();
    let c = computed.clone();
    let pipeline = engine
        .run_additive("pipeline".into(), move |f| {
            c.fetch_add(1, Ordering::SeqCst);
            pipeline(f, to, &ProjectFilter::default())
        })
        .await
        .unwrap();
    AdditiveDashboard { fai, signed, cohort, funnel, pipeline }
}

#[derive(Debug, PartialEq)]
struct AdditiveDashboard {
    fai: Vec<zhaoshang::analytics::volume::TrendPoint>,
    signed: Vec<zhaoshang::analytics::volume::TrendPoint>,
    cohort: Arc<zhaoshang::analytics::cohort::Cohort>,
    funnel: Arc<zhaoshang::analytics::cohort::Funnel>,
    pipeline: Arc<Vec<zhaoshang::analytics::cohort::PipelineStage>>,
}

/// A figure that is a sum over projects is patched by the rows a write changed, never
/// computed over every row again after a patch, and equals a new engine's after each
/// write: progress, a stage reached, a project moved to another unit, its investment,
/// a project leaving and joining the cohort.
async fn sums_over_projects_are_patched_by_the_changed_rows(t: &TestDb) {
    use zhaoshang::analytics::Engine;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Engine::new(t.db.clone());
    let computed = Arc::new(AtomicUsize::new(0));
    let mut before = additive_dashboard(&engine, &computed).await;
    assert_eq!(computed.load(Ordering::SeqCst), 5, "each computed once over every row");
    // Each write, and how many of the five figures read what it changed (each of those
    // patched: two computations on the changed rows). A new month is a new progress row,
    // which both figures of progress read.
    let writes = [
        (
            r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 7, fundsArrivedWan: 3, outOfRegionFundsWan: 0) { period } }"#,
            2,
        ),
        (
            r#"mutation { recordProgress(code: "ZS24002", month: "2025-03", faiWan: 70, fundsArrivedWan: 0, outOfRegionFundsWan: 0) { period } }"#,
            2,
        ),
        (r#"mutation { advanceStage(code: "ZS24003", stage: PRODUCING, date: "2025-11-20") { code } }"#, 4),
        (
            r#"mutation { updateProject(code: "ZS24001", input: { unitCode: "T02", totalInvestmentWan: 33000 }) { code } }"#,
            5,
        ),
        (r#"mutation { updateProject(code: "ZS24004", input: { signedDate: "2023-06-01" }) { code } }"#, 4),
        (r#"mutation { updateProject(code: "ZS24004", input: { signedDate: "2024-02-01" }) { code } }"#, 4),
    ];
    for (write, changed) in writes {
        admin_writes(t, write).await;
        let start = computed.load(Ordering::SeqCst);
        let now = additive_dashboard(&engine, &computed).await;
        assert_eq!(computed.load(Ordering::SeqCst) - start, 2 * changed, "patched after {write}");
        let fresh = additive_dashboard(&Engine::new(t.db.clone()), &Arc::new(AtomicUsize::new(0))).await;
        assert_eq!(now, fresh, "after {write}");
        assert_ne!(now, before, "{write} changes a figure");
        before = now;
    }
    // An import builds the frames from scratch: each figure computed over every row.
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let start = computed.load(Ordering::SeqCst);
    additive_dashboard(&engine, &computed).await;
    assert_eq!(computed.load(Ordering::SeqCst) - start, 5, "computed again after an import");
}
on_both_databases!(
    sums_over_projects_are_patched_by_the_changed_rows_on,
    sums_over_projects_are_patched_by_the_changed_rows
);

/// A server's engine computes the figures asked recently on new frames before it swaps
/// them in: when the frames reach a write, its figures are there, each computed once and
/// equal to a new engine's; a figure the write does not change is carried, not computed.
async fn the_asked_figures_are_ready_when_new_frames_are_swapped_in(t: &TestDb) {
    use zhaoshang::analytics::Engine;
    use zhaoshang::store::feed::Follower;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Engine::following(t.db.clone(), Follower::start(t.db.clone()).await.unwrap());
    engine.warm().await.unwrap();
    let computed = Arc::new(AtomicUsize::new(0));
    let first = dashboard_by(&engine, &computed).await;
    assert_eq!(computed.load(Ordering::SeqCst), 4);
    let r = admin_writes(
        t,
        r#"mutation { recordProgress(code: "ZS24001", month: "2025-11", faiWan: 7, fundsArrivedWan: 3, outOfRegionFundsWan: 0) { period } }"#,
    )
    .await;
    let version = r["extensions"]["dataVersion"].as_i64().expect("the write's version");
    engine.reached(version, std::time::Duration::from_secs(10)).await;
    // The two figures that read progress were computed before the swap, by the engine.
    assert_eq!(computed.load(Ordering::SeqCst), 6, "prepared before the swap");
    let now = dashboard_by(&engine, &computed).await;
    assert_eq!(computed.load(Ordering::SeqCst), 6, "asked after the swap: all four ready");
    assert_eq!(now, dashboard_by(&Engine::new(t.db.clone()), &Arc::new(AtomicUsize::new(0))).await);
    assert_ne!(now, first);
}
on_both_databases!(
    the_asked_figures_are_ready_when_new_frames_are_swapped_in_on,
    the_asked_figures_are_ready_when_new_frames_are_swapped_in
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn askers_of_one_figure_at_once_share_one_computation() {
    use zhaoshang::analytics::Engine;
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Arc::new(Engine::new(t.db.clone()));
    engine.warm().await.unwrap();
    let computed = Arc::new(AtomicUsize::new(0));
    let askers: Vec<_> = (0..8)
        .map(|_| {
            let (engine, computed) = (engine.clone(), computed.clone());
            tokio::spawn(async move {
                engine
                    .run_keyed("slow".into(), move |f| {
                        computed.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(200));
                        Ok(f.projects().height())
                    })
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for asker in askers {
        answers.push(asker.await.unwrap().unwrap());
    }
    assert_eq!(computed.load(Ordering::SeqCst), 1, "one computation for eight askers");
    assert_eq!(*answers[0], 16);
    assert!(answers.iter().all(|a| Arc::ptr_eq(a, &answers[0])), "one answer shared, not copied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_of_a_stopped_request_stops_at_its_next_step() {
    use std::time::Duration;
    use zhaoshang::analytics::cohort::{cohort, funnel, pipeline};
    use zhaoshang::analytics::volume::{Granularity, trend};
    use zhaoshang::analytics::{AnalyticsError, Engine, Metric, ProjectFilter, check_cancelled};
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let engine = Arc::new(Engine::new(t.db.clone()));
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let (from, to, all) = (day("2025-01-01"), day("2025-12-31"), ProjectFilter::default());
    // Each metric starts only once its request was stopped, as a metric would that was
    // running when the limit passed: it must give up rather than compute.
    let outcomes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = outcomes.clone();
    let running = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runs = running.clone();
    let mut stopped = Box::pin(engine.run(move |f| {
        runs.store(true, Ordering::SeqCst);
        while check_cancelled().is_ok() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let cancelled = |r: Result<(), AnalyticsError>| matches!(r, Err(AnalyticsError::Cancelled));
        let mut seen = seen.lock().unwrap();
        seen.push(("trend", cancelled(trend(f, Metric::Fai, from, to, Granularity::Month, &all, to).map(|_| ()))));
        seen.push(("cohort", cancelled(cohort(f, from, to, to, &all).map(|_| ()))));
        seen.push(("funnel", cancelled(funnel(f, from, to, to, &all).map(|_| ()))));
        seen.push(("pipeline", cancelled(pipeline(f, to, &all).map(|_| ()))));
        Ok(())
    }));
    // The request is dropped, as its time limit drops it, once its computation runs (a
    // request stopped before that never starts it: the test above).
    while !running.load(Ordering::SeqCst) {
        assert!(tokio::time::timeout(Duration::from_millis(10), &mut stopped).await.is_err(), "it cannot end");
    }
    drop(stopped);
    for _ in 0..500 {
        if outcomes.lock().unwrap().len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outcomes = outcomes.lock().unwrap().clone();
    assert_eq!(outcomes, [("trend", true), ("cohort", true), ("funnel", true), ("pipeline", true)]);
    // Not stopped, the same metrics compute.
    let all = ProjectFilter::default();
    let fine = engine.run(move |f| trend(f, Metric::Fai, from, to, Granularity::Month, &all, to)).await;
    assert!(fine.is_ok(), "{:?}", fine.err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_outgrowing_its_budget_stops_resolving_and_says_why() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let options = zhaoshang::api::ApiOptions { max_response_bytes: 1024, ..zhaoshang::api::ApiOptions::new(false) };
    let api = Api::with_options(&t.db, options);
    let query = |n: usize| format!("{{ projects(first: {n}) {{ nodes {{ code name summary industryName }} }} }}");
    // Small enough: answered.
    let r = api.run_as(&analyst(), &query(2)).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    // Too large: one error that says so, no partial data.
    let r = api.run_as(&analyst(), &query(100)).await;
    assert!(r["data"].is_null(), "{r}");
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{r}");
    assert!(errors[0]["message"].as_str().unwrap().contains("would be larger than"), "{r}");
    // The budget is counted while the fields resolve: the schema itself (before the
    // final size check) already failed the fields resolved after it was spent.
    let raw = api
        .schema
        .execute(
            async_graphql::Request::new(query(100))
                .data(analyst())
                .data(zhaoshang::api::loaders::Loaders::new(t.db.clone(), None)),
        )
        .await;
    let spent = raw.errors.iter().filter(|e| e.message.contains("would be larger than")).count();
    assert!(spent > 0, "no field was refused while resolving: {:?}", raw.errors);
}
