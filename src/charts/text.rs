//! Text for charts, laid out glyph by glyph with `ab_glyph` from the embedded font.
//!
//! plotters 0.3.7's `ab_glyph` path ignores each glyph's left side bearing, so
//! full-width punctuation such as `（亿元）` comes out shifted. Charts therefore never
//! ask plotters to draw text: they hand [`TextItem`]s to this module, which places each
//! glyph by its own bounds — rasterised into the PNG buffer, or written into the SVG as
//! outline paths (so the SVG shows the same glyphs on a machine without CJK fonts).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, PxScale, ScaleFont, point};

/// The embedded face: Noto Sans CJK SC, GB2312 subset (see `fonts/README.md`).
static FONT_BYTES: &[u8] = include_bytes!("fonts/NotoSansSC-GB2312.otf");

/// The embedded font, parsed once.
pub fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    // The bytes are compiled in and checked by a test; a broken font is a build error.
    #[allow(clippy::expect_used)]
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("the embedded font parses"))
}

/// The embedded font's file, for outputs that embed it themselves (the brochure's PDF
/// embeds a subset of it).
pub fn font_bytes() -> &'static [u8] {
    FONT_BYTES
}

/// Horizontal anchoring of a text item at its x.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// x is the left edge.
    Left,
    /// x is the centre.
    Center,
    /// x is the right edge.
    Right,
}

/// One line of text to draw, in pixels of the output image.
#[derive(Clone, Debug, PartialEq)]
pub struct TextItem {
    /// The text.
    pub text: String,
    /// Anchor position.
    pub x: f32,
    /// Top of the line box.
    pub y: f32,
    /// Size in pixels (ascent − descent).
    pub size: f32,
    /// Colour.
    pub color: (u8, u8, u8),
    /// How x anchors the line.
    pub anchor: Anchor,
}

/// A glyph placed on the line: its id and pen position.
struct Placed {
    id: GlyphId,
    x: f32,
}

/// Lays out a line: glyph ids with pen positions (kerning applied), and its width.
fn layout(text: &str, size: f32) -> (Vec<Placed>, f32) {
    let scaled = font().as_scaled(PxScale::from(size));
    let mut x = 0.0;
    let mut previous: Option<GlyphId> = None;
    let mut placed = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font().glyph_id(c);
        if let Some(p) = previous {
            x += scaled.kern(p, id);
        }
        placed.push(Placed { id, x });
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    (placed, x)
}

/// The width of a line of text at `size`.
pub fn width(text: &str, size: f32) -> f32 {
    layout(text, size).1
}

/// Characters of `text` the embedded font has no glyph for.
pub fn missing_glyphs(text: &str) -> BTreeSet<char> {
    text.chars().filter(|c| !c.is_whitespace() && font().glyph_id(*c).0 == 0).collect()
}

impl TextItem {
    /// The x of the line's pen start and its baseline.
    fn origin(&self, line_width: f32) -> (f32, f32) {
        let left = match self.anchor {
            Anchor::Left => self.x,
            Anchor::Center => self.x - line_width / 2.0,
            Anchor::Right => self.x - line_width,
        };
        (left, self.y + font().as_scaled(PxScale::from(self.size)).ascent())
    }

    /// Draws the item into an RGB buffer of `width` × `height`, blending by coverage.
    pub fn rasterize(&self, buffer: &mut [u8], width: u32, height: u32) {
        let (placed, line_width) = layout(&self.text, self.size);
        let (left, baseline) = self.origin(line_width);
        for glyph in placed {
            let positioned =
                glyph.id.with_scale_and_position(PxScale::from(self.size), point(left + glyph.x, baseline));
            let Some(outlined) = font().outline_glyph(positioned) else { continue };
            // px_bounds include the glyph's own side bearings: this is the fix.
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let x = bounds.min.x as i64 + gx as i64;
                let y = bounds.min.y as i64 + gy as i64;
                if x < 0 || y < 0 || x >= width as i64 || y >= height as i64 {
                    return;
                }
                let i = ((y as usize) * width as usize + x as usize) * 3;
                let a = coverage.clamp(0.0, 1.0);
                for (k, channel) in [self.color.0, self.color.1, self.color.2].into_iter().enumerate() {
                    let old = buffer[i + k] as f32;
                    buffer[i + k] = (old + (channel as f32 - old) * a).round() as u8;
                }
            });
        }
    }

    /// The item as SVG: one `<path>` of glyph outlines, labelled with its text.
    pub fn to_svg(&self) -> String {
        let (placed, line_width) = layout(&self.text, self.size);
        let (left, baseline) = self.origin(line_width);
        let scale = font().as_scaled(PxScale::from(self.size)).h_scale_factor();
        let mut d = String::new();
        for glyph in placed {
            let Some(outline) = font().outline(glyph.id) else { continue };
            let x0 = left + glyph.x;
            let map = |p: ab_glyph::Point| (x0 + p.x * scale, baseline - p.y * scale);
            let mut last: Option<(f32, f32)> = None;
            for curve in &outline.curves {
                let (start, end) = match curve {
                    OutlineCurve::Line(a, b) => (map(*a), map(*b)),
                    OutlineCurve::Quad(a, _, b) => (map(*a), map(*b)),
                    OutlineCurve::Cubic(a, _, _, b) => (map(*a), map(*b)),
                };
                if last.is_none_or(|l| (l.0 - start.0).abs() > 0.01 || (l.1 - start.1).abs() > 0.01) {
                    if last.is_some() {
                        d.push('Z');
                    }
                    let _ = write!(d, "M{:.1} {:.1}", start.0, start.1);
                }
                match curve {
                    OutlineCurve::Line(_, _) => {
                        let _ = write!(d, "L{:.1} {:.1}", end.0, end.1);
                    }
                    OutlineCurve::Quad(_, c, _) => {
                        let c = map(*c);
                        let _ = write!(d, "Q{:.1} {:.1} {:.1} {:.1}", c.0, c.1, end.0, end.1);
                    }
                    OutlineCurve::Cubic(_, c0, c1, _) => {
                        let (c0, c1) = (map(*c0), map(*c1));
                        let _ = write!(d, "C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}", c0.0, c0.1, c1.0, c1.1, end.0, end.1);
                    }
                }
                last = Some(end);
            }
            if last.is_some() {
                d.push('Z');
            }
        }
        let (r, g, b) = self.color;
        format!(
            "<path aria-label=\"{}\" fill=\"#{r:02x}{g:02x}{b:02x}\" d=\"{d}\"><title>{}</title></path>\n",
            crate::markup::escape(&self.text),
            crate::markup::escape(&self.text)
        )
    }
}
