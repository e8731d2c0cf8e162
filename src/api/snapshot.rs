//! A read snapshot of the hot part of the graph — projects, units, industries, investors
//! and monthly progress —
//! kept in memory per data version, so that the commonest reads (a project with its unit
//! and progress) need no SQL. With SQLite through sqlx every query is a round trip to a
//! connection thread, and those thread switches were half the API's CPU (BENCHMARKS.md).
//!
//! Freshness: the data version (the latest audit entry) is read at most every
//! [`RECHECK`]; a write through this API marks the version unknown at once, so its own
//! effects are never served stale; a write by another process (a CLI import) is seen
//! within [`RECHECK`]. While a new snapshot is being built, reads go to SQL. Mutations
//! never read from it. SQLite only (see [`Snapshots::fresh`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use entities::prelude::{Industry, Investor, Progress, Project, Unit};
use entities::{industry, investor, progress, project, unit};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryOrder, TransactionTrait};
use tokio::sync::RwLock;

/// How long a known data version is trusted before it is read again.
pub const RECHECK: Duration = Duration::from_millis(250);

/// The graph's hot rows for one data version.
pub struct Snapshot {
    /// The data version it was built from.
    pub version: i64,
    /// Projects by code.
    pub projects: HashMap<String, project::Model>,
    /// Units by code.
    pub units: HashMap<String, unit::Model>,
    /// Industries by name.
    pub industries: HashMap<String, industry::Model>,
    /// Investors by name.
    pub investors: HashMap<String, investor::Model>,
    /// Progress months by project code, oldest first.
    pub progress: HashMap<String, Vec<progress::Model>>,
}

impl Snapshot {
    /// Reads the rows of the current data version.
    pub async fn load(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
        // One read transaction: SQLite (WAL) gives it one consistent view of every table.
        let txn = db.begin().await?;
        let version = crate::store::data_version(&txn).await?;
        let projects = Project::find().all(&txn).await?.into_iter().map(|p| (p.code.clone(), p)).collect();
        let units = Unit::find().all(&txn).await?.into_iter().map(|u| (u.code.clone(), u)).collect();
        let industries = Industry::find().all(&txn).await?.into_iter().map(|i| (i.name.clone(), i)).collect();
        let investors = Investor::find().all(&txn).await?.into_iter().map(|i| (i.name.clone(), i)).collect();
        let mut by_project: HashMap<String, Vec<progress::Model>> = HashMap::new();
        for row in Progress::find().order_by_asc(progress::Column::Month).all(&txn).await? {
            by_project.entry(row.project_code.clone()).or_default().push(row);
        }
        txn.commit().await?;
        Ok(Snapshot { version, projects, units, industries, investors, progress: by_project })
    }
}

/// The snapshot of the API, and what is known of the data version.
pub struct Snapshots {
    db: DatabaseConnection,
    current: RwLock<Option<Arc<Snapshot>>>,
    /// The latest data version read, and when; `None` after a write of ours.
    known: std::sync::Mutex<Option<(i64, Instant)>>,
    building: AtomicBool,
}

impl Snapshots {
    /// No snapshot yet; the first reads build one.
    pub fn new(db: DatabaseConnection) -> Arc<Snapshots> {
        Arc::new(Snapshots {
            db,
            current: RwLock::new(None),
            known: std::sync::Mutex::new(None),
            building: AtomicBool::new(false),
        })
    }

    /// A snapshot of the current data, if one is ready; otherwise `None` (read SQL) and a
    /// new one is started in the background.
    pub async fn fresh(self: &Arc<Self>) -> Option<Arc<Snapshot>> {
        // PostgreSQL's pool is truly asynchronous, and a city's graph may not fit in
        // memory: the snapshot is for the embedded SQLite only.
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return None;
        }
        let known = self.known.lock().ok().and_then(|k| *k).filter(|(_, at)| at.elapsed() < RECHECK);
        let version = match known {
            Some((version, _)) => version,
            None => {
                let version = crate::store::data_version(&self.db).await.ok()?;
                if let Ok(mut k) = self.known.lock() {
                    *k = Some((version, Instant::now()));
                }
                version
            }
        };
        let current = self.current.read().await.clone();
        match current {
            Some(snapshot) if snapshot.version == version => Some(snapshot),
            _ => {
                self.rebuild_in_background();
                None
            }
        }
    }

    /// Forgets the data version: called after every write of this API.
    pub fn written(&self) {
        if let Ok(mut k) = self.known.lock() {
            *k = None;
        }
    }

    /// Builds a snapshot now (tests, and the server's start).
    pub async fn build_now(&self) -> Result<(), DbErr> {
        let snapshot = Snapshot::load(&self.db).await?;
        *self.current.write().await = Some(Arc::new(snapshot));
        Ok(())
    }

    fn rebuild_in_background(self: &Arc<Self>) {
        if self.building.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.build_now().await {
                tracing::warn!(error = %e, "the read snapshot could not be built; reads use SQL");
            }
            this.building.store(false, Ordering::SeqCst);
        });
    }
}
