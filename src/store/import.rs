//! Writing a checked ledger into the store: one transaction, rows matched by their keys
//! and updated (so importing the same ledger twice leaves the same database), and one
//! audit entry with the counts.

use std::fmt::Write as _;

use entities::prelude::*;
use entities::{
    audit_entry, element_issue, engagement, event, incentive, industry, investor, progress, project, supervision_item,
    target, unit,
};
use indicatif::ProgressBar;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IdenStatic, Iterable, ModelTrait, Statement, TransactionTrait,
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
enum OnKey<'a, C> {
    /// Overwrite every column but the key.
    UpdateAll,
    /// Overwrite these columns.
    Update(&'a [C]),
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

    upsert::<Unit>(&txn, &rows(&ledger.units), &[unit::Column::Code], &[], OnKey::UpdateAll, &tick).await?;
    match &ledger.industries {
        Some(list) => {
            upsert::<Industry>(&txn, &rows(list), &[industry::Column::Name], &[], OnKey::UpdateAll, &tick).await?
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
    let investor_key = [investor::Column::Name];
    upsert::<Investor>(&txn, &rows(&ledger.investors), &investor_key, &[], OnKey::UpdateAll, &tick).await?;
    // Investors only named elsewhere: created with their name, their origin updated
    // when the projects give one, nothing else touched.
    let (with_origin, without): (Vec<&investor::Model>, Vec<&investor::Model>) =
        ledger.named_investors.iter().partition(|i| i.origin.is_some());
    let origin = [investor::Column::Origin];
    upsert::<Investor>(&txn, &with_origin, &investor_key, &[], OnKey::Update(&origin), &tick).await?;
    upsert::<Investor>(&txn, &without, &investor_key, &[], OnKey::Keep, &tick).await?;
    upsert::<Project>(&txn, &rows(&ledger.projects), &[project::Column::Code], &[], OnKey::UpdateAll, &tick).await?;
    let progress_key = [progress::Column::ProjectCode, progress::Column::Month];
    upsert::<Progress>(&txn, &rows(&ledger.progress), &progress_key, &[], OnKey::UpdateAll, &tick).await?;
    let issue_key = [
        element_issue::Column::ProjectCode,
        element_issue::Column::Category,
        element_issue::Column::Description,
        element_issue::Column::OpenedDate,
    ];
    let issue_update = [element_issue::Column::OwnerUnitCode, element_issue::Column::ResolvedDate];
    let id = [element_issue::Column::Id];
    upsert::<ElementIssue>(&txn, &rows(&ledger.issues), &issue_key, &id, OnKey::Update(&issue_update), &tick).await?;
    let target_key = [target::Column::UnitCode, target::Column::Year, target::Column::Metric];
    upsert::<Target>(&txn, &rows(&ledger.targets), &target_key, &[], OnKey::UpdateAll, &tick).await?;
    import_pipeline_work(&txn, ledger, &tick).await?;

    let counts = ImportCounts {
        units: ledger.units.len(),
        industries: ledger.industries.as_ref().map_or(0, Vec::len),
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
    upsert::<Event>(txn, &rows(&ledger.events), &[event::Column::Code], &[], OnKey::UpdateAll, tick).await?;
    let engagement_key = [
        engagement::Column::InvestorName,
        engagement::Column::UnitCode,
        engagement::Column::Date,
        engagement::Column::Kind,
        engagement::Column::EventCode,
    ];
    upsert::<Engagement>(txn, &rows(&ledger.engagements), &engagement_key, &[], OnKey::UpdateAll, tick).await?;
    let incentive_key = [incentive::Column::ProjectCode, incentive::Column::Policy];
    upsert::<Incentive>(txn, &rows(&ledger.incentives), &incentive_key, &[], OnKey::UpdateAll, tick).await?;
    let supervision_key = [supervision_item::Column::Code];
    upsert::<SupervisionItem>(txn, &rows(&ledger.supervision), &supervision_key, &[], OnKey::UpdateAll, tick).await
}

/// The models of numbered ledger rows.
fn rows<T>(list: &[(usize, T)]) -> Vec<&T> {
    list.iter().map(|(_, m)| m).collect()
}

/// Inserts `models` into `E`'s table in statements as large as the parameter limit
/// allows, doing `on_key` where `key` exists (`ON CONFLICT`, on SQLite and PostgreSQL
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
    on_key: OnKey<'_, E::Column>,
    tick: &dyn Fn(usize),
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let name = |c: &E::Column| c.as_str().to_string();
    let columns: Vec<E::Column> = E::Column::iter().filter(|c| !skip.iter().any(|s| name(s) == name(c))).collect();
    let quoted = |cs: &[E::Column]| cs.iter().map(|c| format!("\"{}\"", name(c))).collect::<Vec<_>>().join(", ");
    let update: Vec<E::Column> = match on_key {
        OnKey::UpdateAll => columns.iter().filter(|c| !key.iter().any(|k| name(k) == name(c))).copied().collect(),
        OnKey::Update(cs) => cs.to_vec(),
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
