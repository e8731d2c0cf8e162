//! The public site, built from a fixture into a temporary folder: every internal link
//! resolves, HTML is well-formed, nothing confidential leaks, the same data gives the
//! same bytes, rebuilds rewrite only what changed, and (where Chromium and the browser
//! tools are installed, as in CI) a real browser loads it, filters, and finds no serious
//! accessibility problem.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::{TestDb, chains_csv, edited_sample, sample_csv};
use zhaoshang::publish::site::{SiteOptions, SiteReport};

fn options(out: &Path) -> SiteOptions {
    SiteOptions {
        source: zhaoshang::publish::theme::Source::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("site")),
        out: out.to_path_buf(),
        as_of: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        base_url: "https://invest.example.gov.cn/zhaoshang/".into(),
    }
}

async fn build(t: &TestDb, out: &Path) -> SiteReport {
    zhaoshang::jobs::build_site(&zhaoshang::analytics::Engine::new(t.db.clone()), &options(out)).await.unwrap()
}

fn all_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.strip_prefix(dir).unwrap().to_string_lossy().to_string(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    files
}

/// Values of `attr="…"` in an HTML text.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle).filter_map(|(i, _)| html[i + needle.len()..].split('"').next()).collect()
}

/// Checks that every element is closed in order (void elements excepted).
fn well_formed(html: &str) -> Result<(), String> {
    const VOID: [&str; 8] = ["meta", "link", "br", "img", "input", "hr", "source", "wbr"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with("!--") {
            rest = rest.split_once("-->").map_or("", |(_, r)| r);
            continue;
        }
        if rest.starts_with('!') || rest.starts_with('?') {
            continue;
        }
        let end = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[..end];
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        if name == "script" && !tag.starts_with('/') {
            rest = rest.split_once("</script>").map_or("", |(_, r)| r);
            continue;
        }
        if tag.starts_with('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else if !self_closing && !VOID.contains(&name.as_str()) && !name.is_empty() {
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    if stack.is_empty() { Ok(()) } else { Err(format!("left open: {stack:?}")) }
}

/// Every HTML page is well-formed and each of its internal links names a file of the site.
fn assert_pages_well_formed_and_linked(files: &BTreeMap<String, Vec<u8>>) {
    for (name, bytes) in files.iter().filter(|(n, _)| n.ends_with(".html")) {
        let html = std::str::from_utf8(bytes).unwrap();
        well_formed(html).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.ends_with("404.html") {
            continue; // its links start at the base path, checked below
        }
        let dir = Path::new(name).parent().unwrap();
        for link in attribute_values(html, "href").into_iter().chain(attribute_values(html, "src")) {
            if link.starts_with("http")
                || link.starts_with("mailto:")
                || link.starts_with("tel:")
                || link.starts_with('#')
            {
                continue;
            }
            let target = link.split('#').next().unwrap();
            let mut path = dir.to_path_buf();
            for part in target.split('/') {
                match part {
                    ".." => {
                        path.pop();
                    }
                    "" | "." => {}
                    p => path.push(p),
                }
            }
            let key = path.to_string_lossy().to_string();
            assert!(files.contains_key(&key), "{name}: link {link} → {key} does not exist");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_link_resolves_and_every_page_is_well_formed() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = build(&t, out.path()).await;
    assert!(report.pages > 40, "{report:?}");
    let files = all_files(out.path());
    for required in [
        "index.html",
        "en/index.html",
        "opportunities/index.html",
        "results/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "opportunities.json",
        "results/fai.csv",
    ] {
        assert!(files.contains_key(required), "{required} is missing");
    }
    assert_pages_well_formed_and_linked(&files);
    let not_found = String::from_utf8(files["404.html"].clone()).unwrap();
    assert!(
        not_found.contains("href=\"/zhaoshang/opportunities/index.html\""),
        "the 404 page links from the base path"
    );
    let sitemap = String::from_utf8(files["sitemap.xml"].clone()).unwrap();
    roxmltree::Document::parse(&sitemap).unwrap();
    assert!(sitemap.contains("<loc>https://invest.example.gov.cn/zhaoshang/projects/ZS25004/index.html</loc>"));
    assert!(sitemap.contains("<loc>https://invest.example.gov.cn/zhaoshang/en/index.html</loc>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_confidential_is_published() {
    // Contacts, an investor still in negotiation, and a non-public project carry markers.
    let ledger = edited_sample("projects.csv", |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for line in lines.iter_mut().skip(1) {
            *line = line.replace(",联系人", ",LEAKCONTACT").replace(",1390919", ",LEAKPHONE");
        }
        let text = lines.join("\n");
        text.replacen("ZS24004,乔子梁洗煤厂技改项目", "ZS24004,LEAKNONPUBLIC洗煤厂", 1)
            .replacen("乔子梁煤业有限公司", "LEAKNONPUBLICINVESTOR", 1)
            .replacen(
                "ZS25004,紫砂文创产业园,T02,陶瓷紫砂,,",
                "ZS25004,紫砂文创产业园,T02,陶瓷紫砂,LEAKNEGOTIATINGINVESTOR,",
                1,
            )
    });
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, ledger.path(), "test").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    build(&t, out.path()).await;
    let files = all_files(out.path());
    assert!(files.keys().any(|k| k.starts_with("projects/ZS25004/")), "the negotiating project is published");
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for marker in ["LEAK", "13909190"] {
            assert!(!text.contains(marker), "{name} contains {marker}");
        }
    }
    assert!(
        !files.keys().any(|k| k.contains("ZS24004") || k.contains("ZS24007") || k.contains("ZS25005")),
        "non-public or terminated projects have pages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_data_gives_the_same_site_and_rebuilds_touch_only_changes() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = build(&t, a.path()).await;
    build(&t, b.path()).await;
    assert!(all_files(a.path()) == all_files(b.path()), "two builds differ");
    assert_eq!(first.written, first.files);
    let again = build(&t, a.path()).await;
    assert_eq!((again.written, again.unchanged, again.removed), (0, first.files, 0));
    // One project's summary changes: its two pages and the lists showing it.
    let api = common::Api::new(&t.db);
    let admin = common::viewer(zhaoshang::api::auth::Role::Admin, None);
    let r = api
        .run_as(&admin, r#"mutation { updateProject(code: "ZS24006", input: { summary: "新的简介" }) { code } }"#)
        .await;
    assert_eq!(common::error_codes(&r), Vec::<String>::new());
    let changed = build(&t, a.path()).await;
    assert!(changed.written > 0 && changed.written < 12, "{changed:?}");
    // A project taken off the public list disappears from the site.
    let r =
        api.run_as(&admin, r#"mutation { updateProject(code: "ZS24006", input: { public: false }) { code } }"#).await;
    assert_eq!(common::error_codes(&r), Vec::<String>::new());
    let removed = build(&t, a.path()).await;
    // Its zh and en pages, and those of 文化旅游, which listed only it.
    assert_eq!(removed.removed, 4, "{removed:?}");
    assert!(!a.path().join("projects/ZS24006").exists() && !a.path().join("en/projects/ZS24006").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_browser_filters_the_opportunities_and_finds_no_serious_accessibility_issue() {
    let browser_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ready = Path::new("/usr/bin/chromium").is_file()
        && browser_dir.join("node_modules/playwright-core").is_dir()
        && browser_dir.join("node_modules/axe-core").is_dir();
    if !ready {
        common::skip(
            "a_real_browser_filters_the_opportunities_and_finds_no_serious_accessibility_issue",
            "needs /usr/bin/chromium, node and `npm ci` in tests/browser (.ci/run does all)",
        );
        return;
    }
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_ledger(&t.db, zhaoshang::demo::generate(200, 5), "test", "demo").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    build(&t, out.path()).await;
    let screenshots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots");
    let run = std::process::Command::new("node")
        .arg(browser_dir.join("check-site.mjs"))
        .arg(out.path())
        .arg(&screenshots)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("filter narrowed"), "{stdout}");
}

/// Builds into `out`, expecting a refusal; its message.
async fn refused(t: &TestDb, out: &Path) -> String {
    match zhaoshang::jobs::build_site(&zhaoshang::analytics::Engine::new(t.db.clone()), &options(out)).await {
        Err(e) => e.to_string(),
        Ok(report) => panic!("expected the build to be refused, got {report:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_holding_a_users_file_is_refused_and_left_as_it_was() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("README.md"), "我的笔记").unwrap();
    let message = refused(&t, out.path()).await;
    assert!(message.contains("it holds README.md") && message.contains(".zhaoshang-site"), "{message}");
    let files = all_files(out.path());
    assert_eq!(files.keys().collect::<Vec<_>>(), ["README.md"], "the build wrote or removed files");
    assert_eq!(files["README.md"], "我的笔记".as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_removes_only_its_own_stale_pages() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    build(&t, out.path()).await;
    assert!(out.path().join(".zhaoshang-site").is_file(), "the build leaves its manifest");
    // A user's files beside the site, one inside a folder the build made.
    std::fs::write(out.path().join("notes.txt"), "keep").unwrap();
    std::fs::write(out.path().join("projects/ZS24006/draft.txt"), "keep").unwrap();
    let api = common::Api::new(&t.db);
    let admin = common::viewer(zhaoshang::api::auth::Role::Admin, None);
    let r =
        api.run_as(&admin, r#"mutation { updateProject(code: "ZS24006", input: { public: false }) { code } }"#).await;
    assert_eq!(common::error_codes(&r), Vec::<String>::new());
    let report = build(&t, out.path()).await;
    assert_eq!(report.removed, 4, "{report:?}");
    assert!(!out.path().join("projects/ZS24006/index.html").exists(), "a stale page stayed online");
    assert!(!out.path().join("en/projects/ZS24006").exists(), "an emptied folder stayed");
    assert_eq!(std::fs::read_to_string(out.path().join("notes.txt")).unwrap(), "keep");
    assert_eq!(std::fs::read_to_string(out.path().join("projects/ZS24006/draft.txt")).unwrap(), "keep");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_in_the_folder_is_neither_followed_nor_deleted_through() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("victim.txt"), "precious").unwrap();
    std::fs::create_dir(outside.path().join("projects")).unwrap();
    std::fs::write(outside.path().join("projects/index.html"), "precious").unwrap();
    let out = tempfile::tempdir().unwrap();
    build(&t, out.path()).await;
    let before = all_files(out.path());

    // A link beside the site: the rebuild neither enters nor empties it.
    std::os::unix::fs::symlink(outside.path(), out.path().join("elsewhere")).unwrap();
    let report = build(&t, out.path()).await;
    assert_eq!(report.removed, 0);
    assert_eq!(std::fs::read_to_string(outside.path().join("victim.txt")).unwrap(), "precious");

    // A link where the site writes: refused, nothing written through it.
    std::fs::remove_dir_all(out.path().join("projects")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("projects"), out.path().join("projects")).unwrap();
    let message = refused(&t, out.path()).await;
    assert!(message.contains("is a symbolic link") && message.contains("projects"), "{message}");
    let outside_files = all_files(outside.path());
    assert_eq!(outside_files.keys().collect::<Vec<_>>(), ["projects/index.html", "victim.txt"]);
    assert_eq!(outside_files["projects/index.html"], b"precious");
    assert!(before.contains_key("projects/ZS24006/index.html"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_page_shows_public_events_and_the_public_projects_signed_there() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    build(&t, out.path()).await;
    let files = all_files(out.path());
    let page = String::from_utf8(files["events/index.html"].clone()).unwrap();
    let (upcoming, past) = page.split_once("往届活动").unwrap();
    // As of 2025-12-31: 第十届丝博会 (2026-05) is to come; 第九届 and 第八届 are over, the
    // latest first; 深圳招商推介会 is not public.
    assert!(upcoming.contains("第十届丝博会") && upcoming.contains("2026-05-18 – 2026-05-22"), "{upcoming}");
    assert!(past.find("第九届丝博会").unwrap() < past.find("第八届丝博会").unwrap(), "{past}");
    assert!(!page.contains("深圳招商推介会"), "a non-public event is published");
    // 第八届丝博会: its four public projects (ZS24001, ZS24002, ZS24005, ZS24008).
    let eighth = past.split("第八届丝博会").nth(1).unwrap();
    assert!(eighth.contains("当会签约项目（4）"), "{eighth}");
    for code in ["ZS24001", "ZS24002", "ZS24005", "ZS24008"] {
        assert!(eighth.contains(&format!("projects/{code}/")), "{code} missing: {eighth}");
    }
    let english = String::from_utf8(files["en/events/index.html"].clone()).unwrap();
    assert!(english.contains("Past events") && english.contains("Projects signed there"), "{english}");
    // Nothing of the internal sheets: contacts, contact summaries, supervision items.
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for secret in ["13800000001", "考察再生资源园区", "中药材项目天然气接入", "老客商"] {
            assert!(!text.contains(secret), "{name} contains {secret}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_and_carrier_pages_publish_the_public_and_nothing_else() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &chains_csv(), "test").await.unwrap();
    let out = tempfile::tempdir().unwrap();
    build(&t, out.path()).await;
    let files = all_files(out.path());
    assert_pages_well_formed_and_linked(&files);
    let page =
        |name: &str| String::from_utf8(files.get(name).unwrap_or_else(|| panic!("{name} is missing")).clone()).unwrap();
    let ceramics = zhaoshang::publish::public::slug("陶瓷产业链");
    for prefix in ["", "en/"] {
        let index = page(&format!("{prefix}chains/index.html"));
        assert!(index.contains(&format!("chains/{ceramics}/index.html")), "the chain index links the chain");
        assert!(index.contains("<svg"), "the chain index carries the map");
        page(&format!("{prefix}carriers/index.html"));
    }
    // As of 2025-12-31: 日用陶瓷 has Z001 in production → 已有; 泥料制备's only project was
    // terminated → a gap, with what is sought; 陶瓷文创 has Z003 started → 在建.
    let chain = page(&format!("chains/{ceramics}/index.html"));
    let row = |link: &str| {
        let at = chain.find(&format!("<th scope=\"row\">{link}</th>")).unwrap_or_else(|| panic!("no row {link}"));
        let end = chain[at..].find("</tr>").unwrap() + at;
        chain[at..end].to_string()
    };
    assert!(row("日用陶瓷").contains("status-present") && row("日用陶瓷").contains("日用瓷生产线项目"));
    assert!(row("泥料制备").contains("status-missing") && row("泥料制备").contains("高岭土精制企业"));
    assert!(row("陶瓷文创").contains("status-building") && row("陶瓷文创").contains("projects/Z003/index.html"));
    assert!(!row("泥料制备").contains("泥料精制厂"), "a terminated project is not listed on its link");
    // The project page names its chain (linked) and its carrier: C03 is in use, so it is
    // named but has no entry on the carriers page to link to.
    let z001 = page("projects/Z001/index.html");
    assert!(z001.contains(&format!("chains/{ceramics}/index.html")) && z001.contains("日用陶瓷"));
    assert!(z001.contains("陈炉镇标准化厂房") && !z001.contains("carriers/index.html#"));
    // The carriers page: the public carriers available on the day (C01; C04 from 2025-07-01),
    // not the non-public C02, nor C03 (in use) or C05 (reserved).
    let carriers = page("carriers/index.html");
    for (name, listed) in [
        ("陈炉镇陶瓷园地块", true),
        ("红土镇B工业地块", true),
        ("陈炉镇老窑场闲置厂区", false),
        ("园区标准化厂房二期", false),
    ] {
        assert_eq!(carriers.contains(name), listed, "{name} listed: expected {listed}");
    }
    assert!(carriers.contains("10万元/亩") && carriers.contains("三通一平"));
    assert!(page("en/carriers/index.html").contains("Industrial land"));
    // Nothing confidential anywhere: carrier and project contacts, non-public projects
    // and the non-public carrier.
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for secret in [
            "赵主任",
            "钱主任",
            "孙主任",
            "0919-31000",
            "张工",
            "1390000000",
            "日用瓷生产线二期",
            "精密铸造项目",
            "老窑场",
            "社区便利店",
        ] {
            assert!(!text.contains(secret), "{name} contains {secret}");
        }
    }
}
