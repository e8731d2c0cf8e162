//! The command line: `quickstart`, `import`, `export`, `demo`. Thin: each command calls
//! the library's jobs and reports what it did.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use entities::prelude::Project;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::jobs::{self, ImportError, Imported};
use crate::{demo, store};

/// zhaoshang (招商): track investment projects from first contact to production.
///
/// Stores the project graph (units, industries, investors, projects, monthly progress,
/// element issues, targets) in SQLite by default or PostgreSQL, imports and exports the
/// ledgers (台账) units hand in.
#[derive(Debug, Parser)]
#[command(name = "zhaoshang", version, about, long_about)]
pub struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, global = true, env = "ZHAOSHANG_DATABASE_URL", default_value = store::DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the demo district if the database has no projects yet, then run every main
    /// job (export the ledger) and say where the results are.
    Quickstart {
        /// Folder for the files written.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Import a ledger (台账): an .xlsx workbook or a folder of CSV files in the format of
    /// docs/ledger.md. All or nothing: on any error nothing is written and every bad row
    /// is listed as `sheet row N, column: reason`. Importing the same ledger again updates
    /// the same rows.
    Import {
        /// The .xlsx file or the folder of CSV files.
        path: PathBuf,
        /// Check the ledger and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the whole project graph as a ledger: PATH ending in .xlsx writes a workbook
    /// (Chinese sheets and headers, 万元 with 4 decimals, date cells); any other PATH is a
    /// folder of UTF-8 CSV files.
    Export {
        /// The .xlsx file or the folder to write.
        path: PathBuf,
    },
    /// Generate the deterministic demo district and import it (through the same checks
    /// as a ledger). Rows with the same keys are updated.
    Demo {
        /// How many projects.
        #[arg(long, default_value_t = 600)]
        projects: usize,
        /// Seed of the generator: the same seed gives the same district.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = store::connect(&cli.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", cli.database_url))?;
    match cli.command {
        Command::Quickstart { out } => quickstart(&db, &cli.database_url, &out).await,
        Command::Import { path, dry_run } => import(&db, &path, dry_run).await,
        Command::Export { path } => {
            let ledger = jobs::export_file(&db, &path).await?;
            println!(
                "exported {} projects and {} progress rows to {}",
                ledger.projects.len(),
                ledger.progress.len(),
                path.display()
            );
            Ok(())
        }
        Command::Demo { projects, seed } => {
            let imported = load_demo(&db, projects, seed).await?;
            println!("demo district: {}", summary(&imported));
            Ok(())
        }
    }
}

async fn load_demo(db: &DatabaseConnection, projects: usize, seed: u64) -> anyhow::Result<Imported> {
    let ledger = demo::generate(projects, seed);
    Ok(jobs::import_ledger(db, ledger, "demo", &format!("demo --projects {projects} --seed {seed}")).await?)
}

async fn import(db: &DatabaseConnection, path: &Path, dry_run: bool) -> anyhow::Result<()> {
    if dry_run {
        let known = store::known(db).await?;
        let (ledger, warnings) = crate::ledger::read_ledger(path, &known)?;
        print_warnings(&warnings);
        println!("{} is valid: {} rows; nothing written (--dry-run)", path.display(), ledger.row_count());
        return Ok(());
    }
    match jobs::import_file(db, path, "cli").await {
        Ok(imported) => {
            print_warnings(&imported.warnings);
            println!("imported {}: {}", path.display(), summary(&imported));
            Ok(())
        }
        Err(ImportError::Invalid(errors)) => Err(errors.into()),
        Err(e) => Err(e.into()),
    }
}

async fn quickstart(db: &DatabaseConnection, url: &str, out: &Path) -> anyhow::Result<()> {
    let existing = Project::find().count(db).await?;
    if existing == 0 {
        let imported = load_demo(db, 600, 2026).await?;
        println!("created the demo district in {url}: {}", summary(&imported));
    } else {
        println!("using {url}: {existing} projects already there (the demo is only created in an empty database)");
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let ledger_path = out.join("ledger.xlsx");
    jobs::export_file(db, &ledger_path).await?;
    println!("exported the ledger (台账) to {}", ledger_path.display());
    Ok(())
}

fn summary(imported: &Imported) -> String {
    let c = imported.counts;
    format!(
        "{} units, {} industries, {} investors, {} projects, {} progress months, {} issues, {} targets",
        c.units, c.industries, c.investors, c.projects, c.progress, c.issues, c.targets
    )
}

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
