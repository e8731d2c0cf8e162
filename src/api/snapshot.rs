//! A read snapshot of the hot part of the graph — projects, units, industries, investors
//! and monthly progress — kept in memory per data version, so that the commonest reads
//! (a project with its unit and progress) need no SQL. With SQLite through sqlx every
//! query is a round trip to a connection thread, and those thread switches were half the
//! API's CPU; on PostgreSQL each is a network round trip (BENCHMARKS.md).
//!
//! Freshness follows the change feed ([`crate::store::feed::Follower`]) and nothing
//! else: a request uses the snapshot only when it is of the latest data version this
//! server knows; otherwise it reads SQL while a new snapshot is built in the background.
//! This server's own writes move the known version at their commit (read-your-writes);
//! another server's writes within [`crate::store::feed::POSTGRES_POLL`] (at once by
//! NOTIFY) or [`crate::store::feed::SQLITE_POLL`]. A finished build never replaces a
//! newer snapshot. Mutations never read from it.

use std::collections::HashMap;
use std::sync::Arc;

use entities::prelude::{Industry, Investor, Progress, Project, Unit};
use entities::{industry, investor, progress, project, unit};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder};
use tokio::sync::{Mutex, watch};

use crate::store::feed::{self, Follower};

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
    /// Reads the rows of the current data version, in one read transaction.
    pub async fn load(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
        let (txn, version) = feed::begin_read(db).await?;
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
    /// then on every move of the feed rebuilds it in the background.
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
            let snapshot = Arc::new(Snapshot::load(&self.db).await?);
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
