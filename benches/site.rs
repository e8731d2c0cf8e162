//! Site benchmark (issue: pages/s ≥ Hugo's for the 100,000-project district with every
//! project public; a no-change rebuild of the demo < 1 s).
//!
//! Method: for the demo district (600 projects) and a 100,000-project district with
//! every project marked public (sizes can be given as arguments), import into a new
//! SQLite file, then time `zhaoshang site build` into an empty folder (pages/s over all
//! HTML pages, both languages), then a rebuild with nothing changed. Hugo (Debian's
//! `hugo`, when installed) builds the same number of pages from generated Markdown with
//! a minimal layout (`benches/hugo.sh`).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

fn main() {
    zhaoshang::allocator::configure(); // as the binary does
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![600, 100_000] } else { sizes };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ledger = zhaoshang::demo::generate(n, 2026);
        if n > 600 {
            for (_, p) in &mut ledger.projects {
                p.public = true;
            }
        }
        let pages = runtime.block_on(async {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("site.db").display());
            let db = zhaoshang::store::connect(&url).await.expect("connect");
            zhaoshang::jobs::import_ledger(&db, ledger, "bench", "bench").await.expect("import");
            let options = zhaoshang::publish::site::SiteOptions {
                source: zhaoshang::publish::theme::Source::Embedded,
                out: dir.path().join("out"),
                as_of: zhaoshang::demo::data_horizon(),
                base_url: "https://invest.example.gov.cn/".into(),
            };
            let started = Instant::now();
            let engine = zhaoshang::analytics::Engine::new(db.clone());
            let first = zhaoshang::jobs::build_site(&engine, &options).await.expect("build");
            let fresh = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let again = zhaoshang::jobs::build_site(&engine, &options).await.expect("rebuild");
            let rebuild = started.elapsed().as_secs_f64();
            println!(
                "{n} projects: {} pages ({} files) in {fresh:.2} s = {:.0} pages/s; no-change rebuild {rebuild:.2} s ({} written)",
                first.pages,
                first.files,
                first.pages as f64 / fresh,
                again.written
            );
            first.pages
        });
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/hugo.sh");
        match std::process::Command::new("bash").arg(script).arg(pages.to_string()).output() {
            Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => println!(
                "Hugo comparison skipped: {}",
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
            ),
            Err(e) => println!("Hugo comparison skipped: {e}"),
        }
    }
}
