//! The work around the pipeline in GraphQL: events (招商活动) with their reports,
//! engagements (对接记录), incentives (政策兑现), supervision items (督办事项), the
//! investor directory's lists, and the analytics of `docs/metrics.md` over them
//! (`engagementFunnel`, `events`, `event`, `incentiveSummary`, `supervisionSummary`).
//! Access is the policy table's (`src/policy.rs`); the public sees public events only.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, InputType, Object, Result, SimpleObject};
use entities::{engagement, event, incentive, investor, project, supervision_item};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::auth::{Policy, require_input, viewer};
use super::error::ApiError;
use super::graph::{Investor, Project, Unit, visible_projects};
use super::scalars::{Date, date, wan};
use super::state;
use crate::analytics::cohort::default_as_of;
use crate::analytics::{engagement as funnel, events as event_reports, incentives, supervision, today};
use crate::policy;

/// The most rows a page of these lists holds, and the default.
const PAGE_MAX: u64 = 500;
const PAGE_DEFAULT: u64 = 50;

/// A project by code, if the caller may see it.
async fn project_of(ctx: &Context<'_>, code: Option<&str>) -> Result<Option<Project>> {
    let Some(code) = code else { return Ok(None) };
    let loaded = super::loaders(ctx)?.rows.load_one(super::loaders::ProjectKey(code.to_string())).await;
    let found = loaded.map_err(|e| ApiError::Internal(format!("loader: {e}")))?;
    Ok(found.filter(|p| super::graph::may_see_project(ctx, p)).map(Project))
}

/// A unit by code, if there is one.
async fn unit_of(ctx: &Context<'_>, code: Option<&str>) -> Result<Option<Unit>> {
    match code {
        Some(code) => super::analytics::unit_by_code(ctx, code).await,
        None => Ok(None),
    }
}

/// An investor by name.
async fn investor_of(ctx: &Context<'_>, name: Option<&str>) -> Result<Option<Investor>> {
    let Some(name) = name else { return Ok(None) };
    let loaded = super::loaders(ctx)?.rows.load_one(super::loaders::InvestorKey(name.to_string())).await;
    Ok(loaded.map_err(|e| ApiError::Internal(format!("loader: {e}")))?.map(Investor))
}

/// Projects by code, in that order, those the caller may see.
async fn projects_by_code(ctx: &Context<'_>, codes: &[String]) -> Result<Vec<Project>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = entities::prelude::Project::find()
        .filter(project::Column::Code.is_in(codes.iter().map(String::as_str)))
        .filter(visible_projects(ctx))
        .order_by_asc(project::Column::Code)
        .all(&state(ctx)?.db)
        .await
        .map_err(ApiError::from)?;
    Ok(rows.into_iter().map(Project).collect())
}

/// The row facts the policy judges a row of these tables by: its unit.
fn row_of(unit: &str) -> policy::Row<'_> {
    policy::Row { unit, signed: false }
}

/// An investment-promotion event (招商活动): a fair, a promotion meeting, a signing
/// ceremony. The public sees public events only.
pub struct Event(pub event::Model);

#[Object(guard = "Policy::of(\"Event\")")]
impl Event {
    /// Unique, stable id (活动编号).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Its name (活动名称), e.g. 第九届丝博会.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 博览会, 推介会, 座谈会, 签约仪式, 考察团 or 其他 (活动类型).
    async fn kind(&self) -> Option<&str> {
        self.0.kind.as_deref()
    }
    /// The first day (开始日期).
    async fn date(&self) -> Date {
        Date(self.0.date)
    }
    /// The last day (结束日期); null for a one-day event.
    async fn end_date(&self) -> Option<Date> {
        date(self.0.end_date)
    }
    /// Where (地点).
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
    /// The organising unit (主办单位).
    async fn organizer(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        unit_of(ctx, self.0.organizer_unit_code.as_deref()).await
    }
    /// May appear on the public site (公开).
    async fn public(&self) -> bool {
        self.0.public
    }
    /// Public description (活动简介).
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// The projects signed at the event (their 签约活动 names its code or name) that the
    /// caller may see, by code.
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        let linked = Condition::any()
            .add(project::Column::SigningEvent.eq(self.0.code.as_str()))
            .add(project::Column::SigningEvent.eq(self.0.name.as_str()));
        let rows = entities::prelude::Project::find()
            .filter(linked)
            .filter(visible_projects(ctx))
            .order_by_asc(project::Column::Code)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        // A project naming another event by code whose name is this one's is that one's.
        let events = state(ctx)?.engine.frames().await.map_err(|e| ApiError::Internal(format!("frames: {e}")))?;
        Ok(rows
            .into_iter()
            .filter(|p| {
                crate::analytics::work::event_of(p.signing_event.as_deref(), &events.work().events)
                    .is_some_and(|e| e.code == self.0.code)
            })
            .map(Project)
            .collect())
    }
    /// What the event brought as of `asOf` (default today): attendees, what was signed
    /// there and how much of it has landed (`docs/metrics.md`, Events).
    async fn report(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<EventReport> {
        let as_of = as_of.map_or_else(today, |d| d.0);
        let code = self.0.code.clone();
        let engine = state(ctx)?.engine.clone();
        let report = engine
            .run(move |f| Ok(event_reports::report(f.work(), &code, as_of)))
            .await
            .map_err(|e| ApiError::Internal(format!("event report: {e}")))?;
        Ok(EventReport(report))
    }
}

/// What an event brought, as of a day.
pub struct EventReport(pub event_reports::EventReport);

#[Object(guard = "Policy::of(\"EventReport\")")]
impl EventReport {
    /// Distinct investors with an engagement at the event (参会客商).
    async fn attendees(&self) -> usize {
        self.0.attendees
    }
    /// Projects signed at the event by the day (当会签约).
    async fn signed_count(&self) -> usize {
        self.0.signed_count()
    }
    /// Their total investment, 万元.
    async fn signed_investment_wan(&self) -> f64 {
        wan(self.0.signed.total_investment)
    }
    /// 落地率 over those projects; null when none was signed.
    async fn landing_rate(&self) -> Option<f64> {
        self.0.signed.landing_rate()
    }
    /// 投产率 over those projects.
    async fn production_rate(&self) -> Option<f64> {
        self.0.signed.production_rate()
    }
    /// 资金到位率 over those projects.
    async fn fund_arrival_rate(&self) -> Option<f64> {
        self.0.signed.fund_arrival_rate()
    }
    /// Those not started and not terminated by the day (签约未落地).
    async fn not_landed(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        projects_by_code(ctx, &self.0.not_landed).await
    }
}

/// A contact with an investor (对接记录). What was discussed is for the unit's editors
/// and admins.
pub struct Engagement(pub engagement::Model);

#[Object(guard = "Policy::row(\"Engagement\", row_of(&self.0.unit_code))")]
impl Engagement {
    /// The investor's name (客商名称).
    async fn investor_name(&self) -> &str {
        &self.0.investor_name
    }
    /// The investor.
    async fn investor(&self, ctx: &Context<'_>) -> Result<Option<Investor>> {
        investor_of(ctx, Some(&self.0.investor_name)).await
    }
    /// The code of the unit that made the contact (对接单位).
    async fn unit_code(&self) -> &str {
        &self.0.unit_code
    }
    /// The unit that made the contact.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        unit_of(ctx, Some(&self.0.unit_code)).await
    }
    /// The day (对接日期).
    async fn date(&self) -> Date {
        Date(self.0.date)
    }
    /// 电话, 外出拜访, 来区考察, 洽谈会见, 活动参会, 线上 or 其他 (对接方式).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The event's code (活动), if the contact was at one.
    async fn event_code(&self) -> Option<&str> {
        self.0.event()
    }
    /// The event, if the contact was at one.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        let Some(code) = self.0.event() else { return Ok(None) };
        let found = entities::prelude::Event::find_by_id(code).one(&state(ctx)?.db).await.map_err(ApiError::from)?;
        Ok(found.map(Event))
    }
    /// The outpost that made the contact (驻点).
    async fn outpost(&self) -> Option<&str> {
        self.0.outpost.as_deref()
    }
    /// The project's code, when the contact concerns one.
    async fn project_code(&self) -> Option<&str> {
        self.0.project_code.as_deref()
    }
    /// The project, when the contact concerns one.
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        project_of(ctx, self.0.project_code.as_deref()).await
    }
    /// CONFIDENTIAL: what was discussed (对接内容); the unit's editors and admins only.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// The planned follow-up (下次跟进日期).
    async fn next_date(&self) -> Option<Date> {
        date(self.0.next_date)
    }
}

/// An incentive promised to a project (政策兑现); money in 万元.
pub struct Incentive(pub incentive::Model);

#[Object(guard = "Policy::of(\"Incentive\")")]
impl Incentive {
    /// The project's code.
    async fn project_code(&self) -> &str {
        &self.0.project_code
    }
    /// The project.
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        project_of(ctx, Some(&self.0.project_code)).await
    }
    /// The policy (政策名称).
    async fn policy(&self) -> &str {
        &self.0.policy
    }
    /// 资金奖补, 税收返还, 土地, 厂房租金, 贷款贴息 or 其他 (兑现类型).
    async fn kind(&self) -> Option<&str> {
        self.0.kind.as_deref()
    }
    /// Amount promised (承诺金额), 万元.
    async fn promised_wan(&self) -> f64 {
        wan(self.0.promised)
    }
    /// When it was promised (承诺日期).
    async fn promised_date(&self) -> Date {
        Date(self.0.promised_date)
    }
    /// When it is due (应兑现日期).
    async fn due_date(&self) -> Date {
        Date(self.0.due_date)
    }
    /// Amount paid so far (已兑现金额), 万元.
    async fn paid_wan(&self) -> f64 {
        wan(self.0.paid.unwrap_or(0))
    }
    /// The day the paid amount was reached (兑现日期).
    async fn paid_date(&self) -> Option<Date> {
        date(self.0.paid_date)
    }
    /// Whether it is overdue as of `asOf` (default today): due before then and not
    /// fully paid by then.
    async fn overdue(&self, as_of: Option<Date>) -> bool {
        incentives::is_overdue(&self.0, as_of.map_or_else(today, |d| d.0))
    }
}

/// An item a supervisor handed a unit with a deadline (督办事项). Its description is
/// for the unit's editors and admins.
pub struct SupervisionItem(pub supervision_item::Model);

#[Object(guard = "Policy::row(\"SupervisionItem\", row_of(&self.0.unit_code))")]
impl SupervisionItem {
    /// Unique id (督办编号).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The responsible unit's code.
    async fn unit_code(&self) -> &str {
        &self.0.unit_code
    }
    /// The responsible unit (责任单位).
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        unit_of(ctx, Some(&self.0.unit_code)).await
    }
    /// The project's code, if it concerns one.
    async fn project_code(&self) -> Option<&str> {
        self.0.project_code.as_deref()
    }
    /// The project, if it concerns one.
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        project_of(ctx, self.0.project_code.as_deref()).await
    }
    /// 市政府督查室, 区政府督查科, 区招组办 or 其他 (督办来源).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// CONFIDENTIAL: what must be done (督办事项); the unit's editors and admins only.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// When it was handed over (交办日期).
    async fn raised_date(&self) -> Date {
        Date(self.0.raised_date)
    }
    /// The deadline (办结时限).
    async fn deadline(&self) -> Date {
        Date(self.0.deadline)
    }
    /// When it was closed (办结日期); null while open.
    async fn closed_date(&self) -> Option<Date> {
        date(self.0.closed_date)
    }
    /// Days overdue as of `asOf` (default today); null unless open past its deadline.
    async fn days_overdue(&self, as_of: Option<Date>) -> Option<i64> {
        supervision::days_overdue(&self.0, as_of.map_or_else(today, |d| d.0))
    }
    /// The level (分级通报) as of `asOf`: 提醒, 通报 or 约谈; null unless overdue.
    async fn level(&self, as_of: Option<Date>) -> Option<&'static str> {
        supervision::days_overdue(&self.0, as_of.map_or_else(today, |d| d.0)).map(supervision::level)
    }
}

/// How the engagement funnel is grouped.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[graphql(remote = "crate::analytics::engagement::EngagementGroup")]
pub enum EngagementGroup {
    /// One row.
    #[default]
    None,
    /// By the unit of first contact (its code).
    Unit,
    /// By the outpost of first contact (驻点); contacts without one form the group null.
    Outpost,
}

/// One row of the engagement funnel (对接 → 考察 → 意向 → 签约).
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"EngagementFunnelRow\")")]
pub struct EngagementFunnelRow {
    /// The unit code or outpost; null ungrouped or for contacts without an outpost.
    pub group: Option<String>,
    /// Investors first contacted in the period (初步对接).
    pub contacted: usize,
    /// Of those, who visited the district (来区考察).
    pub visited: usize,
    /// Of those, with a project at intent after first contact (达成投资意向).
    pub intent: usize,
    /// Of those, with a project signed after first contact (签约).
    pub signed: usize,
    /// visited / contacted; null when none was contacted.
    pub visit_rate: Option<f64>,
    /// intent / contacted.
    pub intent_rate: Option<f64>,
    /// signed / contacted.
    pub signing_rate: Option<f64>,
}

impl From<funnel::FunnelRow> for EngagementFunnelRow {
    fn from(r: funnel::FunnelRow) -> Self {
        EngagementFunnelRow {
            visit_rate: r.visit_rate(),
            intent_rate: r.intent_rate(),
            signing_rate: r.signing_rate(),
            group: r.group,
            contacted: r.contacted,
            visited: r.visited,
            intent: r.intent,
            signed: r.signed,
        }
    }
}

/// How the incentive summary is grouped.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[graphql(remote = "crate::analytics::incentives::IncentiveGroup")]
pub enum IncentiveGroup {
    /// One row.
    #[default]
    None,
    /// By the unit of the project (its code).
    Unit,
    /// By kind (兑现类型); incentives without one form the group null.
    Kind,
}

/// One row of the incentive summary (政策兑现), over the incentives due.
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"IncentiveSummaryRow\")")]
pub struct IncentiveSummaryRow {
    /// The unit code or kind; null ungrouped or for incentives without a kind.
    pub group: Option<String>,
    /// Promised, 万元.
    pub promised_wan: f64,
    /// Paid by the day, 万元.
    pub paid_wan: f64,
    /// 兑现率: paid / promised; null when nothing promised is due.
    pub payment_rate: Option<f64>,
    /// Due before the day and not fully paid (兑现逾期).
    pub overdue_count: usize,
}

/// How the supervision summary is grouped.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[graphql(remote = "crate::analytics::supervision::SupervisionGroup")]
pub enum SupervisionGroup {
    /// One row.
    #[default]
    None,
    /// By the responsible unit (its code).
    Unit,
}

/// One row of the supervision summary (督办).
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"SupervisionSummaryRow\")")]
pub struct SupervisionSummaryRow {
    /// The unit code; null ungrouped.
    pub group: Option<String>,
    /// Open on the day.
    pub open: usize,
    /// Open past their deadline on the day (逾期).
    pub overdue: usize,
    /// Items whose deadline falls in the period (and by the day).
    pub due: usize,
    /// Of those, closed by their deadline; null when none was due (按时办结率).
    pub on_time_rate: Option<f64>,
}

/// Which investors `investors` lists; every field narrows.
#[derive(InputObject, Default)]
pub struct InvestorsFilter {
    /// Follow-up statuses (跟进中 also matches an empty status).
    pub statuses: Option<Vec<String>>,
    /// Codes of the following units (联络单位).
    pub owner_units: Option<Vec<String>>,
    /// Kinds (客商类型).
    pub kinds: Option<Vec<String>>,
    /// Only those introduced by this investor (以商招商).
    pub introduced_by: Option<String>,
    /// Part of the name.
    pub text: Option<String>,
}

/// Which engagements `engagements` lists; every field narrows.
#[derive(InputObject, Default)]
pub struct EngagementsFilter {
    /// The investor's name.
    pub investor: Option<String>,
    /// Codes of the contacting units.
    pub units: Option<Vec<String>>,
    /// Kinds (对接方式).
    pub kinds: Option<Vec<String>>,
    /// The event's code.
    pub event: Option<String>,
    /// The outpost (驻点).
    pub outpost: Option<String>,
    /// From this day.
    pub from: Option<Date>,
    /// To this day.
    pub to: Option<Date>,
}

/// Which incentives `incentives` lists; every field narrows.
#[derive(InputObject, Default)]
pub struct IncentivesFilter {
    /// Project codes.
    pub projects: Option<Vec<String>>,
    /// Codes of the projects' units.
    pub units: Option<Vec<String>>,
    /// Kinds (兑现类型).
    pub kinds: Option<Vec<String>>,
    /// Due from this day.
    pub due_from: Option<Date>,
    /// Due to this day.
    pub due_to: Option<Date>,
}

/// Which supervision items `supervisionItems` lists; every field narrows.
#[derive(InputObject, Default)]
pub struct SupervisionFilter {
    /// Codes of the responsible units.
    pub units: Option<Vec<String>>,
    /// Open (true) or closed (false) as of today.
    pub open: Option<bool>,
    /// Deadline from this day.
    pub deadline_from: Option<Date>,
    /// Deadline to this day.
    pub deadline_to: Option<Date>,
}

/// `first` and `after` as an offset and a limit.
fn page(first: Option<i32>, after: Option<&str>) -> Result<(u64, u64), ApiError> {
    let limit = match first {
        None => PAGE_DEFAULT,
        Some(n) if n >= 0 => (n as u64).min(PAGE_MAX),
        Some(n) => return Err(ApiError::bad_input("first", format!("{n} is negative"))),
    };
    let offset = match after {
        None => 0,
        Some(cursor) => {
            let position = cursor.strip_prefix('p').and_then(|n| n.parse::<u64>().ok());
            position.ok_or_else(|| ApiError::bad_input("after", format!("{cursor:?} is not a cursor")))? + 1
        }
    };
    Ok((offset, limit))
}

/// A page of rows as a connection whose cursors are positions (`p0`, `p1`, … as for
/// `projects`).
fn connection<M, T: async_graphql::OutputType>(
    rows: Vec<M>,
    offset: u64,
    limit: u64,
    wrap: impl Fn(M) -> T,
) -> Connection<String, T> {
    let full = rows.len() as u64 > limit;
    let mut c = Connection::new(offset > 0, full);
    c.edges.extend(
        rows.into_iter()
            .take(limit as usize)
            .enumerate()
            .map(|(i, m)| Edge::new(format!("p{}", offset + i as u64), wrap(m))),
    );
    c
}

/// Runs one of the summaries on the current frames.
async fn run<T: Send + 'static>(
    ctx: &Context<'_>,
    compute: impl FnOnce(&crate::analytics::Frames) -> T + Send + 'static,
) -> Result<T> {
    let engine = state(ctx)?.engine.clone();
    Ok(engine.run(move |f| Ok(compute(f))).await.map_err(|e| ApiError::Internal(format!("analytics: {e}")))?)
}

/// The queries of the work around the pipeline.
#[derive(Default)]
pub struct WorkQuery;

#[Object(guard = "Policy::of(\"Query\")")]
impl WorkQuery {
    /// The engagement funnel (对接 → 考察 → 意向 → 签约) of the investors first contacted
    /// from `contactFrom` to `contactTo`, as of `asOf` (default the later of today and
    /// `contactTo`), grouped by `groupBy`.
    async fn engagement_funnel(
        &self,
        ctx: &Context<'_>,
        contact_from: Date,
        contact_to: Date,
        as_of: Option<Date>,
        #[graphql(default)] group_by: EngagementGroup,
    ) -> Result<Vec<EngagementFunnelRow>> {
        let as_of = as_of.map_or_else(|| default_as_of(contact_to.0, today()), |d| d.0);
        let rows =
            run(ctx, move |f| funnel::funnel(f.work(), contact_from.0, contact_to.0, as_of, group_by.into())).await?;
        Ok(rows.into_iter().map(EngagementFunnelRow::from).collect())
    }

    /// The events whose days overlap `from`..`to` (either open), by first day; the
    /// public sees public events only.
    async fn events(&self, ctx: &Context<'_>, from: Option<Date>, to: Option<Date>) -> Result<Vec<Event>> {
        let internal = viewer(ctx).is_internal();
        let (from, to) = (from.map(|d| d.0), to.map(|d| d.0));
        let found = run(ctx, move |f| {
            event_reports::events_in(f.work(), from, to)
                .into_iter()
                .filter(|e| internal || e.public)
                .cloned()
                .collect::<Vec<_>>()
        })
        .await?;
        Ok(found.into_iter().map(Event).collect())
    }

    /// One event by code; null if there is none (or the caller may not see it).
    async fn event(&self, ctx: &Context<'_>, code: String) -> Result<Option<Event>> {
        let found = entities::prelude::Event::find_by_id(code).one(&state(ctx)?.db).await.map_err(ApiError::from)?;
        let internal = viewer(ctx).is_internal();
        Ok(found.filter(|e| internal || e.public).map(Event))
    }

    /// Incentive payment (政策兑现) over the incentives due by `asOf` (default today),
    /// grouped by `groupBy`.
    async fn incentive_summary(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        #[graphql(default)] group_by: IncentiveGroup,
    ) -> Result<Vec<IncentiveSummaryRow>> {
        let as_of = as_of.map_or_else(today, |d| d.0);
        let rows =
            run(ctx, move |f| incentives::summary(&f.work().incentives, f.project_units(), as_of, group_by.into()))
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| IncentiveSummaryRow {
                payment_rate: r.payment_rate(),
                promised_wan: wan(r.promised),
                paid_wan: wan(r.paid),
                overdue_count: r.overdue_count,
                group: r.group,
            })
            .collect())
    }

    /// Supervision (督办): items open and overdue as of `asOf` (default the later of
    /// today and `to`), and the on-time rate of those due from `from` to `to`.
    async fn supervision_summary(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        as_of: Option<Date>,
        #[graphql(default)] group_by: SupervisionGroup,
    ) -> Result<Vec<SupervisionSummaryRow>> {
        let as_of = as_of.map_or_else(|| default_as_of(to.0, today()), |d| d.0);
        let rows = run(ctx, move |f| supervision::summary(&f.work().supervision, from.0, to.0, as_of, group_by.into()))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| SupervisionSummaryRow {
                on_time_rate: r.on_time_rate(),
                open: r.open,
                overdue: r.overdue,
                due: r.due,
                group: r.group,
            })
            .collect())
    }

    /// The investor directory (客商名录), by name, `first` at a time (default 50, at
    /// most 500) after the `after` cursor.
    async fn investors(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InvestorsFilter>,
    ) -> Result<Connection<String, Investor>> {
        let (offset, limit) = page(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        require_input("InvestorsFilter", &filter.to_value(), &viewer(ctx))?;
        let mut condition = Condition::all();
        if let Some(statuses) = filter.statuses {
            let mut any = Condition::any().add(investor::Column::Status.is_in(statuses.clone()));
            if statuses.iter().any(|s| s == crate::rules::pipeline::vocab::FOLLOWING) {
                any = any.add(investor::Column::Status.is_null());
            }
            condition = condition.add(any);
        }
        if let Some(units) = filter.owner_units {
            condition = condition.add(investor::Column::OwnerUnitCode.is_in(units));
        }
        if let Some(kinds) = filter.kinds {
            condition = condition.add(investor::Column::Kind.is_in(kinds));
        }
        if let Some(introducer) = filter.introduced_by {
            condition = condition.add(investor::Column::IntroducedBy.eq(introducer));
        }
        if let Some(text) = filter.text {
            condition = condition.add(investor::Column::Name.contains(text));
        }
        let rows = entities::prelude::Investor::find()
            .filter(condition)
            .order_by_asc(investor::Column::Name)
            .offset(offset)
            .limit(limit + 1)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(rows, offset, limit, Investor))
    }

    /// Engagements (对接记录), newest first, `first` at a time after the `after` cursor.
    async fn engagements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<EngagementsFilter>,
    ) -> Result<Connection<String, Engagement>> {
        let (offset, limit) = page(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        require_input("EngagementsFilter", &filter.to_value(), &viewer(ctx))?;
        let mut condition = Condition::all();
        if let Some(investor) = filter.investor {
            condition = condition.add(engagement::Column::InvestorName.eq(investor));
        }
        if let Some(units) = filter.units {
            condition = condition.add(engagement::Column::UnitCode.is_in(units));
        }
        if let Some(kinds) = filter.kinds {
            condition = condition.add(engagement::Column::Kind.is_in(kinds));
        }
        if let Some(event) = filter.event {
            condition = condition.add(engagement::Column::EventCode.eq(event));
        }
        if let Some(outpost) = filter.outpost {
            condition = condition.add(engagement::Column::Outpost.eq(outpost));
        }
        if let Some(from) = filter.from {
            condition = condition.add(engagement::Column::Date.gte(from.0));
        }
        if let Some(to) = filter.to {
            condition = condition.add(engagement::Column::Date.lte(to.0));
        }
        let rows = entities::prelude::Engagement::find()
            .filter(condition)
            .order_by_desc(engagement::Column::Date)
            .order_by_asc(engagement::Column::InvestorName)
            .order_by_asc(engagement::Column::UnitCode)
            .order_by_asc(engagement::Column::Kind)
            .order_by_asc(engagement::Column::EventCode)
            .offset(offset)
            .limit(limit + 1)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(rows, offset, limit, Engagement))
    }

    /// Incentives (政策兑现), by due day then project and policy, `first` at a time.
    async fn incentives(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<IncentivesFilter>,
    ) -> Result<Connection<String, Incentive>> {
        let (offset, limit) = page(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        require_input("IncentivesFilter", &filter.to_value(), &viewer(ctx))?;
        let mut condition = Condition::all();
        if let Some(projects) = filter.projects {
            condition = condition.add(incentive::Column::ProjectCode.is_in(projects));
        }
        if let Some(units) = filter.units {
            let codes: Vec<String> = entities::prelude::Project::find()
                .select_only()
                .column(project::Column::Code)
                .filter(project::Column::UnitCode.is_in(units))
                .into_tuple()
                .all(&state(ctx)?.db)
                .await
                .map_err(ApiError::from)?;
            condition = condition.add(incentive::Column::ProjectCode.is_in(codes));
        }
        if let Some(kinds) = filter.kinds {
            condition = condition.add(incentive::Column::Kind.is_in(kinds));
        }
        if let Some(from) = filter.due_from {
            condition = condition.add(incentive::Column::DueDate.gte(from.0));
        }
        if let Some(to) = filter.due_to {
            condition = condition.add(incentive::Column::DueDate.lte(to.0));
        }
        let rows = entities::prelude::Incentive::find()
            .filter(condition)
            .order_by_asc(incentive::Column::DueDate)
            .order_by_asc(incentive::Column::ProjectCode)
            .order_by_asc(incentive::Column::Policy)
            .offset(offset)
            .limit(limit + 1)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(rows, offset, limit, Incentive))
    }

    /// Supervision items (督办事项), by deadline then code, `first` at a time.
    async fn supervision_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SupervisionFilter>,
    ) -> Result<Connection<String, SupervisionItem>> {
        let (offset, limit) = page(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        require_input("SupervisionFilter", &filter.to_value(), &viewer(ctx))?;
        let mut condition = Condition::all();
        if let Some(units) = filter.units {
            condition = condition.add(supervision_item::Column::UnitCode.is_in(units));
        }
        if let Some(open) = filter.open {
            let day = today();
            let is_open = Condition::all().add(supervision_item::Column::RaisedDate.lte(day)).add(
                Condition::any()
                    .add(supervision_item::Column::ClosedDate.is_null())
                    .add(supervision_item::Column::ClosedDate.gt(day)),
            );
            condition = condition.add(if open { is_open } else { is_open.not() });
        }
        if let Some(from) = filter.deadline_from {
            condition = condition.add(supervision_item::Column::Deadline.gte(from.0));
        }
        if let Some(to) = filter.deadline_to {
            condition = condition.add(supervision_item::Column::Deadline.lte(to.0));
        }
        let rows = entities::prelude::SupervisionItem::find()
            .filter(condition)
            .order_by_asc(supervision_item::Column::Deadline)
            .order_by_asc(supervision_item::Column::Code)
            .offset(offset)
            .limit(limit + 1)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(connection(rows, offset, limit, SupervisionItem))
    }
}
