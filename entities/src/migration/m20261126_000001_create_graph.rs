//! The first schema: every table of the project graph with its keys, foreign keys and
//! indexes. It is derived from the entities as they stood at version 0.1; later
//! changes get migrations of their own written out in full.

use sea_orm::{EntityName, EntityTrait, Schema};
use sea_orm_migration::prelude::*;

use crate::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        // Referenced tables first.
        create(manager, &schema, Unit).await?;
        create(manager, &schema, Industry).await?;
        // Investors as they stood at 0.1 (name and origin), written out: the entity has
        // grown since (m20261129_000020_pipeline_work adds the directory's columns).
        manager
            .create_table(
                Table::create()
                    .table("investors")
                    .col(ColumnDef::new("name").string().not_null().primary_key())
                    .col(ColumnDef::new("origin").string().null())
                    .to_owned(),
            )
            .await?;
        create(manager, &schema, Project).await?;
        create(manager, &schema, Progress).await?;
        create(manager, &schema, ElementIssue).await?;
        create(manager, &schema, Target).await?;
        create(manager, &schema, AuditEntry).await?;
        create(manager, &schema, ApiToken).await?;
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

async fn create<E: EntityTrait>(manager: &SchemaManager<'_>, schema: &Schema, entity: E) -> Result<(), DbErr> {
    manager.create_table(schema.create_table_from_entity(entity)).await?;
    for index in schema.create_index_from_entity(entity) {
        manager.create_index(index).await?;
    }
    Ok(())
}
