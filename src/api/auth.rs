//! Who is asking: API tokens (stored as SHA-256, shown once), the four roles, and the
//! guards that enforce them — the one place where access is decided.

use std::io::Read;

use async_graphql::{Context, Guard};
use entities::api_token;
use entities::prelude::ApiToken;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The roles, from least to most allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// No token: public projects and public fields only.
    Public,
    /// Reads everything except contact fields.
    Analyst,
    /// Also writes its own unit's projects, progress and issues, and reads their contacts.
    Editor,
    /// Everything: targets, any unit.
    Admin,
}

impl Role {
    /// Parses `analyst`, `editor` or `admin`.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "analyst" => Some(Role::Analyst),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        ["public", "analyst", "editor", "admin"][self as usize]
    }
}

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

/// A field guard: the caller needs at least `role`.
pub struct RequireRole(pub Role);

impl Guard for RequireRole {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = viewer(ctx);
        if viewer.role >= self.0 {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role; the caller is {}",
                self.0.name(),
                viewer.role.name()
            ))
            .into())
        }
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
