//! What of a project the public may see, as [`crate::policy`] (the one access table,
//! shared with the API) says: every field the site shows is one the table makes public
//! ([`SITE_FIELDS`], checked by a test), the optional ones are asked of the table row by
//! row, and the projects listed are those [`policy::listed_for_public`] (marked public,
//! not terminated). Nothing else of a project reaches the generator — not its contacts,
//! its national code, its progress, nor the investor of a project still in negotiation.

use chrono::NaiveDate;
use entities::project;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::analytics::chains::{ChainFigures, LinkStatus};
use crate::charts::chainmap::{ChainMapChart, MapChain, MapLink};
use crate::charts::{Chart, Frame};
use crate::policy::{self, Reader};
use crate::rules::{self, Stage};

/// The site's languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 中文, at the site's root.
    Zh,
    /// English, under `en/`.
    En,
}

impl Lang {
    /// A stage's name in this language.
    pub fn stage(self, stage: Stage) -> &'static str {
        match self {
            Lang::Zh => stage.label_zh(),
            Lang::En => ["Intent", "Negotiating", "Signed", "Construction started", "In production", "At capacity"]
                [stage.index()],
        }
    }

    /// An amount of 万元 as readers of this language write it.
    pub fn money(self, wan: f64) -> String {
        match self {
            Lang::Zh if wan >= 10_000.0 => format!("{}亿元", trim(wan / 10_000.0, 2)),
            Lang::Zh => format!("{}万元", trim(wan, 2)),
            Lang::En => format!("{} M yuan", trim(wan / 100.0, 1)),
        }
    }
}

impl Lang {
    /// A chain position (`上游`/`中游`/`下游`) in this language.
    pub fn position(self, position: &str) -> String {
        match (self, position) {
            (Lang::En, "上游") => "Upstream".into(),
            (Lang::En, "中游") => "Midstream".into(),
            (Lang::En, "下游") => "Downstream".into(),
            _ => position.into(),
        }
    }

    /// A link status in this language.
    pub fn link_status(self, status: LinkStatus) -> &'static str {
        match self {
            Lang::Zh => status.label_zh(),
            Lang::En => ["Present", "Under construction", "In talks", "Missing — sought"][status as usize],
        }
    }

    /// A carrier kind (载体类型) in this language.
    pub fn carrier_kind(self, kind: &str) -> String {
        let english = match kind {
            "工业用地" => "Industrial land",
            "标准化厂房" => "Standard factory building",
            "闲置厂房" => "Idle plant",
            "商业楼宇" => "Commercial building",
            "其他" => "Other",
            _ => return kind.into(),
        };
        if self == Lang::En { english.into() } else { kind.into() }
    }

    /// A share as a percentage, e.g. `57%`.
    pub fn percent(self, fraction: f64) -> String {
        format!("{}%", trim(fraction * 100.0, 0))
    }
}

/// A number with at most `decimals` decimals and no trailing zeros.
fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// A stable ASCII slug for a name (industries have Chinese names).
pub fn slug(name: &str) -> String {
    Sha256::digest(name.as_bytes()).iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// A key as a safe path segment: itself when it is plain ASCII letters, digits, `-` and
/// `_`, else its slug (a ledger's codes are free text; a page path must not be).
pub fn path_segment(key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain { key.to_string() } else { slug(key) }
}

/// The fields of a project the site shows, as `Project.field` entries of the policy
/// table: each must be readable by the public there.
pub const SITE_FIELDS: &[&str] = &[
    "Project.code",
    "Project.name",
    "Project.unitCode",
    "Project.unit",
    "Project.industryName",
    "Project.stage",
    "Project.totalInvestmentWan",
    "Project.summary",
    "Project.landAreaMu",
    "Project.expectedJobs",
    "Project.keyProject",
    "Project.investorName",
    "Project.chainLink",
    "Project.carrier",
];

/// The public face of a project.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PublicProject {
    /// 项目编号.
    pub code: String,
    /// The project page's folder name.
    pub page_id: String,
    /// The unit page's folder name.
    pub unit_page_id: String,
    /// 项目名称.
    pub name: String,
    /// The responsible unit's code.
    pub unit_code: String,
    /// Its name.
    pub unit_name: String,
    /// 产业类别.
    pub industry: String,
    /// The industry page's slug.
    pub industry_slug: String,
    /// Stage key as of the day.
    pub stage: &'static str,
    /// Stage in the page's language.
    pub stage_label: &'static str,
    /// Total investment, 万元.
    pub investment_wan: f64,
    /// Total investment as text.
    pub investment_text: String,
    /// `small` (< 1 亿), `medium` (1–10 亿) or `large` (> 10 亿), for the filter.
    pub size_class: &'static str,
    /// 项目简介.
    pub summary: Option<String>,
    /// 用地面积（亩）.
    pub land_area_mu: Option<f64>,
    /// 预计就业.
    pub expected_jobs: Option<i64>,
    /// 重点项目.
    pub key_project: bool,
    /// The investor, only once the project is signed.
    pub investor: Option<String>,
    /// Lower-case text the filter searches.
    pub search_text: String,
    /// Seeking investors: not yet signed.
    pub seeking: bool,
    /// Its industry chain (产业链), when it names a link.
    pub chain: Option<String>,
    /// The chain page's folder name.
    pub chain_slug: Option<String>,
    /// Its link (环节) of that chain.
    pub chain_link: Option<String>,
    /// The carrier it lands on, when that carrier is published ([`PublicCarrier`]);
    /// set by [`PublicProject::with_carrier`].
    pub carrier: Option<PublicCarrierRef>,
    /// The carrier's code as stored: never published, only to look the carrier up.
    #[serde(skip)]
    carrier_code: Option<String>,
}

/// A published carrier as a project page names it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PublicCarrierRef {
    /// 载体名称.
    pub name: String,
    /// Its anchor on the carriers page, when it is listed there (available).
    pub anchor: Option<String>,
}

impl PublicProject {
    /// The public face of `p` as of `as_of`, or `None` when it is not to be published.
    pub fn of(p: &project::Model, unit_name: &str, as_of: NaiveDate, lang: Lang) -> Option<PublicProject> {
        if !policy::listed_for_public(p, as_of) {
            return None;
        }
        let stage = rules::stage_as_of(p, as_of)?;
        let wan = crate::money::to_wan(p.total_investment);
        let row = policy::Row::of_project(p, as_of);
        let public = |path: &str| policy::may_read(path, Reader::PUBLIC, Some(row));
        let investor = p.investor_name.clone().filter(|_| public("Project.investorName"));
        let summary = p.summary.clone().filter(|_| public("Project.summary"));
        let search_text = [p.name.as_str(), &p.industry_name, unit_name, summary.as_deref().unwrap_or_default()]
            .join(" ")
            .to_lowercase();
        let reference = p.chain_link.as_deref().filter(|_| public("Project.chainLink"));
        let (chain, chain_link) = match reference.and_then(|r| r.split_once('/')) {
            Some((chain, link)) => (Some(chain.to_string()), Some(link.to_string())),
            None => (None, None),
        };
        Some(PublicProject {
            code: p.code.clone(),
            page_id: path_segment(&p.code),
            unit_page_id: path_segment(&p.unit_code),
            name: p.name.clone(),
            unit_code: p.unit_code.clone(),
            unit_name: unit_name.to_string(),
            industry: p.industry_name.clone(),
            industry_slug: slug(&p.industry_name),
            stage: stage.key(),
            stage_label: lang.stage(stage),
            investment_wan: wan,
            investment_text: lang.money(wan),
            size_class: if wan < 10_000.0 {
                "small"
            } else if wan <= 100_000.0 {
                "medium"
            } else {
                "large"
            },
            summary,
            land_area_mu: p.land_area_mu.filter(|_| public("Project.landAreaMu")),
            expected_jobs: p.expected_jobs.filter(|_| public("Project.expectedJobs")),
            key_project: p.key_project && public("Project.keyProject"),
            investor,
            search_text,
            seeking: stage < Stage::Signed,
            chain_slug: chain.as_deref().map(slug),
            chain,
            chain_link,
            carrier: None,
            carrier_code: p.carrier_code.clone().filter(|_| public("Project.carrier")),
        })
    }

    /// This project with its carrier named, if that carrier is among the published
    /// `carriers` (a non-public carrier stays unnamed).
    pub fn with_carrier(mut self, carriers: &[PublicCarrier]) -> PublicProject {
        self.carrier = self
            .carrier_code
            .as_deref()
            .and_then(|code| carriers.iter().find(|c| c.code == code))
            .map(|c| PublicCarrierRef { name: c.name.clone(), anchor: c.available.then(|| c.anchor.clone()) });
        self
    }
}

/// The fields of a carrier the site and the brochure show, as `Carrier.field` entries of
/// the policy table: each must be readable by the public there. Contacts never are.
pub const SITE_CARRIER_FIELDS: &[&str] = &[
    "Carrier.code",
    "Carrier.name",
    "Carrier.kind",
    "Carrier.unit",
    "Carrier.areaMu",
    "Carrier.floorArea",
    "Carrier.price",
    "Carrier.available",
    "Carrier.availableFrom",
    "Carrier.summary",
];

/// The public face of a carrier (载体).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PublicCarrier {
    /// 载体编号: the key the site's filter and the project pages use.
    pub code: String,
    /// Its anchor on the carriers page (a safe id).
    pub anchor: String,
    /// 载体名称.
    pub name: String,
    /// 载体类型 as stored (the filter's value).
    pub kind: String,
    /// The kind in the page's language.
    pub kind_label: String,
    /// The unit's code.
    pub unit_code: String,
    /// 所在单位.
    pub unit_name: String,
    /// 面积（亩）.
    pub area_mu: Option<f64>,
    /// The area as text (`120`, `35.5`).
    pub area_text: Option<String>,
    /// 建筑面积（平方米）.
    pub floor_area: Option<f64>,
    /// The floor area as text (`12,000`).
    pub floor_area_text: Option<String>,
    /// 价格, as the district words it.
    pub price: Option<String>,
    /// Available (可供) on the day.
    pub available: bool,
    /// 可供日期, when given.
    pub available_from: Option<String>,
    /// 载体简介.
    pub summary: Option<String>,
    /// Lower-case text the filter searches.
    pub search_text: String,
}

impl PublicCarrier {
    /// The public face of `c` as of `as_of`, or `None` when it is not to be published
    /// ([`policy::carrier_listed_for_public`]).
    pub fn of(c: &entities::carrier::Model, unit_name: &str, as_of: NaiveDate, lang: Lang) -> Option<PublicCarrier> {
        if !policy::carrier_listed_for_public(c) {
            return None;
        }
        let search_text =
            [c.name.as_str(), &c.kind, unit_name, c.summary.as_deref().unwrap_or_default()].join(" ").to_lowercase();
        Some(PublicCarrier {
            code: c.code.clone(),
            anchor: format!("c-{}", path_segment(&c.code)),
            name: c.name.clone(),
            kind: c.kind.clone(),
            kind_label: lang.carrier_kind(&c.kind),
            unit_code: c.unit_code.clone(),
            unit_name: unit_name.to_string(),
            area_mu: c.area_mu,
            area_text: c.area_mu.map(|a| trim(a, 2)),
            floor_area: c.floor_area,
            floor_area_text: c.floor_area.map(|a| crate::charts::theme::number(a, 0)),
            price: c.price.clone(),
            available: crate::analytics::carriers::is_available(c, as_of),
            available_from: c.available_from.map(|d| d.to_string()),
            summary: c.summary.clone(),
            search_text,
        })
    }
}

/// The fields of a chain the site and the brochure show, as policy table entries: each
/// must be public. A link's project count and investment are not (they would count
/// unpublished projects): a link lists its published projects only.
pub const SITE_CHAIN_FIELDS: &[&str] = &[
    "Chain.name",
    "Chain.cluster",
    "Chain.links",
    "Chain.coverage",
    "Chain.strength",
    "ChainLinkStatus.link",
    "ChainLinkStatus.position",
    "ChainLinkStatus.status",
    "ChainLinkStatus.sought",
    "ChainLinkStatus.projects",
];

/// The public face of an industry chain (产业链) as of a day.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PublicChain {
    /// 产业链.
    pub name: String,
    /// The chain page's folder name.
    pub slug: String,
    /// 产业集群.
    pub cluster: Option<String>,
    /// Coverage (links not missing), as a percentage.
    pub coverage: String,
    /// Strength (links 已有), as a percentage.
    pub strength: String,
    /// How many links are gaps (补链).
    pub gaps: usize,
    /// Its links, upstream to downstream.
    pub links: Vec<PublicLink>,
}

/// One link of a published chain.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PublicLink {
    /// 环节.
    pub name: String,
    /// Its position in the page's language.
    pub position: String,
    /// `present`, `building`, `negotiating` or `missing` (for styling).
    pub status: &'static str,
    /// The status in the page's language.
    pub status_label: &'static str,
    /// A gap the district wants filled (补链).
    pub gap: bool,
    /// What the district seeks for it (招引方向).
    pub sought: Option<String>,
    /// The published projects on it (those of `public` that name it).
    pub projects: Vec<PublicProject>,
}

impl PublicChain {
    /// The public face of a chain's figures, its links listing the published projects
    /// among `public`.
    pub fn of(chain: &ChainFigures, public: &[PublicProject], lang: Lang) -> PublicChain {
        let links = chain
            .links
            .iter()
            .map(|l| PublicLink {
                name: l.link.clone(),
                position: lang.position(&l.position),
                status: ["present", "building", "negotiating", "missing"][l.status as usize],
                status_label: lang.link_status(l.status),
                gap: l.status == LinkStatus::Missing,
                sought: l.sought.clone(),
                projects: public
                    .iter()
                    .filter(|p| p.chain.as_deref() == Some(&chain.name) && p.chain_link.as_deref() == Some(&l.link))
                    .cloned()
                    .collect(),
            })
            .collect::<Vec<_>>();
        PublicChain {
            name: chain.name.clone(),
            slug: slug(&chain.name),
            cluster: chain.cluster.clone(),
            coverage: lang.percent(chain.coverage),
            strength: lang.percent(chain.strength),
            gaps: links.iter().filter(|l| l.gap).count(),
            links,
        }
    }
}

/// The chain map chart (产业链图谱) of `chains` as of `as_of` — public by construction:
/// it shows link names and statuses only. The one builder for the site, the decks, the
/// bulletin and the brochure.
pub fn chain_map(chains: &[ChainFigures], title: &str, as_of: NaiveDate, source: &str) -> Chart {
    Chart::ChainMap(ChainMapChart {
        frame: Frame::new(title, "按上游、中游、下游排列；红框为缺失环节，即补链方向", as_of, source),
        chains: chains
            .iter()
            .map(|c| MapChain {
                name: c.name.clone(),
                links: c
                    .links
                    .iter()
                    .map(|l| MapLink { name: l.link.clone(), position: l.position.clone(), status: l.status })
                    .collect(),
            })
            .collect(),
    })
}

/// The fields of an event the site shows, as `Event.field` entries of the policy table:
/// each must be readable by the public there. Only public events are published, and of
/// what was signed at them only the projects the site lists ([`PublicProject`]).
pub const SITE_EVENT_FIELDS: &[&str] = &[
    "Event.code",
    "Event.name",
    "Event.kind",
    "Event.date",
    "Event.endDate",
    "Event.place",
    "Event.summary",
    "Event.projects",
];

/// The public face of an event (招商活动).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PublicEvent {
    /// 活动名称.
    pub name: String,
    /// 活动类型.
    pub kind: Option<String>,
    /// Its days as text: `2025-05-20 – 2025-05-24`, or one day.
    pub days: String,
    /// 地点.
    pub place: Option<String>,
    /// 活动简介.
    pub summary: Option<String>,
    /// Public projects signed there by the day, by code.
    pub signed: Vec<PublicProject>,
}

impl PublicEvent {
    /// The public face of `e`, if it is public, with the public projects among `signed`.
    pub fn of(e: &entities::event::Model, signed: Vec<PublicProject>) -> Option<PublicEvent> {
        if !e.public {
            return None;
        }
        let days = match e.end_date {
            Some(end) if end != e.date => format!("{} – {end}", e.date),
            _ => e.date.to_string(),
        };
        Some(PublicEvent {
            name: e.name.clone(),
            kind: e.kind.clone(),
            days,
            place: e.place.clone(),
            summary: e.summary.clone(),
            signed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_field_the_site_shows_is_public_in_the_policy_table() {
        for path in SITE_EVENT_FIELDS {
            let access = policy::access(path).unwrap_or_else(|| panic!("{path} has no policy entry"));
            assert_eq!(access.least_role(), policy::Role::Public, "{path} is published but not public");
        }
    }

    #[test]
    fn every_field_the_site_shows_is_public_in_the_policy_table() {
        for path in SITE_FIELDS.iter().chain(SITE_CARRIER_FIELDS).chain(SITE_CHAIN_FIELDS) {
            let access = policy::access(path).unwrap_or_else(|| panic!("{path} has no policy entry"));
            assert_eq!(access.least_role(), policy::Role::Public, "{path} is published but not public");
        }
    }
}
