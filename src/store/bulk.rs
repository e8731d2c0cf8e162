//! Reads of the big tables of the analytics' frames — projects and progress with the
//! columns the frames use, investors, engagements and incentives whole: some rows or all
//! through sea-orm by position ([`read_projects`], [`read_progress`], [`read_work`]), and
//! whole tables of a SQLite file through SQLite's own library (rusqlite, [`read_sqlite`],
//! [`read_sqlite_work`]) for the full build rather than sqlx: sqlx's SQLite driver
//! hands every row from its worker thread over a channel, and its rows become sea-orm
//! values, then models, by name and type checks per value — at 1,000,000 projects and
//! 4.8 million progress months that was 19 s of a 34 s build (BENCHMARKS.md). Here each
//! value is read by position straight into the model. PostgreSQL reads through sea-orm
//! as before (its driver streams rows on the connection's own task).
//!
//! The reader has a connection and a read transaction of its own, so the caller proves
//! that it sees the same state as the caller's transaction by the data version, which
//! every writing transaction moves (`feed::record`): the same version, the same data.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use entities::{engagement, incentive, investor, progress, project};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, StreamTrait};

/// The columns of a project the frames use, in the order [`project_of`] reads them.
pub const PROJECT_COLUMNS: &str = "code, name, unit_code, industry_name, channel, key_project, total_investment, \
     intent_date, negotiation_date, signed_date, started_date, producing_date, capacity_date, \
     registered_date, planned_start_date, planned_production_date, terminated_date, \
     investor_name, signing_event, chain_link, carrier_code";

/// The columns of a progress month, in the order [`progress_of`] reads them.
pub const PROGRESS_COLUMNS: &str = "project_code, month, fai, funds_arrived, out_of_region_funds";

/// A connection or transaction the reads here can stream rows from.
pub trait Reader: ConnectionTrait + StreamTrait {}

impl<T: ConnectionTrait + StreamTrait> Reader for T {}

/// The rows of `table` (its `columns`; all of them, or those whose `key` column is one
/// of `keys`), each taken by position by `of`.
async fn read_rows<T>(
    db: &impl Reader,
    columns: &str,
    table: &str,
    keys: Option<(&str, &[String])>,
    of: impl FnMut(&sea_orm::QueryResult) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    read_rows_where(db, columns, table, "TRUE", keys, of).await
}

/// [`read_rows`] of the rows that also meet `condition` (SQL of both databases). The rows
/// are streamed and taken one by one as they come, not all held by the driver first
/// (4.8 million progress months on PostgreSQL at 1,000,000 projects).
async fn read_rows_where<T>(
    db: &impl Reader,
    columns: &str,
    table: &str,
    condition: &str,
    keys: Option<(&str, &[String])>,
    mut of: impl FnMut(&sea_orm::QueryResult) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    use futures_util::TryStreamExt;
    let backend = ConnectionTrait::get_database_backend(db);
    let (filter, values) = match keys {
        None => (String::new(), Vec::new()),
        Some((column, keys)) => {
            let marks: Vec<String> = (1..=keys.len())
                .map(|i| if backend == DbBackend::Postgres { format!("${i}") } else { "?".to_string() })
                .collect();
            let values = keys.iter().map(|k| sea_orm::Value::from(k.clone())).collect();
            (format!(" AND {column} IN ({})", marks.join(", ")), values)
        }
    };
    let sql = format!("SELECT {columns} FROM {table} WHERE {condition}{filter}");
    let rows = db.stream_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut rows = std::pin::pin!(rows);
    let mut all = Vec::new();
    while let Some(row) = rows.try_next().await? {
        all.push(of(&row)?);
    }
    Ok(all)
}

/// `projects` by code, sorted here rather than by `ORDER BY`: for that SQLite walks the
/// code index and fetches each row from the table (1.2 s against 0.8 s for a plain scan
/// of 200,000 projects in the sqlite3 shell; the statement grew 21× from 100,000 to
/// 1,000,000 projects, BENCHMARKS.md), and the order is then the same bytewise one on
/// both databases (PostgreSQL's would follow its collation).
pub(crate) fn by_code(mut projects: Vec<project::Model>) -> Vec<project::Model> {
    projects.sort_unstable_by(|a, b| a.code.cmp(&b.code));
    projects
}

/// The projects (all, or only `codes`) with the columns the frames use (the rest left
/// empty), in code order: one statement, values taken by position
/// ([`project_of`]) rather than built into full models by name.
pub async fn read_projects(db: &impl Reader, codes: Option<&[String]>) -> Result<Vec<project::Model>, DbErr> {
    let keys = codes.map(|codes| ("code", codes));
    Ok(by_code(read_rows(db, PROJECT_COLUMNS, "projects", keys, project_of).await?))
}

/// A progress month as the frames take it: its project by position in the projects read
/// with it, no code of its own, the values an empty cell as 0 (as every figure counts
/// one). At 1,000,000 projects the 4.8 million months were as many `String`s and models
/// of 72 bytes, made, hashed by code and dropped in every full build (BENCHMARKS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month {
    /// The position of its project in the projects read with it (in code order).
    pub project: u32,
    /// The month (its first day).
    pub month: NaiveDate,
    /// 固定资产投资 of the month, yuan.
    pub fai: i64,
    /// 到位资金 of the month, yuan.
    pub funds: i64,
    /// 区外资金 of the month, yuan.
    pub outside: i64,
}

/// The months of `projects` (in code order, as [`read_projects`] gives them), every one
/// or those of the projects `codes`, in project order (a project's months in the order
/// read): values taken by position. A month of no project given is left out.
pub async fn read_progress(
    db: &impl Reader,
    codes: Option<&[String]>,
    projects: &[project::Model],
) -> Result<Vec<Month>, DbErr> {
    let keys = codes.map(|codes| ("project_code", codes));
    let mut of = ProjectOf::new(projects);
    let months = read_rows(db, PROGRESS_COLUMNS, "progress", keys, |row| {
        let code = row.text(0)?.ok_or_else(|| row.missing(0))?;
        let Some(project) = of.position(code.as_bytes()) else { return Ok(None) };
        Ok(Some(Month { project, ..month_of(row)? }))
    })
    .await?;
    Ok(in_project_order(months.into_iter().flatten()))
}

/// Months in project order, a project's in the order given (the sort is stable, and
/// nearly free on months read in project order, as an import writes them).
pub(crate) fn in_project_order(months: impl Iterator<Item = Month>) -> Vec<Month> {
    let mut months: Vec<Month> = months.collect();
    months.sort_by_key(|m| m.project);
    months
}

/// Finds projects by code in a list in code order: the project last found first (a
/// project's months are mostly read one after another), then the one after it (codes
/// asked in code order, as [`Interned::placed`] mostly does), else by binary search.
pub(crate) struct ProjectOf<'a> {
    projects: &'a [project::Model],
    last: Option<u32>,
}

impl<'a> ProjectOf<'a> {
    pub(crate) fn new(projects: &'a [project::Model]) -> ProjectOf<'a> {
        ProjectOf { projects, last: None }
    }

    /// The position of the project of `code`, if it is one of them.
    pub(crate) fn position(&mut self, code: &[u8]) -> Option<u32> {
        if let Some(last) = self.last {
            for near in [last, last.saturating_add(1)] {
                if self.projects.get(near as usize).is_some_and(|p| p.code.as_bytes() == code) {
                    self.last = Some(near);
                    return self.last;
                }
            }
        }
        let at = self.projects.binary_search_by(|p| p.code.as_bytes().cmp(code)).ok()?;
        self.last = Some(u32::try_from(at).ok()?);
        self.last
    }
}

/// Which projects are the promotion's key projects: key projects marked public.
pub(crate) const KEY_PROJECTS: &str = "key_project AND public";

/// The key projects marked public (all, or those of `codes`), whole, in code order:
/// what the promotion lists ([`crate::analytics::frames::PromotionRows`]).
pub async fn read_key_projects(db: &impl Reader, codes: Option<&[String]>) -> Result<Vec<project::Model>, DbErr> {
    let keys = codes.map(|codes| ("code", codes));
    Ok(by_code(read_rows_where(db, FULL_PROJECT_COLUMNS, "projects", KEY_PROJECTS, keys, full_project_of).await?))
}

/// [`read_key_projects`], all of them, from the SQLite file `path` if it is at data
/// version `version` (as [`read_sqlite`]).
pub fn read_sqlite_key_projects(path: &Path, version: i64) -> Result<Option<Vec<project::Model>>, DbErr> {
    at_version(path, version, |txn| {
        Ok(by_code(every_where(txn, FULL_PROJECT_COLUMNS, "projects", Some(KEY_PROJECTS), |row| full_project_of(row))?))
    })
}

/// Every project (the frames' columns only, the rest left empty) and every progress
/// month, as one state of the store.
pub struct Tables {
    /// Projects, by code (bytewise, as [`crate::analytics::Frames`] keep them).
    pub projects: Vec<project::Model>,
    /// Progress months of those projects, in project order ([`Month`]).
    pub progress: Vec<Month>,
}

/// The file of `db` when it is a SQLite database on disk (not in memory).
pub fn sqlite_file(db: &DatabaseConnection) -> Option<PathBuf> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let path = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    path.is_file().then_some(path)
}

/// The big tables of the work around the pipeline, as one state of the store.
pub struct WorkTables {
    /// The investor directory, in the table's order.
    pub investors: Vec<investor::Model>,
    /// Engagements, in the table's order.
    pub engagements: Vec<engagement::Model>,
    /// Incentives, in the table's order.
    pub incentives: Vec<incentive::Model>,
}

/// [`WorkTables`] through sea-orm, by position.
pub async fn read_work(db: &impl Reader) -> Result<WorkTables, DbErr> {
    Ok(WorkTables {
        investors: read_rows(db, INVESTOR_COLUMNS, "investors", None, investor_of).await?,
        engagements: read_rows(db, ENGAGEMENT_COLUMNS, "engagements", None, engagement_of).await?,
        incentives: read_rows(db, INCENTIVE_COLUMNS, "incentives", None, incentive_of).await?,
    })
}

/// Reads every project and progress month of the SQLite file `path` — at once, each
/// table in a read transaction of a connection and thread of its own — if both
/// transactions see data version `version`; `None` when one sees another (a write
/// committed in between: the caller tries again). Blocking: call it off the async
/// threads.
///
/// The months are read before the projects are known: each distinct code is kept once
/// (an id of its own, the code of the row before tried first) and the ids become
/// positions afterwards, one lookup per project rather than per month.
pub fn read_sqlite(path: &Path, version: i64) -> Result<Option<Tables>, DbErr> {
    let read = side_by_side(
        path,
        version,
        |txn| Ok(by_code(every(txn, PROJECT_COLUMNS, "projects", |row| project_of(row))?)),
        |txn| {
            let mut codes = Interned::default();
            let months = every(txn, PROGRESS_COLUMNS, "progress", |row| {
                let project = match row.get_ref(0)? {
                    ValueRef::Text(code) => codes.id(code),
                    other => {
                        return Err(rusqlite::Error::InvalidColumnType(0, "project_code".into(), other.data_type()));
                    }
                };
                Ok(Month { project, ..month_of(row)? })
            })?;
            Ok((codes, months))
        },
    )?;
    Ok(read.map(|(projects, (codes, months))| {
        let progress = codes.placed(months, &projects);
        Tables { projects, progress }
    }))
}

/// Every project, whole, and every progress month of the SQLite file `path`, if it is at
/// data version `version` (as [`read_sqlite`]: each table on a connection and thread of
/// its own): the API's read snapshot of the graph. Blocking.
pub fn read_sqlite_graph(path: &Path, version: i64) -> Result<Option<Graph>, DbErr> {
    let read = side_by_side(
        path,
        version,
        |txn| every(txn, FULL_PROJECT_COLUMNS, "projects", |row| full_project_of(row)),
        |txn| every(txn, PROGRESS_COLUMNS, "progress", |row| progress_of(row)),
    )?;
    Ok(read.map(|(projects, progress)| Graph { projects, progress }))
}

/// Two reads of the SQLite file `path`, `first` here and `second` on a thread of its
/// own, each on a connection of its own ([`at_version`]): both, if both see data version
/// `version`.
fn side_by_side<A: Send, B: Send>(
    path: &Path,
    version: i64,
    first: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<A>,
    second: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<B> + Send,
) -> Result<Option<(A, B)>, DbErr> {
    let (a, b) = std::thread::scope(|scope| {
        let b = scope.spawn(|| at_version(path, version, second));
        let a = at_version(path, version, first);
        // A panic there is one of this call, as if it had run here.
        (a, b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    Ok(a?.zip(b?))
}

/// Every project, whole, and every progress month, in the tables' order, as one state of
/// the store: the API's read snapshot of the graph.
pub struct Graph {
    /// The projects.
    pub projects: Vec<project::Model>,
    /// The progress months.
    pub progress: Vec<progress::Model>,
}

/// How many times a bulk read beside a read transaction is tried before the caller reads
/// through its own transaction (slower, never in vain): a retry needs a write to commit
/// in the moment between the two transactions' first reads.
pub const ATTEMPTS: u32 = 5;

/// The distinct project codes of the months read, each with an id (its place in
/// `codes`): kept once, not once per month. Months read before their projects carry
/// these ids as their `project`, made positions by [`Interned::placed`].
#[derive(Default)]
pub(crate) struct Interned {
    codes: Vec<Box<[u8]>>,
    ids: rustc_hash::FxHashMap<Box<[u8]>, u32>,
    /// The id of the row before's code, tried first (no hash).
    last: Option<u32>,
}

impl Interned {
    /// The id of `code`, a new one if it is new.
    pub(crate) fn id(&mut self, code: &[u8]) -> u32 {
        if let Some(last) = self.last
            && *self.codes[last as usize] == *code
        {
            return last;
        }
        let id = match self.ids.get(code) {
            Some(id) => *id,
            None => {
                let id = self.codes.len() as u32;
                self.codes.push(code.into());
                self.ids.insert(code.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// `months`, whose `project` is an id of these codes, with their project's position
    /// in `projects` (in code order) instead, in project order: one lookup per project
    /// rather than per month; a month of none of them is left out.
    pub(crate) fn placed(&self, months: Vec<Month>, projects: &[project::Model]) -> Vec<Month> {
        let mut of = ProjectOf::new(projects);
        let positions: Vec<Option<u32>> = self.codes.iter().map(|code| of.position(code)).collect();
        in_project_order(months.into_iter().filter_map(|mut month| {
            month.project = positions[month.project as usize]?;
            Some(month)
        }))
    }
}

/// [`WorkTables`] of the SQLite file `path`, as [`read_sqlite`] reads projects and
/// progress (on a connection of its own, so that both run at once).
pub fn read_sqlite_work(path: &Path, version: i64) -> Result<Option<WorkTables>, DbErr> {
    at_version(path, version, |txn| {
        Ok(WorkTables {
            investors: every(txn, INVESTOR_COLUMNS, "investors", |row| investor_of(row))?,
            engagements: every(txn, ENGAGEMENT_COLUMNS, "engagements", |row| engagement_of(row))?,
            incentives: every(txn, INCENTIVE_COLUMNS, "incentives", |row| incentive_of(row))?,
        })
    })
}

/// `read` in a read transaction of a new read-only connection to `path`, if that
/// transaction sees data version `version`.
fn at_version<T>(
    path: &Path,
    version: i64,
    read: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>, DbErr> {
    let run = || -> rusqlite::Result<Option<T>> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut connection = Connection::open_with_flags(path, flags)?;
        connection.busy_timeout(super::feed::BUSY_TIMEOUT)?;
        connection.pragma_update(None, "mmap_size", 268_435_456)?;
        // A deferred transaction's snapshot is taken at its first read: the version.
        let txn = connection.transaction()?;
        let seen = txn.query_row("SELECT version FROM data_version WHERE id = 1", [], |row| row.get(0));
        let seen: i64 = match seen {
            Err(rusqlite::Error::QueryReturnedNoRows) => 0,
            other => other?,
        };
        if seen != version {
            return Ok(None);
        }
        read(&txn).map(Some)
    };
    run().map_err(|e| DbErr::Custom(format!("reading {}: {e}", path.display())))
}

/// Every row of `table` (its `columns`), each taken by position by `of`.
fn every<T>(
    txn: &rusqlite::Transaction<'_>,
    columns: &str,
    table: &str,
    of: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    every_where(txn, columns, table, None, of)
}

/// [`every`] row that meets `condition`, if one is given.
fn every_where<T>(
    txn: &rusqlite::Transaction<'_>,
    columns: &str,
    table: &str,
    condition: Option<&str>,
    mut of: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    // Every row: sized once, since growing a vector of millions of rows copies it and
    // touches new memory at each doubling. The largest rowid bounds the count (the
    // b-tree's last key: no scan); untouched capacity costs no memory.
    let (filter, bound) = match condition {
        Some(condition) => (format!(" WHERE {condition}"), 0),
        None => (
            String::new(),
            txn.query_row(&format!("SELECT COALESCE(MAX(rowid), 0) FROM {table}"), [], |row| row.get::<_, i64>(0))?,
        ),
    };
    let mut statement = txn.prepare(&format!("SELECT {columns} FROM {table}{filter}"))?;
    let mut rows = statement.query([])?;
    let mut all = Vec::with_capacity(usize::try_from(bound).unwrap_or(0));
    while let Some(row) = rows.next()? {
        all.push(of(row)?);
    }
    Ok(all)
}

/// A row whose values are read by position: a sea-orm row (the frames' patches, and
/// PostgreSQL) or a rusqlite row (here), so that both read one column list one way.
pub trait ByPosition {
    /// The driver's error.
    type Error;
    /// Text, or NULL.
    fn text(&self, i: usize) -> Result<Option<String>, Self::Error>;

    /// A day, or NULL.
    fn day(&self, i: usize) -> Result<Option<NaiveDate>, Self::Error>;
    /// An integer, or NULL.
    fn int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    /// A floating-point number, or NULL.
    fn real(&self, i: usize) -> Result<Option<f64>, Self::Error>;
    /// A boolean.
    fn flag(&self, i: usize) -> Result<bool, Self::Error>;
    /// The error for a NULL where a value is required.
    fn missing(&self, i: usize) -> Self::Error;
}

/// A project from a row of [`PROJECT_COLUMNS`] (the other columns left empty).
pub fn project_of<R: ByPosition>(row: &R) -> Result<project::Model, R::Error> {
    let required = |i: usize| row.text(i)?.ok_or_else(|| row.missing(i));
    Ok(project::Model {
        code: required(0)?,
        name: required(1)?,
        unit_code: required(2)?,
        industry_name: required(3)?,
        channel: row.text(4)?,
        key_project: row.flag(5)?,
        total_investment: row.int(6)?.ok_or_else(|| row.missing(6))?,
        intent_date: row.day(7)?,
        negotiation_date: row.day(8)?,
        signed_date: row.day(9)?,
        started_date: row.day(10)?,
        producing_date: row.day(11)?,
        capacity_date: row.day(12)?,
        registered_date: row.day(13)?,
        planned_start_date: row.day(14)?,
        planned_production_date: row.day(15)?,
        terminated_date: row.day(16)?,
        // The work around the pipeline links projects to investors and events.
        investor_name: row.text(17)?,
        signing_event: row.text(18)?,
        // Promotion: the chain link and the carrier.
        chain_link: row.text(19)?,
        carrier_code: row.text(20)?,
        ..Default::default()
    })
}

/// Every column of a project, in the order [`full_project_of`] reads them.
pub const FULL_PROJECT_COLUMNS: &str = "code, version, national_code, name, unit_code, industry_name, investor_name, \
     channel, contract_type, signing_event, total_investment, intent_date, negotiation_date, signed_date, \
     registered_date, planned_start_date, started_date, planned_production_date, producing_date, capacity_date, \
     stats_date, terminated_date, terminated_reason, land_area_mu, expected_output, expected_tax, expected_jobs, \
     key_project, public, summary, chain_link, carrier_code, contact_name, contact_phone";

/// A whole project from a row of [`FULL_PROJECT_COLUMNS`].
pub fn full_project_of<R: ByPosition>(row: &R) -> Result<project::Model, R::Error> {
    let required = |i: usize| row.text(i)?.ok_or_else(|| row.missing(i));
    Ok(project::Model {
        code: required(0)?,
        version: row.int(1)?.ok_or_else(|| row.missing(1))?,
        national_code: row.text(2)?,
        name: required(3)?,
        unit_code: required(4)?,
        industry_name: required(5)?,
        investor_name: row.text(6)?,
        channel: row.text(7)?,
        contract_type: row.text(8)?,
        signing_event: row.text(9)?,
        total_investment: row.int(10)?.ok_or_else(|| row.missing(10))?,
        intent_date: row.day(11)?,
        negotiation_date: row.day(12)?,
        signed_date: row.day(13)?,
        registered_date: row.day(14)?,
        planned_start_date: row.day(15)?,
        started_date: row.day(16)?,
        planned_production_date: row.day(17)?,
        producing_date: row.day(18)?,
        capacity_date: row.day(19)?,
        stats_date: row.day(20)?,
        terminated_date: row.day(21)?,
        terminated_reason: row.text(22)?,
        land_area_mu: row.real(23)?,
        expected_output: row.int(24)?,
        expected_tax: row.int(25)?,
        expected_jobs: row.int(26)?,
        key_project: row.flag(27)?,
        public: row.flag(28)?,
        summary: row.text(29)?,
        chain_link: row.text(30)?,
        carrier_code: row.text(31)?,
        contact_name: row.text(32)?,
        contact_phone: row.text(33)?,
    })
}

/// A whole progress month from a row of [`PROGRESS_COLUMNS`] (the API's read snapshot).
pub fn progress_of<R: ByPosition>(row: &R) -> Result<progress::Model, R::Error> {
    Ok(progress::Model {
        project_code: row.text(0)?.ok_or_else(|| row.missing(0))?,
        month: row.day(1)?.ok_or_else(|| row.missing(1))?,
        fai: row.int(2)?,
        funds_arrived: row.int(3)?,
        out_of_region_funds: row.int(4)?,
    })
}

/// A progress month from a row of [`PROGRESS_COLUMNS`] but its project code (column 0,
/// which the caller reads), its `project` left 0 for the caller.
pub(crate) fn month_of<R: ByPosition>(row: &R) -> Result<Month, R::Error> {
    Ok(Month {
        project: 0,
        month: row.day(1)?.ok_or_else(|| row.missing(1))?,
        fai: row.int(2)?.unwrap_or(0),
        funds: row.int(3)?.unwrap_or(0),
        outside: row.int(4)?.unwrap_or(0),
    })
}

/// The columns of an investor, in the order [`investor_of`] reads them (all of them: the
/// work rows keep whole investors).
pub const INVESTOR_COLUMNS: &str =
    "name, origin, kind, industry_name, introduced_by, owner_unit_code, status, contact_name, contact_phone, notes";

/// An investor from a row of [`INVESTOR_COLUMNS`].
pub fn investor_of<R: ByPosition>(row: &R) -> Result<investor::Model, R::Error> {
    Ok(investor::Model {
        name: row.text(0)?.ok_or_else(|| row.missing(0))?,
        origin: row.text(1)?,
        kind: row.text(2)?,
        industry_name: row.text(3)?,
        introduced_by: row.text(4)?,
        owner_unit_code: row.text(5)?,
        status: row.text(6)?,
        contact_name: row.text(7)?,
        contact_phone: row.text(8)?,
        notes: row.text(9)?,
    })
}

/// The columns of an engagement, in the order [`engagement_of`] reads them.
pub const ENGAGEMENT_COLUMNS: &str =
    "investor_name, unit_code, date, kind, event_code, outpost, project_code, summary, next_date";

/// An engagement from a row of [`ENGAGEMENT_COLUMNS`].
pub fn engagement_of<R: ByPosition>(row: &R) -> Result<engagement::Model, R::Error> {
    let required = |i: usize| row.text(i)?.ok_or_else(|| row.missing(i));
    Ok(engagement::Model {
        investor_name: required(0)?,
        unit_code: required(1)?,
        date: row.day(2)?.ok_or_else(|| row.missing(2))?,
        kind: required(3)?,
        event_code: required(4)?,
        outpost: row.text(5)?,
        project_code: row.text(6)?,
        summary: row.text(7)?,
        next_date: row.day(8)?,
    })
}

/// The columns of an incentive, in the order [`incentive_of`] reads them.
pub const INCENTIVE_COLUMNS: &str = "project_code, policy, kind, promised, promised_date, due_date, paid, paid_date";

/// An incentive from a row of [`INCENTIVE_COLUMNS`].
pub fn incentive_of<R: ByPosition>(row: &R) -> Result<incentive::Model, R::Error> {
    Ok(incentive::Model {
        project_code: row.text(0)?.ok_or_else(|| row.missing(0))?,
        policy: row.text(1)?.ok_or_else(|| row.missing(1))?,
        kind: row.text(2)?,
        promised: row.int(3)?.ok_or_else(|| row.missing(3))?,
        promised_date: row.day(4)?.ok_or_else(|| row.missing(4))?,
        due_date: row.day(5)?.ok_or_else(|| row.missing(5))?,
        paid: row.int(6)?,
        paid_date: row.day(7)?,
    })
}

impl ByPosition for sea_orm::QueryResult {
    type Error = DbErr;
    fn text(&self, i: usize) -> Result<Option<String>, DbErr> {
        self.try_get_by_index(i)
    }
    fn day(&self, i: usize) -> Result<Option<NaiveDate>, DbErr> {
        self.try_get_by_index(i)
    }
    fn int(&self, i: usize) -> Result<Option<i64>, DbErr> {
        self.try_get_by_index(i)
    }
    fn real(&self, i: usize) -> Result<Option<f64>, DbErr> {
        self.try_get_by_index(i)
    }
    fn flag(&self, i: usize) -> Result<bool, DbErr> {
        self.try_get_by_index(i)
    }
    fn missing(&self, i: usize) -> DbErr {
        DbErr::Custom(format!("column {i} is NULL"))
    }
}

impl ByPosition for Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }

    /// As sqlx stores a `NaiveDate` in SQLite: text `YYYY-MM-DD`, read without a format
    /// parser (days are most of the values read).
    fn day(&self, i: usize) -> rusqlite::Result<Option<NaiveDate>> {
        let bad = |kind| rusqlite::Error::InvalidColumnType(i, format!("column {i}"), kind);
        match self.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(text) => parse_day(text).map(Some).ok_or(bad(rusqlite::types::Type::Text)),
            other => Err(bad(other.data_type())),
        }
    }
    fn int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
    fn real(&self, i: usize) -> rusqlite::Result<Option<f64>> {
        self.get(i)
    }
    fn flag(&self, i: usize) -> rusqlite::Result<bool> {
        self.get(i)
    }
    fn missing(&self, i: usize) -> rusqlite::Error {
        rusqlite::Error::InvalidColumnType(i, format!("column {i}"), rusqlite::types::Type::Null)
    }
}

/// `YYYY-MM-DD` (what sqlx writes), else any form chrono reads as a day.
fn parse_day(text: &[u8]) -> Option<NaiveDate> {
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)?.iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    if text.len() == 10 && text[4] == b'-' && text[7] == b'-' {
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        return NaiveDate::from_ymd_opt(year as i32, month, day);
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{Interned, Month, parse_day};
    use chrono::NaiveDate;
    use entities::project;

    #[test]
    fn days_are_read_as_sqlx_writes_them_and_nothing_else_passes() {
        assert_eq!(parse_day(b"2025-02-28"), NaiveDate::from_ymd_opt(2025, 2, 28));
        for bad in [&b"2025-02-30"[..], b"20250228", b"2025-02-2x", b"", b"\xff\xfe"] {
            assert_eq!(parse_day(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    /// Months read before their projects (PostgreSQL's side-by-side copy, SQLite's two
    /// threads) land at their project's position, in project order and each project's in
    /// the order read, whatever order their codes came in; a month of a project not read
    /// is left out.
    #[test]
    fn months_read_first_are_placed_by_their_projects_position() {
        let projects: Vec<project::Model> = ["A1", "A2", "B1", "C7"]
            .iter()
            .map(|code| project::Model { code: code.to_string(), ..Default::default() })
            .collect();
        let day = |m| NaiveDate::from_ymd_opt(2025, m, 1).unwrap();
        let mut codes = Interned::default();
        // The order a table may hold them in: mostly by project, one updated row moved.
        let read = [("A2", 1), ("A2", 2), ("C7", 1), ("ZZ", 1), ("A1", 3), ("B1", 1), ("A2", 3), ("A1", 1)];
        let months: Vec<Month> = read
            .iter()
            .map(|&(code, m)| Month { project: codes.id(code.as_bytes()), month: day(m), fai: 0, funds: 0, outside: 0 })
            .collect();
        assert_eq!(codes.codes.len(), 5, "each code kept once");
        let placed: Vec<(u32, u32)> =
            codes.placed(months, &projects).iter().map(|m| (m.project, chrono::Datelike::month(&m.month))).collect();
        assert_eq!(placed, [(0, 3), (0, 1), (1, 1), (1, 2), (1, 3), (2, 1), (3, 1)]);
    }
}
