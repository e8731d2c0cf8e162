//! The `zhaoshang` binary: parses the command line and hands it to the library.

use clap::Parser;

/// mimalloc: imports and polars allocate many small values; with glibc's allocator a
/// large import spent a third of its time in malloc (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    zhaoshang::cli::init_logging();
    match zhaoshang::cli::run(zhaoshang::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
