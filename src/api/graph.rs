//! The project graph as GraphQL types: Project, Unit, Industry, Investor,
//! ProgressMonth, ElementIssue, Target, AuditEntry, with relations both ways. Fields the
//! public may not see carry a role guard; contacts are for the unit's editors and admins.

use async_graphql::{Context, Json, Object, Result};
use entities::{audit_entry, element_issue, industry, investor, progress, project, target, unit};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::auth::{Policy, viewer};
use super::error::ApiError;
use super::loaders::{
    HistoryOf, IndustryKey, InvestorKey, IssuesOf, ProgressOf, RelatedTo, Relation, TargetsOf, UnitKey,
};
use super::scalars::{Date, Stage, date, wan};
use super::{loaders, state};
use crate::{policy, rules};

/// How many related projects a list returns by default, and at most.
const RELATED_DEFAULT: u64 = 100;
const RELATED_MAX: u64 = 500;

/// What projects a caller may see, in SQL: for the public, those
/// [`policy::listed_for_public`] today (marked public, not terminated).
pub fn visible_projects(ctx: &Context<'_>) -> Condition {
    if viewer(ctx).is_internal() {
        Condition::all()
    } else {
        let today = crate::analytics::today();
        Condition::all().add(project::Column::Public.eq(true)).add(
            Condition::any()
                .add(project::Column::TerminatedDate.is_null())
                .add(project::Column::TerminatedDate.gt(today)),
        )
    }
}

/// Whether the caller may see `p` (the same rule as [`visible_projects`], on one row).
pub fn may_see_project(ctx: &Context<'_>, p: &project::Model) -> bool {
    viewer(ctx).is_internal() || policy::listed_for_public(p, crate::analytics::today())
}

async fn related_projects(
    ctx: &Context<'_>,
    relation: Relation,
    key: &str,
    first: Option<u64>,
) -> Result<Vec<Project>> {
    let limit = first.unwrap_or(RELATED_DEFAULT).min(RELATED_MAX) as usize;
    let public_only = !viewer(ctx).is_internal();
    let asked = RelatedTo { relation, key: key.to_string(), public_only };
    let mut rows = loaders(ctx)?.rows.load_one(asked).await.map_err(load_error)?.unwrap_or_default();
    rows.truncate(limit);
    loaders(ctx)?.prefetch(ctx, &rows).await.map_err(load_error)?;
    Ok(rows.into_iter().map(Project).collect())
}

/// The projects matching `condition` that the caller may see, by code, at most `first`
/// (default [`RELATED_DEFAULT`], at most [`RELATED_MAX`]): for lists that are not one of
/// the loaders' relations (a chain link's projects, a carrier's).
pub(crate) async fn projects_where(
    ctx: &Context<'_>,
    condition: Condition,
    first: Option<u64>,
) -> Result<Vec<Project>> {
    let limit = first.unwrap_or(RELATED_DEFAULT).min(RELATED_MAX);
    let rows = entities::prelude::Project::find()
        .filter(condition.add(visible_projects(ctx)))
        .order_by_asc(project::Column::Code)
        .limit(limit)
        .all(&state(ctx)?.db)
        .await
        .map_err(ApiError::from)?;
    loaders(ctx)?.prefetch(ctx, &rows).await.map_err(load_error)?;
    Ok(rows.into_iter().map(Project).collect())
}

fn load_error(e: std::sync::Arc<sea_orm::DbErr>) -> async_graphql::Error {
    ApiError::Internal(format!("loader: {e}")).into()
}

/// An investment project (招商项目). Money in 万元; dates are calendar days.
pub struct Project(pub project::Model);

#[Object(guard = "Policy::row(\"Project\", self.policy_row())")]
impl Project {
    /// Unique, stable id (项目编号).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Project name (项目名称).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The row's version, one up with every write: send it back as `expectedVersion`
    /// to change the project only if nobody changed it since.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// National investment-project code (项目代码).
    async fn national_code(&self) -> Option<&str> {
        self.0.national_code.as_deref()
    }
    /// The responsible unit (责任单位).
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        Ok(loaders(ctx)?.rows.load_one(UnitKey(self.0.unit_code.clone())).await.map_err(load_error)?.map(Unit))
    }
    /// The responsible unit's code.
    async fn unit_code(&self) -> &str {
        &self.0.unit_code
    }
    /// The industry (产业类别).
    async fn industry(&self, ctx: &Context<'_>) -> Result<Option<Industry>> {
        Ok(loaders(ctx)?
            .rows
            .load_one(IndustryKey(self.0.industry_name.clone()))
            .await
            .map_err(load_error)?
            .map(Industry))
    }
    /// The industry's name.
    async fn industry_name(&self) -> &str {
        &self.0.industry_name
    }
    /// The investor (投资方, 客商).
    async fn investor(&self, ctx: &Context<'_>) -> Result<Option<Investor>> {
        let Some(name) = &self.0.investor_name else { return Ok(None) };
        Ok(loaders(ctx)?.rows.load_one(InvestorKey(name.clone())).await.map_err(load_error)?.map(Investor))
    }
    /// The investor's name.
    async fn investor_name(&self) -> Option<&str> {
        self.0.investor_name.as_deref()
    }
    /// How it was attracted (招商方式): 驻点招商, 以商招商, 以会招商, 小分队招商, 其他.
    async fn channel(&self) -> Option<&str> {
        self.0.channel.as_deref()
    }
    /// 协议 (agreement) or 合同 (contract) (签约类型).
    async fn contract_type(&self) -> Option<&str> {
        self.0.contract_type.as_deref()
    }
    /// The signing event (签约活动).
    async fn signing_event(&self) -> Option<&str> {
        self.0.signing_event.as_deref()
    }
    /// Planned or contracted total investment (总投资), 万元.
    async fn total_investment_wan(&self) -> f64 {
        wan(self.0.total_investment)
    }
    /// Stage 1 reached (意向日期), as recorded.
    async fn intent_date(&self) -> Option<Date> {
        date(self.0.intent_date)
    }
    /// Stage 2 reached (洽谈日期), as recorded.
    async fn negotiation_date(&self) -> Option<Date> {
        date(self.0.negotiation_date)
    }
    /// Stage 3 reached (签约日期), as recorded.
    async fn signed_date(&self) -> Option<Date> {
        date(self.0.signed_date)
    }
    /// Local company registered (注册日期).
    async fn registered_date(&self) -> Option<Date> {
        date(self.0.registered_date)
    }
    /// Planned start of construction (计划开工日期).
    async fn planned_start_date(&self) -> Option<Date> {
        date(self.0.planned_start_date)
    }
    /// Stage 4 reached (开工日期), as recorded.
    async fn started_date(&self) -> Option<Date> {
        date(self.0.started_date)
    }
    /// Planned start of production (计划投产日期).
    async fn planned_production_date(&self) -> Option<Date> {
        date(self.0.planned_production_date)
    }
    /// Stage 5 reached (投产日期), as recorded.
    async fn producing_date(&self) -> Option<Date> {
        date(self.0.producing_date)
    }
    /// Stage 6 reached (达产日期), as recorded.
    async fn capacity_date(&self) -> Option<Date> {
        date(self.0.capacity_date)
    }
    /// Entered the statistics register (入统日期).
    async fn stats_date(&self) -> Option<Date> {
        date(self.0.stats_date)
    }
    /// The stage reached by today (China time); a later recorded stage implies the
    /// earlier ones. Null before the first stage date.
    async fn stage(&self) -> Option<Stage> {
        rules::stage_as_of(&self.0, crate::analytics::today()).map(Into::into)
    }
    /// The stage reached by the given day.
    async fn stage_as_of(&self, date: Date) -> Option<Stage> {
        rules::stage_as_of(&self.0, date.0).map(Into::into)
    }
    /// Whether it was terminated (withdrawn, returned, replaced) by `asOf` (default today).
    async fn terminated(&self, as_of: Option<Date>) -> bool {
        let day = as_of.map_or_else(crate::analytics::today, |d| d.0);
        self.0.terminated_date.is_some_and(|t| t <= day)
    }
    /// When it was terminated (终止日期).
    async fn terminated_date(&self) -> Option<Date> {
        date(self.0.terminated_date)
    }
    /// Why it was terminated (终止原因).
    async fn terminated_reason(&self) -> Option<&str> {
        self.0.terminated_reason.as_deref()
    }
    /// Land area in mu (用地面积（亩）).
    async fn land_area_mu(&self) -> Option<f64> {
        self.0.land_area_mu
    }
    /// Expected annual output (预计年产值), 万元.
    async fn expected_output_wan(&self) -> Option<f64> {
        self.0.expected_output.map(wan)
    }
    /// Expected annual tax (预计年税收), 万元.
    async fn expected_tax_wan(&self) -> Option<f64> {
        self.0.expected_tax.map(wan)
    }
    /// Expected jobs (预计就业（人）).
    async fn expected_jobs(&self) -> Option<i64> {
        self.0.expected_jobs
    }
    /// A key project (重点项目).
    async fn key_project(&self) -> bool {
        self.0.key_project
    }
    /// May appear on the public site (公开推介).
    async fn public(&self) -> bool {
        self.0.public
    }
    /// Public description (项目简介).
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// The industry-chain link it fills, as 产业链/环节 (产业链环节).
    async fn chain_link(&self) -> Option<&str> {
        self.0.chain_link.as_deref()
    }
    /// The carrier it lands on (落地载体); null when the caller may not see it.
    async fn carrier(&self, ctx: &Context<'_>) -> Result<Option<super::promotion::Carrier>> {
        let Some(code) = &self.0.carrier_code else { return Ok(None) };
        let row = entities::prelude::Carrier::find_by_id(code.as_str())
            .filter(super::promotion::visible_carriers(&viewer(ctx)))
            .one(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(row.map(super::promotion::Carrier))
    }
    /// Contact person (联系人): for the unit's editors and admins only.
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    /// Contact phone (联系电话): for the unit's editors and admins only.
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }
    /// Monthly progress, oldest first; `last: 12` gives the latest twelve months.
    #[graphql(
        complexity = "super::limits::list_cost(last.map(|n| n.min(1000) as i64), super::limits::estimate::PROGRESS, 1000, child_complexity)"
    )]
    async fn progress(&self, ctx: &Context<'_>, last: Option<usize>) -> Result<Vec<ProgressMonth>> {
        let rows =
            loaders(ctx)?.rows.load_one(ProgressOf(self.0.code.clone())).await.map_err(load_error)?.unwrap_or_default();
        let skip = last.map_or(0, |n| rows.len().saturating_sub(n));
        Ok(rows.into_iter().skip(skip).map(ProgressMonth).collect())
    }
    /// Element-guarantee issues (要素问题), oldest first.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::SMALL, 0, child_complexity)")]
    async fn issues(&self, ctx: &Context<'_>) -> Result<Vec<ElementIssue>> {
        let rows =
            loaders(ctx)?.rows.load_one(IssuesOf(self.0.code.clone())).await.map_err(load_error)?.unwrap_or_default();
        Ok(rows.into_iter().map(ElementIssue).collect())
    }
    /// Every audited change of this project, its progress, its issues and its (shared)
    /// investor, newest first; each row before and after shows only the columns the
    /// caller may read (contacts only to the unit's editors and admins).
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::HISTORY, 0, child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<AuditEntry>> {
        let asked = HistoryOf { code: self.0.code.clone(), investor: self.0.investor_name.clone() };
        let rows = loaders(ctx)?.rows.load_one(asked).await.map_err(load_error)?.unwrap_or_default();
        let viewer = viewer(ctx);
        let row = self.policy_row();
        let shown = |table: &str, json: Option<serde_json::Value>| {
            json.map(|j| policy::filter_row(table, &j, viewer.reader(), Some(row)))
        };
        Ok(rows
            .into_iter()
            .map(|mut entry| {
                entry.before = shown(&entry.entity, entry.before.take());
                entry.after = shown(&entry.entity, entry.after.take());
                AuditEntry(entry)
            })
            .collect())
    }
}

impl Project {
    /// What the policy's row-dependent rules need of this project (as of today).
    fn policy_row(&self) -> policy::Row<'_> {
        policy::Row::of_project(&self.0, crate::analytics::today())
    }
}

/// A responsible unit (责任单位): town 镇, sub-district 街道, department 部门 or park 园区.
pub struct Unit(pub unit::Model);

#[Object(guard = "Policy::of(\"Unit\")")]
impl Unit {
    /// Unique, stable id (单位编码).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Name (单位名称), e.g. 陈炉镇.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 镇, 街道, 部门 or 园区 (单位类型).
    async fn kind(&self) -> Option<&str> {
        self.0.kind.as_deref()
    }
    /// The unit's projects (those the caller may see), by code; `first` ≤ 500.
    #[graphql(
        complexity = "super::limits::list_cost(first.map(|n| n.min(RELATED_MAX) as i64), RELATED_DEFAULT as usize, RELATED_MAX as usize, child_complexity)"
    )]
    async fn projects(&self, ctx: &Context<'_>, first: Option<u64>) -> Result<Vec<Project>> {
        related_projects(ctx, Relation::Unit, &self.0.code, first).await
    }
    /// Annual targets (目标任务), optionally of one year.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::SMALL, 0, child_complexity)")]
    async fn targets(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<Vec<Target>> {
        let rows =
            loaders(ctx)?.rows.load_one(TargetsOf(self.0.code.clone())).await.map_err(load_error)?.unwrap_or_default();
        let rows = rows.into_iter().filter(|t| year.is_none_or(|y| t.year == y));
        Ok(rows.into_iter().map(Target).collect())
    }
    /// This unit's quarterly scorecard (季度考核), or null when it has no target that year.
    async fn scorecard(
        &self,
        ctx: &Context<'_>,
        year: i32,
        quarter: u32,
        bottom: Option<usize>,
    ) -> Result<Option<super::analytics::Scorecard>> {
        let cards = super::analytics::scorecards(ctx, year, quarter, bottom).await?;
        Ok(cards.into_iter().find(|c| c.unit_code == self.0.code))
    }
    /// This unit's alerts as of `asOf` (default today) for `year` (default the year of asOf).
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::LARGE, 0, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        year: Option<i32>,
    ) -> Result<Vec<super::analytics::Alert>> {
        let all = super::analytics::alerts(ctx, as_of, year).await?;
        Ok(all.into_iter().filter(|a| a.0.unit == self.0.code).collect())
    }
}

/// An industry (产业类别) and its cluster (产业集群).
pub struct Industry(pub industry::Model);

#[Object(guard = "Policy::of(\"Industry\")")]
impl Industry {
    /// Name, e.g. 智能制造.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The larger cluster, e.g. 先进制造.
    async fn cluster(&self) -> Option<&str> {
        self.0.cluster.as_deref()
    }
    /// Its projects (those the caller may see), by code; `first` ≤ 500.
    #[graphql(
        complexity = "super::limits::list_cost(first.map(|n| n.min(RELATED_MAX) as i64), RELATED_DEFAULT as usize, RELATED_MAX as usize, child_complexity)"
    )]
    async fn projects(&self, ctx: &Context<'_>, first: Option<u64>) -> Result<Vec<Project>> {
        related_projects(ctx, Relation::Industry, &self.0.name, first).await
    }
}

/// An investor (投资方, 客商).
pub struct Investor(pub investor::Model);

#[Object(guard = "Policy::of(\"Investor\")")]
impl Investor {
    /// Name as written in the ledgers.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where it comes from (投资方来源地), e.g. 广东省深圳市.
    async fn origin(&self) -> Option<&str> {
        self.0.origin.as_deref()
    }
    /// Its projects, in every unit; `first` ≤ 500.
    #[graphql(
        complexity = "super::limits::list_cost(first.map(|n| n.min(RELATED_MAX) as i64), RELATED_DEFAULT as usize, RELATED_MAX as usize, child_complexity)"
    )]
    async fn projects(&self, ctx: &Context<'_>, first: Option<u64>) -> Result<Vec<Project>> {
        related_projects(ctx, Relation::Investor, &self.0.name, first).await
    }
}

/// One month of a project's progress (月度进度), 万元.
pub struct ProgressMonth(pub progress::Model);

#[Object(guard = "Policy::of(\"ProgressMonth\")")]
impl ProgressMonth {
    /// The project's code.
    async fn project_code(&self) -> &str {
        &self.0.project_code
    }
    /// The month, as its first day.
    async fn month(&self) -> Date {
        Date(self.0.month)
    }
    /// The month as `YYYY-MM`.
    async fn period(&self) -> String {
        self.0.month.format("%Y-%m").to_string()
    }
    /// Fixed-asset investment completed in the month (本月完成投资).
    async fn fai_wan(&self) -> Option<f64> {
        self.0.fai.map(wan)
    }
    /// Funds arrived in the month (本月到位资金).
    async fn funds_arrived_wan(&self) -> Option<f64> {
        self.0.funds_arrived.map(wan)
    }
    /// Of which from outside the city (其中市域外资金).
    async fn out_of_region_funds_wan(&self) -> Option<f64> {
        self.0.out_of_region_funds.map(wan)
    }
}

/// An element-guarantee issue (要素保障问题) holding a project back.
pub struct ElementIssue(pub element_issue::Model);

#[Object(guard = "Policy::of(\"ElementIssue\")")]
impl ElementIssue {
    /// Id, for `resolveIssue`.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// The project's code.
    async fn project_code(&self) -> &str {
        &self.0.project_code
    }
    /// 用地, 用水, 用电, 用气, 征地拆迁, 手续报批, 融资 or 其他 (问题类别).
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// What is wrong (问题描述).
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Code of the unit that must solve it.
    async fn owner_unit_code(&self) -> Option<&str> {
        self.0.owner_unit_code.as_deref()
    }
    /// Raised on (提出日期).
    async fn opened_date(&self) -> Date {
        Date(self.0.opened_date)
    }
    /// Solved on (解决日期); null while open.
    async fn resolved_date(&self) -> Option<Date> {
        date(self.0.resolved_date)
    }
    /// Whether it is still open.
    async fn open(&self) -> bool {
        self.0.resolved_date.is_none()
    }
}

/// An annual target (目标任务) of a unit.
pub struct Target(pub target::Model);

#[Object(guard = "Policy::of(\"Target\")")]
impl Target {
    /// The unit's code.
    async fn unit_code(&self) -> &str {
        &self.0.unit_code
    }
    /// The year (年度).
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Metric key: signed_count, signed_investment, new_starts, new_starts_10m, fai.
    async fn metric(&self) -> &str {
        &self.0.metric
    }
    /// The metric's Chinese name (签约项目数 …).
    async fn metric_name(&self) -> &str {
        rules::target_metric(&self.0.metric).map_or("", |m| m.zh)
    }
    /// Whether the value is money (万元) rather than a count.
    async fn is_money(&self) -> bool {
        rules::target_metric(&self.0.metric).is_some_and(|m| m.money)
    }
    /// The target: 万元 for money metrics, else a count.
    async fn value(&self) -> f64 {
        if rules::target_metric(&self.0.metric).is_some_and(|m| m.money) {
            wan(self.0.value)
        } else {
            self.0.value as f64
        }
    }
}

/// One audited write: who changed what, when, with the row before and after.
pub struct AuditEntry(pub audit_entry::Model);

#[Object(guard = "Policy::of(\"AuditEntry\")")]
impl AuditEntry {
    /// Increasing id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// When, RFC 3339 in UTC.
    async fn at(&self) -> String {
        self.0.at.to_rfc3339()
    }
    /// Who: a token's name, `cli`, or `demo`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// What: `import`, `createProject`, `recordProgress`, …
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The table written.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The key of the row (a project code for project, progress and issue writes).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// The row before (null when created).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    /// The row after, or an import's counts.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
}

/// Reads one unit.
pub async fn find_unit(ctx: &Context<'_>, code: &str) -> Result<Option<unit::Model>, ApiError> {
    Ok(entities::prelude::Unit::find_by_id(code).one(&state(ctx)?.db).await?)
}
