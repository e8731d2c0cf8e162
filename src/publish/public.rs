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
        })
    }
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
        for path in SITE_FIELDS {
            let access = policy::access(path).unwrap_or_else(|| panic!("{path} has no policy entry"));
            assert_eq!(access.least_role(), policy::Role::Public, "{path} is published but not public");
        }
    }
}
