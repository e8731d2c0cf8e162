//! The frames the metrics are computed on, built from the store in one pass.
//!
//! `projects`: one row per project with `pid` (its row number), `uid` (its unit's
//! position in `units`), `code`, `unit`, `industry`, `channel`,
//! `key_project`, `total` (yuan), `reach_0`…`reach_5` (reach(p, s) per the spec),
//! `rec_0`…`rec_5` (the recorded stage dates), `registered`, `planned_start`,
//! `planned_production`, `terminated` (all `Date`).
//! `progress`: one row per project-month with `pid`, `uid`, `month_idx` (see
//! [`super::month_index`]), `code`, `month`, `fai`, `funds`,
//! `outside` (yuan, an empty cell as 0) and the project's filter columns.

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::prelude::*;
use entities::{element_issue, progress, project, target, unit};
use polars::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder, Statement};

use super::{AnalyticsError, epoch_days};
use crate::rules::{reach_dates, recorded_dates};

/// Everything the metrics need, for one data version.
pub struct Frames {
    /// The data version these frames were built from.
    pub version: i64,
    /// One row per project.
    pub projects: DataFrame,
    /// One row per project-month.
    pub progress: DataFrame,
    /// All units, ordered by code.
    pub units: Vec<unit::Model>,
    /// All targets.
    pub targets: Vec<target::Model>,
    /// All element issues.
    pub issues: Vec<element_issue::Model>,
    /// Project names by code, for reports.
    pub project_names: HashMap<String, String>,
    /// Project units by code, for issue alerts.
    pub project_units: HashMap<String, String>,
    /// The work around the pipeline: investors, events, engagements, incentives,
    /// supervision, and the facts of the projects they refer to.
    pub work: super::work::WorkRows,
    /// Promotion: the chain links, the projects on them, the carriers.
    pub promotion: PromotionRows,
}

/// What promotion by chain and by carrier is computed from, read with the frames so that
/// decks, the site and the brochure show the same data version as every other figure.
#[derive(Clone, Debug, Default)]
pub struct PromotionRows {
    /// Every chain link (`chain_links`).
    pub links: Vec<entities::chain_link::Model>,
    /// The projects that name a chain link, with the columns the chain figures need.
    pub members: Vec<project::Model>,
    /// Every carrier (`carriers`).
    pub carriers: Vec<entities::carrier::Model>,
}

impl PromotionRows {
    /// The chains' figures as of `as_of` (see [`super::chains::chain_figures`]).
    pub fn chains(&self, as_of: NaiveDate) -> Vec<super::chains::ChainFigures> {
        super::chains::chain_figures(&self.links, &self.members, as_of)
    }
}

fn dates(name: &str, values: Vec<Option<i32>>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&DataType::Date)
}

fn day(d: Option<NaiveDate>) -> Option<i32> {
    d.map(epoch_days)
}

/// The projects with the columns the frames use (the rest left empty), by code: one
/// statement, values taken by position rather than built into full models by name.
async fn read_projects(db: &impl ConnectionTrait) -> Result<Vec<project::Model>, DbErr> {
    let sql = "SELECT code, name, unit_code, industry_name, channel, key_project, total_investment, \
               intent_date, negotiation_date, signed_date, started_date, producing_date, capacity_date, \
               registered_date, planned_start_date, planned_production_date, terminated_date, \
               investor_name, signing_event, chain_link, carrier_code \
               FROM projects ORDER BY code";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    rows.iter()
        .map(|r| {
            let date = |i: usize| r.try_get_by_index::<Option<NaiveDate>>(i);
            Ok(project::Model {
                code: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                unit_code: r.try_get_by_index(2)?,
                industry_name: r.try_get_by_index(3)?,
                channel: r.try_get_by_index(4)?,
                key_project: r.try_get_by_index(5)?,
                total_investment: r.try_get_by_index(6)?,
                intent_date: date(7)?,
                negotiation_date: date(8)?,
                signed_date: date(9)?,
                started_date: date(10)?,
                producing_date: date(11)?,
                capacity_date: date(12)?,
                registered_date: date(13)?,
                planned_start_date: date(14)?,
                planned_production_date: date(15)?,
                terminated_date: date(16)?,
                // The work around the pipeline links projects to investors and events.
                investor_name: r.try_get_by_index(17)?,
                signing_event: r.try_get_by_index(18)?,
                // Promotion: the chain link and the carrier.
                chain_link: r.try_get_by_index(19)?,
                carrier_code: r.try_get_by_index(20)?,
                ..Default::default()
            })
        })
        .collect()
}

/// Every progress month, values taken by position.
async fn read_progress(db: &impl ConnectionTrait) -> Result<Vec<progress::Model>, DbErr> {
    let sql = "SELECT project_code, month, fai, funds_arrived, out_of_region_funds FROM progress";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    rows.iter()
        .map(|r| {
            Ok(progress::Model {
                project_code: r.try_get_by_index(0)?,
                month: r.try_get_by_index(1)?,
                fai: r.try_get_by_index(2)?,
                funds_arrived: r.try_get_by_index(3)?,
                out_of_region_funds: r.try_get_by_index(4)?,
            })
        })
        .collect()
}

impl Frames {
    /// Reads the store in one read transaction with its data version (so a build never
    /// mixes two states), only the columns the frames need, and builds the frames.
    pub async fn load(db: &DatabaseConnection) -> Result<Frames, AnalyticsError> {
        let (txn, version) = crate::store::feed::begin_read(db).await?;
        let db = &txn;
        let projects = read_projects(db).await?;
        let progress = read_progress(db).await?;
        let units = Unit::find().order_by_asc(entities::unit::Column::Code).all(db).await?;
        let targets = Target::find().all(db).await?;
        let issues = ElementIssue::find().all(db).await?;
        let work = super::work::WorkInput::load(db).await?;
        let links = entities::prelude::ChainLink::find().all(db).await?;
        let carriers = entities::prelude::Carrier::find().order_by_asc(entities::carrier::Column::Code).all(db).await?;
        txn.commit().await?;
        let build = move || {
            let mut frames = Frames::build(version, &projects, &progress, units, targets, issues)?;
            frames.work = super::work::WorkRows::build(work, &projects, &progress);
            let members = projects.iter().filter(|p| p.chain_link.is_some()).cloned().collect();
            frames.promotion = PromotionRows { links, members, carriers };
            Ok(frames)
        };
        tokio::task::spawn_blocking(build).await?
    }

    /// Builds the frames from rows already read.
    pub fn build(
        version: i64,
        projects: &[entities::project::Model],
        progress: &[entities::progress::Model],
        units: Vec<unit::Model>,
        targets: Vec<target::Model>,
        issues: Vec<element_issue::Model>,
    ) -> Result<Frames, AnalyticsError> {
        let n = projects.len();
        let mut reach: Vec<Vec<Option<i32>>> = (0..6).map(|_| Vec::with_capacity(n)).collect();
        let mut recorded: Vec<Vec<Option<i32>>> = (0..6).map(|_| Vec::with_capacity(n)).collect();
        for p in projects {
            let rec = recorded_dates(p);
            for (s, d) in reach_dates(&rec).into_iter().enumerate() {
                reach[s].push(day(d));
                recorded[s].push(day(rec[s]));
            }
        }
        // uid: the unit's position in `units`; pid: the project's row number — integer
        // keys, so that groups and joins need not hash strings.
        let unit_index: HashMap<&str, u32> =
            units.iter().enumerate().map(|(i, u)| (u.code.as_str(), i as u32)).collect();
        let uid = |code: &str| unit_index.get(code).copied().unwrap_or(u32::MAX);
        let mut columns = vec![
            Column::new("pid".into(), (0..n as u32).collect::<Vec<u32>>()),
            Column::new("uid".into(), projects.iter().map(|p| uid(&p.unit_code)).collect::<Vec<u32>>()),
            Column::new("code".into(), projects.iter().map(|p| p.code.as_str()).collect::<Vec<_>>()),
            Column::new("unit".into(), projects.iter().map(|p| p.unit_code.as_str()).collect::<Vec<_>>()),
            Column::new("industry".into(), projects.iter().map(|p| p.industry_name.as_str()).collect::<Vec<_>>()),
            Column::new("channel".into(), projects.iter().map(|p| p.channel.as_deref()).collect::<Vec<_>>()),
            Column::new("key_project".into(), projects.iter().map(|p| p.key_project).collect::<Vec<_>>()),
            Column::new("total".into(), projects.iter().map(|p| p.total_investment).collect::<Vec<_>>()),
        ];
        for (s, values) in reach.into_iter().enumerate() {
            columns.push(dates(&format!("reach_{s}"), values)?);
        }
        for (s, values) in recorded.into_iter().enumerate() {
            columns.push(dates(&format!("rec_{s}"), values)?);
        }
        columns.push(dates("registered", projects.iter().map(|p| day(p.registered_date)).collect())?);
        columns.push(dates("planned_start", projects.iter().map(|p| day(p.planned_start_date)).collect())?);
        columns.push(dates("planned_production", projects.iter().map(|p| day(p.planned_production_date)).collect())?);
        columns.push(dates("terminated", projects.iter().map(|p| day(p.terminated_date)).collect())?);
        let projects_frame = DataFrame::new(n, columns)?;

        let by_code: HashMap<&str, (u32, &entities::project::Model)> =
            projects.iter().enumerate().map(|(i, p)| (p.code.as_str(), (i as u32, p))).collect();
        let rows: Vec<_> = progress
            .iter()
            .filter_map(|r| by_code.get(r.project_code.as_str()).map(|(pid, p)| (r, *p, *pid)))
            .collect();
        let m = rows.len();
        let progress_frame = DataFrame::new(
            m,
            vec![
                Column::new("pid".into(), rows.iter().map(|(_, _, pid)| *pid).collect::<Vec<u32>>()),
                Column::new("uid".into(), rows.iter().map(|(_, p, _)| uid(&p.unit_code)).collect::<Vec<u32>>()),
                Column::new(
                    "month_idx".into(),
                    rows.iter().map(|(r, _, _)| super::month_index(r.month)).collect::<Vec<i32>>(),
                ),
                Column::new("code".into(), rows.iter().map(|(r, _, _)| r.project_code.as_str()).collect::<Vec<_>>()),
                dates("month", rows.iter().map(|(r, _, _)| Some(epoch_days(r.month))).collect())?,
                Column::new("fai".into(), rows.iter().map(|(r, _, _)| r.fai.unwrap_or(0)).collect::<Vec<_>>()),
                Column::new(
                    "funds".into(),
                    rows.iter().map(|(r, _, _)| r.funds_arrived.unwrap_or(0)).collect::<Vec<_>>(),
                ),
                Column::new(
                    "outside".into(),
                    rows.iter().map(|(r, _, _)| r.out_of_region_funds.unwrap_or(0)).collect::<Vec<_>>(),
                ),
                Column::new("unit".into(), rows.iter().map(|(_, p, _)| p.unit_code.as_str()).collect::<Vec<_>>()),
                Column::new(
                    "industry".into(),
                    rows.iter().map(|(_, p, _)| p.industry_name.as_str()).collect::<Vec<_>>(),
                ),
                Column::new("channel".into(), rows.iter().map(|(_, p, _)| p.channel.as_deref()).collect::<Vec<_>>()),
                Column::new("key_project".into(), rows.iter().map(|(_, p, _)| p.key_project).collect::<Vec<_>>()),
                Column::new("total".into(), rows.iter().map(|(_, p, _)| p.total_investment).collect::<Vec<_>>()),
            ],
        )?;
        let project_names = projects.iter().map(|p| (p.code.clone(), p.name.clone())).collect();
        let project_units = projects.iter().map(|p| (p.code.clone(), p.unit_code.clone())).collect();
        Ok(Frames {
            version,
            projects: projects_frame,
            progress: progress_frame,
            units,
            targets,
            issues,
            project_names,
            project_units,
            work: Default::default(),
            promotion: Default::default(),
        })
    }
}
