//! The `zhaoshang` binary: parses the command line and hands it to the library.

use clap::Parser;

/// mimalloc: imports and polars allocate many small values; with glibc's allocator a
/// large import spent a third of its time in malloc (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    zhaoshang::allocator::configure();
    zhaoshang::cli::init_logging();
    let cli = zhaoshang::cli::Cli::parse();
    let runtime = match zhaoshang::cli::runtime(&cli) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(zhaoshang::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
