//! A read snapshot of the hot part of the graph — projects, units, industries, investors
//! and monthly progress — kept in memory per data version, so that the commonest reads
//! (a project with its unit and progress) need no SQL. With SQLite through sqlx every
//! query is a round trip to a connection thread, and those thread switches were half the
//! API's CPU; on PostgreSQL each is a network round trip (BENCHMARKS.md).
//!
//! Freshness follows the change feed ([`crate::store::feed::Follower`]) and nothing
//! else: a request uses the snapshot only when it is of the latest data version this
//! server knows; otherwise it reads SQL while the next snapshot is made in the
//! background — patched by the rows the feed says changed ([`Snapshot::patched`]), or
//! loaded in full after an import.
//! This server's own writes move the known version at their commit (read-your-writes);
//! another server's writes within [`crate::store::feed::POSTGRES_POLL`] (at once by
//! NOTIFY) or [`crate::store::feed::SQLITE_POLL`]. A finished build never replaces a
//! newer snapshot. Mutations never read from it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use entities::prelude::{Industry, Investor, Progress, Project, Unit};
use entities::{industry, investor, progress, project, unit};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::{Mutex, watch};

pub use crate::keyed::Keyed;
use crate::store::bulk;
use crate::store::feed::{self, Follower};

/// The graph's hot rows for one data version.
pub struct Snapshot {
    /// The data version it was built from.
    pub version: i64,
    /// Projects by code.
    pub projects: Keyed<project::Model>,
    /// Units by code.
    pub units: Keyed<unit::Model>,
    /// Industries by name.
    pub industries: Keyed<industry::Model>,
    /// Investors by name.
    pub investors: Keyed<investor::Model>,
    /// Progress months by project code, oldest first.
    pub progress: Keyed<Vec<progress::Model>>,
    /// How many projects the public may see, on the day it was counted: the unfiltered
    /// `totalCount` of every public page, counted once per snapshot and day rather than
    /// per request (a scan of every project).
    public_count: std::sync::Mutex<Option<(chrono::NaiveDate, u64)>>,
    /// Every project's code in code order (bytewise, as [`crate::store::bulk`] sorts), made
    /// on the first page asked of this snapshot and carried to the next one while no
    /// project is added or removed: the default page (`projects` without a filter, by
    /// code) is then a slice, without SQL.
    by_code: std::sync::OnceLock<Arc<Vec<String>>>,
    /// Whether the database orders codes bytewise as the snapshot does (SQLite; a
    /// PostgreSQL database with a C collation): only then may a page come from either,
    /// so that no page depends on which one served it.
    bytewise: bool,
}

/// Projects read per statement by [`Snapshot::load`].
pub const LOAD_PAGE: u64 = 20_000;

/// The most rows changed since the last full load (or fold) that a snapshot carries
/// beside its base; beyond, they are folded into a new base (each patch copies them).
pub const PATCH_LIMIT: usize = 5_000;

impl Snapshot {
    /// How many projects a reader sees: every one for internal readers; for the public,
    /// those listed for it on `day` ([`crate::policy::listed_for_public`], the rule of
    /// [`super::graph::may_see_project`]), counted once per snapshot and day.
    pub fn project_count(&self, internal: bool, day: chrono::NaiveDate) -> u64 {
        if internal {
            return self.projects.len() as u64;
        }
        // Held while counting: concurrent first askers wait for one count.
        let mut counted = self.public_count.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match *counted {
            Some((counted_on, n)) if counted_on == day => n,
            _ => {
                let n = self.projects.values().filter(|p| crate::policy::listed_for_public(p, day)).count() as u64;
                *counted = Some((day, n));
                n
            }
        }
    }

    /// The page of `first` projects after the first `offset` ones, by code, that a reader
    /// sees (every project for internal readers; for the public those listed on `day`,
    /// as [`Snapshot::project_count`] counts them).
    /// `None` when the database orders codes otherwise (the page is then SQL's).
    pub fn page_by_code(
        &self,
        internal: bool,
        day: chrono::NaiveDate,
        offset: usize,
        first: usize,
    ) -> Option<Vec<project::Model>> {
        if !self.bytewise {
            return None;
        }
        let codes = self.by_code.get_or_init(|| {
            let mut codes: Vec<String> = self.projects.values().map(|p| p.code.clone()).collect();
            codes.sort_unstable();
            Arc::new(codes)
        });
        let seen = codes
            .iter()
            .filter_map(|code| self.projects.get(code))
            .filter(|p| internal || crate::policy::listed_for_public(p, day));
        Some(seen.skip(offset).take(first).cloned().collect())
    }

    /// Reads the rows of the current data version, in one read transaction: projects and
    /// progress in bulk where it can ([`Snapshot::load_in_bulk`]), else by pages
    /// ([`Snapshot::load_by_pages`]).
    pub async fn load(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
        match Snapshot::load_in_bulk(db).await? {
            Some(snapshot) => Ok(snapshot),
            None => Snapshot::load_by_pages(db, LOAD_PAGE).await,
        }
    }

    /// [`Snapshot::load`] with projects and progress read whole beside its read
    /// transaction, as the analytics' full build reads them: on PostgreSQL by binary COPY
    /// in the transaction's snapshot ([`crate::store::copy`]); on a SQLite file through
    /// SQLite itself, at the transaction's data version ([`bulk::read_sqlite_graph`],
    /// tried again when a write commits in between, at most [`bulk::ATTEMPTS`] times).
    /// `None` where neither applies (a database in memory, or the attempts ran out).
    /// Nothing waits for it (the graph reads SQL meanwhile), so its copies on PostgreSQL
    /// are paced ([`crate::store::copy::Pace::BACKGROUND`]): copied at full speed at
    /// 1,000,000 projects on two cores, it held the other servers' frame updates for up
    /// to 3.4 s (BENCHMARKS.md, issue 14).
    /// Read by pages through sea-orm, 1,000,000 projects took a server more than a
    /// minute of the live bench's load on SQLite, 36–43 s on PostgreSQL (BENCHMARKS.md).
    pub async fn load_in_bulk(db: &DatabaseConnection) -> Result<Option<Snapshot>, DbErr> {
        let failed = |e: crate::background::Failed| DbErr::Custom(e.to_string());
        let file = bulk::sqlite_file(db);
        if file.is_none() && db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(None);
        }
        for _ in 0..bulk::ATTEMPTS {
            let (txn, version) = feed::begin_read(db).await?;
            let (graph, small) = match file.clone() {
                Some(path) => {
                    let graph = crate::background::run(move || bulk::read_sqlite_graph(&path, version));
                    let small = Small::read(&txn).await;
                    (graph.await.map_err(failed)?, small)
                }
                None => {
                    let exported = crate::store::copy::export_snapshot(&txn).await?;
                    let (graph, small) = tokio::join!(crate::store::copy::read_graph(db, &exported), Small::read(&txn));
                    (graph.map(Some), small)
                }
            };
            let (graph, small) = (graph?, small?);
            txn.commit().await?;
            let Some(bulk::Graph { projects, progress }) = graph else { continue };
            // Millions of rows hashed by code: seconds of work, off the threads that
            // answer requests (there it held a server's answers for 3 s, BENCHMARKS.md).
            // At the frames' updates' priority, not below: at the lowest priority it was
            // starved for 10 s, and in those seconds the other server's updates fell
            // 1.8 s behind (BENCHMARKS.md, issue 14).
            let assemble = move || {
                let mut by_project = HashMap::new();
                add_months(&mut by_project, progress);
                // Oldest month first, as the pages read them.
                by_project.values_mut().for_each(|months| months.sort_unstable_by_key(|m| m.month));
                let projects = projects.into_iter().map(|p| (p.code.clone(), p)).collect();
                small.snapshot(version, projects, by_project)
            };
            return crate::background::run(assemble).await.map(Some).map_err(failed);
        }
        Ok(None)
    }

    /// [`Snapshot::load`], projects and their progress read `page` projects at a time (by
    /// code, each statement after the last code of the one before), so that the driver
    /// never holds more than a page of rows: read in one statement, 1,000,000 projects
    /// and their 4.8 million months held every value of every row at once, gigabytes
    /// beside the models (BENCHMARKS.md).
    pub async fn load_by_pages(db: &DatabaseConnection, page: u64) -> Result<Snapshot, DbErr> {
        let (txn, version) = feed::begin_read(db).await?;
        let mut projects = HashMap::new();
        let mut by_project: HashMap<String, Vec<progress::Model>> = HashMap::new();
        let mut after: Option<String> = None;
        loop {
            let mut rows = Project::find().order_by_asc(project::Column::Code).limit(page);
            let mut months = Progress::find();
            if let Some(code) = &after {
                rows = rows.filter(project::Column::Code.gt(code.as_str()));
                months = months.filter(progress::Column::ProjectCode.gt(code.as_str()));
            }
            let rows = rows.all(&txn).await?;
            let Some(last) = rows.last().map(|p| p.code.clone()) else { break };
            let full = rows.len() as u64 == page;
            // The progress of this page's codes (and of none between two pages: every
            // month's project exists), in the primary key's order, oldest month first.
            if full {
                months = months.filter(progress::Column::ProjectCode.lte(last.as_str()));
            }
            let months = months
                .order_by_asc(progress::Column::ProjectCode)
                .order_by_asc(progress::Column::Month)
                .all(&txn)
                .await?;
            add_months(&mut by_project, months);
            projects.extend(rows.into_iter().map(|p| (p.code.clone(), p)));
            if !full {
                break;
            }
            after = Some(last);
        }
        let small = Small::read(&txn).await?;
        txn.commit().await?;
        Ok(small.snapshot(version, projects, by_project))
    }

    /// The snapshot of the store's current version made from this one by the rows the
    /// change feed says changed since ([`feed::changes_since`]), read again in one read
    /// transaction with the version — or `None` when only a full load will do: an import,
    /// or a change of a kind the feed does not key by row. Changes to tables the snapshot does not hold
    /// (targets, issues, the work sheets) only move its version. A test holds a patched
    /// snapshot equal to a full load.
    pub async fn patched(&self, db: &DatabaseConnection) -> Result<Option<Snapshot>, DbErr> {
        self.patched_within(db, PATCH_LIMIT).await
    }

    /// [`Snapshot::patched`], folding the changed rows into a new base past `limit` of them.
    pub async fn patched_within(&self, db: &DatabaseConnection, limit: usize) -> Result<Option<Snapshot>, DbErr> {
        let (txn, version) = feed::begin_read(db).await?;
        if version <= self.version {
            return Ok(None);
        }
        let mut keys: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for (_, entity, key) in feed::changes_since(&txn, self.version).await? {
            let table = match entity.as_str() {
                // A project's change may be its deletion, with its months.
                "projects" | "progress" => "projects",
                "units" => "units",
                "industries" => "industries",
                "investors" => "investors",
                "targets" | "element_issues" | "events" | "engagements" | "incentives" | "supervision_items" => {
                    continue;
                }
                _ => return Ok(None),
            };
            keys.entry(table).or_default().insert(key);
        }
        let carried = self.projects.changed_len()
            + self.progress.changed_len()
            + self.units.changed_len()
            + self.industries.changed_len()
            + self.investors.changed_len();
        // Past the limit the changed rows are folded into a new base, in memory: a copy of
        // the tables, still far cheaper than reading them again.
        let fold = carried + keys.values().map(|k| k.len()).sum::<usize>() > limit;
        let listed = |table: &str| keys.get(table).map(|k| k.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
        let projects =
            reread::<Project, _>(&txn, listed("projects"), project::Column::Code, |p: &project::Model| p.code.clone())
                .await?;
        let progress = months_of(&txn, listed("projects")).await?;
        let units =
            reread::<Unit, _>(&txn, listed("units"), unit::Column::Code, |u: &unit::Model| u.code.clone()).await?;
        let industries =
            reread::<Industry, _>(&txn, listed("industries"), industry::Column::Name, |i: &industry::Model| {
                i.name.clone()
            })
            .await?;
        let investors =
            reread::<Investor, _>(&txn, listed("investors"), investor::Column::Name, |i: &investor::Model| {
                i.name.clone()
            })
            .await?;
        txn.commit().await?;
        // The same projects (none added or removed): the same order.
        let same_codes = projects.iter().all(|(code, row)| row.is_some() == self.projects.get(code).is_some());
        let by_code = std::sync::OnceLock::new();
        if same_codes && let Some(codes) = self.by_code.get() {
            let _ = by_code.set(codes.clone());
        }
        let bytewise = self.bytewise;
        let base = (
            self.projects.clone(),
            self.progress.clone(),
            self.units.clone(),
            self.industries.clone(),
            self.investors.clone(),
        );
        let patch = move || Snapshot {
            version,
            projects: base.0.with(projects, fold),
            progress: base.1.with(progress, fold),
            units: base.2.with(units, fold),
            industries: base.3.with(industries, fold),
            investors: base.4.with(investors, fold),
            public_count: Default::default(),
            by_code,
            bytewise,
        };
        // A fold copies whole tables: off the request threads.
        let snapshot =
            if fold { crate::background::run(patch).await.map_err(|e| DbErr::Custom(e.to_string()))? } else { patch() };
        Ok(Some(snapshot))
    }
}

/// Adds `rows` to the months of their projects, in the order given.
fn add_months(by_project: &mut HashMap<String, Vec<progress::Model>>, rows: Vec<progress::Model>) {
    for row in rows {
        by_project.entry(row.project_code.clone()).or_default().push(row);
    }
}

/// The snapshot's small tables, read whole, and the database's order of codes.
struct Small {
    units: HashMap<String, unit::Model>,
    industries: HashMap<String, industry::Model>,
    investors: HashMap<String, investor::Model>,
    bytewise: bool,
}

impl Small {
    async fn read(txn: &DatabaseTransaction) -> Result<Small, DbErr> {
        Ok(Small {
            units: Unit::find().all(txn).await?.into_iter().map(|u| (u.code.clone(), u)).collect(),
            industries: Industry::find().all(txn).await?.into_iter().map(|i| (i.name.clone(), i)).collect(),
            investors: Investor::find().all(txn).await?.into_iter().map(|i| (i.name.clone(), i)).collect(),
            bytewise: orders_bytewise(txn).await?,
        })
    }

    /// The snapshot of `version` with these, the projects and their months.
    fn snapshot(
        self,
        version: i64,
        projects: HashMap<String, project::Model>,
        progress: HashMap<String, Vec<progress::Model>>,
    ) -> Snapshot {
        Snapshot {
            version,
            projects: Keyed::from(projects),
            units: Keyed::from(self.units),
            industries: Keyed::from(self.industries),
            investors: Keyed::from(self.investors),
            progress: Keyed::from(progress),
            public_count: Default::default(),
            by_code: Default::default(),
            bytewise: self.bytewise,
        }
    }
}

/// Whether the database orders text bytewise: SQLite's BINARY collation does; a
/// PostgreSQL database does when its collation is C or POSIX (C.UTF-8 orders by code
/// point, which is UTF-8's byte order).
async fn orders_bytewise(txn: &DatabaseTransaction) -> Result<bool, DbErr> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(true);
    }
    let sql = "SELECT datcollate FROM pg_database WHERE datname = current_database()";
    let row = txn.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql)).await?;
    let collation: String = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => return Ok(false),
    };
    let collation = collation.to_ascii_uppercase();
    Ok(collation == "C" || collation == "POSIX" || collation.starts_with("C."))
}

/// The rows of `keys` as they are now (`None` for a key with no row any more).
async fn reread<E, C>(
    txn: &DatabaseTransaction,
    keys: Vec<String>,
    column: C,
    key_of: impl Fn(&E::Model) -> String,
) -> Result<HashMap<String, Option<E::Model>>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut rows: HashMap<String, Option<E::Model>> = keys.iter().map(|k| (k.clone(), None)).collect();
    for row in E::find().filter(column.is_in(keys)).all(txn).await? {
        rows.insert(key_of(&row), Some(row));
    }
    Ok(rows)
}

/// The months of the projects `codes` as they are now, oldest first (`None` for none).
async fn months_of(
    txn: &DatabaseTransaction,
    codes: Vec<String>,
) -> Result<HashMap<String, Option<Vec<progress::Model>>>, DbErr> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let mut months: HashMap<String, Option<Vec<progress::Model>>> = codes.iter().map(|c| (c.clone(), None)).collect();
    let rows = Progress::find()
        .filter(progress::Column::ProjectCode.is_in(codes))
        .order_by_asc(progress::Column::Month)
        .all(txn)
        .await?;
    for row in rows {
        months.entry(row.project_code.clone()).or_default().get_or_insert_with(Vec::new).push(row);
    }
    Ok(months)
}

/// The snapshot of the API, following the change feed.
pub struct Snapshots {
    db: DatabaseConnection,
    follower: Arc<Follower>,
    current: watch::Sender<Option<Arc<Snapshot>>>,
    /// Held while a build runs: one at a time.
    building: Mutex<()>,
}

impl Snapshots {
    /// No snapshot yet; the first read (or [`Snapshots::build_now`]) builds one, and from
    /// then on every move of the feed patches (or reloads) it in the background.
    pub fn new(db: DatabaseConnection, follower: Arc<Follower>) -> Arc<Snapshots> {
        let mut changes = follower.subscribe();
        let snapshots =
            Arc::new(Snapshots { db, follower, current: watch::Sender::new(None), building: Mutex::new(()) });
        let weak = Arc::downgrade(&snapshots);
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let Some(this) = weak.upgrade() else { return };
                // Not in the `if`: a borrow there would live through the build, which
                // needs to write the channel.
                let warmed = this.current.borrow().is_some();
                if warmed && let Err(e) = this.catch_up().await {
                    tracing::warn!(error = %e, "the read snapshot could not be rebuilt; reads use SQL");
                }
            }
        });
        snapshots
    }

    /// The snapshot, if it is of the latest data version known; otherwise `None` (read
    /// SQL), and the first call builds one in the background.
    pub fn fresh(self: &Arc<Self>) -> Option<Arc<Snapshot>> {
        let current = self.current.borrow().clone();
        match current {
            Some(snapshot) if snapshot.version >= self.follower.version() => {
                feed::read_at(snapshot.version);
                Some(snapshot)
            }
            Some(_) => None,
            None => {
                let this = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = this.catch_up().await {
                        tracing::warn!(error = %e, "the read snapshot could not be built; reads use SQL");
                    }
                });
                None
            }
        }
    }

    /// Whether a snapshot was built (of any version): the graph reads it when current.
    pub fn is_built(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// Builds a snapshot now if the current one is not of the latest known version
    /// (tests, and the server's start).
    pub async fn build_now(&self) -> Result<(), DbErr> {
        self.catch_up().await
    }

    async fn catch_up(&self) -> Result<(), DbErr> {
        let Ok(_building) = self.building.try_lock() else {
            // A build is running; it loops until it reaches the latest version.
            return Ok(());
        };
        loop {
            let wanted = self.follower.version();
            if self.current.borrow().as_ref().is_some_and(|s| s.version >= wanted) {
                return Ok(());
            }
            // By the rows that changed when the feed allows it, else from scratch.
            let current = self.current.borrow().clone();
            let patched = match current {
                Some(current) => current.patched(&self.db).await?,
                None => None,
            };
            let snapshot = Arc::new(match patched {
                Some(snapshot) => snapshot,
                None => Snapshot::load(&self.db).await?,
            });
            self.follower.saw(snapshot.version);
            self.current.send_if_modified(|current| {
                let newer = current.as_ref().is_none_or(|c| c.version < snapshot.version);
                if newer {
                    *current = Some(snapshot.clone());
                }
                newer
            });
        }
    }
}
