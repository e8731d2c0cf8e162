//! API tokens: a role, optionally a unit, and the token's SHA-256 (never the token).

use sea_orm::entity::prelude::*;

/// One API token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Surrogate id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// A name for the holder; also the actor in the audit trail.
    #[sea_orm(unique)]
    pub name: String,
    /// `analyst`, `editor` or `admin`.
    pub role: String,
    /// For editors: the unit whose projects they may change.
    pub unit_code: Option<String>,
    /// Hex SHA-256 of the token.
    #[sea_orm(unique)]
    pub token_sha256: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it was revoked; none while valid.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
