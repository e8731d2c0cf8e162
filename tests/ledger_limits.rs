//! Untrusted ledgers: each hostile file of issue 9 (a workbook whose `<dimension>` claims
//! the whole sheet, zip bombs, a million columns, huge cells, truncated workbooks, wrong
//! encodings, control characters) is generated here and must give a clear error naming
//! the limit, or be read for what it really holds — never a panic, never unbounded
//! memory, never anything written.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::xlsx::{self, PROJECT_HEADER, PROJECT_ROW};
use common::{TestDb, peak_memory};
use entities::prelude::*;
use sea_orm::{EntityTrait, PaginatorTrait};
use zhaoshang::jobs::{self, ImportError};

/// No test here may take the process near the memory the hostile files once asked for.
const MEMORY_CEILING: u64 = 1 << 30;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Imports `path` into a new database, expects it refused, and returns the messages;
/// checks that nothing was written and memory stayed bounded.
async fn refused(path: &Path) -> Vec<String> {
    let t = TestDb::sqlite().await;
    let messages = match jobs::import_file(&t.db, path, "test").await {
        Err(ImportError::Invalid(errors)) => errors.0.iter().map(ToString::to_string).collect(),
        other => panic!("expected the ledger to be refused, got {other:?}"),
    };
    assert_eq!(Project::find().count(&t.db).await.unwrap(), 0, "nothing is written");
    assert!(peak_memory() < MEMORY_CEILING, "peak memory {} bytes", peak_memory());
    messages
}

fn assert_any(messages: &[String], needles: &[&str]) {
    assert!(
        messages.iter().any(|m| needles.iter().all(|n| m.contains(n))),
        "no message with all of {needles:?} among {messages:#?}"
    );
}

fn project_rows() -> String {
    xlsx::row(1, &PROJECT_HEADER) + &xlsx::row(2, &PROJECT_ROW)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_with_a_cell_at_xfd1048576_is_refused_at_the_column_limit() {
    // 1.6 KB that once made the reader allocate 512 GB (a range A1:XFD1048576) and abort.
    let dir = tempfile::tempdir().unwrap();
    let far = r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#;
    let sheet = xlsx::worksheet(Some("A1:XFD1048576"), &(project_rows() + far));
    let path = write(dir.path(), "dimension.xlsx", &xlsx::workbook("projects", &sheet, false));
    assert!(std::fs::metadata(&path).unwrap().len() < 4_000);
    let messages = refused(&path).await;
    assert_any(&messages, &["projects: uses 16,384 columns or more; a sheet may use at most 1,024", "MAX_COLUMNS"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_whose_dimension_claims_the_whole_sheet_is_read_for_the_cells_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let far = r#"<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>P9</t></is></c></row>"#;
    let sheet = xlsx::worksheet(Some("A1:XFD1048576"), &(project_rows() + far));
    let path = write(dir.path(), "dimension.xlsx", &xlsx::workbook("projects", &sheet, false));
    let t = TestDb::sqlite().await;
    let errors = match jobs::import_file(&t.db, &path, "test").await {
        Err(ImportError::Invalid(errors)) => errors.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
        other => panic!("expected row errors for the last row, got {other:?}"),
    };
    assert!(errors.iter().all(|e| e.starts_with("projects row 1048576, ")), "{errors:#?}");
    assert!(peak_memory() < MEMORY_CEILING, "peak memory {} bytes", peak_memory());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_that_declares_its_size_is_refused_before_decompressing() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = xlsx::zip_bomb(4 << 30, u32::MAX);
    assert!(bomb.len() < 40 << 20, "{} bytes", bomb.len());
    let messages = refused(&write(dir.path(), "bomb.xlsx", &bomb)).await;
    assert_any(&messages, &["xl/worksheets/sheet1.xml", "declares 4,294,967,295 bytes", "MAX_ENTRY_BYTES"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_that_lies_about_its_size_is_refused_at_its_declared_size() {
    // Declares 1,000 bytes, inflates to 300 MB: the zip reader stops at the declared size.
    let dir = tempfile::tempdir().unwrap();
    let bomb = xlsx::zip_bomb(300 << 20, 1_000);
    let messages = refused(&write(dir.path(), "liar.xlsx", &bomb)).await;
    assert_any(&messages, &["xl/worksheets/sheet1.xml", "cannot be decompressed", "larger than its declared"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_row_of_a_million_cells_is_refused_at_the_column_limit() {
    // Cells without an `r` attribute are placed one after another: 1,000,000 columns.
    let mut rows = String::from(r#"<row r="1">"#);
    for _ in 0..1_000_000 {
        rows.push_str("<c><v>1</v></c>");
    }
    rows.push_str("</row>");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "wide.xlsx", &xlsx::workbook("projects", &xlsx::worksheet(None, &rows), true));
    let messages = refused(&path).await;
    assert_any(&messages, &["projects: uses 1,025 columns or more", "MAX_COLUMNS"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_line_of_a_million_fields_is_refused_at_the_column_limit() {
    let dir = tempfile::tempdir().unwrap();
    let header = PROJECT_HEADER.join(",") + &",x".repeat(999_993);
    write(dir.path(), "projects.csv", format!("{header}\n{}\n", PROJECT_ROW.join(",")).as_bytes());
    let messages = refused(dir.path()).await;
    assert_any(&messages, &["projects: uses 1,000,000 columns or more", "MAX_COLUMNS"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_cell_is_an_error_of_its_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut row = PROJECT_ROW.map(str::to_string);
    row[1] = "长".repeat(1_000_000);
    write(dir.path(), "projects.csv", format!("{}\n{}\n", PROJECT_HEADER.join(","), row.join(",")).as_bytes());
    let messages = refused(dir.path()).await;
    assert_any(&messages, &["projects row 2, 项目名称: is 1,000,000 characters long", "MAX_CELL_CHARS"]);

    // The same in a workbook (an inline string).
    let mut cells = PROJECT_ROW;
    let long = "x".repeat(40_000);
    cells[1] = &long;
    let sheet = xlsx::worksheet(None, &(xlsx::row(1, &PROJECT_HEADER) + &xlsx::row(2, &cells)));
    let path = write(dir.path(), "long.xlsx", &xlsx::workbook("项目", &sheet, false));
    let messages = refused(&path).await;
    assert_any(&messages, &["projects row 2, 项目名称: is 40,000 characters long", "MAX_CELL_CHARS"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_workbook_is_a_clear_error_wherever_it_is_cut() {
    let bytes = std::fs::read(common::sample_xlsx()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for tenth in 0..10 {
        let cut = bytes.len() * tenth / 10;
        let path = write(dir.path(), &format!("cut{tenth}.xlsx"), &bytes[..cut]);
        let messages = refused(&path).await;
        assert_any(&messages, &["cut", "is not a valid .xlsx"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_in_a_wrong_encoding_is_a_clear_error() {
    let text = format!("{}\n{}\n", PROJECT_HEADER.join(","), PROJECT_ROW.join(","));
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("UTF-16 with its BOM", [&[0xFF, 0xFE][..], &utf16].concat(), "is UTF-16"),
        ("UTF-16 without a BOM", utf16.clone(), "holds NUL bytes between its characters"),
        (
            "broken UTF-8 after a UTF-8 BOM",
            [&b"\xEF\xBB\xBF"[..], b"\xC3\x28", text.as_bytes()].concat(),
            "BOM but is not UTF-8",
        ),
    ];
    for (what, bytes, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "projects.csv", &bytes);
        let messages = refused(dir.path()).await;
        assert_any(&messages, &["projects.csv", expected]);
        eprintln!("{what}: {messages:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_a_text_cell_are_a_row_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut row = PROJECT_ROW.map(str::to_string);
    row[1] = "测试\u{0}项目".into();
    let mut second = PROJECT_ROW.map(str::to_string);
    second[0] = "P2".into();
    second[1] = "\"第一行\r\n第二行\t列\"".into(); // line breaks and tabs are text
    let text = format!("{}\n{}\n{}\n", PROJECT_HEADER.join(","), row.join(","), second.join(","));
    write(dir.path(), "projects.csv", text.as_bytes());
    let messages = refused(dir.path()).await;
    assert_eq!(
        messages,
        [
            "projects row 2, 项目名称: holds the control character U+0000; a cell may hold tabs and line breaks but no other control character"
        ]
    );
    for c in ['\u{1b}', '\u{7f}', '\u{85}'] {
        let text = text.replace('\u{0}', &c.to_string());
        write(dir.path(), "projects.csv", text.as_bytes());
        let messages = refused(dir.path()).await;
        assert_any(&messages, &[&format!("U+{:04X}", c as u32)]);
    }
}
