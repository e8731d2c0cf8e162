//! Schema migrations, run on every start.

use sea_orm_migration::prelude::*;

mod m20261126_000001_create_graph;
mod m20261129_000010_change_feed;
mod m20261129_000020_pipeline_work;
mod m20261129_000030_chains_carriers;
mod m20261201_000010_version_at_commit;

pub use m20261201_000010_version_at_commit::FEED_CHANNEL;

/// All migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_graph::Migration),
            Box::new(m20261129_000010_change_feed::Migration),
            Box::new(m20261129_000020_pipeline_work::Migration),
            Box::new(m20261129_000030_chains_carriers::Migration),
            Box::new(m20261201_000010_version_at_commit::Migration),
        ]
    }
}
