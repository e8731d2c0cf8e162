//! Who is asking: API tokens (stored as SHA-256, shown once), the caller of a request,
//! and the one guard, [`Policy`], that enforces the access table of [`crate::policy`]
//! on every field and argument.

use std::io::Read;

use async_graphql::{Context, Guard};
use entities::api_token;
use entities::prelude::ApiToken;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::error::ApiError;

pub use crate::policy::Role;
use crate::policy::{self, Reader};

/// The caller of one request.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// Their role.
    pub role: Role,
    /// For editors: their unit.
    pub unit: Option<String>,
    /// The token's name; the actor in the audit trail.
    pub name: String,
}

impl Viewer {
    /// A caller without a token.
    pub fn public() -> Viewer {
        Viewer { role: Role::Public, unit: None, name: "public".into() }
    }

    /// Whether this caller may see non-public projects and fields.
    pub fn is_internal(&self) -> bool {
        self.role >= Role::Analyst
    }

    /// The caller as the policy sees it.
    pub fn reader(&self) -> Reader<'_> {
        Reader { role: self.role, unit: self.unit.as_deref() }
    }

    /// Whether this caller may change the projects, progress and issues of `unit`.
    pub fn may_edit_unit(&self, unit: &str) -> bool {
        self.role == Role::Admin || (self.role == Role::Editor && self.unit.as_deref() == Some(unit))
    }

    /// Refuses unless the caller may edit `unit`.
    pub fn require_unit(&self, unit: &str) -> Result<(), ApiError> {
        if self.may_edit_unit(unit) {
            Ok(())
        } else if self.role == Role::Editor {
            Err(ApiError::Forbidden(format!(
                "an editor of {} may not change the data of unit {unit}",
                self.unit.as_deref().unwrap_or("?")
            )))
        } else {
            Err(ApiError::Forbidden(format!("the {} role may not change data", self.role.name())))
        }
    }
}

/// The viewer of the current request (public when none was attached).
pub fn viewer<'a>(ctx: &'a Context<'_>) -> std::borrow::Cow<'a, Viewer> {
    match ctx.data_opt::<Viewer>() {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(Viewer::public()),
    }
}

/// The one guard: the field being resolved (and each argument given to it) must be
/// readable by the caller according to [`crate::policy::TABLE`]. Put on a whole type
/// (`#[Object(guard = "Policy::of(\"Project\")")]`) so that every field of it, the
/// next one too, is looked up; row-dependent rules (contacts, the investor of an
/// unsigned project) get the row with [`Policy::row`].
pub struct Policy<'a> {
    type_name: &'static str,
    row: Option<policy::Row<'a>>,
}

impl Policy<'static> {
    /// The guard of the fields of the GraphQL type `type_name`.
    pub fn of(type_name: &'static str) -> Self {
        Policy { type_name, row: None }
    }
}

impl<'a> Policy<'a> {
    /// The guard of the fields of `type_name` for one row.
    pub fn row(type_name: &'static str, row: policy::Row<'a>) -> Self {
        Policy { type_name, row: Some(row) }
    }
}

impl Guard for Policy<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let field = ctx.item.node.name.node.as_str();
        let viewer = viewer(ctx);
        require(self.type_name, field, &viewer, self.row)?;
        for (argument, _) in &ctx.item.node.arguments {
            require(self.type_name, &format!("{field}({})", argument.node), &viewer, self.row)?;
        }
        Ok(())
    }
}

/// Refuses unless the caller may read `type_name.field` (on `row`).
pub fn require(type_name: &str, field: &str, viewer: &Viewer, row: Option<policy::Row<'_>>) -> Result<(), ApiError> {
    match policy::lookup(type_name, field) {
        Some(access) if access.allows(viewer.reader(), row) => Ok(()),
        Some(access) => Err(ApiError::Forbidden(format!(
            "{type_name}.{field} is not readable by the {} role ({})",
            viewer.role.name(),
            describe(access)
        ))),
        // Closed by default: a field the table forgot is readable by no one.
        None => Err(ApiError::Forbidden(format!("{type_name}.{field} has no access policy entry"))),
    }
}

/// Refuses unless the caller may use every given field of an input object (its value
/// as GraphQL sees it; nulls are fields not given) or the given value of an enum.
pub fn require_input(type_name: &str, value: &async_graphql::Value, viewer: &Viewer) -> Result<(), ApiError> {
    match value {
        async_graphql::Value::Object(fields) => {
            for (name, v) in fields {
                if !matches!(v, async_graphql::Value::Null) {
                    require(type_name, name.as_str(), viewer, None)?;
                }
            }
            Ok(())
        }
        async_graphql::Value::Enum(name) => require(type_name, name.as_str(), viewer, None),
        _ => Ok(()),
    }
}

fn describe(access: policy::Access) -> &'static str {
    match access {
        policy::Access::Public => "public",
        policy::Access::PublicOnceSigned => "public once the project is signed",
        policy::Access::Internal => "for analysts, editors and admins",
        policy::Access::OwnUnit => "for the editors of the project's unit and admins",
        policy::Access::Editor => "for editors and admins",
        policy::Access::Admin => "for admins",
    }
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The database failed (a name already used is reported here too).
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// No randomness was available.
    #[error("cannot read random bytes: {0}")]
    Random(#[from] std::io::Error),
    /// Bad arguments.
    #[error("{0}")]
    Invalid(String),
}

/// Creates a token and returns it; only its hash is stored, so it is shown once.
pub async fn create_token(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    unit: Option<&str>,
) -> Result<String, TokenError> {
    if role == Role::Editor && unit.is_none() {
        return Err(TokenError::Invalid("an editor token needs --unit CODE".into()));
    }
    if role == Role::Public {
        return Err(TokenError::Invalid("the public role needs no token".into()));
    }
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let token = format!("zs_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    ApiToken::insert(api_token::ActiveModel {
        id: NotSet,
        name: Set(name.to_string()),
        role: Set(role.name().to_string()),
        unit_code: Set(unit.map(str::to_string)),
        token_sha256: Set(sha256_hex(&token)),
        created_at: Set(chrono::Utc::now()),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// Revokes the token named `name`; false when there is none.
pub async fn revoke_token(db: &DatabaseConnection, name: &str) -> Result<bool, DbErr> {
    let result = ApiToken::update_many()
        .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(api_token::Column::Name.eq(name))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The viewer a bearer token stands for; `None` for an unknown or revoked token.
pub async fn authenticate(db: &DatabaseConnection, token: &str) -> Result<Option<Viewer>, DbErr> {
    let found = ApiToken::find()
        .filter(api_token::Column::TokenSha256.eq(sha256_hex(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.and_then(|t| Some(Viewer { role: Role::parse(&t.role)?, unit: t.unit_code, name: t.name })))
}
