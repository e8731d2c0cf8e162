//! An industry category (产业类别) and the cluster it belongs to.

use sea_orm::entity::prelude::*;

/// One industry of the taxonomy.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "industries")]
pub struct Model {
    /// Unique name such as `智能制造` (产业名称).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The larger cluster (产业集群), such as `先进制造`.
    pub cluster: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
