//! The main jobs as functions that the command line and the tests share: import a
//! ledger file, export the graph, load the demo district.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{DatabaseConnection, DbErr};

use crate::ledger::{self, LedgerErrors};
use crate::store::{self, ImportChanges, ImportCounts};

/// Why an import did not happen. Nothing is written in either case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The ledger has errors; every one is listed.
    #[error(transparent)]
    Invalid(#[from] LedgerErrors),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// Ledgers with more rows than this get a progress bar.
const PROGRESS_BAR_ROWS: usize = 5_000;

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    /// Rows given by table.
    pub counts: ImportCounts,
    /// Rows created, updated and unchanged by table (as the audit entry records them).
    pub changes: ImportChanges,
    /// Warnings that did not stop it (unknown columns, possible duplicates, …).
    pub warnings: Vec<String>,
}

/// Reads, checks and imports the ledger at `path` as `actor`: all or nothing.
pub async fn import_file(db: &DatabaseConnection, path: &Path, actor: &str) -> Result<Imported, ImportError> {
    let known = store::known(db).await?;
    let (ledger, warnings) = ledger::read_ledger(path, &known)?;
    let (counts, changes) = import_checked(db, ledger, actor, &path.display().to_string()).await?;
    Ok(Imported { counts, changes, warnings })
}

/// Checks a ledger built in memory (the demo) exactly as a file's, then imports it.
pub async fn import_ledger(
    db: &DatabaseConnection,
    mut ledger: ledger::Ledger,
    actor: &str,
    source: &str,
) -> Result<Imported, ImportError> {
    let known = store::known(db).await?;
    let mut warnings = Vec::new();
    let errors = ledger.check(&known, &mut warnings);
    if !errors.is_empty() {
        return Err(LedgerErrors(errors).into());
    }
    let (counts, changes) = import_checked(db, ledger, actor, source).await?;
    Ok(Imported { counts, changes, warnings })
}

async fn import_checked(
    db: &DatabaseConnection,
    ledger: ledger::Ledger,
    actor: &str,
    source: &str,
) -> Result<(ImportCounts, ImportChanges), DbErr> {
    let rows = ledger.row_count();
    let bar = (rows > PROGRESS_BAR_ROWS)
        .then(|| progress_bar(rows as u64, "导入 importing {bar:40} {pos}/{len} rows {per_sec} eta {eta}"));
    let imported = store::import_ledger(db, &ledger, actor, source, bar.as_ref()).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(imported)
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the graph failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Writing the files failed.
    #[error(transparent)]
    Write(#[from] ledger::write::WriteError),
}

/// Exports the whole graph to `path` (`.xlsx`, else a CSV folder).
pub async fn export_file(db: &DatabaseConnection, path: &Path) -> Result<ledger::Ledger, ExportError> {
    let ledger = store::load_ledger(db).await?;
    ledger::write_ledger(&ledger, path)?;
    Ok(ledger)
}

/// Why the site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteBuildError {
    /// Reading the graph failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Computing the figures failed.
    #[error(transparent)]
    Analytics(#[from] crate::analytics::AnalyticsError),
    /// Rendering or writing failed.
    #[error(transparent)]
    Site(#[from] crate::publish::site::SiteError),
    /// The build thread failed.
    #[error("the build stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Builds the public site from the store (see [`crate::publish::site`]), with the
/// engine's frames (built once per data version, shared with the other jobs).
pub async fn build_site(
    engine: &crate::analytics::Engine,
    options: &crate::publish::site::SiteOptions,
) -> Result<crate::publish::site::SiteReport, SiteBuildError> {
    use entities::prelude::{Industry, Project, Unit};
    use sea_orm::{EntityTrait, QueryOrder};
    let db = engine.db();
    let frames = engine.frames().await?;
    let projects = Project::find().order_by_asc(entities::project::Column::Code).all(db).await?;
    let units = Unit::find().order_by_asc(entities::unit::Column::Code).all(db).await?;
    let industries = Industry::find().order_by_asc(entities::industry::Column::Name).all(db).await?;
    let options = options.clone();
    let report = tokio::task::spawn_blocking(move || {
        let bar = progress_bar(0, "网站 site {bar:40} {pos}/{len} files");
        let data = crate::publish::site::SiteData {
            frames: &frames,
            projects: &projects,
            units: &units,
            industries: &industries,
        };
        let files = crate::publish::site::render_site(&data, &options)?;
        bar.set_length(files.len() as u64);
        let report = crate::publish::site::write_files(&files, &options.out, Some(&bar));
        bar.finish_and_clear();
        report
    })
    .await??;
    Ok(report)
}

/// Why the brochure could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BrochureBuildError {
    /// Reading the graph failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Making or writing the PDF failed.
    #[error(transparent)]
    Brochure(#[from] crate::publish::brochure::BrochureError),
    /// The build thread failed.
    #[error("the brochure stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Makes the brochure (see [`crate::publish::brochure`]) from the store and writes it
/// to `out` (checked before any work; written whole or not at all).
pub async fn build_brochure(
    db: &DatabaseConnection,
    options: &crate::publish::brochure::BrochureOptions,
    out: &Path,
) -> Result<crate::publish::brochure::Brochure, BrochureBuildError> {
    use entities::prelude::{Carrier, ChainLink, Project, Unit};
    use sea_orm::{EntityTrait, QueryOrder};
    crate::publish::brochure::check_out(out)?;
    let projects = Project::find().order_by_asc(entities::project::Column::Code).all(db).await?;
    let units = Unit::find().order_by_asc(entities::unit::Column::Code).all(db).await?;
    let chain_links = ChainLink::find().all(db).await?;
    let carriers = Carrier::find().order_by_asc(entities::carrier::Column::Code).all(db).await?;
    let options = options.clone();
    let out = out.to_path_buf();
    let brochure = tokio::task::spawn_blocking(move || {
        // Hidden unless stderr is a terminal; the demo district takes well under a
        // second, a large district several.
        let bar = progress_bar(0, "推介手册 brochure {bar:40} {pos}/{len} pages");
        let data = crate::publish::brochure::BrochureData {
            projects: &projects,
            units: &units,
            chain_links: &chain_links,
            carriers: &carriers,
        };
        let made = crate::publish::brochure::render(&data, &options, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        });
        bar.finish_and_clear();
        let made = made?;
        crate::publish::brochure::write_file(&out, &made.bytes)?;
        Ok::<_, BrochureBuildError>(made)
    })
    .await??;
    Ok(brochure)
}

/// A progress bar of `len` steps drawn by `template` (hidden unless stderr is a terminal).
fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}
