//! The change feed: a one-row `data_version` table bumped inside every writing
//! transaction, the version each audit entry produced (`audit_entries.version`), and a
//! version per project (`projects.version`) for optimistic concurrency
//! (`expectedVersion`). The data version starts at the highest audit id, so versions
//! keep growing across the upgrade.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    .col(ColumnDef::new(DataVersion::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(DataVersion::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let start =
            Query::select().expr(Expr::col(AuditEntries::Id).max().if_null(0)).from(AuditEntries::Table).to_owned();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(DataVersion::Table)
                    .columns([DataVersion::Id, DataVersion::Version])
                    .select_from(
                        Query::select()
                            .expr(Expr::val(1))
                            .expr(SimpleExpr::SubQuery(None, Box::new(start.into())))
                            .to_owned(),
                    )
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        // The first migration creates tables from the entities as they stand now: on a
        // new database the columns exist already.
        if !manager.has_column("audit_entries", "version").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEntries::Table)
                        .add_column(ColumnDef::new(AuditEntries::Version).big_integer().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx-audit_entries-version")
                    .if_not_exists()
                    .table(AuditEntries::Table)
                    .col(AuditEntries::Version)
                    .to_owned(),
            )
            .await?;
        if !manager.has_column("projects", "version").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(Projects::Table)
                        .add_column(ColumnDef::new(Projects::Version).big_integer().not_null().default(1))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Projects::Table).drop_column(Projects::Version).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("idx-audit_entries-version").table(AuditEntries::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(AuditEntries::Table).drop_column(AuditEntries::Version).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(DataVersion::Table).to_owned()).await?;
        Ok(())
    }
}
