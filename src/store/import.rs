//! Writing a checked ledger into the store: one transaction, rows matched by their keys
//! and updated in the columns the ledger gave (so importing the same ledger twice
//! leaves the same database, and a column a ledger lacks is never wiped), and one
//! audit entry with the counts.

use std::fmt::Write as _;

use entities::prelude::*;
use entities::{
    audit_entry, carrier, chain_link, element_issue, engagement, event, incentive, industry, investor, progress,
    project, supervision_item, target, unit,
};
use indicatif::ProgressBar;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IdenStatic, Iterable, ModelTrait, Statement, TransactionTrait,
};
use serde::Serialize;

use crate::ledger::schema::{
    CARRIERS, CHAIN_LINKS, ENGAGEMENTS, EVENTS, INCENTIVES, INDUSTRIES, INVESTORS, ISSUES, PROGRESS, PROJECTS,
    SUPERVISION, Sheet, TARGETS, UNITS,
};
use crate::ledger::{Given, Ledger};
use crate::rules::vocab;

/// How many rows of each table an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Units.
    pub units: usize,
    /// Industries.
    pub industries: usize,
    /// Industry-chain links.
    pub chain_links: usize,
    /// Carriers.
    pub carriers: usize,
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
    /// Events (招商活动).
    pub events: usize,
    /// Engagements (对接记录).
    pub engagements: usize,
    /// Incentives (政策兑现).
    pub incentives: usize,
    /// Supervision items (督办事项).
    pub supervision: usize,
}

impl ImportCounts {
    /// All rows written.
    pub fn total(&self) -> usize {
        self.units
            + self.industries
            + self.chain_links
            + self.carriers
            + self.investors
            + self.projects
            + self.progress
            + self.issues
            + self.targets
            + self.events
            + self.engagements
            + self.incentives
            + self.supervision
    }
}

/// The most bound parameters one statement may carry on both SQLite (32,766) and
/// PostgreSQL (65,535), with a margin.
const MAX_PARAMETERS: usize = 30_000;

/// What to do with a row whose key exists already.
enum OnKey<'a> {
    /// Overwrite the columns that the ledger gave for this sheet (every column but the
    /// key when the ledger was built in memory); keep the others as stored.
    Given(&'a Given, &'a Sheet),
    /// Overwrite these stored columns.
    Only(&'a [&'a str]),
    /// Keep the stored row.
    Keep,
}

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
    if txn.get_database_backend() == DbBackend::Sqlite {
        // A large ledger rewrites big parts of the B-trees: give this connection a
        // 256 MB page cache instead of SQLite's 2 MB (measured in BENCHMARKS.md).
        txn.execute_unprepared("PRAGMA cache_size = -262144").await?;
    }
    let tick = |n: usize| {
        if let Some(bar) = bar {
            bar.inc(n as u64)
        }
    };

    let given = |sheet| OnKey::Given(&ledger.given, sheet);
    upsert::<Unit>(&txn, &rows(&ledger.units), &[unit::Column::Code], &[], given(&UNITS), &tick).await?;
    match &ledger.industries {
        Some(list) => {
            upsert::<Industry>(&txn, &rows(list), &[industry::Column::Name], &[], given(&INDUSTRIES), &tick).await?
        }
        None => {
            // The built-in taxonomy is added where missing, never over a district's own.
            let builtin: Vec<industry::Model> = vocab::INDUSTRIES
                .iter()
                .map(|name| industry::Model { name: name.to_string(), cluster: None })
                .collect();
            upsert::<Industry>(
                &txn,
                &builtin.iter().collect::<Vec<_>>(),
                &[industry::Column::Name],
                &[],
                OnKey::Keep,
                &|_| {},
            )
            .await?
        }
    }
    let link_key = [chain_link::Column::Chain, chain_link::Column::Link];
    upsert::<ChainLink>(&txn, &rows(&ledger.chain_links), &link_key, &[], given(&CHAIN_LINKS), &tick).await?;
    upsert::<Carrier>(&txn, &rows(&ledger.carriers), &[carrier::Column::Code], &[], given(&CARRIERS), &tick).await?;
    let investor_key = [investor::Column::Name];
    upsert::<Investor>(&txn, &rows(&ledger.investors), &investor_key, &[], given(&INVESTORS), &tick).await?;
    // Investors only named by the projects: their origin from its `investor_origin`.
    let named: Vec<_> = ledger.named_investors.iter().collect();
    let origin = if ledger.given.has(&PROJECTS, "investor_origin") { &["origin"][..] } else { &[] };
    upsert::<Investor>(&txn, &named, &investor_key, &[], OnKey::Only(origin), &tick).await?;
    // Investors only named by contacts: created with their name, nothing else touched.
    let contacted = ledger.contacted_investors();
    upsert::<Investor>(&txn, &contacted.iter().collect::<Vec<_>>(), &investor_key, &[], OnKey::Keep, &|_| {}).await?;
    upsert::<Project>(&txn, &rows(&ledger.projects), &[project::Column::Code], &[], given(&PROJECTS), &tick).await?;
    let progress_key = [progress::Column::ProjectCode, progress::Column::Month];
    upsert::<Progress>(&txn, &rows(&ledger.progress), &progress_key, &[], given(&PROGRESS), &tick).await?;
    let issue_key = [
        element_issue::Column::ProjectCode,
        element_issue::Column::Category,
        element_issue::Column::Description,
        element_issue::Column::OpenedDate,
    ];
    let id = [element_issue::Column::Id];
    upsert::<ElementIssue>(&txn, &rows(&ledger.issues), &issue_key, &id, given(&ISSUES), &tick).await?;
    let target_key = [target::Column::UnitCode, target::Column::Year, target::Column::Metric];
    upsert::<Target>(&txn, &rows(&ledger.targets), &target_key, &[], given(&TARGETS), &tick).await?;
    import_pipeline_work(&txn, ledger, &tick).await?;

    let counts = ImportCounts {
        units: ledger.units.len(),
        industries: ledger.industries.as_ref().map_or(0, Vec::len),
        chain_links: ledger.chain_links.len(),
        carriers: ledger.carriers.len(),
        investors: ledger.investors.len() + ledger.named_investors.len(),
        projects: ledger.projects.len(),
        progress: ledger.progress.len(),
        issues: ledger.issues.len(),
        targets: ledger.targets.len(),
        events: ledger.events.len(),
        engagements: ledger.engagements.len(),
        incentives: ledger.incentives.len(),
        supervision: ledger.supervision.len(),
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

/// Events, engagements, incentives and supervision items, matched by their keys.
async fn import_pipeline_work(txn: &DatabaseTransaction, ledger: &Ledger, tick: &dyn Fn(usize)) -> Result<(), DbErr> {
    let given = |sheet| OnKey::Given(&ledger.given, sheet);
    upsert::<Event>(txn, &rows(&ledger.events), &[event::Column::Code], &[], given(&EVENTS), tick).await?;
    let engagement_key = [
        engagement::Column::InvestorName,
        engagement::Column::UnitCode,
        engagement::Column::Date,
        engagement::Column::Kind,
        engagement::Column::EventCode,
    ];
    upsert::<Engagement>(txn, &rows(&ledger.engagements), &engagement_key, &[], given(&ENGAGEMENTS), tick).await?;
    let incentive_key = [incentive::Column::ProjectCode, incentive::Column::Policy];
    upsert::<Incentive>(txn, &rows(&ledger.incentives), &incentive_key, &[], given(&INCENTIVES), tick).await?;
    let supervision_key = [supervision_item::Column::Code];
    upsert::<SupervisionItem>(txn, &rows(&ledger.supervision), &supervision_key, &[], given(&SUPERVISION), tick).await
}

/// The models of numbered ledger rows.
fn rows<T>(list: &[(usize, T)]) -> Vec<&T> {
    list.iter().map(|(_, m)| m).collect()
}

/// Inserts `models` into `E`'s table in statements as large as the parameter limit
/// allows, doing `on_key` where `key` exists (new rows get every column of the model:
/// the defaults where the ledger had no column) (`ON CONFLICT`, on SQLite and PostgreSQL
/// alike). Columns in `skip` (surrogate ids) are left to the database.
///
/// This is written as SQL text with bound values rather than through sea-orm's
/// `insert_many`, whose per-value expression trees made imports twice as slow (see
/// BENCHMARKS.md); the values still come from the entities (`ModelTrait::get`).
async fn upsert<E: EntityTrait>(
    txn: &DatabaseTransaction,
    models: &[&E::Model],
    key: &[E::Column],
    skip: &[E::Column],
    on_key: OnKey<'_>,
    tick: &dyn Fn(usize),
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let name = |c: &E::Column| c.as_str().to_string();
    let columns: Vec<E::Column> = E::Column::iter().filter(|c| !skip.iter().any(|s| name(s) == name(c))).collect();
    let quoted = |cs: &[E::Column]| cs.iter().map(|c| format!("\"{}\"", name(c))).collect::<Vec<_>>().join(", ");
    let not_key = |c: &&E::Column| !key.iter().any(|k| name(k) == name(c));
    let update: Vec<E::Column> = match on_key {
        OnKey::Given(given, sheet) => {
            columns.iter().filter(not_key).filter(|c| given.fills(sheet, &name(c))).copied().collect()
        }
        OnKey::Only(names) => {
            columns.iter().filter(not_key).filter(|c| names.contains(&name(c).as_str())).copied().collect()
        }
        OnKey::Keep => Vec::new(),
    };
    let action = if update.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let sets: Vec<String> = update.iter().map(|c| format!("\"{0}\" = excluded.\"{0}\"", name(c))).collect();
        format!("DO UPDATE SET {}", sets.join(", "))
    };
    let head = format!("INSERT INTO \"{}\" ({}) VALUES ", E::default().table_name(), quoted(&columns));
    let tail = format!(" ON CONFLICT ({}) {action}", quoted(key));
    let width = columns.len();
    for chunk in models.chunks((MAX_PARAMETERS / width).max(1)) {
        let mut sql = String::with_capacity(head.len() + tail.len() + chunk.len() * width * 5);
        sql.push_str(&head);
        let mut values = Vec::with_capacity(chunk.len() * width);
        for (r, model) in chunk.iter().enumerate() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                values.push(model.get(*column));
                match backend {
                    DbBackend::Postgres => {
                        let _ = write!(sql, "${}", values.len());
                    }
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
        }
        sql.push_str(&tail);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        tick(chunk.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored<E: EntityTrait>() -> Vec<String> {
        E::Column::iter().map(|c| c.as_str().to_string()).collect()
    }

    /// A misspelt `field` in the header table would make its column never update.
    #[test]
    fn every_ledger_column_fills_a_stored_column_of_its_table() {
        let tables = [
            (&UNITS, stored::<Unit>()),
            (&INDUSTRIES, stored::<Industry>()),
            (&PROJECTS, stored::<Project>()),
            (&PROGRESS, stored::<Progress>()),
            (&ISSUES, stored::<ElementIssue>()),
            (&TARGETS, stored::<Target>()),
            (&INVESTORS, stored::<Investor>()),
            (&EVENTS, stored::<Event>()),
            (&ENGAGEMENTS, stored::<Engagement>()),
            (&INCENTIVES, stored::<Incentive>()),
            (&SUPERVISION, stored::<SupervisionItem>()),
        ];
        for (sheet, columns) in tables {
            for column in sheet.columns.iter().filter(|c| (sheet.key, c.key) != ("projects", "investor_origin")) {
                assert!(columns.iter().any(|c| c == column.field), "{}.{} fills no column", sheet.key, column.key);
            }
        }
    }
}
