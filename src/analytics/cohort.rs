//! Cohort rates (落地率, 投产率, 履约率, 注册率, 资金到位率), the funnel from intent to
//! production, and the pipeline by stage — each with the projects behind its numbers.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::{AnalyticsError, Frames, ProjectFilter, Step, date_lit};
use crate::rules::Stage;

/// The projects signed in a period and by the as-of day, and what became of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cohort {
    /// Every member (the denominator), by code.
    pub members: Vec<String>,
    /// Members STARTED by the as-of day (落地).
    pub landed: Vec<String>,
    /// Members PRODUCING by the as-of day (投产).
    pub producing: Vec<String>,
    /// Members STARTED, or with funds arrived, by the as-of day (履约).
    pub fulfilled: Vec<String>,
    /// Members with a registered company by the as-of day (注册).
    pub registered: Vec<String>,
    /// Σ total investment of the members, yuan.
    pub total_investment: i64,
    /// Σ funds arrived of the members up to the as-of month, yuan.
    pub funds_arrived: i64,
}

/// `numerator / denominator`; none for an empty denominator (never 0, never an error).
pub fn rate(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

impl Cohort {
    /// |C|
    pub fn size(&self) -> usize {
        self.members.len()
    }
    /// 落地率（开工率）; `None` for an empty cohort.
    pub fn landing_rate(&self) -> Option<f64> {
        rate(self.landed.len(), self.size())
    }
    /// 投产率
    pub fn production_rate(&self) -> Option<f64> {
        rate(self.producing.len(), self.size())
    }
    /// 履约率
    pub fn fulfillment_rate(&self) -> Option<f64> {
        rate(self.fulfilled.len(), self.size())
    }
    /// 注册率
    pub fn registration_rate(&self) -> Option<f64> {
        rate(self.registered.len(), self.size())
    }
    /// 资金到位率: Σ funds arrived / Σ total investment; `None` when the cohort is empty
    /// (or its total investment is 0).
    pub fn fund_arrival_rate(&self) -> Option<f64> {
        (self.size() > 0 && self.total_investment > 0).then(|| self.funds_arrived as f64 / self.total_investment as f64)
    }
}

/// A cohort is a sum over projects: whether a project is a member, and what it adds to
/// each list and sum, depends on its own rows alone. Every list is in code order.
impl super::Additive for Cohort {
    fn patched(&self, before: &Self, after: &Self) -> Self {
        // The changed projects that were members: out of every list (each is within the
        // members), then in again where they are now.
        let list = |now: &[String], added: &[String]| merged(now, &before.members, added);
        Cohort {
            members: list(&self.members, &after.members),
            landed: list(&self.landed, &after.landed),
            producing: list(&self.producing, &after.producing),
            fulfilled: list(&self.fulfilled, &after.fulfilled),
            registered: list(&self.registered, &after.registered),
            total_investment: self.total_investment - before.total_investment + after.total_investment,
            funds_arrived: self.funds_arrived - before.funds_arrived + after.funds_arrived,
        }
    }
}

/// `now` without the codes `gone`, with the codes `added` at their places (all three in
/// code order).
fn merged(now: &[String], gone: &[String], added: &[String]) -> Vec<String> {
    let mut merged = Vec::with_capacity(now.len() + added.len());
    let mut added = added.iter().peekable();
    for code in now.iter().filter(|c| gone.binary_search(c).is_err()) {
        while let Some(a) = added.next_if(|a| *a < code) {
            merged.push(a.clone());
        }
        merged.push(code.clone());
    }
    merged.extend(added.cloned());
    merged
}

/// The as-of day a cohort of `to` is measured on by default: the later of today and
/// the end of the period.
pub fn default_as_of(to: NaiveDate, today: NaiveDate) -> NaiveDate {
    to.max(today)
}

fn strings(df: &DataFrame, column: &str) -> Result<Vec<String>, AnalyticsError> {
    Ok(df.column(column)?.as_materialized_series().str()?.iter().flatten().map(str::to_string).collect())
}

/// Funds arrived per member of `members` (a frame with a `pid` column), by pid, up to
/// and including the month of `as_of`. Joining first keeps the grouping to the members.
fn funds_up_to(frames: &Frames, members: LazyFrame, as_of: NaiveDate) -> Result<HashMap<u32, i64>, AnalyticsError> {
    let df = frames
        .progress_of("funds")
        .lazy()
        .filter(col("month").lt_eq(date_lit(as_of)))
        .select([col("pid"), col("funds")])
        .join(members.select([col("pid")]), [col("pid")], [col("pid")], JoinArgs::new(JoinType::Inner))
        .group_by([col("pid")])
        .agg([col("funds").sum()])
        .step()?;
    let pids = df.column("pid")?.as_materialized_series().u32()?.clone();
    let funds = df.column("funds")?.as_materialized_series().i64()?.clone();
    Ok(pids.iter().zip(funds.iter()).filter_map(|(p, f)| Some((p?, f.unwrap_or(0)))).collect())
}

/// The cohort signed in `from..=to` (and by `as_of`), measured as of `as_of`.
pub fn cohort(
    frames: &Frames,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    filter: &ProjectFilter,
) -> Result<Cohort, AnalyticsError> {
    let reached = |column: &str| col(column).lt_eq(date_lit(as_of)).fill_null(lit(false));
    let members = frames
        .projects()
        .clone()
        .lazy()
        .filter(filter.predicate())
        .filter(col("reach_2").gt_eq(date_lit(from)).and(col("reach_2").lt_eq(date_lit(to.min(as_of)))));
    let df = members
        .clone()
        .select([
            col("pid"),
            col("code"),
            col("total"),
            reached("reach_3").alias("landed"),
            reached("reach_4").alias("producing"),
            reached("registered").alias("registered"),
        ])
        // In code order without a sort: the projects frame's rows are (pid order).
        .step()?;
    let codes = strings(&df, "code")?;
    let flag = |name: &str| -> Result<Vec<bool>, AnalyticsError> {
        Ok(df.column(name)?.as_materialized_series().bool()?.iter().map(|b| b.unwrap_or(false)).collect())
    };
    let (landed, producing, registered) = (flag("landed")?, flag("producing")?, flag("registered")?);
    let totals = df.column("total")?.as_materialized_series().i64()?.clone();
    let pids = df.column("pid")?.as_materialized_series().u32()?.clone();
    let funds = funds_up_to(frames, members, as_of)?;
    let mut cohort = Cohort::default();
    for (i, code) in codes.into_iter().enumerate() {
        let arrived = pids.get(i).and_then(|pid| funds.get(&pid)).copied().unwrap_or(0);
        cohort.total_investment += totals.get(i).unwrap_or(0);
        cohort.funds_arrived += arrived;
        if landed[i] {
            cohort.landed.push(code.clone());
        }
        if producing[i] {
            cohort.producing.push(code.clone());
        }
        if landed[i] || arrived > 0 {
            cohort.fulfilled.push(code.clone());
        }
        if registered[i] {
            cohort.registered.push(code.clone());
        }
        cohort.members.push(code);
    }
    Ok(cohort)
}

/// One stage of the funnel.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelStage {
    /// The stage.
    pub stage: Stage,
    /// reached(s): intake projects that reached it by the as-of day.
    pub reached: usize,
    /// reached(s+1) / reached(s); `None` for the last stage or when reached(s) = 0.
    pub conversion_to_next: Option<f64>,
    /// Days from this stage's recorded date to the next one's: median.
    pub days_to_next_median: Option<f64>,
    /// … and 90th percentile by nearest rank.
    pub days_to_next_p90: Option<f64>,
    /// How many projects had both dates recorded.
    pub days_to_next_count: usize,
}

/// The funnel of the intake cohort.
#[derive(Clone, Debug, PartialEq)]
pub struct Funnel {
    /// The six stages in order.
    pub stages: Vec<FunnelStage>,
    /// reached(PRODUCING) / reached(INTENT).
    pub intent_to_production: Option<f64>,
    /// The intake cohort, by code.
    pub members: Vec<String>,
    /// For each stage but the last, the days to the next stage of the projects with both
    /// dates recorded, sorted: what the median and the 90th percentile are of.
    pub days_to_next: Vec<Vec<i64>>,
}

impl Funnel {
    /// The funnel of `reached(s)` for the six stages, the sorted days to the next stage
    /// of the first five, and the members.
    fn of(reached: &[usize], days_to_next: Vec<Vec<i64>>, members: Vec<String>) -> Funnel {
        let stages = Stage::ALL
            .into_iter()
            .map(|stage| {
                let s = stage.index();
                let days = days_to_next.get(s).map_or(&[][..], Vec::as_slice);
                FunnelStage {
                    stage,
                    reached: reached[s],
                    conversion_to_next: if s < 5 { rate(reached[s + 1], reached[s]) } else { None },
                    days_to_next_median: median(days),
                    days_to_next_p90: nearest_rank(days, 0.9),
                    days_to_next_count: days.len(),
                }
            })
            .collect();
        Funnel { intent_to_production: rate(reached[4], reached[0]), stages, members, days_to_next }
    }
}

/// The funnel is a sum over projects: each project of the intake cohort adds itself to
/// the stages it reached and its days to the lists.
impl super::Additive for Funnel {
    fn patched(&self, before: &Self, after: &Self) -> Self {
        let reached: Vec<usize> = (self.stages.iter().zip(before.stages.iter().zip(&after.stages)))
            .map(|(now, (was, is))| now.reached + is.reached - was.reached)
            .collect();
        let days = (self.days_to_next.iter().zip(before.days_to_next.iter().zip(&after.days_to_next)))
            .map(|(now, (was, is))| {
                let mut days = now.clone();
                for d in was {
                    if let Ok(at) = days.binary_search(d) {
                        days.remove(at);
                    }
                }
                for d in is {
                    days.insert(days.partition_point(|x| x <= d), *d);
                }
                days
            })
            .collect();
        Funnel::of(&reached, days, merged(&self.members, &before.members, &after.members))
    }
}

/// The median (mean of the two middle values for an even count) of sorted values.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// The p-th percentile by nearest rank: the ⌈p·n⌉-th smallest of sorted values.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1] as f64)
}

/// The funnel of the projects taken in during `from..=to` (and by `as_of`).
/// Terminated projects stay in: they stop converting where they stopped.
pub fn funnel(
    frames: &Frames,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    filter: &ProjectFilter,
) -> Result<Funnel, AnalyticsError> {
    let intake = frames
        .projects()
        .clone()
        .lazy()
        .filter(filter.predicate())
        .filter(col("reach_0").gt_eq(date_lit(from)).and(col("reach_0").lt_eq(date_lit(to.min(as_of)))));
    let mut aggregates = vec![col("code").count().alias("n")];
    for s in 0..6 {
        aggregates.push(
            col(format!("reach_{s}"))
                .lt_eq(date_lit(as_of))
                .fill_null(lit(false))
                .cast(DataType::Int64)
                .sum()
                .alias(format!("reached_{s}")),
        );
    }
    let counts = intake.clone().select(aggregates).step()?;
    let reached: Vec<usize> = (0..6)
        .map(|s| -> Result<usize, AnalyticsError> {
            Ok(counts.column(&format!("reached_{s}"))?.as_materialized_series().i64()?.get(0).unwrap_or(0) as usize)
        })
        .collect::<Result<_, _>>()?;
    // Days between recorded (not implied) dates, both on or before the as-of day.
    let mut day_columns = Vec::new();
    for s in 0..5 {
        let (a, b) = (col(format!("rec_{s}")), col(format!("rec_{}", s + 1)));
        let both = a.clone().lt_eq(date_lit(as_of)).and(b.clone().lt_eq(date_lit(as_of)));
        let days = (b.cast(DataType::Int32).cast(DataType::Int64) - a.cast(DataType::Int32).cast(DataType::Int64))
            .alias(format!("days_{s}"));
        day_columns.push(when(both).then(days).otherwise(lit(NULL).cast(DataType::Int64)).alias(format!("days_{s}")));
    }
    day_columns.push(col("code"));
    // In code order without a sort: the projects frame's rows are (pid order).
    let days = intake.select(day_columns).step()?;
    let members = strings(&days, "code")?;
    let days_to_next = (0..5)
        .map(|s| -> Result<Vec<i64>, AnalyticsError> {
            let mut values: Vec<i64> =
                days.column(&format!("days_{s}"))?.as_materialized_series().i64()?.iter().flatten().collect();
            values.sort_unstable();
            Ok(values)
        })
        .collect::<Result<_, _>>()?;
    Ok(Funnel::of(&reached, days_to_next, members))
}

/// Projects at one stage on the as-of day, not terminated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineStage {
    /// The stage.
    pub stage: Stage,
    /// How many projects are at it.
    pub count: usize,
    /// Their total investment, yuan.
    pub investment: i64,
}

/// The pipeline is a sum over projects: each live project adds itself to its stage.
impl super::Additive for Vec<PipelineStage> {
    fn patched(&self, before: &Self, after: &Self) -> Self {
        self.iter()
            .zip(before.iter().zip(after))
            .map(|(now, (was, is))| PipelineStage {
                stage: now.stage,
                count: now.count + is.count - was.count,
                investment: now.investment - was.investment + is.investment,
            })
            .collect()
    }
}

/// pipeline(D, s) for every stage.
pub fn pipeline(
    frames: &Frames,
    as_of: NaiveDate,
    filter: &ProjectFilter,
) -> Result<Vec<PipelineStage>, AnalyticsError> {
    // reach dates never decrease with the stage, so stage(p, D) is the number of
    // stages reached by D (1 = INTENT … 6 = AT_CAPACITY; 0 = not yet taken in).
    let stage = (0..6)
        .map(|s| col(format!("reach_{s}")).lt_eq(date_lit(as_of)).fill_null(lit(false)).cast(DataType::Int32))
        .reduce(|a, b| a + b)
        .unwrap_or(lit(0));
    let live = col("terminated").gt(date_lit(as_of)).fill_null(lit(true));
    let df = frames
        .projects()
        .clone()
        .lazy()
        .filter(filter.predicate().and(live))
        .select([stage.alias("stage"), col("total")])
        .group_by([col("stage")])
        .agg([col("total").count().cast(DataType::Int64).alias("count"), col("total").sum().alias("investment")])
        .step()?;
    let stage_numbers = df.column("stage")?.as_materialized_series().i32()?.clone();
    let counts = df.column("count")?.as_materialized_series().i64()?.clone();
    let sums = df.column("investment")?.as_materialized_series().i64()?.clone();
    let mut by_stage = HashMap::new();
    for i in 0..df.height() {
        if let Some(s) = stage_numbers.get(i) {
            by_stage.insert(s, (counts.get(i).unwrap_or(0) as usize, sums.get(i).unwrap_or(0)));
        }
    }
    Ok(Stage::ALL
        .into_iter()
        .map(|stage| {
            let (count, investment) = by_stage.get(&(stage.index() as i32 + 1)).copied().unwrap_or((0, 0));
            PipelineStage { stage, count, investment }
        })
        .collect())
}
