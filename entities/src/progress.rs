//! Monthly progress of a project (月度进度): investment completed and funds arrived.

use sea_orm::entity::prelude::*;

/// One project-month; `(project_code, month)` is the key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "progress")]
pub struct Model {
    /// The project (项目编号).
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_code: String,
    /// First day of the month reported (月份).
    #[sea_orm(primary_key, auto_increment = false, indexed)]
    pub month: Date,
    /// Fixed-asset investment completed in the month, yuan (本月完成投资).
    pub fai: Option<i64>,
    /// Funds arrived in the month, yuan (本月到位资金).
    pub funds_arrived: Option<i64>,
    /// Part of `funds_arrived` from outside the city, yuan (其中市域外资金).
    pub out_of_region_funds: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The project reported on.
    #[sea_orm(belongs_to = "super::project::Entity", from = "Column::ProjectCode", to = "super::project::Column::Code")]
    Project,
}

impl ActiveModelBehavior for ActiveModel {}
