//! The `zhaoshang` binary: parses the command line and hands it to the library.

use clap::Parser;

/// mimalloc: imports and polars allocate many small values; with glibc's allocator a
/// large import spent a third of its time in malloc (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHAOSHANG_LOG")
                .unwrap_or_else(|_| "warn,zhaoshang=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match zhaoshang::cli::run(zhaoshang::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
