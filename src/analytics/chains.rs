//! Industry chains (产业链) as of a day (see `docs/metrics.md`, Industry chains): each
//! link's status 已有/在建/在谈/缺失 from the projects that fill it, their number and
//! total investment, and each chain's coverage and strength.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::prelude::*;
use entities::{chain_link, project};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::AnalyticsError;
use crate::rules::{Stage, stage_as_of, vocab};

/// The status of a link as of a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkStatus {
    /// 已有: some project of the link has reached PRODUCING (the link is strong).
    Present,
    /// 在建: some has reached STARTED, none PRODUCING.
    Building,
    /// 在谈: some has reached INTENT, none STARTED.
    Negotiating,
    /// 缺失: none; a gap to fill (补链).
    Missing,
}

impl LinkStatus {
    /// Every status, strongest first.
    pub const ALL: [LinkStatus; 4] =
        [LinkStatus::Present, LinkStatus::Building, LinkStatus::Negotiating, LinkStatus::Missing];

    /// The Chinese label shown to users.
    pub fn label_zh(self) -> &'static str {
        ["已有", "在建", "在谈", "缺失"][self as usize]
    }

    /// The English label (the site's English pages, the API's enum).
    pub fn label_en(self) -> &'static str {
        ["present", "under construction", "in talks", "missing"][self as usize]
    }

    /// The status given by the furthest stage reached by any project of the link.
    fn of(furthest: Option<Stage>) -> LinkStatus {
        match furthest {
            Some(s) if s >= Stage::Producing => LinkStatus::Present,
            Some(s) if s >= Stage::Started => LinkStatus::Building,
            Some(_) => LinkStatus::Negotiating,
            None => LinkStatus::Missing,
        }
    }
}

/// One link's figures as of a day.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkFigures {
    /// The link (环节).
    pub link: String,
    /// `上游`, `中游` or `下游`.
    pub position: String,
    /// Its order within the position, if given.
    pub order: Option<i64>,
    /// What the district seeks for it (招引方向), public text.
    pub sought: Option<String>,
    /// 已有/在建/在谈/缺失.
    pub status: LinkStatus,
    /// The codes of the projects that count for it, in code order.
    pub projects: Vec<String>,
    /// Σ total_investment of those projects, yuan.
    pub investment: i64,
}

/// One chain's figures as of a day.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainFigures {
    /// The chain (产业链).
    pub name: String,
    /// The cluster it serves (the first given by its links).
    pub cluster: Option<String>,
    /// Its links, upstream to downstream, then by order (unordered last), then by name.
    pub links: Vec<LinkFigures>,
    /// #{links not 缺失} / #{links}.
    pub coverage: f64,
    /// #{links 已有} / #{links}.
    pub strength: f64,
}

/// The figures of every chain, by chain name, as of `as_of`.
///
/// A project counts for its link when it is not terminated as of the day (the spec)
/// and has reached INTENT by then (the spec is silent: a project not yet taken in on
/// the day is not counted, as every other figure as of a day).
pub fn chain_figures<'a>(
    links: &[chain_link::Model],
    projects: impl IntoIterator<Item = &'a project::Model>,
    as_of: NaiveDate,
) -> Vec<ChainFigures> {
    let mut by_link: BTreeMap<&str, Vec<(&project::Model, Stage)>> = BTreeMap::new();
    for p in projects {
        let Some(reference) = p.chain_link.as_deref() else { continue };
        if p.terminated_date.is_some_and(|t| t <= as_of) {
            continue;
        }
        if let Some(stage) = stage_as_of(p, as_of) {
            by_link.entry(reference).or_default().push((p, stage));
        }
    }
    let mut chains: BTreeMap<&str, Vec<&chain_link::Model>> = BTreeMap::new();
    for l in links {
        chains.entry(l.chain.as_str()).or_default().push(l);
    }
    chains
        .into_iter()
        .map(|(name, mut links)| {
            let cluster = links.iter().find_map(|l| l.cluster.clone());
            links.sort_by_key(|l| {
                let position = vocab::CHAIN_POSITIONS.iter().position(|p| *p == l.position).unwrap_or(usize::MAX);
                (position, l.link_order.is_none(), l.link_order, l.link.clone())
            });
            let links: Vec<LinkFigures> = links
                .into_iter()
                .map(|l| {
                    let mut members = by_link.get(l.reference().as_str()).cloned().unwrap_or_default();
                    members.sort_by(|a, b| a.0.code.cmp(&b.0.code));
                    LinkFigures {
                        link: l.link.clone(),
                        position: l.position.clone(),
                        order: l.link_order,
                        sought: l.sought.clone(),
                        status: LinkStatus::of(members.iter().map(|(_, s)| *s).max()),
                        investment: members.iter().map(|(p, _)| p.total_investment).sum(),
                        projects: members.iter().map(|(p, _)| p.code.clone()).collect(),
                    }
                })
                .collect();
            let n = links.len() as f64;
            let covered = links.iter().filter(|l| l.status != LinkStatus::Missing).count() as f64;
            let strong = links.iter().filter(|l| l.status == LinkStatus::Present).count() as f64;
            ChainFigures { name: name.to_string(), cluster, links, coverage: covered / n, strength: strong / n }
        })
        .collect()
}

/// Reads the chain links and the projects linked to them and computes
/// [`chain_figures`] as of `as_of`.
pub async fn load_chain_figures(
    db: &DatabaseConnection,
    as_of: NaiveDate,
) -> Result<Vec<ChainFigures>, AnalyticsError> {
    let links = ChainLink::find().all(db).await?;
    let projects = Project::find().filter(project::Column::ChainLink.is_not_null()).all(db).await?;
    Ok(chain_figures(&links, &projects, as_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    fn link(chain: &str, link: &str, position: &str, order: Option<i64>) -> chain_link::Model {
        chain_link::Model {
            chain: chain.into(),
            link: link.into(),
            position: position.into(),
            link_order: order,
            ..Default::default()
        }
    }

    fn project(code: &str, link: &str, wan: i64, dates: [Option<&str>; 3], terminated: Option<&str>) -> project::Model {
        project::Model {
            code: code.into(),
            chain_link: Some(link.into()),
            total_investment: wan * 10_000,
            intent_date: dates[0].map(d),
            started_date: dates[1].map(d),
            producing_date: dates[2].map(d),
            terminated_date: terminated.map(d),
            ..Default::default()
        }
    }

    #[test]
    fn links_take_the_furthest_stage_of_their_live_projects() {
        let links = [
            link("甲链", "下游环节", "下游", None),
            link("甲链", "研发", "上游", Some(2)),
            link("甲链", "原料", "上游", Some(1)),
            link("甲链", "制造", "中游", None),
        ];
        let projects = [
            // 原料: one producing by the day, one only in talks → 已有.
            project("P1", "甲链/原料", 1000, [Some("2024-01-01"), Some("2024-03-01"), Some("2025-01-01")], None),
            project("P2", "甲链/原料", 500, [Some("2025-02-01"), None, None], None),
            // 研发: started, its production after the day → 在建.
            project("P3", "甲链/研发", 300, [Some("2024-01-01"), Some("2024-06-01"), Some("2025-12-01")], None),
            // 制造: one in talks; one producing but terminated before the day → 在谈.
            project("P4", "甲链/制造", 200, [Some("2025-05-01"), None, None], None),
            project(
                "P5",
                "甲链/制造",
                900,
                [Some("2023-01-01"), Some("2023-05-01"), Some("2024-01-01")],
                Some("2025-01-01"),
            ),
            // 下游环节: only a project taken in after the day → 缺失.
            project("P6", "甲链/下游环节", 100, [Some("2025-07-01"), None, None], None),
        ];
        let chains = chain_figures(&links, &projects, d("2025-06-30"));
        assert_eq!(chains.len(), 1);
        let chain = &chains[0];
        let summary: Vec<_> = chain
            .links
            .iter()
            .map(|l| (l.link.as_str(), l.status.label_zh(), l.projects.len(), l.investment / 10_000))
            .collect();
        assert_eq!(
            summary,
            [("原料", "已有", 2, 1500), ("研发", "在建", 1, 300), ("制造", "在谈", 1, 200), ("下游环节", "缺失", 0, 0)]
        );
        assert_eq!(chain.coverage, 0.75, "3 of 4 links are not missing");
        assert_eq!(chain.strength, 0.25, "1 of 4 links is 已有");
    }

    #[test]
    fn a_chain_without_projects_is_all_gaps() {
        let chains =
            chain_figures(&[link("乙链", "甲", "中游", None), link("丙链", "乙", "上游", None)], &[], d("2025-01-01"));
        let names: Vec<_> = chains.iter().map(|c| (c.name.as_str(), c.coverage, c.strength)).collect();
        assert_eq!(names, [("丙链", 0.0, 0.0), ("乙链", 0.0, 0.0)]);
        assert_eq!(chains[0].links[0].status, LinkStatus::Missing);
    }
}
