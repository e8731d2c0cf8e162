//! Writes typeset pages as PDF with `krilla`: text as real, selectable text in the
//! embedded chart font (embedded as a subset, with its Unicode map), rules and boxes as
//! vectors, charts drawn through [`crate::charts::Canvas`] as vectors with their texts
//! as real text, and an outline (bookmarks) of the sections. No date or random id is
//! written: the same pages give the same bytes.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use plotters::style::RGBColor;

use super::layout::{self, Item, Laid, Rgb};
use crate::charts::text::Anchor;
use crate::charts::{Canvas, ChartError, Size};

/// Why the PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font could not be read by the PDF writer.
    #[error("the embedded font cannot be used for the PDF")]
    Font,
    /// The PDF writer refused the document.
    #[error("cannot write the PDF: {0}")]
    Write(String),
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// What the document says about itself.
pub struct Info {
    /// The title.
    pub title: String,
    /// `zh-CN` or `en`.
    pub language: String,
}

fn color(c: Rgb) -> rgb::Color {
    rgb::Color::new(c.0, c.1, c.2)
}

fn fill(c: Rgb) -> Fill {
    Fill { paint: color(c).into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn stroke(c: Rgb, width: f32) -> Stroke {
    Stroke { paint: color(c).into(), width, ..Default::default() }
}

fn rect_path(x: f32, y: f32, w: f32, h: f32) -> Option<Path> {
    let mut pb = PathBuilder::new();
    pb.move_to(x, y);
    pb.line_to(x + w, y);
    pb.line_to(x + w, y + h);
    pb.line_to(x, y + h);
    pb.close();
    pb.finish()
}

/// Draws `text` with its left end at `x` and baseline `y`.
#[allow(clippy::too_many_arguments)]
fn draw_text(
    surface: &mut Surface,
    font: &Font,
    text: &str,
    x: f32,
    y: f32,
    size: f32,
    c: Rgb,
    spacing: f32,
    bold: bool,
) {
    if text.is_empty() {
        return;
    }
    let shaped = layout::shape(text);
    let n = shaped.glyphs.len();
    let glyphs: Vec<KrillaGlyph> = shaped
        .glyphs
        .into_iter()
        .enumerate()
        .map(|(i, (id, advance, range))| {
            let extra = if i + 1 < n { spacing / size } else { 0.0 };
            KrillaGlyph::new(GlyphId::new(id as u32), advance + extra, 0.0, 0.0, 0.0, range, None)
        })
        .collect();
    surface.set_fill(Some(fill(c)));
    // One weight in the font: a heading is filled and stroked thinly in its colour.
    surface.set_stroke(bold.then(|| stroke(c, size * 0.035)));
    surface.draw_glyphs(Point::from_xy(x, y), &glyphs, font.clone(), text, size, false);
    surface.set_stroke(None);
}

/// A chart's canvas on a PDF surface (in the chart's pixels; the caller's transform
/// scales them onto the page).
struct PdfCanvas<'s, 'a> {
    surface: &'s mut Surface<'a>,
}

fn rgb_of(c: RGBColor) -> Rgb {
    (c.0, c.1, c.2)
}

impl Canvas for PdfCanvas<'_, '_> {
    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: RGBColor) -> Result<(), ChartError> {
        let (x, y) = (x0.min(x1), y0.min(y1));
        if let Some(path) = rect_path(x, y, (x1 - x0).abs(), (y1 - y0).abs()) {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(rgb_of(c))));
            self.surface.draw_path(&path);
        }
        Ok(())
    }

    fn line(&mut self, points: &[(f32, f32)], c: RGBColor, width: f32) -> Result<(), ChartError> {
        let mut pb = PathBuilder::new();
        for (i, (x, y)) in points.iter().enumerate() {
            if i == 0 { pb.move_to(*x, *y) } else { pb.line_to(*x, *y) }
        }
        if let Some(path) = pb.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(stroke(rgb_of(c), width.max(1.0))));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
        Ok(())
    }

    fn dot(&mut self, x: f32, y: f32, r: f32, c: RGBColor) -> Result<(), ChartError> {
        // A circle as four cubic arcs.
        let k = 0.552_284_8 * r;
        let mut pb = PathBuilder::new();
        pb.move_to(x + r, y);
        pb.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
        pb.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
        pb.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
        pb.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
        pb.close();
        if let Some(path) = pb.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(rgb_of(c))));
            self.surface.draw_path(&path);
        }
        Ok(())
    }
}

/// Draws `chart` at its design `size` (pixels), scaled to `w` points wide at `x`, `y`.
fn draw_chart(
    surface: &mut Surface,
    font: &Font,
    chart: &crate::charts::Chart,
    size: Size,
    (x, y, w): (f32, f32, f32),
) -> Result<(), PdfError> {
    let k = w / size.width as f32;
    surface.push_transform(&Transform::from_row(k, 0.0, 0.0, k, x, y));
    let drawn = chart.draw_with(&mut PdfCanvas { surface }, size);
    if let Ok(texts) = &drawn {
        for t in texts {
            let em = layout::chart_em(t.size);
            let line = layout::width(&t.text, em);
            let left = match t.anchor {
                Anchor::Left => t.x,
                Anchor::Center => t.x - line / 2.0,
                Anchor::Right => t.x - line,
            };
            let baseline = t.y + layout::ascent_em() * em;
            draw_text(surface, font, &t.text, left, baseline, em, t.color, 0.0, false);
        }
    }
    surface.pop();
    drawn?;
    Ok(())
}

/// The PDF of `laid`.
pub fn write(laid: &Laid, info: &Info, mut progress: impl FnMut()) -> Result<Vec<u8>, PdfError> {
    let font = Font::new(crate::charts::text::font_bytes().to_vec().into(), 0).ok_or(PdfError::Font)?;
    let mut document = Document::new();
    for page in &laid.pages {
        let settings = PageSettings::from_wh(layout::PAGE_WIDTH, layout::PAGE_HEIGHT)
            .ok_or_else(|| PdfError::Write("A4 is not a valid page size".into()))?;
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        for item in &page.items {
            match item {
                Item::Text { text, x, y, size, color, spacing, bold } => {
                    draw_text(&mut surface, &font, text, *x, *y, *size, *color, *spacing, *bold)
                }
                Item::Rect { x, y, w, h, color } => {
                    if let Some(path) = rect_path(*x, *y, *w, *h) {
                        surface.set_stroke(None);
                        surface.set_fill(Some(fill(*color)));
                        surface.draw_path(&path);
                    }
                }
                Item::Rule { x0, y0, x1, y1, width, color, dotted } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x0, *y0);
                    pb.line_to(*x1, *y1);
                    if let Some(path) = pb.finish() {
                        let mut s = stroke(*color, *width);
                        if *dotted {
                            s.line_cap = LineCap::Round;
                            s.dash = Some(StrokeDash { array: vec![0.0, 3.0], offset: 0.0 });
                        }
                        surface.set_fill(None);
                        surface.set_stroke(Some(s));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
                Item::Chart { chart, size, x, y, w } => draw_chart(&mut surface, &font, chart, *size, (*x, *y, *w))?,
            }
        }
        surface.finish();
        pdf_page.finish();
        progress();
    }
    let mut outline = Outline::new();
    let mut section: Option<OutlineNode> = None;
    for e in &laid.entries {
        let node = OutlineNode::new(
            e.title.clone(),
            krilla::destination::XyzDestination::new(e.page, Point::from_xy(0.0, e.y)),
        );
        if e.level == 1 {
            if let Some(done) = section.take() {
                outline.push_child(done);
            }
            section = Some(node);
        } else if let Some(parent) = section.as_mut() {
            parent.push_child(node);
        } else {
            outline.push_child(node);
        }
    }
    if let Some(done) = section.take() {
        outline.push_child(done);
    }
    document.set_outline(outline);
    document.set_metadata(
        Metadata::new().title(info.title.clone()).language(info.language.clone()).creator("zhaoshang".into()),
    );
    document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}
