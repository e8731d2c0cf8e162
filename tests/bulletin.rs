//! The bulletin: its numbers are the engine's (checked against the independently worked
//! figures of the sample), in Markdown and HTML, through the command line.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{TestDb, sample_xlsx};
use zhaoshang::analytics::Frames;
use zhaoshang::analytics::scorecard::ScoringConfig;
use zhaoshang::bulletin::{Bulletin, last_complete_quarter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulletin_reports_the_engines_figures() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let frames = Frames::load(&t.db).await.unwrap();
    let as_of = "2025-12-31".parse().unwrap();
    let b = tokio::task::spawn_blocking(move || Bulletin::compute(&frames, as_of, &ScoringConfig::default()))
        .await
        .unwrap()
        .unwrap();
    let md = b.to_markdown();
    // FAI 2025: 13,580.5 万元, YoY −0.35792 (expected.json, December).
    assert!(md.contains("| 固定资产投资完成额 | 1–12月 | 1.36亿元 | -35.8% |"), "{md}");
    assert!(md.contains("## 二、2025年第4季度单位考核排名"), "{md}");
    assert!(md.contains("| 签约项目全军覆没 | 陈炉镇 |"), "T02 is none_landed in the expected alerts: {md}");
    assert!(md.contains("开而未建 | 产业园区管委会 | 陶瓷壳模二期项目（ZS24002）"), "{md}");
    let html = b.to_html();
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>\n"));
    assert_eq!(html.matches("<table>").count(), html.matches("</table>").count());
    assert!(html.contains("<td>1.36亿元</td>"));
}

#[test]
fn the_ranked_quarter_is_the_last_one_ended() {
    let q = |d: &str| last_complete_quarter(d.parse().unwrap());
    assert_eq!(q("2025-12-31"), Some((2025, 4)));
    assert_eq!(q("2025-12-30"), Some((2025, 3)));
    assert_eq!(q("2026-01-15"), Some((2025, 4)));
    assert_eq!(q("2026-04-01"), Some((2026, 1)));
}

#[test]
fn the_cli_writes_the_bulletin_as_html() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhaoshang"))
            .arg("--database-url")
            .arg(&url)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["import", sample_xlsx().to_str().unwrap()]);
    let file = dir.path().join("通报.html");
    run(&["bulletin", "--as-of", "2025-12-31", "--format", "html", "--out", file.to_str().unwrap()]);
    let html = std::fs::read_to_string(file).unwrap();
    assert!(html.contains("招商引资工作通报（数据截至2025年12月31日）"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulletin_reports_contacts_events_incentives_and_supervision() {
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_file(&t.db, &common::sample_csv(), "test").await.unwrap();
    let frames = Frames::load(&t.db).await.unwrap();
    let as_of = "2025-12-31".parse().unwrap();
    let b = tokio::task::spawn_blocking(move || Bulletin::compute(&frames, as_of, &ScoringConfig::default()))
        .await
        .unwrap()
        .unwrap();
    let md = b.to_markdown();
    // The hand-worked figures of tests/pipeline_figures.rs: 7 contacted in 2025, 3
    // visited, 2 at intent, 1 signed; D02 (区经贸局) contacted 2, both visited.
    assert!(md.contains("| 区经贸局 | 2 | 2 | 2 | 1 |"), "{md}");
    assert!(md.contains("| 合计 | 7 | 3（42.9%） | 2（28.6%） | 1（14.3%） |"), "{md}");
    assert!(md.contains("| 产业园区管委会 | 佛山陶瓷商会 | 169 |"), "{md}");
    // 第八届丝博会: 4 signed, 143000.5 万元, half landed, 2 not landed.
    assert!(
        md.contains(
            "| 第八届丝博会 | 4 | 143000.5 | 50.0% | 商业城市综合体项目（ZS24005）、苹果精深加工项目（ZS24008） |"
        ),
        "{md}"
    );
    assert!(md.contains("| 产业园区管委会 | 陶瓷壳模二期项目（ZS24002） | 120 | 275 |"), "{md}");
    // 分级通报, the gravest first; the descriptions (confidential) are not printed.
    let supervision = md.split("十、督办事项逾期").nth(1).unwrap();
    let table = "| 约谈 | 广阳镇 | S2025-04 | 31 |\n| 通报 | 产业园区管委会 | S2025-05 | 21 |\n| 提醒 | 陈炉镇 | S2025-03 | 11 |";
    assert!(supervision.contains(table), "{supervision}");
    assert!(!md.contains("天然气接入") && !md.contains("13800000002"), "no confidential text: {md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulletin_maps_the_chains_and_lists_every_gap_with_what_is_sought() {
    use sea_orm::EntityTrait;
    let t = TestDb::sqlite().await;
    zhaoshang::jobs::import_ledger(&t.db, zhaoshang::demo::generate(200, 5), "test", "demo").await.unwrap();
    let frames = Frames::load(&t.db).await.unwrap();
    let links = entities::chain_link::Entity::find().all(&t.db).await.unwrap();
    let projects = entities::project::Entity::find().all(&t.db).await.unwrap();
    let as_of: chrono::NaiveDate = "2025-12-31".parse().unwrap();
    // A gap (补链): a link no project fills — none taken in by the day and not terminated.
    let taken_in = |p: &entities::project::Model| {
        [p.intent_date, p.negotiation_date, p.signed_date, p.started_date, p.producing_date, p.capacity_date]
            .into_iter()
            .flatten()
            .min()
            .is_some_and(|d| d <= as_of)
    };
    let gaps: Vec<&entities::chain_link::Model> = links
        .iter()
        .filter(|l| {
            !projects.iter().any(|p| {
                p.chain_link.as_deref() == Some(l.reference().as_str())
                    && p.terminated_date.is_none_or(|d| d > as_of)
                    && taken_in(p)
            })
        })
        .collect();
    assert!(gaps.len() >= 5, "the demo's chains lack links: {gaps:?}");
    let b = tokio::task::spawn_blocking(move || Bulletin::compute(&frames, as_of, &ScoringConfig::default()))
        .await
        .unwrap()
        .unwrap();
    let html = b.to_html();
    let section = &html[html.find("产业链图谱与补链方向").unwrap()..];
    assert!(section.contains("<figure class=\"chain-map\"><svg"), "the chain map, inline");
    let svg = &section[section.find("<svg").unwrap()..section.find("</svg>").unwrap() + 6];
    roxmltree::Document::parse(svg).unwrap();
    assert!(svg.contains("产业链图谱"), "the map's title");
    let md = b.to_markdown();
    for g in &gaps {
        let sought = g.sought.clone().unwrap_or_default();
        let row = format!("<tr><td>{}</td><td>{}</td><td>{sought}</td></tr>", g.chain, g.link);
        assert!(section.contains(&row), "{row} in the bulletin's HTML");
        assert!(
            md.contains(&format!("- {} · {}：{sought}\n", g.chain, g.link)),
            "{} · {} in the Markdown",
            g.chain,
            g.link
        );
    }
    assert_eq!(section.matches("<tr><td>").count(), gaps.len(), "exactly the gaps are listed");
    assert_eq!(html.matches("<table>").count(), html.matches("</table>").count());
}
