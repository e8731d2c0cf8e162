//! The HTTP server (poem): `POST /graphql` (behind [`super::gate`]: JSON only, bearer
//! tokens, failed-authentication limits, a body size cap), GraphiQL at `/graphiql`,
//! `GET /healthz` (alive), `GET /readyz` (database, migrations, analytics), `GET /metrics`
//! (Prometheus), request ids and durations in the logs, and a graceful shutdown that lets
//! every request in flight finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_graphql_poem::GraphQLResponse;
use poem::listener::{Acceptor, Listener, TcpListener};
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
    let counters = crate::metrics::metrics();
    let graphql_request = match read_request(request, body, state.max_body_bytes).await {
        Ok(r) => r,
        Err(refusal) => {
            counters.graphql_errors.with_label_values(&[refusal.code]).inc();
            return refusal.into_response();
        }
    };
    let viewer = match state.gate.viewer(&state.db, request).await {
        Ok(viewer) => viewer,
        Err(refusal) => {
            counters.graphql_errors.with_label_values(&[refusal.code]).inc();
            return refusal.into_response();
        }
    };
    let response = execute(&state.schema, graphql_request, viewer).await;
    for error in &response.errors {
        let code = match error.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(async_graphql::Value::String(code)) => code.as_str(),
            _ => "NONE",
        };
        counters.graphql_errors.with_label_values(&[code]).inc();
    }
    GraphQLResponse::from(response).into_response()
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

/// Alive: the process answers (whether it can serve is `/readyz`).
#[handler]
async fn healthz() -> &'static str {
    "ok"
}

/// Ready to serve: the database answers, no migration is pending, and the analytics
/// frames are built. 200 with each check's state, or 503 naming what is not ready; also
/// whether the graph's read snapshot is built yet (`readSnapshot`: ok, building, off).
#[handler]
async fn readyz(state: Data<&Arc<ServerState>>) -> Response {
    use sea_orm_migration::MigratorTrait;
    let database = match state.db.ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => {
            tracing::error!(error = %e, "readiness: the database does not answer");
            "unreachable".into()
        }
    };
    let migrations = if database != "ok" {
        "unknown".to_string()
    } else {
        match entities::migration::Migrator::get_pending_migrations(&state.db).await {
            Ok(pending) if pending.is_empty() => "ok".into(),
            Ok(pending) => format!("{} pending", pending.len()),
            Err(e) => {
                tracing::error!(error = %e, "readiness: cannot read the migrations");
                "unknown".into()
            }
        }
    };
    let analytics = match state.schema.data::<super::ApiState>() {
        Some(api) if api.engine.is_ready() => "ok",
        Some(_) => "warming up",
        None => "unavailable",
    };
    // Not a condition of readiness: the graph reads through SQL until its snapshot is
    // built (after the frames, at start), then from memory.
    let read_snapshot = match (state.schema.data::<super::ApiState>(), state.schema.data::<super::ApiOptions>()) {
        (Some(api), Some(options)) if options.read_snapshot => {
            if api.snapshots.is_built() {
                "ok"
            } else {
                "building"
            }
        }
        _ => "off",
    };
    let ready = database == "ok" && migrations == "ok" && analytics == "ok";
    let body = serde_json::json!({
        "ready": ready,
        "database": database,
        "migrations": migrations,
        "analytics": analytics,
        "readSnapshot": read_snapshot,
    });
    let status = if ready { poem::http::StatusCode::OK } else { poem::http::StatusCode::SERVICE_UNAVAILABLE };
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

/// The Prometheus metrics (text format 0.0.4).
#[handler]
async fn metrics(state: Data<&Arc<ServerState>>) -> Response {
    let m = crate::metrics::metrics();
    if let Ok(version) = crate::store::data_version(&state.db).await {
        m.data_version.set(version);
    }
    match m.render() {
        Ok(text) => Response::builder().content_type("text/plain; version=0.0.4; charset=utf-8").body(text),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the metrics");
            poem::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
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
    Route::new()
        // The body limit is the gate's (`read_request`): its 413 is a JSON error too.
        .at("/graphql", post(graphql))
        .at("/graphiql", get(graphiql))
        .at("/graphiql/assets/:name", get(graphiql_asset))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
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
            let route = crate::metrics::route_of(request.uri().path());
            async move {
                let started = Instant::now();
                let in_flight = &crate::metrics::metrics().in_flight;
                in_flight.inc();
                let result = endpoint.call(request).await;
                in_flight.dec();
                let mut response = match result {
                    Ok(r) => r.into_response(),
                    Err(e) => e.into_response(),
                };
                crate::metrics::metrics().request(route, response.status().as_u16(), started.elapsed());
                // A number (tenths of a millisecond), so JSON logs can be summed and sorted.
                let ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
                tracing::info!(status = response.status().as_u16(), ms, "handled");
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
    /// Serves until `shutdown` resolves, then stops accepting and lets every request in
    /// flight finish: the grace period is longer than the API's request timeout, so a
    /// write is never cut off by the shutdown.
    pub async fn serve(
        self,
        state: ServerState,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let timeout = state.schema.data::<super::ApiOptions>().map_or(Duration::from_secs(30), |o| o.timeout);
        let shutdown = async move {
            shutdown.await;
            tracing::info!(
                in_flight = crate::metrics::metrics().in_flight.get(),
                "shutting down: no new connections; requests in flight finish"
            );
        };
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app(state), shutdown, Some(timeout + Duration::from_secs(5)))
            .await
    }
}
