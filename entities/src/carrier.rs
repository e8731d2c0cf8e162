//! A carrier (载体): land, a standard factory, an idle plant or another site offered to
//! investors, including idle assets to be revitalised (闲置资产).

use sea_orm::entity::prelude::*;

/// One carrier; `code` is the key.
#[derive(Clone, Debug, Default, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "carriers")]
pub struct Model {
    /// Unique, stable id (载体编号).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Name (载体名称).
    pub name: String,
    /// `工业用地` `标准化厂房` `闲置厂房` `商业楼宇` `其他` (载体类型).
    pub kind: String,
    /// Code of the unit it lies in (所在单位); indexed by its migration.
    pub unit_code: String,
    /// Land area in mu (面积（亩）).
    pub area_mu: Option<f64>,
    /// Floor area in square metres (建筑面积（平方米）).
    pub floor_area: Option<f64>,
    /// Public price text, e.g. `12万元/亩` (价格).
    pub price: Option<String>,
    /// `可供` (available), `已意向` (reserved) or `已使用` (in use) (状态).
    pub status: String,
    /// Available from this day (可供日期).
    pub available_from: Option<Date>,
    /// May appear on the public site (公开推介).
    pub public: bool,
    /// Public description (载体简介).
    pub summary: Option<String>,
    /// CONFIDENTIAL contact person (联系人): never published.
    pub contact_name: Option<String>,
    /// CONFIDENTIAL contact phone (联系电话): never published.
    pub contact_phone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The unit it lies in.
    #[sea_orm(belongs_to = "super::unit::Entity", from = "Column::UnitCode", to = "super::unit::Column::Code")]
    Unit,
}

impl ActiveModelBehavior for ActiveModel {}
