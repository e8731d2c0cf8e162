//! PostgreSQL takes a write's data version at its commit, not before: an audit entry is
//! inserted without a version, and a deferred constraint trigger gives it the next one
//! (and announces it on the feed's channel) as the transaction commits. The version
//! row is then locked only inside the server's commit, never across a round trip to
//! the client: a writer whose client was slow to send `COMMIT` held every other writer
//! (BENCHMARKS.md, the figures' lag on PostgreSQL). SQLite is unchanged: its writers
//! hold the database's write lock for the whole transaction anyway.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The PostgreSQL channel on which every committed write announces its data version
/// (`zhaoshang::store::feed::CHANNEL` is this one). The trigger's function is made with
/// it: a new name needs a migration that makes the function again.
pub const FEED_CHANNEL: &str = "zhaoshang_feed";

/// The trigger's function: the next version for the new entry, and its announcement on
/// [`FEED_CHANNEL`] (put in place of `{channel}`).
const FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION zhaoshang_version_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next bigint;
BEGIN
    UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version INTO next;
    IF next IS NULL THEN
        RAISE EXCEPTION 'the data_version row is missing';
    END IF;
    UPDATE audit_entries SET version = next WHERE id = NEW.id;
    PERFORM pg_notify('{channel}', next::text);
    RETURN NULL;
END
$$"#;

/// Fired at commit, once per entry inserted without a version, in the order inserted.
const TRIGGER: &str = "CREATE CONSTRAINT TRIGGER audit_entries_version_at_commit \
     AFTER INSERT ON audit_entries DEFERRABLE INITIALLY DEFERRED \
     FOR EACH ROW WHEN (NEW.version IS NULL) EXECUTE FUNCTION zhaoshang_version_at_commit()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&FUNCTION.replace("{channel}", FEED_CHANNEL)).await?;
        db.execute_unprepared(TRIGGER).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS audit_entries_version_at_commit ON audit_entries").await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS zhaoshang_version_at_commit()").await?;
        Ok(())
    }
}
