//! Live figures: the change feed under concurrent writers (two servers on one database),
//! optimistic concurrency with `expectedVersion`, and caches that follow the feed — on
//! SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{Api, TestDb, error_codes, sample_xlsx, viewer};
use serde_json::{Value, json};
use zhaoshang::api::auth::Role;

fn admin() -> zhaoshang::api::auth::Viewer {
    viewer(Role::Admin, None)
}

/// The sample district imported, and two APIs on it, each with its own connection pool
/// as two `serve` processes would have.
async fn two_servers(t: &TestDb) -> (Api, Api) {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let other = zhaoshang::store::connect(&t.url).await.unwrap();
    (Api::new(&t.db), Api::new(&other))
}

async fn audit_count(t: &TestDb) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entities::prelude::AuditEntry::find().count(&t.db).await.unwrap()
}

async fn concurrent_writers_all_succeed_and_none_undoes_another(t: &TestDb) {
    let (a, b) = two_servers(t).await;
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
    let version_before = zhaoshang::store::data_version(&t.db).await.unwrap();
    let audits_before = audit_count(t).await;
    const WRITES: usize = 10;
    // Four editors change four different fields of one project, and four record
    // progress on other projects, alternating between the two servers.
    let fields = ["summary", "signingEvent", "expectedJobs", "landAreaMu"];
    let mut tasks = Vec::new();
    for (i, field) in fields.into_iter().enumerate() {
        let api = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            for n in 1..=WRITES {
                let value = match field {
                    "summary" | "signingEvent" => format!("\"{field} {n}\""),
                    _ => n.to_string(),
                };
                let q = format!(
                    r#"mutation {{ updateProject(code: "ZS24006", input: {{ {field}: {value} }}) {{ code }} }}"#
                );
                let r = api.run_as(&admin(), &q).await;
                errors.extend(error_codes(&r).into_iter().map(|c| format!("{c}: {r}")));
            }
            errors
        }));
    }
    for (i, code) in ["ZS24001", "ZS24002", "ZS24003", "ZS24004"].into_iter().enumerate() {
        let api = if i % 2 == 0 { b.clone() } else { a.clone() };
        tasks.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            for n in 1..=WRITES {
                let q = format!(
                    r#"mutation {{ recordProgress(code: "{code}", month: "2026-{n:02}", faiWan: {n}) {{ period }} }}"#
                );
                let r = api.run_as(&admin(), &q).await;
                errors.extend(error_codes(&r).into_iter().map(|c| format!("{c}: {r}")));
            }
            errors
        }));
    }
    let mut errors = Vec::new();
    for task in tasks {
        errors.extend(task.await.unwrap());
    }
    assert_eq!(errors, Vec::<String>::new(), "no write may fail");

    // Every field holds its editor's last value: nobody's change was undone.
    let r = a
        .run_as(&admin(), r#"{ project(code: "ZS24006") { summary signingEvent expectedJobs landAreaMu version } }"#)
        .await;
    let p = &r["data"]["project"];
    assert_eq!(p["summary"], json!(format!("summary {WRITES}")), "{r}");
    assert_eq!(p["signingEvent"], json!(format!("signingEvent {WRITES}")), "{r}");
    assert_eq!(p["expectedJobs"], json!(WRITES), "{r}");
    assert_eq!(p["landAreaMu"], json!(WRITES as f64), "{r}");
    // One version per write, one audit entry per write, versions without gaps.
    let total = 8 * WRITES as i64;
    assert_eq!(zhaoshang::store::data_version(&t.db).await.unwrap(), version_before + total);
    assert_eq!(audit_count(t).await, audits_before + total as u64);
    let changes = zhaoshang::store::feed::changes_since(&t.db, version_before).await.unwrap();
    let versions: Vec<i64> = changes.iter().map(|(v, _, _)| *v).collect();
    assert_eq!(versions, (version_before + 1..=version_before + total).collect::<Vec<_>>());
    assert_eq!(changes.iter().filter(|(_, entity, key)| entity == "projects" && key == "ZS24006").count(), 4 * WRITES);
}
on_both_databases!(
    concurrent_writers_all_succeed_and_none_undoes_another_on,
    concurrent_writers_all_succeed_and_none_undoes_another
);

async fn a_stale_expected_version_gets_conflict_and_changes_nothing(t: &TestDb) {
    let (a, b) = two_servers(t).await;
    let read = a.run_as(&admin(), r#"{ project(code: "ZS24006") { version summary } }"#).await;
    let version = read["data"]["project"]["version"].as_i64().unwrap();
    // Another editor changes the project on the other server, from the same read.
    let q = |v: i64, summary: &str| {
        format!(
            r#"mutation {{ updateProject(code: "ZS24006", expectedVersion: {v}, input: {{ summary: "{summary}" }}) {{ version summary }} }}"#
        )
    };
    let first = b.run_as(&admin(), &q(version, "第一次")).await;
    assert_eq!(error_codes(&first), Vec::<String>::new(), "{first}");
    assert_eq!(first["data"]["updateProject"]["version"], json!(version + 1));
    let data_version = zhaoshang::store::data_version(&t.db).await.unwrap();
    let stale = a.run_as(&admin(), &q(version, "第二次")).await;
    assert_eq!(error_codes(&stale), vec!["CONFLICT"], "{stale}");
    for stale in [
        format!(
            r#"mutation {{ advanceStage(code: "ZS24006", stage: STARTED, date: "2026-01-01", expectedVersion: {version}) {{ code }} }}"#
        ),
        format!(
            r#"mutation {{ terminateProject(code: "ZS24006", date: "2026-01-01", reason: "x", expectedVersion: {version}) {{ code }} }}"#
        ),
    ] {
        let r = a.run_as(&admin(), &stale).await;
        assert_eq!(error_codes(&r), vec!["CONFLICT"], "{r}");
    }
    assert_eq!(zhaoshang::store::data_version(&t.db).await.unwrap(), data_version, "a refused write was recorded");
    let after = b.run_as(&admin(), r#"{ project(code: "ZS24006") { version summary terminatedDate } }"#).await;
    assert_eq!(
        after["data"]["project"],
        json!({ "version": version + 1, "summary": "第一次", "terminatedDate": Value::Null })
    );
    // With the version just read, the edit goes through.
    let fresh = a.run_as(&admin(), &q(version + 1, "第二次")).await;
    assert_eq!(fresh["data"]["updateProject"], json!({ "version": version + 2, "summary": "第二次" }), "{fresh}");
}
on_both_databases!(
    a_stale_expected_version_gets_conflict_and_changes_nothing_on,
    a_stale_expected_version_gets_conflict_and_changes_nothing
);
