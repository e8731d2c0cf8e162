//! `zhaoshang brochure`: the printed 《重点项目推介手册》, an A4 PDF to print and to send.
//! A cover, the table of contents with page numbers, the district (the site's content
//! pages, read through the site theme like the site does), the industry chains with
//! their maps and the gaps the district wants filled (补链), the public carriers on
//! offer, then one page per public key project with the investment office's public
//! contact — never a project's.
//!
//! What the public may see comes from the one allow-list ([`super::public`]); this
//! module only arranges it. [`layout`] typesets (Chinese line breaking, pages, the
//! contents), [`pdf`] writes the PDF (krilla, the chart font embedded as a subset).
//! Same data, same bytes.

pub mod layout;
pub mod pdf;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use entities::{carrier, chain_link, project, unit};

use self::layout::{ALERT, Block, Cell, Cover, Doc, MUTED};
use super::public::{Lang, PublicCarrier, PublicChain, PublicProject, chain_map};
use super::theme::Source;
use crate::analytics::chains::chain_figures;

/// Why the brochure could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BrochureError {
    /// `--out` is not a PDF file that can be written.
    #[error("--out {path}: {reason}")]
    Out {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file of the site theme is missing or unreadable.
    #[error(transparent)]
    Theme(#[from] super::theme::ThemeError),
    /// A file of the site theme is malformed.
    #[error("{path}: {reason}")]
    Source {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Text the embedded font cannot draw: printed, it would show boxes.
    #[error(
        "the embedded font has no glyph for {chars:?} (first in {example:?}): the brochure would print boxes; \
         write those characters differently in the ledger or the site theme"
    )]
    MissingGlyphs {
        /// The characters.
        chars: String,
        /// A text where the first of them occurs.
        example: String,
    },
    /// The PDF could not be written.
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
    /// Writing the file failed.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// What to make.
#[derive(Clone, Debug)]
pub struct BrochureOptions {
    /// The site theme: `site.toml` (district, office, contact) and `content/*.md`.
    pub source: Source,
    /// The day the brochure is as of.
    pub as_of: NaiveDate,
    /// Its language.
    pub lang: Lang,
}

/// The data the brochure is made of.
pub struct BrochureData<'a> {
    /// Every project; only public key projects are shown, and only public projects are
    /// named on the chains.
    pub projects: &'a [project::Model],
    /// Every unit.
    pub units: &'a [unit::Model],
    /// Every chain link.
    pub chain_links: &'a [chain_link::Model],
    /// Every carrier; only public available ones are shown.
    pub carriers: &'a [carrier::Model],
}

/// A made brochure.
#[derive(Clone, Debug)]
pub struct Brochure {
    /// The PDF.
    pub bytes: Vec<u8>,
    /// Its pages.
    pub pages: usize,
    /// The key projects in it.
    pub projects: usize,
    /// The entries of its table of contents with their pages (0 is the cover).
    pub contents: Vec<layout::Entry>,
}

/// The words of the brochure, per language.
struct Words {
    title: &'static str,
    contents: &'static str,
    district: &'static str,
    chains: &'static str,
    chains_intro: &'static str,
    carriers: &'static str,
    carriers_intro: &'static str,
    no_carriers: &'static str,
    projects: &'static str,
    projects_intro: &'static str,
    no_projects: &'static str,
    key_project: &'static str,
    code: &'static str,
    industry: &'static str,
    chain_link: &'static str,
    unit: &'static str,
    investment: &'static str,
    stage: &'static str,
    land: &'static str,
    jobs: &'static str,
    investor: &'static str,
    summary: &'static str,
    sought: &'static str,
    seeking: &'static str,
    signed: &'static str,
    link_sought: &'static str,
    contact: &'static str,
    office: &'static str,
    address: &'static str,
    phone: &'static str,
    email: &'static str,
    hours: &'static str,
    cluster: &'static str,
    coverage: &'static str,
    link: &'static str,
    status: &'static str,
    wanted: &'static str,
    public_projects: &'static str,
    gap: &'static str,
    gaps: &'static str,
    no_gaps: &'static str,
    carrier: &'static str,
    location: &'static str,
    kind: &'static str,
    area: &'static str,
    price: &'static str,
    mu: &'static str,
    sqm: &'static str,
    people: &'static str,
    list_sep: &'static str,
}

const ZH: Words = Words {
    title: "重点项目推介手册",
    contents: "目录",
    district: "走进",
    chains: "产业链招商",
    chains_intro: "我们按产业链招商，强链、补链、延链。下列各链标明每个环节的现状；标为“补链”的环节是我们最希望引进企业的方向。",
    carriers: "可供载体",
    carriers_intro: "以下土地、厂房和楼宇现可供投资项目使用，价格与条件可面洽。",
    no_carriers: "目前暂无公开推介的可供载体，欢迎来电咨询。",
    projects: "重点项目",
    projects_intro: "以下重点项目面向海内外客商推介，每个项目一页。",
    no_projects: "目前暂无公开推介的重点项目。",
    key_project: "重点项目",
    code: "项目编号",
    industry: "所属产业",
    chain_link: "产业链环节",
    unit: "责任单位",
    investment: "总投资",
    stage: "项目进展",
    land: "用地面积",
    jobs: "预计就业",
    investor: "投资方",
    summary: "项目简介",
    sought: "招引需求",
    seeking: "寻求投资方合作建设，欢迎洽谈。",
    signed: "项目已签约，欢迎上下游配套企业洽谈合作。",
    link_sought: "所在环节招引方向：",
    contact: "投资咨询",
    office: "联系单位",
    address: "地址",
    phone: "电话",
    email: "邮箱",
    hours: "办公时间",
    cluster: "所属集群",
    coverage: "环节覆盖",
    link: "环节",
    status: "现状",
    wanted: "招引方向",
    public_projects: "推介项目",
    gap: "补链",
    gaps: "补链招引方向",
    no_gaps: "本链各环节均已有项目，欢迎延链强链企业洽谈。",
    carrier: "载体",
    location: "所在单位",
    kind: "类型",
    area: "面积",
    price: "价格",
    mu: "亩",
    sqm: "平方米",
    people: "人",
    list_sep: "、",
};

const EN: Words = Words {
    title: "Key Projects for Investors",
    contents: "Contents",
    district: "About ",
    chains: "Industry chains",
    chains_intro: "We promote investment by industry chain: strengthening, completing and extending each chain. Each chain below shows the state of its links; the missing links are the gaps we most want to fill.",
    carriers: "Land and buildings available",
    carriers_intro: "The land, factories and buildings below are available for investment projects now; prices and terms are open to discussion.",
    no_carriers: "No land or buildings are offered publicly at the moment; please ask us.",
    projects: "Key projects",
    projects_intro: "The key projects below are open to investors from China and abroad, one to a page.",
    no_projects: "No key projects are offered publicly at the moment.",
    key_project: "Key project",
    code: "Code",
    industry: "Industry",
    chain_link: "Chain link",
    unit: "Unit",
    investment: "Total investment",
    stage: "Stage",
    land: "Land",
    jobs: "Expected jobs",
    investor: "Investor",
    summary: "About the project",
    sought: "What we seek",
    seeking: "Investors and partners to build it: talks welcome.",
    signed: "Signed; suppliers and partners up and down the chain are welcome.",
    link_sought: "Sought for its link: ",
    contact: "Contact",
    office: "Office",
    address: "Address",
    phone: "Phone",
    email: "Email",
    hours: "Hours",
    cluster: "Cluster",
    coverage: "Links filled",
    link: "Link",
    status: "Status",
    wanted: "Sought",
    public_projects: "Projects",
    gap: "gap",
    gaps: "Gaps to fill",
    no_gaps: "Every link of this chain has projects; companies that extend or strengthen it are welcome.",
    carrier: "Site",
    location: "Location",
    kind: "Kind",
    area: "Area",
    price: "Price",
    mu: " mu",
    sqm: " sq m",
    people: "",
    list_sep: ", ",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// Checks `--out` before any work: a `.pdf` file in an existing folder, not a folder.
pub fn check_out(path: &Path) -> Result<(), BrochureError> {
    let bad = |reason: &str| BrochureError::Out { path: path.display().to_string(), reason: reason.into() };
    if path.is_dir() {
        return Err(bad("is a folder; give the PDF file to write, e.g. 推介手册.pdf"));
    }
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        return Err(bad("must end in .pdf"));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(bad(&format!("its folder {} does not exist", parent.display())));
    }
    Ok(())
}

/// Writes `bytes` to `path` whole: into a temporary file beside it, then renamed, so a
/// failed run never leaves half a PDF under the name.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), BrochureError> {
    check_out(path)?;
    let fail =
        |p: &Path, e: std::io::Error| BrochureError::Write { path: p.display().to_string(), reason: e.to_string() };
    let mut temp = path.as_os_str().to_owned();
    temp.push(".partial");
    let temp = PathBuf::from(temp);
    if let Err(e) = std::fs::write(&temp, bytes) {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(&temp, e));
    }
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(path, e)
    })
}

/// Unit names by code.
fn unit_names<'a>(data: &BrochureData<'a>) -> HashMap<&'a str, &'a str> {
    data.units.iter().map(|u| (u.code.as_str(), u.name.as_str())).collect()
}

/// The public projects as of the day, by code: the allow-list's [`PublicProject`]
/// decides who is shown and what of them (their chain link included).
fn public_projects(data: &BrochureData, as_of: NaiveDate, lang: Lang) -> Vec<PublicProject> {
    let unit_names = unit_names(data);
    let mut list: Vec<PublicProject> = data
        .projects
        .iter()
        .filter_map(|p| {
            let unit = unit_names.get(p.unit_code.as_str()).copied().unwrap_or(&p.unit_code);
            PublicProject::of(p, unit, as_of, lang)
        })
        .collect();
    list.sort_by(|a, b| a.code.cmp(&b.code));
    list
}

/// The public carriers available on the day, by code ([`PublicCarrier`] decides).
fn public_carriers(data: &BrochureData, as_of: NaiveDate, lang: Lang) -> Vec<PublicCarrier> {
    let unit_names = unit_names(data);
    let mut carriers: Vec<PublicCarrier> = data
        .carriers
        .iter()
        .filter_map(|c| {
            let unit = unit_names.get(c.unit_code.as_str()).copied().unwrap_or(&c.unit_code);
            PublicCarrier::of(c, unit, as_of, lang)
        })
        .filter(|c| c.available)
        .collect();
    carriers.sort_by(|a, b| a.code.cmp(&b.code));
    carriers
}

/// A number without trailing zeros.
fn plain(value: f64) -> String {
    let text = crate::charts::theme::number(value, 2);
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// The site's settings (`site.toml`) in `lang`.
fn settings(source: &Source, lang: Lang) -> Result<HashMap<String, String>, BrochureError> {
    let text = source.site_file("site.toml")?;
    let mut all: HashMap<String, HashMap<String, String>> =
        toml::from_str(&text).map_err(|e| BrochureError::Source { path: "site.toml".into(), reason: e.to_string() })?;
    let key = if lang == Lang::En { "en" } else { "zh" };
    all.remove(key)
        .ok_or_else(|| BrochureError::Source { path: "site.toml".into(), reason: format!("no [{key}] table") })
}

/// A content page (Markdown) as blocks: its `#` title an entry of the contents, `##`
/// headings, paragraphs and list items.
fn markdown_blocks(markdown: &str, lang: Lang, blocks: &mut Vec<Block>) {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let mut text = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut in_item = false;
    let soft = if lang == Lang::En { " " } else { "" };
    let flush = |text: &mut String, in_item: bool, lists: &mut Vec<Option<u64>>, blocks: &mut Vec<Block>| {
        let t = text.trim().to_string();
        text.clear();
        if t.is_empty() {
            return;
        }
        if in_item {
            let marker = match lists.last_mut() {
                Some(Some(n)) => {
                    let m = format!("{n}.");
                    *n += 1;
                    m
                }
                _ => "•".into(),
            };
            blocks.push(Block::Item { marker, text: t });
        } else {
            blocks.push(Block::Paragraph(t));
        }
    };
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::List(start)) => {
                flush(&mut text, in_item, &mut lists, blocks);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => in_item = true,
            Event::End(TagEnd::Item) => {
                flush(&mut text, true, &mut lists, blocks);
                in_item = false;
            }
            Event::Start(Tag::Heading { .. }) => flush(&mut text, in_item, &mut lists, blocks),
            Event::End(TagEnd::Heading(level)) => {
                let t = text.trim().to_string();
                text.clear();
                let level = if level == HeadingLevel::H1 { 2 } else { 3 };
                blocks.push(Block::Heading { text: t, level });
            }
            // A paragraph inside a list item ends with the item.
            Event::End(TagEnd::Paragraph) if !in_item => flush(&mut text, false, &mut lists, blocks),
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak => text.push_str(soft),
            Event::HardBreak => text.push('\n'),
            _ => {}
        }
    }
    flush(&mut text, in_item, &mut lists, blocks);
}

/// The brochure's content.
fn compose(data: &BrochureData, options: &BrochureOptions) -> Result<(Doc, usize), BrochureError> {
    let lang = options.lang;
    let w = words(lang);
    let as_of = options.as_of;
    let site = settings(&options.source, lang)?;
    let get = |k: &str| site.get(k).cloned().unwrap_or_default();
    let district = get("district");
    let projects = public_projects(data, as_of, lang);
    let chains = chain_figures(data.chain_links, data.projects, as_of);
    let sought_of: HashMap<(&str, &str), &str> = chains
        .iter()
        .flat_map(|c| {
            c.links.iter().filter_map(move |l| Some(((c.name.as_str(), l.link.as_str()), l.sought.as_deref()?)))
        })
        .collect();
    let colon = if lang == Lang::En { ": " } else { "：" };

    let mut blocks = Vec::new();
    // The district.
    let title = match lang {
        Lang::Zh => format!("{}{district}", w.district),
        Lang::En => format!("{}{district}", w.district),
    };
    blocks.push(Block::Heading { text: title, level: 1 });
    blocks.push(Block::Paragraph(get("intro")));
    for name in ["environment", "policies"] {
        let path = format!("content/{}{name}.md", if lang == Lang::En { "en/" } else { "" });
        markdown_blocks(&options.source.site_file(&path)?, lang, &mut blocks);
    }

    // The chains: the map of each, its links (the published projects on them only) and
    // its gaps.
    if !chains.is_empty() {
        blocks.push(Block::Heading { text: w.chains.into(), level: 1 });
        blocks.push(Block::Paragraph(w.chains_intro.into()));
        for figures in &chains {
            let chain = PublicChain::of(figures, &projects, lang);
            blocks.push(Block::Heading { text: chain.name.clone(), level: 2 });
            let mut facts = Vec::new();
            if let Some(cluster) = &chain.cluster {
                facts.push(format!("{}{colon}{cluster}", w.cluster));
            }
            facts.push(format!("{}{colon}{}", w.coverage, chain.coverage));
            blocks.push(Block::Note(facts.join(if lang == Lang::En { " · " } else { "　" })));
            let map =
                chain_map(std::slice::from_ref(figures), &format!("{}图谱", chain.name), as_of, super::deck::SOURCE);
            // One chain is one row of the map: a shorter drawing than 16:9.
            blocks.push(Block::Chart(Box::new(map), 440));
            let rows = chain
                .links
                .iter()
                .map(|l| {
                    let names: Vec<&str> = l.projects.iter().map(|p| p.name.as_str()).collect();
                    let status = if l.gap {
                        // 缺失 · 补链; the English label says both already.
                        let label = if lang == Lang::Zh {
                            format!("{} · {}", l.status_label, w.gap)
                        } else {
                            l.status_label.to_string()
                        };
                        Cell::colored(label, ALERT)
                    } else {
                        Cell::new(l.status_label)
                    };
                    vec![
                        Cell::new(format!("{}\n{}", l.name, l.position)),
                        status,
                        Cell::new(l.sought.clone().unwrap_or_default()),
                        Cell::colored(names.join(w.list_sep), MUTED),
                    ]
                })
                .collect();
            blocks.push(Block::Table {
                widths: vec![0.22, 0.16, 0.34, 0.28],
                header: vec![w.link.into(), w.status.into(), w.wanted.into(), w.public_projects.into()],
                rows,
            });
            blocks.push(Block::Heading { text: format!("{} · {}", chain.name, w.gaps), level: 3 });
            if chain.gaps == 0 {
                blocks.push(Block::Paragraph(w.no_gaps.into()));
            }
            for l in chain.links.iter().filter(|l| l.gap) {
                blocks.push(Block::Item {
                    marker: "•".into(),
                    text: format!("{}{colon}{}", l.name, l.sought.clone().unwrap_or_default()),
                });
            }
        }
    }

    // The carriers.
    let carriers = public_carriers(data, as_of, lang);
    blocks.push(Block::Heading { text: w.carriers.into(), level: 1 });
    if carriers.is_empty() {
        blocks.push(Block::Paragraph(w.no_carriers.into()));
    } else {
        blocks.push(Block::Paragraph(w.carriers_intro.into()));
        let rows = carriers
            .iter()
            .map(|c| {
                let mut area = Vec::new();
                if let Some(mu) = &c.area_text {
                    area.push(format!("{mu}{}", w.mu));
                }
                if let Some(m2) = &c.floor_area_text {
                    area.push(format!("{m2}{}", w.sqm));
                }
                let name = match &c.summary {
                    Some(s) if !s.trim().is_empty() => format!("{}\n{s}", c.name),
                    _ => c.name.clone(),
                };
                vec![
                    Cell::new(name),
                    Cell::new(c.kind_label.clone()),
                    Cell::new(c.unit_name.clone()),
                    Cell::new(area.join("\n")),
                    Cell::new(c.price.clone().unwrap_or_default()),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            widths: vec![0.4, 0.13, 0.15, 0.16, 0.16],
            header: vec![w.carrier.into(), w.kind.into(), w.location.into(), w.area.into(), w.price.into()],
            rows,
        });
    }

    // The key projects, by industry then code.
    let mut key: Vec<&PublicProject> = projects.iter().filter(|p| p.key_project).collect();
    key.sort_by(|a, b| (&a.industry, &a.code).cmp(&(&b.industry, &b.code)));
    blocks.push(Block::Heading { text: w.projects.into(), level: 1 });
    blocks.push(Block::Paragraph(if key.is_empty() { w.no_projects.into() } else { w.projects_intro.into() }));
    let contact = vec![
        (w.office.to_string(), get("office")),
        (w.address.to_string(), get("address")),
        (w.phone.to_string(), get("phone")),
        (w.email.to_string(), get("email")),
        (w.hours.to_string(), get("hours")),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect::<Vec<_>>();
    for p in &key {
        blocks.push(Block::PageBreak);
        blocks.push(Block::Kicker(format!("{} · {}", w.key_project, p.industry)));
        blocks.push(Block::Heading { text: p.name.clone(), level: 2 });
        let mut fields = vec![(w.code.to_string(), p.code.clone()), (w.industry.to_string(), p.industry.clone())];
        if let (Some(chain), Some(link)) = (&p.chain, &p.chain_link) {
            fields.push((w.chain_link.to_string(), format!("{chain} · {link}")));
        }
        fields.push((w.unit.to_string(), p.unit_name.clone()));
        fields.push((w.investment.to_string(), p.investment_text.clone()));
        fields.push((w.stage.to_string(), p.stage_label.to_string()));
        if let Some(mu) = p.land_area_mu {
            fields.push((w.land.to_string(), format!("{}{}", plain(mu), w.mu)));
        }
        if let Some(jobs) = p.expected_jobs {
            fields.push((w.jobs.to_string(), format!("{jobs}{}", w.people).trim().to_string()));
        }
        if let Some(investor) = &p.investor {
            fields.push((w.investor.to_string(), investor.clone()));
        }
        blocks.push(Block::Fields(fields));
        if let Some(summary) = p.summary.as_ref().filter(|s| !s.trim().is_empty()) {
            blocks.push(Block::Heading { text: w.summary.into(), level: 3 });
            blocks.push(Block::Paragraph(summary.clone()));
        }
        blocks.push(Block::Heading { text: w.sought.into(), level: 3 });
        blocks.push(Block::Paragraph(if p.seeking { w.seeking.into() } else { w.signed.into() }));
        let sought = p.chain.as_deref().zip(p.chain_link.as_deref()).and_then(|key| sought_of.get(&key));
        if let Some(sought) = sought {
            blocks.push(Block::Paragraph(format!("{}{sought}", w.link_sought)));
        }
        blocks.push(Block::Contact { title: w.contact.into(), rows: contact.clone() });
    }

    let date = match lang {
        Lang::Zh => format!("{}年{}月", as_of.year(), as_of.month()),
        Lang::En => as_of.format("%B %Y").to_string(),
    };
    let title = match lang {
        Lang::Zh => format!("《{}》", w.title),
        Lang::En => w.title.to_string(),
    };
    let running = match lang {
        Lang::Zh => format!("{district}{}", w.title),
        Lang::En => format!("{district} · {}", w.title),
    };
    let doc = Doc {
        cover: Cover { district: district.clone(), title, tagline: get("tagline"), office: get("office"), date },
        running,
        contents: w.contents.into(),
        blocks,
    };
    Ok((doc, key.len()))
}

/// Characters of the brochure's texts the embedded font lacks, with a text holding the
/// first of them.
fn missing_glyphs(laid: &layout::Laid) -> Option<(String, String)> {
    let mut missing = BTreeSet::new();
    let mut example = None;
    let mut check = |text: &str| {
        let here = crate::charts::text::missing_glyphs(text);
        if !here.is_empty() && example.is_none() {
            example = Some(text.to_string());
        }
        missing.extend(here);
    };
    for text in layout::texts(laid) {
        check(text);
    }
    for page in &laid.pages {
        for item in &page.items {
            if let layout::Item::Chart { chart, .. } = item {
                for t in chart.text_items(crate::charts::Size::hd(1)) {
                    check(&t.text);
                }
            }
        }
    }
    example.map(|e| (missing.into_iter().collect(), e))
}

/// Makes the brochure; `progress(done, total)` is called as pages are written.
pub fn render(
    data: &BrochureData,
    options: &BrochureOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<Brochure, BrochureError> {
    let (doc, projects) = compose(data, options)?;
    let laid = layout::typeset(&doc);
    if let Some((chars, example)) = missing_glyphs(&laid) {
        return Err(BrochureError::MissingGlyphs { chars, example });
    }
    let total = laid.pages.len();
    let mut done = 0;
    let info = pdf::Info {
        title: match options.lang {
            Lang::Zh => doc.running.clone(),
            Lang::En => doc.running.clone(),
        },
        language: if options.lang == Lang::En { "en".into() } else { "zh-CN".into() },
    };
    let bytes = pdf::write(&laid, &info, || {
        done += 1;
        progress(done, total);
    })?;
    Ok(Brochure { bytes, pages: total, projects, contents: laid.entries })
}
