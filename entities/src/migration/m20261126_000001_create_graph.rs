//! The first schema (version 0.1): every table of the project graph with its keys,
//! foreign keys and indexes, written out in SQL per backend (`*.sqlite.sql`,
//! `*.postgres.sql`). It was generated from the entities as they stood at version 0.1
//! and is frozen: a database made by it alone is what the first release made, and the
//! upgrade test migrates such a database to today. Later changes to the entities get
//! migrations of their own.

use sea_orm::{ConnectionTrait, DbBackend, EntityName};
use sea_orm_migration::prelude::*;

use crate::prelude::*;

const SQLITE: &str = include_str!("m20261126_000001_create_graph.sqlite.sql");
const POSTGRES: &str = include_str!("m20261126_000001_create_graph.postgres.sql");

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE,
            DbBackend::Postgres => POSTGRES,
            other => return Err(DbErr::Migration(format!("no first schema for {other:?}"))),
        };
        let connection = manager.get_connection();
        for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            connection.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiToken.table_ref(),
            AuditEntry.table_ref(),
            Target.table_ref(),
            ElementIssue.table_ref(),
            Progress.table_ref(),
            Project.table_ref(),
            Investor.table_ref(),
            Industry.table_ref(),
            Unit.table_ref(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
