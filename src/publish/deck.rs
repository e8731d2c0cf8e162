//! Decks (`exports/decks/*.toml`): a list of entries, each a figure of the engine with
//! its options, built into a [`Chart`] and the table of numbers behind it, or a table of
//! public records (carriers, key projects) shown as an editable table. The same functions
//! serve the slides and the site, so the numbers match the API's.
//!
//! The promotion entries (`chain_map`, `carriers`, `key_projects`) are for investors:
//! they carry public data only, each row built through the allow-list of
//! [`super::public`] (which asks [`crate::policy`]).

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::native::{NativeChart, NativeKind, NativeSeries};
use super::public::{Lang, PublicCarrier, PublicChain, PublicProject, chain_map};
use crate::analytics::chains::ChainFigures;
use crate::analytics::cohort::{cohort, funnel, pipeline};
use crate::analytics::scorecard::{ScoringConfig, scorecards};
use crate::analytics::volume::{self, Granularity, base_day, by_group, trend};
use crate::analytics::{AnalyticsError, Frames, Metric, ProjectFilter};
use crate::bulletin::last_complete_quarter;
use crate::charts::columns::{ColumnChart, Series};
use crate::charts::funnel::FunnelChart;
use crate::charts::ranking::{RankRow, RankingChart};
use crate::charts::rates::{Rate, RateChart};
use crate::charts::theme::money_unit;
use crate::charts::trend::TrendChart;
use crate::charts::{Chart, Frame};
use crate::money::to_wan;
use crate::rules::Stage;

/// Where the data come from, on every footnote.
pub const SOURCE: &str = "zhaoshang 招商项目台账";

/// A deck file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deck {
    /// The title slide's title.
    pub title: String,
    /// The title slide's subtitle.
    #[serde(default)]
    pub subtitle: String,
    /// The charts, one per slide.
    #[serde(rename = "chart")]
    pub charts: Vec<ChartSpec>,
}

/// A span of time relative to the as-of day.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// 1 January of the as-of year to the as-of day.
    Ytd,
    /// The whole previous year.
    LastYear,
}

/// How a column chart groups projects.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// By responsible unit.
    Unit,
    /// By industry.
    Industry,
}

/// One chart of a deck. `title` may use `{year}`, `{last_year}`, `{month}` and
/// `{quarter_name}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChartSpec {
    /// Year to date by month (or quarter) with YoY.
    Trend {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// `FAI`, `SIGNED_INVESTMENT`, …
        metric: String,
        /// `MONTH` (default) or `QUARTER`.
        #[serde(default)]
        granularity: Option<String>,
    },
    /// This year to date against the same span last year, by unit or industry.
    Columns {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// The metric.
        metric: String,
        /// Grouping.
        by: By,
    },
    /// Projects by stage on the as-of day.
    Pipeline {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
    },
    /// Cohort rates of the projects signed in a span.
    Rates {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// Which signings.
        cohort: Span,
    },
    /// The funnel of the projects taken in during a span.
    Funnel {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// Which intake.
        intake: Span,
    },
    /// The engagement funnel (对接 → 考察 → 意向 → 签约) of the investors first contacted
    /// in a span.
    EngagementFunnel {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// Which first contacts.
        contacts: Span,
    },
    /// Incentives due by the as-of day, promised against paid, by unit (兑现率).
    Incentives {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
    },
    /// The ranking of the latest quarter ended by the as-of day.
    Ranking {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
    },
    /// The chain map (产业链图谱) of the named chains, or of all when none is named: link
    /// names, positions and statuses, gaps marked 补链 (public data only).
    ChainMap {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// The chains (`陶瓷产业链`, …), in the map's order; empty: every chain.
        #[serde(default)]
        chains: Vec<String>,
    },
    /// A table of the public carriers available on the day (可供载体), as an editable
    /// table, paginated.
    Carriers {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// Only these kinds (`工业用地`, `标准化厂房`, …); empty: every kind.
        #[serde(default)]
        kinds: Vec<String>,
        /// Only carriers of these units (codes); empty: every unit.
        #[serde(default)]
        units: Vec<String>,
        /// Only carriers whose name or summary holds one of these words; empty: all.
        #[serde(default)]
        keywords: Vec<String>,
    },
    /// A table of the public key projects (重点推介项目), as an editable table, paginated.
    /// With both filters, a project of one of the chains or of one of the industries is
    /// listed.
    KeyProjects {
        /// File name stem.
        id: String,
        /// Slide title.
        title: String,
        /// Only projects on a link of these chains; empty: no chain filter.
        #[serde(default)]
        chains: Vec<String>,
        /// Only projects of these industries (产业类别); empty: no industry filter.
        #[serde(default)]
        industries: Vec<String>,
    },
}

impl ChartSpec {
    /// The file name stem.
    pub fn id(&self) -> &str {
        match self {
            ChartSpec::Trend { id, .. }
            | ChartSpec::Columns { id, .. }
            | ChartSpec::Pipeline { id, .. }
            | ChartSpec::Rates { id, .. }
            | ChartSpec::Funnel { id, .. }
            | ChartSpec::EngagementFunnel { id, .. }
            | ChartSpec::Incentives { id, .. }
            | ChartSpec::Ranking { id, .. }
            | ChartSpec::ChainMap { id, .. }
            | ChartSpec::Carriers { id, .. }
            | ChartSpec::KeyProjects { id, .. } => id,
        }
    }
}

/// A cell of a chart's data table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number (empty when none).
    Number(Option<f64>),
}

impl Cell {
    /// The cell as the CSV and the table slides write it (a number rounded as
    /// [`published`], none as empty).
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(Some(n)) => format!("{}", published(*n)),
            Cell::Number(None) => String::new(),
        }
    }
}

/// The numbers behind a chart, for CSV, Excel and the site's tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The table as CSV (UTF-8 with BOM, for Excel).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut bytes);
            let _ = w.write_record(&self.headers);
            for row in &self.rows {
                let _ = w.write_record(row.iter().map(Cell::text));
            }
            let _ = w.flush();
        }
        bytes
    }
}

/// A number as the table publishes it (CSV, native charts): rounded to 6 decimals, so
/// that every copy of a chart's numbers reads the same.
pub fn published(n: f64) -> f64 {
    (n * 1e6).round() / 1e6
}

/// A chart built from the data, with its table.
#[derive(Clone, Debug)]
pub struct Built {
    /// File name stem.
    pub id: String,
    /// The chart.
    pub chart: Chart,
    /// Its numbers.
    pub table: Table,
}

/// A table of public records for the table slides (editable in the deck), with the
/// slide's texts; its CSV is [`Table::to_csv`] and its slides show the same cell texts.
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltTable {
    /// File name stem.
    pub id: String,
    /// Slide title (continuation slides add `（续）`).
    pub title: String,
    /// The line under the title.
    pub subtitle: String,
    /// `数据截至 … · 来源：…`.
    pub footnote: String,
    /// The rows.
    pub table: Table,
    /// Relative column widths.
    pub widths: Vec<u32>,
}

/// A deck entry built: a chart, or a table of public records.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A chart with the table of its numbers.
    Chart(Built),
    /// A table slide (or several, paginated).
    Table(BuiltTable),
}

/// How a chart's table maps to a native (PowerPoint, Excel) chart: which column holds
/// the categories, which are bars and which is a line on a secondary axis. The one home
/// of this mapping, for the deck's `.pptx` and its `.xlsx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeForm {
    /// Columns or horizontal bars.
    pub kind: NativeKind,
    /// The table column of the categories.
    pub category: usize,
    /// The table columns drawn as bars.
    pub bars: Vec<usize>,
    /// The table column drawn as a line on a secondary axis.
    pub line: Option<usize>,
}

impl Built {
    /// The native form of this chart, or `None` for a kind without one (drawn as a
    /// picture): trends are columns of the cumulative value with the growth as a line,
    /// column charts their columns, and funnels, rates and rankings horizontal bars. The
    /// chain map is a diagram, not series of values: it has no native form.
    pub fn native_form(&self) -> Option<NativeForm> {
        let headers = &self.table.headers;
        Some(match &self.chart {
            Chart::Trend(_) => NativeForm { kind: NativeKind::Column, category: 0, bars: vec![2], line: Some(3) },
            Chart::Columns(_) => NativeForm {
                kind: NativeKind::Column,
                category: 0,
                // The value columns carry their unit: `本年（亿元）`.
                bars: (1..headers.len()).filter(|c| headers[*c].contains('（')).collect(),
                line: None,
            },
            Chart::Ranking(_) => NativeForm { kind: NativeKind::Bar, category: 1, bars: vec![2], line: None },
            Chart::Funnel(_) | Chart::Rates(_) => {
                NativeForm { kind: NativeKind::Bar, category: 0, bars: vec![1], line: None }
            }
            Chart::ChainMap(_) => return None,
        })
    }

    /// The native chart with the table's numbers, or `None` (see [`Built::native_form`]).
    pub fn native(&self) -> Option<NativeChart> {
        let form = self.native_form()?;
        let text = |cell: &Cell| match cell {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.map(|n| n.to_string()).unwrap_or_default(),
        };
        let column = |c: usize, line: bool| NativeSeries {
            name: self.table.headers.get(c).cloned().unwrap_or_default(),
            values: self
                .table
                .rows
                .iter()
                .map(|row| match row.get(c) {
                    Some(Cell::Number(n)) => n.map(published),
                    _ => None,
                })
                .collect(),
            line,
        };
        let mut series: Vec<NativeSeries> = form.bars.iter().map(|c| column(*c, false)).collect();
        series.extend(form.line.map(|c| column(c, true)));
        Some(NativeChart {
            kind: form.kind,
            categories: self
                .table
                .rows
                .iter()
                .map(|row| row.get(form.category).map(text).unwrap_or_default())
                .collect(),
            series,
        })
    }
}

/// Why a chart could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A figure could not be computed.
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// The deck names something that does not exist.
    #[error("chart {id}: {reason}")]
    Spec {
        /// The chart.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default()
}

fn span(s: Span, as_of: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate) {
    match s {
        Span::Ytd => (year_start(as_of.year()), as_of, as_of),
        Span::LastYear => (year_start(as_of.year() - 1), year_start(as_of.year()).pred_opt().unwrap_or(as_of), as_of),
    }
}

fn quarter_name(year: i32, quarter: u32) -> String {
    format!("{year}年第{}季度", ["一", "二", "三", "四"][(quarter as usize).clamp(1, 4) - 1])
}

fn fill_title(title: &str, as_of: NaiveDate) -> String {
    let quarter = last_complete_quarter(as_of).map_or("最近一个季度".into(), |(y, q)| quarter_name(y, q));
    title
        .replace("{year}", &as_of.year().to_string())
        .replace("{last_year}", &(as_of.year() - 1).to_string())
        .replace("{month}", &as_of.month().to_string())
        .replace("{quarter_name}", &quarter)
}

fn metric(id: &str, name: &str) -> Result<Metric, BuildError> {
    Metric::from_name(name)
        .ok_or_else(|| BuildError::Spec { id: id.into(), reason: format!("unknown metric {name:?}") })
}

/// A metric's values in display units: 亿元 or 万元 for money (chosen by the largest),
/// counts as they are. Returns the divisor from yuan/counts and the unit's name.
fn display_unit(metric: Metric, largest: i64) -> (f64, &'static str) {
    if metric.is_money() {
        let (divisor, unit) = money_unit(to_wan(largest));
        (divisor * 10_000.0, unit)
    } else {
        (1.0, "个")
    }
}

/// The chains' figures named by `names` (all when empty) as of `as_of`, in that order;
/// a name that is no chain is an error naming the chains there are.
fn selected_chains(
    frames: &Frames,
    id: &str,
    names: &[String],
    as_of: NaiveDate,
) -> Result<Vec<ChainFigures>, BuildError> {
    let all = frames.promotion().chains(as_of);
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|name| {
            all.iter().find(|c| &c.name == name).cloned().ok_or_else(|| BuildError::Spec {
                id: id.into(),
                reason: format!(
                    "no chain {name:?}; there are: {}",
                    all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("、")
                ),
            })
        })
        .collect()
}

/// A text cut to `chars` characters, with `…` when cut (the slides' summaries).
fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(chars).collect::<String>())
    }
}

/// How many characters of a project's summary a key-project table shows.
const SUMMARY_CHARS: usize = 30;

/// Builds one entry of a deck as of `as_of`: a chart ([`build`]) or a table of public
/// records.
pub fn build_entry(
    frames: &Frames,
    spec: &ChartSpec,
    as_of: NaiveDate,
    scoring: &ScoringConfig,
) -> Result<Entry, BuildError> {
    let unit_name =
        |code: &str| frames.units.iter().find(|u| u.code == code).map_or(code.to_string(), |u| u.name.clone());
    let footnote = Frame::new("", "", as_of, SOURCE).footnote;
    let public_carriers = || -> Vec<PublicCarrier> {
        frames
            .promotion()
            .carriers
            .iter()
            .filter_map(|c| PublicCarrier::of(c, &unit_name(&c.unit_code), as_of, Lang::Zh))
            .collect()
    };
    let text = |s: &str| Cell::Text(s.to_string());
    match spec {
        ChartSpec::Carriers { id, title, kinds, units, keywords } => {
            let holds = |c: &PublicCarrier, word: &str| {
                c.name.contains(word) || c.summary.as_deref().is_some_and(|s| s.contains(word))
            };
            let carriers: Vec<PublicCarrier> = public_carriers()
                .into_iter()
                .filter(|c| c.available)
                .filter(|c| kinds.is_empty() || kinds.contains(&c.kind))
                .filter(|c| units.is_empty() || units.contains(&c.unit_code))
                .filter(|c| keywords.is_empty() || keywords.iter().any(|k| holds(c, k)))
                .collect();
            let table = Table {
                headers: ["载体名称", "类型", "所在单位", "面积（亩）", "建筑面积（平方米）", "价格"]
                    .map(String::from)
                    .to_vec(),
                rows: carriers
                    .iter()
                    .map(|c| {
                        vec![
                            text(&c.name),
                            text(&c.kind_label),
                            text(&c.unit_name),
                            Cell::Number(c.area_mu),
                            Cell::Number(c.floor_area),
                            text(c.price.as_deref().unwrap_or_default()),
                        ]
                    })
                    .collect(),
            };
            Ok(Entry::Table(BuiltTable {
                id: id.clone(),
                title: fill_title(title, as_of),
                subtitle: format!("公开推介、截至当日可供的载体 {} 处", carriers.len()),
                footnote,
                table,
                widths: vec![30, 14, 16, 10, 14, 18],
            }))
        }
        ChartSpec::KeyProjects { id, title, chains, industries } => {
            // A chain that does not exist is a mistake in the deck, as for the map.
            selected_chains(frames, id, chains, as_of)?;
            let carriers = public_carriers();
            let order = |p: &PublicProject| {
                p.chain.as_ref().and_then(|c| chains.iter().position(|x| x == c)).unwrap_or(chains.len())
            };
            let mut projects: Vec<PublicProject> = frames
                .promotion()
                .key_projects
                .iter()
                .filter_map(|p| PublicProject::of(p, &unit_name(&p.unit_code), as_of, Lang::Zh))
                .filter(|p| p.key_project)
                .filter(|p| {
                    (chains.is_empty() && industries.is_empty())
                        || p.chain.as_ref().is_some_and(|c| chains.contains(c))
                        || industries.contains(&p.industry)
                })
                .map(|p| p.with_carrier(&carriers))
                .collect();
            // By chain in the deck's order (stable: by code within a chain).
            projects.sort_by_key(order);
            let table = Table {
                headers: ["项目名称", "产业类别", "产业链环节", "总投资", "阶段", "落地载体", "项目简介"]
                    .map(String::from)
                    .to_vec(),
                rows: projects
                    .iter()
                    .map(|p| {
                        let link = match (&p.chain, &p.chain_link) {
                            (Some(chain), Some(link)) => format!("{chain} · {link}"),
                            _ => String::new(),
                        };
                        vec![
                            text(&p.name),
                            text(&p.industry),
                            Cell::Text(link),
                            text(&p.investment_text),
                            text(p.stage_label),
                            text(p.carrier.as_ref().map_or("", |c| c.name.as_str())),
                            Cell::Text(shorten(p.summary.as_deref().unwrap_or_default(), SUMMARY_CHARS)),
                        ]
                    })
                    .collect(),
            };
            Ok(Entry::Table(BuiltTable {
                id: id.clone(),
                title: fill_title(title, as_of),
                subtitle: format!("公开推介的重点项目 {} 个", projects.len()),
                footnote,
                table,
                widths: vec![22, 11, 20, 9, 7, 15, 28],
            }))
        }
        _ => build(frames, spec, as_of, scoring).map(Entry::Chart),
    }
}

/// Builds one chart of a deck as of `as_of` (a table entry is an error: see
/// [`build_entry`]).
pub fn build(
    frames: &Frames,
    spec: &ChartSpec,
    as_of: NaiveDate,
    scoring: &ScoringConfig,
) -> Result<Built, BuildError> {
    let all = ProjectFilter::default();
    let frame = |title: &str, subtitle: String| Frame::new(fill_title(title, as_of), subtitle, as_of, SOURCE);
    let unit_name =
        |code: &str| frames.units.iter().find(|u| u.code == code).map_or(code.to_string(), |u| u.name.clone());
    let (chart, table) = match spec {
        ChartSpec::Trend { id, title, metric: name, granularity } => {
            let metric = metric(id, name)?;
            let g = match granularity.as_deref() {
                None | Some("MONTH") => Granularity::Month,
                Some("QUARTER") => Granularity::Quarter,
                Some(other) => {
                    return Err(BuildError::Spec {
                        id: id.clone(),
                        reason: format!("granularity {other:?} is not MONTH or QUARTER"),
                    });
                }
            };
            let from = year_start(as_of.year());
            // Up to the as-of day only: a period after it has no figures and no column.
            let points: Vec<_> = trend(frames, metric, from, as_of.with_day(1).unwrap_or(as_of), g, &all, as_of)?
                .into_iter()
                .filter(|p| p.cumulative.is_some())
                .collect();
            let cumulative = |p: &volume::TrendPoint| p.cumulative.unwrap_or(0);
            let (divisor, unit) = display_unit(metric, points.iter().map(cumulative).max().unwrap_or(0));
            let span = volume::Span::year_to_date(metric, as_of).words_zh();
            let label = |p: &crate::analytics::volume::TrendPoint| match g {
                Granularity::Quarter => format!(
                    "{}季度",
                    ["一", "二", "三", "四"]
                        [p.period.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(1) as usize - 1]
                ),
                _ => format!("{}月", p.period[5..].trim_start_matches('0')),
            };
            let chart = TrendChart {
                frame: frame(title, format!("指标：{}（年初至今累计，{span}；同比为上年同一期间）", metric.label_zh())),
                periods: points.iter().map(label).collect(),
                values: points.iter().map(|p| cumulative(p) as f64 / divisor).collect(),
                yoy: points.iter().map(|p| p.yoy).collect(),
                value_name: format!("累计（{unit}）"),
            };
            let table = Table {
                headers: vec![
                    "期间".into(),
                    format!("当期（{unit}）"),
                    format!("累计（{unit}）"),
                    "同比增速（%）".into(),
                ],
                rows: points
                    .iter()
                    .map(|p| {
                        vec![
                            Cell::Text(p.period.clone()),
                            Cell::Number(p.value.map(|v| v as f64 / divisor)),
                            Cell::Number(p.cumulative.map(|v| v as f64 / divisor)),
                            Cell::Number(p.yoy.map(|y| y * 100.0)),
                        ]
                    })
                    .collect(),
            };
            (Chart::Trend(chart), table)
        }
        ChartSpec::Columns { id, title, metric: name, by } => {
            let metric = metric(id, name)?;
            let column = match by {
                By::Unit => "unit",
                By::Industry => "industry",
            };
            let now = by_group(frames, metric, &all, (year_start(as_of.year()), as_of, as_of), column)?;
            // The same span a year earlier, ending on the same day (29 February → 28).
            let last_as_of = base_day(as_of);
            let before =
                by_group(frames, metric, &all, (year_start(as_of.year() - 1), last_as_of, last_as_of), column)?;
            let span = volume::Span::year_to_date(metric, as_of).words_zh();
            let keys: Vec<(String, String)> = match by {
                By::Unit => frames.units.iter().map(|u| (u.code.clone(), u.name.clone())).collect(),
                By::Industry => {
                    let mut names: Vec<String> = now.keys().chain(before.keys()).cloned().collect();
                    names.sort();
                    names.dedup();
                    names.into_iter().map(|n| (n.clone(), n)).collect()
                }
            };
            let largest = now.values().chain(before.values()).copied().max().unwrap_or(0);
            let (divisor, unit) = display_unit(metric, largest);
            let value =
                |m: &std::collections::HashMap<String, i64>, k: &str| m.get(k).copied().unwrap_or(0) as f64 / divisor;
            let chart = ColumnChart {
                frame: frame(title, format!("单位：{unit}")),
                categories: keys.iter().map(|(_, n)| n.clone()).collect(),
                series: vec![
                    Series {
                        name: format!("{}年{span}", as_of.year()),
                        values: keys.iter().map(|(k, _)| value(&now, k)).collect(),
                    },
                    Series {
                        name: format!("{}年{span}", as_of.year() - 1),
                        values: keys.iter().map(|(k, _)| value(&before, k)).collect(),
                    },
                ],
                stacked: false,
                decimals: if metric.is_money() { 2 } else { 0 },
            };
            let table = Table {
                headers: vec![
                    if *by == By::Unit { "单位" } else { "产业" }.into(),
                    format!("本年（{unit}）"),
                    format!("上年同期（{unit}）"),
                ],
                rows: keys
                    .iter()
                    .map(|(k, n)| {
                        vec![
                            Cell::Text(n.clone()),
                            Cell::Number(Some(value(&now, k))),
                            Cell::Number(Some(value(&before, k))),
                        ]
                    })
                    .collect(),
            };
            (Chart::Columns(chart), table)
        }
        ChartSpec::Pipeline { title, .. } => {
            let stages = pipeline(frames, as_of, &all)?;
            let chart = ColumnChart {
                frame: frame(title, "单位：个（不含已终止项目）".into()),
                categories: stages.iter().map(|s| s.stage.label_zh().to_string()).collect(),
                series: vec![Series {
                    name: "项目数".into(), values: stages.iter().map(|s| s.count as f64).collect()
                }],
                stacked: false,
                decimals: 0,
            };
            let table = Table {
                headers: vec!["阶段".into(), "项目数（个）".into(), "总投资（亿元）".into()],
                rows: stages
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::Text(s.stage.label_zh().into()),
                            Cell::Number(Some(s.count as f64)),
                            Cell::Number(Some(to_wan(s.investment) / 10_000.0)),
                        ]
                    })
                    .collect(),
            };
            (Chart::Columns(chart), table)
        }
        ChartSpec::Rates { title, cohort: which, .. } => {
            let (from, to, at) = span(*which, as_of);
            let c = cohort(frames, from, to, at, &all)?;
            let n = c.size();
            let rates = vec![
                Rate { label: "落地率".into(), value: c.landing_rate(), detail: format!("{}/{n}", c.landed.len()) },
                Rate {
                    label: "投产率".into(),
                    value: c.production_rate(),
                    detail: format!("{}/{n}", c.producing.len()),
                },
                Rate {
                    label: "履约率".into(),
                    value: c.fulfillment_rate(),
                    detail: format!("{}/{n}", c.fulfilled.len()),
                },
                Rate {
                    label: "注册率".into(),
                    value: c.registration_rate(),
                    detail: format!("{}/{n}", c.registered.len()),
                },
                Rate {
                    label: "资金到位率".into(),
                    value: c.fund_arrival_rate(),
                    detail: format!("{:.2}/{:.2}亿元", to_wan(c.funds_arrived) / 1e4, to_wan(c.total_investment) / 1e4),
                },
            ];
            let table = Table {
                headers: vec!["指标".into(), "比率（%）".into(), "构成".into()],
                rows: rates
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Text(r.label.clone()),
                            Cell::Number(r.value.map(|v| v * 100.0)),
                            Cell::Text(r.detail.clone()),
                        ]
                    })
                    .collect(),
            };
            (
                Chart::Rates(RateChart {
                    frame: frame(title, format!("签约项目 {n} 个，统计至 {at}")), rates
                }),
                table,
            )
        }
        ChartSpec::Funnel { title, intake, .. } => {
            let (from, to, at) = span(*intake, as_of);
            let f = funnel(frames, from, to, at, &all)?;
            let stages: Vec<(String, u64)> =
                f.stages.iter().map(|s| (s.stage.label_zh().to_string(), s.reached as u64)).collect();
            let conversions: Vec<Option<f64>> =
                f.stages.iter().take(Stage::ALL.len() - 1).map(|s| s.conversion_to_next).collect();
            let table = Table {
                headers: vec![
                    "阶段".into(),
                    "到达项目数（个）".into(),
                    "向下一阶段转化率（%）".into(),
                    "到下一阶段天数中位数".into(),
                ],
                rows: f
                    .stages
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::Text(s.stage.label_zh().into()),
                            Cell::Number(Some(s.reached as f64)),
                            Cell::Number(s.conversion_to_next.map(|v| v * 100.0)),
                            Cell::Number(s.days_to_next_median),
                        ]
                    })
                    .collect(),
            };
            let subtitle =
                format!("意向→投产转化率 {}", f.intent_to_production.map_or("—".into(), crate::charts::theme::percent));
            (Chart::Funnel(FunnelChart { frame: frame(title, subtitle), stages, conversions }), table)
        }
        ChartSpec::EngagementFunnel { title, contacts, .. } => {
            let (from, to, at) = span(*contacts, as_of);
            let rows = crate::analytics::engagement::funnel(
                frames.work(),
                from,
                to,
                at,
                crate::analytics::engagement::EngagementGroup::None,
            );
            let r = rows.into_iter().next().unwrap_or_default();
            let stages: Vec<(String, u64)> =
                [("初步对接", r.contacted), ("来区考察", r.visited), ("达成意向", r.intent), ("签约", r.signed)]
                    .into_iter()
                    .map(|(label, n)| (label.to_string(), n as u64))
                    .collect();
            let rate = |x: Option<f64>| x.map_or("—".into(), crate::charts::theme::percent);
            // The stages are not nested (an investor may sign without a visit): the rates
            // are of the investors contacted, as docs/metrics.md defines them.
            let subtitle = format!(
                "考察率 {} · 意向率 {} · 签约率 {}（均占初步对接客商）",
                rate(r.visit_rate()),
                rate(r.intent_rate()),
                rate(r.signing_rate())
            );
            let table = Table {
                headers: vec!["环节".into(), "客商数（家）".into(), "占初步对接（%）".into()],
                rows: [
                    ("初步对接", r.contacted, Some(1.0).filter(|_| r.contacted > 0)),
                    ("来区考察", r.visited, r.visit_rate()),
                    ("达成意向", r.intent, r.intent_rate()),
                    ("签约", r.signed, r.signing_rate()),
                ]
                .into_iter()
                .map(|(label, n, share)| {
                    vec![Cell::Text(label.into()), Cell::Number(Some(n as f64)), Cell::Number(share.map(|v| v * 100.0))]
                })
                .collect(),
            };
            let conversions = vec![None; stages.len() - 1];
            (Chart::Funnel(FunnelChart { frame: frame(title, subtitle), stages, conversions }), table)
        }
        ChartSpec::Incentives { title, .. } => {
            use crate::analytics::incentives::{IncentiveGroup, summary};
            let rows = summary(&frames.work().incentives, frames.project_units(), as_of, IncentiveGroup::Unit);
            let total = summary(&frames.work().incentives, frames.project_units(), as_of, IncentiveGroup::None)
                .into_iter()
                .next()
                .unwrap_or_default();
            let wan = |y: i64| to_wan(y);
            let names: Vec<String> = rows.iter().map(|r| unit_name(r.group.as_deref().unwrap_or_default())).collect();
            let subtitle = format!(
                "单位：万元 · 兑现率 {}，逾期未兑现 {} 项",
                total.payment_rate().map_or("—".into(), crate::charts::theme::percent),
                total.overdue_count
            );
            let chart = ColumnChart {
                frame: frame(title, subtitle),
                categories: names.clone(),
                series: vec![
                    Series { name: "应兑现".into(), values: rows.iter().map(|r| wan(r.promised)).collect() },
                    Series { name: "已兑现".into(), values: rows.iter().map(|r| wan(r.paid)).collect() },
                ],
                stacked: false,
                decimals: 0,
            };
            let table = Table {
                headers: vec![
                    "单位".into(),
                    "应兑现（万元）".into(),
                    "已兑现（万元）".into(),
                    "兑现率（%）".into(),
                    "逾期（项）".into(),
                ],
                rows: rows
                    .iter()
                    .zip(names)
                    .map(|(r, name)| {
                        vec![
                            Cell::Text(name),
                            Cell::Number(Some(wan(r.promised))),
                            Cell::Number(Some(wan(r.paid))),
                            Cell::Number(r.payment_rate().map(|v| v * 100.0)),
                            Cell::Number(Some(r.overdue_count as f64)),
                        ]
                    })
                    .collect(),
            };
            (Chart::Columns(chart), table)
        }
        ChartSpec::ChainMap { id, title, chains } => {
            let figures = selected_chains(frames, id, chains, as_of)?;
            let chart = chain_map(&figures, &fill_title(title, as_of), as_of, SOURCE);
            // The links as the public sees them (the allow-list): no project counts, no
            // investment.
            let mut rows = Vec::new();
            for chain in figures.iter().map(|c| PublicChain::of(c, &[], Lang::Zh)) {
                for l in chain.links {
                    rows.push(vec![
                        Cell::Text(chain.name.clone()),
                        Cell::Text(l.name),
                        Cell::Text(l.position),
                        Cell::Text(l.status_label.into()),
                        Cell::Text(l.sought.unwrap_or_default()),
                    ]);
                }
            }
            let table = Table {
                headers: ["产业链", "环节", "位置", "状态", "招引方向"].map(String::from).to_vec(),
                rows,
            };
            (chart, table)
        }
        ChartSpec::Carriers { id, .. } | ChartSpec::KeyProjects { id, .. } => {
            return Err(BuildError::Spec { id: id.clone(), reason: "a table, not a chart".into() });
        }
        ChartSpec::Ranking { title, .. } => {
            let cards = match last_complete_quarter(as_of) {
                Some((y, q)) => scorecards(frames, y, q, scoring)?,
                None => Vec::new(),
            };
            let rows: Vec<RankRow> = cards
                .iter()
                .map(|c| RankRow {
                    name: unit_name(&c.unit),
                    score: c.score,
                    rank: c.rank,
                    bottom: c.bottom,
                    accountability: c.accountability,
                })
                .collect();
            let table = Table {
                headers: vec![
                    "排名".into(),
                    "单位".into(),
                    "得分".into(),
                    "排名靠后".into(),
                    "连续两次排名靠后".into(),
                ],
                rows: rows
                    .iter()
                    .map(|r| {
                        let yes = |b: bool| Cell::Text(if b { "是" } else { "否" }.into());
                        vec![
                            Cell::Number(Some(r.rank as f64)),
                            Cell::Text(r.name.clone()),
                            Cell::Number(Some(r.score)),
                            yes(r.bottom),
                            yes(r.accountability),
                        ]
                    })
                    .collect(),
            };
            let subtitle = format!("得分 = 100 × Σ权重 × 完成率 / Σ权重；红色为后{}名", scoring.bottom);
            (Chart::Ranking(RankingChart { frame: frame(title, subtitle), rows }), table)
        }
    };
    Ok(Built { id: spec.id().to_string(), chart, table })
}
