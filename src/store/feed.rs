//! The change feed: the one way to write the graph.
//!
//! Every write (a mutation, an import) runs in a transaction opened by [`begin_write`],
//! calls [`record`] once per change and ends with [`commit`]. [`record`] writes the
//! audit entry, and the writing transaction bumps the **data version**, a one-row table
//! (`data_version`):
//!
//! - on PostgreSQL, as it commits: a deferred trigger runs `UPDATE … SET version =
//!   version + 1` for each new audit entry, which takes the row's lock until the commit
//!   ends, so versions are in commit order, without gaps, and the lock is never held
//!   across a round trip to the client; the trigger's `NOTIFY` [`CHANNEL`] is delivered
//!   at commit;
//! - on SQLite, [`begin_write`] takes the write lock first (`BEGIN IMMEDIATE`) and every
//!   connection waits up to [`BUSY_TIMEOUT`] for it, so concurrent writers queue instead
//!   of failing with "database is locked"; [`record`] bumps the version in the
//!   transaction.
//!
//! Each audit entry carries the version it produced (`audit_entries.version`), so a
//! consumer can ask what changed since a version ([`changes_since`]). Every cache of
//! derived data (the API's read snapshot, the analytics frames) is keyed on
//! [`data_version`] and nothing else.
//!
//! ```ignore
//! let txn = feed::begin_write(&db).await?;
//! // … write rows …
//! let recorded = feed::record(&txn, Change::new(actor, "recordProgress", "progress", code).after(&row)).await?;
//! let version = feed::commit(&db, txn, recorded).await?;
//! ```

use std::time::Duration;

use entities::audit_entry;
use entities::prelude::AuditEntry;
use sea_orm::{
    AccessMode, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use serde::Serialize;

/// How long a SQLite connection waits for another's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL channel on which every committed write announces its data version
/// (the commit's trigger sends it: its home is that migration's).
pub const CHANNEL: &str = entities::migration::FEED_CHANNEL;

/// One change, as the audit trail keeps it: who, what, which row, before and after.
#[derive(Clone, Debug)]
pub struct Change {
    /// Who: a token's name, or `cli`.
    pub actor: String,
    /// What: `import`, `createProject`, `recordProgress`, …
    pub action: String,
    /// The table written (`projects`, `progress`, …, or `ledger` for an import).
    pub entity: String,
    /// The row's key (a project code, a unit code, an import's source).
    pub key: String,
    /// The row before (none when created).
    pub before: Option<serde_json::Value>,
    /// The row after (none when deleted), or an import's counts.
    pub after: Option<serde_json::Value>,
}

impl Change {
    /// A change of `entity`'s row `key` by `actor`, with no rows attached yet.
    pub fn new(actor: impl Into<String>, action: &str, entity: &str, key: impl Into<String>) -> Change {
        Change {
            actor: actor.into(),
            action: action.into(),
            entity: entity.into(),
            key: key.into(),
            before: None,
            after: None,
        }
    }

    /// The row before the write.
    pub fn before<T: Serialize>(mut self, row: Option<&T>) -> Change {
        self.before = row.and_then(|r| serde_json::to_value(r).ok());
        self
    }

    /// The row after the write.
    pub fn after<T: Serialize>(mut self, row: Option<&T>) -> Change {
        self.after = row.and_then(|r| serde_json::to_value(r).ok());
        self
    }
}

/// Opens a writing transaction: on SQLite it holds the write lock from its first
/// statement (`BEGIN IMMEDIATE`, waiting up to [`BUSY_TIMEOUT`] for it); on PostgreSQL
/// a normal (READ COMMITTED) transaction — lock the rows you read to change them
/// (`lock_exclusive`, i.e. `SELECT … FOR UPDATE`).
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// A change recorded in a writing transaction, not yet committed: [`commit`] gives its
/// data version.
#[must_use = "commit the transaction with `feed::commit`, which gives the version"]
#[derive(Clone, Copy, Debug)]
pub enum Recorded {
    /// SQLite: the version, taken in the transaction (it holds the write lock).
    Version(i64),
    /// PostgreSQL: the audit entry, whose version its commit gives it.
    Entry(i64),
}

/// Records `change` in the writing transaction `txn`: its audit entry and, by the
/// commit, a new data version ([`commit`] gives it). Call it after the rows are written.
///
/// On SQLite the version row is bumped here (the transaction holds the database's
/// write lock from its start). On PostgreSQL the entry is inserted without a version and
/// a deferred trigger takes the next one as the transaction commits (migration
/// `m20261201_000010_version_at_commit`): the version row is locked only inside the
/// server's commit. Taken here, it stayed locked from this statement until the client's
/// `COMMIT` arrived, and every other writer waited behind each of those round trips — on
/// a loaded server, whole seconds (BENCHMARKS.md).
pub async fn record(txn: &DatabaseTransaction, change: Change) -> Result<Recorded, DbErr> {
    let backend = txn.get_database_backend();
    let mut entry = audit_entry::ActiveModel {
        id: NotSet,
        at: Set(chrono::Utc::now()),
        actor: Set(change.actor),
        action: Set(change.action),
        entity: Set(change.entity),
        key: Set(change.key),
        before: Set(change.before),
        after: Set(change.after),
        version: Set(None),
    };
    if backend == DbBackend::Postgres {
        let id = AuditEntry::insert(entry).exec(txn).await?.last_insert_id;
        return Ok(Recorded::Entry(id));
    }
    // Every statement here is read to its end (`query_all`): on SQLite a statement left
    // half-read keeps its connection's read snapshot open, and later transactions on
    // that connection would see old data.
    let rows = txn
        .query_all_raw(Statement::from_string(
            backend,
            "UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version",
        ))
        .await?;
    let row = rows.first().ok_or_else(|| DbErr::RecordNotFound("the data_version row is missing".into()))?;
    let version: i64 = row.try_get("", "version")?;
    entry.version = Set(Some(version));
    AuditEntry::insert(entry).exec_without_returning(txn).await?;
    Ok(Recorded::Version(version))
}

/// Commits the writing transaction `txn` whose last change was `recorded` and returns
/// the data version it produced (on PostgreSQL read back from its audit entry through
/// `db`, after the commit: an error then comes after the write was committed).
pub async fn commit(db: &DatabaseConnection, txn: DatabaseTransaction, recorded: Recorded) -> Result<i64, DbErr> {
    txn.commit().await?;
    match recorded {
        Recorded::Version(version) => Ok(version),
        Recorded::Entry(id) => {
            let version = AuditEntry::find_by_id(id)
                .select_only()
                .column(audit_entry::Column::Version)
                .into_tuple::<Option<i64>>()
                .one(db)
                .await?;
            version.flatten().ok_or_else(|| DbErr::RecordNotFound(format!("no data version for audit entry {id}")))
        }
    }
}

/// The data version: how many changes were ever recorded (plus the audit entries that
/// existed before the feed). Caches of derived figures are valid while it is unchanged.
pub async fn data_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    // Read to the end, never half-read (see `record`).
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM data_version WHERE id = 1",
        ))
        .await?;
    match rows.first() {
        Some(row) => row.try_get("", "version"),
        None => Ok(0),
    }
}

/// What changed after `version`, oldest first: `(version, entity, key)` of each change.
pub async fn changes_since(db: &impl ConnectionTrait, version: i64) -> Result<Vec<(i64, String, String)>, DbErr> {
    let rows: Vec<(Option<i64>, String, String)> = AuditEntry::find()
        .select_only()
        .columns([audit_entry::Column::Version, audit_entry::Column::Entity, audit_entry::Column::Key])
        .filter(audit_entry::Column::Version.gt(version))
        .order_by_asc(audit_entry::Column::Version)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(v, entity, key)| v.map(|v| (v, entity, key))).collect())
}

/// Opens a read transaction with one consistent view of every table, and reads the data
/// version in it: the view is exactly that version. REPEATABLE READ and read-only on
/// PostgreSQL; on SQLite (WAL) every read transaction is a snapshot already.
pub async fn begin_read(db: &DatabaseConnection) -> Result<(DatabaseTransaction, i64), DbErr> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => db.begin().await?,
    };
    let version = data_version(&txn).await?;
    Ok((txn, version))
}

/// How often a follower asks SQLite for the data version (another process may write):
/// a one-row indexed read, 20 a second, against a lag goal of 1 s.
pub const SQLITE_POLL: Duration = Duration::from_millis(50);

/// How often a follower asks PostgreSQL for the data version besides listening, in case
/// a notification is lost (a dropped connection).
pub const POSTGRES_POLL: Duration = Duration::from_secs(1);

/// What this process knows of the data version, kept current without a query per use:
/// this process's own writes report their version at commit ([`Follower::saw`]), and a
/// background task follows other processes' writes — on PostgreSQL by `LISTEN`
/// [`CHANNEL`] with a poll every [`POSTGRES_POLL`], on SQLite by a poll of the version
/// row every [`SQLITE_POLL`]. Caches subscribe and rebuild when it moves.
pub struct Follower {
    db: DatabaseConnection,
    latest: tokio::sync::watch::Sender<i64>,
    /// When each recent version was learnt, oldest first (at most [`Follower::LEARNT`]):
    /// how far behind a cache is, in time, when it reaches them.
    learnt: std::sync::Mutex<std::collections::VecDeque<(i64, std::time::Instant)>>,
}

impl Follower {
    /// A follower of `db`'s feed, starting from its current version; the following task
    /// ends when the follower is dropped.
    pub async fn start(db: DatabaseConnection) -> Result<std::sync::Arc<Follower>, DbErr> {
        let follower = Follower::spawn(db);
        follower.refresh().await?;
        Ok(follower)
    }

    /// A follower of `db`'s feed that learns the current version in the background
    /// (it knows 0 until then); for constructors that cannot wait. Needs a tokio runtime.
    pub fn spawn(db: DatabaseConnection) -> std::sync::Arc<Follower> {
        let follower = std::sync::Arc::new(Follower {
            db,
            latest: tokio::sync::watch::Sender::new(0),
            learnt: Default::default(),
        });
        crate::background::spawn_following(follow(std::sync::Arc::downgrade(&follower)));
        follower
    }

    /// The latest data version known to this process.
    pub fn version(&self) -> i64 {
        *self.latest.borrow()
    }

    /// Learns that the data reached `version` (a commit of ours, or a read that saw it).
    pub fn saw(&self, version: i64) {
        self.latest.send_if_modified(|latest| {
            let newer = version > *latest;
            if newer {
                *latest = version;
                if let Ok(mut learnt) = self.learnt.lock() {
                    if learnt.len() == Self::LEARNT {
                        learnt.pop_front();
                    }
                    learnt.push_back((version, std::time::Instant::now()));
                }
            }
            newer
        });
    }

    /// How many learnt versions [`Follower::learnt_between`] remembers.
    const LEARNT: usize = 1024;

    /// When the versions after `after` up to `upto` were learnt (those still
    /// remembered): a cache that moves from `after` to `upto` was that long behind each.
    pub fn learnt_between(&self, after: i64, upto: i64) -> Vec<std::time::Instant> {
        let Ok(learnt) = self.learnt.lock() else { return Vec::new() };
        learnt.iter().filter(|(v, _)| *v > after && *v <= upto).map(|(_, at)| *at).collect()
    }

    /// Notified whenever the known version moves.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// Reads the version from the database now (straight through the pool: a poll is
    /// not a statement of the application's, and no metric callback counts it).
    pub async fn refresh(&self) -> Result<i64, DbErr> {
        const SQL: &str = "SELECT version FROM data_version WHERE id = 1";
        let err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("reading the data version: {e}"));
        // `fetch_all`, not `fetch_one`: a half-read statement would keep a SQLite
        // connection's read snapshot open (see `record`).
        let versions: Vec<i64> = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                sea_orm::sqlx::query_scalar(SQL).fetch_all(self.db.get_postgres_connection_pool()).await.map_err(err)?
            }
            DbBackend::Sqlite => {
                sea_orm::sqlx::query_scalar(SQL).fetch_all(self.db.get_sqlite_connection_pool()).await.map_err(err)?
            }
            _ => vec![data_version(&self.db).await?],
        };
        let version = versions.first().copied().unwrap_or(0);
        self.saw(version);
        Ok(self.version())
    }
}

/// The following task of a [`Follower`].
async fn follow(follower: std::sync::Weak<Follower>) {
    let Some(db) = follower.upgrade().map(|f| f.db.clone()) else { return };
    let mut listener = None;
    let poll = if db.get_database_backend() == DbBackend::Postgres {
        match sea_orm::sqlx::postgres::PgListener::connect_with(db.get_postgres_connection_pool()).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => listener = Some(l),
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN for writes; polling the data version"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot LISTEN for writes; polling the data version"),
        }
        POSTGRES_POLL
    } else {
        SQLITE_POLL
    };
    if let Some(f) = follower.upgrade()
        && let Err(e) = f.refresh().await
    {
        tracing::warn!(error = %e, "cannot read the data version");
    }
    loop {
        let heard = match listener.as_mut() {
            Some(l) => match tokio::time::timeout(poll, l.recv()).await {
                Ok(Ok(notification)) => notification.payload().parse::<i64>().ok(),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the write listener failed; polling the data version");
                    listener = None;
                    None
                }
                Err(_) => None,
            },
            None => {
                tokio::time::sleep(poll).await;
                None
            }
        };
        let Some(follower) = follower.upgrade() else { return };
        match heard {
            Some(version) => follower.saw(version),
            None => {
                if let Err(e) = follower.refresh().await {
                    tracing::warn!(error = %e, "cannot read the data version");
                }
            }
        }
    }
}

tokio::task_local! {
    static OBSERVED: std::sync::Arc<Observed>;
}

/// The data versions one request read from and wrote: what its answer reflects.
#[derive(Debug, Default)]
pub struct Observed {
    read: std::sync::atomic::AtomicI64,
    wrote: std::sync::atomic::AtomicI64,
}

impl Observed {
    /// The version an answer reflects: the latest it wrote, else the oldest it read
    /// from (so a figure is never claimed newer than it is), else `fallback`.
    pub fn version(&self, fallback: i64) -> i64 {
        use std::sync::atomic::Ordering::SeqCst;
        match (self.wrote.load(SeqCst), self.read.load(SeqCst)) {
            (w, _) if w > 0 => w,
            (_, r) if r > 0 => r,
            _ => fallback,
        }
    }

    /// Runs `work` with this record as the current request's.
    pub async fn scope<F: std::future::Future>(self: std::sync::Arc<Self>, work: F) -> F::Output {
        OBSERVED.scope(self, work).await
    }
}

/// Notes that the current request read data of `version` (no-op outside a request).
pub fn read_at(version: i64) {
    let _ = OBSERVED.try_with(|o| {
        let _ = o.read.fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |r| {
            (r == 0 || version < r).then_some(version)
        });
    });
}

/// Notes that the current request wrote `version` (no-op outside a request).
pub fn wrote(version: i64) {
    let _ = OBSERVED.try_with(|o| o.wrote.fetch_max(version, std::sync::atomic::Ordering::SeqCst));
}
