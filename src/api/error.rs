//! The API's one error type and how each variant reaches a client: a message and
//! `extensions.code` (and `extensions.field` for bad input). Internal errors are logged
//! with the request id and answered as `INTERNAL` without details.

use async_graphql::ErrorExtensions;

/// What went wrong with a request. It has no `Display` on purpose: async-graphql turns
/// anything displayable into an error without extensions, and every error of this API
/// must carry its code.
#[derive(Debug)]
pub enum ApiError {
    /// `BAD_INPUT`: a value is malformed or breaks a rule; `field` names it.
    BadInput {
        /// The input field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// `NOT_FOUND`: the project, unit, issue… does not exist (or is not visible).
    NotFound(String),
    /// `FORBIDDEN`: the caller's role may not do or see this.
    Forbidden(String),
    /// `CONFLICT`: the key is taken.
    Conflict(String),
    /// `INTERNAL`: a database or computation failure, logged, never detailed.
    Internal(String),
}

impl ApiError {
    /// A bad input value.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadInput { field: field.into(), message: message.into() }
    }

    /// The message shown to the client (never internal details).
    pub fn message(&self) -> String {
        match self {
            ApiError::BadInput { field, message } if field.is_empty() => message.clone(),
            ApiError::BadInput { field, message } => format!("{field}: {message}"),
            ApiError::NotFound(m) | ApiError::Forbidden(m) | ApiError::Conflict(m) => m.clone(),
            ApiError::Internal(_) => "internal error".into(),
        }
    }

    /// The code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadInput { .. } => "BAD_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Internal(_) => "INTERNAL",
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        if let ApiError::Internal(detail) = self {
            tracing::error!(detail = %detail, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, e| {
            e.set("code", self.code());
            if let ApiError::BadInput { field, .. } = self {
                e.set("field", field.as_str());
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        e.extend()
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<crate::analytics::AnalyticsError> for ApiError {
    fn from(e: crate::analytics::AnalyticsError) -> Self {
        match e {
            crate::analytics::AnalyticsError::BadInput(message) => ApiError::BadInput { field: String::new(), message },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Results of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;
