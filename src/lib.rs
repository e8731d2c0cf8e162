//! zhaoshang (招商): investment-promotion project tracking for district governments.
//!
//! Layout:
//! - [`markup`]: escaping user text for XML and HTML, dropping what XML forbids.
//! - [`money`]: 万元 at the edges, exact yuan inside.
//! - [`rules`]: stages, reach dates and the row rules every write obeys.
//! - [`policy`]: the one access table: who may read each field, filter and history column.
//! - [`ledger`]: reading and writing ledgers (台账), xlsx or CSV, with row-level errors.
//! - [`store`]: connecting, migrating, importing into and reading the project graph.
//! - [`analytics`]: every metric of `docs/metrics.md` on polars frames.
//! - [`api`]: the GraphQL API (async-graphql on poem): graph, analytics, roles, limits.
//! - [`bulletin`]: the semi-monthly bulletin (通报) in Markdown or HTML.
//! - [`charts`]: plotters charts with embedded Chinese glyphs, PNG and SVG.
//! - [`publish`]: decks of slides (PNG, SVG, CSV, .pptx, .xlsx) from the engine and the charts.
//! - [`demo`]: a deterministic demo district, generated as a ledger.
//! - [`jobs`]: the main jobs (import, export, demo) shared by the CLI and the tests.
//! - [`config`]: the one typed configuration (`zhaoshang.toml`, environment, flags).
//! - [`metrics`]: the Prometheus metrics of the process (`/metrics`).
//! - [`background`]: threads for the server's background work, above its request threads.
//! - [`cli`]: the command line.

pub mod allocator;
pub mod analytics;
pub mod api;
pub mod background;
pub mod bulletin;
pub mod charts;
pub mod cli;
pub mod config;
pub mod demo;
pub mod jobs;
pub mod keyed;
pub mod ledger;
pub mod markup;
pub mod metrics;
pub mod money;
pub mod policy;
pub mod publish;
pub mod rules;
pub mod store;
