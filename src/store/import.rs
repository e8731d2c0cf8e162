//! Writing a checked ledger into the store: one transaction, rows matched by their keys
//! and updated (so importing the same ledger twice leaves the same figures), and one
//! change in the feed ([`super::feed`]) with the counts.

use std::fmt::Write as _;

use entities::prelude::*;
use entities::{element_issue, industry, investor, progress, project, target, unit};
use indicatif::ProgressBar;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable,
    ModelTrait, Statement,
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

/// What to do with a row whose key exists already.
enum OnKey<'a, C> {
    /// Overwrite every column but the key.
    UpdateAll,
    /// Overwrite these columns.
    Update(&'a [C]),
    /// Keep the stored row.
    Keep,
}

/// The projects' row version: left to its default on insert, one up on every update.
const PROJECT_VERSION: [project::Column; 1] = [project::Column::Version];

/// Imports `ledger` (already checked) in one transaction, as `actor`, recording
/// `source` in the audit trail. `bar`, if given, advances by rows written.
pub async fn import_ledger(
    db: &DatabaseConnection,
    ledger: &Ledger,
    actor: &str,
    source: &str,
    bar: Option<&ProgressBar>,
) -> Result<ImportCounts, DbErr> {
    let txn = super::feed::begin_write(db).await?;
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
    let investors: Vec<_> = ledger.investors.iter().collect();
    upsert::<Investor>(&txn, &investors, &[investor::Column::Name], &[], OnKey::UpdateAll, &tick).await?;
    upsert::<Project>(
        &txn,
        &rows(&ledger.projects),
        &[project::Column::Code],
        &PROJECT_VERSION,
        OnKey::UpdateAll,
        &tick,
    )
    .await?;
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

    let counts = ImportCounts {
        units: ledger.units.len(),
        industries: ledger.industries.as_ref().map_or(0, Vec::len),
        investors: ledger.investors.len(),
        projects: ledger.projects.len(),
        progress: ledger.progress.len(),
        issues: ledger.issues.len(),
        targets: ledger.targets.len(),
    };
    super::feed::record(&txn, super::feed::Change::new(actor, "import", "ledger", source).after(Some(&counts))).await?;
    txn.commit().await?;
    Ok(counts)
}

/// The models of numbered ledger rows.
fn rows<T>(list: &[(usize, T)]) -> Vec<&T> {
    list.iter().map(|(_, m)| m).collect()
}

/// Inserts `models` into `E`'s table in statements as large as the parameter limit
/// allows, doing `on_key` where `key` exists (`ON CONFLICT`, on SQLite and PostgreSQL
/// alike). Columns in `skip` (surrogate ids, a row `version`) are left to the database;
/// a skipped `version` goes one up when a value of the row changes (and the row is
/// left alone when none does).
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
    let table = E::default().table_name();
    let action = if update.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let mut sets: Vec<String> = update.iter().map(|c| format!("\"{0}\" = excluded.\"{0}\"", name(c))).collect();
        if skip.iter().any(|c| name(c) == "version") {
            // A row changes version only when one of its values changes.
            sets.push(format!("\"version\" = \"{table}\".\"version\" + 1"));
            let ours: Vec<String> = update.iter().map(|c| format!("\"{table}\".\"{}\"", name(c))).collect();
            let theirs: Vec<String> = update.iter().map(|c| format!("excluded.\"{}\"", name(c))).collect();
            format!(
                "DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
                sets.join(", "),
                ours.join(", "),
                theirs.join(", ")
            )
        } else {
            format!("DO UPDATE SET {}", sets.join(", "))
        }
    };
    let head = format!("INSERT INTO \"{table}\" ({}) VALUES ", quoted(&columns));
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
