//! Chart benchmark (issue: a chart in < 30 ms at 1920×1080, ≥ 10× faster than
//! matplotlib; the weekly deck in < 1 s).
//!
//! Method: each chart kind with a year of data is rendered 20 times at 1920×1080 as PNG
//! and as SVG; the mean is reported. The weekly deck (`exports/decks/weekly.toml`: six
//! charts as PNG + SVG + CSV, the .pptx and the .xlsx) is written 5 times for the
//! 600-project demo district, the best run reported. The same 12-month column + YoY line
//! chart is drawn with matplotlib by `benches/matplotlib_chart.py` (the same font file,
//! PNG at 1920×1080), when python3 with matplotlib is installed.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use chrono::NaiveDate;
use zhaoshang::charts::columns::{ColumnChart, Series};
use zhaoshang::charts::funnel::FunnelChart;
use zhaoshang::charts::ranking::{RankRow, RankingChart};
use zhaoshang::charts::rates::{Rate, RateChart};
use zhaoshang::charts::trend::TrendChart;
use zhaoshang::charts::{Chart, Format, Frame, Size};

fn frame(title: &str) -> Frame {
    Frame::new(title, "单位：亿元", NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default(), "zhaoshang 招商项目台账")
}

fn charts() -> Vec<(&'static str, Chart)> {
    let months: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
    let units: Vec<String> = [
        "城关街道",
        "王家河街道",
        "桃园街道",
        "陈炉镇",
        "红土镇",
        "广阳镇",
        "黄堡镇",
        "董家河镇",
        "区经贸局",
        "区招商局",
        "区文旅局",
        "产业园区管委会",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    vec![
        (
            "trend",
            Chart::Trend(TrendChart {
                frame: frame("2025年固定资产投资完成情况"),
                periods: months,
                values: (1..=12).map(|m| m as f64 * 1.13).collect(),
                yoy: (1..=12).map(|m| Some((m as f64 - 6.0) / 20.0)).collect(),
                value_name: "累计（亿元）".into(),
            }),
        ),
        (
            "columns",
            Chart::Columns(ColumnChart {
                frame: frame("2025年各单位签约金额"),
                categories: units.clone(),
                series: vec![
                    Series { name: "本年".into(), values: (0..12).map(|i| i as f64 * 1.7).collect() },
                    Series { name: "上年同期".into(), values: (0..12).map(|i| 20.0 - i as f64).collect() },
                ],
                stacked: false,
                decimals: 2,
            }),
        ),
        (
            "funnel",
            Chart::Funnel(FunnelChart {
                frame: frame("2024年新招引项目转化漏斗"),
                stages: vec![
                    ("意向".into(), 180),
                    ("洽谈".into(), 150),
                    ("签约".into(), 110),
                    ("开工".into(), 80),
                    ("投产".into(), 40),
                    ("达产".into(), 20),
                ],
                conversions: vec![Some(0.83), Some(0.73), Some(0.72), Some(0.5), Some(0.5)],
            }),
        ),
        (
            "ranking",
            Chart::Ranking(RankingChart {
                frame: frame("2025年第三季度单位考核排名"),
                rows: units
                    .iter()
                    .enumerate()
                    .map(|(i, u)| RankRow {
                        name: u.clone(),
                        score: 120.0 - i as f64 * 9.0,
                        rank: i + 1,
                        bottom: i >= 9,
                        accountability: i == 11,
                    })
                    .collect(),
            }),
        ),
        (
            "rates",
            Chart::Rates(RateChart {
                frame: frame("2024年签约项目落地情况"),
                rates: ["落地率", "投产率", "履约率", "注册率", "资金到位率"]
                    .iter()
                    .enumerate()
                    .map(|(i, l)| Rate {
                        label: l.to_string(),
                        value: Some(0.9 - i as f64 * 0.15),
                        detail: "5/8".into(),
                    })
                    .collect(),
            }),
        ),
    ]
}

fn main() {
    zhaoshang::allocator::configure(); // as the binary does
    let size = Size::full_hd(1);
    for (name, chart) in charts() {
        for format in [Format::Png, Format::Svg] {
            let started = Instant::now();
            for _ in 0..20 {
                std::hint::black_box(chart.render(size, format).expect("render"));
            }
            println!("{name:8} {:?} 1920×1080: {:.1} ms", format, started.elapsed().as_secs_f64() * 1000.0 / 20.0);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let frames = runtime.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("deck.db").display());
        let db = zhaoshang::store::connect(&url).await.expect("connect");
        zhaoshang::jobs::import_ledger(&db, zhaoshang::demo::generate(600, 2026), "bench", "demo")
            .await
            .expect("import");
        zhaoshang::analytics::Frames::load(&db).await.expect("frames")
    });
    let deck_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exports/decks/weekly.toml");
    let deck = zhaoshang::publish::slides::read_deck(&deck_path).expect("deck");
    let mut best = f64::MAX;
    for i in 0..5 {
        let started = Instant::now();
        let out = dir.path().join(format!("deck{i}"));
        zhaoshang::publish::slides::write_slides(
            &frames,
            &deck,
            "weekly",
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            &Default::default(),
            size,
            &out,
        )
        .expect("slides");
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("weekly deck (6 charts: PNG + SVG + CSV each, .pptx, .xlsx): {:.0} ms", best * 1000.0);
    let font = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/charts/fonts/NotoSansSC-GB2312.otf");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/matplotlib_chart.py");
    match std::process::Command::new("python3").arg(script).arg(font).arg(dir.path()).output() {
        Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
        Ok(out) => println!(
            "matplotlib comparison skipped: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ),
        Err(e) => println!("matplotlib comparison skipped: {e}"),
    }
}
