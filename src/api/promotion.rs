//! Promotion by industry chain and carrier: `chains` (each link 已有/在建/在谈/缺失,
//! coverage, strength), `carriers`, `carrier`, `carrierSupply` and `matchedLandIssues`
//! (see `docs/metrics.md`, Industry chains and Carriers).
//!
//! Who sees what is declared in [`crate::policy::TABLE`]: chains, their links' status
//! and what is sought are public (the chain map is what the district promotes); a
//! link's project count and investment are internal (a link with one unpublished
//! project would give its investment away). The public sees public carriers only
//! ([`visible_carriers`]); a carrier's contact is for the editors of its unit and admins;
//! supply and matched land issues count unpublished carriers and are internal.

use std::collections::HashMap;

use async_graphql::{Context, Enum, InputObject, InputType, Object, Result};
use entities::{carrier, element_issue, project};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::auth::{Policy, Viewer, require_input, viewer};
use super::error::ApiError;
use super::graph::{ElementIssue, Project, Unit, find_unit, projects_where};
use super::scalars::{Date, date, wan};
use super::state;
use crate::analytics::carriers::{self as engine, SupplyGroup};
use crate::analytics::chains::{self, ChainFigures, LinkFigures};
use crate::analytics::today;

/// A link's status as of a day.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::analytics::chains::LinkStatus")]
pub enum LinkStatus {
    /// 已有: some project of the link has reached PRODUCING.
    Present,
    /// 在建: some has reached STARTED, none PRODUCING.
    Building,
    /// 在谈: some has reached INTENT, none STARTED.
    Negotiating,
    /// 缺失: none; a gap the district wants filled (补链).
    Missing,
}

/// An industry chain (产业链) as of a day.
pub struct Chain(ChainFigures);

#[Object(guard = "Policy::of(\"Chain\")")]
impl Chain {
    /// The chain's name (产业链), e.g. 陶瓷产业链.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The cluster it serves (产业集群).
    async fn cluster(&self) -> Option<&str> {
        self.0.cluster.as_deref()
    }
    /// Its links, upstream to downstream, then by their order.
    async fn links(&self) -> Vec<ChainLinkStatus> {
        self.0.links.iter().cloned().map(ChainLinkStatus).collect()
    }
    /// Coverage: the share of its links that are not 缺失 (0–1).
    async fn coverage(&self) -> f64 {
        self.0.coverage
    }
    /// Strength: the share of its links that are 已有 (0–1).
    async fn strength(&self) -> f64 {
        self.0.strength
    }
}

/// One link of a chain (产业链环节) and its figures as of a day.
pub struct ChainLinkStatus(LinkFigures);

#[Object(guard = "Policy::of(\"ChainLinkStatus\")")]
impl ChainLinkStatus {
    /// The link (环节).
    async fn link(&self) -> &str {
        &self.0.link
    }
    /// 上游, 中游 or 下游 (位置).
    async fn position(&self) -> &str {
        &self.0.position
    }
    /// Its order within the position (序号).
    async fn order(&self) -> Option<i64> {
        self.0.order
    }
    /// 已有, 在建, 在谈 or 缺失.
    async fn status(&self) -> LinkStatus {
        self.0.status.into()
    }
    /// The status in Chinese: 已有, 在建, 在谈 or 缺失.
    async fn status_zh(&self) -> &str {
        self.0.status.label_zh()
    }
    /// What kind of enterprise the district seeks for this link (招引方向).
    async fn sought(&self) -> Option<&str> {
        self.0.sought.as_deref()
    }
    /// The number of projects that count for it (live, taken in by the day).
    async fn project_count(&self) -> usize {
        self.0.projects.len()
    }
    /// Σ total investment of those projects, 万元.
    async fn investment_wan(&self) -> f64 {
        wan(self.0.investment)
    }
    /// Those projects that the caller may see (the public: public projects only).
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        let codes = self.0.projects.clone();
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        projects_where(ctx, Condition::all().add(project::Column::Code.is_in(codes)), Some(u64::MAX)).await
    }
}

/// A carrier (载体): land, a factory or a building offered to investors.
pub struct Carrier(pub carrier::Model);

impl Carrier {
    /// What the policy's row-dependent rules (the contact) need of this carrier.
    fn policy_row(&self) -> crate::policy::Row<'_> {
        crate::policy::Row { unit: &self.0.unit_code, signed: true }
    }
}

#[Object(guard = "Policy::row(\"Carrier\", self.policy_row())")]
impl Carrier {
    /// Unique, stable id (载体编号).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Name (载体名称).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 工业用地, 标准化厂房, 闲置厂房, 商业楼宇 or 其他 (载体类型).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The unit it lies in (所在单位).
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        Ok(find_unit(ctx, &self.0.unit_code).await?.map(Unit))
    }
    /// The unit's code.
    async fn unit_code(&self) -> &str {
        &self.0.unit_code
    }
    /// Land area, 亩 (面积（亩）).
    async fn area_mu(&self) -> Option<f64> {
        self.0.area_mu
    }
    /// Floor area, square metres (建筑面积（平方米）).
    async fn floor_area(&self) -> Option<f64> {
        self.0.floor_area
    }
    /// Price as offered, e.g. 12万元/亩 (价格).
    async fn price(&self) -> Option<&str> {
        self.0.price.as_deref()
    }
    /// 可供 (available), 已意向 (reserved) or 已使用 (in use) (状态).
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// Available from this day (可供日期).
    async fn available_from(&self) -> Option<Date> {
        date(self.0.available_from)
    }
    /// Whether it is available as of `asOf` (default today): 可供 and available from
    /// that day or before.
    async fn available(&self, as_of: Option<Date>) -> bool {
        engine::is_available(&self.0, as_of.map_or_else(today, |d| d.0))
    }
    /// May appear on the public site (公开推介).
    async fn public(&self) -> bool {
        self.0.public
    }
    /// Public description (载体简介).
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Contact person (联系人): for the unit's editors and admins only.
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    /// Contact phone (联系电话): for the unit's editors and admins only.
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }
    /// The projects that land on it and that the caller may see.
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        projects_where(ctx, Condition::all().add(project::Column::CarrierCode.eq(self.0.code.as_str())), None).await
    }
}

/// What carriers may a caller see: the public sees public carriers only.
pub fn visible_carriers(viewer: &Viewer) -> Condition {
    if viewer.is_internal() { Condition::all() } else { Condition::all().add(carrier::Column::Public.eq(true)) }
}

/// Which carriers to list; every given condition must hold.
#[derive(InputObject, Default)]
pub struct CarriersFilter {
    /// Unit codes.
    pub units: Option<Vec<String>>,
    /// Kinds (载体类型).
    pub kinds: Option<Vec<String>>,
    /// Statuses (状态): 可供, 已意向, 已使用.
    pub statuses: Option<Vec<String>>,
    /// Only those available (true) or not available (false) as of `asOf`.
    pub available: Option<bool>,
    /// The day `available` is judged on (default today, China time).
    pub as_of: Option<Date>,
    /// Text in the name or the public description.
    pub text: Option<String>,
}

/// How carrier supply is grouped.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CarrierGroup {
    /// One row for all carriers.
    #[default]
    None,
    /// One row per unit.
    Unit,
    /// One row per kind.
    Kind,
    /// One row per unit and kind.
    UnitAndKind,
}

impl From<CarrierGroup> for SupplyGroup {
    fn from(g: CarrierGroup) -> Self {
        match g {
            CarrierGroup::None => SupplyGroup::None,
            CarrierGroup::Unit => SupplyGroup::Unit,
            CarrierGroup::Kind => SupplyGroup::Kind,
            CarrierGroup::UnitAndKind => SupplyGroup::UnitAndKind,
        }
    }
}

/// The available carriers of one group as of a day.
pub struct CarrierSupply(engine::SupplyRow);

#[Object(guard = "Policy::of(\"CarrierSupply\")")]
impl CarrierSupply {
    /// The unit, when grouped by unit.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        let Some(code) = &self.0.unit else { return Ok(None) };
        Ok(find_unit(ctx, code).await?.map(Unit))
    }
    /// The unit's code, when grouped by unit.
    async fn unit_code(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    /// The kind, when grouped by kind.
    async fn kind(&self) -> Option<&str> {
        self.0.kind.as_deref()
    }
    /// How many carriers are available.
    async fn count(&self) -> usize {
        self.0.count
    }
    /// Their land area, 亩 (a carrier without an area adds 0).
    async fn area_mu(&self) -> f64 {
        self.0.area_mu
    }
}

/// An open land issue (用地) in a unit that has land or a standard factory available.
pub struct MatchedLandIssue(engine::MatchedIssue);

#[Object(guard = "Policy::of(\"MatchedLandIssue\")")]
impl MatchedLandIssue {
    /// The issue.
    async fn issue(&self) -> ElementIssue {
        ElementIssue(self.0.issue.clone())
    }
    /// The code of the unit of the issue's project.
    async fn unit_code(&self) -> &str {
        &self.0.unit
    }
    /// The unit's available 工业用地 and 标准化厂房 carriers.
    async fn carriers(&self, ctx: &Context<'_>) -> Result<Vec<Carrier>> {
        let rows = entities::prelude::Carrier::find()
            .filter(carrier::Column::Code.is_in(self.0.carriers.clone()))
            .order_by_asc(carrier::Column::Code)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Carrier).collect())
    }
}

/// The promotion queries.
#[derive(Default)]
pub struct PromotionQuery;

#[Object(guard = "Policy::of(\"Query\")")]
impl PromotionQuery {
    /// Every industry chain with its links' status as of `asOf` (default today), by name.
    async fn chains(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<Vec<Chain>> {
        let as_of = as_of.map_or_else(today, |d| d.0);
        let figures = chains::load_chain_figures(&state(ctx)?.db, as_of).await.map_err(ApiError::from)?;
        Ok(figures.into_iter().map(Chain).collect())
    }

    /// One carrier by code; null if there is none or the caller may not see it.
    async fn carrier(&self, ctx: &Context<'_>, code: String) -> Result<Option<Carrier>> {
        let row = entities::prelude::Carrier::find_by_id(code)
            .filter(visible_carriers(&viewer(ctx)))
            .one(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(row.map(Carrier))
    }

    /// Carriers matching `filter`, by code. The public sees public carriers only.
    async fn carriers(&self, ctx: &Context<'_>, filter: Option<CarriersFilter>) -> Result<Vec<Carrier>> {
        let viewer = viewer(ctx);
        if let Some(filter) = &filter {
            // A filter on a field the caller may not read would be an oracle.
            require_input("CarriersFilter", &filter.to_value(), &viewer)?;
        }
        let filter = filter.unwrap_or_default();
        let mut condition = visible_carriers(&viewer);
        if let Some(units) = filter.units {
            condition = condition.add(carrier::Column::UnitCode.is_in(units));
        }
        if let Some(kinds) = filter.kinds {
            condition = condition.add(carrier::Column::Kind.is_in(kinds));
        }
        if let Some(statuses) = filter.statuses {
            condition = condition.add(carrier::Column::Status.is_in(statuses));
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            condition = condition.add(
                Condition::any().add(carrier::Column::Name.contains(text)).add(carrier::Column::Summary.contains(text)),
            );
        }
        let rows = entities::prelude::Carrier::find()
            .filter(condition)
            .order_by_asc(carrier::Column::Code)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        let as_of = filter.as_of.map_or_else(today, |d| d.0);
        Ok(rows
            .into_iter()
            .filter(|c| filter.available.is_none_or(|wanted| engine::is_available(c, as_of) == wanted))
            .map(Carrier)
            .collect())
    }

    /// The supply of available carriers as of `asOf` (default today): count and Σ area
    /// (亩), grouped by unit, kind, both, or not at all.
    async fn carrier_supply(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        #[graphql(default)] group_by: CarrierGroup,
    ) -> Result<Vec<CarrierSupply>> {
        let as_of = as_of.map_or_else(today, |d| d.0);
        let rows = entities::prelude::Carrier::find().all(&state(ctx)?.db).await.map_err(ApiError::from)?;
        Ok(engine::supply(&rows, as_of, group_by.into()).into_iter().map(CarrierSupply).collect())
    }

    /// Open land issues (用地) as of `asOf` (default today) in units that have an
    /// available 工业用地 or 标准化厂房 carrier, oldest first.
    async fn matched_land_issues(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<Vec<MatchedLandIssue>> {
        let as_of = as_of.map_or_else(today, |d| d.0);
        let db = &state(ctx)?.db;
        let carriers = entities::prelude::Carrier::find().all(db).await.map_err(ApiError::from)?;
        let issues = entities::prelude::ElementIssue::find()
            .filter(element_issue::Column::Category.eq("用地"))
            .all(db)
            .await
            .map_err(ApiError::from)?;
        let codes: Vec<String> = issues.iter().map(|i| i.project_code.clone()).collect();
        let units: Vec<(String, String)> = entities::prelude::Project::find()
            .select_only()
            .columns([project::Column::Code, project::Column::UnitCode])
            .filter(project::Column::Code.is_in(codes))
            .into_tuple()
            .all(db)
            .await
            .map_err(ApiError::from)?;
        let units: HashMap<String, String> = units.into_iter().collect();
        Ok(engine::matched_land_issues(&carriers, &issues, &units, as_of).into_iter().map(MatchedLandIssue).collect())
    }
}
