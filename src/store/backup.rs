//! Online backup and restore of a SQLite database (`zhaoshang backup FILE`,
//! `zhaoshang restore FILE`). A backup is `VACUUM INTO`: one read transaction, so it holds
//! every write committed before it began and none after, while `serve` keeps writing (in
//! WAL mode readers never block the writer). PostgreSQL has its own tools: both refuse
//! and say which (`pg_dump`, `pg_restore`).

use std::path::{Path, PathBuf};

use entities::prelude::Project;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait, Statement};

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL.
    #[error(
        "the database is PostgreSQL: back it up with its own tools, e.g. `pg_dump -Fc -d DB -f zhaoshang.dump`, \
         and restore with `pg_restore --clean -d DB zhaoshang.dump` (see the README, Deploy)"
    )]
    Postgres,
    /// The URL names no SQLite file (e.g. an in-memory database).
    #[error("{0} is not a SQLite file")]
    NotAFile(String),
    /// The backup file exists already.
    #[error("{0} exists already: choose a new file name, a backup never overwrites one")]
    Exists(String),
    /// The target database has data and `--force` was not given.
    #[error(
        "the database {url} is not empty ({projects} projects, data version {version}): restoring would replace it; \
         stop the service, back it up, and add --force"
    )]
    NotEmpty {
        /// The database (password masked).
        url: String,
        /// Its projects.
        projects: u64,
        /// Its data version.
        version: i64,
    },
    /// The file is not a zhaoshang backup.
    #[error("{path} is not a zhaoshang database: {reason}")]
    NotABackup {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// A file could not be moved or removed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// What a backup or a restore copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    /// Projects in the copy.
    pub projects: u64,
    /// The copy's data version (latest audit entry).
    pub version: i64,
    /// Bytes of the file written.
    pub bytes: u64,
}

/// The file of a `sqlite:` URL (`sqlite://FILE?mode=rwc`, `sqlite:FILE`).
pub fn sqlite_file(url: &str) -> Result<PathBuf, BackupError> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or(BackupError::Postgres)?;
    let file = rest.split('?').next().unwrap_or_default();
    if file.is_empty() || file.starts_with(':') {
        return Err(BackupError::NotAFile(url.into()));
    }
    Ok(PathBuf::from(file))
}

fn file_error(path: &Path, e: std::io::Error) -> BackupError {
    BackupError::File { path: path.display().to_string(), reason: e.to_string() }
}

/// `path` as a SQL string literal.
fn literal(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

/// Writes a consistent copy of the live SQLite database `db` to `dest` (a new file).
/// The copy is written beside `dest` under a temporary name and renamed when complete,
/// so `dest` is never a half-written file.
pub async fn backup(db: &DatabaseConnection, dest: &Path) -> Result<Copied, BackupError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(BackupError::Postgres);
    }
    if dest.exists() {
        return Err(BackupError::Exists(dest.display().to_string()));
    }
    let partial = dest.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    db.execute_unprepared(&format!("VACUUM INTO {}", literal(&partial))).await?;
    std::fs::rename(&partial, dest).map_err(|e| file_error(dest, e))?;
    describe(dest).await
}

/// Projects and data version of the SQLite file `path`, opened read-only.
async fn describe(path: &Path) -> Result<Copied, BackupError> {
    let not_backup = |reason: String| BackupError::NotABackup { path: path.display().to_string(), reason };
    let bytes = std::fs::metadata(path).map_err(|e| file_error(path, e))?.len();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let copy = sea_orm::Database::connect(&url).await.map_err(|e| not_backup(e.to_string()))?;
    // Plain SQL: a backup of an older release has older tables than today's entities.
    let row = copy
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT (SELECT COUNT(*) FROM projects) AS projects, \
             (SELECT COALESCE(MAX(id), 0) FROM audit_entries) AS version",
        ))
        .await
        .map_err(|e| not_backup(e.to_string()))?
        .ok_or_else(|| not_backup("no answer".into()))?;
    let projects: i64 = row.try_get("", "projects").map_err(|e| not_backup(e.to_string()))?;
    let version: i64 = row.try_get("", "version").map_err(|e| not_backup(e.to_string()))?;
    copy.close().await.ok();
    Ok(Copied { projects: projects.max(0) as u64, version, bytes })
}

/// Replaces the SQLite database of `url` with the backup `source`, then brings it up
/// to date (a backup of an older release is migrated). Refuses when the database has
/// projects or audit entries, unless `force`. No process may have the database open:
/// stop the service first.
pub async fn restore(url: &str, source: &Path, force: bool) -> Result<Copied, BackupError> {
    let target = sqlite_file(url)?;
    let copied = describe(source).await?;
    if target.exists() && !force {
        let db = super::connect(url).await?;
        let projects = Project::find().count(&db).await?;
        let version = super::data_version(&db).await?;
        db.close().await.ok();
        if projects > 0 || version > 0 {
            return Err(BackupError::NotEmpty { url: crate::config::mask_url(url), projects, version });
        }
    }
    // A clean copy of the backup beside the target, then one rename over it; the old
    // database's WAL and shared-memory files go with it.
    let partial = target.with_extension("restoring");
    let _ = std::fs::remove_file(&partial);
    let src = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", source.display())).await?;
    src.execute_unprepared(&format!("VACUUM INTO {}", literal(&partial))).await?;
    src.close().await.ok();
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(|e| file_error(&side, e))?;
        }
    }
    std::fs::rename(&partial, &target).map_err(|e| file_error(&target, e))?;
    let db = super::connect(url).await?;
    db.close().await.ok();
    Ok(copied)
}
