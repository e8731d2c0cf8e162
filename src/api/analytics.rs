//! The analytics of `docs/metrics.md` in GraphQL: `trend`, `cohort`, `funnel`,
//! `pipeline`, `alerts`, `scorecards`. Thin: each field calls the engine once (on a
//! blocking thread) and converts yuan to 万元. Rates are fractions; null where the spec
//! says null.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use entities::project;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::auth::Policy;
use super::error::ApiError;
use super::graph::{Project, Unit};
use super::scalars::{Date, Stage, wan};
use super::state;
use crate::analytics::{
    self, alerts as engine_alerts, cohort as engine_cohort, scorecard as engine_scorecard, today, volume,
};

/// The volume metrics.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "crate::analytics::Metric")]
pub enum Metric {
    /// 签约项目数: projects reaching SIGNED in the period.
    SignedCount,
    /// 签约金额 (万元): their total investment.
    SignedInvestment,
    /// 新开工项目数: projects reaching STARTED in the period.
    NewStarts,
    /// 千万元以上新开工项目数: those with total investment ≥ 1,000 万元.
    #[graphql(name = "NEW_STARTS_10M")]
    NewStarts10m,
    /// 新招引项目数: projects reaching INTENT in the period.
    Intake,
    /// 固定资产投资完成额 (万元).
    Fai,
    /// 到位资金 (万元).
    FundsArrived,
    /// 实际利用市域外资金 (万元).
    OutOfRegionFunds,
}

/// How trend points are grouped.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[graphql(remote = "crate::analytics::volume::Granularity")]
pub enum Granularity {
    /// Months: `2025-03`.
    #[default]
    Month,
    /// Quarters: `2025-Q1`.
    Quarter,
    /// Years: `2025`.
    Year,
}

/// Which projects a figure covers; every given list must match.
#[derive(InputObject, Default, Clone)]
pub struct ProjectFilter {
    /// Unit codes.
    pub units: Option<Vec<String>>,
    /// Industry names.
    pub industries: Option<Vec<String>>,
    /// 招商方式 values.
    pub channels: Option<Vec<String>>,
    /// Key projects only.
    pub key_only: Option<bool>,
}

impl From<Option<ProjectFilter>> for analytics::ProjectFilter {
    fn from(f: Option<ProjectFilter>) -> Self {
        let f = f.unwrap_or_default();
        analytics::ProjectFilter {
            units: f.units.unwrap_or_default(),
            industries: f.industries.unwrap_or_default(),
            channels: f.channels.unwrap_or_default(),
            key_only: f.key_only.unwrap_or(false),
        }
    }
}

/// One point of a trend: 万元 for money metrics, counts otherwise. A period that
/// starts after `asOf` has no figures yet (all three null); the period holding `asOf`
/// counts up to that day (progress metrics: up to and including its month).
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"TrendPoint\")")]
pub struct TrendPoint {
    /// `2025-03`, `2025-Q1` or `2025`.
    pub period: String,
    /// The metric in the period; null for a period after `asOf`.
    pub value: Option<f64>,
    /// From 1 January to the end of the period, or to `asOf` (年初至今); null after `asOf`.
    pub cumulative: Option<f64>,
    /// cumulative / the same span of the previous year − 1 (同比): for the period holding
    /// `asOf` the base ends on the same day a year earlier (29 February → 28 February);
    /// earlier periods compare whole months. Null when the base is 0 or after `asOf`.
    pub yoy: Option<f64>,
}

/// The projects signed in a period and what became of them by the as-of day.
pub struct Cohort(Arc<engine_cohort::Cohort>);

async fn projects_by_code(ctx: &Context<'_>, codes: &[String]) -> Result<Vec<Project>> {
    let rows = entities::prelude::Project::find()
        .filter(project::Column::Code.is_in(codes.to_vec()))
        .order_by_asc(project::Column::Code)
        .all(&state(ctx)?.db)
        .await
        .map_err(ApiError::from)?;
    Ok(rows.into_iter().map(Project).collect())
}

#[Object(guard = "Policy::of(\"Cohort\")")]
impl Cohort {
    /// |C|: projects signed in the period and by the as-of day.
    async fn size(&self) -> usize {
        self.0.size()
    }
    /// 落地率（开工率）: share STARTED by the as-of day.
    async fn landing_rate(&self) -> Option<f64> {
        self.0.landing_rate()
    }
    /// 投产率: share PRODUCING by the as-of day.
    async fn production_rate(&self) -> Option<f64> {
        self.0.production_rate()
    }
    /// 履约率: share STARTED or with funds arrived by the as-of day.
    async fn fulfillment_rate(&self) -> Option<f64> {
        self.0.fulfillment_rate()
    }
    /// 注册率: share with a company registered by the as-of day.
    async fn registration_rate(&self) -> Option<f64> {
        self.0.registration_rate()
    }
    /// 资金到位率: Σ funds arrived / Σ total investment.
    async fn fund_arrival_rate(&self) -> Option<f64> {
        self.0.fund_arrival_rate()
    }
    /// Σ total investment of the cohort, 万元.
    async fn total_investment_wan(&self) -> f64 {
        wan(self.0.total_investment)
    }
    /// Σ funds arrived up to the as-of month, 万元.
    async fn funds_arrived_wan(&self) -> f64 {
        wan(self.0.funds_arrived)
    }
    /// Members STARTED by the as-of day (the landing rate's numerator).
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::LARGE, 0, child_complexity)")]
    async fn landed(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        projects_by_code(ctx, &self.0.landed).await
    }
    /// Members not STARTED by the as-of day.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::LARGE, 0, child_complexity)")]
    async fn not_landed(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        // Both lists are in code order.
        let rest: Vec<String> =
            self.0.members.iter().filter(|c| self.0.landed.binary_search(c).is_err()).cloned().collect();
        projects_by_code(ctx, &rest).await
    }
    /// Codes of every member (every rate's denominator).
    async fn member_codes(&self) -> &[String] {
        &self.0.members
    }
    /// Codes of the members producing (投产率's numerator).
    async fn producing_codes(&self) -> &[String] {
        &self.0.producing
    }
    /// Codes of the members fulfilled (履约率's numerator).
    async fn fulfilled_codes(&self) -> &[String] {
        &self.0.fulfilled
    }
    /// Codes of the members registered (注册率's numerator).
    async fn registered_codes(&self) -> &[String] {
        &self.0.registered
    }
}

/// A unit through the request's loader (batched across a list).
pub(super) async fn unit_by_code(ctx: &Context<'_>, code: &str) -> Result<Option<Unit>> {
    let loaded = super::loaders(ctx)?.rows.load_one(super::loaders::UnitKey(code.to_string())).await;
    Ok(loaded.map_err(|e| ApiError::Internal(format!("loader: {e}")))?.map(Unit))
}

/// One stage of the funnel.
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"FunnelStage\")")]
pub struct FunnelStage {
    /// The stage.
    pub stage: Stage,
    /// Projects of the intake cohort that reached it by the as-of day.
    pub reached: usize,
    /// reached(next) / reached(this); null for the last stage or when none reached this.
    pub conversion_to_next: Option<f64>,
    /// Median days from this stage's recorded date to the next's.
    pub days_to_next_median: Option<f64>,
    /// 90th percentile (nearest rank) of those days.
    pub days_to_next_p90: Option<f64>,
    /// How many projects had both dates recorded.
    pub days_to_next_count: usize,
}

/// The funnel from intent to production of the projects taken in during a period.
pub struct Funnel(Arc<engine_cohort::Funnel>);

/// The funnel from intent to production of the projects taken in during a period.
#[Object(guard = "Policy::of(\"Funnel\")")]
impl Funnel {
    /// The six stages in order.
    async fn stages(&self) -> Vec<FunnelStage> {
        self.0
            .stages
            .iter()
            .map(|s| FunnelStage {
                stage: s.stage.into(),
                reached: s.reached,
                conversion_to_next: s.conversion_to_next,
                days_to_next_median: s.days_to_next_median,
                days_to_next_p90: s.days_to_next_p90,
                days_to_next_count: s.days_to_next_count,
            })
            .collect()
    }
    /// reached(PRODUCING) / reached(INTENT).
    async fn intent_to_production(&self) -> Option<f64> {
        self.0.intent_to_production
    }
    /// Codes of the intake cohort.
    async fn member_codes(&self) -> &[String] {
        &self.0.members
    }
}

/// Projects at one stage on the as-of day, not terminated.
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"PipelineStage\")")]
pub struct PipelineStage {
    /// The stage.
    pub stage: Stage,
    /// How many.
    pub count: usize,
    /// Their total investment, 万元.
    pub investment_wan: f64,
}

/// The kinds of alert (see `docs/metrics.md`).
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "crate::analytics::alerts::AlertKind")]
pub enum AlertKind {
    /// 零招引: a unit took in no project.
    ZeroIntake,
    /// 零签约: a unit signed nothing.
    ZeroSigning,
    /// 签约项目全军覆没: a unit signed, but none of those started.
    NoneLanded,
    /// 逾期未开工: past the planned start, not started.
    OverdueStart,
    /// 逾期未投产: past the planned production, not producing.
    OverdueProduction,
    /// 开而未建: started ≥ 3 months ago, no investment for 3 months.
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

/// One alert.
pub struct Alert(pub engine_alerts::Alert);

#[Object(guard = "Policy::of(\"Alert\")")]
impl Alert {
    /// What kind.
    async fn kind(&self) -> AlertKind {
        self.0.kind.into()
    }
    /// Its Chinese name.
    async fn label(&self) -> &str {
        self.0.kind.label_zh()
    }
    /// The unit concerned (for project alerts, the project's unit).
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        unit_by_code(ctx, &self.0.unit).await
    }
    /// The unit's code.
    async fn unit_code(&self) -> &str {
        &self.0.unit
    }
    /// The project concerned, if any (batched across the alerts of a query).
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        let Some(code) = &self.0.project else { return Ok(None) };
        let loaded = super::loaders(ctx)?.rows.load_one(super::loaders::ProjectKey(code.clone())).await;
        Ok(loaded.map_err(|e| ApiError::Internal(format!("loader: {e}")))?.map(Project))
    }
    /// The project's code, if any.
    async fn project_code(&self) -> Option<&str> {
        self.0.project.as_deref()
    }
    /// For open issues: days since the issue was raised; for overdue follow-ups,
    /// incentives and supervision items: days overdue.
    async fn age_days(&self) -> Option<i64> {
        self.0.age_days
    }
    /// For open issues: the issue's id.
    async fn issue_id(&self) -> Option<i32> {
        self.0.issue_id
    }
    /// For overdue follow-ups: the investor (客商).
    async fn investor_name(&self) -> Option<&str> {
        self.0.investor.as_deref()
    }
    /// For overdue supervision items: the item's code (督办编号).
    async fn supervision_code(&self) -> Option<&str> {
        self.0.supervision.as_deref()
    }
    /// For overdue supervision items: the level (分级通报): 提醒, 通报 or 约谈.
    async fn level(&self) -> Option<&str> {
        self.0.level
    }
    /// For overdue incentives: the amount outstanding, 万元.
    async fn amount_wan(&self) -> Option<f64> {
        self.0.amount.map(super::scalars::wan)
    }
}

/// One metric of a scorecard.
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"ScoreMetric\")")]
pub struct ScoreMetric {
    /// Which.
    pub metric: Metric,
    /// The annual target (万元 for money).
    pub target: f64,
    /// From 1 January to the end of the quarter (万元 for money).
    pub actual: f64,
    /// min(actual / (target · q/4), 1.5).
    pub attainment: f64,
    /// Its weight.
    pub weight: f64,
}

/// A unit's quarterly scorecard (季度考核).
pub struct Scorecard {
    /// The unit's code.
    pub unit_code: String,
    card: engine_scorecard::Scorecard,
}

#[Object(guard = "Policy::of(\"Scorecard\")")]
impl Scorecard {
    /// The unit.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        unit_by_code(ctx, &self.unit_code).await
    }
    /// The unit's code.
    async fn unit_code(&self) -> &str {
        &self.unit_code
    }
    /// 100 · Σ weight · attainment / Σ weight, over the metrics with a target.
    async fn score(&self) -> f64 {
        self.card.score
    }
    /// 1 for the best; equal scores share a rank (1, 2, 2, 4).
    async fn rank(&self) -> usize {
        self.card.rank
    }
    /// Among the bottom units this quarter (排名靠后).
    async fn bottom(&self) -> bool {
        self.card.bottom
    }
    /// In the bottom this quarter and the one before (连续两次排名靠后).
    async fn accountability(&self) -> bool {
        self.card.accountability
    }
    /// Each metric with a target.
    async fn metrics(&self) -> Vec<ScoreMetric> {
        self.card
            .metrics
            .iter()
            .map(|m| {
                let scale = |v: i64| if m.metric.is_money() { wan(v) } else { v as f64 };
                ScoreMetric {
                    metric: m.metric.into(),
                    target: scale(m.target),
                    actual: scale(m.actual),
                    attainment: m.attainment,
                    weight: m.weight,
                }
            })
            .collect()
    }
}

fn parse_month(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| ApiError::bad_input(field, format!("{text:?} is not a month YYYY-MM")))
}

fn check_range(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<(), ApiError> {
    if from > to {
        Err(ApiError::bad_input("to", format!("the period ends ({to}) before it starts ({from})")))
    } else {
        Ok(())
    }
}

/// Scorecards of a quarter, shared with `Unit.scorecard`.
pub async fn scorecards(ctx: &Context<'_>, year: i32, quarter: u32, bottom: Option<usize>) -> Result<Vec<Scorecard>> {
    let mut config = state(ctx)?.scoring.clone();
    if let Some(b) = bottom {
        config.bottom = b;
    }
    // Once per request: `units { scorecard }` asks for the same ranking per unit.
    let mut memo = super::loaders(ctx)?.scorecards.lock().await;
    let key = (year, quarter, config.bottom);
    let cards = match memo.get(&key) {
        Some(cards) => cards.clone(),
        None => {
            let computed = state(ctx)?
                .engine
                .run_keyed(format!("scorecards {year} {quarter} {config:?}"), move |f| {
                    engine_scorecard::scorecards(f, year, quarter, &config)
                })
                .await
                .map_err(ApiError::from)?;
            memo.insert(key, computed.clone());
            computed
        }
    };
    Ok(cards.iter().map(|card| Scorecard { unit_code: card.unit.clone(), card: card.clone() }).collect())
}

/// Alerts as of a day, shared with `Unit.alerts`.
pub async fn alerts(ctx: &Context<'_>, as_of: Option<Date>, year: Option<i32>) -> Result<Vec<Alert>> {
    let as_of = as_of.map_or_else(today, |d| d.0);
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&as_of));
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| ApiError::bad_input("year", format!("{year} is not a year")))?;
    // The period is the year, up to the as-of day (or to its end for a past year).
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(as_of).min(as_of);
    // Once per request: `units { alerts }` asks for the same alerts per unit.
    let mut memo = super::loaders(ctx)?.alerts.lock().await;
    let key = (end.max(start), start);
    let found = match memo.get(&key) {
        Some(found) => found.clone(),
        None => {
            let computed = state(ctx)?
                .engine
                .run_keyed(format!("alerts {key:?}"), move |f| engine_alerts::alerts(f, key.0, key.1))
                .await
                .map_err(ApiError::from)?;
            memo.insert(key, computed.clone());
            computed
        }
    };
    Ok(found.iter().cloned().map(Alert).collect())
}

/// The analytics queries.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object(guard = "Policy::of(\"Query\")")]
impl AnalyticsQuery {
    /// A volume metric month by month (or by quarter, year) from `from` to `to`
    /// (`YYYY-MM`), with year-to-date and year-over-year, as of `asOf` (default today).
    #[allow(clippy::too_many_arguments)] // the arguments are the GraphQL field's contract
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::LARGE, 0, child_complexity)")]
    async fn trend(
        &self,
        ctx: &Context<'_>,
        metric: Metric,
        from: String,
        to: String,
        #[graphql(default)] granularity: Granularity,
        filter: Option<ProjectFilter>,
        as_of: Option<Date>,
    ) -> Result<Vec<TrendPoint>> {
        let (from, to) = (parse_month("from", &from)?, parse_month("to", &to)?);
        check_range(from, to)?;
        let as_of = as_of.map_or_else(today, |d| d.0);
        let filter: analytics::ProjectFilter = filter.into();
        let metric: analytics::Metric = metric.into();
        let window = volume::TrendWindow::of(from, to, granularity.into(), as_of).map_err(ApiError::from)?;
        // The month sums are kept (and patched by each write's rows); the points are
        // made from them for each request.
        let sums = state(ctx)?
            .engine
            .run_additive(format!("trend {metric:?} {window:?} {filter:?}"), move |f| window.sums(f, metric, &filter))
            .await
            .map_err(ApiError::from)?;
        let scale = |v: i64| if metric.is_money() { wan(v) } else { v as f64 };
        Ok(window
            .points(&sums)
            .into_iter()
            .map(|p| TrendPoint {
                period: p.period,
                value: p.value.map(scale),
                cumulative: p.cumulative.map(scale),
                yoy: p.yoy,
            })
            .collect())
    }

    /// The cohort signed from `signedFrom` to `signedTo`, measured as of `asOf` (default:
    /// the later of today and `signedTo`).
    async fn cohort(
        &self,
        ctx: &Context<'_>,
        signed_from: Date,
        signed_to: Date,
        as_of: Option<Date>,
        filter: Option<ProjectFilter>,
    ) -> Result<Cohort> {
        check_range(signed_from.0, signed_to.0)?;
        let as_of = as_of.map_or_else(|| engine_cohort::default_as_of(signed_to.0, today()), |d| d.0);
        let filter: analytics::ProjectFilter = filter.into();
        let c = state(ctx)?
            .engine
            .run_additive(format!("cohort {} {} {as_of} {filter:?}", signed_from.0, signed_to.0), move |f| {
                engine_cohort::cohort(f, signed_from.0, signed_to.0, as_of, &filter)
            })
            .await
            .map_err(ApiError::from)?;
        Ok(Cohort(c))
    }

    /// The funnel of the projects taken in (reaching INTENT) from `intakeFrom` to
    /// `intakeTo`, as of `asOf` (default: the later of today and `intakeTo`).
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        intake_from: Date,
        intake_to: Date,
        as_of: Option<Date>,
        filter: Option<ProjectFilter>,
    ) -> Result<Funnel> {
        check_range(intake_from.0, intake_to.0)?;
        let as_of = as_of.map_or_else(|| engine_cohort::default_as_of(intake_to.0, today()), |d| d.0);
        let filter: analytics::ProjectFilter = filter.into();
        let f = state(ctx)?
            .engine
            .run_additive(format!("funnel {} {} {as_of} {filter:?}", intake_from.0, intake_to.0), move |f| {
                engine_cohort::funnel(f, intake_from.0, intake_to.0, as_of, &filter)
            })
            .await
            .map_err(ApiError::from)?;
        Ok(Funnel(f))
    }

    /// Projects by their stage on `asOf` (default today), terminated ones left out.
    async fn pipeline(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        filter: Option<ProjectFilter>,
    ) -> Result<Vec<PipelineStage>> {
        let as_of = as_of.map_or_else(today, |d| d.0);
        let filter: analytics::ProjectFilter = filter.into();
        let stages = state(ctx)?
            .engine
            .run_additive(format!("pipeline {as_of} {filter:?}"), move |f| engine_cohort::pipeline(f, as_of, &filter))
            .await
            .map_err(ApiError::from)?;
        Ok(stages
            .iter()
            .map(|s| PipelineStage { stage: s.stage.into(), count: s.count, investment_wan: wan(s.investment) })
            .collect())
    }

    /// Every alert as of `asOf` (default today) for `year` (default the year of asOf),
    /// the period running from 1 January to `asOf`.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::LARGE, 0, child_complexity)")]
    async fn alerts(&self, ctx: &Context<'_>, as_of: Option<Date>, year: Option<i32>) -> Result<Vec<Alert>> {
        alerts(ctx, as_of, year).await
    }

    /// Unit scorecards and ranking for a quarter (季度考核排名); `bottom` units (default
    /// from the scoring config, 3) are flagged.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::UNITS, 0, child_complexity)")]
    async fn scorecards(
        &self,
        ctx: &Context<'_>,
        year: i32,
        quarter: u32,
        bottom: Option<usize>,
    ) -> Result<Vec<Scorecard>> {
        scorecards(ctx, year, quarter, bottom).await
    }
}
