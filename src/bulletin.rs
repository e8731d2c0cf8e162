//! The semi-monthly bulletin (招商引资工作通报) a district office sends out: headline
//! figures with YoY, the ranking table, the units flagged, overdue and stalled projects,
//! open element issues by age — every number from the analytics engine — and the
//! industry chains: their map and the gaps to fill (补链) with what is sought, from the
//! same public chain data as the site and the decks ([`crate::publish::public`]).

mod work;

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use crate::analytics::alerts::{Alert, AlertKind, alerts};
use crate::analytics::cohort::cohort;
use crate::analytics::scorecard::{Scorecard, ScoringConfig, quarter_end, scorecards};
use crate::analytics::volume::year_to_date;
use crate::analytics::{AnalyticsError, Frames, Metric, ProjectFilter};
use crate::markup::escape;
use crate::money::to_wan;
use crate::publish::public::{Lang, PublicChain, chain_map, chain_map_size};

/// The closing note of every bulletin: what the figures mean.
const NOTE: &str = "说明：指标口径见 docs/metrics.md；金额为亿元，同比为本期累计与上年同一期间（按日截至上年同日，月度指标按相同月份）之比。";

/// One headline figure: this year to date and the growth over the same span last year.
#[derive(Clone, Debug, PartialEq)]
pub struct Headline {
    /// What (Chinese).
    pub label: &'static str,
    /// The span it covers, in words (`1月1日至6月15日`, `1–6月`); empty for a rate.
    pub span: String,
    /// The value, formatted with its unit.
    pub value: String,
    /// 同比, as a fraction; none on a zero base.
    pub yoy: Option<f64>,
}

/// Everything a bulletin says, before it is written out.
#[derive(Clone, Debug)]
pub struct Bulletin {
    /// The as-of day.
    pub as_of: NaiveDate,
    /// Headline figures.
    pub headlines: Vec<Headline>,
    /// The ranked quarter (the latest one ended by the as-of day), if any.
    pub quarter: Option<(i32, u32)>,
    /// Its scorecards.
    pub ranking: Vec<Scorecard>,
    /// Alerts as of the day for the year to date.
    pub alerts: Vec<Alert>,
    /// Unit names by code.
    unit_names: std::collections::HashMap<String, String>,
    /// Project names by code.
    project_names: std::collections::HashMap<String, String>,
    /// The sections on contacts, events, incentives and supervision ([`work`]).
    work_sections: Vec<work::Section>,
    /// The industry chains as of the day, as the public sees them.
    chains: Vec<PublicChain>,
    /// Their map.
    chain_map: Option<crate::charts::Chart>,
}

/// The heading of the chains' section.
const CHAINS_HEADING: &str = "十一、产业链图谱与补链方向";

/// A growth rate with its sign, rounded as every chart and page rounds it (四舍五入).
fn percent(x: Option<f64>) -> String {
    x.map_or("—".into(), |x| {
        let text = crate::charts::theme::percent(x);
        if text.starts_with('-') { text } else { format!("+{text}") }
    })
}

/// The latest quarter that ended on or before `as_of`.
pub fn last_complete_quarter(as_of: NaiveDate) -> Option<(i32, u32)> {
    let (mut year, mut quarter) = (as_of.year(), as_of.month0() / 3 + 1);
    loop {
        if quarter_end(year, quarter)? <= as_of {
            return Some((year, quarter));
        }
        if quarter == 1 {
            year -= 1;
            quarter = 4;
        } else {
            quarter -= 1;
        }
    }
}

impl Bulletin {
    /// Computes the bulletin as of `as_of`.
    pub fn compute(frames: &Frames, as_of: NaiveDate, config: &ScoringConfig) -> Result<Bulletin, AnalyticsError> {
        let all = ProjectFilter::default();
        let january = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of);
        let mut headlines = Vec::new();
        for (label, metric) in [
            ("签约项目", Metric::SignedCount),
            ("签约金额", Metric::SignedInvestment),
            ("新开工项目", Metric::NewStarts),
            ("固定资产投资完成额", Metric::Fai),
            ("到位资金", Metric::FundsArrived),
            ("实际利用市域外资金", Metric::OutOfRegionFunds),
        ] {
            let ytd = year_to_date(frames, metric, &all, as_of)?;
            let value = if metric.is_money() {
                format!("{}亿元", crate::charts::theme::number(to_wan(ytd.value) / 10_000.0, 2))
            } else {
                format!("{}个", ytd.value)
            };
            headlines.push(Headline { label, span: ytd.span.words_zh(), value, yoy: ytd.yoy });
        }
        let signed = cohort(frames, january, as_of, as_of, &all)?;
        headlines.push(Headline {
            label: "本年签约项目落地率",
            span: String::new(),
            value: signed
                .landing_rate()
                .map_or("—".into(), |r| format!("{:.1}%（{}/{}）", r * 100.0, signed.landed.len(), signed.size())),
            yoy: None,
        });
        let quarter = last_complete_quarter(as_of);
        let ranking = match quarter {
            Some((y, q)) => scorecards(frames, y, q, config)?,
            None => Vec::new(),
        };
        let mut bulletin = Bulletin {
            as_of,
            headlines,
            quarter,
            ranking,
            alerts: alerts(frames, as_of, january)?,
            unit_names: frames.units.iter().map(|u| (u.code.clone(), u.name.clone())).collect(),
            project_names: (**frames.project_names()).clone(),
            work_sections: Vec::new(),
            chains: Vec::new(),
            chain_map: None,
        };
        // The chains through the public allow-list: link names, statuses and what is
        // sought, no project counts or investment.
        let figures = frames.promotion().chains(as_of);
        bulletin.chains = figures.iter().map(|c| PublicChain::of(c, &[], Lang::Zh)).collect();
        if !figures.is_empty() {
            bulletin.chain_map = Some(chain_map(&figures, "产业链图谱", as_of, crate::publish::deck::SOURCE));
        }
        let names = work::Names { unit: &|c| bulletin.unit(c), project: &|c| bulletin.project(c) };
        let work_sections = work::sections(frames, as_of, &bulletin.alerts, &names);
        bulletin.work_sections = work_sections;
        Ok(bulletin)
    }

    fn unit(&self, code: &str) -> String {
        self.unit_names.get(code).cloned().unwrap_or_else(|| code.to_string())
    }

    fn project(&self, code: &str) -> String {
        self.project_names.get(code).map_or_else(|| code.to_string(), |n| format!("{n}（{code}）"))
    }

    fn units_flagged(&self, kind: AlertKind) -> String {
        let names: Vec<String> = self.alerts.iter().filter(|a| a.kind == kind).map(|a| self.unit(&a.unit)).collect();
        if names.is_empty() { "无".into() } else { names.join("、") }
    }

    /// The sections as (heading, table header, rows): one structure for both formats.
    fn sections(&self) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
        let mut sections = Vec::new();
        sections.push((
            "一、总体情况（年初至今）".to_string(),
            vec!["指标".into(), "期间".into(), "累计".into(), "同比".into()],
            self.headlines
                .iter()
                .map(|h| vec![h.label.to_string(), h.span.clone(), h.value.clone(), percent(h.yoy)])
                .collect(),
        ));
        let title = match self.quarter {
            Some((y, q)) => format!("二、{y}年第{q}季度单位考核排名"),
            None => "二、单位考核排名".into(),
        };
        sections.push((
            title,
            vec!["排名".into(), "单位".into(), "得分".into(), "备注".into()],
            self.ranking
                .iter()
                .map(|c| {
                    let note = if c.accountability {
                        "连续两次排名靠后"
                    } else if c.bottom {
                        "排名靠后"
                    } else {
                        ""
                    };
                    vec![c.rank.to_string(), self.unit(&c.unit), format!("{:.2}", c.score), note.into()]
                })
                .collect(),
        ));
        let accountable: Vec<String> =
            self.ranking.iter().filter(|c| c.accountability).map(|c| self.unit(&c.unit)).collect();
        sections.push((
            "三、预警单位".into(),
            vec!["类别".into(), "单位".into()],
            vec![
                vec!["零招引".into(), self.units_flagged(AlertKind::ZeroIntake)],
                vec!["零签约".into(), self.units_flagged(AlertKind::ZeroSigning)],
                vec!["签约项目全军覆没".into(), self.units_flagged(AlertKind::NoneLanded)],
                vec![
                    "连续两次排名靠后".into(),
                    if accountable.is_empty() { "无".into() } else { accountable.join("、") },
                ],
            ],
        ));
        let project_rows = |kinds: &[AlertKind]| -> Vec<Vec<String>> {
            self.alerts
                .iter()
                .filter(|a| kinds.contains(&a.kind))
                .map(|a| {
                    vec![
                        a.kind.label_zh().to_string(),
                        self.unit(&a.unit),
                        self.project(a.project.as_deref().unwrap_or_default()),
                    ]
                })
                .collect()
        };
        sections.push((
            "四、逾期及开而未建项目".into(),
            vec!["类别".into(), "单位".into(), "项目".into()],
            project_rows(&[AlertKind::OverdueStart, AlertKind::OverdueProduction, AlertKind::Stalled]),
        ));
        let mut issues: Vec<&Alert> = self.alerts.iter().filter(|a| a.kind == AlertKind::OpenIssueAging).collect();
        issues.sort_by_key(|a| std::cmp::Reverse(a.age_days));
        sections.push((
            "五、未解决的要素保障问题（按时长）".into(),
            vec!["单位".into(), "项目".into(), "已过天数".into()],
            issues
                .iter()
                .map(|a| {
                    vec![
                        self.unit(&a.unit),
                        self.project(a.project.as_deref().unwrap_or_default()),
                        a.age_days.unwrap_or(0).to_string(),
                    ]
                })
                .collect(),
        ));
        sections.extend(self.work_sections.iter().cloned());
        sections
    }

    /// Every gap (补链) as (chain, link, what is sought), chain by chain.
    pub fn gaps(&self) -> Vec<(&str, &str, &str)> {
        self.chains
            .iter()
            .flat_map(|c| {
                c.links
                    .iter()
                    .filter(|l| l.gap)
                    .map(move |l| (c.name.as_str(), l.name.as_str(), l.sought.as_deref().unwrap_or("")))
            })
            .collect()
    }

    fn title(&self) -> String {
        format!("招商引资工作通报（数据截至{}）", self.as_of.format("%Y年%-m月%-d日"))
    }

    /// The bulletin as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n", self.title());
        for (heading, header, rows) in self.sections() {
            let _ = write!(out, "\n## {heading}\n\n");
            if rows.is_empty() {
                out.push_str("无。\n");
                continue;
            }
            let cell = |s: &String| s.replace('|', "\\|");
            let _ = writeln!(out, "| {} |", header.iter().map(cell).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
            for row in rows {
                let _ = writeln!(out, "| {} |", row.iter().map(cell).collect::<Vec<_>>().join(" | "));
            }
        }
        let _ = write!(out, "\n## {CHAINS_HEADING}\n\n");
        let gaps = self.gaps();
        if gaps.is_empty() {
            out.push_str("无缺失环节。\n");
        }
        for (chain, link, sought) in gaps {
            let _ =
                writeln!(out, "- {chain} · {link}：{}", if sought.is_empty() { "（未填招引方向）" } else { sought });
        }
        let _ = write!(out, "\n{NOTE}\n");
        out
    }

    /// The bulletin as a standalone HTML page.
    pub fn to_html(&self) -> String {
        let mut out = format!(
            "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>body{{font-family:\"Noto Sans SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}table{{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}}th,td{{border:1px solid #bbb;padding:.35rem .6rem;text-align:left}}th{{background:#f0f3f7}}</style></head><body>\n<h1>{0}</h1>\n",
            escape(&self.title())
        );
        for (heading, header, rows) in self.sections() {
            let _ = writeln!(out, "<h2>{}</h2>", escape(&heading));
            if rows.is_empty() {
                out.push_str("<p>无。</p>\n");
                continue;
            }
            out.push_str("<table><thead><tr>");
            for h in &header {
                let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
            }
            out.push_str("</tr></thead><tbody>\n");
            for row in rows {
                out.push_str("<tr>");
                for c in &row {
                    let _ = write!(out, "<td>{}</td>", escape(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        let _ = writeln!(out, "<h2>{}</h2>", escape(CHAINS_HEADING));
        if let Some(map) = &self.chain_map {
            match map.inline_svg(chain_map_size(self.chains.len())) {
                Ok(svg) => {
                    let _ = writeln!(out, "<figure class=\"chain-map\">{svg}</figure>");
                }
                Err(e) => {
                    let _ = writeln!(out, "<p>产业链图谱无法绘制：{}</p>", escape(&e.to_string()));
                }
            }
        }
        let gaps = self.gaps();
        if gaps.is_empty() {
            out.push_str("<p>无缺失环节。</p>\n");
        } else {
            out.push_str("<table><thead><tr><th scope=\"col\">产业链</th><th scope=\"col\">补链环节</th><th scope=\"col\">招引方向</th></tr></thead><tbody>\n");
            for (chain, link, sought) in gaps {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(chain),
                    escape(link),
                    escape(sought)
                );
            }
            out.push_str("</tbody></table>\n");
        }
        let _ = write!(out, "<p>{}</p>\n</body></html>\n", escape(NOTE));
        out
    }
}
