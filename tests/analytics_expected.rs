//! The figures of `tests/fixtures/sample-ledger.expected.json`, worked out
//! independently from the metrics page, reproduced by the engine — on SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use common::{TestDb, fixtures, sample_xlsx};
use serde_json::Value;
use zhaoshang::analytics::scorecard::{ScoringConfig, scorecards};
use zhaoshang::analytics::volume::{Granularity, trend};
use zhaoshang::analytics::{Frames, Metric, ProjectFilter, alerts, cohort};
use zhaoshang::money::to_wan;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("sample-ledger.expected.json")).expect("expected figures");
    serde_json::from_str(&text).expect("JSON")
}

fn close(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, expected.as_f64()) {
        (None, None) => {}
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} ≠ {e}"),
        (a, _) => panic!("{what}: {a:?} ≠ {expected}"),
    }
}

async fn frames_of_sample(t: &TestDb) -> Frames {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("import");
    Frames::load(&t.db).await.expect("frames")
}

fn check_trend(frames: &Frames, key: &str, metric: Metric, year: i32) {
    let expected = expected();
    let points = trend(
        frames,
        metric,
        day(&format!("{year}-01-01")),
        day(&format!("{year}-12-01")),
        Granularity::Month,
        &ProjectFilter::default(),
        day("2026-10-31"),
    )
    .expect("trend");
    let want = expected[key].as_array().expect("points");
    assert_eq!(points.len(), want.len());
    let scale = |v: i64| if metric.is_money() { to_wan(v) } else { v as f64 };
    for (p, w) in points.iter().zip(want) {
        assert_eq!(p.period, w["period"].as_str().unwrap_or_default());
        close(p.value.map(scale), &w["value"], &format!("{key} {} value", p.period));
        close(p.cumulative.map(scale), &w["cumulative"], &format!("{key} {} cumulative", p.period));
        close(p.yoy, &w["yoy"], &format!("{key} {} yoy", p.period));
    }
}

async fn trends_match(t: &TestDb) {
    let frames = frames_of_sample(t).await;
    check_trend(&frames, "trend FAI 2025-01..2025-12 asOf 2026-10-31", Metric::Fai, 2025);
    check_trend(&frames, "trend SIGNED_INVESTMENT 2024-01..2024-12 asOf 2026-10-31", Metric::SignedInvestment, 2024);
    check_trend(&frames, "trend NEW_STARTS_10M 2025-01..2025-12 asOf 2026-10-31", Metric::NewStarts10m, 2025);
}
on_both_databases!(trends_match_the_expected_figures, trends_match);

async fn cohorts_match(t: &TestDb) {
    let frames = frames_of_sample(t).await;
    let expected = expected();
    for (key, from, to, as_of) in [
        ("cohort signed 2024-01-01..2024-12-31 asOf 2025-06-30", "2024-01-01", "2024-12-31", "2025-06-30"),
        ("cohort signed 2025-01-01..2025-12-31 asOf 2026-10-31", "2025-01-01", "2025-12-31", "2026-10-31"),
    ] {
        let c = cohort::cohort(&frames, day(from), day(to), day(as_of), &ProjectFilter::default()).expect("cohort");
        let w = &expected[key];
        assert_eq!(c.size() as u64, w["size"].as_u64().unwrap_or_default(), "{key} size");
        close(c.landing_rate(), &w["landing_rate"], key);
        close(c.production_rate(), &w["production_rate"], key);
        close(c.fulfillment_rate(), &w["fulfillment_rate"], key);
        close(c.fund_arrival_rate(), &w["fund_arrival_rate"], key);
    }
}
on_both_databases!(cohorts_match_the_expected_figures, cohorts_match);

async fn funnel_matches(t: &TestDb) {
    let frames = frames_of_sample(t).await;
    let expected = expected();
    let w = &expected["funnel intake 2024-01-01..2024-12-31 asOf 2026-10-31"];
    let f = cohort::funnel(&frames, day("2024-01-01"), day("2024-12-31"), day("2026-10-31"), &ProjectFilter::default())
        .expect("funnel");
    for stage in &f.stages {
        assert_eq!(
            stage.reached as u64,
            w["reached"][stage.stage.key()].as_u64().unwrap_or(u64::MAX),
            "reached {:?}",
            stage.stage
        );
    }
    for (i, conversion) in w["conversion"].as_array().expect("conversions").iter().enumerate() {
        close(f.stages[i].conversion_to_next, conversion, &format!("conversion {i}"));
    }
    close(f.intent_to_production, &w["intent_to_production"], "intent_to_production");
    for (i, days) in w["days"].as_array().expect("days").iter().enumerate() {
        let stage = &f.stages[i];
        assert_eq!(stage.stage.key(), days["from"].as_str().unwrap_or_default());
        close(stage.days_to_next_median, &days["median"], &format!("median from {}", stage.stage.key()));
        close(stage.days_to_next_p90, &days["p90"], &format!("p90 from {}", stage.stage.key()));
        assert_eq!(stage.days_to_next_count as u64, days["n"].as_u64().unwrap_or_default());
    }
}
on_both_databases!(the_funnel_matches_the_expected_figures, funnel_matches);

async fn alerts_match(t: &TestDb) {
    let frames = frames_of_sample(t).await;
    let expected = expected();
    let mut got: Vec<(String, String)> = alerts::alerts(&frames, day("2025-12-31"), day("2025-01-01"))
        .expect("alerts")
        .into_iter()
        .filter(|a| a.kind != alerts::AlertKind::OpenIssueAging)
        .map(|a| (a.kind.key().to_string(), a.project.unwrap_or(a.unit)))
        .collect();
    got.sort();
    let want: Vec<(String, String)> = expected["alerts year 2025 asOf 2025-12-31 (open_issue_aging not listed)"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|pair| {
            (pair[0].as_str().unwrap_or_default().to_string(), pair[1].as_str().unwrap_or_default().to_string())
        })
        .collect();
    assert_eq!(got, want);
}
on_both_databases!(alerts_match_the_expected_figures, alerts_match);

async fn scorecards_match(t: &TestDb) {
    let frames = frames_of_sample(t).await;
    let expected = expected();
    for (key, year, quarter) in [("scorecards 2025 Q3", 2025, 3), ("scorecards 2026 Q1", 2026, 1)] {
        let cards = scorecards(&frames, year, quarter, &ScoringConfig::default()).expect("scorecards");
        let want = expected[key].as_object().expect("cards");
        assert_eq!(cards.len(), want.len(), "{key}: P01 has no target, so no score");
        for card in &cards {
            let w = &want[&card.unit];
            close(Some(card.score), &w["score"], &format!("{key} {} score", card.unit));
            assert_eq!(card.rank as u64, w["rank"].as_u64().unwrap_or_default(), "{key} {} rank", card.unit);
            assert_eq!(
                card.accountability,
                w["accountability"].as_bool().unwrap_or_default(),
                "{key} {} accountability",
                card.unit
            );
        }
    }
}
on_both_databases!(scorecards_match_the_expected_figures, scorecards_match);
