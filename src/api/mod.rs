//! The GraphQL API over the project graph and its analytics (async-graphql).
//!
//! - [`scalars`]: `Date`, `Stage`, 万元 helpers.
//! - [`graph`]: the graph's types and relations; [`query`]: lookups and lists;
//!   [`mutation`]: audited writes; [`analytics`]: the metrics of `docs/metrics.md`.
//! - [`auth`]: tokens, roles and guards; [`error`]: the one error type and its codes.
//! - [`loaders`]: per-request DataLoaders; [`server`]: the poem HTTP server;
//!   [`graphiql`]: GraphiQL with its assets built in.
//!
//! The schema knows nothing of HTTP: [`execute`] runs a request for a viewer, and both
//! the server and the tests call it.

pub mod analytics;
pub mod auth;
pub mod error;
pub mod graph;
pub mod graphiql;
pub mod loaders;
pub mod mutation;
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
use auth::Viewer;
use error::ApiError;
use loaders::Loaders;

/// The query root: the graph and the analytics.
#[derive(MergedObject, Default)]
pub struct Query(query::GraphQuery, analytics::AnalyticsQuery, work::WorkQuery);

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
    /// The in-memory read snapshot (SQLite only).
    pub snapshots: Arc<snapshot::Snapshots>,
}

impl ApiState {
    /// The state for `db`, with the default ranking weights.
    pub fn new(db: DatabaseConnection, scoring: ScoringConfig) -> ApiState {
        let engine = Arc::new(Engine::new(db.clone()));
        let snapshots = snapshot::Snapshots::new(db.clone());
        ApiState { db, engine, scoring, snapshots }
    }
}

/// Limits and switches of the schema (OWASP GraphQL cheat sheet).
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// Deepest selection allowed.
    pub max_depth: usize,
    /// Largest complexity allowed (each field, alias included, counts 1).
    pub max_complexity: usize,
    /// Longest a request may run.
    pub timeout: Duration,
    /// Introspection (and GraphiQL) on.
    pub introspection: bool,
    /// "Did you mean …" suggestions in errors on.
    pub suggestions: bool,
    /// Serve reads from the in-memory snapshot when it is current (SQLite).
    pub read_snapshot: bool,
}

impl ApiOptions {
    /// Defaults for development, or locked down for production (`--production`).
    pub fn new(production: bool) -> Self {
        ApiOptions {
            max_depth: 12,
            max_complexity: 500,
            timeout: Duration::from_secs(30),
            introspection: !production,
            suggestions: !production,
            read_snapshot: true,
        }
    }
}

/// Builds the schema.
pub fn build_schema(state: ApiState, options: &ApiOptions) -> ZhaoshangSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(state)
        .data(options.clone())
        .limit_depth(options.max_depth)
        .limit_complexity(options.max_complexity)
        .limit_directives(20);
    if !options.introspection {
        builder = builder.disable_introspection();
    }
    if !options.suggestions {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// Runs one request as `viewer`, with fresh loaders and the time limit.
pub async fn execute(schema: &ZhaoshangSchema, request: Request, viewer: Viewer) -> Response {
    let state = schema.data::<ApiState>();
    let options = schema.data::<ApiOptions>();
    let timeout = options.map_or(Duration::from_secs(30), |o| o.timeout);
    let use_snapshot = options.is_some_and(|o| o.read_snapshot);
    let mut request = request.data(viewer);
    if let Some(state) = state {
        // Reads may come from the snapshot; anything that may write never does.
        let snapshot =
            if !use_snapshot || request.query.contains("mutation") { None } else { state.snapshots.fresh().await };
        request = request.data(Loaders::new(state.db.clone(), snapshot));
    }
    match tokio::time::timeout(timeout, schema.execute(request)).await {
        Ok(response) => response,
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
