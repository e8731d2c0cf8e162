//! Writing a checked ledger into the store: one transaction, rows matched by their keys
//! and updated in the columns the ledger gave (so importing the same ledger twice
//! leaves the same database, and a column a ledger lacks is never wiped), and one
//! change in the feed ([`super::feed`]) with the counts.

use std::fmt::Write as _;

use entities::prelude::*;
use entities::{
    carrier, chain_link, element_issue, engagement, event, incentive, industry, investor, progress, project,
    supervision_item, target, unit,
};
use indicatif::ProgressBar;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable,
    ModelTrait, Statement,
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

/// What an import did to one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableChanges {
    /// Rows the ledger gave (for `industries` without a sheet: the built-in taxonomy).
    pub rows: usize,
    /// Rows that were not there before.
    pub created: usize,
    /// Existing rows of which at least one field changed.
    pub updated: usize,
    /// Existing rows the ledger gave again with the same values.
    pub unchanged: usize,
}

/// What an import did, table by table, in import order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportChanges(pub Vec<(&'static str, TableChanges)>);

impl TableChanges {
    /// Adds the changes of another upsert into the same table.
    pub fn add(&mut self, other: TableChanges) {
        self.rows += other.rows;
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

impl ImportChanges {
    /// The changes to one table (all zero when the import did not touch it).
    pub fn table(&self, name: &str) -> TableChanges {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, c)| *c).unwrap_or_default()
    }
}

/// The projects' row version: left to its default on insert, one up on every update.
const PROJECT_VERSION: [project::Column; 1] = [project::Column::Version];

/// Imports `ledger` (already checked) in one writing transaction, as `actor`. Its one
/// change in the feed has `source` as key and records, in `after`, the rows created,
/// updated and unchanged per table and the ledger's SHA-256
/// ([`crate::ledger::source::Fingerprint`]). `bar`, if given, advances by rows written.
pub async fn import_ledger(
    db: &DatabaseConnection,
    ledger: &Ledger,
    actor: &str,
    source: &str,
    bar: Option<&ProgressBar>,
) -> Result<(ImportCounts, ImportChanges), DbErr> {
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

    let given = |sheet| OnKey::Given(&ledger.given, sheet);
    let mut changes = Vec::new();
    let units = upsert::<Unit>(&txn, &rows(&ledger.units), &[unit::Column::Code], &[], given(&UNITS), &tick).await?;
    changes.push(("units", units));
    let industries = match &ledger.industries {
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
    };
    changes.push(("industries", industries));
    let link_key = [chain_link::Column::Chain, chain_link::Column::Link];
    let links =
        upsert::<ChainLink>(&txn, &rows(&ledger.chain_links), &link_key, &[], given(&CHAIN_LINKS), &tick).await?;
    changes.push(("chain_links", links));
    let carriers =
        upsert::<Carrier>(&txn, &rows(&ledger.carriers), &[carrier::Column::Code], &[], given(&CARRIERS), &tick)
            .await?;
    changes.push(("carriers", carriers));
    let investor_key = [investor::Column::Name];
    let mut investors =
        upsert::<Investor>(&txn, &rows(&ledger.investors), &investor_key, &[], given(&INVESTORS), &tick).await?;
    // Investors only named by the projects: their origin from its `investor_origin`.
    let named: Vec<_> = ledger.named_investors.iter().collect();
    let origin = if ledger.given.has(&PROJECTS, "investor_origin") { &["origin"][..] } else { &[] };
    investors.add(upsert::<Investor>(&txn, &named, &investor_key, &[], OnKey::Only(origin), &tick).await?);
    // Investors only named by contacts: created with their name, nothing else touched.
    let contacted = ledger.contacted_investors();
    let contacted: Vec<_> = contacted.iter().collect();
    investors.add(upsert::<Investor>(&txn, &contacted, &investor_key, &[], OnKey::Keep, &|_| {}).await?);
    changes.push(("investors", investors));
    let projects = upsert::<Project>(
        &txn,
        &rows(&ledger.projects),
        &[project::Column::Code],
        &PROJECT_VERSION,
        given(&PROJECTS),
        &tick,
    )
    .await?;
    changes.push(("projects", projects));
    let progress_key = [progress::Column::ProjectCode, progress::Column::Month];
    let progress =
        upsert::<Progress>(&txn, &rows(&ledger.progress), &progress_key, &[], given(&PROGRESS), &tick).await?;
    changes.push(("progress", progress));
    let issue_key = [
        element_issue::Column::ProjectCode,
        element_issue::Column::Category,
        element_issue::Column::Description,
        element_issue::Column::OpenedDate,
    ];
    let id = [element_issue::Column::Id];
    let issues = upsert::<ElementIssue>(&txn, &rows(&ledger.issues), &issue_key, &id, given(&ISSUES), &tick).await?;
    changes.push(("issues", issues));
    let target_key = [target::Column::UnitCode, target::Column::Year, target::Column::Metric];
    let targets = upsert::<Target>(&txn, &rows(&ledger.targets), &target_key, &[], given(&TARGETS), &tick).await?;
    changes.push(("targets", targets));
    import_pipeline_work(&txn, ledger, &tick, &mut changes).await?;

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
    let changes = ImportChanges(changes);
    let after = serde_json::json!({
        "tables": changes.0.iter().map(|(name, c)| (name.to_string(), serde_json::json!(c))).collect::<serde_json::Map<_, _>>(),
        "sha256": ledger.fingerprint.as_ref().map(|f| f.sha256.clone()),
        "files": ledger.fingerprint.as_ref().map(|f| f.files.iter().map(|(n, h)| (n.clone(), serde_json::json!(h))).collect::<serde_json::Map<_, _>>()),
    });
    let change = super::feed::Change::new(actor, "import", "ledger", source).after(Some(&after));
    let recorded = super::feed::record(&txn, change).await?;
    super::feed::commit(db, txn, recorded).await?;
    Ok((counts, changes))
}

/// Events, engagements, incentives and supervision items, matched by their keys.
async fn import_pipeline_work(
    txn: &DatabaseTransaction,
    ledger: &Ledger,
    tick: &dyn Fn(usize),
    changes: &mut Vec<(&'static str, TableChanges)>,
) -> Result<(), DbErr> {
    let given = |sheet| OnKey::Given(&ledger.given, sheet);
    let events = upsert::<Event>(txn, &rows(&ledger.events), &[event::Column::Code], &[], given(&EVENTS), tick).await?;
    changes.push(("events", events));
    let engagement_key = [
        engagement::Column::InvestorName,
        engagement::Column::UnitCode,
        engagement::Column::Date,
        engagement::Column::Kind,
        engagement::Column::EventCode,
    ];
    let engagements =
        upsert::<Engagement>(txn, &rows(&ledger.engagements), &engagement_key, &[], given(&ENGAGEMENTS), tick).await?;
    changes.push(("engagements", engagements));
    let incentive_key = [incentive::Column::ProjectCode, incentive::Column::Policy];
    let incentives =
        upsert::<Incentive>(txn, &rows(&ledger.incentives), &incentive_key, &[], given(&INCENTIVES), tick).await?;
    changes.push(("incentives", incentives));
    let supervision_key = [supervision_item::Column::Code];
    let supervision =
        upsert::<SupervisionItem>(txn, &rows(&ledger.supervision), &supervision_key, &[], given(&SUPERVISION), tick)
            .await?;
    changes.push(("supervision_items", supervision));
    Ok(())
}

/// The models of numbered ledger rows.
fn rows<T>(list: &[(usize, T)]) -> Vec<&T> {
    list.iter().map(|(_, m)| m).collect()
}

/// Inserts `models` into `E`'s table in statements as large as the parameter limit
/// allows, doing `on_key` where `key` exists (new rows get every column of the model:
/// the defaults where the ledger had no column) (`ON CONFLICT`, on SQLite and PostgreSQL
/// alike). Columns in `skip` (surrogate ids, a row `version`) are left to the database;
/// a skipped `version` goes one up when a value of the row changes.
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
) -> Result<TableChanges, DbErr> {
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
    let table = E::default().table_name().to_string();
    let action = if update.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let mut sets: Vec<String> = update.iter().map(|c| format!("\"{0}\" = excluded.\"{0}\"", name(c))).collect();
        // Rows given again with the same values are not rewritten, so the count of
        // affected rows is the rows created plus the rows that changed.
        let differs: Vec<String> =
            update.iter().map(|c| format!("\"{table}\".\"{0}\" IS DISTINCT FROM excluded.\"{0}\"", name(c))).collect();
        if skip.iter().any(|c| name(c) == "version") {
            // A row changes version only when one of its values changes.
            sets.push(format!("\"version\" = \"{table}\".\"version\" + 1"));
        }
        format!("DO UPDATE SET {} WHERE {}", sets.join(", "), differs.join(" OR "))
    };
    // SQLite: this transaction holds the write lock, so the table's growth is what it
    // created. PostgreSQL lets others write meanwhile: each row reports whether it was
    // inserted (`xmax = 0` on a row version no transaction has replaced).
    let postgres = backend == DbBackend::Postgres;
    let before = if postgres { 0 } else { count_rows(txn, &table).await? };
    let head = format!("INSERT INTO \"{table}\" ({}) VALUES ", quoted(&columns));
    let returning = if postgres { " RETURNING (xmax = 0) AS created" } else { "" };
    let tail = format!(" ON CONFLICT ({}) {action}{returning}", quoted(key));
    let width = columns.len();
    let (mut affected, mut created) = (0, 0);
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
        let statement = Statement::from_sql_and_values(backend, sql, values);
        if postgres {
            for row in txn.query_all_raw(statement).await? {
                affected += 1;
                created += usize::from(row.try_get::<bool>("", "created")?);
            }
        } else {
            affected += txn.execute_raw(statement).await?.rows_affected() as usize;
        }
        tick(chunk.len());
    }
    if !postgres {
        // An import never deletes.
        created = count_rows(txn, &table).await?.saturating_sub(before);
    }
    let updated = affected.saturating_sub(created);
    Ok(TableChanges { rows: models.len(), created, updated, unchanged: models.len().saturating_sub(created + updated) })
}

/// The number of rows of `table`.
async fn count_rows(txn: &DatabaseTransaction, table: &str) -> Result<usize, DbErr> {
    let sql = format!("SELECT COUNT(*) AS n FROM \"{table}\"");
    let row = txn.query_one_raw(Statement::from_string(txn.get_database_backend(), sql)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) as usize)
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
            (&CHAIN_LINKS, stored::<ChainLink>()),
            (&CARRIERS, stored::<Carrier>()),
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
