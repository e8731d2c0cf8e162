//! The figures of the work around the pipeline (`docs/metrics.md`: engagement funnel,
//! events, incentives, supervision, more alerts) on the sample ledger's sheets
//! `investors`, `events`, `engagements`, `incentives` and `supervision`, worked out by
//! hand (the working is in the comments) — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use common::{TestDb, sample_csv};
use zhaoshang::analytics::Frames;
use zhaoshang::analytics::alerts::{AlertKind, alerts};
use zhaoshang::analytics::engagement::{EngagementGroup, FunnelRow, funnel};
use zhaoshang::analytics::events::{events_in, report};
use zhaoshang::analytics::incentives::{IncentiveGroup, summary as incentive_summary};
use zhaoshang::analytics::supervision::{SupervisionGroup, level, summary as supervision_summary};

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

async fn frames_of_sample(t: &TestDb) -> Frames {
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.expect("import");
    Frames::load(&t.db).await.expect("frames")
}

fn row(group: Option<&str>, contacted: usize, visited: usize, intent: usize, signed: usize) -> FunnelRow {
    FunnelRow { group: group.map(str::to_string), contacted, visited, intent, signed }
}

fn close(actual: Option<f64>, expected: f64, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what} is null"));
    assert!((actual - expected).abs() < 1e-12, "{what}: {actual} ≠ {expected}");
}

async fn the_engagement_funnel_of_2025(t: &TestDb) {
    let f = frames_of_sample(t).await;
    let (from, to, d) = (day("2025-01-01"), day("2025-12-31"), day("2025-12-31"));
    // First contacts in 2025 (earliest engagement; unit and outpost of that one):
    //   某机器人 2025-01-08 D02 深圳驻点 — visit 01-20; ZS25003 intent 02-10, signed 05-08
    //   深圳智联 2025-03-10 D03 深圳驻点 — no visit, no project
    //   佛山陶瓷商会 2025-04-02 P01 (tie with T02 the same day: the smallest code), no outpost
    //   秦岭文旅 2025-06-10 T02 — its ZS24006 reached intent 2024-03-03, before first
    //     contact: not this contact's result
    //   某铝业 2025-06-15 D02 — visit 08-20; ZS26001 intent 2025-10-09, signed 2026-03-20 > D
    //   某光电 2025-07-01 D03 深圳驻点 — nothing more
    //   某模具 2025-11-05 T03 — a visit that day
    // (安泰 2023, 华瓷 2024, 顺达 2024 were first contacted before 2025.)
    // contacted 7, visited 3 (机器人, 铝业, 模具), intent 2 (机器人, 铝业), signed 1 (机器人).
    let all = funnel(f.work(), from, to, d, EngagementGroup::None);
    assert_eq!(all, vec![row(None, 7, 3, 2, 1)]);
    close(all[0].visit_rate(), 3.0 / 7.0, "visit rate");
    close(all[0].intent_rate(), 2.0 / 7.0, "intent rate");
    close(all[0].signing_rate(), 1.0 / 7.0, "signing rate");
    let by_unit = funnel(f.work(), from, to, d, EngagementGroup::Unit);
    assert_eq!(
        by_unit,
        vec![
            row(Some("D02"), 2, 2, 2, 1), // 机器人, 铝业
            row(Some("D03"), 2, 0, 0, 0), // 智联, 光电
            row(Some("P01"), 1, 0, 0, 0), // 佛山陶瓷商会
            row(Some("T02"), 1, 0, 0, 0), // 秦岭文旅
            row(Some("T03"), 1, 1, 0, 0), // 某模具
        ]
    );
    let by_outpost = funnel(f.work(), from, to, d, EngagementGroup::Outpost);
    // 深圳驻点: 机器人, 智联, 光电; no outpost (last): 佛山, 秦岭, 铝业, 模具.
    assert_eq!(by_outpost, vec![row(Some("深圳驻点"), 3, 1, 1, 1), row(None, 4, 2, 1, 0)]);
    // As of 2025-06-30 only what happened by then counts: 机器人, 智联, 佛山, 秦岭, 铝业
    // were contacted; only 机器人 had visited (铝业 came 08-20), reached intent and signed.
    assert_eq!(funnel(f.work(), from, to, day("2025-06-30"), EngagementGroup::None), vec![row(None, 5, 1, 1, 1)]);
    // An empty cohort: one row of zeros, rates null.
    let empty = funnel(f.work(), day("2022-01-01"), day("2022-12-31"), d, EngagementGroup::None);
    assert_eq!(empty, vec![row(None, 0, 0, 0, 0)]);
    assert_eq!(empty[0].visit_rate(), None);
    assert!(funnel(f.work(), day("2022-01-01"), day("2022-12-31"), d, EngagementGroup::Unit).is_empty());
}
on_both_databases!(the_engagement_funnel_of_2025_is_worked_by_hand, the_engagement_funnel_of_2025);

async fn event_reports(t: &TestDb) {
    let f = frames_of_sample(t).await;
    let d = day("2025-12-31");
    // Events overlapping 2025: 第九届丝博会 (05-20..24) and 深圳招商推介会 (09-12).
    let in_2025: Vec<&str> =
        events_in(f.work(), Some(day("2025-01-01")), Some(day("2025-12-31"))).iter().map(|e| e.code.as_str()).collect();
    assert_eq!(in_2025, ["E2025-01", "E2025-02"]);
    // A period touching only the last day of 第八届丝博会 (05-11..15) still holds it.
    let last_day: Vec<&str> =
        events_in(f.work(), Some(day("2024-05-15")), Some(day("2024-05-15"))).iter().map(|e| e.code.as_str()).collect();
    assert_eq!(last_day, ["E2024-01"]);
    assert_eq!(events_in(f.work(), None, None).len(), 4);

    // 第八届丝博会: attendees 安泰 and 华瓷 (05-12). Projects signed there: ZS24001 32000,
    // ZS24002 18500.5, ZS24005 86000, ZS24008 6500 → 4 projects, 143000.5 万元.
    // Started by D: ZS24001 (2024-04-26), ZS24002 (2024-09-03) → landing 2/4.
    // Producing: ZS24001 (2025-07-18) → 1/4. Funds up to 2025-12: ZS24001 1500+2000+3000+2500
    // = 9000, ZS24002 1000+1200+0+2000 = 4200, ZS24008 500 → 13700 / 143000.5.
    // Not landed: ZS24005, ZS24008 (neither terminated).
    let eighth = report(f.work(), "E2024-01", d);
    assert_eq!((eighth.attendees, eighth.signed_count()), (2, 4));
    assert_eq!(eighth.signed.total_investment, 1_430_005_000);
    close(eighth.signed.landing_rate(), 0.5, "landing");
    close(eighth.signed.production_rate(), 0.25, "production");
    close(eighth.signed.fund_arrival_rate(), 13_700.0 / 143_000.5, "fund arrival");
    assert_eq!(eighth.not_landed, ["ZS24005", "ZS24008"]);

    // 第九届丝博会: attendees 顺达, 深圳智联. ZS25001 28000 (started 2025-06-20), ZS25002
    // 999.9999 (not started), ZS25003 1000 (started 2025-07-01) → 3, 29999.9999 万元,
    // landing 2/3, production 0/3; funds by 2025-12: ZS25001 2000+2400 (2026-01 later),
    // ZS25003 200+300 → 4900 / 29999.9999.
    let ninth = report(f.work(), "E2025-01", d);
    assert_eq!((ninth.attendees, ninth.signed_count(), ninth.signed.total_investment), (2, 3, 299_999_999));
    close(ninth.signed.landing_rate(), 2.0 / 3.0, "landing");
    close(ninth.signed.production_rate(), 0.0, "production");
    close(ninth.signed.fund_arrival_rate(), 4_900.0 / 29_999.999_9, "fund arrival");
    assert_eq!(ninth.not_landed, ["ZS25002"]);

    // 第十届丝博会 (2026): ZS26001 signs 2026-03-20, after D → E is empty, rates null.
    let tenth = report(f.work(), "E2026-01", d);
    assert_eq!((tenth.attendees, tenth.signed_count()), (0, 0));
    assert_eq!((tenth.signed.landing_rate(), tenth.signed.fund_arrival_rate()), (None, None));
    // A year later it has one.
    assert_eq!(report(f.work(), "E2026-01", day("2026-12-31")).signed_count(), 1);
}
on_both_databases!(event_reports_are_worked_by_hand, event_reports);

async fn incentives(t: &TestDb) {
    let f = frames_of_sample(t).await;
    let d = day("2025-12-31");
    // Due by D (due_date ≤ D): ZS24001 固投奖励 500 (paid 500 on 2025-08-15), ZS24001 税收返还
    // 300 (100 on 2025-12-20), ZS24002 厂房租金 120 (0), ZS25001 落户补贴 200 (150 on
    // 2025-10-20), ZS24006 文旅用地 1000 (1000 on 2026-01-10, after D → 0). ZS25003 贴息 is
    // due 2026-06-30. promised 2120, paid 750, rate 750/2120.
    // Overdue (due_date < D, paid < promised): ZS24002, ZS25001, ZS24006 → 3 (税收返还 is
    // due on D itself, not before).
    let all = incentive_summary(&f.work().incentives, f.project_units(), d, IncentiveGroup::None);
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].promised, all[0].paid, all[0].overdue_count), (21_200_000, 7_500_000, 3));
    close(all[0].payment_rate(), 750.0 / 2120.0, "payment rate");
    let by_unit: Vec<_> = incentive_summary(&f.work().incentives, f.project_units(), d, IncentiveGroup::Unit)
        .into_iter()
        .map(|r| (r.group.unwrap(), r.promised / 10_000, r.paid / 10_000, r.overdue_count))
        .collect();
    // D02: ZS24001's two (800, 600); P01: ZS24002; T01: ZS25001; T02: ZS24006.
    assert_eq!(
        by_unit,
        [
            ("D02".to_string(), 800, 600, 0),
            ("P01".into(), 120, 0, 1),
            ("T01".into(), 200, 150, 1),
            ("T02".into(), 1000, 0, 1)
        ]
    );
    let by_kind: Vec<_> = incentive_summary(&f.work().incentives, f.project_units(), d, IncentiveGroup::Kind)
        .into_iter()
        .map(|r| (r.group.unwrap(), r.promised / 10_000, r.paid / 10_000, r.overdue_count))
        .collect();
    // 资金奖补: 500 + 200, paid 500 + 150; 贷款贴息 is not due yet: no row.
    assert_eq!(
        by_kind,
        [
            ("厂房租金".to_string(), 120, 0, 1),
            ("土地".into(), 1000, 0, 1),
            ("税收返还".into(), 300, 100, 0),
            ("资金奖补".into(), 700, 650, 1),
        ]
    );
    // Before anything is due: promised 0, rate null.
    let early = incentive_summary(&f.work().incentives, f.project_units(), day("2024-12-31"), IncentiveGroup::None);
    assert_eq!((early[0].promised, early[0].payment_rate()), (0, None));
}
on_both_databases!(incentive_payment_is_worked_by_hand, incentives);

async fn supervision(t: &TestDb) {
    let f = frames_of_sample(t).await;
    let d = day("2025-12-31");
    let (from, to) = (day("2025-01-01"), day("2025-12-31"));
    // Open on D: S2025-03 (deadline 12-20), -04 (11-30), -05 (12-10), -06 (2026-02-28) → 4;
    // overdue: -03, -04, -05 → 3. Due in 2025: S2025-01..05 → 5; on time: S2025-01 (closed
    // 03-20 ≤ 03-31) only (S2025-02 closed 08-10 after 06-30) → 1/5.
    let all = supervision_summary(&f.work().supervision, from, to, d, SupervisionGroup::None);
    assert_eq!((all[0].open, all[0].overdue, all[0].due, all[0].on_time), (4, 3, 5, 1));
    close(all[0].on_time_rate(), 0.2, "on-time rate");
    let by_unit: Vec<_> = supervision_summary(&f.work().supervision, from, to, d, SupervisionGroup::Unit)
        .into_iter()
        .map(|r| (r.group.clone().unwrap(), r.open, r.overdue, r.due, r.on_time_rate()))
        .collect();
    // D02's only item (S2024-01) was closed in 2024 and due then: no row.
    assert_eq!(
        by_unit,
        [
            ("D03".to_string(), 0, 0, 1, Some(1.0)),
            ("D04".into(), 0, 0, 1, Some(0.0)),
            ("P01".into(), 1, 1, 1, Some(0.0)),
            ("T01".into(), 1, 0, 0, None),
            ("T02".into(), 1, 1, 1, Some(0.0)),
            ("T04".into(), 1, 1, 1, Some(0.0)),
        ]
    );
    assert_eq!([level(1), level(15), level(16), level(30), level(31)], ["提醒", "提醒", "通报", "通报", "约谈"]);
}
on_both_databases!(supervision_is_worked_by_hand, supervision);

async fn more_alerts(t: &TestDb) {
    let f = frames_of_sample(t).await;
    let d = day("2025-12-31");
    let found = alerts(&f, d, day("2025-01-01")).unwrap();
    let of = |kind| found.iter().filter(move |a| a.kind == kind);
    // Follow-ups (status 跟进中 or empty, nothing signed by D, latest day's next_date < D):
    //   某铝业: latest 2025-08-20 → next 10-15: 77 days (16 + 30 + 31), unit D02
    //   深圳智联 (status empty): latest 09-12 → 11-30: 31 days, D03
    //   佛山陶瓷商会: latest 04-02 twice (P01 next 06-30, T02 next 07-15): F = 07-15, 169
    //     days (16 + 31 + 30 + 31 + 30 + 31), unit P01 (the smaller code)
    //   not: 某光电 (放弃), 某模具 (暂停), 机器人/顺达/秦岭/安泰/华瓷 (signed).
    let follow_ups: Vec<_> = of(AlertKind::OverdueFollowUp)
        .map(|a| (a.unit.as_str(), a.investor.as_deref().unwrap(), a.age_days.unwrap()))
        .collect();
    assert_eq!(
        follow_ups,
        [("D02", "某铝业有限公司", 77), ("D03", "深圳市智联电子有限公司", 31), ("P01", "佛山陶瓷商会", 169)]
    );
    // Incentives: ZS24002 120 outstanding, 275 days after 03-31; ZS25001 50, 92 days
    // after 09-30; ZS24006 1000 (paid after D), 30 days after 12-01.
    let incentives: Vec<_> = of(AlertKind::OverdueIncentive)
        .map(|a| (a.unit.as_str(), a.project.as_deref().unwrap(), a.amount.unwrap() / 10_000, a.age_days.unwrap()))
        .collect();
    assert_eq!(incentives, [("P01", "ZS24002", 120, 275), ("T01", "ZS25001", 50, 92), ("T02", "ZS24006", 1000, 30)]);
    // Supervision: S2025-05 (P01) 21 days 通报, S2025-03 (T02) 11 days 提醒, S2025-04 (T04)
    // 31 days 约谈.
    let items: Vec<_> = of(AlertKind::OverdueSupervision)
        .map(|a| (a.unit.as_str(), a.supervision.as_deref().unwrap(), a.age_days.unwrap(), a.level.unwrap()))
        .collect();
    assert_eq!(
        items,
        [("P01", "S2025-05", 21, "通报"), ("T02", "S2025-03", 11, "提醒"), ("T04", "S2025-04", 31, "约谈")]
    );
}
on_both_databases!(the_overdue_alerts_are_worked_by_hand, more_alerts);
