//! Writing a checked ledger into the store: one transaction, rows matched by their keys
//! and updated (so importing the same ledger twice leaves the same database), and one
//! audit entry with the counts.

use entities::prelude::*;
use entities::{audit_entry, element_issue, industry, investor, progress, project, target, unit};
use indicatif::ProgressBar;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    TransactionTrait,
};
use serde::Serialize;

use crate::ledger::Ledger;
use crate::rules::vocab;

/// How many rows of each table an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Units.
    pub units: usize,
    /// Industries.
    pub industries: usize,
    /// Investors.
    pub investors: usize,
    /// Projects.
    pub projects: usize,
    /// Progress months.
    pub progress: usize,
    /// Element issues.
    pub issues: usize,
    /// Targets.
    pub targets: usize,
}

impl ImportCounts {
    /// All rows written.
    pub fn total(&self) -> usize {
        self.units + self.industries + self.investors + self.projects + self.progress + self.issues + self.targets
    }
}

/// The most bound parameters one statement may carry on both SQLite (32,766) and
/// PostgreSQL (65,535), with a margin.
const MAX_PARAMETERS: usize = 30_000;

/// Imports `ledger` (already checked) in one transaction, as `actor`, recording
/// `source` in the audit trail. `bar`, if given, advances by rows written.
pub async fn import_ledger(
    db: &DatabaseConnection,
    ledger: &Ledger,
    actor: &str,
    source: &str,
    bar: Option<&ProgressBar>,
) -> Result<ImportCounts, DbErr> {
    let txn = db.begin().await?;
    let tick = |n: usize| {
        if let Some(bar) = bar {
            bar.inc(n as u64)
        }
    };

    let units = ledger.units.iter().map(|(_, u)| u.clone().into_active_model());
    upsert(
        &txn,
        units.collect(),
        3,
        OnConflict::column(unit::Column::Code).update_columns([unit::Column::Name, unit::Column::Kind]).to_owned(),
        &tick,
    )
    .await?;

    let industries: Vec<industry::ActiveModel> = match &ledger.industries {
        Some(rows) => rows.iter().map(|(_, i)| i.clone().into_active_model()).collect(),
        None => Vec::new(),
    };
    let industry_conflict =
        OnConflict::column(industry::Column::Name).update_column(industry::Column::Cluster).to_owned();
    upsert(&txn, industries, 2, industry_conflict, &tick).await?;
    if ledger.industries.is_none() {
        // The built-in taxonomy is added where missing, never over a district's own.
        let builtin = vocab::INDUSTRIES
            .iter()
            .map(|name| industry::ActiveModel { name: Set(name.to_string()), cluster: Set(None) });
        upsert(&txn, builtin.collect(), 2, OnConflict::column(industry::Column::Name).do_nothing().to_owned(), &|_| {})
            .await?;
    }

    let investors = ledger.investors.iter().map(|i| i.clone().into_active_model());
    upsert(
        &txn,
        investors.collect(),
        2,
        OnConflict::column(investor::Column::Name).update_column(investor::Column::Origin).to_owned(),
        &tick,
    )
    .await?;

    let projects = ledger.projects.iter().map(|(_, p)| p.clone().into_active_model());
    let project_columns =
        <project::Column as sea_orm::Iterable>::iter().filter(|c| !matches!(c, project::Column::Code));
    let project_conflict = OnConflict::column(project::Column::Code).update_columns(project_columns).to_owned();
    upsert(&txn, projects.collect(), 32, project_conflict, &tick).await?;

    let progress = ledger.progress.iter().map(|(_, p)| p.clone().into_active_model());
    let progress_conflict = OnConflict::columns([progress::Column::ProjectCode, progress::Column::Month])
        .update_columns([progress::Column::Fai, progress::Column::FundsArrived, progress::Column::OutOfRegionFunds])
        .to_owned();
    upsert(&txn, progress.collect(), 5, progress_conflict, &tick).await?;

    let issues = ledger.issues.iter().map(|(_, i)| {
        let mut issue = i.clone().into_active_model();
        issue.id = NotSet;
        issue
    });
    let issue_conflict = OnConflict::columns([
        element_issue::Column::ProjectCode,
        element_issue::Column::Category,
        element_issue::Column::Description,
        element_issue::Column::OpenedDate,
    ])
    .update_columns([element_issue::Column::OwnerUnitCode, element_issue::Column::ResolvedDate])
    .to_owned();
    upsert(&txn, issues.collect(), 6, issue_conflict, &tick).await?;

    let targets = ledger.targets.iter().map(|(_, t)| t.clone().into_active_model());
    let target_conflict = OnConflict::columns([target::Column::UnitCode, target::Column::Year, target::Column::Metric])
        .update_column(target::Column::Value)
        .to_owned();
    upsert(&txn, targets.collect(), 4, target_conflict, &tick).await?;

    let counts = ImportCounts {
        units: ledger.units.len(),
        industries: ledger.industries.as_ref().map_or(0, Vec::len),
        investors: ledger.investors.len(),
        projects: ledger.projects.len(),
        progress: ledger.progress.len(),
        issues: ledger.issues.len(),
        targets: ledger.targets.len(),
    };
    AuditEntry::insert(audit_entry::ActiveModel {
        id: NotSet,
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_string()),
        action: Set("import".into()),
        entity: Set("ledger".into()),
        key: Set(source.to_string()),
        before: Set(None),
        after: Set(serde_json::to_value(counts).ok()),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(counts)
}

/// Inserts rows in statements as large as the parameter limit allows, updating rows
/// whose key exists.
async fn upsert<A>(
    txn: &sea_orm::DatabaseTransaction,
    rows: Vec<A>,
    columns: usize,
    on_conflict: OnConflict,
    tick: &dyn Fn(usize),
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let batch = (MAX_PARAMETERS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(batch).collect();
        let n = chunk.len();
        A::Entity::insert_many(chunk).on_conflict(on_conflict.clone()).exec_without_returning(txn).await?;
        tick(n);
    }
    Ok(())
}
