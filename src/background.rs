//! Where the server's background work runs — the analytics' computations, the frames'
//! builds and patches, the read snapshot's folds — and the priority of the threads that
//! answer requests beside it.
//!
//! `serve --serving-nice N` (N > 0) lowers the priority of its tokio threads: under a
//! load of cheap requests that keeps every core busy, the update after a write and the
//! figures prepared for it then run at once instead of taking turns with the requests.
//! It is off by default: a request thread holds database locks during a write's
//! transaction, and lowered, it kept them while starved, so that other writers queued
//! behind it for seconds (BENCHMARKS.md, 2026-12-01). On Linux a nice value belongs to a
//! thread and a new thread takes its creator's, so the background threads must not be
//! created by a lowered thread: [`start`], called by the binary before its runtime
//! starts, makes one spawner thread at the process's priority that creates a thread for
//! each piece of background work ([`run`]), and starts polars' own threads from the main
//! thread. Without [`start`] (the default, the tests, the library) the work runs on
//! tokio's blocking threads, as everything runs at one priority then.
//!
//! The following of the change feed — hearing of a write, reading the rows it changed,
//! a full build's reads — is async work on database connections, so it cannot run on
//! such a thread; [`start`] also makes a runtime of its own for it at the process's
//! priority ([`spawn_following`]), so that a lowered request thread never carries it.

use std::sync::OnceLock;
use std::sync::mpsc::Sender;

/// One piece of background work, as the spawner receives it.
type Job = Box<dyn FnOnce() + Send>;

static SPAWNER: OnceLock<Sender<Job>> = OnceLock::new();

/// The runtime of the work that follows the change feed ([`spawn_following`]).
static FOLLOWING: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// Its worker threads: a full build reads two tables side by side, one per core.
const FOLLOWING_THREADS: usize = 2;

/// Background work that did not finish: it panicked, or its thread could not start.
#[derive(Debug, thiserror::Error)]
#[error("background work failed: {0}")]
pub struct Failed(String);

/// Starts the spawner and polars' threads on the calling thread's priority; later
/// background work runs on threads the spawner creates. Call it before any thread
/// lowers its priority ([`lowering`]); calling it again does nothing.
pub fn start() -> std::io::Result<()> {
    if SPAWNER.get().is_some() {
        return Ok(());
    }
    let (send, receive) = std::sync::mpsc::channel::<Job>();
    std::thread::Builder::new().name("zhaoshang-spawner".into()).spawn(move || {
        for job in receive {
            if let Err(e) = std::thread::Builder::new().name("zhaoshang-work".into()).spawn(job) {
                // The job is dropped with its sender: its caller gets `Failed`.
                tracing::error!(error = %e, "cannot start a thread for background work");
            }
        }
    })?;
    let _ = SPAWNER.set(send);
    // Its threads are made here, so they keep this thread's priority.
    let following = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(FOLLOWING_THREADS)
        .thread_name("zhaoshang-following")
        .enable_all()
        .build()?;
    let _ = FOLLOWING.set(following);
    warm_polars();
    Ok(())
}

/// Spawns `task`, work that follows the change feed (a cache's updates, the follower's
/// listening), on the runtime [`start`] made for it at the process's priority; without
/// [`start`], on the current tokio runtime.
pub fn spawn_following<F>(task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match FOLLOWING.get() {
        Some(runtime) => runtime.spawn(task),
        None => tokio::spawn(task),
    }
}

/// Runs `make` inside the following runtime ([`spawn_following`]), if [`start`] made
/// one: what it creates for tokio (a connection pool's tasks) belongs to that runtime.
pub fn within_following<T>(make: impl FnOnce() -> T) -> T {
    let _inside = FOLLOWING.get().map(|runtime| runtime.enter());
    make()
}

/// Runs a tiny query so that polars creates its thread pools now, from this thread.
fn warm_polars() {
    use polars::prelude::*;
    let frame = DataFrame::new(2, vec![Column::new("k".into(), vec![1u32, 2]), Column::new("v".into(), vec![1i64, 2])]);
    let warmed = frame.and_then(|f| f.lazy().group_by([col("k")]).agg([col("v").sum()]).collect());
    if let Err(e) = warmed {
        tracing::warn!(error = %e, "polars' threads were not started in advance");
    }
}

/// Starts `work` in the background at once — on a thread of the spawner's when
/// [`start`] was called, else on tokio's blocking threads — and resolves to its result;
/// a panic of `work` is [`Failed`]. Like `spawn_blocking`, dropping the future does not
/// stop the work.
pub fn run<T, F>(work: F) -> impl std::future::Future<Output = Result<T, Failed>> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (done, result) = tokio::sync::oneshot::channel();
    let job = move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        let _ = done.send(outcome);
    };
    let submitted = match SPAWNER.get() {
        Some(spawner) => spawner.send(Box::new(job)).is_ok(),
        None => {
            drop(tokio::task::spawn_blocking(job));
            true
        }
    };
    async move {
        if !submitted {
            return Err(Failed("the spawner is gone".into()));
        }
        match result.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                Err(Failed(message))
            }
            Err(_) => Err(Failed("its thread did not start".into())),
        }
    }
}

/// A hook for tokio's `on_thread_start` that lowers each tokio thread's priority by
/// `nice` (0–19; Linux): every thread of the runtime — the workers that answer requests
/// and the blocking threads (database drivers' included) — runs below the background
/// work. An unprivileged process may always lower its own threads.
pub fn lowering(nice: i32) -> impl Fn() + Send + Sync + 'static {
    move || lower(nice)
}

/// Lowers the calling thread's priority by `nice`.
#[cfg(target_os = "linux")]
fn lower(nice: i32) {
    // On Linux `setpriority(PRIO_PROCESS, 0, …)` is the calling thread's alone
    // (setpriority(2), "BUGS").
    let now = rustix::process::getpriority_process(None).unwrap_or(0);
    if let Err(e) = rustix::process::setpriority_process(None, (now + nice).min(19)) {
        tracing::warn!(error = %e, "cannot lower the priority of a thread answering requests");
    }
}

/// Thread priorities are left alone off Linux.
#[cfg(not(target_os = "linux"))]
fn lower(_nice: i32) {}
