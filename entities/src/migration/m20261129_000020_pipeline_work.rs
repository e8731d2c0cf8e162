//! The work around the pipeline: the investor directory's columns (客商名录) and the
//! tables of events (招商活动), engagements (对接记录), incentives (政策兑现) and
//! supervision items (督办事项), written out in full.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns the investor directory adds to `investors`, all optional text.
const INVESTOR_COLUMNS: [&str; 8] =
    ["kind", "industry_name", "introduced_by", "owner_unit_code", "status", "contact_name", "contact_phone", "notes"];

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().null().to_owned()
}

fn required_text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().to_owned()
}

fn foreign(
    from_table: &'static str,
    from: &'static str,
    to_table: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from}"))
        .from(from_table, from)
        .to(to_table, to)
        .on_delete(ForeignKeyAction::NoAction)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in INVESTOR_COLUMNS {
            manager.alter_table(Table::alter().table("investors").add_column(text(column)).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(ColumnDef::new("code").string().not_null().primary_key())
                    .col(ColumnDef::new("name").string().not_null().unique_key())
                    .col(text("kind"))
                    .col(ColumnDef::new("date").date().not_null())
                    .col(ColumnDef::new("end_date").date().null())
                    .col(text("place"))
                    .col(text("organizer_unit_code"))
                    .col(ColumnDef::new("public").boolean().not_null())
                    .col(text("summary"))
                    .foreign_key(&mut foreign("events", "organizer_unit_code", "units", "code"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("engagements")
                    .col(required_text("investor_name"))
                    .col(required_text("unit_code"))
                    .col(ColumnDef::new("date").date().not_null())
                    .col(required_text("kind"))
                    .col(required_text("event_code"))
                    .col(text("outpost"))
                    .col(text("project_code"))
                    .col(text("summary"))
                    .col(ColumnDef::new("next_date").date().null())
                    .primary_key(
                        Index::create().col("investor_name").col("unit_code").col("date").col("kind").col("event_code"),
                    )
                    .foreign_key(&mut foreign("engagements", "investor_name", "investors", "name"))
                    .foreign_key(&mut foreign("engagements", "unit_code", "units", "code"))
                    .foreign_key(&mut foreign("engagements", "project_code", "projects", "code"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_engagements_investor_name")
                    .table("engagements")
                    .col("investor_name")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("incentives")
                    .col(required_text("project_code"))
                    .col(required_text("policy"))
                    .col(text("kind"))
                    .col(ColumnDef::new("promised").big_integer().not_null())
                    .col(ColumnDef::new("promised_date").date().not_null())
                    .col(ColumnDef::new("due_date").date().not_null())
                    .col(ColumnDef::new("paid").big_integer().null())
                    .col(ColumnDef::new("paid_date").date().null())
                    .primary_key(Index::create().col("project_code").col("policy"))
                    .foreign_key(&mut foreign("incentives", "project_code", "projects", "code"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("supervision_items")
                    .col(ColumnDef::new("code").string().not_null().primary_key())
                    .col(required_text("unit_code"))
                    .col(text("project_code"))
                    .col(text("source"))
                    .col(required_text("description"))
                    .col(ColumnDef::new("raised_date").date().not_null())
                    .col(ColumnDef::new("deadline").date().not_null())
                    .col(ColumnDef::new("closed_date").date().null())
                    .foreign_key(&mut foreign("supervision_items", "unit_code", "units", "code"))
                    .foreign_key(&mut foreign("supervision_items", "project_code", "projects", "code"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_supervision_items_unit_code")
                    .table("supervision_items")
                    .col("unit_code")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["supervision_items", "incentives", "engagements", "events"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in INVESTOR_COLUMNS.iter().rev() {
            manager.alter_table(Table::alter().table("investors").drop_column(*column).to_owned()).await?;
        }
        Ok(())
    }
}
