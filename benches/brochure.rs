//! Brochure benchmark (issue #11: the demo district's brochure < 2 s; a
//! 300-key-project brochure < 10 s).
//!
//! Method: import the demo district (600 projects, seed 2026) into a new SQLite file and
//! time `jobs::build_brochure` (read the store, compose, typeset, write the PDF with the
//! font subset) as of the demo's data horizon, in Chinese and in English; then a
//! district of 1,500 projects in which exactly 300 taken-in, live projects are marked
//! public key projects (one PDF page each), the same. Each is timed three times; the
//! median is printed with the pages and the PDF's size.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use zhaoshang::publish::brochure::BrochureOptions;
use zhaoshang::publish::public::Lang;

fn main() {
    zhaoshang::allocator::configure(); // as the binary does
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let horizon = zhaoshang::demo::data_horizon();
    for (name, projects, key) in [("demo district", 600, None), ("300 key projects", 1500, Some(300))] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ledger = zhaoshang::demo::generate(projects, 2026);
        if let Some(key) = key {
            let mut marked = 0;
            for (_, p) in &mut ledger.projects {
                let live = p.intent_date.is_some_and(|d| d <= horizon) && p.terminated_date.is_none();
                let chosen = live && marked < key;
                p.public = chosen;
                p.key_project = chosen;
                marked += usize::from(chosen);
            }
            assert_eq!(marked, key, "the district has {key} live projects to mark");
        }
        runtime.block_on(async {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("brochure.db").display());
            let db = zhaoshang::store::connect(&url).await.expect("connect");
            zhaoshang::jobs::import_ledger(&db, ledger, "bench", "bench").await.expect("import");
            for lang in [Lang::Zh, Lang::En] {
                let options =
                    BrochureOptions { source: zhaoshang::publish::theme::Source::Embedded, as_of: horizon, lang };
                let out = dir.path().join("推介手册.pdf");
                let mut times = Vec::new();
                let mut made = None;
                for _ in 0..3 {
                    let started = Instant::now();
                    made = Some(zhaoshang::jobs::build_brochure(&db, &options, &out).await.expect("brochure"));
                    times.push(started.elapsed().as_secs_f64());
                }
                times.sort_by(f64::total_cmp);
                let made = made.expect("made");
                println!(
                    "{name} ({lang:?}): {} key projects, {} pages, {:.0} KB; median {:.2} s (of {:.2}, {:.2}, {:.2})",
                    made.projects,
                    made.pages,
                    made.bytes.len() as f64 / 1024.0,
                    times[1],
                    times[0],
                    times[1],
                    times[2]
                );
            }
        });
    }
}
