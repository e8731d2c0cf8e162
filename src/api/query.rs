//! Lookups and lists of the project graph: `project`, `unit`, `units`, `industries`,
//! `investor`, and `projects` as a Relay connection with filters and ordering.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, InputType, Object, Result, SimpleObject};
use entities::{industry, project, unit};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::auth::{Policy, require_input};
use super::error::ApiError;
use super::graph::{Industry, Investor, Project, Unit, find_unit, may_see_project, visible_projects};
use super::scalars::{Date, Stage};
use super::state;
use crate::rules;

/// Page size when `first` is not given, and the largest allowed.
pub const PAGE_DEFAULT: usize = 50;
/// The largest page.
pub const PAGE_MAX: usize = 500;

/// Which projects to list; every given condition must hold.
#[derive(InputObject, Default)]
pub struct ProjectsFilter {
    /// Unit codes.
    pub units: Option<Vec<String>>,
    /// Industry names.
    pub industries: Option<Vec<String>>,
    /// Stages reached as of `stagesAsOf` (default today): the project's current stage is one of these.
    pub stages: Option<Vec<Stage>>,
    /// The day `stages` and `terminated` are judged on (default today, China time).
    pub stages_as_of: Option<Date>,
    /// Signed on or after this day (recorded 签约日期).
    pub signed_from: Option<Date>,
    /// Signed on or before this day.
    pub signed_to: Option<Date>,
    /// Key projects (重点项目) only.
    pub key_only: Option<bool>,
    /// Only public (true) or only non-public (false) projects.
    pub public: Option<bool>,
    /// Only terminated (true) or only live (false) projects.
    pub terminated: Option<bool>,
    /// Text in the project's name, or (for analysts and above) the investor's name.
    pub text: Option<String>,
}

/// How to order a project list (ties are broken by code).
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectOrder {
    /// By code, ascending.
    #[default]
    Code,
    /// Latest signing first (unsigned last).
    SignedDateDesc,
    /// Earliest signing first.
    SignedDateAsc,
    /// Largest total investment first.
    TotalInvestmentDesc,
    /// Smallest total investment first.
    TotalInvestmentAsc,
    /// By name.
    Name,
}

/// Extra fields of a project connection.
#[derive(SimpleObject)]
#[graphql(guard = "Policy::of(\"ProjectConnection\")")]
pub struct ProjectPageInfo {
    /// How many projects match the filter in all (counted only when asked for).
    pub total_count: u64,
}

const STAGE_COLUMNS: [project::Column; 6] = [
    project::Column::IntentDate,
    project::Column::NegotiationDate,
    project::Column::SignedDate,
    project::Column::StartedDate,
    project::Column::ProducingDate,
    project::Column::CapacityDate,
];

/// stage(p, D) = s in SQL: some date of stage s or later is ≤ D, and none of a later
/// stage is (a later recorded stage implies the earlier ones).
fn at_stage(stage: rules::Stage, as_of: chrono::NaiveDate) -> Condition {
    let s = stage.index();
    let reached = STAGE_COLUMNS[s..].iter().fold(Condition::any(), |c, col| c.add(col.lte(as_of)));
    let not_beyond = STAGE_COLUMNS[s + 1..]
        .iter()
        .fold(Condition::all(), |c, col| c.add(Condition::any().add(col.is_null()).add(col.gt(as_of))));
    Condition::all().add(reached).add(not_beyond)
}

impl ProjectsFilter {
    /// The filter in SQL; `internal` callers' `text` also matches investors' names.
    fn condition(&self, internal: bool) -> Condition {
        let as_of = self.stages_as_of.map_or_else(crate::analytics::today, |d| d.0);
        let mut c = Condition::all();
        if let Some(units) = &self.units {
            c = c.add(project::Column::UnitCode.is_in(units.clone()));
        }
        if let Some(industries) = &self.industries {
            c = c.add(project::Column::IndustryName.is_in(industries.clone()));
        }
        if let Some(stages) = &self.stages {
            c = c.add(stages.iter().fold(Condition::any(), |any, s| any.add(at_stage((*s).into(), as_of))));
        }
        if let Some(from) = self.signed_from {
            c = c.add(project::Column::SignedDate.gte(from.0));
        }
        if let Some(to) = self.signed_to {
            c = c.add(project::Column::SignedDate.lte(to.0));
        }
        if self.key_only == Some(true) {
            c = c.add(project::Column::KeyProject.eq(true));
        }
        if let Some(public) = self.public {
            c = c.add(project::Column::Public.eq(public));
        }
        if let Some(terminated) = self.terminated {
            let ended = project::Column::TerminatedDate.lte(as_of);
            c = c.add(if terminated {
                Condition::all().add(ended)
            } else {
                Condition::any()
                    .add(project::Column::TerminatedDate.is_null())
                    .add(project::Column::TerminatedDate.gt(as_of))
            });
        }
        if let Some(text) = self.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // The public may not search investors: an unsigned project's is a secret.
            let mut any = Condition::any().add(project::Column::Name.contains(text));
            if internal {
                any = any.add(project::Column::InvestorName.contains(text));
            }
            c = c.add(any);
        }
        c
    }
}

/// Decodes an `after` cursor: the position of the last project seen.
fn decode_cursor(after: &str) -> Result<usize, ApiError> {
    let bad = || {
        let shown: String = after.chars().take(40).collect();
        ApiError::bad_input("after", format!("{shown:?} is not a cursor from this API"))
    };
    // A position past any table (the databases take offsets as i64) is no cursor either.
    after.strip_prefix("p").and_then(|n| n.parse::<u32>().ok()).map(|n| n as usize).ok_or_else(bad)
}

/// The read side of the graph.
#[derive(Default)]
pub struct GraphQuery;

#[Object(guard = "Policy::of(\"Query\")")]
impl GraphQuery {
    /// One project by code; null if there is none (or the caller may not see it).
    async fn project(&self, ctx: &Context<'_>, code: String) -> Result<Option<Project>> {
        let loaded = super::loaders(ctx)?.rows.load_one(super::loaders::ProjectKey(code)).await;
        let project = loaded.map_err(|e| ApiError::Internal(format!("loader: {e}")))?;
        Ok(project.filter(|p| may_see_project(ctx, p)).map(Project))
    }

    /// One unit by code or name.
    async fn unit(&self, ctx: &Context<'_>, code: String) -> Result<Option<Unit>> {
        if let Some(u) = find_unit(ctx, &code).await? {
            return Ok(Some(Unit(u)));
        }
        let by_name = entities::prelude::Unit::find()
            .filter(unit::Column::Name.eq(code.as_str()))
            .one(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(by_name.map(Unit))
    }

    /// Every unit, by code.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::UNITS, 0, child_complexity)")]
    async fn units(&self, ctx: &Context<'_>) -> Result<Vec<Unit>> {
        let rows = entities::prelude::Unit::find()
            .order_by_asc(unit::Column::Code)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Unit).collect())
    }

    /// Every industry, by name.
    #[graphql(complexity = "super::limits::list_cost(None, super::limits::estimate::UNITS, 0, child_complexity)")]
    async fn industries(&self, ctx: &Context<'_>) -> Result<Vec<Industry>> {
        let rows = entities::prelude::Industry::find()
            .order_by_asc(industry::Column::Name)
            .all(&state(ctx)?.db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Industry).collect())
    }

    /// One investor by name.
    async fn investor(&self, ctx: &Context<'_>, name: String) -> Result<Option<Investor>> {
        let row = entities::prelude::Investor::find_by_id(name).one(&state(ctx)?.db).await.map_err(ApiError::from)?;
        Ok(row.map(Investor))
    }

    /// Projects matching `filter`, `first` at a time (default 50, at most 500) after the
    /// `after` cursor, ordered by `orderBy` (ties by code). The public sees public
    /// projects only.
    #[graphql(complexity = "super::limits::list_cost(first.map(i64::from), PAGE_DEFAULT, PAGE_MAX, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ProjectsFilter>,
        order_by: Option<ProjectOrder>,
    ) -> Result<Connection<String, Project, ProjectPageInfo>> {
        let first = match first {
            None => PAGE_DEFAULT,
            Some(n) if n >= 0 => (n as usize).min(PAGE_MAX),
            Some(n) => return Err(ApiError::bad_input("first", format!("{n} is negative")).into()),
        };
        let offset = match after.as_deref() {
            Some(cursor) => decode_cursor(cursor)? + 1,
            None => 0,
        };
        let viewer = super::auth::viewer(ctx);
        // A filter or order on a field the caller may not read would be an oracle.
        if let Some(filter) = &filter {
            require_input("ProjectsFilter", &filter.to_value(), &viewer)?;
        }
        if let Some(order) = order_by {
            require_input("ProjectOrder", &order.to_value(), &viewer)?;
        }
        let unfiltered = filter.is_none();
        let condition = filter.unwrap_or_default().condition(viewer.is_internal()).add(visible_projects(ctx));
        let db = &state(ctx)?.db;
        // Counting scans every matching row: only when the query asks for it.
        let asked = ctx.look_ahead().field("totalCount").exists();
        let snapshot = super::loaders(ctx)?.snapshot.clone();
        let total = match (asked, &snapshot) {
            (false, _) => 0,
            // Without a filter the snapshot knows the count: no scan of the table.
            (true, Some(s)) if unfiltered => s.project_count(viewer.is_internal(), crate::analytics::today()),
            (true, _) => {
                entities::prelude::Project::find().filter(condition.clone()).count(db).await.map_err(ApiError::from)?
            }
        };
        // The default page (no filter, by code) from the snapshot, when it has it.
        let from_snapshot = match (&snapshot, unfiltered && order_by.unwrap_or_default() == ProjectOrder::Code) {
            (Some(s), true) => s.page_by_code(viewer.is_internal(), crate::analytics::today(), offset, first),
            _ => None,
        };
        let rows = match from_snapshot {
            Some(rows) => rows,
            None => page_from_sql(db, condition, order_by.unwrap_or_default(), offset, first).await?,
        };
        super::loaders(ctx)?.prefetch(ctx, &rows).await.map_err(|e| ApiError::Internal(format!("prefetch: {e}")))?;
        // Without the count, a full page means there may be more.
        let has_next = if asked { (offset + rows.len()) < total as usize } else { rows.len() == first && first > 0 };
        let mut connection =
            Connection::with_additional_fields(offset > 0, has_next, ProjectPageInfo { total_count: total });
        connection
            .edges
            .extend(rows.into_iter().enumerate().map(|(i, p)| Edge::new(format!("p{}", offset + i), Project(p))));
        Ok(connection)
    }
}

/// A page of the projects matching `condition` in `order` (then by code), from SQL.
async fn page_from_sql(
    db: &sea_orm::DatabaseConnection,
    condition: sea_orm::Condition,
    order: ProjectOrder,
    offset: usize,
    first: usize,
) -> Result<Vec<project::Model>> {
    let query = entities::prelude::Project::find().filter(condition);
    let query = match order {
        ProjectOrder::Code => query,
        ProjectOrder::SignedDateDesc => {
            query.order_by_desc(nulls_last(project::Column::SignedDate)).order_by_desc(project::Column::SignedDate)
        }
        ProjectOrder::SignedDateAsc => {
            query.order_by_desc(nulls_last(project::Column::SignedDate)).order_by_asc(project::Column::SignedDate)
        }
        ProjectOrder::TotalInvestmentDesc => query.order_by_desc(project::Column::TotalInvestment),
        ProjectOrder::TotalInvestmentAsc => query.order_by_asc(project::Column::TotalInvestment),
        ProjectOrder::Name => query.order_by_asc(project::Column::Name),
    };
    let rows = query.order_by_asc(project::Column::Code).offset(offset as u64).limit(first as u64).all(db).await;
    Ok(rows.map_err(ApiError::from)?)
}

/// 1 for rows with a value, 0 for NULL: ordering by it descending puts NULLs last on
/// both SQLite and PostgreSQL.
fn nulls_last(column: project::Column) -> SimpleExpr {
    Expr::case(Expr::col(column).is_null(), 0).finally(1).into()
}
