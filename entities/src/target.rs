//! An annual target (目标任务) of a unit for one metric.

use sea_orm::entity::prelude::*;

/// One target; `(unit_code, year, metric)` is the key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "targets")]
pub struct Model {
    /// The unit (单位编码).
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_code: String,
    /// The year (年度).
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// Metric key: `signed_count`, `signed_investment`, `new_starts`, `new_starts_10m`, `fai`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// A count, or yuan for money metrics (目标值).
    pub value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The unit the target is set for.
    #[sea_orm(belongs_to = "super::unit::Entity", from = "Column::UnitCode", to = "super::unit::Column::Code")]
    Unit,
}

impl ActiveModelBehavior for ActiveModel {}
