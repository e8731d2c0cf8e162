//! The funnel from intent to production: one centred bar per stage, its count, and the
//! conversion to the next stage between bars.

use super::text::{Anchor, TextItem};
use super::theme::{Theme, number, percent};
use super::{Canvas, ChartError, Frame, Plot};

/// The data of a funnel chart.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelChart {
    /// Title, unit, footnote.
    pub frame: Frame,
    /// Stage labels and how many projects reached them.
    pub stages: Vec<(String, u64)>,
    /// Conversion from each stage to the next (one fewer than stages).
    pub conversions: Vec<Option<f64>>,
}

pub(super) fn draw(
    c: &FunnelChart,
    canvas: &mut dyn Canvas,
    plot: Plot,
    theme: &Theme,
    texts: &mut Vec<TextItem>,
) -> Result<(), ChartError> {
    let k = plot.k;
    let n = c.stages.len().max(1) as f32;
    let row = (plot.bottom - plot.top) / n;
    let bar_height = row * 0.62;
    let max = c.stages.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1) as f32;
    let label_width = 150.0 * k;
    let centre = (plot.left + label_width + plot.right - 200.0 * k) / 2.0;
    let full = plot.right - 200.0 * k - plot.left - label_width;
    for (i, (stage, count)) in c.stages.iter().enumerate() {
        let top = plot.top + row * i as f32;
        let w = (full * (*count as f32 / max)).max(4.0 * k);
        canvas.rect(centre - w / 2.0, top, centre + w / 2.0, top + bar_height, theme.palette[i.min(5)])?;
        let text_y = top + bar_height / 2.0 - 14.0 * k;
        texts.push(TextItem {
            text: stage.clone(),
            x: plot.left,
            y: text_y,
            size: theme.label * 1.2 * k,
            color: theme.ink,
            anchor: Anchor::Left,
        });
        texts.push(TextItem {
            text: format!("{}个", number(*count as f64, 0)),
            x: centre + w / 2.0 + 12.0 * k,
            y: text_y,
            size: theme.label * 1.2 * k,
            color: theme.ink,
            anchor: Anchor::Left,
        });
        if let Some(Some(rate)) = c.conversions.get(i) {
            texts.push(TextItem {
                text: format!("转化率 {}", percent(*rate)),
                x: plot.right,
                y: top + bar_height + (row - bar_height) / 2.0 - 4.0 * k,
                size: theme.small * k,
                color: theme.muted,
                anchor: Anchor::Right,
            });
        }
    }
    Ok(())
}
