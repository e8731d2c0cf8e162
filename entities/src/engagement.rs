//! A contact with an investor (对接记录): a call, a trip out, a visit to the district
//! (来区考察), a meeting, attendance at an event.

use sea_orm::entity::prelude::*;

/// One contact; `(investor, unit, date, kind, event)` is the key.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "engagements")]
pub struct Model {
    /// The investor's name (客商名称).
    #[sea_orm(primary_key, auto_increment = false, indexed)]
    pub investor_name: String,
    /// Code of the unit that made the contact (对接单位).
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_code: String,
    /// The day (对接日期).
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: Date,
    /// `电话` `外出拜访` `来区考察` `洽谈会见` `活动参会` `线上` `其他` (对接方式).
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The event's code (活动); empty when the contact was at no event. Part of the
    /// key, so it is never NULL (a NULL would make every such key distinct).
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_code: String,
    /// The outpost that made the contact (驻点), e.g. `深圳驻点`.
    pub outpost: Option<String>,
    /// The project it concerns (项目编号).
    pub project_code: Option<String>,
    /// CONFIDENTIAL: what was discussed (对接内容).
    pub summary: Option<String>,
    /// The planned follow-up (下次跟进日期).
    pub next_date: Option<Date>,
}

impl Model {
    /// The event's code, if the contact was at one.
    pub fn event(&self) -> Option<&str> {
        Some(self.event_code.as_str()).filter(|c| !c.is_empty())
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
