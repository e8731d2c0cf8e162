//! The command line: `quickstart`, `import`, `export`, `demo`. Thin: each command calls
//! the library's jobs and reports what it did.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use entities::prelude::Project;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::analytics::Engine;
use crate::analytics::scorecard::ScoringConfig;
use crate::config::{Config, Overrides, mask_url};
use crate::jobs::{self, ImportError, Imported};
use crate::publish::theme::Source;
use crate::{demo, store};

/// zhaoshang (招商): track investment projects from first contact to production.
///
/// Stores the project graph (units, industries, investors, projects, monthly progress,
/// element issues, targets) in SQLite by default or PostgreSQL, imports and exports the
/// ledgers (台账) units hand in.
#[derive(Debug, Parser)]
#[command(name = "zhaoshang", version, about, long_about)]
pub struct Cli {
    /// The configuration file (default: ./zhaoshang.toml if there is one). Flags and
    /// environment variables override it.
    #[arg(long, global = true, env = "ZHAOSHANG_CONFIG")]
    pub config: Option<PathBuf>,

    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://user@host/db` (default
    /// `sqlite://zhaoshang.db?mode=rwc`).
    #[arg(long, global = true, env = "ZHAOSHANG_DATABASE_URL")]
    pub database_url: Option<String>,

    /// A TOML file with the ranking weights and bottom size (see docs/metrics.md);
    /// replaces the configuration's `[scoring]`.
    #[arg(long, global = true, env = "ZHAOSHANG_SCORING")]
    pub scoring: Option<PathBuf>,

    /// A folder with the site theme (templates, assets, content, `site.toml`,
    /// `i18n.toml`), e.g. `DIR/site` written by `zhaoshang init DIR`; default: the theme
    /// built into the binary.
    #[arg(long, global = true, env = "ZHAOSHANG_SITE")]
    pub site: Option<PathBuf>,

    /// A folder of deck files (`NAME.toml`), e.g. `DIR/decks` written by
    /// `zhaoshang init DIR`; default: the decks built into the binary.
    #[arg(long, global = true, env = "ZHAOSHANG_DECKS")]
    pub decks: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the demo district if the database has no projects yet, run every main job
    /// (export the ledger, write the bulletin, the weekly slide deck and the public site
    /// into --out), say where the results are, then serve the API, GraphiQL and the site
    /// until Ctrl-C.
    Quickstart {
        /// Folder for the files written.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Do the jobs, then exit instead of serving the API.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        server: ServerArgs,
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
    /// Serve the GraphQL API: POST /graphql, GraphiQL at /graphiql, GET /healthz, and a
    /// preview of the built site at /. Stops gracefully on Ctrl-C.
    Serve {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` in the repository is a copy.
    Schema,
    /// Write editable copies of the built-in defaults into DIR: the site theme
    /// (DIR/site), the decks (DIR/decks) and a commented configuration
    /// (DIR/zhaoshang.toml) that uses them: `zhaoshang --config DIR/zhaoshang.toml …`.
    Init {
        /// The folder to write into (created if missing); also gets a commented
        /// `zhaoshang.toml` pointing at the copies.
        dir: PathBuf,
        /// Overwrite files that are already there.
        #[arg(long)]
        force: bool,
    },
    /// Manage API tokens: `token create --role analyst --name 王分析`, `token revoke NAME`.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Write the semi-monthly bulletin (招商引资工作通报): headline figures with YoY, the
    /// latest quarter's ranking, flagged units, overdue and stalled projects, open issues.
    Bulletin {
        /// The as-of day (YYYY-MM-DD); default today (China time).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// md or html.
        #[arg(long, default_value = "md", value_parser = ["md", "html"])]
        format: String,
        /// The file to write; default standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a deck for a meeting: per chart a PNG, an SVG and the CSV of its numbers,
    /// per table its CSV, plus one .pptx (title slide, one chart or table per slide) and
    /// one .xlsx with native charts.
    Slides {
        /// The deck: a name (`weekly` 周调度会, `quarterly` 季度考核, `promotion-工业`,
        /// `promotion-农业`, `promotion-文旅` 推介) from --decks or the built-in decks, or
        /// a path to a deck file (`my/deck.toml`).
        #[arg(long, default_value = crate::publish::theme::DEFAULT_DECK)]
        deck: String,
        /// The as-of day (YYYY-MM-DD); default today (China time).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Folder to write into.
        #[arg(long, default_value = "out/slides")]
        out: PathBuf,
        /// PNG size: 1920x1080 or 1280x720.
        #[arg(long, default_value = "1920x1080", value_parser = ["1920x1080", "1280x720"])]
        size: String,
        /// Multiply the PNG size (2 for crisp pictures on large screens).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
        scale: u32,
    },
    /// Write the printed brochure 《重点项目推介手册》 as an A4 PDF: cover, contents with
    /// page numbers, the district (the site theme's content pages, from --site or the
    /// built-in theme), the industry chains and their gaps (补链), the public carriers,
    /// and one page per public key project with the investment office's contact from
    /// the theme's `site.toml` — never a project's contact.
    Brochure {
        /// The PDF file to write (its folder must exist).
        #[arg(long, default_value = "推介手册.pdf")]
        out: PathBuf,
        /// The as-of day (YYYY-MM-DD); default today (China time).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// The language: zh (中文) or en.
        #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
        lang: String,
    },
    /// The public investment-promotion site (招商项目推介).
    Site {
        /// What to do with the site.
        #[command(subcommand)]
        action: SiteAction,
    },
    /// The configuration: `config check` prints the effective one (secrets masked) and
    /// fails on an invalid one, naming the key.
    Config {
        /// What to do with the configuration.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Write a consistent copy of the live SQLite database to FILE (a new file) while
    /// `serve` keeps writing. For PostgreSQL use `pg_dump` (this says so and fails).
    Backup {
        /// The file to write; must not exist.
        file: PathBuf,
    },
    /// Replace the SQLite database with the backup FILE (then migrate it). Refuses a
    /// database that has data unless --force. Stop `serve` first.
    Restore {
        /// The backup file (from `zhaoshang backup`).
        file: PathBuf,
        /// Replace a database that has data.
        #[arg(long)]
        force: bool,
    },
    /// Apply the pending schema migrations (forward only; every command also applies
    /// them when it starts).
    Migrate {
        /// List the migrations that would run, and change nothing.
        #[arg(long)]
        dry_run: bool,
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

/// Options of the API server.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "ZHAOSHANG_LISTEN")]
    pub addr: Option<String>,
    /// Production mode: GraphiQL, introspection and field suggestions off.
    #[arg(long)]
    pub production: bool,
    /// Do not serve GraphiQL.
    #[arg(long)]
    pub no_graphiql: bool,
    /// Read every request from the database, never from the in-memory snapshot.
    #[arg(long)]
    pub no_read_snapshot: bool,
    /// A built site to preview at / (from `zhaoshang site build --out DIR`); it must
    /// have an index.html. Default: no preview (quickstart previews the site it built).
    #[arg(long)]
    pub preview: Option<PathBuf>,
    /// How far below the server's background work the threads answering requests run,
    /// as a nice increment (0–19, Linux; 0, the default, runs them alike). Above 0 the
    /// background work — the analytics frames' builds and updates after writes, the
    /// figures prepared for them and those computed for a request, the read snapshot's
    /// folds — comes first while analysts keep every core busy with cheap requests; but
    /// a request thread holds database locks during a write's transaction, and lowered
    /// it kept them while starved: on PostgreSQL other writers queued behind it for
    /// seconds (BENCHMARKS.md, 2026-12-01). Raise it only where nothing else on the
    /// machine runs at the normal priority.
    #[arg(long, env = "ZHAOSHANG_SERVING_NICE", default_value_t = 0, value_parser = clap::value_parser!(i32).range(0..=19))]
    pub serving_nice: i32,
}

/// The command line's tokio runtime. When the command serves with a
/// [`ServerArgs::serving_nice`], the background work gets threads of its own first
/// ([`crate::background::start`]) and every tokio thread lowers its priority by it.
pub fn runtime(cli: &Cli) -> std::io::Result<tokio::runtime::Runtime> {
    let nice = match &cli.command {
        Command::Serve { server } | Command::Quickstart { server, no_serve: false, .. } => server.serving_nice,
        _ => 0,
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if nice > 0 {
        crate::background::start()?;
        builder.on_thread_start(crate::background::lowering(nice));
    }
    builder.build()
}

/// Site commands.
#[derive(Debug, Subcommand)]
pub enum SiteAction {
    /// Build the static site from the project graph and the theme (--site, or the built-in
    /// one). Only projects marked public are published, never their contacts.
    /// Rewrites only what changed and removes pages no longer published.
    Build {
        /// Where to write the site.
        #[arg(long, default_value = "dist/site")]
        out: PathBuf,
        /// The as-of day of the figures (YYYY-MM-DD); default today (China time).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Where the site will be served: a full URL (for the sitemap and canonical links)
        /// or a path such as /zhaoshang/. Links inside the site are relative either way.
        /// Default `/`.
        #[arg(long, env = "ZHAOSHANG_BASE_URL")]
        base_url: Option<String>,
    },
}

/// Configuration commands.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration (file, environment, flags, defaults) with the
    /// database password masked; exit non-zero if it is invalid.
    Check,
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once (only its hash is kept).
    Create {
        /// analyst (reads all but contacts), editor (writes its unit), admin (everything).
        #[arg(long)]
        role: String,
        /// For editors: the unit whose data they may change.
        #[arg(long)]
        unit: Option<String>,
        /// The holder's name; also the actor in the audit trail.
        #[arg(long)]
        name: String,
    },
    /// Revoke the token with this name.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Schema => {
            print!("{}", crate::api::sdl());
            return Ok(());
        }
        Command::Init { dir, force } => return init(dir, *force),
        _ => {}
    }
    let listen = match &cli.command {
        Command::Serve { server } | Command::Quickstart { server, .. } => server.addr.clone(),
        _ => None,
    };
    let base_url = match &cli.command {
        Command::Site { action: SiteAction::Build { base_url, .. } } => base_url.clone(),
        _ => None,
    };
    let config = Config::load(&Overrides {
        config: cli.config.clone(),
        database_url: cli.database_url.clone(),
        listen,
        base_url,
        site: cli.site.clone(),
        decks: cli.decks.clone(),
        scoring: cli.scoring.clone(),
    })?;
    if let Command::Config { action: ConfigAction::Check } = &cli.command {
        print!("{}", config.to_masked_toml());
        eprintln!("the configuration is valid");
        return Ok(());
    }
    let site = Source::from_dir(config.site.clone());
    let decks = Source::from_dir(config.decks.clone());
    let url = &config.database_url;
    let cannot_open = || format!("cannot open the database {}", mask_url(url));
    // These see the database as it is: no migration first.
    match &cli.command {
        Command::Backup { file } => {
            let db = store::open(url).await.with_context(cannot_open)?;
            let copied = store::backup::backup(&db, file).await?;
            db.close().await.ok();
            println!(
                "backed up {} to {}: {} projects, data version {}, {} bytes",
                mask_url(url),
                file.display(),
                copied.projects,
                copied.version,
                copied.bytes
            );
            return Ok(());
        }
        Command::Restore { file, force } => {
            let copied = store::backup::restore(url, file, *force).await?;
            println!(
                "restored {} into {}: {} projects, data version {}",
                file.display(),
                mask_url(url),
                copied.projects,
                copied.version
            );
            return Ok(());
        }
        Command::Migrate { dry_run } => {
            let db = store::open(url).await.with_context(cannot_open)?;
            let names = if *dry_run { store::pending_migrations(&db).await? } else { store::migrate(&db).await? };
            db.close().await.ok();
            match (names.is_empty(), dry_run) {
                (true, _) => println!("{}: the schema is up to date; no migration to run", mask_url(url)),
                (false, true) => println!("{} would run (--dry-run, nothing changed):", names.len()),
                (false, false) => println!("applied {}:", names.len()),
            }
            for name in names {
                println!("  {name}");
            }
            return Ok(());
        }
        _ => {}
    }
    let serving = matches!(cli.command, Command::Serve { .. } | Command::Quickstart { no_serve: false, .. });
    let db = if serving { store::connect_serving(url).await } else { store::connect(url).await };
    let db = db.with_context(cannot_open)?;
    match cli.command {
        Command::Schema
        | Command::Init { .. }
        | Command::Config { .. }
        | Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Migrate { .. } => Ok(()),
        Command::Quickstart { out, no_serve, server } => {
            quickstart(&db, &mask_url(url), &out, &site, &decks, &config.scoring).await?;
            let server = ServerArgs { preview: Some(out.join("site")), ..server };
            if no_serve { Ok(()) } else { serve(db, &server, &config).await }
        }
        Command::Serve { server } => serve(db, &server, &config).await,
        Command::Token { action } => token(&db, action).await,
        Command::Site { action: SiteAction::Build { out, as_of, .. } } => {
            let options = crate::publish::site::SiteOptions {
                source: site,
                out,
                as_of: as_of.unwrap_or_else(crate::analytics::today),
                base_url: config.base_url.clone(),
            };
            site_build(&Engine::new(db.clone()), options).await
        }
        Command::Brochure { out, as_of, lang } => {
            let lang = if lang == "en" { crate::publish::public::Lang::En } else { crate::publish::public::Lang::Zh };
            let options = crate::publish::brochure::BrochureOptions {
                source: site,
                as_of: as_of.unwrap_or_else(crate::analytics::today),
                lang,
            };
            let made = jobs::build_brochure(&db, &options, &out).await?;
            println!(
                "brochure as of {} written to {}: {} pages, {} key projects, {} bytes",
                options.as_of,
                out.display(),
                made.pages,
                made.projects,
                made.bytes.len()
            );
            Ok(())
        }
        Command::Slides { deck, as_of, out, size, scale } => {
            let size =
                if size == "1280x720" { crate::charts::Size::hd(scale) } else { crate::charts::Size::full_hd(scale) };
            let as_of = as_of.unwrap_or_else(crate::analytics::today);
            let deck = decks.deck(&deck)?;
            slides(&Engine::new(db.clone()), &deck, as_of, size, &config.scoring, &out).await
        }
        Command::Bulletin { as_of, format, out } => {
            let as_of = as_of.unwrap_or_else(crate::analytics::today);
            let text = bulletin(&Engine::new(db.clone()), as_of, &format, &config.scoring).await?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
                    println!("bulletin as of {as_of} written to {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
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

/// `zhaoshang init DIR`.
fn init(dir: &Path, force: bool) -> anyhow::Result<()> {
    let written =
        crate::publish::theme::write_defaults(dir, &[(crate::config::FILE_NAME, crate::config::EXAMPLE)], force)
            .with_context(|| format!("cannot write the defaults into {}", dir.display()))?;
    println!("wrote {} files into {}:", written.len(), dir.display());
    println!("  {}   the site theme: templates, assets, content, site.toml, i18n.toml", dir.join("site").display());
    println!("  {}  the slide decks", dir.join("decks").display());
    println!("  {}  the configuration, using them", dir.join(crate::config::FILE_NAME).display());
    println!(
        "use them with `zhaoshang --config {} …` (or ZHAOSHANG_CONFIG, or run in {})",
        dir.join(crate::config::FILE_NAME).display(),
        dir.display()
    );
    Ok(())
}

async fn quickstart(
    db: &DatabaseConnection,
    url: &str,
    out: &Path,
    site: &Source,
    decks: &Source,
    scoring: &ScoringConfig,
) -> anyhow::Result<()> {
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
    let today = crate::analytics::today();
    // One engine for the jobs below: the frames are built once for all of them.
    let engine = Engine::new(db.clone());
    for (format, name) in [("md", "bulletin.md"), ("html", "bulletin.html")] {
        let path = out.join(name);
        let text = bulletin(&engine, today, format, scoring).await?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote the bulletin (通报) as of {today} to {}", path.display());
    }
    let deck = decks.deck(crate::publish::theme::DEFAULT_DECK)?;
    slides(&engine, &deck, today, crate::charts::Size::full_hd(1), scoring, &out.join("slides")).await?;
    let options = crate::publish::site::SiteOptions {
        source: site.clone(),
        out: out.join("site"),
        as_of: today,
        base_url: "/".into(),
    };
    site_build(&engine, options).await?;
    Ok(())
}

fn summary(imported: &Imported) -> String {
    let c = imported.counts;
    format!(
        "{} units, {} industries, {} investors, {} projects, {} progress months, {} issues, {} targets, {} events, {} engagements, {} incentives, {} supervision items",
        c.units,
        c.industries,
        c.investors,
        c.projects,
        c.progress,
        c.issues,
        c.targets,
        c.events,
        c.engagements,
        c.incentives,
        c.supervision
    )
}

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

async fn bulletin(
    engine: &Engine,
    as_of: chrono::NaiveDate,
    format: &str,
    scoring: &ScoringConfig,
) -> anyhow::Result<String> {
    let config = scoring.clone();
    let html = format == "html";
    let text = engine
        .run(move |frames| {
            let b = crate::bulletin::Bulletin::compute(frames, as_of, &config)?;
            Ok(if html { b.to_html() } else { b.to_markdown() })
        })
        .await?;
    Ok(text)
}

async fn slides(
    engine: &Engine,
    deck_file: &crate::publish::theme::Deck,
    as_of: chrono::NaiveDate,
    size: crate::charts::Size,
    scoring: &ScoringConfig,
    out: &Path,
) -> anyhow::Result<()> {
    use crate::publish::slides::{parse_deck, write_slides};
    let deck = parse_deck(&deck_file.text, &deck_file.origin)?;
    let config = scoring.clone();
    let stem = deck_file.name.clone();
    let out_dir = out.to_path_buf();
    let written = engine
        .run(move |frames| {
            write_slides(frames, &deck, &stem, as_of, &config, size, &out_dir)
                .map_err(|e| crate::analytics::AnalyticsError::BadInput(e.to_string()))
        })
        .await?;
    if !written.missing_glyphs.is_empty() {
        let chars: String = written.missing_glyphs.iter().collect();
        eprintln!(
            "warning: the embedded font has no glyph for {chars:?}: those characters show as boxes in the charts"
        );
    }
    println!("wrote {} files for {} as of {as_of} to {}", written.files.len(), deck_file.origin, out.display());
    Ok(())
}

async fn site_build(engine: &Engine, options: crate::publish::site::SiteOptions) -> anyhow::Result<()> {
    let report = crate::jobs::build_site(engine, &options).await?;
    println!(
        "site as of {} in {}: {} files ({} pages); {} written, {} unchanged, {} removed",
        options.as_of,
        options.out.display(),
        report.files,
        report.pages,
        report.written,
        report.unchanged,
        report.removed
    );
    Ok(())
}

async fn serve(db: DatabaseConnection, args: &ServerArgs, config: &Config) -> anyhow::Result<()> {
    if let Some(dir) = &args.preview {
        anyhow::ensure!(
            dir.join("index.html").is_file(),
            "--preview {}: no index.html there (build the site first: `zhaoshang site build --out {}`)",
            dir.display(),
            dir.display()
        );
    }
    use crate::api::{ApiOptions, ApiState, build_schema, server};
    let options = ApiOptions {
        read_snapshot: !args.no_read_snapshot,
        max_depth: config.api.max_depth,
        max_complexity: config.api.max_complexity,
        timeout: config.api.timeout,
        max_response_bytes: config.api.max_response_bytes,
        ..ApiOptions::new(args.production)
    };
    let state = ApiState::new(db.clone(), config.scoring.clone());
    // Answer at once; the snapshot and the frames are built in the background.
    state.warm_in_background(options.read_snapshot);
    let schema = build_schema(state, &options);
    let bound = server::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let graphiql = options.introspection && !args.no_graphiql;
    println!("GraphQL API: http://{}/graphql", bound.addr);
    if graphiql {
        println!("GraphiQL:    http://{}/graphiql", bound.addr);
    }
    println!("health:      http://{}/healthz, /readyz, /metrics   (Ctrl-C stops)", bound.addr);
    let shutdown = stop_signal();
    let site = args.preview.clone();
    if let Some(dir) = &site {
        println!("site:        http://{}/   (preview of {})", bound.addr, dir.display());
    }
    let gate = server::Gate { tokens: crate::api::gate::TokenCache::new(config.api.token_trust), ..Default::default() };
    let state = server::ServerState {
        graphiql,
        site,
        max_body_bytes: config.api.max_body_bytes,
        gate,
        ..server::ServerState::new(schema, db.clone())
    };
    bound.serve(state, shutdown).await?;
    // Every request has finished: close the pool so SQLite checkpoints its WAL.
    if let Err(e) = db.close().await {
        tracing::warn!(error = %e, "closing the database");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (what systemd sends to stop a service).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C still stops"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Logs to stderr: readable with colours on a terminal; one JSON object per line
/// otherwise (a file, journald, a pipe), never with colour codes. `ZHAOSHANG_LOG` sets
/// the filter (default `warn,zhaoshang=info`).
pub fn init_logging() {
    use std::io::IsTerminal;
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("ZHAOSHANG_LOG").unwrap_or_else(|_| "warn,zhaoshang=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.with_ansi(true).init();
    } else {
        builder.json().with_ansi(false).with_current_span(true).with_span_list(false).init();
    }
}

async fn token(db: &DatabaseConnection, action: TokenAction) -> anyhow::Result<()> {
    use crate::api::auth::{Role, create_token, revoke_token};
    match action {
        TokenAction::Create { role, unit, name } => {
            let role = Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("--role must be analyst, editor or admin, not {role:?}"))?;
            if let Some(code) = &unit
                && entities::prelude::Unit::find_by_id(code.as_str()).one(db).await?.is_none()
            {
                anyhow::bail!("unknown unit {code:?}");
            }
            let token = create_token(db, &name, role, unit.as_deref()).await?;
            println!("{token}");
            eprintln!(
                "token {name:?} ({}) created; it is shown only this once: send it as `Authorization: Bearer …`",
                role.name()
            );
            Ok(())
        }
        TokenAction::Revoke { name } => {
            if revoke_token(db, &name).await? {
                println!("token {name:?} revoked");
                Ok(())
            } else {
                anyhow::bail!("no valid token named {name:?}")
            }
        }
    }
}
