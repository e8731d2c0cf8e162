//! The analytics engine: every figure of `docs/metrics.md`, computed on polars frames
//! built from the store and cached until the data version changes.
//!
//! - [`frames`]: the projects and progress frames (reach dates per the spec).
//! - [`volume`]: volume metrics by month or by unit, and trends with YTD and YoY.
//! - [`cohort`]: cohort rates, the funnel and the pipeline.
//! - [`alerts`]: 零招引, 零签约, 全军覆没, overdue, stalled, aging issues.
//! - [`scorecard`]: quarterly unit scorecards and ranking (季度考核排名).
//! - [`chains`]: industry-chain links 已有/在建/在谈/缺失, coverage and strength.
//! - [`carriers`]: available carriers, supply per unit and kind, matched land issues.
//!
//! Everything takes an as-of day: only dates on or before it count. The functions are
//! pure and CPU-bound; async callers run them in the background
//! ([`crate::background::run`]; polars' `collect` must not run on tokio's threads).

pub mod alerts;
pub mod carriers;
pub mod chains;
pub mod cohort;
pub mod engagement;
pub mod events;
pub mod frames;
pub mod incentives;
pub mod scorecard;
pub mod supervision;
pub mod volume;
pub mod work;

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

pub use frames::Frames;
use frames::{Reads, Stamps};

use crate::metrics::Answered;
use crate::store::feed::Follower;

/// Errors of the analytics engine.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// Reading the store failed.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A polars computation failed (a bug, not bad input).
    #[error("computation failed: {0}")]
    Polars(#[from] PolarsError),
    /// The question itself is wrong (bad period, bad quarter…).
    #[error("{0}")]
    BadInput(String),
    /// A background computation did not finish.
    #[error("{0}")]
    Task(#[from] crate::background::Failed),
    /// The request that asked for it was stopped (its time limit passed) before it ran.
    #[error("the computation was cancelled")]
    Cancelled,
}

/// How many computations run at once: the rest wait their turn (and their request's time
/// limit), so stopped requests cannot pile up work on every core.
pub const CONCURRENT_COMPUTATIONS: usize = 2;

/// The turns of [`CONCURRENT_COMPUTATIONS`], shared by every engine of the process.
fn turns() -> Arc<tokio::sync::Semaphore> {
    static TURNS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    TURNS.get_or_init(|| Arc::new(tokio::sync::Semaphore::new(CONCURRENT_COMPUTATIONS))).clone()
}

thread_local! {
    /// The cancellation flag of the computation running on this blocking thread.
    static CANCELLED: std::cell::RefCell<Option<Arc<std::sync::atomic::AtomicBool>>> =
        const { std::cell::RefCell::new(None) };
}

/// Err([`AnalyticsError::Cancelled`]) when the request of the computation running on this
/// thread was stopped: long computations call it between steps.
pub fn check_cancelled() -> Result<(), AnalyticsError> {
    let stopped = CANCELLED.with(|c| c.borrow().as_ref().is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed)));
    if stopped { Err(AnalyticsError::Cancelled) } else { Ok(()) }
}

/// A lazy query run as one step of a computation. Polars cannot interrupt a running
/// query, so a stopped request's computation ends at the next step's boundary: every
/// query of the metrics runs through [`Step::step`], which refuses to start once the
/// request is stopped and drops the result of a step it was stopped during. At 1,000,000
/// projects a step takes tens of milliseconds (BENCHMARKS.md), which bounds the overrun.
pub trait Step {
    /// Collects the query, checking [`check_cancelled`] before and after.
    fn step(self) -> Result<DataFrame, AnalyticsError>;
}

impl Step for LazyFrame {
    fn step(self) -> Result<DataFrame, AnalyticsError> {
        check_cancelled()?;
        let df = self.collect()?;
        check_cancelled()?;
        Ok(df)
    }
}

/// Sets its flag when dropped: the future of [`Engine::run`] was dropped (its request
/// timed out) or finished.
struct CancelOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The volume metrics of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// 签约项目数: projects that reached SIGNED in the period.
    SignedCount,
    /// 签约金额: their total investment.
    SignedInvestment,
    /// 新开工项目数: projects that reached STARTED in the period.
    NewStarts,
    /// 千万元以上新开工项目数: those with total investment ≥ 1,000 万元.
    NewStarts10m,
    /// 新招引项目数: projects that reached INTENT in the period.
    Intake,
    /// 固定资产投资完成额: Σ progress.fai.
    Fai,
    /// 到位资金: Σ progress.funds_arrived.
    FundsArrived,
    /// 实际利用市域外资金: Σ progress.out_of_region_funds.
    OutOfRegionFunds,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 8] = [
        Metric::SignedCount,
        Metric::SignedInvestment,
        Metric::NewStarts,
        Metric::NewStarts10m,
        Metric::Intake,
        Metric::Fai,
        Metric::FundsArrived,
        Metric::OutOfRegionFunds,
    ];

    /// The name used in the API and in deck files (`FAI`, `SIGNED_INVESTMENT`, …).
    pub fn name(self) -> &'static str {
        match self {
            Metric::SignedCount => "SIGNED_COUNT",
            Metric::SignedInvestment => "SIGNED_INVESTMENT",
            Metric::NewStarts => "NEW_STARTS",
            Metric::NewStarts10m => "NEW_STARTS_10M",
            Metric::Intake => "INTAKE",
            Metric::Fai => "FAI",
            Metric::FundsArrived => "FUNDS_ARRIVED",
            Metric::OutOfRegionFunds => "OUT_OF_REGION_FUNDS",
        }
    }

    /// The metric of a name (`FAI`, …).
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether values are money (yuan inside, 万元 at the edges) rather than counts.
    pub fn is_money(self) -> bool {
        matches!(self, Metric::SignedInvestment | Metric::Fai | Metric::FundsArrived | Metric::OutOfRegionFunds)
    }

    /// The Chinese name used on charts and in bulletins.
    pub fn label_zh(self) -> &'static str {
        match self {
            Metric::SignedCount => "签约项目数",
            Metric::SignedInvestment => "签约金额",
            Metric::NewStarts => "新开工项目数",
            Metric::NewStarts10m => "千万元以上新开工项目数",
            Metric::Intake => "新招引项目数",
            Metric::Fai => "固定资产投资完成额",
            Metric::FundsArrived => "到位资金",
            Metric::OutOfRegionFunds => "实际利用市域外资金",
        }
    }

    /// The metric of a target's key (`signed_count`, …, `fai`).
    pub fn from_target_key(key: &str) -> Option<Metric> {
        Some(match key {
            "signed_count" => Metric::SignedCount,
            "signed_investment" => Metric::SignedInvestment,
            "new_starts" => Metric::NewStarts,
            "new_starts_10m" => Metric::NewStarts10m,
            "fai" => Metric::Fai,
            _ => return None,
        })
    }
}

/// Which projects a figure covers; empty lists mean all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectFilter {
    /// Unit codes.
    pub units: Vec<String>,
    /// Industry names.
    pub industries: Vec<String>,
    /// 招商方式 values.
    pub channels: Vec<String>,
    /// Key projects (重点项目) only.
    pub key_only: bool,
}

impl ProjectFilter {
    /// The filter as a polars predicate on a frame with `unit`, `industry`, `channel`
    /// and `key_project` columns.
    pub fn predicate(&self) -> Expr {
        let any_of = |column: &str, values: &[String]| {
            values.iter().map(|v| col(column).eq(lit(v.as_str()))).reduce(|a, b| a.or(b)).unwrap_or(lit(true))
        };
        let mut predicate = any_of("unit", &self.units)
            .and(any_of("industry", &self.industries))
            .and(any_of("channel", &self.channels));
        if self.key_only {
            predicate = predicate.and(col("key_project"));
        }
        predicate
    }
}

/// Today in China (UTC+8): the default as-of day of every figure.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Days since 1970-01-01, polars' representation of a date.
pub fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// A date literal for comparisons with `Date` columns.
pub fn date_lit(d: NaiveDate) -> Expr {
    lit(epoch_days(d)).cast(DataType::Date)
}

/// Months since year 0: `year * 12 + month - 1`, the key that trends group by.
pub fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

/// The first day of the month with this index.
pub fn month_start(index: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or_default()
}

/// The last day of the month with this index.
pub fn month_end(index: i32) -> NaiveDate {
    month_start(index + 1).pred_opt().unwrap_or_default()
}

/// The month index of a `Date` column, as a polars expression.
pub fn month_index_expr(column: &str) -> Expr {
    col(column).dt().year().cast(DataType::Int32) * lit(12) + col(column).dt().month().cast(DataType::Int32) - lit(1)
}

/// The least time between the starts of two background updates of a server's frames:
/// what a write may wait, at most, besides the update itself, to reach the figures.
pub const COALESCE: std::time::Duration = std::time::Duration::from_millis(200);

/// The most time a following engine spends computing recently asked figures on new
/// frames before it swaps them in ([`Engine::prepare`]); the rest are computed when asked.
pub const PREPARE_BUDGET: std::time::Duration = std::time::Duration::from_millis(500);

/// How long a request's figures wait, at most, for the frames to include its caller's
/// last write on this server (read-your-writes); past it they come from the frames there
/// are, whose version the answer states.
pub const READ_YOUR_WRITES_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

tokio::task_local! {
    static PINNED: std::sync::Mutex<Option<Arc<Frames>>>;
    /// The data version the request's figures must include.
    static AT_LEAST: i64;
}

/// Runs `work` (one API request) so that all its figures come from the same frames,
/// even if newer ones are swapped in meanwhile, and from frames that include data
/// version `at_least` (its caller's last write on this server; waited for at most
/// [`READ_YOUR_WRITES_WAIT`]).
pub async fn one_version<F: std::future::Future>(at_least: i64, work: F) -> F::Output {
    AT_LEAST.scope(at_least, PINNED.scope(std::sync::Mutex::new(None), work)).await
}

/// Frames cached per data version, shared by the API, the bulletin and the exports.
///
/// Built from the store on first use. A plain engine ([`Engine::new`], the command line)
/// reads the data version on each use and rebuilds before answering when it moved. An
/// engine following the change feed ([`Engine::following`], the server) never makes a
/// request wait for a rebuild once it has frames: when the feed moves it makes new
/// frames in the background and swaps them in atomically (never an older build over a
/// newer one), and requests meanwhile get the current frames, whose version the answer
/// states (`extensions.dataVersion`); the figures asked recently are computed on the new
/// frames before the swap ([`Engine::prepare`]). Only the first build is waited for.
/// New frames are patched from the current ones by the projects that changed when the
/// feed says only projects and their progress changed ([`Frames::patched`]: the writes
/// of every day), and built from scratch otherwise (imports, new projects, units, …).
pub struct Engine {
    db: DatabaseConnection,
    follower: Option<Arc<Follower>>,
    current: tokio::sync::watch::Sender<Option<Arc<Frames>>>,
    /// Held while a build runs: one build at a time, and the first request waits on it.
    building: Mutex<()>,
    /// Answers of the latest frames' version ([`Engine::run_keyed`]).
    answers: Answers,
}

/// Answers kept by key (the computation and every input it takes), each with the
/// frames it was computed from and the parts of them it read.
///
/// An answer is given again for the frames it was computed from, and for newer frames
/// whose parts it read have the same content ([`Stamps::agree`]): a write to a field the
/// frames do not hold, or to progress when the figure reads only projects, leaves it
/// true. One computation per key and frames runs at a time; who asks meanwhile waits for
/// it instead of computing it again. A following engine computes the figures asked in
/// the last [`Answers::RECENT`] for new frames before it swaps them in
/// ([`Engine::prepare`]), so that a dashboard's next answers are ready when its figures
/// move. Each key keeps the answers of at most two frames (those served and the newer
/// ones prepared); at most [`Answers::MOST`] keys are kept (then those not asked
/// recently go, or all: dashboards ask few distinct figures, and an answer can be large
/// — a funnel lists its members).
#[derive(Default)]
struct Answers(std::sync::Mutex<std::collections::HashMap<String, Asked>>);

/// A figure asked for: how to compute it, when it was last asked, and its answers.
struct Asked {
    recipe: Recipe,
    asked: std::time::Instant,
    /// By frames version, oldest first; at most two.
    kept: Vec<Kept>,
}

/// How to compute a figure from any frames, and, for a sum over projects, how to patch it.
#[derive(Clone)]
struct Recipe {
    compute: Compute,
    /// For an [`Additive`] figure: its answer on patched frames from its answer on the
    /// frames patched and its answers on the changed rows before and after.
    patch: Option<Patch>,
}

/// A figure's computation on any frames.
type Compute = Arc<dyn Fn(&Frames) -> Result<Answer, AnalyticsError> + Send + Sync>;

/// [`Additive::patched`] on kept answers: (base, before, after) → answer.
type Patch = Arc<dyn Fn(&Answer, &Answer, &Answer) -> Result<Answer, AnalyticsError> + Send + Sync>;

impl Recipe {
    /// The answer on `frames`: patched from `base` (an answer that holds for the frames
    /// they were patched from) when there is one, else computed over every row.
    fn answer(&self, frames: &Frames, base: Option<&Answer>) -> Result<Answer, AnalyticsError> {
        match (base, &self.patch, frames.delta()) {
            (Some(base), Some(patch), Some(delta)) => {
                let before = (self.compute)(&delta.before)?;
                let after = (self.compute)(&delta.after)?;
                patch(base, &before, &after)
            }
            _ => (self.compute)(frames),
        }
    }
}

/// A figure that is a sum over projects — each project's rows and progress months add
/// their own share, whatever the other projects hold (the volume trends' month sums, the
/// cohort, the pipeline). On frames made by a patch ([`frames::Delta`]) its answer is its
/// answer on the frames patched, less its answer on the changed projects' rows as they
/// were, plus its answer on them as they are: a write to one project costs a computation
/// over that project's rows, not over a million ([`Engine::run_additive`]).
pub trait Additive: Sized {
    /// `self` (the answer on the frames patched) less `before`, plus `after`.
    fn patched(&self, before: &Self, after: &Self) -> Self;
}

/// One kept answer (or the computation of it, while it runs).
struct Kept {
    /// The frames it is computed from.
    version: i64,
    stamps: Stamps,
    answer: Computation,
}

/// The computation of one answer, with the parts of the frames it read, once done.
type Computation = Arc<tokio::sync::OnceCell<(Answer, Reads)>>;

/// One kept answer, of the type its computation returned.
type Answer = Arc<dyn std::any::Any + Send + Sync>;

/// A kept answer as the type it was computed as (its key names the type), shared: a
/// cohort or a funnel lists its members, which no request copies.
fn typed<T: Send + Sync + 'static>(answer: Answer) -> Result<Arc<T>, AnalyticsError> {
    answer.downcast::<T>().map_err(|_| {
        AnalyticsError::Polars(PolarsError::ComputeError("a kept answer of another type than its key names".into()))
    })
}

/// What [`Answers::find`] found for a key and frames.
enum Found {
    /// An answer computed from older frames that holds for these.
    Carried(Answer),
    /// The computation for the frames, done or running, to wait for or to run; with the
    /// answer on the frames they were patched from, when the figure can be patched.
    Compute(Computation, Recipe, Option<Answer>),
    /// Frames older than the two kept (a request pinned to them): compute apart.
    Apart(Recipe),
}

impl Answers {
    const MOST: usize = 64;
    /// How recently a figure must have been asked to be prepared for new frames.
    const RECENT: std::time::Duration = std::time::Duration::from_secs(60);
    /// The most figures prepared for new frames (the most recently asked).
    const PREPARE_MOST: usize = 16;

    /// What there is for `key` on `frames`; `asking` when a request asks (which makes the
    /// figure one to prepare), with the recipe to keep if the key is new.
    fn find(&self, key: &str, frames: &Frames, asking: Option<Recipe>) -> Option<Found> {
        let Ok(mut all) = self.0.lock() else { return asking.map(Found::Apart) };
        if !all.contains_key(key) && all.len() >= Self::MOST {
            all.retain(|_, a| a.asked.elapsed() < Self::RECENT);
            if all.len() >= Self::MOST {
                all.clear();
            }
        }
        let asked = match (all.get_mut(key), asking) {
            (Some(asked), asking) => {
                if asking.is_some() {
                    asked.asked = std::time::Instant::now();
                }
                asked
            }
            (None, Some(recipe)) => all.entry(key.to_string()).or_insert(Asked {
                recipe,
                asked: std::time::Instant::now(),
                kept: Vec::new(),
            }),
            (None, None) => return None,
        };
        let recipe = asked.recipe.clone();
        let holding = |stamps: &Stamps| {
            asked.kept.iter().rev().filter(|k| k.version < frames.version()).find_map(|k| {
                k.answer.get().filter(|(_, reads)| k.stamps.agree(stamps, *reads)).map(|(a, _)| a.clone())
            })
        };
        // An answer that holds for the frames these were patched from (looked for only
        // when there is an answer to compute, not for every asker of a kept one).
        let base = || match (&recipe.patch, frames.delta()) {
            (Some(_), Some(delta)) => holding(&delta.from),
            _ => None,
        };
        if let Some(k) = asked.kept.iter().find(|k| k.version == frames.version()) {
            let base = if k.answer.initialized() { None } else { base() };
            return Some(Found::Compute(k.answer.clone(), recipe, base));
        }
        if let Some(answer) = holding(&frames.stamps) {
            return Some(Found::Carried(answer));
        }
        let base = base();
        let answer = Computation::default();
        let at = asked.kept.partition_point(|k| k.version < frames.version());
        asked.kept.insert(at, Kept { version: frames.version(), stamps: frames.stamps, answer: answer.clone() });
        if asked.kept.len() > 2 {
            let oldest = asked.kept.remove(0);
            if oldest.version == frames.version() {
                return Some(Found::Apart(recipe));
            }
        }
        Some(Found::Compute(answer, recipe, base))
    }

    /// The keys asked recently (the most recent first) with no answer that holds for
    /// `frames`.
    fn to_prepare(&self, frames: &Frames) -> Vec<String> {
        let Ok(all) = self.0.lock() else { return Vec::new() };
        let mut keys: Vec<(std::time::Instant, &String)> = all
            .iter()
            .filter(|(_, a)| a.asked.elapsed() < Self::RECENT)
            .filter(|(_, a)| {
                !a.kept.iter().any(|k| {
                    k.version == frames.version()
                        || k.answer.get().is_some_and(|(_, reads)| k.stamps.agree(&frames.stamps, *reads))
                })
            })
            .map(|(key, a)| (a.asked, key))
            .collect();
        keys.sort_by_key(|(asked, _)| std::cmp::Reverse(*asked));
        keys.into_iter().take(Self::PREPARE_MOST).map(|(_, key)| key.clone()).collect()
    }
}

impl Engine {
    /// An engine reading from `db`, checking the data version on each use.
    pub fn new(db: DatabaseConnection) -> Self {
        Engine {
            db,
            follower: None,
            current: tokio::sync::watch::Sender::new(None),
            building: Mutex::new(()),
            answers: Answers::default(),
        }
    }

    /// An engine following `follower`'s feed: it rebuilds in the background whenever the
    /// feed moves (once it has been asked for frames, or warmed with [`Engine::warm`]).
    pub fn following(db: DatabaseConnection, follower: Arc<Follower>) -> Arc<Self> {
        let mut changes = follower.subscribe();
        let engine = Arc::new(Engine {
            db,
            follower: Some(follower),
            current: tokio::sync::watch::Sender::new(None),
            building: Mutex::new(()),
            answers: Answers::default(),
        });
        let weak = Arc::downgrade(&engine);
        crate::background::spawn_following(async move {
            let mut last = std::time::Instant::now();
            while changes.changed().await.is_ok() {
                // Writes that come close together share one update: at most one starts per
                // COALESCE, so that under a stream of writes the updates leave the cores to
                // the analysts (each costs about the same for one project or for ten).
                if let Some(wait) = COALESCE.checked_sub(last.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
                last = std::time::Instant::now();
                let Some(engine) = weak.upgrade() else { return };
                // Not in the `if`: a borrow there would live through the build, which
                // needs to write the channel.
                let warmed = engine.current.borrow().is_some();
                if warmed && let Err(e) = engine.catch_up().await {
                    tracing::warn!(error = %e, "the analytics frames could not be rebuilt; serving the last ones");
                }
            }
        });
        engine
    }

    /// The store it reads.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The version the frames should have: the follower's, or the database's.
    async fn wanted(&self) -> Result<i64, AnalyticsError> {
        Ok(match &self.follower {
            Some(f) => f.version(),
            None => crate::store::data_version(&self.db).await?,
        })
    }

    /// Builds frames until they reach the wanted version (one build at a time; a build
    /// that finds newer frames already swapped in keeps those).
    async fn catch_up(&self) -> Result<Arc<Frames>, AnalyticsError> {
        let _building = self.building.lock().await;
        loop {
            let wanted = self.wanted().await?;
            let ready = self.current.borrow().clone().filter(|f| f.version() >= wanted);
            if let Some(frames) = ready {
                return Ok(frames);
            }
            let started = std::time::Instant::now();
            // By the rows that changed when the feed allows it, else from scratch.
            let current = self.current.borrow().clone();
            if let (Some(f), Some(current)) = (&self.follower, &current) {
                let learnt = f.learnt_between(current.version(), wanted).into_iter().min();
                if let Some(learnt) = learnt {
                    crate::metrics::metrics().frames_update_step("wait", started.saturating_duration_since(learnt));
                }
            }
            let patched = match current {
                Some(current) => current.patched(&self.db).await?,
                None => None,
            };
            let frames = Arc::new(match patched {
                Some(frames) => frames,
                None => Frames::load(&self.db).await?,
            });
            crate::metrics::metrics().frames_built(started.elapsed());
            if let Some(f) = &self.follower {
                let preparing = std::time::Instant::now();
                self.prepare(&frames).await;
                crate::metrics::metrics().frames_update_step("prepare", preparing.elapsed());
                f.saw(frames.version());
            }
            let mut replaced = None;
            self.current.send_if_modified(|current| {
                let newer = current.as_ref().is_none_or(|c| c.version() < frames.version());
                if newer {
                    replaced = current.replace(frames.clone()).map(|c| c.version());
                }
                newer
            });
            if let (Some(f), Some(before)) = (&self.follower, replaced) {
                for learnt in f.learnt_between(before, frames.version()) {
                    crate::metrics::metrics().frames_behind.observe(learnt.elapsed().as_secs_f64());
                }
            }
        }
    }

    /// Whether frames have been built, so that answers need not wait for a first build;
    /// the server's `/readyz` asks this.
    pub fn is_ready(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// Builds the first frames now (the server starts this in the background).
    pub async fn warm(&self) -> Result<(), AnalyticsError> {
        self.catch_up().await.map(|_| ())
    }

    /// The frames to answer with: see [`Engine`] for which. Within [`one_version`],
    /// every call returns the frames of the first.
    pub async fn frames(&self) -> Result<Arc<Frames>, AnalyticsError> {
        if let Ok(Some(frames)) = PINNED.try_with(|p| p.lock().ok().and_then(|p| p.clone())) {
            return Ok(frames);
        }
        // Read-your-writes: the caller's own last write, if the frames do not hold it yet.
        let at_least = AT_LEAST.try_with(|v| *v).unwrap_or(0);
        if self.follower.is_some() && at_least > 0 {
            self.reached(at_least, READ_YOUR_WRITES_WAIT).await;
        }
        let current = self.current.borrow().clone();
        let (frames, cached) = match current {
            Some(frames) if self.follower.is_some() => (frames, true),
            Some(frames) if frames.version() >= self.wanted().await? => (frames, true),
            _ => (self.catch_up().await?, false),
        };
        crate::metrics::metrics().frames_asked(cached);
        let _ = PINNED.try_with(|p| {
            if let Ok(mut p) = p.lock() {
                p.get_or_insert_with(|| frames.clone());
            }
        });
        crate::store::feed::read_at(frames.version());
        Ok(frames)
    }

    /// Waits (at most `limit`) until the frames include `version`, if there are frames
    /// at all: a writer's next figures then see its write ([`one_version`]).
    pub async fn reached(&self, version: i64, limit: std::time::Duration) {
        let mut current = self.current.subscribe();
        if current.borrow().is_none() {
            return;
        }
        let _ =
            tokio::time::timeout(limit, current.wait_for(|f| f.as_ref().is_some_and(|f| f.version() >= version))).await;
    }

    /// Runs a computation on the current frames on a blocking thread, at most
    /// [`CONCURRENT_COMPUTATIONS`] at once in the process. When the caller stops waiting
    /// (a request's time limit), a computation not yet started never starts, and one
    /// running sees [`check_cancelled`] fail at its next step.
    pub async fn run<T, F>(&self, compute: F) -> Result<T, AnalyticsError>
    where
        T: Send + 'static,
        F: FnOnce(&Frames) -> Result<T, AnalyticsError> + Send + 'static,
    {
        let frames = self.frames().await?;
        Self::run_on(frames, compute).await.map(|(answer, _)| answer)
    }

    /// [`Engine::run`], the answer kept under `key`, which must name the computation and
    /// every input it takes (the metric's arguments): a dashboard asks the same figures
    /// again and again, and each asker after the first gets them without computing, for
    /// these frames and for newer ones that changed nothing the computation read (see
    /// [`Answers`]). An answer is never given for frames it may differ on.
    pub async fn run_keyed<T, F>(&self, key: String, compute: F) -> Result<Arc<T>, AnalyticsError>
    where
        T: Send + Sync + 'static,
        F: Fn(&Frames) -> Result<T, AnalyticsError> + Send + Sync + 'static,
    {
        let compute = Arc::new(move |f: &Frames| compute(f).map(|answer| Arc::new(answer) as Answer));
        self.run_recipe::<T>(key, Recipe { compute, patch: None }).await
    }

    /// [`Engine::run_keyed`] for a figure that is a sum over projects ([`Additive`]):
    /// on frames made by a patch, its answer is patched from the answer on the frames
    /// patched by the changed projects' rows, not computed over every row.
    pub async fn run_additive<T, F>(&self, key: String, compute: F) -> Result<Arc<T>, AnalyticsError>
    where
        T: Additive + Send + Sync + 'static,
        F: Fn(&Frames) -> Result<T, AnalyticsError> + Send + Sync + 'static,
    {
        let compute = Arc::new(move |f: &Frames| compute(f).map(|answer| Arc::new(answer) as Answer));
        let patch: Patch = Arc::new(|base: &Answer, before: &Answer, after: &Answer| {
            let (base, before, after) =
                (typed::<T>(base.clone())?, typed::<T>(before.clone())?, typed::<T>(after.clone())?);
            Ok(Arc::new(base.patched(&before, &after)) as Answer)
        });
        // Apart from the keys of `run_keyed`, whose recipes cannot patch.
        self.run_recipe::<T>(format!("+ {key}"), Recipe { compute, patch: Some(patch) }).await
    }

    /// The answer of `recipe`, kept under `key` and the answer's type.
    async fn run_recipe<T: Send + Sync + 'static>(
        &self,
        key: String,
        recipe: Recipe,
    ) -> Result<Arc<T>, AnalyticsError> {
        let frames = self.frames().await?;
        // The type is part of the key, so that a kept answer is always of the type asked.
        let key = format!("{} {key}", std::any::type_name::<T>());
        let (answer, how) = self.answer(&key, frames, Some(recipe)).await?;
        crate::metrics::metrics().analytics_answered(how);
        typed(answer)
    }

    /// The answer of `key` on `frames`, kept or computed (see [`Answers::find`]), and how it
    /// was come by; `None` for a key not kept (when preparing).
    async fn answer(
        &self,
        key: &str,
        frames: Arc<Frames>,
        asking: Option<Recipe>,
    ) -> Result<(Answer, Answered), AnalyticsError> {
        let preparing = asking.is_none();
        let computed = if preparing { Answered::Prepared } else { Answered::Computed };
        let found = self.answers.find(key, &frames, asking);
        let (cell, recipe, base) = match found {
            Some(Found::Carried(answer)) => return Ok((answer, Answered::Carried)),
            Some(Found::Compute(cell, recipe, base)) => (cell, recipe, base),
            Some(Found::Apart(recipe)) => {
                return Self::run_on(frames, move |f| recipe.answer(f, None))
                    .await
                    .map(|(answer, _)| (answer, computed));
            }
            None => return Err(AnalyticsError::Cancelled),
        };
        let how = if base.is_some() { Answered::Patched } else { computed };
        let mut ran = false;
        let (answer, _) = cell
            .get_or_try_init(|| {
                ran = true;
                Self::run_on(frames, move |f| recipe.answer(f, base.as_ref()))
            })
            .await?;
        Ok((answer.clone(), if ran { how } else { Answered::Kept }))
    }

    /// Computes, on new `frames` not yet swapped in, the figures asked recently that they
    /// change, the most recently asked first, for at most [`PREPARE_BUDGET`]: the
    /// dashboards' next answers are then ready when the frames are swapped in, and their
    /// askers get the previous frames' answers meanwhile, at once.
    async fn prepare(&self, frames: &Arc<Frames>) {
        let started = std::time::Instant::now();
        // As many side by side as may compute at once: a figure's own serial parts (the
        // cohort's lists) then overlap another's.
        for keys in self.answers.to_prepare(frames).chunks(CONCURRENT_COMPUTATIONS) {
            if started.elapsed() > PREPARE_BUDGET {
                break;
            }
            let prepared = keys.iter().map(|key| async move { (key, self.answer(key, frames.clone(), None).await) });
            for (key, answered) in futures_util::future::join_all(prepared).await {
                match answered {
                    Ok((_, how @ (Answered::Prepared | Answered::Patched))) => {
                        crate::metrics::metrics().analytics_answered(how)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, key, "a figure could not be prepared"),
                }
            }
        }
    }

    /// Runs `compute` on `frames` on a blocking thread in its turn; the answer and the
    /// parts of the frames it read.
    async fn run_on<T, F>(frames: Arc<Frames>, compute: F) -> Result<(T, Reads), AnalyticsError>
    where
        T: Send + 'static,
        F: FnOnce(&Frames) -> Result<T, AnalyticsError> + Send + 'static,
    {
        let turn = turns().acquire_owned().await.map_err(|_| AnalyticsError::Cancelled)?;
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _stop_when_dropped = CancelOnDrop(flag.clone());
        crate::background::run(move || {
            let _turn = turn;
            CANCELLED.with(|c| *c.borrow_mut() = Some(flag));
            let (result, reads) = frames::tracking(|| check_cancelled().and_then(|()| compute(&frames)));
            CANCELLED.with(|c| *c.borrow_mut() = None);
            result.map(|answer| (answer, reads))
        })
        .await?
    }
}
