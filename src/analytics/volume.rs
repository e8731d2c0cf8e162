//! Volume metrics (签约, 开工, 招引, 固定资产投资, 到位资金 …) by month or by unit, and
//! trends with year-to-date (年初至今) and year-over-year (同比) as the spec defines.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::{
    AnalyticsError, Frames, Metric, ProjectFilter, Step, date_lit, month_end, month_index, month_index_expr,
    month_start,
};

/// 千万元以上: 1,000 万元 in yuan.
pub const TEN_MILLION_YUAN: i64 = 10_000_000;

/// What a metric counts: a stage reached, or a progress column.
enum Source {
    /// Projects reaching stage `stage`; `amount` sums total investment instead of counting.
    Stage { stage: usize, amount: bool, min_total: i64 },
    /// A column of the progress frame.
    Progress(&'static str),
}

fn source(metric: Metric) -> Source {
    match metric {
        Metric::SignedCount => Source::Stage { stage: 2, amount: false, min_total: 0 },
        Metric::SignedInvestment => Source::Stage { stage: 2, amount: true, min_total: 0 },
        Metric::NewStarts => Source::Stage { stage: 3, amount: false, min_total: 0 },
        Metric::NewStarts10m => Source::Stage { stage: 3, amount: false, min_total: TEN_MILLION_YUAN },
        Metric::Intake => Source::Stage { stage: 0, amount: false, min_total: 0 },
        Metric::Fai => Source::Progress("fai"),
        Metric::FundsArrived => Source::Progress("funds"),
        Metric::OutOfRegionFunds => Source::Progress("outside"),
    }
}

/// The contributions to `metric` in the period `from..=to` as of `as_of`: a lazy frame
/// with `date` (the day reached, or the month reported), `m` (its month index), `pid`,
/// `uid`, `unit`, `code`, `value`.
pub fn contributions(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> LazyFrame {
    match source(metric) {
        Source::Stage { stage, amount, min_total } => {
            let reach = format!("reach_{stage}");
            let value = if amount { col("total") } else { lit(1i64).cast(DataType::Int64) };
            frames
                .projects()
                .clone()
                .lazy()
                .filter(filter.predicate().and(col("total").gt_eq(lit(min_total))))
                .filter(col(&reach).gt_eq(date_lit(from)).and(col(&reach).lt_eq(date_lit(to.min(as_of)))))
                .select([
                    col(&reach).alias("date"),
                    month_index_expr(&reach).alias("m"),
                    col("pid"),
                    col("uid"),
                    col("unit"),
                    col("code"),
                    value.alias("value"),
                ])
        }
        Source::Progress(column) => {
            // Progress rows count up to and including the month of the as-of day.
            let last_month = to.min(as_of).with_day(1).unwrap_or(to);
            frames
                .progress_of(column)
                .lazy()
                .filter(filter.predicate())
                .filter(
                    col("month")
                        .gt_eq(date_lit(from.with_day(1).unwrap_or(from)))
                        .and(col("month").lt_eq(date_lit(last_month))),
                )
                .select([
                    col("month").alias("date"),
                    col("month_idx").alias("m"),
                    col("pid"),
                    col("uid"),
                    col("unit"),
                    col("code"),
                    col(column).alias("value"),
                ])
        }
    }
}

/// The metric per month (keyed by [`month_index`]) in `from..=to` as of `as_of`.
pub fn by_month(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<HashMap<i32, i64>, AnalyticsError> {
    let df = contributions(frames, metric, filter, from, to, as_of)
        .group_by([col("m").alias("month")])
        .agg([col("value").sum()])
        .step()?;
    let months = df.column("month")?.as_materialized_series().i32()?.clone();
    let values = df.column("value")?.as_materialized_series().i64()?.clone();
    Ok(months.iter().zip(values.iter()).filter_map(|(m, v)| Some((m?, v.unwrap_or(0)))).collect())
}

/// The metric per unit code in `from..=to` as of `as_of` (units with nothing are absent).
pub fn by_unit(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<HashMap<String, i64>, AnalyticsError> {
    by_group(frames, metric, filter, (from, to, as_of), "unit")
}

/// The metric per value of a project column (`unit` or `industry`) in `from..=to` as of
/// `as_of`; groups with nothing are absent.
pub fn by_group(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    (from, to, as_of): (NaiveDate, NaiveDate, NaiveDate),
    column: &str,
) -> Result<HashMap<String, i64>, AnalyticsError> {
    let contributions = contributions(frames, metric, filter, from, to, as_of);
    if column == "unit" {
        // Grouped by the unit's position, named afterwards: no string hashing.
        let df = contributions.group_by([col("uid")]).agg([col("value").sum()]).step()?;
        let uids = df.column("uid")?.as_materialized_series().u32()?.clone();
        let values = df.column("value")?.as_materialized_series().i64()?.clone();
        return Ok(uids
            .iter()
            .zip(values.iter())
            .filter_map(|(u, v)| Some((frames.units.get(u? as usize)?.code.clone(), v.unwrap_or(0))))
            .collect());
    }
    let groups = frames.projects().clone().lazy().select([col("pid"), col(column).alias("group_key")]);
    let df = contributions
        .join(groups, [col("pid")], [col("pid")], JoinArgs::new(JoinType::Inner))
        .group_by([col("group_key")])
        .agg([col("value").sum()])
        .step()?;
    let keys = df.column("group_key")?.as_materialized_series().str()?.clone();
    let values = df.column("value")?.as_materialized_series().i64()?.clone();
    Ok(keys.iter().zip(values.iter()).filter_map(|(u, v)| Some((u?.to_string(), v.unwrap_or(0)))).collect())
}

/// The metric's total in `from..=to` as of `as_of`.
pub fn total(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<i64, AnalyticsError> {
    Ok(by_month(frames, metric, filter, from, to, as_of)?.values().sum())
}

/// How a trend's points are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// `2025-03`
    Month,
    /// `2025-Q1`
    Quarter,
    /// `2025`
    Year,
}

impl Granularity {
    fn months(self) -> i32 {
        match self {
            Granularity::Month => 1,
            Granularity::Quarter => 3,
            Granularity::Year => 12,
        }
    }
}

/// One point of a trend; money in yuan, counts as they are. A period that starts after
/// the as-of day has no figures yet: `value`, `cumulative` and `yoy` are `None` (a gap in
/// a chart, null in GraphQL), never 0.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    /// `2025-03`, `2025-Q1` or `2025`.
    pub period: String,
    /// The first and last month (as [`month_index`]) of the period.
    pub months: (i32, i32),
    /// The metric in the period, up to the as-of day for the period that holds it.
    pub value: Option<i64>,
    /// From 1 January to the end of the period, or to the as-of day (年初至今).
    pub cumulative: Option<i64>,
    /// cumulative / the same span of the previous year − 1; `None` when that is 0.
    pub yoy: Option<f64>,
}

/// The last day that the year-over-year base of a period holding `as_of` counts: the
/// same day one year earlier (29 February → 28 February).
///
/// When `as_of` is the last day of its month the base is that whole month a year
/// earlier: the metrics page compares whole calendar months "whatever the length of
/// February", and a bulletin issued on 28 February 2025 compares January–February
/// with January–February 2024 (29 February included), as an analyst expects.
pub fn base_day(as_of: NaiveDate) -> NaiveDate {
    let index = month_index(as_of);
    if as_of == month_end(index) {
        month_end(index - 12)
    } else {
        // Every day but 29 February (a month's last day) exists in every year.
        as_of.with_year(as_of.year() - 1).unwrap_or_else(|| month_end(index - 12))
    }
}

/// The span that a year-to-date figure as of D covers: 1 January to D for the metrics
/// counted by day, 1 January to the end of D's month for the monthly progress metrics
/// (progress rows count up to and including the month of D).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// 1 January of D's year.
    pub from: NaiveDate,
    /// The as-of day D.
    pub as_of: NaiveDate,
    /// Whether the metric is reported by month (D's month counts whole).
    pub monthly: bool,
}

impl Span {
    /// The span of `metric` to date as of `as_of`.
    pub fn year_to_date(metric: Metric, as_of: NaiveDate) -> Span {
        Span {
            from: NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of),
            as_of,
            monthly: matches!(source(metric), Source::Progress(_)),
        }
    }

    /// Whether the span ends with a whole month (a monthly metric, or D its last day).
    fn whole_months(&self) -> bool {
        self.monthly || self.as_of == month_end(month_index(self.as_of))
    }

    /// The span in words, as a bulletin writes it: `1月1日至6月15日`, or `1–6月` when it
    /// covers whole months (`1月` for January alone).
    pub fn words_zh(&self) -> String {
        match (self.whole_months(), self.as_of.month()) {
            (true, 1) => "1月".into(),
            (true, m) => format!("1–{m}月"),
            (false, _) => format!("1月1日至{}月{}日", self.as_of.month(), self.as_of.day()),
        }
    }

    /// The span in English: `1 Jan – 15 Jun`, or `Jan–Jun` for whole months.
    pub fn words_en(&self) -> String {
        let month = self.as_of.format("%b");
        match (self.whole_months(), self.as_of.month()) {
            (true, 1) => "Jan".into(),
            (true, _) => format!("Jan–{month}"),
            (false, _) => format!("1 Jan – {} {month}", self.as_of.day()),
        }
    }
}

/// A figure to date with its growth over the same span of the year before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct YearToDate {
    /// The span covered.
    pub span: Span,
    /// The metric from 1 January to the as-of day (yuan for money, else a count).
    pub value: i64,
    /// Growth over the same span a year earlier (同比); `None` on a zero base.
    pub yoy: Option<f64>,
}

/// `metric` this year to date as of `as_of`, with its year-over-year growth: the one
/// figure the bulletin, the site's headlines and the decks all show (the last point of
/// [`trend`], so the three always agree with the API's `trend`).
pub fn year_to_date(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    as_of: NaiveDate,
) -> Result<YearToDate, AnalyticsError> {
    let month = month_start(month_index(as_of));
    let point = trend(frames, metric, month, month, Granularity::Month, filter, as_of)?;
    let point = point.last();
    Ok(YearToDate {
        span: Span::year_to_date(metric, as_of),
        value: point.and_then(|p| p.cumulative).unwrap_or(0),
        yoy: point.and_then(|p| p.yoy),
    })
}

/// A metric per month (keyed by [`month_index`]): each month's whole value and its value
/// up to a cut day (equal but for the month holding it). A sum over projects, so a
/// trend's sums are patched by a write's rows ([`super::Additive`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthSums(HashMap<i32, (i64, i64)>);

impl super::Additive for MonthSums {
    fn patched(&self, before: &Self, after: &Self) -> Self {
        let mut sums = self.0.clone();
        let mut add = |month: i32, (whole, cut): (i64, i64), sign: i64| {
            let sum = sums.entry(month).or_default();
            *sum = (sum.0 + sign * whole, sum.1 + sign * cut);
        };
        before.0.iter().for_each(|(m, v)| add(*m, *v, -1));
        after.0.iter().for_each(|(m, v)| add(*m, *v, 1));
        MonthSums(sums)
    }
}

/// The metric per month in `from..=to` as of `as_of`, each month with its whole value
/// and its value up to `cut` (equal but for the month holding `cut`), in one pass.
fn by_month_with_cut(
    frames: &Frames,
    metric: Metric,
    filter: &ProjectFilter,
    (from, to, as_of): (NaiveDate, NaiveDate, NaiveDate),
    cut: NaiveDate,
) -> Result<MonthSums, AnalyticsError> {
    let df = contributions(frames, metric, filter, from, to, as_of)
        .group_by([col("m").alias("month")])
        .agg([
            col("value").sum().alias("whole"),
            col("value").filter(col("date").lt_eq(date_lit(cut))).sum().alias("cut"),
        ])
        .step()?;
    let months = df.column("month")?.as_materialized_series().i32()?.clone();
    let whole = df.column("whole")?.as_materialized_series().i64()?.clone();
    let cut = df.column("cut")?.as_materialized_series().i64()?.clone();
    Ok(MonthSums(
        months
            .iter()
            .zip(whole.iter().zip(cut.iter()))
            .filter_map(|(m, (w, c))| Some((m?, (w.unwrap_or(0), c.unwrap_or(0)))))
            .collect(),
    ))
}

/// A trend from the period holding month `from` to the one holding month `to`, as of
/// `as_of` per the metrics page ("Periods and the as-of day"): a period that starts
/// after the as-of day D has no figures; the period holding D counts up to D and its
/// year-over-year base ends on [`base_day`]; earlier periods compare whole months.
pub fn trend(
    frames: &Frames,
    metric: Metric,
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
    filter: &ProjectFilter,
    as_of: NaiveDate,
) -> Result<Vec<TrendPoint>, AnalyticsError> {
    let window = TrendWindow::of(from, to, granularity, as_of)?;
    Ok(window.points(&window.sums(frames, metric, filter)?))
}

/// The periods of a trend and the months its figures sum: [`trend`] in two steps, the
/// sums over the rows (what an engine keeps and patches, [`super::Engine::run_additive`])
/// and the points from them (cheap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrendWindow {
    granularity: Granularity,
    as_of: NaiveDate,
    /// The first and last periods' first months.
    first: i32,
    last_period: i32,
}

impl TrendWindow {
    /// The trend from the period holding month `from` to the one holding month `to`, as
    /// of `as_of`.
    pub fn of(
        from: NaiveDate,
        to: NaiveDate,
        granularity: Granularity,
        as_of: NaiveDate,
    ) -> Result<TrendWindow, AnalyticsError> {
        if from > to {
            return Err(AnalyticsError::BadInput(format!("the trend starts ({from}) after it ends ({to})")));
        }
        let step = granularity.months();
        let first = month_index(from) - month_index(from).rem_euclid(12) % step;
        let last_period = month_index(to) - month_index(to).rem_euclid(12) % step;
        if (last_period - first) / step > 1200 {
            return Err(AnalyticsError::BadInput("a trend has at most 1,200 points".into()));
        }
        Ok(TrendWindow { granularity, as_of, first, last_period })
    }

    /// The metric's sums per month over the window, from the rows of `frames`: months
    /// from January of the year before the first point, for YTD and YoY. Only dates up
    /// to D count; the month one year before D's also counts up to the base day.
    pub fn sums(&self, frames: &Frames, metric: Metric, filter: &ProjectFilter) -> Result<MonthSums, AnalyticsError> {
        let window_start = month_start(self.first - self.first.rem_euclid(12) - 12);
        let window_end = month_end(self.last_period + self.granularity.months() - 1);
        by_month_with_cut(frames, metric, filter, (window_start, window_end, self.as_of), base_day(self.as_of))
    }

    /// The trend's points from its month sums ([`TrendWindow::sums`]).
    pub fn points(&self, sums: &MonthSums) -> Vec<TrendPoint> {
        let TrendWindow { granularity, as_of, first, last_period } = *self;
        let step = granularity.months();
        let base_month = month_index(base_day(as_of));
        let months = &sums.0;
        let sum = |a: i32, b: i32| (a..=b).map(|m| months.get(&m).map_or(0, |v| v.0)).sum::<i64>();
        // The base of a span: whole months, but never past the base day (the period holding
        // D compares with the same days a year earlier).
        let base = |a: i32, b: i32| {
            (a..=b.min(base_month))
                .map(|m| months.get(&m).map_or(0, |v| if m == base_month { v.1 } else { v.0 }))
                .sum::<i64>()
        };
        let mut points = Vec::new();
        let mut start = first;
        while start <= last_period {
            let end = start + step - 1;
            let begin = month_start(start);
            let period = match granularity {
                Granularity::Month => begin.format("%Y-%m").to_string(),
                Granularity::Quarter => format!("{}-Q{}", begin.year(), begin.month0() / 3 + 1),
                Granularity::Year => begin.year().to_string(),
            };
            let point = if begin > as_of {
                TrendPoint { period, months: (start, end), value: None, cumulative: None, yoy: None }
            } else {
                let january = end - end.rem_euclid(12);
                let cumulative = sum(january, end);
                let base = base(january - 12, end - 12);
                TrendPoint {
                    period,
                    months: (start, end),
                    value: Some(sum(start, end)),
                    cumulative: Some(cumulative),
                    yoy: (base != 0).then(|| cumulative as f64 / base as f64 - 1.0),
                }
            };
            points.push(point);
            start += step;
        }
        points
    }
}
