//! An investment project (招商项目) with its stage dates and milestones.
//! Money is integer yuan; dates are calendar days.

use sea_orm::entity::prelude::*;

/// One project, every field of the ledger's `projects` sheet.
#[derive(Clone, Debug, Default, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    /// Unique, stable id (项目编号).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Bumped by every write of the row: a client sends the version it read as
    /// `expectedVersion`, and a stale one is refused instead of overwritten.
    #[sea_orm(default_value = 1)]
    pub version: i64,
    /// National investment-project code (项目代码).
    pub national_code: Option<String>,
    /// Project name (项目名称).
    pub name: String,
    /// Responsible unit's code (责任单位).
    #[sea_orm(indexed)]
    pub unit_code: String,
    /// Industry name (产业类别).
    #[sea_orm(indexed)]
    pub industry_name: String,
    /// Investor's name (投资方).
    #[sea_orm(indexed)]
    pub investor_name: Option<String>,
    /// How it was attracted (招商方式).
    pub channel: Option<String>,
    /// `协议` or `合同` (签约类型).
    pub contract_type: Option<String>,
    /// The signing event (签约活动).
    pub signing_event: Option<String>,
    /// Planned or contracted total investment in yuan (总投资).
    pub total_investment: i64,
    /// Stage 1 (意向日期).
    pub intent_date: Option<Date>,
    /// Stage 2 (洽谈日期).
    pub negotiation_date: Option<Date>,
    /// Stage 3 (签约日期).
    #[sea_orm(indexed)]
    pub signed_date: Option<Date>,
    /// Milestone: local company registered (注册日期).
    pub registered_date: Option<Date>,
    /// Milestone (计划开工日期).
    pub planned_start_date: Option<Date>,
    /// Stage 4 (开工日期).
    pub started_date: Option<Date>,
    /// Milestone (计划投产日期).
    pub planned_production_date: Option<Date>,
    /// Stage 5 (投产日期).
    pub producing_date: Option<Date>,
    /// Stage 6 (达产日期).
    pub capacity_date: Option<Date>,
    /// Milestone: entered the statistics register (入统日期).
    pub stats_date: Option<Date>,
    /// Withdrawn, returned or replaced on this day (终止日期).
    pub terminated_date: Option<Date>,
    /// Why it was terminated (终止原因).
    pub terminated_reason: Option<String>,
    /// Land area in mu (用地面积（亩）).
    pub land_area_mu: Option<f64>,
    /// Expected annual output in yuan (预计年产值).
    pub expected_output: Option<i64>,
    /// Expected annual tax in yuan (预计年税收).
    pub expected_tax: Option<i64>,
    /// Expected jobs (预计就业（人）).
    pub expected_jobs: Option<i64>,
    /// A key project (重点项目).
    pub key_project: bool,
    /// May appear on the public site (公开推介).
    pub public: bool,
    /// Public description (项目简介).
    pub summary: Option<String>,
    /// The industry-chain link it fills, as `产业链/环节` (产业链环节); indexed by its
    /// migration.
    pub chain_link: Option<String>,
    /// Code of the carrier it lands on (落地载体); indexed by its migration.
    pub carrier_code: Option<String>,
    /// CONFIDENTIAL contact person (联系人): never published.
    pub contact_name: Option<String>,
    /// CONFIDENTIAL contact phone (联系电话): never published.
    pub contact_phone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The responsible unit.
    #[sea_orm(belongs_to = "super::unit::Entity", from = "Column::UnitCode", to = "super::unit::Column::Code")]
    Unit,
    /// The industry.
    #[sea_orm(
        belongs_to = "super::industry::Entity",
        from = "Column::IndustryName",
        to = "super::industry::Column::Name"
    )]
    Industry,
    /// The investor.
    #[sea_orm(
        belongs_to = "super::investor::Entity",
        from = "Column::InvestorName",
        to = "super::investor::Column::Name"
    )]
    Investor,
}

impl Related<super::unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Unit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
