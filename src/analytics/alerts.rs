//! Alerts as of a day (see `docs/metrics.md`, Alerts): units with no intake (零招引), no
//! signing (零签约) or none of their signed projects started (全军覆没); projects overdue
//! to start or produce, stalled (开而未建); element issues open, with their age.

use std::collections::HashSet;

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;

use super::volume::by_unit;
use super::{AnalyticsError, Frames, Metric, ProjectFilter, Step, date_lit, incentives, supervision};

/// The kinds of alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    /// 零招引: a unit took in no project in the period.
    ZeroIntake,
    /// 零签约: a unit signed nothing in the period.
    ZeroSigning,
    /// 签约项目全军覆没: a unit signed, but none of those projects has started.
    NoneLanded,
    /// 逾期未开工: past the planned start, not started.
    OverdueStart,
    /// 逾期未投产: past the planned production, not producing.
    OverdueProduction,
    /// 开而未建: started ≥ 3 months ago, not producing, no investment for 3 months.
    Stalled,
    /// 要素问题未解决: an element issue still open.
    OpenIssueAging,
    /// 跟进逾期: an investor being followed whose planned follow-up has passed.
    OverdueFollowUp,
    /// 兑现逾期: an incentive due and not fully paid.
    OverdueIncentive,
    /// 督办逾期: a supervision item open past its deadline.
    OverdueSupervision,
}

impl AlertKind {
    /// The key used in the API and `metrics.md`.
    pub fn key(self) -> &'static str {
        match self {
            AlertKind::ZeroIntake => "zero_intake",
            AlertKind::ZeroSigning => "zero_signing",
            AlertKind::NoneLanded => "none_landed",
            AlertKind::OverdueStart => "overdue_start",
            AlertKind::OverdueProduction => "overdue_production",
            AlertKind::Stalled => "stalled",
            AlertKind::OpenIssueAging => "open_issue_aging",
            AlertKind::OverdueFollowUp => "overdue_follow_up",
            AlertKind::OverdueIncentive => "overdue_incentive",
            AlertKind::OverdueSupervision => "overdue_supervision",
        }
    }

    /// The Chinese name used in bulletins.
    pub fn label_zh(self) -> &'static str {
        match self {
            AlertKind::ZeroIntake => "零招引",
            AlertKind::ZeroSigning => "零签约",
            AlertKind::NoneLanded => "签约项目全军覆没",
            AlertKind::OverdueStart => "逾期未开工",
            AlertKind::OverdueProduction => "逾期未投产",
            AlertKind::Stalled => "开而未建",
            AlertKind::OpenIssueAging => "要素问题未解决",
            AlertKind::OverdueFollowUp => "跟进逾期",
            AlertKind::OverdueIncentive => "兑现逾期",
            AlertKind::OverdueSupervision => "督办逾期",
        }
    }
}

/// One alert: about a unit, a project, or an issue of a project.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Alert {
    /// What kind.
    pub kind: AlertKind,
    /// The unit concerned (for project alerts, the project's unit).
    pub unit: String,
    /// The project concerned, if any.
    pub project: Option<String>,
    /// For open issues: days since it was raised; for overdue follow-ups, incentives
    /// and supervision items: days overdue.
    pub age_days: Option<i64>,
    /// For open issues: the issue's id.
    pub issue_id: Option<i32>,
    /// For overdue follow-ups: the investor.
    pub investor: Option<String>,
    /// For overdue supervision items: the item's code.
    pub supervision: Option<String>,
    /// For overdue supervision items: the level (提醒/通报/约谈).
    pub level: Option<&'static str>,
    /// For overdue incentives: the amount outstanding, yuan.
    pub amount: Option<i64>,
}

impl Alert {
    /// An alert of `kind` about `unit`, with nothing else said.
    pub fn new(kind: AlertKind, unit: &str) -> Alert {
        Alert {
            kind,
            unit: unit.to_string(),
            project: None,
            age_days: None,
            issue_id: None,
            investor: None,
            supervision: None,
            level: None,
            amount: None,
        }
    }

    /// The same alert about `project`.
    fn of_project(self, project: &str) -> Alert {
        Alert { project: Some(project.to_string()), ..self }
    }
}

fn unit_alert(kind: AlertKind, unit: &str) -> Alert {
    Alert::new(kind, unit)
}

/// Every alert as of `as_of` for the period from `period_start` to `as_of` (by
/// default the year of `as_of`), sorted by kind, unit, project.
pub fn alerts(frames: &Frames, as_of: NaiveDate, period_start: NaiveDate) -> Result<Vec<Alert>, AnalyticsError> {
    let all = ProjectFilter::default();
    let mut out = Vec::new();
    let intake = by_unit(frames, Metric::Intake, &all, period_start, as_of, as_of)?;
    super::check_cancelled()?;
    let signed = by_unit(frames, Metric::SignedCount, &all, period_start, as_of, as_of)?;
    super::check_cancelled()?;
    let landed = landed_signed_by_unit(frames, period_start, as_of)?;
    super::check_cancelled()?;
    for unit in frames.units.iter() {
        let code = unit.code.as_str();
        if intake.get(code).copied().unwrap_or(0) == 0 {
            out.push(unit_alert(AlertKind::ZeroIntake, code));
        }
        let signed_count = signed.get(code).copied().unwrap_or(0);
        if signed_count == 0 {
            out.push(unit_alert(AlertKind::ZeroSigning, code));
        } else if !landed.contains(code) {
            out.push(unit_alert(AlertKind::NoneLanded, code));
        }
    }

    let reached = |s: usize| col(format!("reach_{s}")).lt_eq(date_lit(as_of)).fill_null(lit(false));
    let live = col("terminated").gt(date_lit(as_of)).fill_null(lit(true));
    let projects = frames.projects().clone().lazy().filter(live);
    let overdue_start =
        projects.clone().filter(col("planned_start").lt(date_lit(as_of)).fill_null(lit(false)).and(reached(3).not()));
    let overdue_production = projects
        .clone()
        .filter(col("planned_production").lt(date_lit(as_of)).fill_null(lit(false)).and(reached(4).not()));
    // Started in or before the month three months before the as-of month.
    let month_of_as_of = as_of.with_day0(0).unwrap_or(as_of);
    let started_by = month_of_as_of.checked_sub_months(Months::new(2)).and_then(|d| d.pred_opt()).unwrap_or(as_of);
    let stalled_candidates =
        projects.filter(col("reach_3").lt_eq(date_lit(started_by)).fill_null(lit(false)).and(reached(4).not()));
    let window_start = month_of_as_of.checked_sub_months(Months::new(2)).unwrap_or(month_of_as_of);
    // Projects with investment in the last three months, by pid (no strings).
    let busy_frame = frames
        .progress_of("fai")
        .lazy()
        .filter(
            col("month")
                .gt_eq(date_lit(window_start))
                .and(col("month").lt_eq(date_lit(month_of_as_of)))
                .and(col("fai").gt(lit(0i64))),
        )
        .select([col("pid")])
        .step()?;
    let busy: HashSet<u32> = busy_frame.column("pid")?.as_materialized_series().u32()?.iter().flatten().collect();
    let candidates = stalled_candidates.select([col("pid"), col("code"), col("unit")]).step()?;
    let candidate_pids = candidates.column("pid")?.as_materialized_series().u32()?.clone();
    let stalled: Vec<bool> = candidate_pids.iter().map(|p| p.is_some_and(|p| !busy.contains(&p))).collect();
    for (kind, frame) in [(AlertKind::OverdueStart, overdue_start), (AlertKind::OverdueProduction, overdue_production)]
    {
        for (code, unit) in codes(frame)? {
            out.push(Alert::new(kind, &unit).of_project(&code));
        }
    }
    for (i, (code, unit)) in code_units(&candidates)?.into_iter().enumerate() {
        if stalled[i] {
            out.push(Alert::new(AlertKind::Stalled, &unit).of_project(&code));
        }
    }
    for issue in frames.issues.iter() {
        let open = issue.opened_date <= as_of && issue.resolved_date.is_none_or(|r| r > as_of);
        if open {
            let unit = frames.project_units().get(&issue.project_code).cloned().unwrap_or_default();
            out.push(Alert {
                age_days: Some((as_of - issue.opened_date).num_days()),
                issue_id: Some(issue.id),
                ..Alert::new(AlertKind::OpenIssueAging, &unit).of_project(&issue.project_code)
            });
        }
    }
    out.extend(work_alerts(frames, as_of));
    out.sort();
    Ok(out)
}

/// The alerts of the work around the pipeline as of `as_of` (`docs/metrics.md`, More
/// alerts): follow-ups, incentives and supervision items overdue, with their days.
fn work_alerts(frames: &Frames, as_of: NaiveDate) -> Vec<Alert> {
    let work = &frames.work();
    let mut out = Vec::new();
    for f in super::engagement::overdue_follow_ups(work, as_of) {
        out.push(Alert {
            investor: Some(f.investor),
            age_days: Some(f.days),
            ..Alert::new(AlertKind::OverdueFollowUp, &f.unit)
        });
    }
    for x in work.incentives.iter().filter(|x| incentives::is_overdue(x, as_of)) {
        let unit = frames.project_units().get(&x.project_code).cloned().unwrap_or_default();
        out.push(Alert {
            age_days: Some((as_of - x.due_date).num_days()),
            amount: Some(x.promised - incentives::paid_as_of(x, as_of)),
            ..Alert::new(AlertKind::OverdueIncentive, &unit).of_project(&x.project_code)
        });
    }
    for m in work.supervision.iter() {
        if let Some(days) = supervision::days_overdue(m, as_of) {
            let alert = Alert {
                supervision: Some(m.code.clone()),
                level: Some(supervision::level(days)),
                age_days: Some(days),
                ..Alert::new(AlertKind::OverdueSupervision, &m.unit_code)
            };
            out.push(match &m.project_code {
                Some(code) => alert.of_project(code),
                None => alert,
            });
        }
    }
    out
}

/// Units with at least one project signed in the period that STARTED by `as_of`.
fn landed_signed_by_unit(
    frames: &Frames,
    from: NaiveDate,
    as_of: NaiveDate,
) -> Result<HashSet<String>, AnalyticsError> {
    let df = frames
        .projects()
        .clone()
        .lazy()
        .filter(col("reach_2").gt_eq(date_lit(from)).and(col("reach_2").lt_eq(date_lit(as_of))))
        .filter(col("reach_3").lt_eq(date_lit(as_of)).fill_null(lit(false)))
        .select([col("uid")])
        .step()?;
    let uids: HashSet<u32> = df.column("uid")?.as_materialized_series().u32()?.iter().flatten().collect();
    Ok(uids.into_iter().filter_map(|u| frames.units.get(u as usize).map(|unit| unit.code.clone())).collect())
}

/// The `(code, unit)` pairs of a projects frame.
fn codes(frame: LazyFrame) -> Result<Vec<(String, String)>, AnalyticsError> {
    code_units(&frame.select([col("code"), col("unit")]).step()?)
}

/// The `(code, unit)` pairs of a collected frame, in its row order.
fn code_units(df: &DataFrame) -> Result<Vec<(String, String)>, AnalyticsError> {
    let c = df.column("code")?.as_materialized_series().str()?.clone();
    let u = df.column("unit")?.as_materialized_series().str()?.clone();
    Ok(c.iter()
        .zip(u.iter())
        .map(|(c, u)| (c.unwrap_or_default().to_string(), u.unwrap_or_default().to_string()))
        .collect())
}
