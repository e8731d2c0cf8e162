//! `zhaoshang slides`: a deck's charts as PNG, SVG and CSV, its tables as CSV, one `.pptx`
//! (title slide, then one native, editable chart per slide — a picture for a kind without
//! a native form — and native tables, [`ROWS_PER_SLIDE`] rows a slide) and one `.xlsx`
//! with the numbers and native charts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::deck::{Cell, Deck, Entry, build_entry};
use super::pptx::{ChartSlide, Content, Presentation, SlideTable};
use super::workbook::deck_workbook;
use crate::analytics::Frames;
use crate::analytics::scorecard::ScoringConfig;
use crate::charts::{Format, Size};

/// Why slides could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SlidesError {
    /// The deck file is missing or malformed.
    #[error("deck {path}: {reason}")]
    Deck {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A chart could not be built.
    #[error(transparent)]
    Build(#[from] super::deck::BuildError),
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] crate::charts::ChartError),
    /// A file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    /// Every file, in order.
    pub files: Vec<PathBuf>,
    /// Characters the embedded font lacks (drawn as boxes): to be reported.
    pub missing_glyphs: BTreeSet<char>,
    /// For each slide after the title slide, in order, the entry it shows (the stem of
    /// that entry's files: `ID.csv`, …); a table over several slides is named on each.
    pub slides: Vec<String>,
}

/// Rows of a table on one slide; a longer table continues on the next (`（续）`).
pub const ROWS_PER_SLIDE: usize = 8;

/// Reads a deck file.
pub fn read_deck(path: &Path) -> Result<Deck, SlidesError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SlidesError::Deck { path: path.display().to_string(), reason: e.to_string() })?;
    parse_deck(&text, &path.display().to_string())
}

/// Parses a deck's TOML text; `origin` (its file) names it in errors.
pub fn parse_deck(text: &str, origin: &str) -> Result<Deck, SlidesError> {
    toml::from_str(text).map_err(|e| SlidesError::Deck { path: origin.into(), reason: e.to_string() })
}

fn write(path: &Path, bytes: &[u8], written: &mut Written) -> Result<(), SlidesError> {
    std::fs::write(path, bytes)
        .map_err(|e| SlidesError::Write { path: path.display().to_string(), reason: e.to_string() })?;
    written.files.push(path.to_path_buf());
    Ok(())
}

/// Builds every chart of `deck` as of `as_of` and writes the files into `out`, named
/// after `stem` (the deck file's name). PNGs are `size`; SVGs 1920×1080.
pub fn write_slides(
    frames: &Frames,
    deck: &Deck,
    stem: &str,
    as_of: NaiveDate,
    scoring: &ScoringConfig,
    size: Size,
    out: &Path,
) -> Result<Written, SlidesError> {
    std::fs::create_dir_all(out)
        .map_err(|e| SlidesError::Write { path: out.display().to_string(), reason: e.to_string() })?;
    let entries: Vec<Entry> =
        deck.charts.iter().map(|spec| build_entry(frames, spec, as_of, scoring)).collect::<Result<_, _>>()?;
    let mut written = Written::default();
    let mut slides = Vec::new();
    for entry in &entries {
        match entry {
            Entry::Chart(b) => {
                let png = b.chart.render(size, Format::Png)?;
                let svg = b.chart.render(Size::full_hd(1), Format::Svg)?;
                written.missing_glyphs.extend(png.missing.iter().copied());
                write(&out.join(format!("{}.png", b.id)), &png.bytes, &mut written)?;
                write(&out.join(format!("{}.svg", b.id)), &svg.bytes, &mut written)?;
                write(&out.join(format!("{}.csv", b.id)), &b.table.to_csv(), &mut written)?;
                let frame = b.chart.frame();
                // A native chart where the kind has one; the picture otherwise.
                let content = match b.native() {
                    Some(chart) => Content::Chart(chart),
                    None => Content::Picture(png.bytes),
                };
                slides.push(ChartSlide {
                    title: frame.title.clone(),
                    subtitle: frame.subtitle.clone(),
                    footnote: frame.footnote.clone(),
                    content,
                });
                written.slides.push(b.id.clone());
            }
            Entry::Table(t) => {
                write(&out.join(format!("{}.csv", t.id)), &t.table.to_csv(), &mut written)?;
                let rows: Vec<Vec<String>> =
                    t.table.rows.iter().map(|row| row.iter().map(Cell::text).collect()).collect();
                // An empty table still has its slide, saying so by its header alone.
                let pages: Vec<&[Vec<String>]> =
                    if rows.is_empty() { vec![&[]] } else { rows.chunks(ROWS_PER_SLIDE).collect() };
                for (i, page) in pages.into_iter().enumerate() {
                    slides.push(ChartSlide {
                        title: if i == 0 { t.title.clone() } else { format!("{}（续）", t.title) },
                        subtitle: t.subtitle.clone(),
                        footnote: t.footnote.clone(),
                        content: Content::Table(SlideTable {
                            headers: t.table.headers.clone(),
                            rows: page.to_vec(),
                            widths: t.widths.clone(),
                        }),
                    });
                    written.slides.push(t.id.clone());
                }
            }
        }
    }
    let presentation = Presentation {
        title: deck.title.clone(),
        subtitle: deck.subtitle.clone(),
        date_line: format!("数据截至 {as_of} · 来源：{}", super::deck::SOURCE),
        slides,
    };
    let pptx = presentation
        .to_bytes()
        .map_err(|e| SlidesError::Write { path: format!("{stem}.pptx"), reason: e.to_string() })?;
    write(&out.join(format!("{stem}.pptx")), &pptx, &mut written)?;
    let xlsx = deck_workbook(&entries)
        .map_err(|e| SlidesError::Write { path: format!("{stem}.xlsx"), reason: e.to_string() })?;
    write(&out.join(format!("{stem}.xlsx")), &xlsx, &mut written)?;
    Ok(written)
}
