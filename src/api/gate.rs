//! What a `POST /graphql` must pass before the schema sees it: a JSON content type
//! (415 otherwise), a well-formed bearer token that names a live token (401 with a JSON
//! error otherwise), and a bound on failed authentications per client address (429).
//! Tokens that authenticated are remembered for the trust window in a bounded cache;
//! failed lookups are never cached (the rate limit bounds what they cost).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poem::http::StatusCode;
use poem::{Body, IntoResponse, Request, Response};
use sea_orm::DatabaseConnection;

use super::auth::{Viewer, authenticate};

/// How long an authenticated token is trusted without asking the database again: a
/// revocation takes effect within this time.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(10);

/// The most tokens remembered at once.
pub const TOKEN_CACHE_MAX: usize = 10_000;

/// Failed authentications a client address may make in a burst, and how many more it
/// earns back per second.
pub const FAILED_AUTH_BURST: f64 = 10.0;
/// See [`FAILED_AUTH_BURST`].
pub const FAILED_AUTH_PER_SECOND: f64 = 5.0;
/// The most client addresses tracked at once by the failed-authentication limit.
pub const FAILED_AUTH_CLIENTS_MAX: usize = 10_000;

/// The longest an error message may be: no message echoes more than this of a request.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// A real token: `zs_` and 48 lowercase hex digits (see `auth::create_token`).
pub fn well_formed_token(token: &str) -> bool {
    token.len() == 51
        && token.starts_with("zs_")
        && token[3..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `text` cut to [`MAX_MESSAGE_CHARS`] characters (with `…` when cut).
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Tokens authenticated in the last `ttl` (default [`TOKEN_CACHE_TTL`]; the
/// configuration's token trust window), by token, so that a busy client costs one token
/// lookup every few seconds rather than one per request.
#[derive(Clone)]
pub struct TokenCache {
    remembered: Arc<Mutex<HashMap<String, (Viewer, Instant)>>>,
    ttl: Duration,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new(TOKEN_CACHE_TTL)
    }
}

impl TokenCache {
    /// A cache that trusts an authenticated token for `ttl`.
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache { remembered: Default::default(), ttl }
    }

    /// The viewer of a well-formed `token`, from the cache or the database; `None` for an
    /// unknown or revoked token (not remembered).
    pub async fn viewer(&self, db: &DatabaseConnection, token: &str) -> Result<Option<Viewer>, sea_orm::DbErr> {
        if let Ok(cache) = self.remembered.lock()
            && let Some((viewer, at)) = cache.get(token)
            && at.elapsed() < self.ttl
        {
            return Ok(Some(viewer.clone()));
        }
        let viewer = authenticate(db, token).await?;
        if let (Some(found), Ok(mut cache)) = (&viewer, self.remembered.lock()) {
            if cache.len() >= TOKEN_CACHE_MAX {
                cache.retain(|_, (_, at)| at.elapsed() < self.ttl);
            }
            if cache.len() >= TOKEN_CACHE_MAX {
                cache.clear();
            }
            cache.insert(token.to_string(), (found.clone(), Instant::now()));
        }
        Ok(viewer)
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.remembered.lock().map_or(0, |c| c.len())
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Failed authentications per client address: a token bucket each, in a bounded map.
#[derive(Clone, Default)]
pub struct FailedAuthLimit(Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>);

impl FailedAuthLimit {
    fn refilled((tokens, at): (f64, Instant)) -> f64 {
        (tokens + at.elapsed().as_secs_f64() * FAILED_AUTH_PER_SECOND).min(FAILED_AUTH_BURST)
    }

    /// Whether `ip` may try to authenticate now.
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        let (Some(ip), Ok(map)) = (ip, self.0.lock()) else { return true };
        map.get(&ip).is_none_or(|bucket| Self::refilled(*bucket) >= 1.0)
    }

    /// Counts one failed authentication of `ip`.
    pub fn failed(&self, ip: Option<IpAddr>) {
        let (Some(ip), Ok(mut map)) = (ip, self.0.lock()) else { return };
        if map.len() >= FAILED_AUTH_CLIENTS_MAX && !map.contains_key(&ip) {
            // Forget the clients whose bucket is full again; if all are busy, start over.
            map.retain(|_, bucket| Self::refilled(*bucket) < FAILED_AUTH_BURST);
            if map.len() >= FAILED_AUTH_CLIENTS_MAX {
                map.clear();
            }
        }
        let tokens = map.get(&ip).map_or(FAILED_AUTH_BURST, |bucket| Self::refilled(*bucket));
        map.insert(ip, ((tokens - 1.0).max(0.0), Instant::now()));
    }
}

/// A request refused before the schema: its status, code and message.
#[derive(Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// `extensions.code`.
    pub code: &'static str,
    /// What to do about it.
    pub message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": excerpt(&self.message), "extensions": { "code": self.code } }]
        });
        let mut response = Response::builder()
            .status(self.status)
            .content_type("application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default());
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert("www-authenticate", poem::http::HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert("retry-after", poem::http::HeaderValue::from_static("1"));
        }
        // Refused before its body was read in full: the connection cannot carry another
        // request, and a client that kept it for the next one would find it closed.
        if matches!(self.status, StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE) {
            response.headers_mut().insert("connection", poem::http::HeaderValue::from_static("close"));
        }
        response
    }
}

fn unauthenticated(message: &str) -> Refusal {
    Refusal { status: StatusCode::UNAUTHORIZED, code: "UNAUTHENTICATED", message: message.into() }
}

/// What the gate holds between requests.
#[derive(Clone, Default)]
pub struct Gate {
    /// Tokens recently authenticated.
    pub tokens: TokenCache,
    /// Failed authentications per client.
    pub failures: FailedAuthLimit,
}

impl Gate {
    /// The caller of `request`: public without an `Authorization` header, else the
    /// token's viewer; refused for a malformed, unknown or revoked token, or for a client
    /// that failed too often.
    pub async fn viewer(&self, db: &DatabaseConnection, request: &Request) -> Result<Viewer, Refusal> {
        let Some(header) = request.headers().get("authorization") else { return Ok(Viewer::public()) };
        let ip = request.remote_addr().as_socket_addr().map(|a| a.ip());
        if !self.failures.allows(ip) {
            return Err(Refusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "RATE_LIMITED",
                message: "too many failed authentications from this address; try again in a second".into(),
            });
        }
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| well_formed_token(t));
        let Some(token) = token else {
            self.failures.failed(ip);
            return Err(unauthenticated("the Authorization header must be `Bearer zs_` and 48 hex digits"));
        };
        match self.tokens.viewer(db, token).await {
            Ok(Some(viewer)) => Ok(viewer),
            Ok(None) => {
                self.failures.failed(ip);
                Err(unauthenticated("unknown or revoked token"))
            }
            Err(e) => {
                tracing::error!(error = %e, "token lookup failed");
                Err(Refusal {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "INTERNAL",
                    message: "internal error".into(),
                })
            }
        }
    }
}

/// The GraphQL request in a POST body: `application/json` (or
/// `application/graphql-response+json`), at most `limit` bytes, one operation.
pub async fn read_request(request: &Request, body: Body, limit: usize) -> Result<async_graphql::Request, Refusal> {
    let content_type = request.content_type().unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "application/json" && essence != "application/graphql-response+json" {
        return Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: format!(
                "send GraphQL as Content-Type: application/json, not {:?}",
                excerpt(content_type).chars().take(60).collect::<String>()
            ),
        });
    }
    let bad = |message: String| Refusal { status: StatusCode::BAD_REQUEST, code: "BAD_REQUEST", message };
    let too_large = || Refusal {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "PAYLOAD_TOO_LARGE",
        message: format!("the body is larger than {limit} bytes"),
    };
    // Refused from its announced length without reading it; else read up to the limit.
    let announced = request.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let bytes = body.into_bytes_limit(limit).await.map_err(|e| match e {
        poem::error::ReadBodyError::PayloadTooLarge => too_large(),
        other => bad(format!("cannot read the body: {other}")),
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("the body is not JSON: {}", excerpt(&e.to_string()))))?;
    if value.is_array() {
        return Err(bad("batches are not accepted: send one operation per request".into()));
    }
    serde_json::from_value(value)
        .map_err(|e| bad(format!("the body is not a GraphQL request ({{\"query\": …}}): {}", excerpt(&e.to_string()))))
}
