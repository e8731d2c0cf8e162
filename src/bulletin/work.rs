//! The bulletin's sections on the work around the pipeline: contacts and visits (客商
//! 对接), what was signed at events and has not landed (以会招商), incentives overdue
//! (政策兑现), and supervision items overdue by level (督办, 分级通报). Confidential
//! text (contacts, summaries, supervision descriptions) never appears here.

use chrono::{Datelike, NaiveDate};

use crate::analytics::Frames;
use crate::analytics::alerts::{Alert, AlertKind};
use crate::analytics::engagement::{EngagementGroup, funnel};
use crate::analytics::events::{events_in, report};
use crate::money::format_wan;

/// One section: heading, table header, rows.
pub(super) type Section = (String, Vec<String>, Vec<Vec<String>>);

/// Names of units and projects as the bulletin writes them.
pub(super) struct Names<'a> {
    /// A unit's name by code.
    pub unit: &'a dyn Fn(&str) -> String,
    /// A project's name and code by code.
    pub project: &'a dyn Fn(&str) -> String,
}

fn rate(x: Option<f64>) -> String {
    x.map_or("—".into(), crate::charts::theme::percent)
}

/// The five sections, numbered from 六 on, as of `as_of` (contacts for the year to date).
pub(super) fn sections(frames: &Frames, as_of: NaiveDate, alerts: &[Alert], names: &Names) -> Vec<Section> {
    let work = &frames.work();
    let january = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of);
    let mut out = Vec::new();

    let mut rows: Vec<Vec<String>> = funnel(work, january, as_of, as_of, EngagementGroup::Unit)
        .into_iter()
        .map(|r| {
            let unit = r.group.as_deref().map_or_else(|| "—".to_string(), |u| (names.unit)(u));
            vec![unit, r.contacted.to_string(), r.visited.to_string(), r.intent.to_string(), r.signed.to_string()]
        })
        .collect();
    if let Some(total) = funnel(work, january, as_of, as_of, EngagementGroup::None).first() {
        rows.push(vec![
            "合计".into(),
            total.contacted.to_string(),
            format!("{}（{}）", total.visited, rate(total.visit_rate())),
            format!("{}（{}）", total.intent, rate(total.intent_rate())),
            format!("{}（{}）", total.signed, rate(total.signing_rate())),
        ]);
    }
    out.push((
        "六、客商对接与来区考察（年初至今首次对接）".to_string(),
        ["单位", "初步对接（家）", "来区考察", "达成意向", "签约"].map(String::from).to_vec(),
        rows,
    ));
    let mut overdue: Vec<&Alert> = alerts.iter().filter(|a| a.kind == AlertKind::OverdueFollowUp).collect();
    overdue.sort_by_key(|a| std::cmp::Reverse(a.age_days));
    out.push((
        "七、客商跟进逾期".to_string(),
        ["单位", "客商", "逾期天数"].map(String::from).to_vec(),
        overdue
            .iter()
            .map(|a| {
                vec![(names.unit)(&a.unit), a.investor.clone().unwrap_or_default(), a.age_days.unwrap_or(0).to_string()]
            })
            .collect(),
    ));

    let mut rows = Vec::new();
    for event in events_in(work, None, Some(as_of)) {
        let r = report(work, &event.code, as_of);
        if r.signed_count() == 0 {
            continue;
        }
        let not_landed: Vec<String> = r.not_landed.iter().map(|c| (names.project)(c)).collect();
        rows.push(vec![
            event.name.clone(),
            r.signed_count().to_string(),
            format_wan(r.signed.total_investment),
            rate(r.signed.landing_rate()),
            if not_landed.is_empty() { "无".into() } else { not_landed.join("、") },
        ]);
    }
    out.push((
        "八、以会招商：当会签约项目落地情况".to_string(),
        ["活动", "签约项目（个）", "签约金额（万元）", "落地率", "仍未落地项目"].map(String::from).to_vec(),
        rows,
    ));

    let mut incentives: Vec<&Alert> = alerts.iter().filter(|a| a.kind == AlertKind::OverdueIncentive).collect();
    incentives.sort_by_key(|a| std::cmp::Reverse(a.age_days));
    out.push((
        "九、政策兑现逾期".to_string(),
        ["单位", "项目", "未兑现金额（万元）", "逾期天数"].map(String::from).to_vec(),
        incentives
            .iter()
            .map(|a| {
                vec![
                    (names.unit)(&a.unit),
                    (names.project)(a.project.as_deref().unwrap_or_default()),
                    format_wan(a.amount.unwrap_or(0)),
                    a.age_days.unwrap_or(0).to_string(),
                ]
            })
            .collect(),
    ));

    let mut items: Vec<&Alert> = alerts.iter().filter(|a| a.kind == AlertKind::OverdueSupervision).collect();
    // The gravest first: 约谈, then 通报, then 提醒; within a level, the longest overdue.
    items.sort_by_key(|a| std::cmp::Reverse(a.age_days));
    out.push((
        "十、督办事项逾期（分级通报）".to_string(),
        ["等级", "单位", "督办编号", "逾期天数"].map(String::from).to_vec(),
        items
            .iter()
            .map(|a| {
                vec![
                    a.level.unwrap_or_default().to_string(),
                    (names.unit)(&a.unit),
                    a.supervision.clone().unwrap_or_default(),
                    a.age_days.unwrap_or(0).to_string(),
                ]
            })
            .collect(),
    ));
    out
}
