//! An incentive the district promised a project (政策兑现) and what has been paid.

use sea_orm::entity::prelude::*;

/// One promised incentive; `(project_code, policy)` is the key. Money in yuan.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "incentives")]
pub struct Model {
    /// The project (项目编号).
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_code: String,
    /// The policy (政策名称), e.g. `固定资产投资奖励`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy: String,
    /// `资金奖补` `税收返还` `土地` `厂房租金` `贷款贴息` `其他` (兑现类型).
    pub kind: Option<String>,
    /// Amount promised, yuan (承诺金额).
    pub promised: i64,
    /// When it was promised (承诺日期).
    pub promised_date: Date,
    /// When it is due (应兑现日期).
    pub due_date: Date,
    /// Cumulative amount paid, yuan (已兑现金额); none is 0.
    pub paid: Option<i64>,
    /// The day the paid amount was reached (兑现日期).
    pub paid_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
