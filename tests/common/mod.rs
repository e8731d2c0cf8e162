//! Helpers shared by the black-box tests: a fresh database per test, on SQLite or on
//! PostgreSQL (when `ZHAOSHANG_TEST_POSTGRES` names a server), and the fixtures of `tests/fixtures`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// The variable naming a PostgreSQL server for the tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_ENV: &str = "ZHAOSHANG_TEST_POSTGRES";

/// A database of a test's own, removed when dropped.
pub struct TestDb {
    /// The connection, migrated.
    pub db: DatabaseConnection,
    /// Its URL.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new SQLite database in a temporary folder.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = zhaoshang::store::connect(&url).await.expect("connect to SQLite");
        TestDb { db, url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A new PostgreSQL database, or `None` (and a line saying the test was skipped)
    /// when no server is configured.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            eprintln!("skipped {test} on PostgreSQL: {POSTGRES_ENV} is not set");
            return None;
        };
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name =
            format!("zhaoshang_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst), nanos);
        let admin = Database::connect(&admin_url).await.expect("connect to the PostgreSQL server");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
        admin.close().await.ok();
        let (base, _) = admin_url.rsplit_once('/').expect("a database URL ends in /DBNAME");
        let url = format!("{base}/{name}");
        let db = zhaoshang::store::connect(&url).await.expect("connect to the test database");
        Some(TestDb { db, url, cleanup: Cleanup::Postgres { admin_url, name } })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with a runtime of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs an async check against SQLite and, when configured, PostgreSQL: defines a
/// module with a `sqlite` and a `postgres` test.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::common::TestDb::sqlite().await;
                super::$check(&t).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::common::TestDb::postgres(stringify!($name)).await {
                    super::$check(&t).await;
                }
            }
        }
    };
}

/// The fixtures folder (`tests/fixtures`: the sample ledger and its hand-worked figures).
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The sample ledger as a workbook.
pub fn sample_xlsx() -> PathBuf {
    fixtures().join("sample-ledger.xlsx")
}

/// The sample ledger as a CSV folder (one file GB18030, one with a BOM).
pub fn sample_csv() -> PathBuf {
    fixtures().join("sample-ledger")
}

/// A copy of the sample CSV folder in UTF-8 with `edit` applied to one file's text;
/// the folder lives as long as the returned guard.
pub fn edited_sample(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(sample_csv()).expect("fixture folder") {
        let entry = entry.expect("fixture file");
        let bytes = std::fs::read(entry.path()).expect("read fixture");
        let mut text = zhaoshang::ledger::source::decode(&bytes).expect("decode fixture");
        if entry.file_name() == file {
            text = edit(text);
        }
        std::fs::write(dir.path().join(entry.file_name()), text).expect("write copy");
    }
    dir
}

/// The API over a test database, called through `api::execute` as the server does.
pub struct Api {
    /// The schema.
    pub schema: zhaoshang::api::ZhaoshangSchema,
}

impl Api {
    /// An API over `db` with development options.
    pub fn new(db: &sea_orm::DatabaseConnection) -> Api {
        Api::with_options(db, zhaoshang::api::ApiOptions::new(false))
    }

    /// An API over `db` with these options.
    pub fn with_options(db: &sea_orm::DatabaseConnection, options: zhaoshang::api::ApiOptions) -> Api {
        use zhaoshang::api::{ApiState, build_schema};
        Api { schema: build_schema(ApiState::new(db.clone(), Default::default()), &options) }
    }

    /// Runs `query` as `viewer`; the whole response as JSON (`data` and `errors`).
    pub async fn run_as(&self, viewer: &zhaoshang::api::auth::Viewer, query: &str) -> serde_json::Value {
        let response = zhaoshang::api::execute(&self.schema, async_graphql::Request::new(query), viewer.clone()).await;
        serde_json::to_value(&response).expect("a response serializes")
    }
}

/// A viewer with a role (and unit for editors).
pub fn viewer(role: zhaoshang::api::auth::Role, unit: Option<&str>) -> zhaoshang::api::auth::Viewer {
    zhaoshang::api::auth::Viewer { role, unit: unit.map(str::to_string), name: format!("test-{}", role.name()) }
}

/// The `extensions.code` of each error of a response.
pub fn error_codes(response: &serde_json::Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default()
}

/// Rewrites every record of a CSV text (the header included, as record 0) with `edit`.
pub fn rewrite_csv(text: &str, edit: impl Fn(usize, Vec<String>) -> Vec<String>) -> String {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    for (i, record) in reader.records().enumerate() {
        let record: Vec<String> = record.expect("a CSV record").iter().map(str::to_string).collect();
        writer.write_record(edit(i, record)).expect("write a record");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("UTF-8")
}

/// An edit removing the column headed `header` from a CSV text.
pub fn drop_column(header: &'static str) -> impl Fn(String) -> String {
    move |text| {
        let first = text.lines().next().unwrap_or_default().to_string();
        let position = first.split(',').position(|h| h.trim() == header).expect("the column is in the fixture");
        rewrite_csv(&text, |_, mut record| {
            record.remove(position);
            record
        })
    }
}

/// An edit setting the cell under `header` of the row whose first cell is `key`.
pub fn set_cell(key: &'static str, header: &'static str, value: &'static str) -> impl Fn(String) -> String {
    move |text| {
        let first = text.lines().next().unwrap_or_default().to_string();
        let position = first.split(',').position(|h| h.trim() == header).expect("the column is in the fixture");
        assert!(text.lines().any(|l| l.starts_with(&format!("{key},"))), "no row {key} in the fixture");
        rewrite_csv(&text, |_, mut record| {
            if record.first().is_some_and(|k| k == key) {
                record[position] = value.to_string();
            }
            record
        })
    }
}
