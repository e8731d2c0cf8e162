//! Charts for meetings and the site, drawn with plotters at 16:9: one theme, one file per
//! chart kind, Chinese text through [`text`] (glyphs placed correctly, font embedded).
//! Charts draw the data they are handed and never query.
//!
//! - [`theme`]: colours, sizes, number formats (万元/亿元, %).
//! - [`trend`], [`columns`], [`funnel`], [`ranking`], [`rates`], [`chainmap`]: the chart
//!   kinds.
//! - [`text`]: glyph layout, rasterising and SVG outlines; [`png`]: the encoder.

pub mod chainmap;
pub mod columns;
pub mod funnel;
pub mod png;
pub mod ranking;
pub mod rates;
pub mod text;
pub mod theme;
pub mod trend;

use std::collections::BTreeSet;

use plotters::coord::Shift;
use plotters::prelude::*;

use text::{Anchor, TextItem};
use theme::Theme;

/// Title, unit and footnote: what every chart carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The title, e.g. `2025年1–10月固定资产投资`.
    pub title: String,
    /// The unit or a subtitle, e.g. `单位：亿元`.
    pub subtitle: String,
    /// `数据截至 YYYY-MM-DD · 来源：…`.
    pub footnote: String,
}

impl Frame {
    /// A frame with the standard footnote for data as of `as_of`.
    pub fn new(title: impl Into<String>, subtitle: impl Into<String>, as_of: chrono::NaiveDate, source: &str) -> Frame {
        Frame {
            title: title.into(), subtitle: subtitle.into(), footnote: format!("数据截至 {as_of} · 来源：{source}")
        }
    }
}

/// A chart of any kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Columns per period with a YoY line on a secondary axis.
    Trend(trend::TrendChart),
    /// Grouped or stacked columns by category.
    Columns(columns::ColumnChart),
    /// The funnel from intent to production.
    Funnel(funnel::FunnelChart),
    /// Units ranked by score.
    Ranking(ranking::RankingChart),
    /// Cohort rates as bars from 0 to 100 %.
    Rates(rates::RateChart),
    /// Industry chains: links by position, status by colour, gaps marked 补链.
    ChainMap(chainmap::ChainMapChart),
}

impl Chart {
    /// The chart's frame.
    pub fn frame(&self) -> &Frame {
        match self {
            Chart::Trend(c) => &c.frame,
            Chart::Columns(c) => &c.frame,
            Chart::Funnel(c) => &c.frame,
            Chart::Ranking(c) => &c.frame,
            Chart::Rates(c) => &c.frame,
            Chart::ChainMap(c) => &c.frame,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Chart::Trend(c) => c.periods.is_empty() || c.values.iter().all(|v| *v == 0.0),
            Chart::Columns(c) => c.categories.is_empty() || c.series.iter().all(|s| s.values.iter().all(|v| *v == 0.0)),
            Chart::Funnel(c) => c.stages.iter().all(|(_, n)| *n == 0),
            Chart::Ranking(c) => c.rows.is_empty(),
            Chart::Rates(c) => c.rates.iter().all(|r| r.value.is_none()),
            Chart::ChainMap(c) => c.chains.iter().all(|ch| ch.links.is_empty()),
        }
    }

    /// Every text the chart draws at `size`, with its place: the chart's layout.
    pub fn text_items(&self, size: Size) -> Vec<TextItem> {
        let mut texts = Vec::new();
        let mut none = Vec::new();
        let _ = self.draw_on(&mut none, size, &mut texts);
        texts
    }
}

/// Output size in pixels: 1920×1080 or 1280×720, times a scale for crisp PNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Size {
    /// 1920×1080 (× scale).
    pub fn full_hd(scale: u32) -> Size {
        Size { width: 1920 * scale, height: 1080 * scale }
    }
    /// 1280×720 (× scale).
    pub fn hd(scale: u32) -> Size {
        Size { width: 1280 * scale, height: 720 * scale }
    }
}

/// PNG or SVG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A raster picture.
    Png,
    /// A vector picture with glyph outlines.
    Svg,
}

/// A rendered chart and the characters the font could not draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Characters drawn as the font's missing-glyph box: report them, never hide them.
    pub missing: BTreeSet<char>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(pub String);

/// A plotters error as ours.
pub(crate) fn draw_error<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// Where charts draw their shapes: a plotters area in output pixels.
pub type Area<'a, DB> = DrawingArea<DB, Shift>;

/// The plot region inside the frame, in output pixels.
#[derive(Clone, Copy, Debug)]
pub struct Plot {
    /// Left edge.
    pub left: f32,
    /// Top edge.
    pub top: f32,
    /// Right edge.
    pub right: f32,
    /// Bottom edge.
    pub bottom: f32,
    /// Pixels per design unit (the design is 1280 wide).
    pub k: f32,
}

/// Something shapes can be drawn on: a plotters area, or nothing (when only the texts
/// of a chart are wanted).
pub trait Canvas {
    /// Draws a filled rectangle.
    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: RGBColor) -> Result<(), ChartError>;
    /// Draws a polyline.
    fn line(&mut self, points: &[(f32, f32)], color: RGBColor, width: f32) -> Result<(), ChartError>;
    /// Draws a filled circle.
    fn dot(&mut self, x: f32, y: f32, r: f32, color: RGBColor) -> Result<(), ChartError>;
}

impl<DB: DrawingBackend> Canvas for Area<'_, DB> {
    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: RGBColor) -> Result<(), ChartError> {
        let r = Rectangle::new(
            [(x0.round() as i32, y0.round() as i32), (x1.round() as i32, y1.round() as i32)],
            color.filled(),
        );
        self.draw(&r).map_err(draw_error)
    }
    fn line(&mut self, points: &[(f32, f32)], color: RGBColor, width: f32) -> Result<(), ChartError> {
        let pts: Vec<(i32, i32)> = points.iter().map(|(x, y)| (x.round() as i32, y.round() as i32)).collect();
        self.draw(&PathElement::new(pts, color.stroke_width(width.round().max(1.0) as u32))).map_err(draw_error)
    }
    fn dot(&mut self, x: f32, y: f32, r: f32, color: RGBColor) -> Result<(), ChartError> {
        self.draw(&Circle::new((x.round() as i32, y.round() as i32), r.round() as i32, color.filled()))
            .map_err(draw_error)
    }
}

/// A canvas that draws nothing.
impl Canvas for Vec<()> {
    fn rect(&mut self, _: f32, _: f32, _: f32, _: f32, _: RGBColor) -> Result<(), ChartError> {
        Ok(())
    }
    fn line(&mut self, _: &[(f32, f32)], _: RGBColor, _: f32) -> Result<(), ChartError> {
        Ok(())
    }
    fn dot(&mut self, _: f32, _: f32, _: f32, _: RGBColor) -> Result<(), ChartError> {
        Ok(())
    }
}

impl Chart {
    /// Draws the frame and the chart's shapes on `canvas`; texts go to `texts`.
    fn draw_on(&self, canvas: &mut dyn Canvas, size: Size, texts: &mut Vec<TextItem>) -> Result<(), ChartError> {
        let theme = Theme::default();
        let k = size.width as f32 / 1280.0;
        let (w, h) = (size.width as f32, size.height as f32);
        let frame = self.frame();
        texts.push(TextItem {
            text: frame.title.clone(),
            x: 48.0 * k,
            y: 26.0 * k,
            size: theme.title * k,
            color: theme.ink,
            anchor: Anchor::Left,
        });
        if !frame.subtitle.is_empty() {
            texts.push(TextItem {
                text: frame.subtitle.clone(),
                x: 48.0 * k,
                y: 78.0 * k,
                size: theme.small * k,
                color: theme.muted,
                anchor: Anchor::Left,
            });
        }
        canvas.rect(48.0 * k, h - 58.0 * k, w - 48.0 * k, h - 57.0 * k, theme.grid)?;
        texts.push(TextItem {
            text: frame.footnote.clone(),
            x: 48.0 * k,
            y: h - 48.0 * k,
            size: theme.note * k,
            color: theme.muted,
            anchor: Anchor::Left,
        });
        let plot = Plot { left: 48.0 * k, top: 124.0 * k, right: w - 48.0 * k, bottom: h - 78.0 * k, k };
        if self.is_empty() {
            texts.push(TextItem {
                text: "暂无数据".into(),
                x: w / 2.0,
                y: h / 2.0 - 24.0 * k,
                size: 40.0 * k,
                color: theme.muted,
                anchor: Anchor::Center,
            });
            return Ok(());
        }
        match self {
            Chart::Trend(c) => trend::draw(c, canvas, plot, &theme, texts),
            Chart::Columns(c) => columns::draw(c, canvas, plot, &theme, texts),
            Chart::Funnel(c) => funnel::draw(c, canvas, plot, &theme, texts),
            Chart::Ranking(c) => ranking::draw(c, canvas, plot, &theme, texts),
            Chart::Rates(c) => rates::draw(c, canvas, plot, &theme, texts),
            Chart::ChainMap(c) => chainmap::draw(c, canvas, plot, &theme, texts),
        }
    }

    /// Draws the chart's shapes on any `canvas` (a PDF page, say) and hands back its
    /// texts with their places, for a target that sets text itself.
    pub fn draw_with(&self, canvas: &mut dyn Canvas, size: Size) -> Result<Vec<TextItem>, ChartError> {
        let mut texts = Vec::new();
        self.draw_on(canvas, size, &mut texts)?;
        Ok(texts)
    }

    /// Draws the chart into an RGB buffer of `size` (3 bytes a pixel, rows top down).
    pub fn rasterize(&self, size: Size) -> Result<Vec<u8>, ChartError> {
        let (w, h) = (size.width, size.height);
        let mut texts = Vec::new();
        let mut buffer = vec![255u8; w as usize * h as usize * 3];
        {
            let mut area = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
            area.fill(&WHITE).map_err(draw_error)?;
            self.draw_on(&mut area, size, &mut texts)?;
            area.present().map_err(draw_error)?;
        }
        for t in &texts {
            t.rasterize(&mut buffer, w, h);
        }
        Ok(buffer)
    }

    /// The chart as SVG: plotters' shapes, then every text as glyph outlines.
    fn svg(&self, size: Size) -> Result<String, ChartError> {
        let mut texts = Vec::new();
        let mut svg = String::new();
        {
            let mut area = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
            area.fill(&WHITE).map_err(draw_error)?;
            self.draw_on(&mut area, size, &mut texts)?;
            area.present().map_err(draw_error)?;
        }
        let title = crate::markup::escape(&self.frame().title);
        let glyphs: String = texts.iter().map(TextItem::to_svg).collect();
        let svg = svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{title}\" "), 1);
        let svg = match svg.find('>') {
            Some(i) => format!("{}<title>{title}</title>\n{}", &svg[..=i], &svg[i + 1..]),
            None => svg,
        };
        Ok(svg.replace("</svg>", &format!("{glyphs}</svg>")))
    }

    /// Renders the chart as PNG or SVG at `size`. Same data, same bytes.
    pub fn render(&self, size: Size, format: Format) -> Result<Rendered, ChartError> {
        let bytes = match format {
            Format::Png => png::encode_rgb(&self.rasterize(size)?, size.width, size.height),
            Format::Svg => self.svg(size)?.into_bytes(),
        };
        Ok(Rendered { bytes, missing: self.missing_glyphs() })
    }

    /// Characters of this chart's texts that the embedded font lacks.
    pub fn missing_glyphs(&self) -> BTreeSet<char> {
        self.text_items(Size::hd(1)).iter().flat_map(|t| text::missing_glyphs(&t.text)).collect()
    }
}
