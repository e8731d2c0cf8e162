//! The store of the project graph: connecting (SQLite by default, PostgreSQL by URL),
//! migrating on start, writing through the change feed, importing ledgers and reading
//! the graph back; [`backup`]: online backup and restore of SQLite; [`bulk`]: whole-table
//! reads for the analytics' full build ([`copy`]: PostgreSQL's, by binary COPY).

pub mod backup;
pub mod bulk;
pub mod copy;
pub mod feed;
mod import;
mod read;

use entities::migration::Migrator;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

pub use feed::{Change, begin_write, commit, data_version, record};
pub use import::{ImportChanges, ImportCounts, TableChanges, import_ledger};
pub use read::{known, load_ledger};

/// The database used when none is given: a file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://zhaoshang.db?mode=rwc";

/// Connects to `url` and brings its schema up to date. SQLite connections run in WAL
/// mode with foreign keys on, each of them (set on the pool's connect options, not by a
/// statement that would reach only one connection), and wait up to
/// [`feed::BUSY_TIMEOUT`] for another connection's write lock.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, false).await
}

/// [`connect`] for `serve`: on PostgreSQL the pool opens its [`SERVING_CONNECTIONS`]
/// as the server starts and keeps them. A pool that opens connections when its
/// requests need more — as they do when writers queue behind a slow commit — starts
/// new backends on a server whose cores are already busy, and a new backend's first
/// statements are slow (PostgreSQL loads its catalogs per backend: a parse of 749 ms
/// in session 12's live bench; BENCHMARKS.md).
pub async fn connect_serving(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, true).await
}

/// [`open_with`], then the schema brought up to date.
async fn connect_with(url: &str, serving: bool) -> Result<DatabaseConnection, DbErr> {
    let db = open_with(url, serving).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// The connections of a serving pool on PostgreSQL ([`connect_serving`]): sqlx's
/// default, made explicit.
pub const SERVING_CONNECTIONS: u32 = 10;

/// Connects to `url` without migrating (for `migrate --dry-run` and `backup`, which
/// must see the database as it is).
pub async fn open(url: &str) -> Result<DatabaseConnection, DbErr> {
    open_with(url, false).await
}

/// [`open`], with a serving pool's connections ([`connect_serving`]) when `serving`.
async fn open_with(url: &str, serving: bool) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    if serving && url.starts_with("postgres") {
        // Opened in the background (lazily: `serve` answers `/healthz` at once; waiting
        // for all ten took it to 0.9–1.1 s at start), then never closed, for idleness
        // or age: with neither, sqlx fills a pool to its minimum once, at its creation.
        options
            .max_connections(SERVING_CONNECTIONS)
            .min_connections(SERVING_CONNECTIONS)
            .idle_timeout(None::<std::time::Duration>)
            .max_lifetime(None::<std::time::Duration>)
            .connect_lazy(true);
    }
    if url.starts_with("sqlite:") {
        // Each SQLite connection is a thread of sqlx's; on 2 cores, 4 of them served the
        // API fastest (2: 3,001 req/s, 4: 3,831, 10: 3,461; BENCHMARKS.md).
        options.max_connections(4);
        // Pages read through a memory map instead of a read() per page; in WAL mode
        // synchronous=NORMAL is durable across application crashes (SQLite's advice).
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
                .pragma("mmap_size", "268435456")
                .pragma("synchronous", "NORMAL")
                .busy_timeout(feed::BUSY_TIMEOUT)
        });
    }
    Database::connect(options).await
}

/// The most connections of a [`following_pool`]: the follower's `LISTEN` and its
/// version poll, the frames' updates and full builds.
pub const FOLLOWING_CONNECTIONS: u32 = 4;

/// The connections of the follower of the change feed and the analytics frames that
/// follow it, for `db`'s database.
///
/// On PostgreSQL, a pool of their own ([`FOLLOWING_CONNECTIONS`]), used from the
/// following runtime ([`crate::background::spawn_following`]), with no idle timeout
/// (sqlx still renews a connection after 30 minutes): an update after a write never
/// waits for a connection behind the requests' writers (a slow commit holds each of
/// theirs), and rarely lands on a new backend, whose first statements are slow on a
/// busy server. On SQLite, `db` itself: a memory
/// database is one pool's alone, and a file's reads need no server.
pub fn following_pool(db: &DatabaseConnection) -> DatabaseConnection {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return db.clone();
    }
    let options = db.get_postgres_connection_pool().connect_options();
    let pool = crate::background::within_following(|| {
        sea_orm::sqlx::postgres::PgPoolOptions::new()
            .max_connections(FOLLOWING_CONNECTIONS)
            .idle_timeout(None)
            .connect_lazy_with((*options).clone())
    });
    sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
}

/// The migrations not yet applied to `db`, in the order they would run.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.iter().map(|m| m.name().to_string()).collect())
}

/// Applies the pending migrations; returns their names. Migrations only go forward.
pub async fn migrate(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let pending = pending_migrations(db).await?;
    Migrator::up(db, None).await?;
    Ok(pending)
}
