//! A responsible unit (责任单位): a town, sub-district, department or park committee.

use sea_orm::entity::prelude::*;

/// One unit of the district.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "units")]
pub struct Model {
    /// Unique, stable id such as `T01` (单位编码).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Display name such as `陈炉镇` (单位名称); unique.
    #[sea_orm(unique)]
    pub name: String,
    /// `镇`, `街道`, `部门` or `园区` (单位类型).
    pub kind: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
