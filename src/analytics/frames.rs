//! The frames the metrics are computed on, built from the store in one pass.
//!
//! `projects`: one row per project, in code order (bytewise), with `pid` (its row
//! number, so pid order is code order: a patch replaces rows in place), `uid` (its unit's
//! position in `units`), `code`, `unit`, `industry`, `channel`,
//! `key_project`, `total` (yuan), `reach_0`…`reach_5` (reach(p, s) per the spec),
//! `rec_0`…`rec_5` (the recorded stage dates), `registered`, `planned_start`,
//! `planned_production`, `terminated` (all `Date`).
//! `progress`: one row per project-month with `pid`, `uid`, `month_idx` (see
//! [`super::month_index`]), `code`, `month`, `fai`, `funds`,
//! `outside` (yuan, an empty cell as 0) and the project's filter columns.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use entities::prelude::*;
use entities::{element_issue, project, target, unit};
use polars::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder};

use super::{AnalyticsError, epoch_days};
use crate::rules::{reach_dates, recorded_dates};
use crate::store::bulk::{self, read_key_projects, read_progress, read_projects};

/// Everything the metrics need, for one data version.
///
/// The parts a patch may change apart ([`Part`]) are read through accessors that note
/// the read ([`tracking`]), so that an answer computed from them knows what it read and
/// can be given again for newer frames whose parts it read have not changed
/// ([`Frames::stamps`]).
pub struct Frames {
    version: i64,
    /// The data version at which each part's content last changed.
    pub stamps: Stamps,
    projects: DataFrame,
    progress: DataFrame,
    /// All units, ordered by code (shared: a patch copies a pointer).
    pub units: Arc<Vec<unit::Model>>,
    /// All targets.
    pub targets: Arc<Vec<target::Model>>,
    /// All element issues.
    pub issues: Arc<Vec<element_issue::Model>>,
    project_names: Arc<HashMap<String, String>>,
    project_units: Arc<HashMap<String, String>>,
    /// Each project's `pid` (its row in `projects`) by code.
    pub pids: Arc<HashMap<String, u32>>,
    work: Arc<super::work::WorkRows>,
    promotion: Arc<PromotionRows>,
    /// What the patch that made these frames changed (none after a full build).
    delta: Option<Arc<Delta>>,
}

/// What a patch changed: the changed projects' rows, and all their progress months, as
/// they were and as they are, each as small frames of their own (the rest shared). A
/// figure that is a sum over projects ([`super::Additive`]) is then patched — its answer
/// on the frames patched, less its answer on the rows before, plus its answer on the rows
/// after — rather than computed again over every row.
pub struct Delta {
    /// The stamps of the frames patched: an answer that holds for them can be patched.
    pub from: Stamps,
    /// The changed projects' rows in the frames patched, in pid order.
    pub before: Frames,
    /// Their rows now, in pid order.
    pub after: Frames,
}

/// The parts of the frames whose content a patch changes apart. What only a full build
/// changes (units, targets, issues, the pids) is [`Part::Base`], which every answer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Units, targets, element issues, the pids: changed by full builds only.
    Base,
    /// The data version itself, new in every frames: what reads it is never carried.
    Version,
    /// The projects frame.
    Projects,
    /// The progress frame's rows and every column but the three values below.
    Progress,
    /// The progress frame's `fai` column.
    Fai,
    /// The progress frame's `funds` column.
    Funds,
    /// The progress frame's `outside` column.
    Outside,
    /// Project names and units by code.
    Labels,
    /// The work around the pipeline.
    Work,
    /// Promotion by chain and carrier.
    Promotion,
}

/// The progress frame's value columns and the parts they are.
const PROGRESS_VALUES: [(&str, Part); 3] = [("fai", Part::Fai), ("funds", Part::Funds), ("outside", Part::Outside)];

/// How many [`Part`]s there are.
const PARTS: usize = 10;

/// A set of [`Part`]s: what a computation read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads(u16);

impl Reads {
    /// Whether `part` is in the set.
    pub fn has(self, part: Part) -> bool {
        self.0 & (1 << part as u16) != 0
    }
}

/// For each [`Part`], the data version at which its content last changed: a full build
/// stamps every part with its version; a patch stamps only the parts whose content it
/// changed and keeps the others' stamps (a write to a field the frames do not hold, such
/// as a project's summary, changes none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamps([i64; PARTS]);

impl Stamps {
    /// Every part changed at `version`.
    pub fn all(version: i64) -> Stamps {
        Stamps([version; PARTS])
    }

    /// Whether every part in `reads` has the same content here as in `other`: then a
    /// computation that read only those parts gives the same answer on both.
    pub fn agree(&self, other: &Stamps, reads: Reads) -> bool {
        (0..PARTS).all(|i| reads.0 & (1 << i) == 0 || self.0[i] == other.0[i])
    }

    fn changed(mut self, part: Part, version: i64, changed: bool) -> Stamps {
        if changed {
            self.0[part as usize] = version;
        }
        self
    }
}

thread_local! {
    /// The parts read by the computation running on this thread, when tracked.
    static READ: std::cell::Cell<Option<u16>> = const { std::cell::Cell::new(None) };
}

fn note(part: Part) {
    READ.with(|r| {
        if let Some(read) = r.get() {
            r.set(Some(read | 1 << part as u16));
        }
    });
}

/// Runs `compute` on this thread and returns what it read of any frames (always
/// [`Part::Base`]). Only the computation's own thread is tracked: the metrics take the
/// parts on it and hand polars the columns, never the frames.
pub fn tracking<T>(compute: impl FnOnce() -> T) -> (T, Reads) {
    let outer = READ.with(|r| r.replace(Some(1 << Part::Base as u16)));
    let out = compute();
    let read = READ.with(|r| r.replace(outer)).unwrap_or(0);
    (out, Reads(read))
}

impl Frames {
    /// The data version these frames were built from.
    pub fn version(&self) -> i64 {
        note(Part::Version);
        self.version
    }

    /// One row per project.
    pub fn projects(&self) -> &DataFrame {
        note(Part::Projects);
        &self.projects
    }

    /// One row per project-month, every column.
    pub fn progress(&self) -> &DataFrame {
        note(Part::Progress);
        for (_, part) in PROGRESS_VALUES {
            note(part);
        }
        &self.progress
    }

    /// One row per project-month with one of the three values (`fai`, `funds` or
    /// `outside`) and the other columns: what a figure of that value reads, so that its
    /// answer is carried over writes of the other two (a month's FAI recorded leaves the
    /// funds-arrived figures as they are).
    /// Another name than the three is a bug; it gets every column, and notes them.
    pub fn progress_of(&self, value: &str) -> DataFrame {
        if !PROGRESS_VALUES.iter().any(|(column, _)| *column == value) {
            return self.progress().clone();
        }
        note(Part::Progress);
        let mut others = Vec::new();
        for (column, part) in PROGRESS_VALUES {
            if column == value {
                note(part);
            } else {
                others.push(column);
            }
        }
        self.progress.drop_many(others)
    }

    /// Project names by code, for reports.
    pub fn project_names(&self) -> &Arc<HashMap<String, String>> {
        note(Part::Labels);
        &self.project_names
    }

    /// Project units by code, for issue alerts.
    pub fn project_units(&self) -> &Arc<HashMap<String, String>> {
        note(Part::Labels);
        &self.project_units
    }

    /// The work around the pipeline: investors, events, engagements, incentives,
    /// supervision, and the facts of the projects they refer to.
    pub fn work(&self) -> &Arc<super::work::WorkRows> {
        note(Part::Work);
        &self.work
    }

    /// Promotion: the chain links, the projects on them, the carriers.
    pub fn promotion(&self) -> &Arc<PromotionRows> {
        note(Part::Promotion);
        &self.promotion
    }

    /// What the patch that made these frames changed; none after a full build.
    pub fn delta(&self) -> Option<&Delta> {
        self.delta.as_deref()
    }

    /// These frames with only the rows of the projects at `pids` (ascending) and their
    /// progress months, the rest shared: one side of a [`Delta`].
    fn only(&self, pids: &[u32]) -> PolarsResult<Frames> {
        let progress_pids = self.progress.column("pid")?.as_materialized_series().u32()?.clone();
        let mut months = Vec::new();
        for pid in pids {
            let (from, to) = run_of(&progress_pids, *pid);
            months.extend(from as u32..to as u32);
        }
        // Taken, not sliced: a slice would hold the whole frame's buffers.
        let rows = IdxCa::from_vec("".into(), pids.to_vec());
        Ok(Frames {
            version: self.version,
            stamps: self.stamps,
            projects: self.projects.take(&rows)?,
            progress: self.progress.take(&IdxCa::from_vec("".into(), months))?,
            units: self.units.clone(),
            targets: self.targets.clone(),
            issues: self.issues.clone(),
            project_names: self.project_names.clone(),
            project_units: self.project_units.clone(),
            pids: self.pids.clone(),
            work: self.work.clone(),
            promotion: self.promotion.clone(),
            delta: None,
        })
    }
}

/// What promotion by chain and by carrier is computed from, read with the frames so that
/// decks, the site and the brochure show the same data version as every other figure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PromotionRows {
    /// Every chain link (`chain_links`).
    pub links: Vec<entities::chain_link::Model>,
    /// The projects that name a chain link, with the columns the chain figures need, by
    /// code (shared, so that a patch copies pointers, not rows).
    pub members: Vec<Arc<project::Model>>,
    /// Every carrier (`carriers`).
    pub carriers: Vec<entities::carrier::Model>,
    /// The key projects marked public (重点项目, 公开推介), full models, by code: what the
    /// promotion decks list (each still through [`crate::publish::public::PublicProject`]).
    pub key_projects: Vec<Arc<project::Model>>,
}

impl PromotionRows {
    /// The chains' figures as of `as_of` (see [`super::chains::chain_figures`]).
    pub fn chains(&self, as_of: NaiveDate) -> Vec<super::chains::ChainFigures> {
        super::chains::chain_figures(&self.links, self.members.iter().map(|p| &**p), as_of)
    }
}

fn dates(name: &str, values: Vec<Option<i32>>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&DataType::Date)
}

fn day(d: Option<NaiveDate>) -> Option<i32> {
    d.map(epoch_days)
}

impl Frames {
    /// Reads the store in one read transaction with its data version (so a build never
    /// mixes two states), only the columns the frames need, and builds the frames. On a
    /// SQLite file the big tables are read by [`crate::store::bulk`] beside the rest, in
    /// transactions of their own proven to see the same version (tried again, at
    /// most [`bulk::ATTEMPTS`] times, when a write commits between the two). PostgreSQL
    /// reads them by binary COPY on a second connection in the same snapshot
    /// (`pg_export_snapshot`, [`crate::store::copy`]), one table after the other (with
    /// the rows read through sea-orm, two connections at once were slower, not faster,
    /// the server on the same two cores: BENCHMARKS.md).
    pub async fn load(db: &DatabaseConnection) -> Result<Frames, AnalyticsError> {
        let started = std::time::Instant::now();
        let file = crate::store::bulk::sqlite_file(db);
        let mut attempt = 0;
        let (version, tables, work, key_projects, rest) = loop {
            let (txn, version) = crate::store::feed::begin_read(db).await?;
            let read = match file.clone().filter(|_| attempt < bulk::ATTEMPTS) {
                // A SQLite file: the big tables and the key projects (whole rows) on
                // connections of their own (one thread each) beside the rest, each at
                // this version or not at all.
                Some(path) => {
                    let (other, key) = (path.clone(), path.clone());
                    let big = crate::background::run(move || bulk::read_sqlite(&path, version));
                    let work = crate::background::run(move || bulk::read_sqlite_work(&other, version));
                    let key = crate::background::run(move || bulk::read_sqlite_key_projects(&key, version));
                    let rest = Rest::read(&txn).await?;
                    (big.await??, work.await??, key.await??, rest)
                }
                // PostgreSQL: the big tables by binary COPY on a connection of their
                // own in this transaction's snapshot, beside the rest.
                None if db.get_database_backend() == sea_orm::DbBackend::Postgres => {
                    let snapshot = crate::store::copy::export_snapshot(&txn).await?;
                    let (big, rest) = tokio::join!(crate::store::copy::read_postgres(db, &snapshot), Rest::read(&txn));
                    let big = big?;
                    (Some(big.tables), Some(big.work), Some(big.key_projects), rest?)
                }
                None => {
                    let rest = Rest::read(&txn).await?;
                    let projects = read_projects(&txn, None).await?;
                    let progress = read_progress(&txn, None, &projects).await?;
                    let work = bulk::read_work(&txn).await?;
                    (
                        Some(bulk::Tables { projects, progress }),
                        Some(work),
                        Some(read_key_projects(&txn, None).await?),
                        rest,
                    )
                }
            };
            txn.commit().await?;
            match read {
                (Some(tables), Some(work), Some(key_projects), rest) => {
                    break (version, tables, work, key_projects, rest);
                }
                _ => attempt += 1,
            }
        };
        let read_ms = started.elapsed().as_secs_f64() * 1e3;
        let build = move || {
            let bulk::Tables { projects, progress } = tables;
            let Rest { units, targets, issues, small, links, carriers } = rest;
            let work = super::work::WorkInput::of(work, small);
            // The frames and the work rows are independent: one on each core.
            let (frames, work) = std::thread::scope(|scope| {
                let work = scope.spawn(|| super::work::WorkRows::build(work, &projects, &progress));
                let frames = Frames::build(version, &projects, &progress, units, targets, issues);
                // A panic there is one of this task, as if it had run here.
                (frames, work.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            });
            let mut frames = frames?;
            frames.work = Arc::new(work);
            let members = projects.iter().filter(|p| p.chain_link.is_some()).map(|p| Arc::new(p.clone())).collect();
            let key_projects = key_projects.into_iter().map(Arc::new).collect();
            frames.promotion = Arc::new(PromotionRows { links, members, carriers, key_projects });
            Ok(frames)
        };
        let frames = crate::background::run(build).await?;
        let build_ms = started.elapsed().as_secs_f64() * 1e3 - read_ms;
        tracing::debug!(read_ms, build_ms, attempts = attempt + 1, "frames loaded");
        frames
    }

    /// Builds the frames from rows already read.
    pub fn build(
        version: i64,
        projects: &[entities::project::Model],
        progress: &[bulk::Month],
        units: Vec<unit::Model>,
        targets: Vec<target::Model>,
        issues: Vec<element_issue::Model>,
    ) -> Result<Frames, AnalyticsError> {
        let unit_index = unit_positions(&units);
        let uid = |code: &str| unit_index.get(code).copied().unwrap_or(u32::MAX);
        let pids: Vec<u32> = (0..projects.len() as u32).collect();
        let projects_frame = project_rows(projects, &pids, &uid)?;
        let progress_frame = progress_rows(&projects_frame, progress)?;
        let project_names = Arc::new(projects.iter().map(|p| (p.code.clone(), p.name.clone())).collect());
        let project_units = Arc::new(projects.iter().map(|p| (p.code.clone(), p.unit_code.clone())).collect());
        let pids = Arc::new(projects.iter().enumerate().map(|(i, p)| (p.code.clone(), i as u32)).collect());
        Ok(Frames {
            version,
            stamps: Stamps::all(version),
            projects: projects_frame,
            progress: progress_frame,
            units: Arc::new(units),
            targets: Arc::new(targets),
            issues: Arc::new(issues),
            project_names,
            project_units,
            pids,
            work: Default::default(),
            promotion: Default::default(),
            delta: None,
        })
    }
}

/// The tables of the frames besides projects, progress, investors, engagements and
/// incentives ([`bulk`]): small, read by sea-orm.
struct Rest {
    units: Vec<unit::Model>,
    targets: Vec<target::Model>,
    issues: Vec<element_issue::Model>,
    small: super::work::SmallSheets,
    links: Vec<entities::chain_link::Model>,
    carriers: Vec<entities::carrier::Model>,
}

impl Rest {
    async fn read(db: &impl ConnectionTrait) -> Result<Rest, DbErr> {
        Ok(Rest {
            units: Unit::find().order_by_asc(entities::unit::Column::Code).all(db).await?,
            targets: Target::find().all(db).await?,
            issues: ElementIssue::find().all(db).await?,
            small: super::work::SmallSheets::load(db).await?,
            links: entities::prelude::ChainLink::find().all(db).await?,
            carriers: entities::prelude::Carrier::find().order_by_asc(entities::carrier::Column::Code).all(db).await?,
        })
    }
}

/// Each unit's position in `units` (the frames' `uid`) by code.
fn unit_positions(units: &[unit::Model]) -> HashMap<&str, u32> {
    units.iter().enumerate().map(|(i, u)| (u.code.as_str(), i as u32)).collect()
}

/// The `projects` frame's rows of `projects`, the i-th with pid `pids[i]`.
fn project_rows(projects: &[project::Model], pids: &[u32], uid: &dyn Fn(&str) -> u32) -> PolarsResult<DataFrame> {
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
    let mut columns = vec![
        Column::new("pid".into(), pids.to_vec()),
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
    DataFrame::new(n, columns)
}

/// The `progress` frame's rows of `months`, whose projects are the rows of `projects`
/// (a `projects` frame: a month's project is its row there). The project's columns are
/// taken from that frame, not built again per month: its text columns' values are
/// shared, not copied (4.8 million months at 1,000,000 projects).
fn progress_rows(projects: &DataFrame, months: &[bulk::Month]) -> PolarsResult<DataFrame> {
    let rows = IdxCa::from_vec("".into(), months.iter().map(|m| m.project as IdxSize).collect());
    let of_project = projects.select(["pid", "uid", "code", "unit", "industry", "channel", "key_project", "total"])?;
    let mut frame = of_project.take(&rows)?;
    let month_idx = months.iter().map(|m| super::month_index(m.month)).collect::<Vec<i32>>();
    frame.with_column(Column::new("month_idx".into(), month_idx))?;
    frame.with_column(dates("month", months.iter().map(|m| Some(epoch_days(m.month))).collect())?)?;
    frame.with_column(Column::new("fai".into(), months.iter().map(|m| m.fai).collect::<Vec<i64>>()))?;
    frame.with_column(Column::new("funds".into(), months.iter().map(|m| m.funds).collect::<Vec<i64>>()))?;
    frame.with_column(Column::new("outside".into(), months.iter().map(|m| m.outside).collect::<Vec<i64>>()))?;
    frame.select(PROGRESS_ORDER)
}

/// The `progress` frame's columns, in order.
const PROGRESS_ORDER: [&str; 13] = [
    "pid",
    "uid",
    "month_idx",
    "code",
    "month",
    "fai",
    "funds",
    "outside",
    "unit",
    "industry",
    "channel",
    "key_project",
    "total",
];

/// The most projects a patch takes; beyond, a full build is as quick.
pub const PATCH_LIMIT: usize = 2_000;

/// About how many rows a chunk of a patched frame holds: a patch copies the chunks it
/// changes, and no others. (It used to splice by slices and join the whole frame into
/// one chunk every 16 pieces: at 1,000,000 projects a copy of 4.8 million progress
/// months, 0.3–1 s under load, every few writes — the tail of the figures' lag.) The
/// full build's one chunk lives on until every slice of it has been replaced, so a
/// frame patched for long holds at most about twice its rows' memory.
const CHUNK_ROWS: usize = 1 << 17;

impl Frames {
    /// The frames of the store's current version made from these by the rows that
    /// changed since — or `None` when only a full build will do.
    ///
    /// The change feed says what changed ([`crate::store::feed::changes_since`]). When
    /// every change since these frames is to an existing project or its progress (what
    /// units write all day: `recordProgress`, `updateProject`, `advanceStage`, …), those
    /// projects' rows are read again, in one read transaction with the version, and
    /// replace theirs: in the projects frame at their row (`pid`), in the progress frame,
    /// the work rows, the names and units, the promotion rows. Anything else — a project
    /// created or deleted, an import, a unit, target, issue or work row, more than
    /// [`PATCH_LIMIT`] projects — needs a full build. A test holds the patched frames
    /// equal to a full build's.
    pub async fn patched(&self, db: &DatabaseConnection) -> Result<Option<Frames>, AnalyticsError> {
        let started = std::time::Instant::now();
        let (txn, version) = crate::store::feed::begin_read(db).await?;
        if version <= self.version {
            return Ok(None);
        }
        let mut codes = BTreeSet::new();
        for (_, entity, key) in crate::store::feed::changes_since(&txn, self.version).await? {
            if !matches!(entity.as_str(), "projects" | "progress") || !self.pids.contains_key(&key) {
                return Ok(None);
            }
            codes.insert(key);
        }
        if codes.is_empty() || codes.len() > PATCH_LIMIT {
            return Ok(None);
        }
        let codes: Vec<String> = codes.into_iter().collect();
        let projects = read_projects(&txn, Some(&codes)).await?;
        let progress = read_progress(&txn, Some(&codes), &projects).await?;
        let key_projects = read_key_projects(&txn, Some(&codes)).await?;
        txn.commit().await?;
        if projects.len() != codes.len() {
            return Ok(None); // one was deleted
        }
        let read = started.elapsed();
        let cloning = std::time::Instant::now();
        let base = Patchable {
            projects: self.projects.clone(),
            progress: self.progress.clone(),
            units: self.units.clone(),
            targets: self.targets.clone(),
            issues: self.issues.clone(),
            names: self.project_names.clone(),
            project_units: self.project_units.clone(),
            pids: self.pids.clone(),
            stamps: self.stamps,
            work: self.work.clone(),
            promotion: self.promotion.clone(),
        };
        let cloned = cloning.elapsed();
        // The changed projects' rows as they were, for the figures patched by them.
        let mut pids: Vec<u32> = codes.iter().filter_map(|code| self.pids.get(code).copied()).collect();
        pids.sort_unstable();
        let before = self.only(&pids)?;
        let from = self.stamps;
        crate::metrics::metrics().frames_update_step("read", read);
        let patch = move || {
            let mut frames = base.patch(version, &projects, &progress, key_projects)?;
            let after = frames.only(&pids)?;
            frames.delta = Some(Arc::new(Delta { from, before, after }));
            // What an operator (and the live bench's profile) reads to see where a
            // patch's time goes: everything after the read, in the metric and the log.
            let patched = started.elapsed().saturating_sub(read);
            crate::metrics::metrics().frames_update_step("patch", patched);
            tracing::debug!(
                projects = codes.len(),
                read_ms = read.as_secs_f64() * 1e3,
                clone_ms = cloned.as_secs_f64() * 1e3,
                patch_ms = patched.as_secs_f64() * 1e3,
                "frames patched"
            );
            Ok::<_, AnalyticsError>(frames)
        };
        Ok(Some(crate::background::run(patch).await??))
    }
}

/// `frame` with the rows `from..to` of each `(from, to, rows)` (in order, apart)
/// replaced by `rows`. The frame is kept in chunks of about [`CHUNK_ROWS`] rows (a
/// bigger chunk, as a full build makes, is cut into slices of that size, no copy): the
/// chunks that hold a replaced range are copied with their new rows into one chunk each,
/// the others are shared. A patch thus copies a few chunks, never the whole frame.
fn spliced(frame: &DataFrame, replaced: Vec<(usize, usize, DataFrame)>) -> PolarsResult<DataFrame> {
    spliced_in_chunks(frame, replaced, CHUNK_ROWS)
}

/// [`spliced`] with chunks of about `chunk_rows` rows.
fn spliced_in_chunks(
    frame: &DataFrame,
    replaced: Vec<(usize, usize, DataFrame)>,
    chunk_rows: usize,
) -> PolarsResult<DataFrame> {
    let height = frame.height();
    let lengths = frame.columns().first().map(|c| c.as_materialized_series().chunk_lengths().collect::<Vec<_>>());
    let mut bounds = Vec::new();
    let mut start = 0;
    for length in lengths.unwrap_or_default() {
        let (end_of_chunk, pieces) = (start + length, (length / chunk_rows).max(1));
        for i in 0..pieces {
            let end = if i + 1 == pieces { end_of_chunk } else { start + chunk_rows };
            bounds.push((start, end));
            start = end;
        }
    }
    if bounds.is_empty() || start != height {
        bounds = vec![(0, height)];
    }
    // Empty pieces add no chunk.
    let add =
        |to: &mut DataFrame, rows: &DataFrame| if rows.height() > 0 { to.vstack_mut(rows).map(|_| ()) } else { Ok(()) };
    let mut out = frame.clear();
    let (mut chunk, mut next) = (0, 0);
    while chunk < bounds.len() {
        let (start, mut end) = bounds[chunk];
        chunk += 1;
        // The replacements that start in this chunk (rows inserted at the very end
        // belong to the last), the chunk grown over the next ones while one runs on.
        let first = next;
        while let Some((from, to, _)) = replaced.get(next) {
            if !(*from < end || (*from == end && chunk == bounds.len())) {
                break;
            }
            while *to > end && chunk < bounds.len() {
                end = bounds[chunk].1;
                chunk += 1;
            }
            next += 1;
        }
        if first == next {
            add(&mut out, &frame.slice(start as i64, end - start))?;
            continue;
        }
        let mut piece = frame.clear();
        let mut at = start;
        for (from, to, rows) in &replaced[first..next] {
            add(&mut piece, &frame.slice(at as i64, from - at))?;
            add(&mut piece, rows)?;
            at = *to;
        }
        add(&mut piece, &frame.slice(at as i64, end - at))?;
        piece.rechunk_mut();
        add(&mut out, &piece)?;
    }
    Ok(out)
}

/// The rows `from..to` whose pid is `pid`, in a pid column sorted ascending.
fn run_of(pids: &UInt32Chunked, pid: u32) -> (usize, usize) {
    let first_at_least = |value: u32| {
        let (mut lo, mut hi) = (0, pids.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pids.get(mid).is_some_and(|p| p < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    (first_at_least(pid), first_at_least(pid.saturating_add(1)))
}

/// What a patch starts from: the parts of the current frames (frames are shared
/// immutably; their polars columns and maps are reference-counted, so this is cheap).
struct Patchable {
    projects: DataFrame,
    progress: DataFrame,
    units: Arc<Vec<unit::Model>>,
    targets: Arc<Vec<target::Model>>,
    issues: Arc<Vec<element_issue::Model>>,
    names: Arc<HashMap<String, String>>,
    project_units: Arc<HashMap<String, String>>,
    pids: Arc<HashMap<String, u32>>,
    stamps: Stamps,
    work: Arc<super::work::WorkRows>,
    promotion: Arc<PromotionRows>,
}

impl Patchable {
    /// Replaces the rows of `projects` (existing ones, all of their progress given).
    fn patch(
        self,
        version: i64,
        projects: &[project::Model],
        progress: &[bulk::Month],
        key_projects: Vec<project::Model>,
    ) -> Result<Frames, AnalyticsError> {
        let unit_index = unit_positions(&self.units);
        let uid = |code: &str| unit_index.get(code).copied().unwrap_or(u32::MAX);
        let pid = |code: &str| self.pids.get(code).copied().unwrap_or(u32::MAX);
        let changed: Vec<u32> = projects.iter().map(|p| pid(&p.code)).collect();
        let n = self.projects.height();
        if changed.iter().any(|p| *p as usize >= n) {
            return Err(AnalyticsError::Polars(PolarsError::ComputeError("a patched project has no row".into())));
        }
        // Both frames are patched by slices (no copy of the rows): the rows before a
        // changed project, its new rows, the rows after; the pieces are joined into one
        // chunk only every few patches.
        let lap = std::time::Instant::now();
        let mut order: Vec<(u32, usize)> = changed.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        order.sort_unstable();
        // The projects frame: row pid is project pid.
        // A part whose rows come out the same (a write to a field the frames do not
        // hold) is kept as it is: no splice, and its stamp stays, so the answers computed
        // from it still hold.
        let fresh = project_rows(projects, &changed, &uid)?;
        let rows: Vec<(usize, usize, DataFrame)> =
            order.iter().map(|(pid, i)| (*pid as usize, *pid as usize + 1, fresh.slice(*i as i64, 1))).collect();
        let projects_changed = rows.iter().any(|(at, _, row)| !self.projects.slice(*at as i64, 1).equals_missing(row));
        let projects_frame = if projects_changed { spliced(&self.projects, rows)? } else { self.projects };
        let projects_ms = lap.elapsed().as_secs_f64() * 1e3;
        // The progress frame, in pid order: each changed project's months replace its run
        // (`projects` is in code order, so the changed pids ascend with its rows).
        let fresh = progress_rows(&fresh, progress)?;
        let old_pids = self.progress.column("pid")?.as_materialized_series().u32()?.clone();
        let new_pids = fresh.column("pid")?.as_materialized_series().u32()?.clone();
        let rows: Vec<(usize, usize, DataFrame)> = order
            .iter()
            .map(|(pid, _)| {
                let (from, to) = run_of(&old_pids, *pid);
                let (start, end) = run_of(&new_pids, *pid);
                (from, to, fresh.slice(start as i64, end - start))
            })
            .collect();
        // What changed: the rows themselves (a month added or removed, a project column
        // copied into them), else which of the three values.
        let mut progress_changed = [false; 1 + PROGRESS_VALUES.len()];
        let values = PROGRESS_VALUES.map(|(column, _)| column);
        for (from, to, run) in &rows {
            let old = self.progress.slice(*from as i64, to - from);
            if old.height() != run.height() || !old.drop_many(values).equals_missing(&run.drop_many(values)) {
                progress_changed = [true; 1 + PROGRESS_VALUES.len()];
                break;
            }
            for (i, (column, _)) in PROGRESS_VALUES.iter().enumerate() {
                let (before, after) = (old.column(column)?, run.column(column)?);
                progress_changed[1 + i] |=
                    !before.as_materialized_series().equals_missing(after.as_materialized_series());
            }
        }
        let progress_frame =
            if progress_changed.contains(&true) { spliced(&self.progress, rows)? } else { self.progress };
        let progress_ms = lap.elapsed().as_secs_f64() * 1e3 - projects_ms;
        // Names and units: copied only when one changed.
        let mut names = self.names;
        let mut project_units = self.project_units;
        let mut labels_changed = false;
        for p in projects {
            if names.get(&p.code) != Some(&p.name) {
                Arc::make_mut(&mut names).insert(p.code.clone(), p.name.clone());
                labels_changed = true;
            }
            if project_units.get(&p.code) != Some(&p.unit_code) {
                Arc::make_mut(&mut project_units).insert(p.code.clone(), p.unit_code.clone());
                labels_changed = true;
            }
        }
        // The promotion rows: copied (every member's pointer, 35 ms at 1,000,000
        // projects) and patched only when a changed project's row in them differs, or it
        // joins or leaves them; most writes change neither list.
        fn position<P: std::borrow::Borrow<project::Model>>(rows: &[P], code: &str) -> Result<usize, usize> {
            rows.binary_search_by(|m| m.borrow().code.as_str().cmp(code))
        }
        fn differs<P: std::borrow::Borrow<project::Model>>(
            rows: &[P],
            code: &str,
            row: Option<&project::Model>,
        ) -> bool {
            match (position(rows, code), row) {
                (Ok(at), Some(row)) => rows[at].borrow() != row,
                (Ok(_), None) | (Err(_), Some(_)) => true,
                (Err(_), None) => false,
            }
        }
        let mut key_projects: HashMap<String, project::Model> =
            key_projects.into_iter().map(|p| (p.code.clone(), p)).collect();
        let promotion_changed = projects.iter().any(|p| {
            differs(&self.promotion.members, &p.code, p.chain_link.is_some().then_some(p))
                || differs(&self.promotion.key_projects, &p.code, key_projects.get(&p.code))
        });
        let promotion = if promotion_changed {
            // Each list stays in code order: a changed project's row is replaced, taken
            // out or put in at its place.
            fn put<P>(rows: &mut Vec<P>, code: &str, row: Option<P>)
            where
                P: std::borrow::Borrow<project::Model>,
            {
                match (position(rows, code), row) {
                    (Ok(at), Some(row)) => rows[at] = row,
                    (Ok(at), None) => {
                        rows.remove(at);
                    }
                    (Err(at), Some(row)) => rows.insert(at, row),
                    (Err(_), None) => {}
                }
            }
            let mut promotion = (*self.promotion).clone();
            for p in projects {
                put(&mut promotion.members, &p.code, p.chain_link.is_some().then(|| Arc::new(p.clone())));
                put(&mut promotion.key_projects, &p.code, key_projects.remove(&p.code).map(Arc::new));
            }
            Arc::new(promotion)
        } else {
            self.promotion
        };
        let rest_ms = lap.elapsed().as_secs_f64() * 1e3 - projects_ms - progress_ms;
        let (work, work_changed) = match self.work.concerns(projects).then(|| self.work.patched(projects, progress)) {
            Some(Some(patched)) => (Arc::new(patched), true),
            _ => (self.work, false),
        };
        tracing::debug!(
            projects_ms,
            progress_ms,
            rest_ms,
            work_ms = lap.elapsed().as_secs_f64() * 1e3 - projects_ms - progress_ms - rest_ms,
            progress_chunks = progress_frame.first_col_n_chunks(),
            "frames patch parts"
        );
        let stamps = self
            .stamps
            .changed(Part::Version, version, true)
            .changed(Part::Projects, version, projects_changed)
            .changed(Part::Progress, version, progress_changed[0])
            .changed(Part::Fai, version, progress_changed[1])
            .changed(Part::Funds, version, progress_changed[2])
            .changed(Part::Outside, version, progress_changed[3])
            .changed(Part::Labels, version, labels_changed)
            .changed(Part::Work, version, work_changed)
            .changed(Part::Promotion, version, promotion_changed);
        Ok(Frames {
            version,
            stamps,
            projects: projects_frame,
            progress: progress_frame,
            units: self.units,
            targets: self.targets,
            issues: self.issues,
            project_names: names,
            project_units,
            pids: self.pids,
            work,
            promotion,
            delta: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of one column `v` with these values.
    fn frame(values: &[i64]) -> DataFrame {
        DataFrame::new(values.len(), vec![Column::new("v".into(), values.to_vec())]).unwrap()
    }

    fn values(df: &DataFrame) -> Vec<i64> {
        df.column("v").unwrap().as_materialized_series().i64().unwrap().into_no_null_iter().collect()
    }

    /// Patch after patch — rows replaced, runs grown and shrunk, rows put in at the
    /// start, the end and across chunks — the spliced frame holds exactly the rows a
    /// plain splice of vectors gives, in chunks that stay about the size asked: a patch
    /// never joins the whole frame.
    #[test]
    fn a_splice_copies_the_chunks_it_changes_and_equals_a_plain_splice() {
        let mut expected: Vec<i64> = (0..100).collect();
        let mut df = frame(&expected);
        let mut next = 1000;
        // (from, to, how many new rows), in order, apart.
        let patches: [&[(usize, usize, usize)]; 8] = [
            &[(3, 4, 1), (50, 52, 3)],
            &[(0, 0, 2), (99, 103, 0)],
            &[(7, 20, 1)],
            &[(15, 16, 5), (40, 41, 1), (80, 80, 4)],
            &[(0, 3, 0)],
            &[(10, 30, 30)],
            &[(5, 6, 1), (6, 7, 1), (7, 8, 1)],
            &[(0, 0, 0)],
        ];
        for patch in patches {
            let mut replaced = Vec::new();
            let mut plain = Vec::new();
            let mut at = 0;
            for &(from, to, n) in patch {
                let (from, to) = (from.min(expected.len()), to.min(expected.len()));
                let rows: Vec<i64> = (next..next + n as i64).collect();
                next += n as i64;
                plain.extend_from_slice(&expected[at..from]);
                plain.extend_from_slice(&rows);
                at = to;
                replaced.push((from, to, frame(&rows)));
            }
            plain.extend_from_slice(&expected[at..]);
            df = spliced_in_chunks(&df, replaced, 8).unwrap();
            expected = plain;
            assert_eq!(values(&df), expected);
            let chunks = df.column("v").unwrap().as_materialized_series().chunk_lengths().collect::<Vec<_>>();
            assert!(chunks.iter().all(|n| *n > 0 && *n < 8 * 3 + 30), "{chunks:?}");
            assert!(chunks.len() > 1, "kept in chunks: {chunks:?}");
        }
    }
}
