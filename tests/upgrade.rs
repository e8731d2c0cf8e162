//! Upgrades: a database made by the first migration alone (the schema of the first
//! release), filled with rows written in that schema's own terms, is migrated to today by
//! `zhaoshang migrate` (after `migrate --dry-run` listed what would run) and keeps every
//! row: the graph, progress, issues, targets, the audit trail and the tokens. On SQLite
//! and PostgreSQL; migrations added later join the check by themselves.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::TestDb;
use common::bin::{run_ok, stdout};
use entities::prelude::*;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement, Value};
use sea_orm_migration::MigratorTrait;
use serde_json::json;

const FIRST: &str = "m20261126_000001_create_graph";
const TOKEN: &str = "zs_upgrade_test_token";

fn day(y: i32, m: u32, d: u32) -> Value {
    Value::from(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

/// Runs `sql` with `values` (`$1`, `$2`… in order; `?` on SQLite).
async fn exec(db: &sea_orm::DatabaseConnection, sql: &str, values: Vec<Value>) {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        let mut out = sql.to_string();
        for i in (1..=values.len()).rev() {
            out = out.replace(&format!("${i}"), "?");
        }
        out
    } else {
        sql.to_string()
    };
    db.execute_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Rows of every table of the first schema, in its columns.
async fn fill_first_schema(db: &sea_orm::DatabaseConnection) {
    exec(db, "INSERT INTO units (code, name, kind) VALUES ('T01', '城关镇', '镇'), ('D01', '发改局', '部门')", vec![])
        .await;
    exec(db, "INSERT INTO industries (name, cluster) VALUES ('新材料', '先进制造')", vec![]).await;
    exec(db, "INSERT INTO investors (name, origin) VALUES ('秦川材料有限公司', '西安市')", vec![]).await;
    exec(
        db,
        "INSERT INTO projects (code, name, unit_code, industry_name, investor_name, total_investment, intent_date, \
         signed_date, started_date, land_area_mu, key_project, public, summary, contact_name, contact_phone) \
         VALUES ('UP001', '新型复合材料生产线', 'T01', '新材料', '秦川材料有限公司', $1, $2, $3, $4, $5, $6, $7, \
         '年产复合材料5万吨', '张工', '13800000000')",
        vec![
            Value::from(1_234_567_800_i64),
            day(2025, 1, 10),
            day(2025, 3, 1),
            day(2025, 6, 15),
            Value::from(120.5_f64),
            Value::from(true),
            Value::from(true),
        ],
    )
    .await;
    exec(
        db,
        "INSERT INTO progress (project_code, month, fai, funds_arrived, out_of_region_funds) VALUES ('UP001', $1, $2, $3, $4)",
        vec![day(2025, 6, 1), Value::from(50_000_000_i64), Value::from(40_000_000_i64), Value::from(30_000_000_i64)],
    )
    .await;
    exec(
        db,
        "INSERT INTO element_issues (project_code, category, description, owner_unit_code, opened_date) \
         VALUES ('UP001', '用电', '需要增容', 'D01', $1)",
        vec![day(2025, 7, 1)],
    )
    .await;
    exec(
        db,
        "INSERT INTO targets (unit_code, year, metric, value) VALUES ('T01', 2025, 'signed_investment', $1)",
        vec![Value::from(5_000_000_000_i64)],
    )
    .await;
    exec(
        db,
        "INSERT INTO audit_entries (at, actor, action, entity, key, before, after) VALUES ($1, 'import', 'import', 'ledger', 'v0.1', NULL, $2)",
        vec![
            Value::from(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
            Value::from(json!({ "projects": 1 })),
        ],
    )
    .await;
    exec(
        db,
        "INSERT INTO api_tokens (name, role, unit_code, token_sha256, created_at) VALUES ('老张', 'admin', NULL, $1, $2)",
        vec![
            Value::from(format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(TOKEN.as_bytes()))),
            Value::from(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
        ],
    )
    .await;
}

async fn upgrade_keeps_the_data(t: &TestDb) {
    let db = &t.db;
    // The first release's schema: the first migration alone.
    entities::migration::Migrator::up(db, Some(1)).await.unwrap();
    let applied: Vec<String> = entities::migration::Migrator::get_applied_migrations(db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().into())
        .collect();
    assert_eq!(applied, [FIRST]);
    fill_first_schema(db).await;

    let dir = tempfile::tempdir().unwrap();
    let all: Vec<String> =
        entities::migration::Migrator::migrations().iter().skip(1).map(|m| m.name().to_string()).collect();
    let dry = stdout(&run_ok(dir.path(), &["--database-url", &t.url, "migrate", "--dry-run"]));
    for name in &all {
        assert!(dry.contains(name.as_str()), "{name} not listed:\n{dry}");
    }
    assert!(!dry.contains(FIRST), "{dry}");
    assert_eq!(entities::migration::Migrator::get_pending_migrations(db).await.unwrap().len(), all.len(), "dry run");

    let applied = stdout(&run_ok(dir.path(), &["--database-url", &t.url, "migrate"]));
    assert!(applied.contains(&format!("applied {}", all.len())) || all.is_empty(), "{applied}");
    let again = stdout(&run_ok(dir.path(), &["--database-url", &t.url, "migrate", "--dry-run"]));
    assert!(again.contains("up to date"), "{again}");

    // Every row is there, read through today's entities.
    let project = Project::find_by_id("UP001").one(db).await.unwrap().unwrap();
    assert_eq!(project.total_investment, 1_234_567_800);
    assert_eq!(project.signed_date, NaiveDate::from_ymd_opt(2025, 3, 1));
    assert_eq!(project.started_date, NaiveDate::from_ymd_opt(2025, 6, 15));
    assert_eq!(project.land_area_mu, Some(120.5));
    assert!(project.key_project && project.public);
    assert_eq!(project.contact_phone.as_deref(), Some("13800000000"));
    let progress = Progress::find().all(db).await.unwrap();
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0].fai, Some(50_000_000));
    assert_eq!(ElementIssue::find().count(db).await.unwrap(), 1);
    assert_eq!(Target::find().one(db).await.unwrap().unwrap().value, 5_000_000_000);
    let audit = AuditEntry::find().all(db).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].after, Some(json!({ "projects": 1 })));
    assert_eq!(zhaoshang::store::data_version(db).await.unwrap(), audit[0].id);

    // The token of the first release still opens the API, and the API and the analytics
    // read the migrated graph.
    let viewer = zhaoshang::api::auth::authenticate(db, TOKEN).await.unwrap().expect("the old token is valid");
    let api = common::Api::new(db);
    let r = api
        .run_as(&viewer, r#"{ project(code: "UP001") { name totalInvestmentWan stage investor { origin } } }"#)
        .await;
    assert_eq!(
        r["data"]["project"],
        json!({ "name": "新型复合材料生产线", "totalInvestmentWan": 123456.78, "stage": "STARTED", "investor": { "origin": "西安市" } }),
        "{r}"
    );
    let frames = zhaoshang::analytics::Engine::new(db.clone()).frames().await.unwrap();
    assert_eq!(frames.version(), audit[0].id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_of_the_first_release_migrates_to_today_with_its_data() {
    upgrade_keeps_the_data(&TestDb::sqlite_unmigrated().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_database_of_the_first_release_migrates_to_today_with_its_data() {
    if let Some(t) = TestDb::postgres_unmigrated("a_postgresql_database_of_the_first_release_migrates").await {
        upgrade_keeps_the_data(&t).await;
    }
}
