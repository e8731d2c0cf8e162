//! Importing and exporting ledgers: exact values, every error class with its row and
//! column, all-or-nothing, idempotence and the round trip — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use common::{TestDb, drop_column, edited_sample, sample_csv, sample_xlsx, set_cell};
use entities::prelude::*;
use entities::{progress, project, target};
use sea_orm::{EntityTrait, PaginatorTrait};
use zhaoshang::jobs::{self, ImportError};
use zhaoshang::store;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

async fn stores_the_xlsx_fixture_exactly(t: &TestDb) {
    let imported = jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("import");
    assert_eq!(imported.counts.projects, 16);
    assert_eq!(imported.counts.progress, 22);
    let p = Project::find_by_id("ZS24002").one(&t.db).await.unwrap().expect("ZS24002");
    assert_eq!(p.total_investment, 185_005_000, "18500.5 万元 is 185,005,000 yuan");
    assert_eq!(p.signed_date, Some(day("2024-05-20")));
    assert_eq!(p.unit_code, "P01");
    assert!(p.public);
    let tiny = Project::find_by_id("ZS25002").one(&t.db).await.unwrap().expect("ZS25002");
    assert_eq!(tiny.total_investment, 9_999_999, "999.9999 万元 keeps its last yuan");
    // A project recorded only from its signing on.
    let late = Project::find_by_id("ZS24004").one(&t.db).await.unwrap().expect("ZS24004");
    assert_eq!((late.intent_date, late.signed_date), (None, Some(day("2024-01-10"))));
    let month =
        Progress::find_by_id(("ZS24001".to_string(), day("2024-06-01"))).one(&t.db).await.unwrap().expect("row");
    assert_eq!(
        month,
        progress::Model {
            project_code: "ZS24001".into(),
            month: day("2024-06-01"),
            fai: Some(31_002_500),
            funds_arrived: Some(30_000_000),
            out_of_region_funds: Some(28_000_000),
        }
    );
    let goal = Target::find_by_id(("T01".to_string(), 2025, "signed_investment".to_string())).one(&t.db).await.unwrap();
    assert_eq!(
        goal,
        Some(target::Model {
            unit_code: "T01".into(),
            year: 2025,
            metric: "signed_investment".into(),
            value: 200_000_000
        })
    );
    let issue_count = ElementIssue::find().count(&t.db).await.unwrap();
    assert_eq!(issue_count, 5);
}
on_both_databases!(stores_the_xlsx_fixture_exactly_on, stores_the_xlsx_fixture_exactly);

async fn reads_the_csv_folder_like_the_workbook(t: &TestDb) {
    jobs::import_file(&t.db, &sample_csv(), "test").await.expect("import CSV (GB18030 + BOM files)");
    let from_csv = store::load_ledger(&t.db).await.unwrap();
    let other = TestDb::sqlite().await;
    jobs::import_file(&other.db, &sample_xlsx(), "test").await.expect("import xlsx");
    let from_xlsx = store::load_ledger(&other.db).await.unwrap();
    assert_eq!(format!("{:?}", from_csv.projects), format!("{:?}", from_xlsx.projects));
    assert_eq!(from_csv.progress, from_xlsx.progress);
    assert_eq!(from_csv.units, from_xlsx.units);
    assert_eq!(from_csv.targets, from_xlsx.targets);
    let unit = Unit::find_by_id("T02").one(&t.db).await.unwrap().expect("T02 from the BOM file");
    assert_eq!((unit.name.as_str(), unit.kind.as_deref()), ("陈炉镇", Some("镇")));
}
on_both_databases!(reads_the_csv_folder_like_the_workbook_on, reads_the_csv_folder_like_the_workbook);

async fn importing_twice_leaves_the_same_database(t: &TestDb) {
    let first = jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("first import");
    let before = store::load_ledger(&t.db).await.unwrap();
    let second = jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("second import");
    let after = store::load_ledger(&t.db).await.unwrap();
    assert_eq!(first.counts, second.counts);
    assert_eq!(format!("{before:?}"), format!("{after:?}"));
    assert_eq!(ElementIssue::find().count(&t.db).await.unwrap(), 5, "issues are matched, not added again");
}
on_both_databases!(importing_twice_leaves_the_same_database_on, importing_twice_leaves_the_same_database);

async fn export_then_import_gives_identical_files(t: &TestDb) {
    round_trip(t, &sample_xlsx()).await;
}

/// Imports `source`, exports it as a workbook and as CSV, imports the workbook into a
/// fresh database and exports again: every file is byte-identical.
async fn round_trip(t: &TestDb, source: &std::path::Path) {
    jobs::import_file(&t.db, source, "test").await.expect("import");
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.xlsx", "csv-a"] {
        jobs::export_file(&t.db, &dir.path().join(name)).await.expect("export");
    }
    let fresh = TestDb::sqlite().await;
    jobs::import_file(&fresh.db, &dir.path().join("a.xlsx"), "test").await.expect("import the export");
    jobs::export_file(&fresh.db, &dir.path().join("b.xlsx")).await.expect("export again");
    jobs::export_file(&fresh.db, &dir.path().join("csv-b")).await.expect("export again");
    let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
    assert!(read("a.xlsx") == read("b.xlsx"), "the workbooks differ");
    for sheet in zhaoshang::ledger::schema::SHEETS {
        let file = format!("{}.csv", sheet.key);
        assert_eq!(read(&format!("csv-a/{file}")), read(&format!("csv-b/{file}")), "{file} differs");
    }
}
on_both_databases!(export_then_import_gives_identical_files_on, export_then_import_gives_identical_files);

async fn chains_and_carriers_survive_the_round_trip(t: &TestDb) {
    round_trip(t, &common::chains_csv()).await;
    let ledger = store::load_ledger(&t.db).await.unwrap();
    assert_eq!((ledger.chain_links.len(), ledger.carriers.len()), (6, 5), "the fixture's links and carriers");
    let linked = ledger.projects.iter().filter(|(_, p)| p.chain_link.is_some()).count();
    assert_eq!(linked, 6);
}
on_both_databases!(chains_and_carriers_survive_the_round_trip_on, chains_and_carriers_survive_the_round_trip);

/// Imports an edited copy of the sample into a database that already holds the
/// sample, expects it refused with exactly `expected` among the errors, and checks that
/// nothing changed.
async fn refused(t: &TestDb, file: &str, edit: impl Fn(String) -> String, expected: &str) {
    jobs::import_file(&t.db, &sample_csv(), "test").await.expect("baseline import");
    let before = store::load_ledger(&t.db).await.unwrap();
    let version = store::data_version(&t.db).await.unwrap();
    let dir = edited_sample(file, edit);
    match jobs::import_file(&t.db, dir.path(), "test").await {
        Err(ImportError::Invalid(errors)) => {
            let messages: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            assert!(messages.iter().any(|m| m == expected), "expected {expected:?} among {messages:#?}");
        }
        other => panic!("expected the ledger to be refused, got {other:?}"),
    }
    assert_eq!(store::data_version(&t.db).await.unwrap(), version, "an audit entry was written");
    assert_eq!(
        format!("{:?}", store::load_ledger(&t.db).await.unwrap()),
        format!("{before:?}"),
        "the database changed"
    );
}

fn replace(from: &'static str, to: &'static str) -> impl Fn(String) -> String {
    move |text| {
        assert!(text.contains(from), "the fixture no longer holds {from:?}");
        text.replacen(from, to, 1)
    }
}

async fn bad_date(t: &TestDb) {
    let edit = replace("2024/3/3,2024/5/9,2024/9/26", "2024/3/3,2024/5/9,2024-13-01");
    refused(t, "projects.csv", edit, r#"projects row 7, 签约日期: "2024-13-01" is not a date"#).await;
}
on_both_databases!(a_bad_date_is_refused_with_its_row, bad_date);

async fn negative_money(t: &TestDb) {
    refused(
        t,
        "progress.csv",
        replace("ZS24001,2024-05,2300", "ZS24001,2024-05,-2300"),
        r#"progress row 3, 本月完成投资（万元）: "-2300" is negative; money must be ≥ 0"#,
    )
    .await;
}
on_both_databases!(negative_money_is_refused, negative_money);

async fn money_with_five_decimals(t: &TestDb) {
    refused(
        t,
        "projects.csv",
        replace(",999.9999,", ",999.99999,"),
        r#"projects row 12, 总投资（万元）: "999.99999" has more than 4 decimal places (万元 are kept to the yuan)"#,
    )
    .await;
}
on_both_databases!(money_with_five_decimals_is_refused, money_with_five_decimals);

async fn money_as_text(t: &TestDb) {
    refused(
        t,
        "projects.csv",
        replace(",9800,", ",九千八百,"),
        r#"projects row 5, 总投资（万元）: "九千八百" is not a number of 万元"#,
    )
    .await;
}
on_both_databases!(money_as_text_is_refused, money_as_text);

async fn unknown_unit(t: &TestDb) {
    refused(
        t,
        "projects.csv",
        replace("ZS24003,汽车零部件加工产业园,D03", "ZS24003,汽车零部件加工产业园,X99"),
        r#"projects row 4, 责任单位: unknown unit "X99""#,
    )
    .await;
}
on_both_databases!(an_unknown_unit_is_refused, unknown_unit);

async fn unknown_industry(t: &TestDb) {
    refused(
        t,
        "projects.csv",
        replace(",D03,装备制造,", ",D03,航空航天,"),
        r#"projects row 4, 产业类别: unknown industry "航空航天""#,
    )
    .await;
}
on_both_databases!(an_unknown_industry_is_refused, unknown_industry);

async fn unknown_project_in_progress(t: &TestDb) {
    refused(
        t,
        "progress.csv",
        replace("ZS24007,2025-01", "ZS99999,2025-01"),
        r#"progress row 14, 项目编号: unknown project "ZS99999""#,
    )
    .await;
}
on_both_databases!(progress_of_an_unknown_project_is_refused, unknown_project_in_progress);

async fn duplicate_code(t: &TestDb) {
    refused(
        t,
        "projects.csv",
        replace("\nZS24005,", "\nZS24004,"),
        r#"projects row 6, 项目编号: duplicate key: row 5 has the same"#,
    )
    .await;
}
on_both_databases!(a_duplicate_project_code_is_refused, duplicate_code);

async fn duplicate_month(t: &TestDb) {
    refused(
        t,
        "progress.csv",
        replace("ZS24001,2024-05", "ZS24001,2024/4"),
        r#"progress row 3, 月份: duplicate key: row 2 has the same"#,
    )
    .await;
}
on_both_databases!(a_duplicate_project_month_is_refused, duplicate_month);

async fn stages_out_of_order(t: &TestDb) {
    // ZS24006: signed 2024/9/26 made earlier than its negotiation 2024/5/9.
    refused(
        t,
        "projects.csv",
        replace("2024/3/3,2024/5/9,2024/9/26", "2024/3/3,2024/5/9,2024/4/26"),
        "projects row 7, 签约日期: 2024-04-26 is before the 洽谈 date 2024-05-09; stage dates must not decrease",
    )
    .await;
}
on_both_databases!(stage_dates_out_of_order_are_refused, stages_out_of_order);

async fn outside_funds_above_arrived(t: &TestDb) {
    refused(
        t,
        "progress.csv",
        replace("ZS24001,2024-06,3100.25,3000,2800", "ZS24001,2024-06,3100.25,3000,3200"),
        "progress row 4, 其中市域外资金（万元）: 3200 is more than the funds arrived (3000); it is a part of them",
    )
    .await;
}
on_both_databases!(outside_funds_above_funds_arrived_are_refused, outside_funds_above_arrived);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_reported_not_only_the_first() {
    let t = TestDb::sqlite().await;
    let dir = edited_sample("projects.csv", |text| {
        text.replacen(",9800,", ",abc,", 1).replacen("2024/3/3,2024/5/9,2024/9/26", "2024/3/3,2024/5/9,2024-13-01", 1)
    });
    let Err(ImportError::Invalid(errors)) = jobs::import_file(&t.db, dir.path(), "test").await else {
        panic!("expected errors")
    };
    assert_eq!(errors.0.len(), 2, "{errors}");
    assert_eq!(Project::find().count(&t.db).await.unwrap(), 0, "nothing is written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_columns_are_warnings_and_english_headers_work() {
    let t = TestDb::sqlite().await;
    let dir = edited_sample("units.csv", |text| {
        text.replacen("单位编码,单位名称,单位类型", "code,Name,kind,备注", 1).replacen(
            "T01,城关街道,街道",
            "T01,城关街道,街道,新设",
            1,
        )
    });
    let imported = jobs::import_file(&t.db, dir.path(), "test").await.expect("import");
    assert!(
        imported.warnings.iter().any(|w| w == r#"units: unknown column "备注" ignored"#),
        "{:?}",
        imported.warnings
    );
    assert_eq!(imported.counts.units, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_entered_twice_is_a_warning_not_an_error() {
    // ZS24010: same investor, unit and industry as ZS24001, 3% more, signed 40 days later.
    let dir = edited_sample("projects.csv", |text| {
        let copy = text.lines().find(|l| l.starts_with("ZS24001,")).unwrap().to_string();
        let twin = copy.replacen("ZS24001,", "ZS24010,", 1).replacen(",32000,", ",32960,", 1).replacen(
            ",2024/3/12,",
            ",2024/4/21,",
            1,
        );
        format!("{text}\n{twin}")
    });
    let t = TestDb::sqlite().await;
    let imported = jobs::import_file(&t.db, dir.path(), "test").await.expect("import");
    assert_eq!(imported.counts.projects, 17);
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.starts_with("projects rows 2 and 18: ZS24001 and ZS24010 may be the same project")),
        "{:?}",
        imported.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_district_is_deterministic_and_valid() {
    let a = zhaoshang::demo::generate(300, 7);
    let b = zhaoshang::demo::generate(300, 7);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let t = TestDb::sqlite().await;
    let imported = jobs::import_ledger(&t.db, a, "test", "demo").await.expect("the demo passes the ledger checks");
    assert_eq!(imported.counts.projects, 300);
    assert_eq!(imported.counts.units, 12);
    assert!(imported.counts.progress > 300, "started projects report monthly progress");
}

#[test]
fn the_cli_lists_every_bad_row_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = edited_sample("projects.csv", |text| text.replacen(",9800,", ",-5,", 1));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
        .args(["--database-url", &format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display()), "import"])
        .arg(ledger.path())
        .output()
        .expect("run zhaoshang");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(r#"projects row 5, 总投资（万元）: "-5" is negative"#), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
}

async fn an_absent_column_leaves_the_field_as_it_is(t: &TestDb) {
    jobs::import_file(&t.db, &sample_csv(), "test").await.expect("baseline import");
    let before = store::load_ledger(&t.db).await.unwrap();
    let public = |l: &zhaoshang::ledger::Ledger| l.projects.iter().filter(|(_, p)| p.public).count();
    assert!(public(&before) > 0, "the sample publishes some projects");
    // Without 公开推介 (nor 投资方来源地, kept on the investors): nothing changes.
    let dir = edited_sample("projects.csv", |text| drop_column("投资方来源地")(drop_column("公开推介")(text)));
    jobs::import_file(&t.db, dir.path(), "test").await.expect("import without the columns");
    let after = store::load_ledger(&t.db).await.unwrap();
    assert_eq!(public(&after), public(&before), "projects were unpublished");
    assert_eq!(format!("{after:?}"), format!("{before:?}"), "the database changed");
}
on_both_databases!(
    an_absent_column_leaves_the_field_of_existing_rows_as_it_is,
    an_absent_column_leaves_the_field_as_it_is
);

async fn an_empty_cell_clears_the_field(t: &TestDb) {
    jobs::import_file(&t.db, &sample_csv(), "test").await.expect("baseline import");
    let stored = |code: &'static str| async move { Project::find_by_id(code).one(&t.db).await.unwrap().unwrap() };
    let before = stored("ZS24001").await;
    assert!(before.summary.is_some() && before.contact_phone.is_some(), "the fixture fills them");
    let dir = edited_sample("projects.csv", |text| {
        set_cell("ZS24001", "联系电话", "")(set_cell("ZS24001", "项目简介", " ")(text))
    });
    jobs::import_file(&t.db, dir.path(), "test").await.expect("import with empty cells");
    let after = stored("ZS24001").await;
    assert_eq!((after.summary.as_deref(), after.contact_phone.as_deref()), (None, None));
    assert_eq!(after.version, before.version + 1, "a changed row goes one version up");
    let expected = project::Model { summary: None, contact_phone: None, version: after.version, ..before };
    assert_eq!(expected, after, "only those two changed");
}
on_both_databases!(a_present_but_empty_cell_clears_the_field, an_empty_cell_clears_the_field);

async fn a_sheet_absent_from_the_ledger_keeps_its_rows(t: &TestDb) {
    jobs::import_file(&t.db, &sample_csv(), "test").await.expect("baseline import");
    let before = store::load_ledger(&t.db).await.unwrap();
    // Only projects: the units and industries stay as they are (kinds, clusters).
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(sample_csv().join("projects.csv")).unwrap();
    let text = zhaoshang::ledger::source::decode(&bytes).unwrap();
    std::fs::write(dir.path().join("projects.csv"), text).unwrap();
    jobs::import_file(&t.db, dir.path(), "test").await.expect("import of projects alone");
    let after = store::load_ledger(&t.db).await.unwrap();
    assert_eq!(format!("{after:?}"), format!("{before:?}"), "the database changed");
}
on_both_databases!(a_sheet_absent_from_the_ledger_keeps_its_rows_on, a_sheet_absent_from_the_ledger_keeps_its_rows);

/// The `after` of the latest audit entry, which an import leaves.
async fn latest_audit(t: &TestDb) -> (String, serde_json::Value) {
    use sea_orm::QueryOrder;
    let entry = AuditEntry::find().order_by_desc(entities::audit_entry::Column::Id).one(&t.db).await.unwrap().unwrap();
    assert_eq!((entry.action.as_str(), entry.entity.as_str()), ("import", "ledger"));
    (entry.key, entry.after.expect("an import records what it did"))
}

/// `sha256sum` run in `dir` on `files` (in that order), as a user would check a ledger.
fn sha256sum(dir: &std::path::Path, files: &[&str], stdin: Option<&[u8]>) -> String {
    use std::io::Write;
    let mut command = std::process::Command::new("sha256sum");
    command.current_dir(dir).args(files).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = command.spawn().expect("sha256sum (coreutils) runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    drop(child.stdin.take());
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

async fn the_audit_entry_records_what_the_import_changed(t: &TestDb) {
    let imported = jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("import");
    let (key, after) = latest_audit(t).await;
    assert_eq!(key, sample_xlsx().display().to_string());
    let fixtures = sample_xlsx().parent().unwrap().to_path_buf();
    let printed = sha256sum(&fixtures, &["sample-ledger.xlsx"], None);
    assert_eq!(after["sha256"].as_str().unwrap(), &printed[..64], "the workbook's own SHA-256");
    assert_eq!(
        after["tables"]["projects"],
        serde_json::json!({"rows": 16, "created": 16, "updated": 0, "unchanged": 0})
    );
    assert_eq!(after["tables"]["units"]["created"], 8);
    assert_eq!(imported.changes.table("progress").created, imported.counts.progress);

    // The CSV folder with one project's total changed: one row updated, the rest the same.
    let dir = edited_sample("projects.csv", set_cell("ZS24001", "总投资（万元）", "32500"));
    let imported = jobs::import_file(&t.db, dir.path(), "test").await.expect("import the edited folder");
    let (_, after) = latest_audit(t).await;
    assert_eq!(
        after["tables"]["projects"],
        serde_json::json!({"rows": 16, "created": 0, "updated": 1, "unchanged": 15})
    );
    assert_eq!(after["tables"]["progress"]["unchanged"], imported.counts.progress);
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let listing = sha256sum(dir.path(), &names, None);
    let of_listing = sha256sum(dir.path(), &["-"], Some(listing.as_bytes()));
    assert_eq!(after["sha256"].as_str().unwrap(), &of_listing[..64], "sha256sum *.csv | sha256sum");
    assert_eq!(after["files"].as_object().unwrap().len(), 6);
    assert_eq!(
        after["files"]["projects.csv"].as_str().unwrap(),
        &listing[listing.find("projects.csv").unwrap() - 66..][..64]
    );
}
on_both_databases!(
    the_import_audit_entry_records_rows_changed_and_the_sha256,
    the_audit_entry_records_what_the_import_changed
);
