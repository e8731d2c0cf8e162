//! The printed brochure (《重点项目推介手册》), made from the demo district and read back
//! with poppler's real tools: `pdftotext` finds every public key project, on the page
//! the table of contents gives it; `pdffonts` shows every font embedded as a subset;
//! nothing confidential is in the text; the same data gives the same bytes; `--lang en`
//! works from the command line; a bad `--out` and an undrawable character are refused.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use common::TestDb;
use entities::prelude::{Carrier, Project};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use zhaoshang::publish::brochure::{Brochure, BrochureOptions};
use zhaoshang::publish::public::Lang;

/// Whether poppler's tools are here; if not, the test says so (and fails on CI).
fn poppler(test: &str) -> bool {
    let ok = ["pdftotext", "pdffonts", "pdfinfo"].iter().all(|tool| Command::new(tool).arg("-v").output().is_ok());
    if !ok {
        common::skip(test, "needs poppler's pdftotext, pdffonts and pdfinfo (apt-get install poppler-utils)");
    }
    ok
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The text of pages `first..=last` (1-based), or of all with `None`.
fn text(pdf: &Path, pages: Option<(usize, usize)>, layout: bool) -> String {
    let mut args: Vec<String> = Vec::new();
    if let Some((first, last)) = pages {
        args.extend(["-f".into(), first.to_string(), "-l".into(), last.to_string()]);
    }
    if layout {
        args.push("-layout".into());
    }
    args.push(pdf.display().to_string());
    args.push("-".into());
    run("pdftotext", &args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Text without any whitespace, so that a name broken across lines is still found.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn as_of() -> NaiveDate {
    zhaoshang::demo::data_horizon()
}

async fn demo() -> TestDb {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_ledger(&t.db, zhaoshang::demo::generate(200, 5), "test", "demo").await.unwrap();
    t
}

fn options(lang: Lang) -> BrochureOptions {
    BrochureOptions {
        source: zhaoshang::publish::theme::Source::Dir(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("site"),
        ),
        as_of: as_of(),
        lang,
    }
}

async fn make(t: &TestDb, lang: Lang, out: &Path) -> Brochure {
    zhaoshang::jobs::build_brochure(&t.db, &options(lang), out).await.unwrap()
}

/// The public key projects as of the day, straight from the store by the rule the
/// issue states: marked public and key, taken in by the day, not terminated by then.
async fn public_key_names(t: &TestDb) -> Vec<String> {
    let day = as_of();
    let mut names: Vec<String> = Project::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.public && p.key_project)
        .filter(|p| p.intent_date.is_some_and(|d| d <= day))
        .filter(|p| p.terminated_date.is_none_or(|d| d > day))
        .map(|p| p.name)
        .collect();
    names.sort();
    names
}

/// The entries of the table of contents as `pdftotext -layout` prints them: the title
/// (lines without a number continue on the next) and the page number at the line's end.
fn contents_entries(layout_text: &str, running: &str) -> Vec<(String, usize)> {
    let mut entries = Vec::new();
    let mut pending = String::new();
    for line in layout_text.lines() {
        let line = line.trim();
        // The running header, the page's own number and the heading are not entries.
        if line.is_empty() || line == running || line == "目录" || line.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        match line.rsplit_once(char::is_whitespace) {
            Some((title, number)) if number.chars().all(|c| c.is_ascii_digit()) => {
                pending.push_str(title.trim());
                entries.push((squeezed(&pending), number.parse().unwrap()));
                pending.clear();
            }
            _ => pending.push_str(line),
        }
    }
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_key_project_is_on_the_page_the_contents_give() {
    if !poppler("every_public_key_project_is_on_the_page_the_contents_give") {
        return;
    }
    let t = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("推介手册.pdf");
    let made = make(&t, Lang::Zh, &pdf).await;
    let names = public_key_names(&t).await;
    assert!(names.len() >= 3, "the demo district has public key projects: {names:?}");
    assert_eq!(made.projects, names.len());

    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.contains(&format!("Pages:           {}", made.pages)), "{info}");
    assert!(info.contains("595.276 x 841.89 pts (A4)") || info.contains("595.28 x 841.89 pts (A4)"), "{info}");

    let all = squeezed(&text(&pdf, None, false));
    for name in &names {
        assert!(all.contains(&squeezed(name)), "{name} is not in the brochure");
    }
    // The contents run from page 2 up to the page before the first section.
    let first_section = made.contents.first().unwrap().page + 1;
    let toc_text = text(&pdf, Some((2, first_section - 1)), true);
    assert!(toc_text.contains("目录"), "{toc_text}");
    let entries = contents_entries(&toc_text, "示范区重点项目推介手册");
    for name in &names {
        let (_, page) = entries
            .iter()
            .find(|(title, _)| *title == squeezed(name))
            .unwrap_or_else(|| panic!("{name} is not in the contents: {entries:?}"));
        let on_page = squeezed(&text(&pdf, Some((*page, *page)), false));
        assert!(on_page.contains(&squeezed(name)), "{name}: the contents say page {page}, it is not there");
        // One page per project: the page holds the office's contact, not the next project.
        assert!(on_page.contains("0919-0000000"), "{name}'s page has no contact of the investment office");
    }
    // The sections too: each is where the contents say.
    for section in ["走进示范区", "产业链招商", "可供载体", "重点项目"] {
        let (_, page) =
            entries.iter().find(|(title, _)| title == section).unwrap_or_else(|| panic!("{section}: {entries:?}"));
        assert!(squeezed(&text(&pdf, Some((*page, *page)), false)).contains(section), "{section} not on page {page}");
    }
    // Every chain of the district has its page, with its gaps (补链).
    assert!(all.contains("陶瓷产业链") && all.contains("补链"), "the chains and their gaps are in the brochure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_font_is_embedded_as_a_subset() {
    if !poppler("every_font_is_embedded_as_a_subset") {
        return;
    }
    let t = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("推介手册.pdf");
    make(&t, Lang::Zh, &pdf).await;
    let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
    assert!(!rows.is_empty(), "no font listed:\n{fonts}");
    for row in rows {
        // name type encoding emb sub uni object ID: the columns from the end.
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "not embedded as a subset with a Unicode map: {row}");
        assert!(cols[0].contains('+'), "a subset's name has its tag: {row}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_confidential_is_in_the_brochure() {
    if !poppler("nothing_confidential_is_in_the_brochure") {
        return;
    }
    let t = demo().await;
    let day = as_of();
    let dir = tempfile::tempdir().unwrap();
    let mut shown = String::new();
    for (lang, file) in [(Lang::Zh, "zh.pdf"), (Lang::En, "en.pdf")] {
        let pdf = dir.path().join(file);
        make(&t, lang, &pdf).await;
        shown.push_str(&squeezed(&text(&pdf, None, false)));
    }
    let projects = Project::find().all(&t.db).await.unwrap();
    let carriers = Carrier::find().all(&t.db).await.unwrap();
    let listed = |p: &entities::project::Model| p.public && p.terminated_date.is_none_or(|d| d > day);
    // What may legitimately be shown; a secret that is part of it (a non-public project
    // named like a public one) cannot be told apart and is not checked.
    let mut allowed: Vec<String> = projects.iter().filter(|p| listed(p)).map(|p| squeezed(&p.name)).collect();
    allowed.extend(carriers.iter().filter(|c| c.public).map(|c| squeezed(&c.name)));
    // An investor may have signed one public project and be in talks on another.
    allowed.extend(
        projects
            .iter()
            .filter(|p| listed(p) && p.signed_date.is_some_and(|d| d <= day))
            .filter_map(|p| p.investor_name.as_deref().map(squeezed)),
    );
    let mut secrets: Vec<(&str, String)> = Vec::new();
    for p in &projects {
        for contact in [&p.contact_name, &p.contact_phone].into_iter().flatten() {
            secrets.push(("project contact", contact.clone()));
        }
        if !listed(p) {
            secrets.push(("non-public or terminated project", p.name.clone()));
        }
        if let Some(investor) = &p.investor_name
            && p.signed_date.is_none_or(|d| d > day)
        {
            secrets.push(("investor of an unsigned project", investor.clone()));
        }
    }
    for c in &carriers {
        for contact in [&c.contact_name, &c.contact_phone].into_iter().flatten() {
            secrets.push(("carrier contact", contact.clone()));
        }
        if !c.public {
            secrets.push(("non-public carrier", c.name.clone()));
        }
    }
    let mut checked = std::collections::BTreeMap::new();
    for (kind, secret) in &secrets {
        let secret = squeezed(secret);
        if secret.chars().count() < 2 || allowed.iter().any(|a| a.contains(&secret)) {
            continue;
        }
        *checked.entry(*kind).or_insert(0) += 1;
        assert!(!shown.contains(&secret), "a {kind} is in the brochure: {secret}");
    }
    for kind in [
        "project contact",
        "non-public or terminated project",
        "investor of an unsigned project",
        "carrier contact",
        "non-public carrier",
    ] {
        assert!(checked.get(kind).copied().unwrap_or(0) > 0, "the demo has no {kind} to check: {checked:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_data_gives_the_same_bytes() {
    let t = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.pdf"), dir.path().join("b.pdf"));
    let first = make(&t, Lang::Zh, &a).await;
    let second = make(&t, Lang::Zh, &b).await;
    assert_eq!(second.pages, first.pages);
    assert!(first.pages > 5, "{} pages", first.pages);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "two builds differ");
    assert_eq!(std::fs::read(&a).unwrap(), first.bytes);
    assert!(!dir.path().join("a.pdf.partial").exists(), "the temporary file is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_writes_the_english_brochure() {
    if !poppler("the_command_writes_the_english_brochure") {
        return;
    }
    let t = demo().await;
    let names = public_key_names(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let output = common::bin::run_ok(
        dir.path(),
        &[
            "--database-url",
            &t.url,
            "brochure",
            "--out",
            "brochure.pdf",
            "--as-of",
            &as_of().to_string(),
            "--lang",
            "en",
        ],
    );
    let said = common::bin::stdout(&output);
    assert!(said.contains(&format!("{} key projects", names.len())), "{said}");
    let all = text(&dir.path().join("brochure.pdf"), None, false);
    for words in ["Contents", "Industry chains", "Land and buildings available", "Key projects", "What we seek"] {
        assert!(all.contains(words), "{words} is not in the English brochure");
    }
    assert!(all.contains("Investment Promotion Centre"), "the office's English contact");
    let squeezed_all = squeezed(&all);
    for name in &names {
        assert!(squeezed_all.contains(&squeezed(name)), "{name} is not in the English brochure");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_out_path_is_refused_before_any_work() {
    let t = demo().await;
    let dir = tempfile::tempdir().unwrap();
    for (out, reason) in [
        (dir.path().to_path_buf(), "is a folder"),
        (dir.path().join("missing/推介手册.pdf"), "does not exist"),
        (dir.path().join("推介手册.docx"), "must end in .pdf"),
    ] {
        let error = zhaoshang::jobs::build_brochure(&t.db, &options(Lang::Zh), &out).await.unwrap_err().to_string();
        assert!(error.contains("--out") && error.contains(reason), "{error}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_character_the_font_cannot_draw_is_refused_not_printed_as_a_box() {
    let t = demo().await;
    let day = as_of();
    let project = Project::find()
        .all(&t.db)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.public && p.key_project && p.terminated_date.is_none() && p.intent_date.is_some_and(|d| d <= day))
        .unwrap();
    let mut edit: entities::project::ActiveModel = project.into();
    // 㐀 (U+3400) is outside GB2312, so outside the embedded font.
    edit.name = Set("㐀山陶瓷项目".into());
    edit.update(&t.db).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("推介手册.pdf");
    let error = zhaoshang::jobs::build_brochure(&t.db, &options(Lang::Zh), &out).await.unwrap_err().to_string();
    assert!(error.contains('㐀') && error.contains("㐀山陶瓷项目") && error.contains("boxes"), "{error}");
    assert!(!out.exists(), "no PDF with boxes was written");
}
