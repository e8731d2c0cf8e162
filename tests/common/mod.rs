//! Helpers shared by the black-box tests: a fresh database per test, on SQLite or on
//! PostgreSQL (when `ZHAOSHANG_TEST_POSTGRES` names a server), and the fixtures of `tests/fixtures`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod bin;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// The variable that makes every skip a failure: `.ci/run` sets it to `1`, since the CI
/// machine has PostgreSQL, LibreOffice and Chromium, so a test that cannot run there is
/// a broken test, not a missing tool.
pub const REQUIRE_ALL_ENV: &str = "ZHAOSHANG_REQUIRE_ALL";

/// Records that `test` (or a part of it) cannot run here and why: the line
/// `SKIPPED: <test>: <reason>`, written straight to stderr (past the test harness's
/// capture, so it shows in `cargo test` output) and counted by `.ci/run` in its closing
/// line. Under [`REQUIRE_ALL_ENV`] the test fails instead. The caller returns after it.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write;
    if std::env::var(REQUIRE_ALL_ENV).is_ok_and(|v| !v.is_empty() && v != "0") {
        panic!("{test} cannot run here: {reason} ({REQUIRE_ALL_ENV} is set: every test must run)");
    }
    // One write, so parallel tests do not interleave inside the line.
    let _ = std::io::stderr().write_all(format!("SKIPPED: {test}: {reason}\n").as_bytes());
}

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
        TestDb::sqlite_with(true).await
    }

    /// A new SQLite database with no table at all (for the migration tests).
    pub async fn sqlite_unmigrated() -> TestDb {
        TestDb::sqlite_with(false).await
    }

    async fn sqlite_with(migrated: bool) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = if migrated { zhaoshang::store::connect(&url).await } else { zhaoshang::store::open(&url).await };
        let db = db.expect("connect to SQLite");
        TestDb { db, url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A new PostgreSQL database, or `None` (and a [`skip`] line)
    /// when no server is configured.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        TestDb::postgres_with(test, true).await
    }

    /// A new PostgreSQL database with no table at all, or `None` as [`TestDb::postgres`].
    pub async fn postgres_unmigrated(test: &str) -> Option<TestDb> {
        TestDb::postgres_with(test, false).await
    }

    async fn postgres_with(test: &str, migrated: bool) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            skip(&format!("{test} on PostgreSQL"), &format!("{POSTGRES_ENV} is not set"));
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
        let db = if migrated { zhaoshang::store::connect(&url).await } else { zhaoshang::store::open(&url).await };
        let db = db.expect("connect to the test database");
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

/// The small ledger with industry chains and carriers (`tests/fixtures/chains-ledger`),
/// whose figures are worked by hand in `tests/promotion.rs`.
pub fn chains_csv() -> PathBuf {
    fixtures().join("chains-ledger")
}

/// A copy of the sample CSV folder in UTF-8 with `edit` applied to one file's text;
/// the folder lives as long as the returned guard.
pub fn edited_sample(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    edited_copy(&sample_csv(), file, edit)
}

/// A copy of the CSV folder `source` in UTF-8 with `edit` applied to one file's text;
/// the folder lives as long as the returned guard.
pub fn edited_copy(source: &std::path::Path, file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(source).expect("fixture folder") {
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

/// The entries of a zip (a workbook, a deck) by name.
pub fn zip_entries(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("a zip entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("a readable zip entry");
            (file.name().expect("an entry name").to_string(), data)
        })
        .collect()
}

/// Builders of workbooks for the tests of untrusted ledgers: a real `.xlsx` from its XML
/// parts, and a zip whose entry is a hand-made deflate stream (a zip bomb).
pub mod xlsx {
    use std::io::Write;

    /// The parts every workbook here has besides its sheet: one sheet named `sheet`.
    pub fn frame(sheet: &str) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "[Content_Types].xml",
                br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec(),
            ),
            (
                "_rels/.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
            ),
            (
                "xl/workbook.xml",
                format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec(),
            ),
        ]
    }

    /// A worksheet's XML around its `<sheetData>` rows, with an optional `<dimension>`.
    pub fn worksheet(dimension: Option<&str>, rows: &str) -> Vec<u8> {
        let dimension = dimension.map(|d| format!(r#"<dimension ref="{d}"/>"#)).unwrap_or_default();
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{rows}</sheetData></worksheet>"#).into_bytes()
    }

    /// A row of inline-string cells at row `r` (1-based), from column A.
    pub fn row(r: usize, cells: &[&str]) -> String {
        let mut out = format!(r#"<row r="{r}">"#);
        for (i, text) in cells.iter().enumerate() {
            let column = char::from(b'A' + i as u8);
            out.push_str(&format!(r#"<c r="{column}{r}" t="inlineStr"><is><t>{text}</t></is></c>"#));
        }
        out.push_str("</row>");
        out
    }

    /// A workbook of one sheet named `sheet` holding `sheet_xml`, written by the zip crate
    /// (deflated, or stored when `stored`).
    pub fn workbook(sheet: &str, sheet_xml: &[u8], stored: bool) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(sheet_xml.len() > u32::MAX as usize / 2);
        for (name, bytes) in frame(sheet) {
            writer.start_file(name, options).expect("zip entry");
            writer.write_all(&bytes).expect("zip write");
        }
        writer.start_file("xl/worksheets/sheet1.xml", options).expect("zip entry");
        writer.write_all(sheet_xml).expect("zip write");
        writer.finish().expect("zip finish").into_inner()
    }

    /// The minimal projects header and one valid project row, as cell texts.
    pub const PROJECT_HEADER: [&str; 7] =
        ["项目编号", "项目名称", "责任单位", "产业类别", "总投资（万元）", "签约日期", "公开推介"];
    /// A valid project for [`PROJECT_HEADER`].
    pub const PROJECT_ROW: [&str; 7] = ["P1", "测试项目", "T01", "智能制造", "1000", "2025-03-01", "是"];

    /// A deflate stream (fixed Huffman) that inflates to `zeros` zero bytes from about
    /// `zeros / 160` bytes: one literal, then copies of 258 bytes at distance 1.
    pub fn deflated_zeros(zeros: u64) -> Vec<u8> {
        struct Bits {
            out: Vec<u8>,
            acc: u64,
            n: u32,
        }
        impl Bits {
            fn lsb(&mut self, value: u64, len: u32) {
                self.acc |= value << self.n;
                self.n += len;
                while self.n >= 8 {
                    self.out.push(self.acc as u8);
                    self.acc >>= 8;
                    self.n -= 8;
                }
            }
            fn huffman(&mut self, code: u64, len: u32) {
                let reversed = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
                self.lsb(reversed, len);
            }
        }
        let mut bits = Bits { out: Vec::with_capacity((zeros / 150) as usize), acc: 0, n: 0 };
        bits.lsb(1, 1); // the final block
        bits.lsb(1, 2); // fixed Huffman codes
        bits.huffman(0x30, 8); // literal 0
        let mut left = zeros.saturating_sub(1);
        while left >= 258 {
            bits.huffman(0xC5, 8); // length 258 (code 285)
            bits.huffman(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.huffman(0x30, 8);
        }
        bits.huffman(0, 7); // end of block
        bits.lsb(0, 7); // flush
        bits.out
    }

    /// The CRC-32 of zip entries (bitwise: only small parts are hashed here).
    pub fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A zip written byte by byte: each entry is (name, method, data as stored, CRC,
    /// the uncompressed size it declares). Lets a test declare any size.
    pub fn raw_zip(entries: &[(&str, u16, Vec<u8>, u32, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, method, data, crc, declared) in entries {
            let offset = out.len() as u32;
            let common = |v: &mut Vec<u8>| {
                v.extend_from_slice(&20u16.to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes());
                v.extend_from_slice(&method.to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes());
                v.extend_from_slice(&0x21u16.to_le_bytes());
                v.extend_from_slice(&crc.to_le_bytes());
                v.extend_from_slice(&(data.len() as u32).to_le_bytes());
                v.extend_from_slice(&declared.to_le_bytes());
                v.extend_from_slice(&(name.len() as u16).to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes());
            };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            common(&mut central);
            central.extend_from_slice(&[0; 8]); // comment length, disk, internal and external attributes
            central.extend_from_slice(&[0; 2]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// A workbook whose sheet is a deflate stream inflating to `zeros` bytes, declaring
    /// `declared` bytes (the truth, or a lie).
    pub fn zip_bomb(zeros: u64, declared: u32) -> Vec<u8> {
        let mut entries: Vec<(&str, u16, Vec<u8>, u32, u32)> = frame("projects")
            .into_iter()
            .map(|(name, bytes)| (name, 0u16, bytes.clone(), crc32(&bytes), bytes.len() as u32))
            .collect();
        // The CRC of the zeros is never reached: the reader stops at its limit first.
        entries.push(("xl/worksheets/sheet1.xml", 8, deflated_zeros(zeros), 0, declared));
        raw_zip(&entries)
    }
}

/// The peak resident memory of this test process so far (`VmHWM`), in bytes.
pub fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
