//! The HTTP server (poem): `POST /graphql` (behind [`super::gate`]: JSON only, bearer
//! tokens, failed-authentication limits, a body size cap), GraphiQL at `/graphiql`,
//! `GET /healthz`, request ids and durations in the logs, and a graceful shutdown on
//! Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_graphql_poem::GraphQLResponse;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::SizeLimit;
use poem::web::{Data, Path};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler, post};
use sea_orm::DatabaseConnection;
use tracing::Instrument;

pub use super::gate::Gate;
use super::gate::read_request;
use super::{ZhaoshangSchema, execute};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What the server needs.
#[derive(Clone)]
pub struct ServerState {
    /// The schema.
    pub schema: ZhaoshangSchema,
    /// For authenticating tokens.
    pub db: DatabaseConnection,
    /// Whether `/graphiql` is served.
    pub graphiql: bool,
    /// A built site to preview at `/` (`zhaoshang site build`), if any.
    pub site: Option<std::path::PathBuf>,
    /// Content type, tokens and failed-authentication limits of `POST /graphql`.
    pub gate: Gate,
    /// The largest request body accepted (default [`MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
}

impl ServerState {
    /// The state with the defaults: GraphiQL on, no site, [`MAX_BODY_BYTES`], tokens
    /// trusted for [`super::gate::TOKEN_CACHE_TTL`].
    pub fn new(schema: ZhaoshangSchema, db: DatabaseConnection) -> ServerState {
        ServerState { schema, db, graphiql: true, site: None, gate: Gate::default(), max_body_bytes: MAX_BODY_BYTES }
    }
}

#[handler]
async fn graphql(state: Data<&Arc<ServerState>>, request: &Request, body: poem::Body) -> Response {
    let graphql_request = match read_request(request, body, state.max_body_bytes).await {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let viewer = match state.gate.viewer(&state.db, request).await {
        Ok(viewer) => viewer,
        Err(refusal) => return refusal.into_response(),
    };
    GraphQLResponse::from(execute(&state.schema, graphql_request, viewer).await).into_response()
}

#[handler]
async fn graphiql(state: Data<&Arc<ServerState>>) -> Response {
    if state.graphiql { super::graphiql::page() } else { poem::http::StatusCode::NOT_FOUND.into_response() }
}

#[handler]
async fn graphiql_asset(state: Data<&Arc<ServerState>>, Path(name): Path<String>, request: &Request) -> Response {
    if state.graphiql {
        super::graphiql::asset(&name, request)
    } else {
        poem::http::StatusCode::NOT_FOUND.into_response()
    }
}

#[handler]
async fn healthz(state: Data<&Arc<ServerState>>) -> Response {
    match state.db.ping().await {
        Ok(()) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (poem::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Serves a file of the built site for preview; folders serve their `index.html`.
#[handler]
async fn site_file(state: Data<&Arc<ServerState>>, request: &Request) -> Response {
    let not_found = || poem::http::StatusCode::NOT_FOUND.into_response();
    let Some(root) = &state.site else { return not_found() };
    let path = request.uri().path().trim_start_matches('/');
    // Only plain segments: no way out of the site's folder.
    if path.split('/').any(|part| part == ".." || part.starts_with('.') && !part.is_empty() || part.contains('\\')) {
        return not_found();
    }
    let mut file = root.join(path);
    if path.is_empty() || path.ends_with('/') || file.is_dir() {
        file = file.join("index.html");
    }
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => Response::builder().content_type(kind).body(bytes),
        Err(_) => match tokio::fs::read(root.join("404.html")).await {
            Ok(page) => Response::builder()
                .status(poem::http::StatusCode::NOT_FOUND)
                .content_type("text/html; charset=utf-8")
                .body(page),
            Err(_) => not_found(),
        },
    }
}

/// The routes with their middleware.
pub fn app(state: ServerState) -> impl Endpoint {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let max_body_bytes = state.max_body_bytes;
    Route::new()
        .at("/graphql", post(graphql).with(SizeLimit::new(max_body_bytes)))
        .at("/graphiql", get(graphiql))
        .at("/graphiql/assets/:name", get(graphiql_asset))
        .at("/healthz", get(healthz))
        .at("/", get(site_file))
        .at("/*path", get(site_file))
        .data(Arc::new(state))
        .around(|endpoint, request| async move {
            let id = request
                .header("x-request-id")
                .map(str::to_string)
                .unwrap_or_else(|| format!("r{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
            let span =
                tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
            async move {
                let started = Instant::now();
                let result = endpoint.call(request).await;
                let mut response = match result {
                    Ok(r) => r.into_response(),
                    Err(e) => e.into_response(),
                };
                let millis = started.elapsed().as_secs_f64() * 1000.0;
                tracing::info!(status = response.status().as_u16(), ms = format_args!("{millis:.1}"), "handled");
                if let Ok(value) = id.parse() {
                    response.headers_mut().insert("x-request-id", value);
                }
                Ok(response)
            }
            .instrument(span)
            .await
        })
}

/// A server bound to an address, not yet running.
pub struct BoundServer {
    acceptor: poem::listener::TcpAcceptor,
    /// The address it listens on (the real port when bound to port 0).
    pub addr: SocketAddr,
}

/// Binds `addr` (use port 0 for any free port).
pub async fn bind(addr: &str) -> std::io::Result<BoundServer> {
    let acceptor = TcpListener::bind(addr.to_string()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no socket address"))?;
    Ok(BoundServer { acceptor, addr })
}

impl BoundServer {
    /// Serves until `shutdown` resolves, then lets requests in flight finish (≤ 10 s).
    pub async fn serve(
        self,
        state: ServerState,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app(state), shutdown, Some(std::time::Duration::from_secs(10)))
            .await
    }
}
