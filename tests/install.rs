//! The installed binary alone, in an empty folder outside the checkout (nothing else
//! copied): quickstart, slides and the site with the built-in defaults; an `init`-ed copy
//! edited and used through its configuration; a file missing from it is an error naming
//! it; a `site/` folder that happens to be in the working directory is not picked up.
//! And GraphiQL in Debian's Chromium with the network off (where Chromium and the
//! browser tools are installed, as in CI).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::bin::{Served, run, run_ok, stdout};

/// An empty folder outside the checkout.
fn empty_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap();
    assert!(!dir.path().canonicalize().unwrap().starts_with(&checkout));
    dir
}

/// The text of `name` inside the .pptx (zip) at `path`.
fn zip_entry(path: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    names.sort();
    names
}

#[test]
fn the_binary_alone_runs_quickstart_slides_and_the_site_and_an_edited_init_copy_shows() {
    let dir = empty_folder();
    let d = dir.path();

    // Built-in defaults: quickstart creates the demo district and writes everything.
    let output = run_ok(d, &["quickstart", "--no-serve"]);
    let quick = stdout(&output);
    assert!(quick.contains("created the demo district"), "{quick}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains('\u{1b}'), "no colour or progress codes off a terminal");
    for file in
        ["ledger.xlsx", "bulletin.md", "bulletin.html", "slides/weekly.pptx", "slides/weekly.xlsx", "site/index.html"]
    {
        assert!(d.join("out").join(file).is_file(), "quickstart wrote no out/{file}:\n{quick}");
    }
    assert!(d.join("zhaoshang.db").is_file());
    assert!(zip_entry(&d.join("out/slides/weekly.pptx"), "ppt/slides/slide1.xml").contains("招商引资工作周调度会"));

    run_ok(d, &["slides", "--deck", "quarterly", "--as-of", "2025-12-31", "--out", "q"]);
    assert!(files_in(&d.join("q")).contains(&"quarterly.pptx".to_string()));
    run_ok(d, &["site", "build", "--as-of", "2025-12-31", "--out", "built"]);
    let home = std::fs::read_to_string(d.join("built/index.html")).unwrap();
    let css = std::fs::read_to_string(d.join("built/assets/style.css")).unwrap();
    assert_eq!(
        css,
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("site/assets/style.css")).unwrap()
    );

    // A `site/` folder in the working directory is not looked at by accident.
    std::fs::create_dir_all(d.join("site/templates")).unwrap();
    std::fs::write(d.join("site/templates/base.html"), "DECOY").unwrap();
    run_ok(d, &["site", "build", "--as-of", "2025-12-31", "--out", "again"]);
    assert_eq!(std::fs::read_to_string(d.join("again/index.html")).unwrap(), home);

    // init writes editable copies and a configuration that uses them.
    let init = stdout(&run_ok(d, &["init", "custom"]));
    assert!(init.contains("zhaoshang.toml"), "{init}");
    assert!(!run(d, &["init", "custom"]).status.success(), "init never overwrites without --force");
    let base = d.join("custom/site/templates/base.html");
    let edited =
        std::fs::read_to_string(&base).unwrap().replace("<body>", "<body>\n<p class=\"notice\">本区定制版</p>");
    std::fs::write(&base, edited).unwrap();
    let deck = d.join("custom/decks/weekly.toml");
    std::fs::write(&deck, std::fs::read_to_string(&deck).unwrap().replace("招商引资工作周调度会", "城关镇周例会"))
        .unwrap();
    let config = d.join("custom/zhaoshang.toml");
    let config = config.to_str().unwrap();
    let check = stdout(&run_ok(d, &["--config", config, "config", "check"]));
    assert!(check.contains("custom/site") && check.contains("custom/decks"), "{check}");

    // The configuration's database is beside it: point at the quickstart one.
    let db = format!("sqlite://{}?mode=rwc", d.join("zhaoshang.db").display());
    run_ok(d, &["--config", config, "--database-url", &db, "site", "build", "--as-of", "2025-12-31", "--out", "mine"]);
    let mine = std::fs::read_to_string(d.join("mine/index.html")).unwrap();
    assert!(mine.contains("<p class=\"notice\">本区定制版</p>"), "the edited template shows");
    assert!(!home.contains("本区定制版"));
    run_ok(d, &["--config", config, "--database-url", &db, "slides", "--as-of", "2025-12-31", "--out", "ms"]);
    assert!(zip_entry(&d.join("ms/weekly.pptx"), "ppt/slides/slide1.xml").contains("城关镇周例会"));

    // A file missing from the copy is an error naming it, never a silent fallback.
    std::fs::remove_file(d.join("custom/site/templates/page.html")).unwrap();
    let missing = run(d, &["--config", config, "--database-url", &db, "site", "build", "--out", "broken"]);
    assert!(!missing.status.success());
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(message.contains("templates/page.html") && message.contains("zhaoshang init"), "{message}");
    let no_deck = run(d, &["--config", config, "--database-url", &db, "slides", "--deck", "monthly"]);
    assert!(String::from_utf8_lossy(&no_deck.stderr).contains("no deck named \"monthly\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_works_in_a_browser_with_the_network_off() {
    let browser_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !(Path::new("/usr/bin/chromium").is_file() && browser_dir.join("node_modules/playwright-core").is_dir()) {
        common::skip(
            "graphiql_works_in_a_browser_with_the_network_off",
            "needs /usr/bin/chromium and `npm ci` in tests/browser (.ci/run does both)",
        );
        return;
    }
    let dir = empty_folder();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
    run_ok(dir.path(), &["--database-url", &url, "import", common::sample_xlsx().to_str().unwrap()]);
    let served = Served::start(dir.path(), &url, &[]);
    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots/graphiql.png");
    let base = served.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").arg(browser_dir.join("check-graphiql.mjs")).arg(&base).arg(&shot).output()
    })
    .await
    .unwrap()
    .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{out}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(out.contains("GraphiQL works with the network off"), "{out}");
    served.terminate();
    assert!(served.wait().0.success());
}
