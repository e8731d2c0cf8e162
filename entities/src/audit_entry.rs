//! The audit trail: who changed what, when, with the row before and after.
//! Each entry names the data version its write produced (see the change feed,
//! `zhaoshang::store::feed`).

use sea_orm::entity::prelude::*;

/// One write: an API mutation or a whole ledger import.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    /// Increasing id (taken before commit: not in commit order on PostgreSQL).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When, in UTC.
    pub at: DateTimeUtc,
    /// Who: a token's name, or `cli` for the command line.
    pub actor: String,
    /// What: `import`, `createProject`, `recordProgress`, …
    pub action: String,
    /// The table written (`projects`, `progress`, … or `ledger`).
    pub entity: String,
    /// The row's key, e.g. a project code.
    #[sea_orm(indexed)]
    pub key: String,
    /// The row before the write (none when created).
    pub before: Option<Json>,
    /// The row after the write, or an import's counts.
    pub after: Option<Json>,
    /// The data version this write produced (none for entries older than the feed).
    pub version: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
