//! An investor (投资方, 客商) of the investor directory (客商名录库): behind projects,
//! followed by a unit, possibly introduced by another investor (以商招商).

use sea_orm::entity::prelude::*;

/// One investor, identified by its name as written in the ledgers.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "investors")]
pub struct Model {
    /// The investor's name (客商名称, 投资方).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Where the investor comes from (来源地), e.g. `广东省深圳市`.
    pub origin: Option<String>,
    /// `企业` `商会` `协会` `个人` `其他` (客商类型).
    pub kind: Option<String>,
    /// Its industry's name (所属产业).
    pub industry_name: Option<String>,
    /// The investor that introduced this one (引荐客商, 以商招商).
    pub introduced_by: Option<String>,
    /// Code of the unit that follows it (联络单位).
    pub owner_unit_code: Option<String>,
    /// `跟进中` (also when empty), `暂停` or `放弃` (跟进状态).
    pub status: Option<String>,
    /// CONFIDENTIAL contact person (联系人).
    pub contact_name: Option<String>,
    /// CONFIDENTIAL contact phone (联系电话).
    pub contact_phone: Option<String>,
    /// CONFIDENTIAL internal notes (备注).
    pub notes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
