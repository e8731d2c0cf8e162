//! The process's Prometheus metrics (the `prometheus` crate, served at `/metrics` in its
//! text format): HTTP requests and their latencies, GraphQL errors by code, the data
//! version, how long the analytics frames took to build and how often the cache served
//! them. One registry for the process; the server, the schema and the engine record into
//! it, and none of them formats the exposition itself.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    /// `zhaoshang_http_requests_total{route, status}`.
    pub requests: IntCounterVec,
    /// `zhaoshang_http_request_duration_seconds{route}`.
    pub latency: HistogramVec,
    /// `zhaoshang_http_requests_in_flight`.
    pub in_flight: IntGauge,
    /// `zhaoshang_graphql_errors_total{code}`: errors in GraphQL responses by
    /// `extensions.code` (`NONE` for errors without one, such as a parse error).
    pub graphql_errors: IntCounterVec,
    /// `zhaoshang_data_version`: the store's data version when last read.
    pub data_version: IntGauge,
    /// `zhaoshang_frames_build_seconds`: building the analytics frames.
    pub frames_build: Histogram,
    /// `zhaoshang_frames_behind_seconds`: from this process learning of a data version
    /// to analytics frames that include it answering, per version.
    pub frames_behind: Histogram,
    /// `zhaoshang_frames_update_seconds{step="wait"|"read"|"patch"|"prepare"}`: the steps
    /// of a server's background update of its frames after a write (see
    /// [`crate::analytics::Engine`]): waiting for its turn after the write was learnt,
    /// reading the changed rows, patching the frames, preparing the figures asked.
    pub frames_update: HistogramVec,
    /// `zhaoshang_frames_cache_total{result="hit"|"miss"}`: frames asked for, there
    /// already or waited for.
    pub frames_cache: IntCounterVec,
    /// `zhaoshang_analytics_answers_total{result="computed"|"kept"|"carried"|"prepared"|"patched"}`:
    /// analytics answers, by [`Answered`].
    pub analytics_answers: IntCounterVec,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new("zhaoshang_http_requests_total", "HTTP requests answered, by route and status."),
        &["route", "status"],
    )?;
    let latency = HistogramVec::new(
        HistogramOpts::new("zhaoshang_http_request_duration_seconds", "Time to answer an HTTP request, by route.")
            .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
        &["route"],
    )?;
    let in_flight = IntGauge::new("zhaoshang_http_requests_in_flight", "HTTP requests being answered.")?;
    let graphql_errors = IntCounterVec::new(
        Opts::new("zhaoshang_graphql_errors_total", "Errors in GraphQL responses, by extensions.code."),
        &["code"],
    )?;
    let data_version = IntGauge::new("zhaoshang_data_version", "The store's data version (latest change).")?;
    let frames_build = Histogram::with_opts(
        HistogramOpts::new("zhaoshang_frames_build_seconds", "Time to build the analytics frames from the store.")
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
    )?;
    let frames_behind = Histogram::with_opts(
        HistogramOpts::new(
            "zhaoshang_frames_behind_seconds",
            "From this process learning of a data version (its own commit, a notification or a poll) to analytics frames that include it answering, per version.",
        )
        .buckets(vec![0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0]),
    )?;
    let frames_update = HistogramVec::new(
        HistogramOpts::new(
            "zhaoshang_frames_update_seconds",
            "The steps of a background update of the analytics frames after a write: wait (from learning of the write to the update's start), read, patch, prepare.",
        )
        .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
        &["step"],
    )?;
    let frames_cache = IntCounterVec::new(
        Opts::new("zhaoshang_frames_cache_total", "Analytics frames asked for, by whether the cache had them."),
        &["result"],
    )?;
    let analytics_answers = IntCounterVec::new(
        Opts::new(
            "zhaoshang_analytics_answers_total",
            "Analytics answers: computed, kept from the same frames, carried from older frames whose parts it read are unchanged, prepared for new frames, or patched by the changed rows.",
        ),
        &["result"],
    )?;
    registry.register(Box::new(analytics_answers.clone()))?;
    registry.register(Box::new(requests.clone()))?;
    registry.register(Box::new(latency.clone()))?;
    registry.register(Box::new(in_flight.clone()))?;
    registry.register(Box::new(graphql_errors.clone()))?;
    registry.register(Box::new(data_version.clone()))?;
    registry.register(Box::new(frames_build.clone()))?;
    registry.register(Box::new(frames_behind.clone()))?;
    registry.register(Box::new(frames_update.clone()))?;
    registry.register(Box::new(frames_cache.clone()))?;
    Ok(Metrics {
        registry,
        requests,
        latency,
        in_flight,
        graphql_errors,
        data_version,
        frames_build,
        frames_behind,
        frames_update,
        frames_cache,
        analytics_answers,
    })
}

#[allow(clippy::expect_used)] // fixed names and labels: a failure is a bug seen by any test
static METRICS: LazyLock<Metrics> = LazyLock::new(|| build().expect("the metrics' names and labels are valid"));

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// Records a request answered.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        self.requests.with_label_values(&[route, &status.to_string()]).inc();
        self.latency.with_label_values(&[route]).observe(took.as_secs_f64());
    }

    /// Records frames asked for: `cached` when they were there, not when the request
    /// waited for a build.
    pub fn frames_asked(&self, cached: bool) {
        self.frames_cache.with_label_values(&[if cached { "hit" } else { "miss" }]).inc();
    }

    /// Records an analytics answer: `kept` from an earlier request, or computed.
    pub fn analytics_answered(&self, how: Answered) {
        let label = match how {
            Answered::Computed => "computed",
            Answered::Kept => "kept",
            Answered::Carried => "carried",
            Answered::Prepared => "prepared",
            Answered::Patched => "patched",
        };
        self.analytics_answers.with_label_values(&[label]).inc();
    }

    /// Records one step of a background update of the frames (`wait`, `read`, `patch`,
    /// `prepare`).
    pub fn frames_update_step(&self, step: &str, took: Duration) {
        self.frames_update.with_label_values(&[step]).observe(took.as_secs_f64());
    }

    /// Records a build of the frames (in the background or for a request).
    pub fn frames_built(&self, took: Duration) {
        self.frames_build.observe(took.as_secs_f64());
    }

    /// The exposition in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// The route label of a request path: the route, not the path, so that the site's many
/// pages do not each make a series.
pub fn route_of(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/graphiql" => "/graphiql",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        p if p.starts_with("/graphiql/assets/") => "/graphiql/assets",
        _ => "site",
    }
}

/// How an analytics answer was come by.
#[derive(Clone, Copy, Debug)]
pub enum Answered {
    /// Computed for the request (or by the request it waited for).
    Computed,
    /// Kept from an earlier request on the same frames.
    Kept,
    /// Kept from older frames whose parts it read are unchanged.
    Carried,
    /// Computed in the background for new frames before they were swapped in, for the
    /// requests to come (not a request's answer).
    Prepared,
    /// Patched from the answer of the frames before by the changed projects' rows (a
    /// figure that is a sum over projects), for a request or before a swap.
    Patched,
}
