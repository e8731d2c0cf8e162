//! The metric rules on a small hand-made district, each expected figure worked out by
//! hand in a comment: implied stage dates, as-of cut-offs, month and quarter
//! boundaries, 29 February, YoY on a zero base, empty cohorts, terminated projects in a
//! cohort, units without targets, tied ranks, accountability across a year boundary,
//! stalled projects with fai = 0 rows; then every analytics field through GraphQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use common::{Api, TestDb, error_codes, viewer};
use entities::{progress, project, target, unit};
use serde_json::json;
use zhaoshang::analytics::alerts::{AlertKind, alerts};
use zhaoshang::analytics::cohort::{cohort, pipeline};
use zhaoshang::analytics::scorecard::{ScoringConfig, scorecards};
use zhaoshang::analytics::volume::{Granularity, trend};
use zhaoshang::analytics::{Engine, Frames, Metric, ProjectFilter};
use zhaoshang::api::auth::Role;
use zhaoshang::ledger::Ledger;
use zhaoshang::rules::Stage;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn p(code: &str, unit: &str, wan: i64, dates: &[(&str, &str)]) -> project::Model {
    let mut m = project::Model {
        code: code.into(),
        name: format!("项目{code}"),
        unit_code: unit.into(),
        industry_name: "智能制造".into(),
        total_investment: wan * 10_000,
        public: true,
        ..Default::default()
    };
    for (column, date) in dates {
        let d = Some(day(date));
        match *column {
            "intent" => m.intent_date = d,
            "signed" => m.signed_date = d,
            "started" => m.started_date = d,
            "producing" => m.producing_date = d,
            "planned_start" => m.planned_start_date = d,
            "terminated" => m.terminated_date = d,
            other => panic!("unknown column {other}"),
        }
    }
    m
}

/// The hand-made district:
/// - A (U1): only started 2024-02-29 (signed, intent implied that day); 1,000 万 exactly.
/// - B (U1): intent 2024-01-31, signed 2024-03-31, started 2024-04-01; 999.9999 万 is
///   written 1,000 万 − 1 yuan below (so not 千万元以上).
/// - F (U2): signed 2024-06-01. G (U3): signed 2024-07-01.
/// - C (U2): intent 2024-12-31, signed 2025-01-01, terminated 2025-06-30.
/// - D (U2): signed 2025-03-31, started 2025-04-01; progress 2025-04 fai 100 万, then
///   2025-10..12 with fai 0.
/// - H (U1): signed 2025-02-10. I (U3): signed 2025-03-01, planned start 2025-05-01.
/// - U4 has no project and no target; U5 has targets and no project.
///
/// Targets: signed_count 4 for U1, U2, U3, U5 in 2024 and 2025.
fn district() -> Ledger {
    let units = ["U1", "U2", "U3", "U4", "U5"]
        .iter()
        .enumerate()
        .map(|(i, c)| (i + 2, unit::Model { code: c.to_string(), name: format!("单位{c}"), kind: Some("镇".into()) }))
        .collect();
    let mut b = p("B", "U1", 1000, &[("intent", "2024-01-31"), ("signed", "2024-03-31"), ("started", "2024-04-01")]);
    b.total_investment -= 1;
    let projects = vec![
        p("A", "U1", 1000, &[("started", "2024-02-29")]),
        b,
        p("F", "U2", 300, &[("signed", "2024-06-01")]),
        p("G", "U3", 300, &[("signed", "2024-07-01")]),
        p("C", "U2", 500, &[("intent", "2024-12-31"), ("signed", "2025-01-01"), ("terminated", "2025-06-30")]),
        p("D", "U2", 2000, &[("signed", "2025-03-31"), ("started", "2025-04-01")]),
        p("H", "U1", 100, &[("signed", "2025-02-10")]),
        p("I", "U3", 100, &[("signed", "2025-03-01"), ("planned_start", "2025-05-01")]),
    ];
    let progress = [("2025-04-01", 100), ("2025-10-01", 0), ("2025-11-01", 0), ("2025-12-01", 0)]
        .iter()
        .enumerate()
        .map(|(i, (month, wan))| {
            let yuan = Some(wan * 10_000);
            (
                i + 2,
                progress::Model {
                    project_code: "D".into(),
                    month: day(month),
                    fai: yuan,
                    funds_arrived: yuan,
                    out_of_region_funds: Some(0),
                },
            )
        })
        .collect();
    let mut targets = Vec::new();
    for unit in ["U1", "U2", "U3", "U5"] {
        for year in [2024, 2025] {
            let row = targets.len() + 2;
            targets
                .push((row, target::Model { unit_code: unit.into(), year, metric: "signed_count".into(), value: 4 }));
        }
    }
    Ledger {
        units,
        projects: projects.into_iter().enumerate().map(|(i, p)| (i + 2, p)).collect(),
        progress,
        targets,
        ..Default::default()
    }
}

async fn frames(t: &TestDb) -> Frames {
    zhaoshang::jobs::import_ledger(&t.db, district(), "test", "hand-made").await.expect("the district is valid");
    Frames::load(&t.db).await.unwrap()
}

fn values(
    frames: &Frames,
    metric: Metric,
    from: &str,
    to: &str,
    g: Granularity,
    as_of: &str,
) -> Vec<(String, i64, Option<f64>)> {
    trend(frames, metric, day(from), day(to), g, &ProjectFilter::default(), day(as_of))
        .unwrap()
        .into_iter()
        .map(|p| (p.period, p.value.expect("a period up to the as-of day has figures"), p.yoy))
        .collect()
}

async fn volumes_follow_the_rules(t: &TestDb) {
    let f = frames(t).await;
    let all = ProjectFilter::default();
    // A's signing is implied by its start on 29 Feb; B signed on 31 Mar.
    let signed = values(&f, Metric::SignedCount, "2024-02-01", "2024-04-01", Granularity::Month, "2026-01-01");
    assert_eq!(signed, [("2024-02".into(), 1, None), ("2024-03".into(), 1, None), ("2024-04".into(), 0, None)]);
    // On the as-of day counts, the day before does not.
    let total = |as_of: &str| {
        zhaoshang::analytics::volume::total(
            &f,
            Metric::SignedCount,
            &all,
            day("2024-03-01"),
            day("2024-03-31"),
            day(as_of),
        )
        .unwrap()
    };
    assert_eq!((total("2024-03-30"), total("2024-03-31")), (0, 1));
    // Quarters: Q1 2024 signed A and B; B started on 1 April, the first day of Q2.
    let q = values(&f, Metric::SignedCount, "2024-01-01", "2024-06-01", Granularity::Quarter, "2026-01-01");
    assert_eq!(q, [("2024-Q1".into(), 2, None), ("2024-Q2".into(), 1, None)], "2023 had nothing: YoY null");
    let starts = values(&f, Metric::NewStarts, "2024-01-01", "2024-06-01", Granularity::Quarter, "2026-01-01");
    assert_eq!(starts.iter().map(|s| s.1).collect::<Vec<_>>(), [1, 1]);
    // 千万元以上: A is exactly 1,000 万 (counts); B is 1 yuan short.
    let big = values(&f, Metric::NewStarts10m, "2024-01-01", "2024-12-01", Granularity::Year, "2026-01-01");
    assert_eq!(big, [("2024".into(), 1, None)]);
    // 2025 Q1 signed C, H, I, D = 4 against 2 in 2024 Q1: YoY = 4/2 − 1 = 1.
    let q1 = values(&f, Metric::SignedCount, "2025-01-01", "2025-03-01", Granularity::Quarter, "2026-01-01");
    assert_eq!(q1, [("2025-Q1".into(), 4, Some(1.0))]);
    // Progress counts up to the month of the as-of day: October's row on 15 Oct.
    let fai = |as_of: &str| {
        zhaoshang::analytics::volume::total(&f, Metric::Fai, &all, day("2025-01-01"), day("2025-12-31"), day(as_of))
            .unwrap()
    };
    assert_eq!((fai("2025-03-31"), fai("2025-04-01")), (0, 1_000_000));
    // A unit filter.
    let u2 = ProjectFilter { units: vec!["U2".into()], ..Default::default() };
    assert_eq!(
        zhaoshang::analytics::volume::total(
            &f,
            Metric::SignedInvestment,
            &u2,
            day("2025-01-01"),
            day("2025-12-31"),
            day("2026-01-01")
        )
        .unwrap(),
        25_000_000
    );
}
on_both_databases!(volumes_follow_the_rules_on, volumes_follow_the_rules);

async fn cohorts_follow_the_rules(t: &TestDb) {
    let f = frames(t).await;
    let all = ProjectFilter::default();
    // Nobody signed in 2023: an empty cohort gives nulls, never 0.
    let empty = cohort(&f, day("2023-01-01"), day("2023-12-31"), day("2025-12-31"), &all).unwrap();
    assert_eq!((empty.size(), empty.landing_rate(), empty.fund_arrival_rate()), (0, None, None));
    // 2025: C (terminated, never started), D (started), H, I → landing 1/4; C stays in.
    let c = cohort(&f, day("2025-01-01"), day("2025-12-31"), day("2025-12-31"), &all).unwrap();
    assert_eq!(c.members, ["C", "D", "H", "I"]);
    assert_eq!(c.landing_rate(), Some(0.25));
    assert_eq!(c.fulfillment_rate(), Some(0.25), "D started; nobody else has funds");
    // funds 100 万 / (500 + 2000 + 100 + 100) 万.
    assert_eq!(c.fund_arrival_rate(), Some(100.0 / 2700.0));
    // Pipeline on 2025-12-31: C is terminated and left out; A producing? no: started.
    let stages = pipeline(&f, day("2025-12-31"), &all).unwrap();
    let count = |s: Stage| stages.iter().find(|p| p.stage == s).unwrap().count;
    assert_eq!((count(Stage::Signed), count(Stage::Started)), (4, 3), "F, G, H, I signed; A, B, D started");
}
on_both_databases!(cohorts_follow_the_rules_on, cohorts_follow_the_rules);

async fn alerts_follow_the_rules(t: &TestDb) {
    let f = frames(t).await;
    let found = alerts(&f, day("2025-12-31"), day("2025-01-01")).unwrap();
    let of = |kind: AlertKind| -> Vec<String> {
        found.iter().filter(|a| a.kind == kind).map(|a| a.project.clone().unwrap_or(a.unit.clone())).collect()
    };
    // Intake 2025 (reach INTENT in 2025): C's intent is 2024-12-31, so only D, H, I count.
    assert_eq!(of(AlertKind::ZeroIntake), ["U4", "U5"]);
    assert_eq!(of(AlertKind::ZeroSigning), ["U4", "U5"]);
    // U1 signed H, U3 signed I in 2025 and neither started; U2's D started.
    assert_eq!(of(AlertKind::NoneLanded), ["U1", "U3"]);
    assert_eq!(of(AlertKind::OverdueStart), ["I"]);
    // D started in April, and its October–December rows all have fai = 0.
    assert_eq!(of(AlertKind::Stalled), ["A", "B", "D"]);
    let june = alerts(&f, day("2025-06-30"), day("2025-01-01")).unwrap();
    assert!(
        !june.iter().any(|a| a.kind == AlertKind::Stalled && a.project.as_deref() == Some("D")),
        "started less than 3 months before June"
    );
}
on_both_databases!(alerts_follow_the_rules_on, alerts_follow_the_rules);

async fn rankings_follow_the_rules(t: &TestDb) {
    let f = frames(t).await;
    let config = ScoringConfig { bottom: 1, ..Default::default() };
    // 2024 Q4: U1 2/4 → 50, U2 1/4 → 25, U3 1/4 → 25, U5 0 → ranks 1, 2, 2, 4; U4 has no target.
    let q4 = scorecards(&f, 2024, 4, &config).unwrap();
    let ranks: Vec<(&str, usize)> = q4.iter().map(|c| (c.unit.as_str(), c.rank)).collect();
    assert_eq!(ranks, [("U1", 1), ("U2", 2), ("U3", 2), ("U5", 4)]);
    assert_eq!(q4.iter().map(|c| c.score).collect::<Vec<_>>(), [50.0, 25.0, 25.0, 0.0]);
    // 2025 Q1 (pro rata target 1): U2 signed C and D → 2, capped at 1.5 → 150; U1 and U3
    // 100; U5 0 and at the bottom again after 2024 Q4 → accountability across the year.
    let q1 = scorecards(&f, 2025, 1, &config).unwrap();
    let summary: Vec<(&str, f64, usize, bool)> =
        q1.iter().map(|c| (c.unit.as_str(), (c.score * 1e6).round() / 1e6, c.rank, c.accountability)).collect();
    assert_eq!(
        summary,
        [("U2", 150.0, 1, false), ("U1", 100.0, 2, false), ("U3", 100.0, 2, false), ("U5", 0.0, 4, true)]
    );
    assert!(scorecards(&f, 2025, 5, &config).is_err());
}
on_both_databases!(rankings_follow_the_rules_on, rankings_follow_the_rules);

#[test]
fn scoring_weights_come_from_toml() {
    let config = ScoringConfig::from_toml("bottom = 2\n[weights]\nfai = 0.5\n").unwrap();
    assert_eq!(config.bottom, 2);
    assert_eq!(config.weights.fai, 0.5);
    assert_eq!(config.weights.signed_investment, 0.30, "absent keys keep the spec's defaults");
    assert!(ScoringConfig::from_toml("[weights]\nfai = -1\n").is_err());
    assert!(ScoringConfig::from_toml("botom = 2\n").is_err(), "a misspelt key is an error, not ignored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_rebuilds_its_frames_when_the_data_changes() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_ledger(&t.db, district(), "test", "hand-made").await.unwrap();
    let engine = Engine::new(t.db.clone());
    let first = engine.frames().await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &engine.frames().await.unwrap()), "unchanged data: the same frames");
    let api = Api::new(&t.db);
    let r = api
        .run_as(
            &viewer(Role::Admin, None),
            r#"mutation { advanceStage(code: "H", stage: STARTED, date: "2025-03-01") { code } }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new());
    let second = engine.frames().await.unwrap();
    assert!(second.version() > first.version());
    let started = engine
        .run(|f| {
            zhaoshang::analytics::volume::total(
                f,
                Metric::NewStarts,
                &ProjectFilter::default(),
                day("2025-01-01"),
                day("2025-12-31"),
                day("2025-12-31"),
            )
        })
        .await
        .unwrap();
    assert_eq!(started, 2, "D and now H");
}

async fn every_analytics_field_answers(t: &TestDb) {
    zhaoshang::jobs::import_ledger(&t.db, district(), "test", "hand-made").await.unwrap();
    let api = Api::new(&t.db);
    let r = api
        .run_as(
            &viewer(Role::Analyst, None),
            r#"{
              trend(metric: SIGNED_COUNT, from: "2025-01", to: "2025-12", granularity: YEAR, asOf: "2025-12-31", filter: { units: ["U2"] }) { period value cumulative yoy }
              money: trend(metric: FAI, from: "2025-04", to: "2025-04", asOf: "2025-12-31") { value }
              cohort(signedFrom: "2025-01-01", signedTo: "2025-12-31", asOf: "2025-12-31") { size landingRate productionRate fulfillmentRate registrationRate fundArrivalRate landed { code } notLanded { code } }
              empty: cohort(signedFrom: "2023-01-01", signedTo: "2023-12-31") { size landingRate }
              funnel(intakeFrom: "2024-01-01", intakeTo: "2024-12-31", asOf: "2025-12-31") { intentToProduction stages { stage reached conversionToNext daysToNextMedian daysToNextP90 } }
              pipeline(asOf: "2025-12-31") { stage count investmentWan }
              alerts(asOf: "2025-12-31") { kind label unitCode projectCode }
              scorecards(year: 2025, quarter: 1, bottom: 1) { unitCode score rank bottom accountability metrics { metric target actual attainment weight } }
              unit(code: "U5") { scorecard(year: 2025, quarter: 1, bottom: 1) { rank accountability } alerts(asOf: "2025-12-31") { kind } }
              noTarget: unit(code: "U4") { scorecard(year: 2025, quarter: 1) { rank } }
            }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let d = &r["data"];
    assert_eq!(
        d["trend"],
        json!([{ "period": "2025", "value": 2.0, "cumulative": 2.0, "yoy": 1.0 }]),
        "U2: C, D against F"
    );
    assert_eq!(d["money"], json!([{ "value": 100.0 }]), "万元");
    assert_eq!(d["cohort"]["size"], json!(4));
    assert_eq!(d["cohort"]["landed"], json!([{ "code": "D" }]));
    assert_eq!(d["cohort"]["notLanded"], json!([{ "code": "C" }, { "code": "H" }, { "code": "I" }]));
    assert_eq!(d["empty"], json!({ "size": 0, "landingRate": null }));
    // Intake 2024: A, F, G (implied by later stages), B, C; none producing.
    assert_eq!(d["funnel"]["stages"][0]["reached"], json!(5));
    assert_eq!(d["funnel"]["intentToProduction"], json!(0.0));
    assert_eq!(d["pipeline"].as_array().unwrap().len(), 6);
    assert!(
        d["alerts"]
            .as_array()
            .unwrap()
            .contains(&json!({ "kind": "STALLED", "label": "开而未建", "unitCode": "U2", "projectCode": "D" }))
    );
    assert_eq!(
        d["scorecards"][0]["metrics"][0],
        json!({ "metric": "SIGNED_COUNT", "target": 4.0, "actual": 2.0, "attainment": 1.5, "weight": 0.15 })
    );
    assert_eq!(d["unit"]["scorecard"], json!({ "rank": 4, "accountability": true }));
    assert_eq!(d["unit"]["alerts"], json!([{ "kind": "ZERO_INTAKE" }, { "kind": "ZERO_SIGNING" }]));
    assert_eq!(d["noTarget"]["scorecard"], serde_json::Value::Null);
    // Alerts and scorecards reach their projects and units through the loaders.
    let query = r#"{ alerts(asOf: "2025-12-31") { project { name } unit { name } } scorecards(year: 2025, quarter: 1) { unit { name } } }"#;
    let r = api.run_as(&viewer(Role::Analyst, None), query).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let stalled_d =
        r["data"]["alerts"].as_array().unwrap().iter().find(|a| a["project"]["name"] == json!("项目D")).unwrap();
    assert_eq!(stalled_d["unit"]["name"], json!("单位U2"));
    assert_eq!(r["data"]["scorecards"][0]["unit"]["name"], json!("单位U2"));
    let bad = api
        .run_as(&viewer(Role::Analyst, None), r#"{ trend(metric: FAI, from: "2025-13", to: "2025-12") { value } }"#)
        .await;
    assert_eq!(error_codes(&bad), vec!["BAD_INPUT"]);
}
on_both_databases!(every_analytics_field_answers_on, every_analytics_field_answers);
