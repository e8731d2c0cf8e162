//! Industry chains and carriers: the tables `chain_links` (产业链环节) and `carriers`
//! (载体资源), and the `projects` columns `chain_link` and `carrier_code`, written out in
//! full so that later changes to the entities do not change what this migration does.
//!
//! The first migration builds `projects` from the entity as it stands, so on a new
//! database the two columns exist already: they are added only where missing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChainLinks {
    Table,
    Chain,
    Link,
    Cluster,
    Position,
    LinkOrder,
    Sought,
}

#[derive(DeriveIden)]
enum Carriers {
    Table,
    Code,
    Name,
    Kind,
    UnitCode,
    AreaMu,
    FloorArea,
    Price,
    Status,
    AvailableFrom,
    Public,
    Summary,
    ContactName,
    ContactPhone,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    ChainLink,
    CarrierCode,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChainLinks::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ChainLinks::Chain).string().not_null())
                    .col(ColumnDef::new(ChainLinks::Link).string().not_null())
                    .col(ColumnDef::new(ChainLinks::Cluster).string().null())
                    .col(ColumnDef::new(ChainLinks::Position).string().not_null())
                    .col(ColumnDef::new(ChainLinks::LinkOrder).big_integer().null())
                    .col(ColumnDef::new(ChainLinks::Sought).string().null())
                    .primary_key(Index::create().col(ChainLinks::Chain).col(ChainLinks::Link))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Carriers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Carriers::Code).string().not_null().primary_key())
                    .col(ColumnDef::new(Carriers::Name).string().not_null())
                    .col(ColumnDef::new(Carriers::Kind).string().not_null())
                    .col(ColumnDef::new(Carriers::UnitCode).string().not_null())
                    .col(ColumnDef::new(Carriers::AreaMu).double().null())
                    .col(ColumnDef::new(Carriers::FloorArea).double().null())
                    .col(ColumnDef::new(Carriers::Price).string().null())
                    .col(ColumnDef::new(Carriers::Status).string().not_null())
                    .col(ColumnDef::new(Carriers::AvailableFrom).date().null())
                    .col(ColumnDef::new(Carriers::Public).boolean().not_null())
                    .col(ColumnDef::new(Carriers::Summary).string().null())
                    .col(ColumnDef::new(Carriers::ContactName).string().null())
                    .col(ColumnDef::new(Carriers::ContactPhone).string().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-carriers-unit_code")
                            .from(Carriers::Table, Carriers::UnitCode)
                            .to(Units::Table, Units::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx-carriers-unit_code")
                    .table(Carriers::Table)
                    .col(Carriers::UnitCode)
                    .to_owned(),
            )
            .await?;
        for (column, index) in
            [(Projects::ChainLink, "idx-projects-chain_link"), (Projects::CarrierCode, "idx-projects-carrier_code")]
        {
            let name = column.to_string();
            if !manager.has_column("projects", &name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Projects::Table)
                            .add_column(ColumnDef::new(column).string().null())
                            .to_owned(),
                    )
                    .await?;
            }
            manager
                .create_index(
                    Index::create().if_not_exists().name(index).table(Projects::Table).col(Alias::new(name)).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in ["idx-projects-chain_link", "idx-projects-carrier_code"] {
            manager.drop_index(Index::drop().if_exists().name(index).table(Projects::Table).to_owned()).await?;
        }
        for column in [Projects::ChainLink, Projects::CarrierCode] {
            manager.alter_table(Table::alter().table(Projects::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Carriers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ChainLinks::Table).to_owned()).await?;
        Ok(())
    }
}
