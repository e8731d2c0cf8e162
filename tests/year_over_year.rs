//! Year-over-year on the same span (metrics page, "Periods and the as-of day"): a period
//! after the as-of day has no figures, the period holding it ends on it and compares with
//! the same days a year earlier, earlier periods compare whole months — for a daily
//! metric (signings), a monthly one (FAI), on 29 February, for quarters and years still
//! running; and the bulletin, the site's headlines and the decks say the same as `trend`.
//! Every expected figure is worked out by hand in a comment.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use common::{Api, TestDb, error_codes, viewer};
use entities::{progress, project, unit};
use serde_json::json;
use zhaoshang::analytics::scorecard::ScoringConfig;
use zhaoshang::analytics::volume::{Granularity, Span, base_day, trend, year_to_date};
use zhaoshang::analytics::{Frames, Metric, ProjectFilter};
use zhaoshang::api::auth::Role;
use zhaoshang::bulletin::Bulletin;
use zhaoshang::charts::Chart;
use zhaoshang::ledger::Ledger;
use zhaoshang::publish::deck::{By, Cell, ChartSpec, build};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A project signed on `signed` (1,000 万元 each).
fn signed(code: &str, signed: &str) -> project::Model {
    project::Model {
        code: code.into(),
        name: format!("项目{code}"),
        unit_code: "U1".into(),
        industry_name: "智能制造".into(),
        total_investment: 10_000_000,
        signed_date: Some(day(signed)),
        public: true,
        ..Default::default()
    }
}

/// The district:
/// - signings S1 2025-01-10, S2 2025-06-10, S3 2025-06-20, S4 2025-08-01;
///   S5 2026-02-01, S6 2026-06-14, S7 2026-06-15, S8 2026-06-16;
/// - for 29 February: T1 2023-02-28, T2 2023-03-01, T3 2024-01-15, T4 2024-02-29;
/// - S1's monthly FAI: 2025-05 100 万, 2025-06 200 万, 2025-07 400 万;
///   2026-05 150 万, 2026-06 300 万, 2026-07 500 万 (a month after the as-of day).
fn district() -> Ledger {
    let projects = [
        ("S1", "2025-01-10"),
        ("S2", "2025-06-10"),
        ("S3", "2025-06-20"),
        ("S4", "2025-08-01"),
        ("S5", "2026-02-01"),
        ("S6", "2026-06-14"),
        ("S7", "2026-06-15"),
        ("S8", "2026-06-16"),
        ("T1", "2023-02-28"),
        ("T2", "2023-03-01"),
        ("T3", "2024-01-15"),
        ("T4", "2024-02-29"),
    ];
    let fai = [
        ("2025-05-01", 100),
        ("2025-06-01", 200),
        ("2025-07-01", 400),
        ("2026-05-01", 150),
        ("2026-06-01", 300),
        ("2026-07-01", 500),
    ];
    Ledger {
        units: vec![(2, unit::Model { code: "U1".into(), name: "单位U1".into(), kind: Some("镇".into()) })],
        projects: projects.iter().enumerate().map(|(i, (c, d))| (i + 2, signed(c, d))).collect(),
        progress: fai
            .iter()
            .enumerate()
            .map(|(i, (month, wan))| {
                let row = progress::Model {
                    project_code: "S1".into(),
                    month: day(month),
                    fai: Some(wan * 10_000),
                    funds_arrived: None,
                    out_of_region_funds: None,
                };
                (i + 2, row)
            })
            .collect(),
        ..Default::default()
    }
}

async fn frames(t: &TestDb) -> Frames {
    zhaoshang::jobs::import_ledger(&t.db, district(), "test", "hand-made").await.expect("the district is valid");
    Frames::load(&t.db).await.unwrap()
}

/// (period, value, cumulative, yoy) of a trend; money in 万元.
type Point = (String, Option<i64>, Option<i64>, Option<f64>);

fn points(f: &Frames, metric: Metric, from: &str, to: &str, g: Granularity, as_of: &str) -> Vec<Point> {
    let scale = if metric.is_money() { 10_000 } else { 1 };
    trend(f, metric, day(from), day(to), g, &ProjectFilter::default(), day(as_of))
        .unwrap()
        .into_iter()
        .map(|p| (p.period, p.value.map(|v| v / scale), p.cumulative.map(|v| v / scale), p.yoy))
        .collect()
}

fn point(period: &str, value: i64, cumulative: i64, yoy: Option<f64>) -> Point {
    (period.into(), Some(value), Some(cumulative), yoy)
}

fn none(period: &str) -> Point {
    (period.into(), None, None, None)
}

#[test]
fn the_base_day_is_the_same_day_a_year_earlier() {
    assert_eq!(base_day(day("2026-06-15")), day("2025-06-15"));
    assert_eq!(base_day(day("2024-02-29")), day("2023-02-28"), "29 February → 28 February");
    // A month's last day compares the whole month: 28 February 2025 with all of
    // February 2024, 29 February included.
    assert_eq!(base_day(day("2025-02-28")), day("2024-02-29"));
    assert_eq!(base_day(day("2026-06-30")), day("2025-06-30"));
    assert_eq!(base_day(day("2026-01-01")), day("2025-01-01"));
}

#[test]
fn spans_are_said_in_words() {
    let words = |m: Metric, d: &str| Span::year_to_date(m, day(d)).words_zh();
    assert_eq!(words(Metric::SignedCount, "2026-06-15"), "1月1日至6月15日");
    assert_eq!(words(Metric::SignedCount, "2026-06-30"), "1–6月");
    assert_eq!(words(Metric::Fai, "2026-06-15"), "1–6月", "progress counts the month of the as-of day whole");
    assert_eq!(words(Metric::Fai, "2026-01-20"), "1月");
    assert_eq!(Span::year_to_date(Metric::SignedCount, day("2026-06-15")).words_en(), "1 Jan – 15 Jun");
    assert_eq!(Span::year_to_date(Metric::Fai, day("2026-06-15")).words_en(), "Jan–Jun");
}

async fn a_daily_metric_compares_the_same_days(t: &TestDb) {
    let f = frames(t).await;
    let months = points(&f, Metric::SignedCount, "2026-01-01", "2026-12-01", Granularity::Month, "2026-06-15");
    // Jan 2026: nothing against S1 in Jan 2025: 0/1 − 1 = −1. Feb–May: S5 against S1: 1/1 − 1 = 0.
    // June (holds the 15th): S6, S7 (S8 is the 16th) → value 2, cumulative 3, against
    // 1 Jan–15 Jun 2025 = S1, S2 = 2 (S3 signed on the 20th is not the same span): 3/2 − 1 = 0.5.
    // July–December: no figures yet.
    let mut expected = vec![
        point("2026-01", 0, 0, Some(-1.0)),
        point("2026-02", 1, 1, Some(0.0)),
        point("2026-03", 0, 1, Some(0.0)),
        point("2026-04", 0, 1, Some(0.0)),
        point("2026-05", 0, 1, Some(0.0)),
        point("2026-06", 2, 3, Some(0.5)),
    ];
    expected.extend(["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"].map(none));
    assert_eq!(months, expected);
    // A quarter and a year still running: the same span, 3 against 2.
    let quarters = points(&f, Metric::SignedCount, "2026-01-01", "2026-12-01", Granularity::Quarter, "2026-06-15");
    assert_eq!(
        quarters,
        [point("2026-Q1", 1, 1, Some(0.0)), point("2026-Q2", 2, 3, Some(0.5)), none("2026-Q3"), none("2026-Q4")]
    );
    // 2025 ended before the as-of day: all of 2025 (4) against all of 2024 (T3, T4 = 2).
    let years = points(&f, Metric::SignedCount, "2025-01-01", "2027-01-01", Granularity::Year, "2026-06-15");
    assert_eq!(years, [point("2025", 4, 4, Some(1.0)), point("2026", 3, 3, Some(0.5)), none("2027")]);
    // The deck's trend chart draws no column after the as-of day.
    let spec = ChartSpec::Trend {
        id: "signed".into(),
        title: "签约".into(),
        metric: "SIGNED_COUNT".into(),
        granularity: None,
    };
    let built = build(&f, &spec, day("2026-06-15"), &ScoringConfig::default()).unwrap();
    let Chart::Trend(chart) = &built.chart else { panic!("a trend chart") };
    assert_eq!(chart.periods, ["1月", "2月", "3月", "4月", "5月", "6月"]);
    assert_eq!(chart.yoy.last(), Some(&Some(0.5)));
    assert!(chart.frame.subtitle.contains("1月1日至6月15日"), "{}", chart.frame.subtitle);
    // On the last day of June the whole month counts on both sides: S6, S7, S8 → 4 against
    // S1, S2, S3 = 3.
    let june_end = points(&f, Metric::SignedCount, "2026-06-01", "2026-06-01", Granularity::Month, "2026-06-30");
    assert_eq!(june_end, [point("2026-06", 3, 4, Some(4.0 / 3.0 - 1.0))]);
}
on_both_databases!(a_daily_metric_compares_the_same_days_on, a_daily_metric_compares_the_same_days);

async fn a_monthly_metric_compares_the_same_months(t: &TestDb) {
    let f = frames(t).await;
    // As of 15 June 2026, FAI counts up to and including June on both sides:
    // 2026: May 150 + June 300 = 450 万; the base is January–June 2025 = 100 + 200 = 300:
    // 450/300 − 1 = 0.5, for the month, the quarter and the year alike (July's 500 and
    // July 2025's 400 are not the same span).
    let june = points(&f, Metric::Fai, "2026-05-01", "2026-07-01", Granularity::Month, "2026-06-15");
    assert_eq!(june, [point("2026-05", 150, 150, Some(0.5)), point("2026-06", 300, 450, Some(0.5)), none("2026-07")]);
    let q = points(&f, Metric::Fai, "2026-04-01", "2026-07-01", Granularity::Quarter, "2026-06-15");
    assert_eq!(q, [point("2026-Q2", 450, 450, Some(0.5)), none("2026-Q3")]);
    let y = points(&f, Metric::Fai, "2026-01-01", "2026-01-01", Granularity::Year, "2026-06-15");
    assert_eq!(y, [point("2026", 450, 450, Some(0.5))]);
    // A year that ended: 2025 whole (700) against 2024 (nothing): no growth rate.
    let last = points(&f, Metric::Fai, "2025-01-01", "2025-01-01", Granularity::Year, "2026-06-15");
    assert_eq!(last, [point("2025", 700, 700, None)]);
}
on_both_databases!(a_monthly_metric_compares_the_same_months_on, a_monthly_metric_compares_the_same_months);

async fn the_29th_of_february_compares_with_the_28th(t: &TestDb) {
    let f = frames(t).await;
    // As of 29 Feb 2024: T3, T4 → 2 against 1 Jan–28 Feb 2023 = T1 (T2 signed 1 March) → +100 %.
    let feb = points(&f, Metric::SignedCount, "2024-02-01", "2024-03-01", Granularity::Month, "2024-02-29");
    assert_eq!(feb, [point("2024-02", 1, 2, Some(1.0)), none("2024-03")]);
    // The deck's "this year against the same span last year" covers 1 Jan–28 Feb 2023
    // (it once took 14 months: 29 February has no day in 2023).
    let spec =
        ChartSpec::Columns {
            id: "by_unit".into(), title: "签约".into(), metric: "SIGNED_COUNT".into(), by: By::Unit
        };
    let built = build(&f, &spec, day("2024-02-29"), &ScoringConfig::default()).unwrap();
    let row = &built.table.rows[0];
    assert_eq!(row[1..3], [Cell::Number(Some(2.0)), Cell::Number(Some(1.0))], "{:?}", built.table);
}
on_both_databases!(the_29th_of_february_compares_with_the_28th_on, the_29th_of_february_compares_with_the_28th);

async fn the_bulletin_and_the_site_agree_with_trend(t: &TestDb) {
    let f = frames(t).await;
    let as_of = day("2026-06-15");
    let bulletin = Bulletin::compute(&f, as_of, &ScoringConfig::default()).unwrap();
    for (label, metric) in [("签约项目", Metric::SignedCount), ("固定资产投资完成额", Metric::Fai)] {
        let ytd = year_to_date(&f, metric, &ProjectFilter::default(), as_of).unwrap();
        let last =
            trend(&f, metric, day("2026-06-01"), day("2026-06-01"), Granularity::Month, &Default::default(), as_of)
                .unwrap()
                .pop()
                .unwrap();
        assert_eq!((Some(ytd.value), ytd.yoy), (last.cumulative, last.yoy), "{label}");
        let headline = bulletin.headlines.iter().find(|h| h.label == label).unwrap();
        assert_eq!(headline.yoy, last.yoy, "{label}");
    }
    // The bulletin says the span in words and the same growth.
    let text = bulletin.to_markdown();
    assert!(text.contains("| 签约项目 | 1月1日至6月15日 | 3个 | +50.0% |"), "{text}");
    let fai = text.lines().find(|l| l.starts_with("| 固定资产投资完成额 |")).unwrap();
    assert!(fai.starts_with("| 固定资产投资完成额 | 1–6月 |") && fai.ends_with("| +50.0% |"), "{fai}");

    // The site's home page: the same figures, the same words.
    let out = tempfile::tempdir().unwrap();
    let options = zhaoshang::publish::site::SiteOptions {
        source: zhaoshang::publish::theme::Source::Dir(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("site"),
        ),
        out: out.path().join("site"),
        as_of,
        base_url: "https://invest.example.gov.cn/".into(),
    };
    zhaoshang::jobs::build_site(&zhaoshang::analytics::Engine::new(t.db.clone()), &options).await.unwrap();
    let home = std::fs::read_to_string(out.path().join("site/index.html")).unwrap();
    assert!(home.contains("<small>1月1日至6月15日</small>"), "{home}");
    assert!(home.contains("50.0%"), "{home}");
}
on_both_databases!(the_bulletin_and_the_site_agree_with_trend_on, the_bulletin_and_the_site_agree_with_trend);

async fn graphql_gives_null_after_the_as_of_day(t: &TestDb) {
    zhaoshang::jobs::import_ledger(&t.db, district(), "test", "hand-made").await.unwrap();
    let api = Api::new(&t.db);
    let r = api
        .run_as(
            &viewer(Role::Analyst, None),
            r#"{ trend(metric: SIGNED_COUNT, from: "2026-06", to: "2026-07", asOf: "2026-06-15") { period value cumulative yoy } }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(
        r["data"]["trend"],
        json!([
            { "period": "2026-06", "value": 2.0, "cumulative": 3.0, "yoy": 0.5 },
            { "period": "2026-07", "value": null, "cumulative": null, "yoy": null }
        ])
    );
}
on_both_databases!(graphql_gives_null_after_the_as_of_day_on, graphql_gives_null_after_the_as_of_day);
