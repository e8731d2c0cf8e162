//! Writes between ledger imports. Each mutation checks the caller's role, validates with
//! the same rules as the ledger ([`crate::rules`]), runs in one writing transaction of
//! the change feed ([`crate::store::feed`]: the write lock first on SQLite, the row
//! locked on PostgreSQL) and records its change there, with the row before and after.
//! A project update writes only the fields that changed, and `expectedVersion` turns a
//! stale edit into `CONFLICT` instead of an overwrite.

use async_graphql::{Context, InputObject, Object, Result};
use chrono::NaiveDate;
use entities::prelude::*;
use entities::{element_issue, investor, progress, project, target};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, Iterable, ModelTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;

use super::auth::{Policy, Role, Viewer, viewer};
use super::error::{ApiError, ApiResult};
use super::graph::{ElementIssue as IssueObject, Project as ProjectObject, Target as TargetObject};
use super::scalars::{Date, Stage, yuan_from_wan};
use super::state;
use crate::rules::{self, vocab};
use crate::store::feed;

/// Fields of a project. `createProject` needs code, name, unitCode, industryName and
/// totalInvestmentWan; `updateProject` changes the fields given and keeps the rest.
#[derive(InputObject, Default)]
pub struct ProjectFields {
    /// Unique, stable id (项目编号); only for `createProject`.
    pub code: Option<String>,
    /// Project name.
    pub name: Option<String>,
    /// National investment-project code.
    pub national_code: Option<String>,
    /// The responsible unit's code.
    pub unit_code: Option<String>,
    /// The industry's name.
    pub industry_name: Option<String>,
    /// The investor's name (created if new).
    pub investor_name: Option<String>,
    /// The investor's origin, e.g. 广东省深圳市.
    pub investor_origin: Option<String>,
    /// 驻点招商, 以商招商, 以会招商, 小分队招商 or 其他.
    pub channel: Option<String>,
    /// 协议 or 合同.
    pub contract_type: Option<String>,
    /// The signing event.
    pub signing_event: Option<String>,
    /// Total investment, 万元 (≥ 0, at most 4 decimals).
    pub total_investment_wan: Option<f64>,
    /// 意向日期
    pub intent_date: Option<Date>,
    /// 洽谈日期
    pub negotiation_date: Option<Date>,
    /// 签约日期
    pub signed_date: Option<Date>,
    /// 注册日期
    pub registered_date: Option<Date>,
    /// 计划开工日期
    pub planned_start_date: Option<Date>,
    /// 开工日期
    pub started_date: Option<Date>,
    /// 计划投产日期
    pub planned_production_date: Option<Date>,
    /// 投产日期
    pub producing_date: Option<Date>,
    /// 达产日期
    pub capacity_date: Option<Date>,
    /// 入统日期
    pub stats_date: Option<Date>,
    /// Land area in mu.
    pub land_area_mu: Option<f64>,
    /// Expected annual output, 万元.
    pub expected_output_wan: Option<f64>,
    /// Expected annual tax, 万元.
    pub expected_tax_wan: Option<f64>,
    /// Expected jobs.
    pub expected_jobs: Option<i64>,
    /// A key project.
    pub key_project: Option<bool>,
    /// May appear on the public site.
    pub public: Option<bool>,
    /// Public description.
    pub summary: Option<String>,
    /// The industry-chain link it fills, as 产业链/环节; empty clears it.
    pub chain_link: Option<String>,
    /// The code of the carrier it lands on; empty clears it.
    pub carrier_code: Option<String>,
    /// Contact person (confidential).
    pub contact_name: Option<String>,
    /// Contact phone (confidential).
    pub contact_phone: Option<String>,
}

fn choice(field: &str, value: Option<String>, allowed: &[&str]) -> ApiResult<Option<String>> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => {
            Err(ApiError::bad_input(field, format!("{v:?} is not one of {}", allowed.join(" "))))
        }
        v => Ok(v),
    }
}

fn non_negative(field: &str, value: Option<f64>) -> ApiResult<Option<f64>> {
    match value {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(ApiError::bad_input(field, format!("{v} must be a number ≥ 0"))),
        v => Ok(v),
    }
}

fn money(field: &str, value: Option<f64>) -> ApiResult<Option<i64>> {
    value.map(|v| yuan_from_wan(field, v)).transpose()
}

/// snake_case ledger column → camelCase input field.
pub(super) fn input_field(column: &str) -> String {
    crate::policy::camel_case(column)
}

impl ProjectFields {
    /// Applies the given fields to `p`.
    fn apply(self, p: &mut project::Model) -> ApiResult<()> {
        fn set<T>(target: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *target = v;
            }
        }
        fn set_opt<T>(target: &mut Option<T>, value: Option<T>) {
            if value.is_some() {
                *target = value;
            }
        }
        if let Some(name) = &self.name
            && name.trim().is_empty()
        {
            return Err(ApiError::bad_input("name", "is empty"));
        }
        set(&mut p.name, self.name.map(|n| n.trim().to_string()));
        set_opt(&mut p.national_code, self.national_code);
        set(&mut p.unit_code, self.unit_code);
        set(&mut p.industry_name, self.industry_name);
        set_opt(&mut p.investor_name, self.investor_name.filter(|n| !n.trim().is_empty()));
        set_opt(&mut p.channel, choice("channel", self.channel, vocab::CHANNELS)?);
        set_opt(&mut p.contract_type, choice("contractType", self.contract_type, vocab::CONTRACT_TYPES)?);
        set_opt(&mut p.signing_event, self.signing_event);
        set(&mut p.total_investment, money("totalInvestmentWan", self.total_investment_wan)?);
        let d = |v: Option<Date>| v.map(|d| d.0);
        set_opt(&mut p.intent_date, d(self.intent_date));
        set_opt(&mut p.negotiation_date, d(self.negotiation_date));
        set_opt(&mut p.signed_date, d(self.signed_date));
        set_opt(&mut p.registered_date, d(self.registered_date));
        set_opt(&mut p.planned_start_date, d(self.planned_start_date));
        set_opt(&mut p.started_date, d(self.started_date));
        set_opt(&mut p.planned_production_date, d(self.planned_production_date));
        set_opt(&mut p.producing_date, d(self.producing_date));
        set_opt(&mut p.capacity_date, d(self.capacity_date));
        set_opt(&mut p.stats_date, d(self.stats_date));
        set_opt(&mut p.land_area_mu, non_negative("landAreaMu", self.land_area_mu)?);
        set_opt(&mut p.expected_output, money("expectedOutputWan", self.expected_output_wan)?);
        set_opt(&mut p.expected_tax, money("expectedTaxWan", self.expected_tax_wan)?);
        if let Some(jobs) = self.expected_jobs {
            if jobs < 0 {
                return Err(ApiError::bad_input("expectedJobs", format!("{jobs} is negative")));
            }
            p.expected_jobs = Some(jobs);
        }
        set(&mut p.key_project, self.key_project);
        set(&mut p.public, self.public);
        set_opt(&mut p.summary, self.summary);
        if let Some(link) = self.chain_link {
            p.chain_link = Some(link.trim().to_string()).filter(|l| !l.is_empty());
        }
        if let Some(code) = self.carrier_code {
            p.carrier_code = Some(code.trim().to_string()).filter(|c| !c.is_empty());
        }
        set_opt(&mut p.contact_name, self.contact_name);
        set_opt(&mut p.contact_phone, self.contact_phone);
        Ok(())
    }
}

/// Checks a project about to be written: the ledger's row rules and its references.
async fn validate(txn: &DatabaseTransaction, p: &project::Model) -> ApiResult<()> {
    if let Some(v) = rules::check_project(p).into_iter().next() {
        return Err(ApiError::bad_input(&input_field(v.column), v.reason));
    }
    if Unit::find_by_id(p.unit_code.as_str()).one(txn).await?.is_none() {
        return Err(ApiError::bad_input("unitCode", format!("unknown unit {:?}", p.unit_code)));
    }
    if Industry::find_by_id(p.industry_name.as_str()).one(txn).await?.is_none() {
        return Err(ApiError::bad_input("industryName", format!("unknown industry {:?}", p.industry_name)));
    }
    if let Some(reference) = &p.chain_link {
        let known = match reference.split_once('/') {
            Some((chain, link)) => {
                ChainLink::find_by_id((chain.to_string(), link.to_string())).one(txn).await?.is_some()
            }
            None => false,
        };
        if !known {
            return Err(ApiError::bad_input("chainLink", rules::unknown_chain_link(reference)));
        }
    }
    if let Some(code) = &p.carrier_code
        && Carrier::find_by_id(code.as_str()).one(txn).await?.is_none()
    {
        return Err(ApiError::bad_input("carrierCode", format!("unknown carrier {code:?}")));
    }
    Ok(())
}

/// Records the change of a row by `viewer` in the feed (its audit entry; its data
/// version comes with the commit, [`commit`]).
pub(super) async fn audit<T: Serialize>(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    action: &str,
    entity: &str,
    key: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> ApiResult<feed::Recorded> {
    let change = feed::Change::new(viewer.name.clone(), action, entity, key).before(before).after(after);
    Ok(feed::record(txn, change).await?)
}

/// Opens a writing transaction of the feed.
pub(super) async fn begin(ctx: &Context<'_>) -> ApiResult<DatabaseTransaction> {
    Ok(feed::begin_write(&state(ctx)?.db).await?)
}

/// Commits a mutation's transaction, whose last change was `recorded`, and tells this
/// server's caches its data version (read-your-writes).
pub(super) async fn commit(ctx: &Context<'_>, txn: DatabaseTransaction, recorded: feed::Recorded) -> ApiResult<()> {
    let state = state(ctx)?;
    let version = feed::commit(&state.db, txn, recorded).await?;
    state.written(version, &super::auth::viewer(ctx).name);
    Ok(())
}

/// Refuses an edit made from a stale read of the project.
fn check_version(project: &project::Model, expected: Option<i64>) -> ApiResult<()> {
    match expected {
        Some(v) if v != project.version => Err(ApiError::Conflict(format!(
            "project {:?} is at version {}, not {v}: it changed since it was read; read it again",
            project.code, project.version
        ))),
        _ => Ok(()),
    }
}

/// Creates the investor `name` if new, or changes its origin when one is given: an
/// investor is shared by the projects of every unit, so an editor may change it only
/// when no other unit's project uses it (else an admin must). Either is audited under
/// the investor's name, so it shows in the history of every project that uses it.
async fn save_investor(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    action: &str,
    name: &str,
    origin: Option<String>,
) -> ApiResult<()> {
    let before = Investor::find_by_id(name).one(txn).await?;
    // The directory's other fields (owner, status, contacts…) stay as they are.
    let after = match &before {
        Some(old) => investor::Model { origin: origin.clone(), ..old.clone() },
        None => investor::Model { name: name.to_string(), origin: origin.clone(), ..Default::default() },
    };
    match &before {
        None => {
            Investor::insert(after.clone().into_active_model())
                .on_conflict(OnConflict::column(investor::Column::Name).do_nothing().to_owned())
                .exec_without_returning(txn)
                .await?;
        }
        Some(old) if origin.is_some() && old.origin != origin => {
            if viewer.role != Role::Admin {
                let elsewhere = Project::find()
                    .filter(project::Column::InvestorName.eq(name))
                    .filter(project::Column::UnitCode.ne(viewer.unit.as_deref().unwrap_or_default()))
                    .count(txn)
                    .await?;
                if elsewhere > 0 {
                    return Err(ApiError::Forbidden(format!(
                        "investor {name:?} is shared with {elsewhere} project(s) of other units: only an admin may change its origin"
                    )));
                }
            }
            Investor::update(after.clone().into_active_model().reset_all()).exec(txn).await?;
        }
        Some(_) => return Ok(()),
    }
    // Only what this write is about reaches the audit trail: never the directory's
    // confidential contacts and notes (a project's history shows its investor's entries).
    let view = |m: &investor::Model| serde_json::json!({ "name": m.name, "origin": m.origin });
    // Committed with the project's change, recorded after it (the later version).
    let _investor =
        audit(txn, viewer, action, "investors", name, before.as_ref().map(view).as_ref(), Some(&view(&after))).await?;
    Ok(())
}

/// The project to change, locked until the commit (`FOR UPDATE` on PostgreSQL; SQLite's
/// writing transaction holds the database's write lock already).
async fn existing_project(txn: &DatabaseTransaction, code: &str) -> ApiResult<project::Model> {
    Project::find_by_id(code)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no project {code:?}")))
}

/// Saves a changed project (validated), its investor if new, and the change; returns the
/// project and the change recorded. An update writes only the columns that differ from
/// `before` (read under lock) and the row version, one up.
async fn save_project(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    action: &str,
    before: Option<&project::Model>,
    mut after: project::Model,
    investor_origin: Option<String>,
) -> ApiResult<(project::Model, feed::Recorded)> {
    validate(txn, &after).await?;
    if let Some(name) = &after.investor_name {
        save_investor(txn, viewer, action, name, investor_origin).await?;
    }
    match before {
        Some(before) => {
            after.version = before.version + 1;
            let mut active = before.clone().into_active_model();
            for column in project::Column::iter() {
                let value = after.get(column);
                if value != before.get(column) {
                    active.set(column, value);
                }
            }
            active.update(txn).await?;
        }
        None => {
            after.version = 1;
            Project::insert(after.clone().into_active_model()).exec_without_returning(txn).await?;
        }
    }
    let recorded = audit(txn, viewer, action, "projects", &after.code, before, Some(&after)).await?;
    Ok((after, recorded))
}

/// A month given as `YYYY-MM` or a date, as its first day.
fn month_of(text: &str) -> ApiResult<NaiveDate> {
    crate::ledger::values::parse_month(&crate::ledger::values::Cell::text(text))
        .map_err(|reason| ApiError::bad_input("month", reason))
}

/// The write side of the graph.
#[derive(Default)]
pub struct GraphMutation;

// Merged into `api::Mutation`, which the schema calls `GraphMutation`.
#[Object(name = "GraphWrites", guard = "Policy::of(\"GraphMutation\")")]
impl GraphMutation {
    /// Creates a project (editor of its unit, or admin).
    async fn create_project(&self, ctx: &Context<'_>, input: ProjectFields) -> Result<ProjectObject> {
        let viewer = viewer(ctx);
        let code = input.code.clone().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let Some(code) = code else { return Err(ApiError::bad_input("code", "is required").into()) };
        for (field, missing) in [
            ("name", input.name.is_none()),
            ("unitCode", input.unit_code.is_none()),
            ("industryName", input.industry_name.is_none()),
            ("totalInvestmentWan", input.total_investment_wan.is_none()),
        ] {
            if missing {
                return Err(ApiError::bad_input(field, "is required").into());
            }
        }
        viewer.require_unit(input.unit_code.as_deref().unwrap_or_default())?;
        let origin = input.investor_origin.clone();
        let mut p = project::Model { code: code.clone(), ..Default::default() };
        input.apply(&mut p)?;
        let txn = begin(ctx).await?;
        if Project::find_by_id(code.as_str()).one(&txn).await.map_err(ApiError::from)?.is_some() {
            return Err(ApiError::Conflict(format!("project {code:?} exists already")).into());
        }
        let (saved, recorded) = save_project(&txn, &viewer, "createProject", None, p, origin).await?;
        commit(ctx, txn, recorded).await?;
        Ok(ProjectObject(saved))
    }

    /// Changes the given fields of a project (editor of its unit, or admin); the others
    /// stay as they are in the database. With `expectedVersion` (the `version` read),
    /// a project changed since gives `CONFLICT`.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: ProjectFields,
        expected_version: Option<i64>,
    ) -> Result<ProjectObject> {
        let viewer = viewer(ctx);
        if input.code.as_ref().is_some_and(|c| *c != code) {
            return Err(ApiError::bad_input("code", "a project's code cannot change").into());
        }
        let txn = begin(ctx).await?;
        let before = existing_project(&txn, &code).await?;
        viewer.require_unit(&before.unit_code)?;
        check_version(&before, expected_version)?;
        if let Some(unit) = &input.unit_code {
            viewer.require_unit(unit)?;
        }
        let origin = input.investor_origin.clone();
        let mut after = before.clone();
        input.apply(&mut after)?;
        let (saved, recorded) = save_project(&txn, &viewer, "updateProject", Some(&before), after, origin).await?;
        commit(ctx, txn, recorded).await?;
        Ok(ProjectObject(saved))
    }

    /// Records that a project reached `stage` on `date`; with `expectedVersion`, a
    /// project changed since it was read gives `CONFLICT`.
    async fn advance_stage(
        &self,
        ctx: &Context<'_>,
        code: String,
        stage: Stage,
        date: Date,
        expected_version: Option<i64>,
    ) -> Result<ProjectObject> {
        let viewer = viewer(ctx);
        let txn = begin(ctx).await?;
        let before = existing_project(&txn, &code).await?;
        viewer.require_unit(&before.unit_code)?;
        check_version(&before, expected_version)?;
        let mut after = before.clone();
        let slot = match rules::Stage::from(stage) {
            rules::Stage::Intent => &mut after.intent_date,
            rules::Stage::Negotiating => &mut after.negotiation_date,
            rules::Stage::Signed => &mut after.signed_date,
            rules::Stage::Started => &mut after.started_date,
            rules::Stage::Producing => &mut after.producing_date,
            rules::Stage::AtCapacity => &mut after.capacity_date,
        };
        *slot = Some(date.0);
        let (saved, recorded) = save_project(&txn, &viewer, "advanceStage", Some(&before), after, None).await?;
        commit(ctx, txn, recorded).await?;
        Ok(ProjectObject(saved))
    }

    /// Marks a project terminated (withdrawn, returned or replaced) on `date`; with
    /// `expectedVersion`, a project changed since it was read gives `CONFLICT`.
    async fn terminate_project(
        &self,
        ctx: &Context<'_>,
        code: String,
        date: Date,
        reason: String,
        expected_version: Option<i64>,
    ) -> Result<ProjectObject> {
        let viewer = viewer(ctx);
        let txn = begin(ctx).await?;
        let before = existing_project(&txn, &code).await?;
        viewer.require_unit(&before.unit_code)?;
        check_version(&before, expected_version)?;
        let mut after = before.clone();
        after.terminated_date = Some(date.0);
        after.terminated_reason = Some(reason);
        let (saved, recorded) = save_project(&txn, &viewer, "terminateProject", Some(&before), after, None).await?;
        commit(ctx, txn, recorded).await?;
        Ok(ProjectObject(saved))
    }

    /// Records (or replaces) a project's progress for a month (`YYYY-MM`), 万元.
    async fn record_progress(
        &self,
        ctx: &Context<'_>,
        code: String,
        month: String,
        fai_wan: Option<f64>,
        funds_arrived_wan: Option<f64>,
        out_of_region_funds_wan: Option<f64>,
    ) -> Result<super::graph::ProgressMonth> {
        let viewer = viewer(ctx);
        let month = month_of(&month)?;
        let row = progress::Model {
            project_code: code.clone(),
            month,
            fai: money("faiWan", fai_wan)?,
            funds_arrived: money("fundsArrivedWan", funds_arrived_wan)?,
            out_of_region_funds: money("outOfRegionFundsWan", out_of_region_funds_wan)?,
        };
        if row.out_of_region_funds.unwrap_or(0) > row.funds_arrived.unwrap_or(0) {
            return Err(ApiError::bad_input(
                "outOfRegionFundsWan",
                "is more than the funds arrived; it is a part of them",
            )
            .into());
        }
        let txn = begin(ctx).await?;
        let project = existing_project(&txn, &code).await?;
        viewer.require_unit(&project.unit_code)?;
        let before = Progress::find_by_id((code.clone(), month)).one(&txn).await.map_err(ApiError::from)?;
        let conflict = OnConflict::columns([progress::Column::ProjectCode, progress::Column::Month])
            .update_columns([progress::Column::Fai, progress::Column::FundsArrived, progress::Column::OutOfRegionFunds])
            .to_owned();
        Progress::insert(row.clone().into_active_model())
            .on_conflict(conflict)
            .exec_without_returning(&txn)
            .await
            .map_err(ApiError::from)?;
        let recorded = audit(&txn, &viewer, "recordProgress", "progress", &code, before.as_ref(), Some(&row)).await?;
        commit(ctx, txn, recorded).await?;
        Ok(super::graph::ProgressMonth(row))
    }

    /// Opens an element-guarantee issue on a project.
    async fn open_issue(
        &self,
        ctx: &Context<'_>,
        code: String,
        category: String,
        description: String,
        owner_unit_code: Option<String>,
        opened_date: Date,
    ) -> Result<IssueObject> {
        let viewer = viewer(ctx);
        choice("category", Some(category.clone()), vocab::ISSUE_CATEGORIES)?;
        if description.trim().is_empty() {
            return Err(ApiError::bad_input("description", "is empty").into());
        }
        let txn = begin(ctx).await?;
        let project = existing_project(&txn, &code).await?;
        viewer.require_unit(&project.unit_code)?;
        if let Some(owner) = &owner_unit_code
            && Unit::find_by_id(owner.as_str()).one(&txn).await.map_err(ApiError::from)?.is_none()
        {
            return Err(ApiError::bad_input("ownerUnitCode", format!("unknown unit {owner:?}")).into());
        }
        let issue = element_issue::ActiveModel {
            id: NotSet,
            project_code: Set(code.clone()),
            category: Set(category),
            description: Set(description.trim().to_string()),
            owner_unit_code: Set(owner_unit_code),
            opened_date: Set(opened_date.0),
            resolved_date: Set(None),
        };
        let saved = issue.insert(&txn).await.map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::Conflict("the same issue was opened that day already".into())
            }
            _ => ApiError::from(e),
        })?;
        let recorded = audit(&txn, &viewer, "openIssue", "element_issues", &code, None, Some(&saved)).await?;
        commit(ctx, txn, recorded).await?;
        Ok(IssueObject(saved))
    }

    /// Marks an issue resolved on `date`.
    async fn resolve_issue(&self, ctx: &Context<'_>, id: i32, date: Date) -> Result<IssueObject> {
        let viewer = viewer(ctx);
        let txn = begin(ctx).await?;
        let before = ElementIssue::find_by_id(id)
            .one(&txn)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound(format!("no issue {id}")))?;
        let project = existing_project(&txn, &before.project_code).await?;
        viewer.require_unit(&project.unit_code)?;
        if date.0 < before.opened_date {
            return Err(ApiError::bad_input(
                "date",
                format!("{} is before the opening day {}", date.0, before.opened_date),
            )
            .into());
        }
        let mut after = before.clone();
        after.resolved_date = Some(date.0);
        after.clone().into_active_model().reset_all().update(&txn).await.map_err(ApiError::from)?;
        let recorded =
            audit(&txn, &viewer, "resolveIssue", "element_issues", &before.project_code, Some(&before), Some(&after))
                .await?;
        commit(ctx, txn, recorded).await?;
        Ok(IssueObject(after))
    }

    /// Sets a unit's annual target (admins): `value` in 万元 for money metrics, else a count.
    async fn set_target(
        &self,
        ctx: &Context<'_>,
        unit_code: String,
        year: i32,
        metric: String,
        value: f64,
    ) -> Result<TargetObject> {
        let viewer = viewer(ctx);
        let Some(m) = rules::target_metric(&metric) else {
            let keys: Vec<_> = rules::TARGET_METRICS.iter().map(|m| m.key).collect();
            return Err(ApiError::bad_input("metric", format!("{metric:?} is not one of {}", keys.join(" "))).into());
        };
        if !(2000..=2100).contains(&year) {
            return Err(ApiError::bad_input("year", format!("{year} is not a year")).into());
        }
        let amount = if m.money {
            yuan_from_wan("value", value)?
        } else if value >= 0.0 && value.fract() == 0.0 && value < 1e12 {
            value as i64
        } else {
            return Err(ApiError::bad_input("value", format!("{value} is not a whole number ≥ 0")).into());
        };
        let txn = begin(ctx).await?;
        if Unit::find_by_id(unit_code.as_str()).one(&txn).await.map_err(ApiError::from)?.is_none() {
            return Err(ApiError::bad_input("unitCode", format!("unknown unit {unit_code:?}")).into());
        }
        let key = (unit_code.clone(), year, m.key.to_string());
        let before = Target::find_by_id(key).one(&txn).await.map_err(ApiError::from)?;
        let row = target::Model { unit_code: unit_code.clone(), year, metric: m.key.into(), value: amount };
        let conflict = OnConflict::columns([target::Column::UnitCode, target::Column::Year, target::Column::Metric])
            .update_column(target::Column::Value)
            .to_owned();
        Target::insert(row.clone().into_active_model())
            .on_conflict(conflict)
            .exec_without_returning(&txn)
            .await
            .map_err(ApiError::from)?;
        let recorded = audit(&txn, &viewer, "setTarget", "targets", &unit_code, before.as_ref(), Some(&row)).await?;
        commit(ctx, txn, recorded).await?;
        Ok(TargetObject(row))
    }
}
