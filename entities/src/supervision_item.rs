//! An item a supervisor (督查室/督查科/招组办) hands a unit with a deadline (督办事项).

use sea_orm::entity::prelude::*;

/// One supervision item.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "supervision_items")]
pub struct Model {
    /// Unique id (督办编号).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Code of the responsible unit (责任单位).
    #[sea_orm(indexed)]
    pub unit_code: String,
    /// The project it concerns (项目编号).
    pub project_code: Option<String>,
    /// `市政府督查室` `区政府督查科` `区招组办` `其他` (督办来源).
    pub source: Option<String>,
    /// CONFIDENTIAL: what must be done (督办事项).
    pub description: String,
    /// When it was handed over (交办日期).
    pub raised_date: Date,
    /// The deadline (办结时限).
    pub deadline: Date,
    /// When it was closed (办结日期); none while open.
    pub closed_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
