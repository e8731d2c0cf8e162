//! Reading the graph back: what a ledger may refer to, the whole graph as a ledger
//! (for export).

use entities::prelude::*;
use entities::{carrier, chain_link, element_issue, event, industry, investor, progress, project, target, unit};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder, QuerySelect};

use crate::ledger::{Given, Known, Ledger};

/// The unit codes and names, industries, projects, chain links and carriers already stored.
pub async fn known(db: &DatabaseConnection) -> Result<Known, DbErr> {
    let units: Vec<(String, String)> =
        Unit::find().select_only().columns([unit::Column::Code, unit::Column::Name]).into_tuple().all(db).await?;
    let industries: Vec<String> =
        Industry::find().select_only().column(industry::Column::Name).into_tuple().all(db).await?;
    let stored_projects = Project::find().all(db).await?;
    let investors: Vec<String> =
        Investor::find().select_only().column(investor::Column::Name).into_tuple().all(db).await?;
    let events: Vec<(String, String)> =
        Event::find().select_only().columns([event::Column::Code, event::Column::Name]).into_tuple().all(db).await?;
    let links: Vec<(String, String)> = ChainLink::find()
        .select_only()
        .columns([chain_link::Column::Chain, chain_link::Column::Link])
        .into_tuple()
        .all(db)
        .await?;
    let carriers: Vec<String> =
        Carrier::find().select_only().column(carrier::Column::Code).into_tuple().all(db).await?;
    Ok(Known {
        units: units.into_iter().collect(),
        industries: industries.into_iter().collect(),
        projects: stored_projects.iter().map(|p| p.code.clone()).collect(),
        stored_projects: stored_projects.into_iter().map(|p| (p.code.clone(), p)).collect(),
        investors: investors.into_iter().collect(),
        events: events.into_iter().collect(),
        chain_links: links.into_iter().map(|(chain, link)| format!("{chain}/{link}")).collect(),
        carriers: carriers.into_iter().collect(),
    })
}

/// The whole graph as a ledger, every sheet ordered by its key, for export.
pub async fn load_ledger(db: &DatabaseConnection) -> Result<Ledger, DbErr> {
    Ok(Ledger {
        units: numbered(Unit::find().order_by_asc(unit::Column::Code).all(db).await?),
        industries: Some(numbered(Industry::find().order_by_asc(industry::Column::Name).all(db).await?)),
        chain_links: numbered(
            ChainLink::find()
                .order_by_asc(chain_link::Column::Chain)
                .order_by_asc(chain_link::Column::Link)
                .all(db)
                .await?,
        ),
        carriers: numbered(Carrier::find().order_by_asc(carrier::Column::Code).all(db).await?),
        investors: numbered(sorted(Investor::find().all(db).await?, |i| i.name.clone())),
        named_investors: Vec::new(),
        projects: numbered(Project::find().order_by_asc(project::Column::Code).all(db).await?),
        progress: numbered(
            Progress::find()
                .order_by_asc(progress::Column::ProjectCode)
                .order_by_asc(progress::Column::Month)
                .all(db)
                .await?,
        ),
        issues: numbered(
            ElementIssue::find()
                .order_by_asc(element_issue::Column::ProjectCode)
                .order_by_asc(element_issue::Column::OpenedDate)
                .order_by_asc(element_issue::Column::Category)
                .order_by_asc(element_issue::Column::Description)
                .all(db)
                .await?,
        ),
        targets: numbered(
            Target::find()
                .order_by_asc(target::Column::UnitCode)
                .order_by_asc(target::Column::Year)
                .order_by_asc(target::Column::Metric)
                .all(db)
                .await?,
        ),
        events: numbered(sorted(Event::find().all(db).await?, |e| e.code.clone())),
        engagements: numbered(sorted(Engagement::find().all(db).await?, |e| {
            (e.investor_name.clone(), e.date, e.unit_code.clone(), e.kind.clone(), e.event_code.clone())
        })),
        incentives: numbered(sorted(Incentive::find().all(db).await?, |x| (x.project_code.clone(), x.policy.clone()))),
        supervision: numbered(sorted(SupervisionItem::find().all(db).await?, |m| m.code.clone())),
        given: Given::All,
        fingerprint: None,
    })
}

/// Rows sorted by a key in Rust, so that text keys (investor names) come out in the
/// same order from SQLite and PostgreSQL, whatever the server's collation.
fn sorted<T, K: Ord>(mut rows: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    rows.sort_by_key(key);
    rows
}

/// Rows numbered as a spreadsheet would show them (the header is row 1).
fn numbered<T>(rows: Vec<T>) -> Vec<(usize, T)> {
    rows.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect()
}
