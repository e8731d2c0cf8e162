//! An investor (投资方, 客商) behind one or more projects.

use sea_orm::entity::prelude::*;

/// One investor, identified by its name as written in the ledgers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "investors")]
pub struct Model {
    /// The investor's name (投资方).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Where the investor comes from (投资方来源地), e.g. `广东省深圳市`.
    pub origin: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
