//! The GraphQL API over the project graph and its analytics (async-graphql).
//!
//! - [`scalars`]: `Date`, `Stage`, 万元 helpers.
//! - [`graph`]: the graph's types and relations; [`query`]: lookups and lists;
//!   [`mutation`]: audited writes; [`analytics`]: the metrics of `docs/metrics.md`;
//!   [`promotion`]: industry chains and carriers.
//! - [`auth`]: tokens, roles and the policy guard; [`gate`]: what a POST passes before
//!   the schema; [`error`]: the one error type and its codes.
//! - [`limits`]: data depth without introspection, list complexity, response size.
//! - [`loaders`]: per-request DataLoaders; [`server`]: the poem HTTP server;
//!   [`graphiql`]: GraphiQL with its assets built in.
//!
//! The schema knows nothing of HTTP: [`execute`] runs a request for a viewer, and both
//! the server and the tests call it.

pub mod analytics;
pub mod auth;
pub mod error;
pub mod gate;
pub mod graph;
pub mod graphiql;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod promotion;
pub mod query;
pub mod scalars;
pub mod server;
pub mod snapshot;
pub mod work;
pub mod work_mutation;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{
    Context, EmptySubscription, ErrorExtensions, MergedObject, Request, Response, Schema, ServerError,
};
use sea_orm::DatabaseConnection;

use crate::analytics::Engine;
use crate::analytics::scorecard::ScoringConfig;
use crate::store::feed::{Follower, Observed};
use auth::Viewer;
use error::ApiError;
use loaders::Loaders;

/// The query root: the graph and the analytics.
#[derive(MergedObject, Default)]
pub struct Query(query::GraphQuery, analytics::AnalyticsQuery, promotion::PromotionQuery, work::WorkQuery);

/// The mutation root: the graph's writes and those of the work around the pipeline,
/// one type (`GraphMutation`) for clients and the access policy.
#[derive(MergedObject, Default)]
#[graphql(name = "GraphMutation")]
pub struct Mutation(mutation::GraphMutation, work_mutation::WorkMutation);

/// The schema type.
pub type ZhaoshangSchema = Schema<Query, Mutation, EmptySubscription>;

/// What every resolver may reach.
pub struct ApiState {
    /// The store.
    pub db: DatabaseConnection,
    /// The analytics engine with its cached frames.
    pub engine: Arc<Engine>,
    /// Ranking weights and bottom size.
    pub scoring: ScoringConfig,
    /// The in-memory read snapshot.
    pub snapshots: Arc<snapshot::Snapshots>,
    /// What this server knows of the data version; every cache above follows it.
    pub follower: Arc<Follower>,
    /// The last data version each caller (token name) wrote on this server.
    written: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl ApiState {
    /// The state for `db` with these ranking weights, following `db`'s change feed
    /// (needs a tokio runtime). Requests read and write through `db`, and so does the
    /// read snapshot; the follower and the analytics frames follow the feed on
    /// connections and threads of their own ([`crate::store::following_pool`],
    /// [`crate::background::spawn_following`]). Not the snapshot: its full build copies
    /// every project and month at a third of the time, and above lowered request
    /// threads (`--serving-nice`) that copy took the cores from them — from writes among
    /// them, whose transactions then held their rows for seconds (BENCHMARKS.md,
    /// 2026-12-01).
    pub fn new(db: DatabaseConnection, scoring: ScoringConfig) -> ApiState {
        let following = crate::store::following_pool(&db);
        let follower = Follower::spawn(following.clone());
        let engine = Engine::following(following, follower.clone());
        let snapshots = snapshot::Snapshots::new(db.clone(), follower.clone());
        ApiState { db, engine, scoring, snapshots, follower, written: Default::default() }
    }

    /// After a commit of `writer` on this server that produced `version`: the caches learn
    /// of it at once (the read snapshot is patched before the next read), and the
    /// writer's next requests here take their figures from frames that include it
    /// ([`crate::analytics::one_version`]). The write's answer does not wait for the
    /// frames: a stream of writes from one client is not slowed by the analytics.
    pub fn written(&self, version: i64, writer: &str) {
        self.follower.saw(version);
        crate::store::feed::wrote(version);
        if let Ok(mut written) = self.written.lock() {
            let last = written.entry(writer.to_string()).or_default();
            *last = (*last).max(version);
        }
    }

    /// The last data version `caller` wrote on this server (0 when none).
    pub fn written_by(&self, caller: &str) -> i64 {
        self.written.lock().ok().and_then(|w| w.get(caller).copied()).unwrap_or(0)
    }
}

impl ApiState {
    /// Builds the analytics frames, then the read snapshot (when `read_snapshot`), in
    /// the background, so that a server answers at once: the first analytics request
    /// waits for the frames, and reads use SQL until the snapshot is ready. The frames
    /// come first because the analytics cannot answer without them while the graph can:
    /// at 1,000,000 projects on SQLite the snapshot took 37 s and the frames 11 s, so
    /// the other way round nothing but the graph answered for 48 s (BENCHMARKS.md).
    pub fn warm_in_background(&self, read_snapshot: bool) {
        let (snapshots, engine) = (self.snapshots.clone(), self.engine.clone());
        let frames = crate::background::spawn_following(async move { engine.warm().await });
        tokio::spawn(async move {
            match frames.await {
                Ok(Err(e)) => tracing::warn!(error = %e, "the analytics frames could not be built at start"),
                Err(e) => tracing::warn!(error = %e, "the analytics frames' first build stopped"),
                Ok(Ok(())) => {}
            }
            if read_snapshot && let Err(e) = snapshots.build_now().await {
                tracing::warn!(error = %e, "no read snapshot at start; reads use SQL until one is built");
            }
        });
    }

    /// The data version this server knows.
    pub fn data_version(&self) -> i64 {
        self.follower.version()
    }
}

/// Limits and switches of the schema (OWASP GraphQL cheat sheet).
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// Deepest selection of data allowed (introspection is not counted: see [`limits`]).
    pub max_depth: usize,
    /// Largest complexity allowed: each field and alias counts 1, and a list counts its
    /// page size (or estimated length) times its children.
    pub max_complexity: usize,
    /// Longest a request may run.
    pub timeout: Duration,
    /// Introspection (and GraphiQL) on.
    pub introspection: bool,
    /// "Did you mean …" suggestions in errors on.
    pub suggestions: bool,
    /// Serve reads from the in-memory snapshot when it is current.
    pub read_snapshot: bool,
    /// The largest response a request may build ([`limits::ResponseBudget`]).
    pub max_response_bytes: usize,
}

impl ApiOptions {
    /// Defaults for development, or locked down for production (`--production`).
    pub fn new(production: bool) -> Self {
        ApiOptions {
            max_depth: 12,
            max_complexity: 20_000,
            timeout: Duration::from_secs(30),
            introspection: !production,
            suggestions: !production,
            read_snapshot: true,
            max_response_bytes: limits::MAX_RESPONSE_BYTES,
        }
    }
}

/// Builds the schema.
pub fn build_schema(state: ApiState, options: &ApiOptions) -> ZhaoshangSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(state)
        .data(options.clone())
        // The data depth is checked in `execute`, introspection left out; this bounds all.
        .limit_depth(options.max_depth.max(limits::MAX_DEPTH_WITH_INTROSPECTION))
        .limit_complexity(options.max_complexity)
        .limit_directives(20)
        .extension(limits::ResponseBudget { max_bytes: options.max_response_bytes });
    if !options.introspection {
        builder = builder.disable_introspection();
    }
    if !options.suggestions {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// Runs one request as `viewer`, with fresh loaders and the time limit. The response
/// carries `extensions.dataVersion`: the data version it was computed from (the version
/// a mutation produced; for reads the oldest version of the data used — snapshot,
/// analytics frames — or the version this server knew when it started reading SQL).
pub async fn execute(schema: &ZhaoshangSchema, request: Request, viewer: Viewer) -> Response {
    let observed = Arc::new(Observed::default());
    let known = schema.data::<ApiState>().map_or(0, ApiState::data_version);
    let at_least = schema.data::<ApiState>().map_or(0, |s| s.written_by(&viewer.name));
    let work = crate::analytics::one_version(at_least, execute_observed(schema, request, viewer));
    let mut response = observed.clone().scope(work).await;
    response.extensions.insert("dataVersion".into(), async_graphql::Value::from(observed.version(known)));
    response
}

async fn execute_observed(schema: &ZhaoshangSchema, mut request: Request, viewer: Viewer) -> Response {
    let state = schema.data::<ApiState>();
    let options = schema.data::<ApiOptions>();
    let timeout = options.map_or(Duration::from_secs(30), |o| o.timeout);
    let use_snapshot = options.is_some_and(|o| o.read_snapshot);
    // Parsed once: the request keeps the document for the execution.
    if let Ok(document) = request.parsed_query()
        && limits::data_depth(document) > options.map_or(12, |o| o.max_depth)
    {
        // The same words as async-graphql's own limit.
        return Response::from_errors(vec![ServerError::new("Query is nested too deep.", None)]);
    }
    let mut request = request.data(viewer);
    if let Some(state) = state {
        // Reads may come from the snapshot; anything that may write never does.
        let snapshot = if !use_snapshot || request.query.contains("mutation") { None } else { state.snapshots.fresh() };
        request = request.data(Loaders::new(state.db.clone(), snapshot));
    }
    match tokio::time::timeout(timeout, schema.execute(request)).await {
        Ok(mut response) => {
            // No error echoes a long piece of the request (a 400 KB field name …).
            for error in &mut response.errors {
                if error.message.chars().count() > gate::MAX_MESSAGE_CHARS {
                    error.message = gate::excerpt(&error.message);
                }
            }
            // Over budget: the fields resolved after it was spent failed; the answer is
            // that one error, not a partial result (the budget counts while resolving,
            // the exact size of what was built is checked here).
            let max = options.map_or(limits::MAX_RESPONSE_BYTES, |o| o.max_response_bytes);
            let message = limits::over_budget_message(max);
            // Serialized to measure only when it may be too large: the response's own
            // serialization is the server's, once.
            if response.errors.iter().any(|e| e.message == message)
                || limits::json_bytes_at_most(&response.data) > max
                    && serde_json::to_vec(&response.data).map_or(0, |b| b.len()) > max
            {
                return Response::from_errors(vec![ServerError::new(message, None)]);
            }
            response
        }
        Err(_) => {
            let error =
                ServerError::new(format!("the request took longer than {} s and was stopped", timeout.as_secs()), None);
            let mut error = error;
            error.extensions = ErrorExtensions::extend(&ApiError::Internal("timeout".into())).extensions;
            Response::from_errors(vec![error])
        }
    }
}

/// The shared state of a resolver's schema.
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a ApiState, ApiError> {
    ctx.data::<ApiState>().map_err(|_| ApiError::Internal("no ApiState in the schema".into()))
}

/// The loaders of the current request.
pub fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, ApiError> {
    ctx.data::<Loaders>().map_err(|_| ApiError::Internal("no loaders in the request".into()))
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription).finish().sdl()
}
