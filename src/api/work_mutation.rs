//! The audited writes of the work around the pipeline: `recordEngagement`,
//! `createEvent`/`updateEvent`, `promiseIncentive`, `recordIncentivePayment`,
//! `raiseSupervision`, `closeSupervision`. Each checks the caller's unit, validates
//! with the ledger's rules ([`crate::rules::pipeline`]) and references, runs in one
//! transaction and leaves an audit entry with the row before and after.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result};
use entities::prelude::*;
use entities::{engagement, event, incentive, investor, supervision_item};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter};

use super::auth::{Policy, Viewer, viewer};
use super::error::{ApiError, ApiResult};
use super::mutation::{audit, begin, commit, input_field};
use super::scalars::{Date, yuan_from_wan};
use super::work::{
    Engagement as EngagementObject, Event as EventObject, Incentive as IncentiveObject,
    SupervisionItem as SupervisionObject,
};
use crate::policy::Role;
use crate::rules::RuleViolation;
use crate::rules::pipeline as rules;

/// The first broken rule as a bad input, naming the input field of its column.
fn first_violation(violations: Vec<RuleViolation>) -> ApiResult<()> {
    match violations.into_iter().next() {
        None => Ok(()),
        Some(v) => {
            let field = match v.column {
                "event" => "eventCode".to_string(),
                "promised" | "paid" => format!("{}Wan", v.column),
                "organizer" => "organizerUnitCode".to_string(),
                column => input_field(column),
            };
            Err(ApiError::bad_input(&field, v.reason))
        }
    }
}

async fn require_unit_exists(txn: &DatabaseTransaction, field: &str, code: &str) -> ApiResult<()> {
    match Unit::find_by_id(code).one(txn).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::bad_input(field, format!("unknown unit {code:?}"))),
    }
}

async fn project_unit(txn: &DatabaseTransaction, field: &str, code: &str) -> ApiResult<String> {
    match Project::find_by_id(code).one(txn).await? {
        Some(p) => Ok(p.unit_code),
        None => Err(ApiError::bad_input(field, format!("unknown project {code:?}"))),
    }
}

/// The code of the event a value names by code or by name.
async fn event_code(txn: &DatabaseTransaction, value: &str) -> ApiResult<String> {
    if let Some(e) = Event::find_by_id(value).one(txn).await? {
        return Ok(e.code);
    }
    match Event::find().filter(event::Column::Name.eq(value)).one(txn).await? {
        Some(e) => Ok(e.code),
        None => Err(ApiError::bad_input("eventCode", format!("unknown event {value:?}"))),
    }
}

/// Admins, or editors when `unit` is theirs; editors must name a unit.
fn require_unit_or_admin(viewer: &Viewer, unit: Option<&str>) -> ApiResult<()> {
    match unit {
        Some(unit) => viewer.require_unit(unit),
        None if viewer.role == Role::Admin => Ok(()),
        None => Err(ApiError::Forbidden("only admins may change an event without an organizing unit".into())),
    }
}

/// One contact with an investor (对接记录).
#[derive(InputObject)]
pub struct EngagementInput {
    /// The investor's name (created in the directory if new).
    pub investor_name: String,
    /// The contacting unit's code.
    pub unit_code: String,
    /// The day.
    pub date: Date,
    /// 电话, 外出拜访, 来区考察, 洽谈会见, 活动参会, 线上 or 其他.
    pub kind: String,
    /// The event's code or name; required for 活动参会.
    pub event_code: Option<String>,
    /// The outpost (驻点).
    pub outpost: Option<String>,
    /// The project it concerns.
    pub project_code: Option<String>,
    /// What was discussed (confidential).
    pub summary: Option<String>,
    /// The planned follow-up.
    pub next_date: Option<Date>,
}

/// An event's fields. `createEvent` needs code, name and date; `updateEvent` changes
/// the fields given and keeps the rest.
#[derive(InputObject, Default)]
pub struct EventInput {
    /// Unique id; only for `createEvent`.
    pub code: Option<String>,
    /// Unique name.
    pub name: Option<String>,
    /// 博览会, 推介会, 座谈会, 签约仪式, 考察团 or 其他; empty clears it.
    pub kind: Option<String>,
    /// The first day.
    pub date: Option<Date>,
    /// The last day (one day when absent); `null` clears it.
    pub end_date: MaybeUndefined<Date>,
    /// Where; empty clears it.
    pub place: Option<String>,
    /// The organizing unit's code; empty clears it.
    pub organizer_unit_code: Option<String>,
    /// May appear on the public site.
    pub public: Option<bool>,
    /// Public description; empty clears it.
    pub summary: Option<String>,
}

impl EventInput {
    fn apply(self, e: &mut event::Model) {
        let EventInput { code: _, name, kind, date, end_date, place, organizer_unit_code, public, summary } = self;
        if let Some(v) = name {
            e.name = v;
        }
        if let Some(v) = date {
            e.date = v.0;
        }
        if let Some(v) = public {
            e.public = v;
        }
        // A field not given stays; an empty text (or a null day) clears it, as the
        // ledger's empty cell does.
        let text = |given: Option<String>, field: &mut Option<String>| {
            if let Some(v) = given {
                *field = Some(v.trim().to_string()).filter(|v| !v.is_empty());
            }
        };
        text(kind, &mut e.kind);
        text(place, &mut e.place);
        text(organizer_unit_code, &mut e.organizer_unit_code);
        text(summary, &mut e.summary);
        match end_date {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => e.end_date = None,
            MaybeUndefined::Value(d) => e.end_date = Some(d.0),
        }
    }
}

/// An incentive promised to a project.
#[derive(InputObject)]
pub struct IncentiveInput {
    /// The project's code.
    pub project_code: String,
    /// The policy (政策名称).
    pub policy: String,
    /// 资金奖补, 税收返还, 土地, 厂房租金, 贷款贴息 or 其他.
    pub kind: Option<String>,
    /// Amount promised, 万元.
    pub promised_wan: f64,
    /// When it was promised.
    pub promised_date: Date,
    /// When it is due.
    pub due_date: Date,
}

/// A supervision item handed to a unit.
#[derive(InputObject)]
pub struct SupervisionInput {
    /// Unique id (督办编号).
    pub code: String,
    /// The responsible unit's code.
    pub unit_code: String,
    /// The project it concerns.
    pub project_code: Option<String>,
    /// 市政府督查室, 区政府督查科, 区招组办 or 其他.
    pub source: Option<String>,
    /// What must be done (confidential).
    pub description: String,
    /// When it was handed over.
    pub raised_date: Date,
    /// The deadline.
    pub deadline: Date,
}

/// Saves `after` over `before` (inserted when there is none) and records it in the
/// feed; returns the row and the change recorded.
async fn save<A, M>(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    (action, entity, key): (&str, &str, &str),
    before: Option<&M>,
    after: M,
) -> ApiResult<(M, crate::store::feed::Recorded)>
where
    M: IntoActiveModel<A> + Clone + serde::Serialize + Send,
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let active = after.clone().into_active_model();
    if before.is_some() {
        active.reset_all().update(txn).await?;
    } else {
        active.insert(txn).await?;
    }
    let recorded = audit(txn, viewer, action, entity, key, before, Some(&after)).await?;
    Ok((after, recorded))
}

/// The write side of the work around the pipeline.
#[derive(Default)]
pub struct WorkMutation;

// Merged into `api::Mutation`, which the schema calls `GraphMutation`.
#[Object(name = "WorkWrites", guard = "Policy::of(\"GraphMutation\")")]
impl WorkMutation {
    /// Records a contact with an investor (editor of the contacting unit, or admin);
    /// the same investor, unit, day, kind and event again replaces the record.
    async fn record_engagement(&self, ctx: &Context<'_>, input: EngagementInput) -> Result<EngagementObject> {
        let viewer = viewer(ctx);
        viewer.require_unit(&input.unit_code)?;
        let name = input.investor_name.trim().to_string();
        if name.is_empty() {
            return Err(ApiError::bad_input("investorName", "is required").into());
        }
        let txn = begin(ctx).await?;
        require_unit_exists(&txn, "unitCode", &input.unit_code).await?;
        let event = match input.event_code.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(value) => event_code(&txn, value).await?,
            None => String::new(),
        };
        if let Some(code) = &input.project_code {
            project_unit(&txn, "projectCode", code).await?;
        }
        let after = engagement::Model {
            investor_name: name.clone(),
            unit_code: input.unit_code,
            date: input.date.0,
            kind: input.kind,
            event_code: event,
            outpost: input.outpost,
            project_code: input.project_code,
            summary: input.summary,
            next_date: input.next_date.map(|d| d.0),
        };
        first_violation(rules::check_engagement(&after))?;
        if Investor::find_by_id(name.as_str()).one(&txn).await.map_err(ApiError::from)?.is_none() {
            let new = investor::Model { name: name.clone(), ..Default::default() };
            Investor::insert(new.clone().into_active_model())
                .on_conflict(OnConflict::column(investor::Column::Name).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await
                .map_err(ApiError::from)?;
            // Committed with the engagement, recorded after it (the later version).
            let _investor = audit(&txn, &viewer, "recordEngagement", "investors", &name, None, Some(&new)).await?;
        }
        let id = (
            after.investor_name.clone(),
            after.unit_code.clone(),
            after.date,
            after.kind.clone(),
            after.event_code.clone(),
        );
        let key = format!("{}|{}|{}|{}|{}", id.0, id.1, id.2, id.3, id.4);
        let before = Engagement::find_by_id(id).one(&txn).await.map_err(ApiError::from)?;
        let (saved, recorded) =
            save(&txn, &viewer, ("recordEngagement", "engagements", &key), before.as_ref(), after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(EngagementObject(saved))
    }

    /// Creates an event (editor of its organizing unit, or admin).
    async fn create_event(&self, ctx: &Context<'_>, input: EventInput) -> Result<EventObject> {
        let viewer = viewer(ctx);
        let code = input.code.clone().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let Some(code) = code else { return Err(ApiError::bad_input("code", "is required").into()) };
        let (Some(name), Some(date)) = (input.name.clone(), input.date) else {
            let field = if input.name.is_none() { "name" } else { "date" };
            return Err(ApiError::bad_input(field, "is required").into());
        };
        require_unit_or_admin(&viewer, input.organizer_unit_code.as_deref())?;
        let mut after = event::Model { code: code.clone(), name, date: date.0, ..Default::default() };
        input.apply(&mut after);
        let txn = begin(ctx).await?;
        if Event::find_by_id(code.as_str()).one(&txn).await.map_err(ApiError::from)?.is_some() {
            return Err(ApiError::Conflict(format!("event {code:?} exists already")).into());
        }
        let (saved, recorded) = save_event(&txn, &viewer, "createEvent", None, after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(EventObject(saved))
    }

    /// Changes the given fields of an event (editor of its organizing unit, before and
    /// after, or admin).
    async fn update_event(&self, ctx: &Context<'_>, code: String, input: EventInput) -> Result<EventObject> {
        let viewer = viewer(ctx);
        if input.code.as_ref().is_some_and(|c| *c != code) {
            return Err(ApiError::bad_input("code", "an event's code cannot change").into());
        }
        let txn = begin(ctx).await?;
        let Some(before) = Event::find_by_id(code.as_str()).one(&txn).await.map_err(ApiError::from)? else {
            return Err(ApiError::NotFound(format!("no event {code:?}")).into());
        };
        require_unit_or_admin(&viewer, before.organizer_unit_code.as_deref())?;
        let mut after = before.clone();
        input.apply(&mut after);
        require_unit_or_admin(&viewer, after.organizer_unit_code.as_deref())?;
        let (saved, recorded) = save_event(&txn, &viewer, "updateEvent", Some(&before), after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(EventObject(saved))
    }

    /// Records an incentive promised to a project (editor of the project's unit, or
    /// admin); a project's policy is promised once.
    async fn promise_incentive(&self, ctx: &Context<'_>, input: IncentiveInput) -> Result<IncentiveObject> {
        let viewer = viewer(ctx);
        let txn = begin(ctx).await?;
        let unit = project_unit(&txn, "projectCode", &input.project_code).await?;
        viewer.require_unit(&unit)?;
        let after = incentive::Model {
            project_code: input.project_code,
            policy: input.policy.trim().to_string(),
            kind: input.kind,
            promised: yuan_from_wan("promisedWan", input.promised_wan)?,
            promised_date: input.promised_date.0,
            due_date: input.due_date.0,
            paid: None,
            paid_date: None,
        };
        if after.policy.is_empty() {
            return Err(ApiError::bad_input("policy", "is required").into());
        }
        first_violation(rules::check_incentive(&after))?;
        let id = (after.project_code.clone(), after.policy.clone());
        if Incentive::find_by_id(id).one(&txn).await.map_err(ApiError::from)?.is_some() {
            return Err(
                ApiError::Conflict(format!("{} is promised {:?} already", after.project_code, after.policy)).into()
            );
        }
        let key = format!("{}|{}", after.project_code, after.policy);
        let (saved, recorded) = save(&txn, &viewer, ("promiseIncentive", "incentives", &key), None, after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(IncentiveObject(saved))
    }

    /// Records what has been paid of an incentive: the cumulative amount `paidWan`,
    /// reached on `paidDate` (editor of the project's unit, or admin).
    async fn record_incentive_payment(
        &self,
        ctx: &Context<'_>,
        project_code: String,
        policy: String,
        paid_wan: f64,
        paid_date: Date,
    ) -> Result<IncentiveObject> {
        let viewer = viewer(ctx);
        let txn = begin(ctx).await?;
        let id = (project_code.clone(), policy.clone());
        let Some(before) = Incentive::find_by_id(id).one(&txn).await.map_err(ApiError::from)? else {
            return Err(ApiError::NotFound(format!("{project_code} has no incentive {policy:?}")).into());
        };
        let unit = project_unit(&txn, "projectCode", &project_code).await?;
        viewer.require_unit(&unit)?;
        let after = incentive::Model {
            paid: Some(yuan_from_wan("paidWan", paid_wan)?),
            paid_date: Some(paid_date.0),
            ..before.clone()
        };
        first_violation(rules::check_incentive(&after))?;
        let key = format!("{project_code}|{policy}");
        let (saved, recorded) =
            save(&txn, &viewer, ("recordIncentivePayment", "incentives", &key), Some(&before), after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(IncentiveObject(saved))
    }

    /// Hands a unit a supervision item (admins: the supervisors' office).
    async fn raise_supervision(&self, ctx: &Context<'_>, input: SupervisionInput) -> Result<SupervisionObject> {
        let viewer = viewer(ctx);
        if viewer.role != Role::Admin {
            return Err(
                ApiError::Forbidden("only admins (the supervisors' office) raise supervision items".into()).into()
            );
        }
        let txn = begin(ctx).await?;
        require_unit_exists(&txn, "unitCode", &input.unit_code).await?;
        if let Some(code) = &input.project_code {
            project_unit(&txn, "projectCode", code).await?;
        }
        let after = supervision_item::Model {
            code: input.code.trim().to_string(),
            unit_code: input.unit_code,
            project_code: input.project_code,
            source: input.source,
            description: input.description,
            raised_date: input.raised_date.0,
            deadline: input.deadline.0,
            closed_date: None,
        };
        first_violation(rules::check_supervision(&after))?;
        if SupervisionItem::find_by_id(after.code.as_str()).one(&txn).await.map_err(ApiError::from)?.is_some() {
            return Err(ApiError::Conflict(format!("supervision item {:?} exists already", after.code)).into());
        }
        let key = after.code.clone();
        let (saved, recorded) =
            save(&txn, &viewer, ("raiseSupervision", "supervision_items", &key), None, after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(SupervisionObject(saved))
    }

    /// Closes a supervision item on `closedDate` (editor of its unit, or admin).
    async fn close_supervision(&self, ctx: &Context<'_>, code: String, closed_date: Date) -> Result<SupervisionObject> {
        let viewer = viewer(ctx);
        let txn = begin(ctx).await?;
        let Some(before) = SupervisionItem::find_by_id(code.as_str()).one(&txn).await.map_err(ApiError::from)? else {
            return Err(ApiError::NotFound(format!("no supervision item {code:?}")).into());
        };
        viewer.require_unit(&before.unit_code)?;
        let after = supervision_item::Model { closed_date: Some(closed_date.0), ..before.clone() };
        first_violation(rules::check_supervision(&after))?;
        let (saved, recorded) =
            save(&txn, &viewer, ("closeSupervision", "supervision_items", &code), Some(&before), after).await?;
        commit(ctx, txn, recorded).await?;
        Ok(SupervisionObject(saved))
    }
}

/// Validates and saves an event: its rules, its organizer, a name no other event has.
async fn save_event(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    action: &str,
    before: Option<&event::Model>,
    after: event::Model,
) -> ApiResult<(event::Model, crate::store::feed::Recorded)> {
    first_violation(rules::check_event(&after))?;
    if let Some(unit) = &after.organizer_unit_code {
        require_unit_exists(txn, "organizerUnitCode", unit).await?;
    }
    let same_name = Event::find()
        .filter(event::Column::Name.eq(after.name.as_str()))
        .filter(event::Column::Code.ne(after.code.as_str()))
        .one(txn)
        .await?;
    if let Some(other) = same_name {
        return Err(ApiError::Conflict(format!("event {:?} has the name {:?} already", other.code, after.name)));
    }
    let key = after.code.clone();
    save(txn, viewer, (action, "events", &key), before, after).await
}
