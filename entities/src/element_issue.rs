//! An element-guarantee issue (要素保障问题) holding a project back: land, power, permits…

use sea_orm::entity::prelude::*;

/// One issue; a ledger row is matched by project, category, opening day and description.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "element_issues")]
pub struct Model {
    /// Surrogate id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The project (项目编号).
    #[sea_orm(unique_key = "issue_key", indexed)]
    pub project_code: String,
    /// `用地` `用水` `用电` `用气` `征地拆迁` `手续报批` `融资` `其他` (问题类别).
    #[sea_orm(unique_key = "issue_key")]
    pub category: String,
    /// What is wrong (问题描述).
    #[sea_orm(unique_key = "issue_key")]
    pub description: String,
    /// Code of the unit that must solve it (责任单位).
    pub owner_unit_code: Option<String>,
    /// When it was raised (提出日期).
    #[sea_orm(unique_key = "issue_key")]
    pub opened_date: Date,
    /// When it was solved (解决日期); none while open.
    pub resolved_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The project held back.
    #[sea_orm(belongs_to = "super::project::Entity", from = "Column::ProjectCode", to = "super::project::Column::Code")]
    Project,
}

impl ActiveModelBehavior for ActiveModel {}
