//! `zhaoshang site build`: the static investment-promotion site, generated from the
//! project graph with the templates, assets and content of `site/`. Chinese at the root,
//! English under `en/`; relative links, so it works offline and under any sub-path.
//! Same data, same bytes; a rebuild rewrites only what changed and removes what is no
//! longer published — only files a build wrote, never a user's (see [`super::output`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use entities::{industry, project, unit};
use indicatif::ProgressBar;
use minijinja::{Environment, Value, context};
use serde::{Deserialize, Serialize};

use super::deck::{By, Cell, ChartSpec, Span, build};
use super::output;
use super::public::{Lang, PublicCarrier, PublicChain, PublicProject, chain_map, chain_map_size, path_segment, slug};
use crate::analytics::cohort::pipeline;
use crate::analytics::scorecard::ScoringConfig;
use crate::analytics::volume::year_to_date;
use crate::analytics::{Frames, Metric, ProjectFilter};
use crate::charts::Size;
use crate::rules::Stage;

/// Why the site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// A file of the theme is malformed.
    #[error("{path}: {reason}")]
    Source {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A file of the theme is missing.
    #[error(transparent)]
    Theme(#[from] super::theme::ThemeError),
    /// A template failed.
    #[error("template {0}")]
    Template(#[from] minijinja::Error),
    /// A chart failed.
    #[error(transparent)]
    Chart(#[from] super::deck::BuildError),
    /// Drawing failed.
    #[error(transparent)]
    Draw(#[from] crate::charts::ChartError),
    /// Writing failed.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The output folder is not safe to write (a user's folder, a symbolic link).
    #[error(transparent)]
    Output(#[from] super::output::OutputError),
}

/// How to build.
#[derive(Clone, Debug)]
pub struct SiteOptions {
    /// The theme: templates, assets, content and settings (built in, or a folder).
    pub source: super::theme::Source,
    /// Where to write (`dist/site`).
    pub out: PathBuf,
    /// The day the figures are as of.
    pub as_of: NaiveDate,
    /// Where the site will be served, e.g. `https://invest.example.gov.cn/` or `/zhaoshang/`.
    pub base_url: String,
}

/// What a build did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteReport {
    /// Files the site has.
    pub files: usize,
    /// HTML pages among them.
    pub pages: usize,
    /// Files written because they are new or changed.
    pub written: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Files removed because they are no longer published.
    pub removed: usize,
}

/// The data the site is made of.
pub struct SiteData<'a> {
    /// Frames for the figures and charts (aggregates include non-public projects).
    pub frames: &'a Frames,
    /// Every project; only [`PublicProject`]s of them are published.
    pub projects: &'a [project::Model],
    /// Every unit.
    pub units: &'a [unit::Model],
    /// Every industry.
    pub industries: &'a [industry::Model],
}

fn read(source: &super::theme::Source, path: &str) -> Result<String, SiteError> {
    Ok(source.site_file(path)?)
}

/// The site's settings and words, per language.
#[derive(Deserialize)]
struct PerLang<T> {
    zh: T,
    en: T,
}

/// A figure on the home page.
#[derive(Serialize)]
struct Figure {
    label: String,
    /// The span the figure covers, in words (`1月1日至6月15日`).
    span: Option<String>,
    value: String,
    yoy: Option<String>,
    yoy_negative: bool,
}

/// A chart on a page.
#[derive(Serialize, Clone)]
struct PageChart {
    id: String,
    title: String,
    svg: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The charts of the results page (and the first two on the home page).
fn chart_specs() -> Vec<ChartSpec> {
    let s = |x: &str| x.to_string();
    vec![
        ChartSpec::Trend {
            id: s("fai"),
            title: s("{year}年固定资产投资完成情况"),
            metric: s("FAI"),
            granularity: None,
        },
        ChartSpec::Trend {
            id: s("signed"),
            title: s("{year}年签约金额"),
            metric: s("SIGNED_INVESTMENT"),
            granularity: None,
        },
        ChartSpec::Columns {
            id: s("signed-by-industry"),
            title: s("{year}年分产业签约金额"),
            metric: s("SIGNED_INVESTMENT"),
            by: By::Industry,
        },
        ChartSpec::Rates {
            id: s("landed"), title: s("{last_year}年签约项目落地情况"), cohort: Span::LastYear
        },
        ChartSpec::Funnel {
            id: s("funnel"), title: s("{last_year}年新招引项目转化漏斗"), intake: Span::LastYear
        },
    ]
}

/// Any serialisable value for a template.
fn v<T: Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// One page or file of the site, by path relative to the site's root.
type Files = BTreeMap<String, Vec<u8>>;

/// Builds the site into `options.out`.
pub fn build_site(data: &SiteData, options: &SiteOptions) -> Result<SiteReport, SiteError> {
    write_files(&render_site(data, options)?, &options.out, None)
}

/// Renders every file of the site in memory.
pub fn render_site(data: &SiteData, options: &SiteOptions) -> Result<Files, SiteError> {
    let src = &options.source;
    let settings: PerLang<HashMap<String, String>> = toml::from_str(&read(src, "site.toml")?)
        .map_err(|e| SiteError::Source { path: "site.toml".into(), reason: e.to_string() })?;
    let words: PerLang<HashMap<String, String>> = toml::from_str(&read(src, "i18n.toml")?)
        .map_err(|e| SiteError::Source { path: "i18n.toml".into(), reason: e.to_string() })?;
    let mut env = Environment::new();
    // Escape what HTML needs (& < > " ') and leave slashes of URLs readable; render
    // none as nothing.
    env.set_formatter(|out, _state, value| {
        if value.is_undefined() || value.is_none() {
            return Ok(());
        }
        let text = value.to_string();
        let written = if value.is_safe() { out.write_str(&text) } else { out.write_str(&crate::markup::escape(&text)) };
        written.map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write"))
    });
    for name in [
        "base.html",
        "cards.html",
        "home.html",
        "opportunities.html",
        "project.html",
        "listing.html",
        "results.html",
        "events.html",
        "chains.html",
        "chain.html",
        "carriers.html",
        "page.html",
        "404.html",
    ] {
        env.add_template_owned(name.to_string(), read(src, &format!("templates/{name}"))?)?;
    }
    let as_of = options.as_of;
    let mut files = Files::new();
    for asset in ["style.css", "filter.js", "favicon.svg"] {
        files.insert(format!("assets/{asset}"), read(src, &format!("assets/{asset}"))?.into_bytes());
    }

    // Charts once, shared by both languages (their text is Chinese, as on the slides).
    let scoring = ScoringConfig::default();
    let mut charts = Vec::new();
    for spec in chart_specs() {
        let built = build(data.frames, &spec, as_of, &scoring)?;
        let svg = built.chart.inline_svg(Size::hd(1))?;
        files.insert(format!("results/{}.csv", built.id), built.table.to_csv());
        let rows = built
            .table
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Cell::Text(s) => s.clone(),
                        Cell::Number(Some(n)) => crate::charts::theme::number(*n, 2),
                        Cell::Number(None) => "—".into(),
                    })
                    .collect()
            })
            .collect();
        charts.push(PageChart {
            id: built.id,
            title: built.chart.frame().title.clone(),
            svg,
            headers: built.table.headers,
            rows,
        });
    }

    let unit_names: HashMap<&str, &str> = data.units.iter().map(|u| (u.code.as_str(), u.name.as_str())).collect();
    // Promotion by chain and by carrier, from the frames' rows (the figures' data version).
    let promotion = &data.frames.promotion();
    let chain_figures = promotion.chains(as_of);
    let chain_names: BTreeSet<&str> = chain_figures.iter().map(|c| c.name.as_str()).collect();
    let map_of = |chains: &[crate::analytics::chains::ChainFigures], title: &str| -> Result<MapPicture, SiteError> {
        let chart = chain_map(chains, title, as_of, super::deck::SOURCE);
        Ok(MapPicture { title: title.to_string(), svg: chart.inline_svg(chain_map_size(chains.len()))? })
    };
    let all_chains_map = if chain_figures.is_empty() { None } else { Some(map_of(&chain_figures, "产业链图谱")?) };
    let mut chain_maps = HashMap::new();
    for c in &chain_figures {
        chain_maps.insert(c.name.clone(), map_of(std::slice::from_ref(c), &format!("{}图谱", c.name))?);
    }
    let base =
        if options.base_url.ends_with('/') { options.base_url.clone() } else { format!("{}/", options.base_url) };
    let base_path = match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string()),
        None => base.clone(),
    };
    let mut sitemap = Vec::new();
    let mut opportunities_json = String::new();

    for lang in [Lang::Zh, Lang::En] {
        let (site, t) = match lang {
            Lang::Zh => (&settings.zh, &words.zh),
            Lang::En => (&settings.en, &words.en),
        };
        let prefix = if lang == Lang::En { "en/" } else { "" };
        let other_prefix = if lang == Lang::En { "" } else { "en/" };
        let other_lang = if lang == Lang::En { "zh-CN" } else { "en" };
        let unit_name = |code: &str| unit_names.get(code).copied().unwrap_or(code).to_string();
        let carriers: Vec<PublicCarrier> = promotion
            .carriers
            .iter()
            .filter_map(|c| PublicCarrier::of(c, &unit_name(&c.unit_code), as_of, lang))
            .collect();
        let public: Vec<PublicProject> = data
            .projects
            .iter()
            .filter_map(|p| PublicProject::of(p, &unit_name(&p.unit_code), as_of, lang))
            .map(|p| {
                let mut p = p.with_carrier(&carriers);
                // A chain named by a project but not mapped has no page to link to.
                if !p.chain.as_deref().is_some_and(|c| chain_names.contains(c)) {
                    p.chain_slug = None;
                }
                p
            })
            .collect();
        let seeking: Vec<&PublicProject> = public.iter().filter(|p| p.seeking).collect();
        let mut industry_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &public {
            *industry_counts.entry(p.industry.as_str()).or_default() += 1;
        }
        let industries: Vec<Value> = data
            .industries
            .iter()
            .filter_map(|i| industry_counts.get(i.name.as_str()).map(|n| context! { name => i.name.clone(), slug => slug(&i.name), count => *n, cluster => i.cluster.clone() }))
            .collect();
        let units_with: BTreeSet<&str> = public.iter().map(|p| p.unit_code.as_str()).collect();
        let units: Vec<Value> = data
            .units
            .iter()
            .filter(|u| units_with.contains(u.code.as_str()))
            .map(|u| context! { code => u.code.clone(), name => u.name.clone() })
            .collect();

        let mut page = |path: String,
                        template: &str,
                        title: String,
                        description: String,
                        section: &str,
                        extra: Value|
         -> Result<(), SiteError> {
            let full = format!("{prefix}{path}");
            let depth = full.matches('/').count();
            let root = "../".repeat(depth);
            let home = format!("{root}{prefix}");
            let other_href = format!("{root}{other_prefix}{path}");
            let canonical = if base.contains("://") { format!("{base}{full}") } else { String::new() };
            let ctx = context! { t => v(t), site => v(site), root => root, home => home, other_href => other_href, other_lang => other_lang,
            title => title, description => description, section => section, canonical => canonical, as_of => as_of.to_string(), ..extra };
            let html = env.get_template(template)?.render(ctx)?;
            if template != "404.html" {
                sitemap.push(full.clone());
            }
            files.insert(full, html.into_bytes());
            Ok(())
        };

        let figures = headline_figures(data.frames, as_of, lang, t)?;
        // Six projects seeking investors, key projects first (a stable sort keeps the order).
        let mut featured: Vec<&PublicProject> = seeking.clone();
        featured.sort_by_key(|p| !p.key_project);
        featured.truncate(6);
        page(
            "index.html".into(),
            "home.html",
            site.get("district").cloned().unwrap_or_default(),
            site.get("intro").cloned().unwrap_or_default(),
            "home",
            context! { figures => v(&figures), charts => v(&charts.iter().take(2).collect::<Vec<_>>()), industries => industries.clone(), featured => v(&featured) },
        )?;
        let index: Vec<Value> = seeking
            .iter()
            .map(|p| context! { code => p.page_id.clone(), industry => p.industry.clone(), unit => p.unit_code.clone(), size => p.size_class, text => p.search_text.clone() })
            .collect();
        if lang == Lang::Zh {
            opportunities_json = serde_json::to_string(&index).unwrap_or_else(|_| "[]".into());
        }
        let title = t.get("opportunities").cloned().unwrap_or_default();
        page(
            "opportunities/index.html".into(),
            "opportunities.html",
            title.clone(),
            format!("{} · {}", title, site.get("district").cloned().unwrap_or_default()),
            "opportunities",
            context! { projects => v(&seeking), industries => industries, units => units },
        )?;
        for p in &public {
            let description = p
                .summary
                .clone()
                .unwrap_or_else(|| format!("{} · {} · {}", p.industry, p.unit_name, p.investment_text));
            page(
                format!("projects/{}/index.html", p.page_id),
                "project.html",
                p.name.clone(),
                description,
                "opportunities",
                context! { p => v(p) },
            )?;
        }
        for i in data.industries.iter().filter(|i| industry_counts.contains_key(i.name.as_str())) {
            let list: Vec<&PublicProject> = public.iter().filter(|p| p.industry == i.name).collect();
            let lead = i.cluster.clone().unwrap_or_default();
            page(
                format!("industries/{}/index.html", slug(&i.name)),
                "listing.html",
                i.name.clone(),
                format!("{} {}", i.name, t.get("projects_in").cloned().unwrap_or_default()),
                "opportunities",
                context! { projects => v(&list), lead => lead },
            )?;
        }
        for u in data.units.iter().filter(|u| units_with.contains(u.code.as_str())) {
            let list: Vec<&PublicProject> = public.iter().filter(|p| p.unit_code == u.code).collect();
            page(
                format!("units/{}/index.html", path_segment(&u.code)),
                "listing.html",
                u.name.clone(),
                format!("{} {}", u.name, t.get("projects_in").cloned().unwrap_or_default()),
                "opportunities",
                context! { projects => v(&list), lead => "" },
            )?;
        }
        let chains: Vec<PublicChain> = chain_figures.iter().map(|c| PublicChain::of(c, &public, lang)).collect();
        let title = t.get("chains").cloned().unwrap_or_default();
        page(
            "chains/index.html".into(),
            "chains.html",
            title.clone(),
            t.get("chains_lead").cloned().unwrap_or_default(),
            "chains",
            context! { chains => v(&chains), map => v(&all_chains_map) },
        )?;
        for c in &chains {
            page(
                format!("chains/{}/index.html", c.slug),
                "chain.html",
                c.name.clone(),
                format!("{} · {}", c.name, t.get("chains").cloned().unwrap_or_default()),
                "chains",
                context! { c => v(c), map => v(&chain_maps.get(&c.name)) },
            )?;
        }
        // The carriers page lists the published carriers available on the day.
        let available: Vec<&PublicCarrier> = carriers.iter().filter(|c| c.available).collect();
        let kinds: Vec<Value> = crate::rules::vocab::CARRIER_KINDS
            .iter()
            .filter(|k| available.iter().any(|c| c.kind == **k))
            .map(|k| context! { value => *k, label => lang.carrier_kind(k) })
            .collect();
        let carrier_units: Vec<Value> = data
            .units
            .iter()
            .filter(|u| available.iter().any(|c| c.unit_code == u.code))
            .map(|u| context! { code => u.code.clone(), name => u.name.clone() })
            .collect();
        let title = t.get("carriers").cloned().unwrap_or_default();
        page(
            "carriers/index.html".into(),
            "carriers.html",
            title.clone(),
            t.get("carriers_lead").cloned().unwrap_or_default(),
            "carriers",
            context! { carriers => v(&available), kinds => kinds, units => carrier_units },
        )?;
        let (upcoming, past) = public_events(data, &public, as_of);
        let title = t.get("events").cloned().unwrap_or_default();
        page(
            "events/index.html".into(),
            "events.html",
            title.clone(),
            format!("{} · {}", title, site.get("district").cloned().unwrap_or_default()),
            "events",
            context! { upcoming => v(&upcoming), past => v(&past) },
        )?;
        let title = t.get("results").cloned().unwrap_or_default();
        page(
            "results/index.html".into(),
            "results.html",
            title.clone(),
            title,
            "results",
            context! { charts => v(&charts) },
        )?;
        for name in ["environment", "policies"] {
            let md_path = format!("content/{}{name}.md", if lang == Lang::En { "en/" } else { "" });
            let markdown = read(src, &md_path)?;
            let title = markdown.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or(name).to_string();
            let mut body = String::new();
            pulldown_cmark::html::push_html(&mut body, pulldown_cmark::Parser::new(&markdown));
            page(format!("{name}/index.html"), "page.html", title.clone(), title, name, context! { body => body })?;
        }
        // The 404 page is served from any path: its links start at the base path.
        let ctx = context! { t => v(t), site => v(site), root => base_path.clone(), home => format!("{base_path}{prefix}"), other_href => format!("{base_path}{other_prefix}index.html"),
        other_lang => other_lang, title => t.get("not_found_title").cloned().unwrap_or_default(), description => "", section => "", canonical => "", as_of => as_of.to_string() };
        files.insert(format!("{prefix}404.html"), env.get_template("404.html")?.render(ctx)?.into_bytes());
    }
    files.insert("opportunities.json".into(), opportunities_json.into_bytes());
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in &sitemap {
        xml.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{as_of}</lastmod></url>\n",
            crate::markup::escape(&format!("{base}{path}"))
        ));
    }
    xml.push_str("</urlset>\n");
    files.insert("sitemap.xml".into(), xml.into_bytes());
    files.insert("robots.txt".into(), format!("User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n").into_bytes());
    Ok(files)
}

/// A chain map ready for a page.
#[derive(Serialize)]
struct MapPicture {
    title: String,
    svg: String,
}

/// The public events as of `as_of`: those not over yet (soonest first), and those over
/// (latest first) with the public projects signed there by then.
fn public_events(
    data: &SiteData,
    public: &[PublicProject],
    as_of: NaiveDate,
) -> (Vec<super::public::PublicEvent>, Vec<super::public::PublicEvent>) {
    let work = &data.frames.work();
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for e in work.events.iter() {
        let signed: Vec<PublicProject> = work
            .projects_of_event
            .get(&e.code)
            .into_iter()
            .flatten()
            .filter(|code| work.projects.get(code).is_some_and(|p| p.reached(crate::rules::Stage::Signed, as_of)))
            .filter_map(|code| public.iter().find(|p| &p.code == code).cloned())
            .collect();
        let over = crate::analytics::events::last_day(e) < as_of;
        if let Some(event) = super::public::PublicEvent::of(e, if over { signed } else { Vec::new() }) {
            if over { past.push(event) } else { upcoming.push(event) }
        }
    }
    past.reverse();
    (upcoming, past)
}

/// The home page's headline figures: this year to date, with YoY.
fn headline_figures(
    frames: &Frames,
    as_of: NaiveDate,
    lang: Lang,
    t: &HashMap<String, String>,
) -> Result<Vec<Figure>, SiteError> {
    let all = ProjectFilter::default();
    let word = |k: &str| t.get(k).cloned().unwrap_or_default();
    let mut figures = Vec::new();
    for (key, metric) in [
        ("signed_count", Metric::SignedCount),
        ("signed_investment", Metric::SignedInvestment),
        ("fai", Metric::Fai),
        ("new_starts", Metric::NewStarts),
    ] {
        let ytd = year_to_date(frames, metric, &all, as_of).map_err(super::deck::BuildError::from)?;
        let (value, yoy) = (ytd.value, ytd.yoy);
        let value = if metric.is_money() {
            lang.money(crate::money::to_wan(value))
        } else {
            format!("{value} {}", word("unit_projects")).trim().to_string()
        };
        let span = match lang {
            Lang::Zh => ytd.span.words_zh(),
            Lang::En => ytd.span.words_en(),
        };
        figures.push(Figure {
            label: word(key),
            span: Some(span),
            value,
            yoy: yoy.map(crate::charts::theme::percent),
            yoy_negative: yoy.is_some_and(|y| y < 0.0),
        });
    }
    let stages = pipeline(frames, as_of, &all).map_err(super::deck::BuildError::from)?;
    let producing: usize = stages.iter().filter(|s| s.stage >= Stage::Producing).map(|s| s.count).sum();
    figures.push(Figure {
        label: word("producing"),
        span: None,
        value: format!("{producing} {}", word("unit_projects")).trim().to_string(),
        yoy: None,
        yoy_negative: false,
    });
    Ok(figures)
}

/// Writes the files that changed, removes those no longer part of the site.
pub fn write_files(files: &Files, out: &Path, bar: Option<&ProgressBar>) -> Result<SiteReport, SiteError> {
    let previous = output::prepare(out)?;
    // Listed before any file is written, so an interrupted build still knows them.
    output::write_manifest(out, previous.iter().chain(files.keys()))?;
    let fail =
        |path: &Path, e: std::io::Error| SiteError::Write { path: path.display().to_string(), reason: e.to_string() };
    let mut report = SiteReport {
        files: files.len(),
        pages: files.keys().filter(|k| k.ends_with(".html")).count(),
        ..Default::default()
    };
    for (name, bytes) in files {
        let path = output::safe_path(out, name)?;
        if std::fs::read(&path).is_ok_and(|old| old == *bytes) {
            report.unchanged += 1;
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| fail(&path, e))?;
            report.written += 1;
        }
        if let Some(bar) = bar {
            bar.inc(1);
        }
    }
    // What an earlier build wrote and this one does not goes: a project taken off the
    // public list must not stay online. Nothing else in the folder is touched.
    let stale: Vec<&String> = previous.iter().filter(|name| !files.contains_key(*name)).collect();
    report.removed = output::remove_stale(out, &stale)?;
    output::write_manifest(out, files.keys())?;
    Ok(report)
}
