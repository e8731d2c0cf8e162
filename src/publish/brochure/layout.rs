//! Typesetting of the brochure: Chinese line breaking with the punctuation rules
//! (避头尾: no line starts with a closing mark, none ends with an opening one), Latin
//! words kept whole, blocks flowed onto A4 pages, and the table of contents filled with
//! the pages its entries landed on. Produces positioned [`Item`]s in PDF points (origin
//! top left); [`super::pdf`] writes them.

use std::ops::Range;

use ab_glyph::{Font, GlyphId, PxScale, ScaleFont};

use crate::charts::text::font;
use crate::charts::{Chart, Size};

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.276;
/// A4 in points.
pub const PAGE_HEIGHT: f32 = 841.89;
/// The left and right margins.
const MARGIN_X: f32 = 62.0;
/// Where the text area starts (below the running header).
const TOP: f32 = 78.0;
/// Where the text area ends (above the page number).
const BOTTOM: f32 = PAGE_HEIGHT - 72.0;
/// The width of the text area.
pub const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

/// Body text size (五号).
pub const BODY: f32 = 10.5;
/// Lines of body text are this many times their size apart.
const LEADING: f32 = 1.7;

/// An sRGB colour.
pub type Rgb = (u8, u8, u8);
/// Titles and text.
pub const INK: Rgb = (0x1a, 0x1f, 0x2b);
/// Notes, labels, the running header.
pub const MUTED: Rgb = (0x5b, 0x63, 0x70);
/// The brochure's accent (the charts' main series colour).
pub const ACCENT: Rgb = (0x1f, 0x5f, 0xad);
/// Gaps to fill (补链): the charts' attention colour.
pub const ALERT: Rgb = (0xc8, 0x10, 0x2e);
/// Rules and table lines.
pub const RULE: Rgb = (0xd5, 0xdb, 0xe3);
/// Shaded backgrounds.
pub const SHADE: Rgb = (0xf1, 0xf4, 0xf8);

/// Characters a line must not start with: closing brackets and quotes, sentence and
/// clause punctuation, iteration marks and small kana, in full and half width.
const NO_LINE_START: &str = "，。、；：？！）」』》】〉〕］｝〗〙”’…—～·・%‰℃,.;:?!)]}'\"ヽヾゝゞ々〻ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ";
/// Characters a line must not end with: opening brackets and quotes, currency signs.
const NO_LINE_END: &str = "（「『《【〈〔［｛〖〘“‘([{￥$£€";

/// Whether `c` is set solid, one character a unit, with a break allowed on either side
/// (CJK ideographs, kana, hangul, CJK and full-width punctuation).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF      // radicals
        | 0x3000..=0x303F    // CJK symbols and punctuation
        | 0x3040..=0x30FF    // kana
        | 0x3100..=0x312F    // bopomofo
        | 0x3130..=0x318F    // hangul jamo
        | 0x31C0..=0x31FF    // strokes, katakana extension
        | 0x3200..=0x33FF    // enclosed, compatibility
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFE30..=0xFE4F    // compatibility forms
        | 0xFF00..=0xFFEF    // full-width forms
        | 0x20000..=0x3FFFF) // extensions B–
        || matches!(c, '…' | '—' | '“' | '”' | '‘' | '’' | '·')
}

/// Whether a line may break between `a` and `b` (`b` follows `a`).
pub fn may_break_between(a: char, b: char) -> bool {
    if b.is_whitespace() {
        // Spaces stay on the line they end; the break comes after them.
        return false;
    }
    if a.is_whitespace() {
        return true;
    }
    if NO_LINE_START.contains(b) || NO_LINE_END.contains(a) {
        return false;
    }
    // Between two CJK characters, or where CJK meets Latin; never inside a Latin word.
    is_cjk(a) || is_cjk(b)
}

/// A shaped run: glyph ids with their advances in em and the text they cover.
#[derive(Clone, Debug)]
pub struct Shaped {
    /// Glyph id, advance in em, byte range in the text.
    pub glyphs: Vec<(u16, f32, Range<usize>)>,
    /// Σ advances, em.
    pub width_em: f32,
}

/// Glyphs of `text` in the embedded font, one per character (the font needs no
/// shaping for Chinese or Latin: no ligatures are asked for).
pub fn shape(text: &str) -> Shaped {
    let f = font();
    let upem = f.units_per_em().unwrap_or(1000.0);
    let mut glyphs = Vec::with_capacity(text.len());
    let mut width_em = 0.0;
    for (i, c) in text.char_indices() {
        let id: GlyphId = f.glyph_id(c);
        let advance = f.h_advance_unscaled(id) / upem;
        width_em += advance;
        glyphs.push((id.0, advance, i..i + c.len_utf8()));
    }
    Shaped { glyphs, width_em }
}

/// The width of `text` at `size` points.
pub fn width(text: &str, size: f32) -> f32 {
    let f = font();
    let upem = f.units_per_em().unwrap_or(1000.0);
    text.chars().map(|c| f.h_advance_unscaled(f.glyph_id(c))).sum::<f32>() / upem * size
}

/// The font's ascent as a fraction of the em.
pub fn ascent_em() -> f32 {
    let f = font();
    f.ascent_unscaled() / f.units_per_em().unwrap_or(1000.0)
}

/// The em size in points of a chart text of `px` pixels (the charts size text by ascent
/// − descent, as `ab_glyph` scales).
pub fn chart_em(px: f32) -> f32 {
    let f = font();
    f.as_scaled(PxScale::from(px)).h_scale_factor() * f.units_per_em().unwrap_or(1000.0)
}

/// One line of a broken paragraph and the space to add between its characters to
/// justify it (0 for the last line and for lines of Latin words).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The text, without trailing spaces.
    pub text: String,
    /// Extra advance after every character but the last, points.
    pub spacing: f32,
}

/// Breaks `text` into lines at most `max_width` points wide at `size`: between CJK
/// characters and at spaces, never inside a Latin word (unless the word alone is wider
/// than the line), never before a closing or after an opening punctuation mark. Lines
/// of Chinese text but the last are justified. Line breaks in `text` are kept.
pub fn break_lines(text: &str, size: f32, max_width: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let broken = break_paragraph(paragraph, size, max_width);
        let n = broken.len();
        for (i, line) in broken.into_iter().enumerate() {
            let chars = line.chars().count();
            let cjk = line.chars().filter(|c| is_cjk(*c)).count();
            let slack = max_width - width(&line, size);
            // Justify full lines of Chinese text; a short last line and Latin text stay ragged.
            // Only a small slack is spread: a narrow table cell whose line was cut short by
            // the punctuation rules reads better ragged than letter-spaced.
            let gap = if chars > 1 { slack / (chars - 1) as f32 } else { 0.0 };
            let spacing = if i + 1 < n && cjk * 2 > chars && slack > 0.0 && gap <= 0.15 * size { gap } else { 0.0 };
            lines.push(Line { text: line, spacing });
        }
    }
    lines
}

/// The unbreakable pieces of a paragraph: a CJK character with the punctuation that
/// must stay with it, a Latin word with its trailing spaces.
fn atoms(text: &str) -> Vec<&str> {
    let mut atoms = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(p) = previous
            && may_break_between(p, c)
        {
            atoms.push(&text[start..i]);
            start = i;
        }
        previous = Some(c);
    }
    if start < text.len() {
        atoms.push(&text[start..]);
    }
    atoms
}

fn break_paragraph(text: &str, size: f32, max_width: f32) -> Vec<String> {
    let text = text.trim_end();
    let mut lines = Vec::new();
    let mut line = String::new();
    for atom in atoms(text) {
        let candidate = format!("{line}{atom}");
        if width(candidate.trim_end(), size) <= max_width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(line.trim_end().to_string());
            line = atom.trim_start().to_string();
        }
        // An atom wider than the line by itself (a long URL, a code): split it by
        // characters rather than run off the page.
        while width(line.trim_end(), size) > max_width && line.chars().count() > 1 {
            let mut cut = String::new();
            for c in line.chars() {
                if !cut.is_empty() && width(&format!("{cut}{c}"), size) > max_width {
                    break;
                }
                cut.push(c);
            }
            line = line[cut.len()..].to_string();
            lines.push(cut);
        }
    }
    if !line.trim().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Something drawn on a page, in points from the top left.
#[derive(Clone, Debug)]
pub enum Item {
    /// A line of text.
    Text {
        /// The text.
        text: String,
        /// Its left edge.
        x: f32,
        /// Its baseline.
        y: f32,
        /// Em size, points.
        size: f32,
        /// Colour.
        color: Rgb,
        /// Extra advance after every character but the last (justification).
        spacing: f32,
        /// Drawn heavier (outlined as well as filled: the font has one weight).
        bold: bool,
    },
    /// A filled rectangle.
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Colour.
        color: Rgb,
    },
    /// A straight line.
    Rule {
        /// Start x.
        x0: f32,
        /// Start y.
        y0: f32,
        /// End x.
        x1: f32,
        /// End y.
        y1: f32,
        /// Stroke width.
        width: f32,
        /// Colour.
        color: Rgb,
        /// Dotted (the leaders of the table of contents).
        dotted: bool,
    },
    /// A chart drawn as vectors with real text, scaled into the box.
    Chart {
        /// The chart.
        chart: Box<Chart>,
        /// Its design size in pixels (1280 wide).
        size: Size,
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width (the height follows the design size).
        w: f32,
    },
}

/// One page.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// What is drawn on it.
    pub items: Vec<Item>,
}

/// An entry of the PDF outline (bookmarks) and of the table of contents.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The heading.
    pub title: String,
    /// 1 for a section, 2 for what is in it.
    pub level: u8,
    /// Page index (0 is the cover).
    pub page: usize,
    /// The heading's top on its page.
    pub y: f32,
}

/// A cell of a table: text, and its colour.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The text (may hold line breaks).
    pub text: String,
    /// Its colour.
    pub color: Rgb,
}

impl Cell {
    /// A cell in ink.
    pub fn new(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), color: INK }
    }
    /// A cell in `color`.
    pub fn colored(text: impl Into<String>, color: Rgb) -> Cell {
        Cell { text: text.into(), color }
    }
}

/// What the brochure is made of, in reading order.
#[derive(Clone, Debug)]
pub enum Block {
    /// The rest goes on a new page.
    PageBreak,
    /// A heading of `level` 1 (a section: new page, large), 2 or 3; levels 1 and 2 are
    /// entries of the table of contents.
    Heading {
        /// The text.
        text: String,
        /// 1, 2 or 3.
        level: u8,
    },
    /// A small line above a heading (`重点项目 · 装备制造`).
    Kicker(String),
    /// Running text.
    Paragraph(String),
    /// Text in a smaller, muted size.
    Note(String),
    /// A list item with its marker (`•`, `1.`).
    Item {
        /// The marker.
        marker: String,
        /// The text.
        text: String,
    },
    /// Label–value rows (a project's facts).
    Fields(Vec<(String, String)>),
    /// A table: column widths as fractions, a header row repeated on each page, rows.
    Table {
        /// Column widths, summing to 1.
        widths: Vec<f32>,
        /// The header.
        header: Vec<String>,
        /// The rows.
        rows: Vec<Vec<Cell>>,
    },
    /// A chart, full width, drawn at a design size of 1280 × this many pixels (720 is
    /// 16:9; a chain map of one chain needs less).
    Chart(Box<Chart>, u32),
    /// A shaded box of label–value rows (the investment office's contact).
    Contact {
        /// Its title.
        title: String,
        /// Its rows.
        rows: Vec<(String, String)>,
    },
}

/// The cover's text.
#[derive(Clone, Debug)]
pub struct Cover {
    /// The district.
    pub district: String,
    /// 《重点项目推介手册》.
    pub title: String,
    /// The tagline.
    pub tagline: String,
    /// Who publishes it.
    pub office: String,
    /// The month it is as of.
    pub date: String,
}

/// A brochure ready to typeset.
#[derive(Clone, Debug)]
pub struct Doc {
    /// The cover.
    pub cover: Cover,
    /// The running header (`示范区重点项目推介手册`).
    pub running: String,
    /// The heading of the table of contents.
    pub contents: String,
    /// The body.
    pub blocks: Vec<Block>,
}

/// The pages and the outline.
#[derive(Clone, Debug)]
pub struct Laid {
    /// Every page, the cover first.
    pub pages: Vec<Page>,
    /// The entries of the table of contents with their pages.
    pub entries: Vec<Entry>,
}

fn text_item(text: &str, x: f32, top: f32, size: f32, color: Rgb, spacing: f32, bold: bool) -> Item {
    Item::Text { text: text.to_string(), x, y: top + ascent_em() * size, size, color, spacing, bold }
}

/// Body pages being filled.
struct Flow {
    pages: Vec<Page>,
    y: f32,
    first: usize,
}

impl Flow {
    /// The accent rule under a top-level title starting at `x`, and the space after it.
    fn title_rule(&mut self, x: f32) {
        let y = self.y + 4.0;
        self.push(Item::Rule { x0: x, y0: y, x1: x + TEXT_WIDTH, y1: y, width: 1.5, color: ACCENT, dotted: false });
        self.y += 18.0;
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
    /// Starts a new page unless `height` still fits on this one.
    fn need(&mut self, height: f32) {
        if self.pages.is_empty() || (self.y + height > BOTTOM && self.y > TOP) {
            self.new_page();
        }
    }
    fn at_top(&self) -> bool {
        self.pages.is_empty() || self.y <= TOP
    }
    fn push(&mut self, item: Item) {
        self.page().items.push(item);
    }
    /// Lines of text at `x`, breaking pages between lines.
    fn lines(&mut self, text: &str, x: f32, width: f32, size: f32, color: Rgb, bold: bool) {
        let step = size * LEADING;
        for line in break_lines(text, size, width) {
            self.need(step);
            let top = self.y + (step - size) / 2.0;
            self.push(text_item(&line.text, x, top, size, color, line.spacing, bold));
            self.y += step;
        }
    }
    fn page_index(&self) -> usize {
        self.first + self.pages.len().saturating_sub(1)
    }
}

/// The height of `text` broken into `width` at `size`.
fn text_height(text: &str, size: f32, width: f32) -> f32 {
    break_lines(text, size, width).len() as f32 * size * LEADING
}

fn heading_size(level: u8) -> f32 {
    match level {
        1 => 22.0,
        2 => 15.0,
        _ => 12.0,
    }
}

/// Lays out the body from page index `first` on.
fn flow(blocks: &[Block], first: usize) -> (Vec<Page>, Vec<Entry>) {
    let mut f = Flow { pages: Vec::new(), y: TOP, first };
    let mut entries = Vec::new();
    let x = MARGIN_X;
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::PageBreak => {
                if !f.at_top() {
                    f.new_page();
                }
            }
            Block::Heading { text, level } => {
                let size = heading_size(*level);
                let height = text_height(text, size, TEXT_WIDTH);
                if *level == 1 {
                    if !f.at_top() {
                        f.new_page();
                    }
                    f.y += 24.0;
                } else {
                    // Keep a heading with what follows: room for it and three lines.
                    f.need(height + 6.0 + 3.0 * BODY * LEADING);
                    if !f.at_top() {
                        f.y += size * 0.6;
                    }
                }
                let top = f.y;
                let color = if *level == 1 { ACCENT } else { INK };
                f.lines(text, x, TEXT_WIDTH, size, color, true);
                if *level == 1 {
                    f.title_rule(x);
                } else {
                    f.y += 4.0;
                }
                if *level <= 2 {
                    entries.push(Entry { title: text.clone(), level: *level, page: f.page_index(), y: top });
                }
            }
            Block::Kicker(text) => {
                let next_height = blocks.get(i + 1).map_or(0.0, |_| heading_size(2) * LEADING + 3.0 * BODY * LEADING);
                f.need(BODY * LEADING + next_height);
                f.lines(text, x, TEXT_WIDTH, 9.0, ACCENT, false);
            }
            Block::Paragraph(text) => {
                f.lines(text, x, TEXT_WIDTH, BODY, INK, false);
                f.y += BODY * 0.5;
            }
            Block::Note(text) => {
                f.lines(text, x, TEXT_WIDTH, 9.0, MUTED, false);
                f.y += 4.0;
            }
            Block::Item { marker, text } => {
                let indent = 18.0;
                f.need(BODY * LEADING);
                let top = f.y + (BODY * LEADING - BODY) / 2.0;
                f.push(text_item(marker, x + 4.0, top, BODY, ACCENT, 0.0, false));
                f.lines(text, x + indent, TEXT_WIDTH - indent, BODY, INK, false);
                f.y += 2.0;
            }
            Block::Fields(rows) => fields(&mut f, rows, x, TEXT_WIDTH),
            Block::Table { widths, header, rows } => table(&mut f, widths, header, rows),
            Block::Chart(chart, height) => {
                let size = Size { width: 1280, height: *height };
                let h = TEXT_WIDTH * size.height as f32 / size.width as f32;
                f.need(h + 8.0);
                let y = f.y;
                f.push(Item::Rect { x, y, w: TEXT_WIDTH, h, color: (0xff, 0xff, 0xff) });
                f.push(Item::Chart { chart: chart.clone(), size, x, y, w: TEXT_WIDTH });
                f.push(Item::Rule {
                    x0: x,
                    y0: y + h,
                    x1: x + TEXT_WIDTH,
                    y1: y + h,
                    width: 0.5,
                    color: RULE,
                    dotted: false,
                });
                f.y += h + 10.0;
            }
            Block::Contact { title, rows } => {
                let pad = 12.0;
                let label_w = 64.0;
                let inner = TEXT_WIDTH - 2.0 * pad;
                let height: f32 = 12.0 * LEADING
                    + rows.iter().map(|(_, v)| text_height(v, 9.5, inner - label_w)).sum::<f32>()
                    + 2.0 * pad;
                f.need(height + 10.0);
                f.y += 6.0;
                let top = f.y;
                f.push(Item::Rect { x, y: top, w: TEXT_WIDTH, h: height, color: SHADE });
                f.push(Item::Rect { x, y: top, w: 3.0, h: height, color: ACCENT });
                f.y += pad;
                f.lines(title, x + pad, inner, 12.0, ACCENT, true);
                fields_sized(&mut f, rows, x + pad, inner, label_w, 9.5);
                f.y = top + height + 6.0;
            }
        }
    }
    (f.pages, entries)
}

fn fields(f: &mut Flow, rows: &[(String, String)], x: f32, width: f32) {
    fields_sized(f, rows, x, width, 92.0, BODY);
    f.y += 6.0;
}

fn fields_sized(f: &mut Flow, rows: &[(String, String)], x: f32, width: f32, label_w: f32, size: f32) {
    for (label, value) in rows {
        let lines = break_lines(value, size, width - label_w);
        let step = size * LEADING;
        f.need(step * lines.len().min(3) as f32);
        let top = f.y + (step - size) / 2.0;
        f.push(text_item(label, x, top, size, MUTED, 0.0, false));
        f.lines(value, x + label_w, width - label_w, size, INK, false);
    }
}

fn table(f: &mut Flow, widths: &[f32], header: &[String], rows: &[Vec<Cell>]) {
    let size = 9.0;
    let pad = 4.0;
    let step = size * 1.55;
    let x0 = MARGIN_X;
    let columns: Vec<(f32, f32)> = widths
        .iter()
        .scan(x0, |x, w| {
            let start = *x;
            *x += w * TEXT_WIDTH;
            Some((start, w * TEXT_WIDTH))
        })
        .collect();
    let draw_header = |f: &mut Flow| {
        let h = step + 2.0 * pad;
        let y = f.y;
        f.push(Item::Rect { x: x0, y, w: TEXT_WIDTH, h, color: SHADE });
        for ((cx, cw), text) in columns.iter().zip(header) {
            let line = break_lines(text, size, cw - 2.0 * pad).into_iter().next().map(|l| l.text).unwrap_or_default();
            f.push(text_item(&line, cx + pad, y + pad + (step - size) / 2.0, size, MUTED, 0.0, true));
        }
        f.y += h;
    };
    f.need(2.0 * (step + 2.0 * pad));
    draw_header(f);
    for row in rows {
        let broken: Vec<Vec<Line>> =
            columns.iter().zip(row).map(|((_, cw), cell)| break_lines(&cell.text, size, cw - 2.0 * pad)).collect();
        let lines = broken.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * step + 2.0 * pad;
        if f.y + h > BOTTOM {
            f.new_page();
            draw_header(f);
        }
        let y = f.y;
        for (((cx, _), cell), cell_lines) in columns.iter().zip(row).zip(&broken) {
            for (k, line) in cell_lines.iter().enumerate() {
                let top = y + pad + k as f32 * step + (step - size) / 2.0;
                f.push(text_item(&line.text, cx + pad, top, size, cell.color, line.spacing, false));
            }
        }
        f.y += h;
        f.push(Item::Rule { x0, y0: f.y, x1: x0 + TEXT_WIDTH, y1: f.y, width: 0.5, color: RULE, dotted: false });
    }
    f.y += 10.0;
}

/// The cover page.
fn cover(c: &Cover) -> Page {
    let mut items = vec![
        Item::Rect { x: 0.0, y: 0.0, w: PAGE_WIDTH, h: 300.0, color: ACCENT },
        Item::Rect { x: 0.0, y: 300.0, w: PAGE_WIDTH, h: 6.0, color: (0xe8, 0x83, 0x3a) },
    ];
    let white = (0xff, 0xff, 0xff);
    let mut y = 150.0;
    for line in break_lines(&c.district, 20.0, TEXT_WIDTH) {
        items.push(text_item(&line.text, MARGIN_X, y, 20.0, white, 0.0, false));
        y += 30.0;
    }
    let mut y = 380.0;
    for line in break_lines(&c.title, 34.0, TEXT_WIDTH) {
        items.push(text_item(&line.text, MARGIN_X, y, 34.0, INK, 0.0, true));
        y += 50.0;
    }
    y += 10.0;
    for line in break_lines(&c.tagline, 14.0, TEXT_WIDTH) {
        items.push(text_item(&line.text, MARGIN_X, y, 14.0, MUTED, 0.0, false));
        y += 24.0;
    }
    let mut y = PAGE_HEIGHT - 150.0;
    for line in break_lines(&c.office, 12.0, TEXT_WIDTH) {
        items.push(text_item(&line.text, MARGIN_X, y, 12.0, INK, 0.0, false));
        y += 20.0;
    }
    items.push(text_item(&c.date, MARGIN_X, y + 4.0, 12.0, MUTED, 0.0, false));
    Page { items }
}

/// The width kept for a page number in the table of contents.
const NUMBER_WIDTH: f32 = 36.0;

/// Lays out the table of contents with these page numbers (1-based, as printed).
fn contents(title: &str, entries: &[Entry], first: usize) -> Vec<Page> {
    let mut f = Flow { pages: Vec::new(), y: TOP, first };
    f.new_page();
    f.y += 24.0;
    f.lines(title, MARGIN_X, TEXT_WIDTH, heading_size(1), ACCENT, true);
    f.title_rule(MARGIN_X);
    for e in entries {
        let (size, indent, color) = if e.level == 1 { (12.0, 0.0, ACCENT) } else { (BODY, 18.0, INK) };
        let x = MARGIN_X + indent;
        let width = TEXT_WIDTH - indent - NUMBER_WIDTH - 12.0;
        let lines = break_lines(&e.title, size, width);
        let step = size * 1.6;
        if e.level == 1 {
            f.need(step * (lines.len() + 2) as f32);
            if !f.at_top() {
                f.y += 6.0;
            }
        } else {
            f.need(step * lines.len() as f32);
        }
        let n = lines.len();
        for (k, line) in lines.iter().enumerate() {
            let top = f.y + (step - size) / 2.0;
            f.push(text_item(&line.text, x, top, size, color, line.spacing, e.level == 1));
            if k + 1 == n {
                let number = (e.page + 1).to_string();
                let nw = self::width(&number, size);
                let right = MARGIN_X + TEXT_WIDTH;
                let baseline = top + ascent_em() * size;
                let start = x + self::width(&line.text, size) + 6.0;
                if right - nw - 6.0 > start {
                    f.push(Item::Rule {
                        x0: start,
                        y0: baseline - 1.0,
                        x1: right - nw - 6.0,
                        y1: baseline - 1.0,
                        width: 0.8,
                        color: RULE,
                        dotted: true,
                    });
                }
                f.push(text_item(&number, right - nw, top, size, color, 0.0, false));
            }
            f.y += step;
        }
    }
    f.pages
}

/// Typesets the brochure: the cover, the table of contents, the body, and the running
/// header and page number of every page but the cover.
pub fn typeset(doc: &Doc) -> Laid {
    // The contents' length depends only on its entries' titles, not on the numbers: lay
    // it out once with placeholder pages to know where the body starts.
    let (_, probe) = flow(&doc.blocks, 0);
    let toc_pages = contents(&doc.contents, &probe, 1).len();
    let first = 1 + toc_pages;
    let (body, entries) = flow(&doc.blocks, first);
    let mut pages = vec![cover(&doc.cover)];
    pages.extend(contents(&doc.contents, &entries, 1));
    pages.extend(body);
    for (i, page) in pages.iter_mut().enumerate().skip(1) {
        let number = (i + 1).to_string();
        let nw = width(&number, 9.0);
        page.items.push(text_item(&number, (PAGE_WIDTH - nw) / 2.0, PAGE_HEIGHT - 48.0, 9.0, MUTED, 0.0, false));
        page.items.push(text_item(&doc.running, MARGIN_X, 36.0, 8.0, MUTED, 0.0, false));
        page.items.push(Item::Rule {
            x0: MARGIN_X,
            y0: 52.0,
            x1: PAGE_WIDTH - MARGIN_X,
            y1: 52.0,
            width: 0.5,
            color: RULE,
            dotted: false,
        });
    }
    Laid { pages, entries }
}

/// Every text the pages show, for the glyph check.
pub fn texts(laid: &Laid) -> impl Iterator<Item = &str> {
    laid.pages.iter().flat_map(|p| p.items.iter()).filter_map(|i| match i {
        Item::Text { text, .. } => Some(text.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn no_line_starts_with_a_closing_mark_nor_ends_with_an_opening_one() {
        let text = "示范区地处关中平原北部，距省会城市约一小时车程（高速公路、铁路贯通），物流便捷。推行“一站式”服务和《项目代办制》，重点项目实行“一企一策、专班推进”！";
        // Every width from 3 to 30 characters puts a break before and after each mark somewhere.
        for chars in 3..30 {
            let lines = break_lines(text, 10.0, chars as f32 * 10.0 + 0.01);
            assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<String>(), text, "nothing lost at {chars}");
            for line in &lines {
                let first = line.text.chars().next().unwrap_or(' ');
                let last = line.text.chars().last().unwrap_or(' ');
                assert!(!NO_LINE_START.contains(first), "{:?} starts with {first} at {chars}", line.text);
                assert!(!NO_LINE_END.contains(last), "{:?} ends with {last} at {chars}", line.text);
                assert!(width(&line.text, 10.0) <= chars as f32 * 10.0 + 0.01, "{:?} overflows", line.text);
            }
        }
    }

    #[test]
    fn the_closing_mark_takes_the_character_before_it_to_the_next_line() {
        // Five characters fit; the seventh is a comma, which may not start a line nor
        // hang past the margin: 部 goes down with it.
        let lines = break_lines("关中平原北部，物流便捷。", 10.0, 60.0);
        assert_eq!(texts(&lines), ["关中平原北", "部，物流便", "捷。"]);
        // An opening mark at the end of a line goes down with what it opens.
        let lines = break_lines("推行项目（代办制）服务", 10.0, 50.0);
        assert_eq!(texts(&lines), ["推行项目", "（代办制）", "服务"]);
    }

    #[test]
    fn latin_words_are_not_broken_and_chinese_lines_are_justified() {
        let text = "Investors from China and abroad are welcome to visit the district";
        let lines = break_lines(text, 10.0, 120.0);
        for line in &lines {
            assert!(text.split(' ').any(|w| line.text.ends_with(w)), "{:?} ends inside a word", line.text);
            assert_eq!(line.spacing, 0.0, "Latin text stays ragged");
        }
        assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" "), text);
        let mixed = break_lines("年产Ceramics陶瓷5000万件项目全面投产达产", 10.0, 100.0);
        assert!(mixed.iter().all(|l| !l.text.contains("Cer") || l.text.contains("Ceramics")), "{mixed:?}");
        let chinese = break_lines("关中平原北部，物流便捷。", 10.0, 55.0);
        assert!(chinese[0].spacing > 0.0, "a full Chinese line is justified: {chinese:?}");
        assert_eq!(chinese.last().map(|l| l.spacing), Some(0.0), "the last line is not");
    }

    #[test]
    fn a_word_wider_than_the_line_is_split_rather_than_run_off_the_page() {
        let lines = break_lines("https://invest.example.gov.cn/zhaoshang/projects", 10.0, 60.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(&l.text, 10.0) <= 60.0));
    }
}
