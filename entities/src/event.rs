//! An investment-promotion event (招商活动): a fair, a promotion meeting, a forum, a
//! signing ceremony (以会招商). Projects name it in their `signing_event`.

use sea_orm::entity::prelude::*;

/// One event; its code and its name are each unique.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// Unique, stable id such as `E2025-03` (活动编号).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Unique name (活动名称), e.g. `第九届丝博会`.
    #[sea_orm(unique)]
    pub name: String,
    /// `博览会` `推介会` `座谈会` `签约仪式` `考察团` `其他` (活动类型).
    pub kind: Option<String>,
    /// First day (开始日期).
    pub date: Date,
    /// Last day (结束日期); none for a one-day event.
    pub end_date: Option<Date>,
    /// Where (地点).
    pub place: Option<String>,
    /// Code of the organising unit (主办单位).
    pub organizer_unit_code: Option<String>,
    /// May appear on the public site (公开).
    pub public: bool,
    /// Public description (活动简介).
    pub summary: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
