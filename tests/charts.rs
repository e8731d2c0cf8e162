//! Charts and slides: pictures of the right size with text really drawn (and drawn in
//! the right place), SVGs that parse and hold their Chinese title, determinism, empty
//! and extreme data, a valid `.pptx` (and, where LibreOffice is installed, one PDF page
//! per slide), and snapshots of each chart kind's layout.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use common::{TestDb, sample_csv};
use zhaoshang::analytics::chains::LinkStatus;
use zhaoshang::charts::chainmap::{ChainMapChart, MapChain, MapLink};
use zhaoshang::charts::columns::{ColumnChart, Series};
use zhaoshang::charts::funnel::FunnelChart;
use zhaoshang::charts::ranking::{RankRow, RankingChart};
use zhaoshang::charts::rates::{Rate, RateChart};
use zhaoshang::charts::text::{Anchor, TextItem, missing_glyphs};
use zhaoshang::charts::trend::TrendChart;
use zhaoshang::charts::{Chart, Format, Frame, Size};

fn frame(title: &str) -> Frame {
    Frame::new(title, "单位：亿元", NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(), "测试台账")
}

/// One chart of each kind, with ordinary data.
fn every_kind() -> Vec<(&'static str, Chart)> {
    vec![
        (
            "trend",
            Chart::Trend(TrendChart {
                frame: frame("2025年固定资产投资（亿元）"),
                periods: vec!["1月".into(), "2月".into(), "3月".into()],
                values: vec![0.29, 0.29, 0.51],
                yoy: vec![None, Some(0.45), Some(-0.203125)],
                value_name: "累计（亿元）".into(),
            }),
        ),
        (
            "columns",
            Chart::Columns(ColumnChart {
                frame: frame("各单位签约金额"),
                categories: vec!["陈炉镇".into(), "产业园区管委会".into(), "城关街道".into()],
                series: vec![
                    Series { name: "本年".into(), values: vec![4.2, 1.85, 2.8] },
                    Series { name: "上年同期".into(), values: vec![1.0, 0.0, 3.3] },
                ],
                stacked: false,
                decimals: 2,
            }),
        ),
        (
            "funnel",
            Chart::Funnel(FunnelChart {
                frame: frame("新招引项目转化漏斗"),
                stages: vec![
                    ("意向".into(), 6),
                    ("洽谈".into(), 6),
                    ("签约".into(), 6),
                    ("开工".into(), 4),
                    ("投产".into(), 1),
                    ("达产".into(), 1),
                ],
                conversions: vec![Some(1.0), Some(1.0), Some(2.0 / 3.0), Some(0.25), Some(1.0)],
            }),
        ),
        (
            "ranking",
            Chart::Ranking(RankingChart {
                frame: frame("2025年第三季度单位考核排名"),
                rows: vec![
                    RankRow {
                        name: "城关街道".into(), score: 121.7, rank: 1, bottom: false, accountability: false
                    },
                    RankRow { name: "陈炉镇".into(), score: 79.3, rank: 2, bottom: false, accountability: false },
                    RankRow { name: "红土镇".into(), score: 0.0, rank: 3, bottom: true, accountability: true },
                ],
            }),
        ),
        (
            "rates",
            Chart::Rates(RateChart {
                frame: frame("2024年签约项目落地情况"),
                rates: vec![
                    Rate { label: "落地率".into(), value: Some(0.625), detail: "5/8".into() },
                    Rate { label: "注册率".into(), value: None, detail: "0/0".into() },
                ],
            }),
        ),
        ("chainmap", chain_map()),
    ]
}

/// Two chains: every status, a band with three links, a band with none.
fn chain_map() -> Chart {
    let link = |name: &str, position: &str, status| MapLink { name: name.into(), position: position.into(), status };
    Chart::ChainMap(ChainMapChart {
        frame: frame("产业链图谱"),
        chains: vec![
            MapChain {
                name: "陶瓷产业链".into(),
                links: vec![
                    link("泥料制备", "上游", LinkStatus::Missing),
                    link("日用陶瓷", "中游", LinkStatus::Present),
                    link("建筑陶瓷", "中游", LinkStatus::Building),
                    link("工业陶瓷", "中游", LinkStatus::Negotiating),
                    link("品牌营销与电商", "下游", LinkStatus::Missing),
                ],
            },
            MapChain {
                name: "军民融合产业链".into(),
                links: vec![
                    link("特种材料", "上游", LinkStatus::Present),
                    link("精密加工", "中游", LinkStatus::Building),
                ],
            },
        ],
    })
}

#[test]
fn the_chain_map_places_links_by_position_and_marks_every_gap() {
    let chart = chain_map();
    let Chart::ChainMap(data) = &chart else { unreachable!() };
    let texts = chart.text_items(Size::hd(1));
    let find = |text: &str| texts.iter().find(|t| t.text == text).unwrap_or_else(|| panic!("{text} is not drawn"));
    // The three band headers, left to right, and each link's name inside its band.
    let bands: Vec<f32> = ["上游", "中游", "下游"].iter().map(|b| find(b).x).collect();
    assert!(bands[0] < bands[1] && bands[1] < bands[2]);
    let half_band = (bands[1] - bands[0]) / 2.0;
    for chain in &data.chains {
        for link in &chain.links {
            let band = ["上游", "中游", "下游"].iter().position(|b| *b == link.position).unwrap();
            let x = find(&link.name).x;
            assert!((x - bands[band]).abs() <= half_band, "{} drawn outside {}", link.name, link.position);
        }
    }
    // One 补链 mark per gap, right under the gap's name.
    let gaps: Vec<&MapLink> =
        data.chains.iter().flat_map(|c| &c.links).filter(|l| l.status == LinkStatus::Missing).collect();
    let marks: Vec<_> = texts.iter().filter(|t| t.text == "补链").collect();
    assert_eq!(marks.len(), gaps.len());
    for gap in gaps {
        let name = find(&gap.name);
        assert!(marks.iter().any(|m| (m.x - name.x).abs() < 1.0 && m.y > name.y), "{} has no 补链 mark", gap.name);
    }
    // The legend names the four statuses; rows follow the chains' order.
    for label in ["已有", "在建", "在谈", "缺失（补链）"] {
        find(label);
    }
    assert!(find("陶瓷产业链").y < find("军民融合产业链").y);
}

/// Pixels that are not white in a region of an RGB buffer.
fn inked(rgb: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * width + x) * 3) as usize;
            if rgb[i] < 200 || rgb[i + 1] < 200 || rgb[i + 2] < 200 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn pngs_have_the_size_asked_and_the_title_is_drawn() {
    for (name, chart) in every_kind() {
        for size in [Size::full_hd(1), Size::hd(1), Size::hd(2)] {
            let png = chart.render(size, Format::Png).unwrap().bytes;
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
            assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), size.width, "{name}");
            assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), size.height, "{name}");
        }
        let size = Size::hd(1);
        let rgb = chart.rasterize(size).unwrap();
        // The title's line box: 48..600 × 26..70 at 1280×720.
        assert!(inked(&rgb, size.width, (48, 26, 600, 70)) > 500, "{name}: no title drawn");
        assert!(inked(&rgb, size.width, (0, 0, 40, 720)) == 0, "{name}: ink in the left margin");
    }
}

#[test]
fn full_width_brackets_are_placed_by_their_own_bearing() {
    // plotters 0.3.7 would draw '（' from the pen position; the glyph's ink starts more
    // than a third of an em to the right of it.
    let (width, height, size) = (400u32, 100u32, 60.0);
    let mut rgb = vec![255u8; (width * height * 3) as usize];
    TextItem { text: "（亿元）".into(), x: 100.0, y: 10.0, size, color: (0, 0, 0), anchor: Anchor::Left }
        .rasterize(&mut rgb, width, height);
    let first_ink = (0..width).find(|x| inked(&rgb, width, (*x, 0, x + 1, height)) > 0).unwrap();
    assert!(first_ink as f32 >= 100.0 + size * 0.35, "the bracket's ink starts at x = {first_ink}");
    assert!(inked(&rgb, width, (100, 0, 300, 100)) > 800, "the characters are drawn");
}

#[test]
fn characters_missing_from_the_font_are_reported_not_hidden() {
    assert!(missing_glyphs("陈炉镇招商（亿元）2025年1–10月").is_empty());
    assert_eq!(missing_glyphs("𪛖项目").into_iter().collect::<String>(), "𪛖");
    let mut chart = every_kind().remove(0).1;
    if let Chart::Trend(t) = &mut chart {
        t.frame.title = "𪛖项目".into();
    }
    assert_eq!(chart.render(Size::hd(1), Format::Png).unwrap().missing.into_iter().collect::<String>(), "𪛖");
}

#[test]
fn svgs_parse_and_hold_their_chinese_title() {
    for (name, chart) in every_kind() {
        let svg = String::from_utf8(chart.render(Size::hd(1), Format::Svg).unwrap().bytes).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let title = doc.descendants().find(|n| n.has_tag_name("title")).and_then(|n| n.text()).unwrap();
        assert_eq!(title, chart.frame().title);
        assert!(
            doc.descendants().any(|n| n.attribute("aria-label") == Some(chart.frame().footnote.as_str())),
            "{name}: footnote"
        );
    }
}

#[test]
fn the_same_chart_gives_the_same_bytes() {
    for (name, chart) in every_kind() {
        for format in [Format::Png, Format::Svg] {
            assert!(
                chart.render(Size::hd(1), format).unwrap().bytes == chart.render(Size::hd(1), format).unwrap().bytes,
                "{name}"
            );
        }
    }
}

#[test]
fn empty_data_says_so_and_extreme_data_draws() {
    for (name, chart) in every_kind() {
        let empty = match chart {
            Chart::Trend(mut c) => {
                c.values.iter_mut().for_each(|v| *v = 0.0);
                Chart::Trend(c)
            }
            Chart::Columns(mut c) => {
                c.categories.clear();
                Chart::Columns(c)
            }
            Chart::Funnel(mut c) => {
                c.stages.iter_mut().for_each(|s| s.1 = 0);
                Chart::Funnel(c)
            }
            Chart::Ranking(mut c) => {
                c.rows.clear();
                Chart::Ranking(c)
            }
            Chart::Rates(mut c) => {
                c.rates.iter_mut().for_each(|r| r.value = None);
                Chart::Rates(c)
            }
            Chart::ChainMap(mut c) => {
                c.chains.iter_mut().for_each(|ch| ch.links.clear());
                Chart::ChainMap(c)
            }
        };
        let texts = empty.text_items(Size::hd(1));
        assert!(texts.iter().any(|t| t.text == "暂无数据"), "{name}");
        empty.render(Size::hd(1), Format::Png).unwrap();
    }
    let extreme = Chart::Columns(ColumnChart {
        frame: frame("一个单位是其他单位的100倍"),
        categories: (1..=12).map(|i| format!("第{i}个单位名称很长")).collect(),
        series: vec![Series {
            name: "本年".into(),
            values: (1..=12).map(|i| if i == 1 { 10_000.0 } else { 100.0 }).collect(),
        }],
        stacked: true,
        decimals: 0,
    });
    let texts = extreme.text_items(Size::hd(1));
    assert!(texts.iter().all(|t| t.x >= 0.0 && t.x <= 1280.0 && t.y >= 0.0 && t.y <= 720.0), "text off the picture");
    extreme.render(Size::full_hd(1), Format::Png).unwrap();
    let negative = Chart::Trend(TrendChart {
        frame: frame("同比下降"),
        periods: vec!["1月".into(), "2月".into()],
        values: vec![-5.0, 3.0],
        yoy: vec![Some(-0.95), Some(-3.5)],
        value_name: "累计".into(),
    });
    let texts = negative.text_items(Size::hd(1));
    assert!(texts.iter().any(|t| t.text == "-350.0%"));
    negative.render(Size::hd(1), Format::Svg).unwrap();
}

#[test]
fn the_layout_of_each_chart_kind_is_stable() {
    for (name, chart) in every_kind() {
        let layout: Vec<String> = chart
            .text_items(Size::hd(1))
            .iter()
            .map(|t| format!("{:>7.1} {:>6.1} {:>4.1} {:?} {}", t.x, t.y, t.size, t.anchor, t.text))
            .collect();
        let svg = String::from_utf8(chart.render(Size::hd(1), Format::Svg).unwrap().bytes).unwrap();
        let shapes: Vec<&str> = svg.lines().filter(|l| !l.starts_with("<path aria-label")).collect();
        insta::assert_snapshot!(format!("{name}-layout"), layout.join("\n"));
        insta::assert_snapshot!(format!("{name}-shapes"), shapes.join("\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_deck_is_a_valid_presentation() {
    let t = TestDb::sqlite().await;
    // The CSV sample: the workbook's projects and the sheets of contacts and incentives.
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.unwrap();
    let frames = zhaoshang::analytics::Frames::load(&t.db).await.unwrap();
    let deck_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exports/decks/weekly.toml");
    let deck = zhaoshang::publish::slides::read_deck(&deck_path).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (a, b) = (out.path().join("a"), out.path().join("b"));
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let config = Default::default();
    let written = tokio::task::spawn_blocking({
        let (a, b) = (a.clone(), b.clone());
        move || {
            let one =
                zhaoshang::publish::slides::write_slides(&frames, &deck, "weekly", as_of, &config, Size::hd(1), &a)
                    .unwrap();
            zhaoshang::publish::slides::write_slides(&frames, &deck, "weekly", as_of, &config, Size::hd(1), &b)
                .unwrap();
            one
        }
    })
    .await
    .unwrap();
    assert_eq!(written.files.len(), 8 * 3 + 2, "PNG, SVG, CSV per chart; pptx; xlsx");
    assert!(written.missing_glyphs.is_empty());
    for file in &written.files {
        let name = file.file_name().unwrap();
        assert!(
            std::fs::read(file).unwrap() == std::fs::read(b.join(name)).unwrap(),
            "{name:?} differs between two runs"
        );
    }
    // The CSV behind the FAI chart has the engine's numbers: 2025 cumulative 13,580.5 万元 = 1.358 亿元.
    let csv = String::from_utf8(std::fs::read(a.join("fai-trend.csv")).unwrap()).unwrap();
    assert!(csv.contains("2025-12,0,1.35805,-35.79187"), "{csv}");
    // The engagement funnel of 2025 (7 contacted, 3 visited, 2 at intent, 1 signed) and
    // the incentives due by unit (D02: 800 promised, 600 paid), as worked by hand in
    // tests/pipeline_figures.rs.
    let csv = String::from_utf8(std::fs::read(a.join("engagement-funnel.csv")).unwrap()).unwrap();
    assert!(csv.contains("初步对接,7,100\n来区考察,3,42.857143\n达成意向,2,28.571429\n签约,1,14.285714"), "{csv}");
    let csv = String::from_utf8(std::fs::read(a.join("incentives.csv")).unwrap()).unwrap();
    assert!(csv.contains("区经贸局,800,600,75,0\n产业园区管委会,120,0,0,1"), "{csv}");

    let pptx = common::zip_entries(&std::fs::read(a.join("weekly.pptx")).unwrap());
    let types = String::from_utf8(pptx["[Content_Types].xml"].clone()).unwrap();
    for (name, data) in &pptx {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            roxmltree::Document::parse(std::str::from_utf8(data).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if name.ends_with(".xml") && name != "[Content_Types].xml" {
            assert!(types.contains(&format!("PartName=\"/{name}\"")), "{name} has no content type");
        }
        if let Some(rels) = name.strip_suffix(".rels") {
            // Every relationship's target exists in the package.
            let base = rels.replace("_rels/", "");
            let dir = std::path::Path::new(&base).parent().map(|p| p.to_path_buf()).unwrap_or_default();
            let xml = String::from_utf8(data.clone()).unwrap();
            let doc = roxmltree::Document::parse(&xml).unwrap();
            for rel in doc.descendants().filter(|n| n.has_tag_name("Relationship")) {
                let target = rel.attribute("Target").unwrap();
                let mut path = dir.clone();
                for part in target.split('/') {
                    if part == ".." {
                        path.pop();
                    } else {
                        path.push(part);
                    }
                }
                let path = path.to_string_lossy().trim_start_matches('/').to_string();
                assert!(pptx.contains_key(&path), "{name}: target {target} ({path}) is missing");
            }
        }
    }
    assert_eq!(pptx.keys().filter(|k| k.starts_with("ppt/slides/slide")).count(), 9, "a title slide and eight charts");
    // Every chart is native and editable: its part caches the CSV's numbers and points at
    // an embedded workbook that holds them too.
    let csvs: Vec<_> = written.files.iter().filter(|f| f.extension().is_some_and(|e| e == "csv")).collect();
    for (i, csv) in csvs.iter().enumerate() {
        let number = i + 2;
        let chart = String::from_utf8(pptx[&format!("ppt/charts/chart{number}.xml")].clone()).unwrap();
        let table = read_csv(csv);
        let series = native_series(&chart);
        assert!(!series.is_empty(), "{csv:?}: a native chart with series");
        for (name, categories, values) in series {
            let column = table.0.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} not in {csv:?}"));
            let expected: Vec<Option<f64>> = table.1.iter().map(|row| row[column].parse().ok()).collect();
            assert_eq!(values, expected, "{csv:?}: series {name}");
            let labels =
                (0..table.0.len()).any(|c| table.1.iter().map(|row| row[c].clone()).collect::<Vec<_>>() == categories);
            assert!(labels, "{csv:?}: categories {categories:?} are a column of the CSV");
        }
        let rels = String::from_utf8(pptx[&format!("ppt/charts/_rels/chart{number}.xml.rels")].clone()).unwrap();
        let embedded = format!("ppt/embeddings/Microsoft_Excel_Worksheet{number}.xlsx");
        assert!(rels.contains(&format!("Target=\"../embeddings/Microsoft_Excel_Worksheet{number}.xlsx\"")), "{rels}");
        let sheet = common::zip_entries(&pptx[&embedded]);
        assert!(sheet.contains_key("xl/worksheets/sheet1.xml"), "the embedded workbook has Sheet1");
    }
    assert!(!pptx.keys().any(|k| k.starts_with("ppt/media/")), "no picture where a native chart exists");
    let workbook = common::zip_entries(&std::fs::read(a.join("weekly.xlsx")).unwrap());
    assert_eq!(workbook.keys().filter(|k| k.starts_with("xl/charts/chart")).count(), 8, "a native chart per sheet");

    // LibreOffice, where installed (CI installs it), opens the deck: one page per slide.
    if which("libreoffice").is_none() {
        common::skip("the LibreOffice conversion of the deck", "libreoffice is not installed");
        return;
    }
    let converted = std::process::Command::new("libreoffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(out.path())
        .arg(a.join("weekly.pptx"))
        .env("HOME", out.path())
        .output()
        .unwrap();
    assert!(converted.status.success(), "{}", String::from_utf8_lossy(&converted.stderr));
    let pdf = std::fs::read(out.path().join("weekly.pdf")).unwrap();
    assert_eq!(count_pages(&pdf), 9, "one PDF page per slide");
}

/// A CSV file's headers and rows (UTF-8 with BOM).
fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (headers, rows)
}

/// Each series of a chart part: its name, its cached categories and its cached values
/// (a missing point is `None`).
fn native_series(xml: &str) -> Vec<(String, Vec<String>, Vec<Option<f64>>)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let points = |node: roxmltree::Node| -> Vec<(usize, String)> {
        node.descendants()
            .filter(|n| n.has_tag_name("pt"))
            .map(|pt| {
                let idx = pt.attribute("idx").unwrap().parse().unwrap();
                let v = pt.children().find(|c| c.has_tag_name("v")).and_then(|v| v.text()).unwrap_or("").to_string();
                (idx, v)
            })
            .collect()
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("ser"))
        .map(|ser| {
            let child = |name: &str| ser.children().find(|c| c.has_tag_name(name)).unwrap();
            let name = points(child("tx")).remove(0).1;
            let categories: Vec<String> = points(child("cat")).into_iter().map(|(_, v)| v).collect();
            let count: usize = child("val")
                .descendants()
                .find(|n| n.has_tag_name("ptCount"))
                .and_then(|n| n.attribute("val"))
                .unwrap()
                .parse()
                .unwrap();
            let mut values = vec![None; count];
            for (idx, v) in points(child("val")) {
                values[idx] = Some(v.parse().unwrap());
            }
            (name, categories, values)
        })
        .collect()
}

/// Page objects of a PDF: `/Type /Page` (any spacing), not `/Type /Pages`.
fn count_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type")
        .filter(|(i, _)| {
            let rest = text[i + 5..].trim_start();
            rest.starts_with("/Page") && !rest.starts_with("/Pages")
        })
        .count()
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(program)).find(|p| p.is_file()))
}
