//! Units ranked by score (季度考核排名): horizontal bars, the bottom units in red and
//! the accountability flag (连续两次排名靠后) written beside them.

use super::text::{Anchor, TextItem};
use super::theme::{Theme, number, rgb};
use super::{Canvas, ChartError, Frame, Plot};

/// One ranked unit.
#[derive(Clone, Debug, PartialEq)]
pub struct RankRow {
    /// The unit's name.
    pub name: String,
    /// Its score.
    pub score: f64,
    /// Its rank (ties share one).
    pub rank: usize,
    /// Among the bottom units.
    pub bottom: bool,
    /// In the bottom twice running.
    pub accountability: bool,
}

/// The data of a ranking chart, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct RankingChart {
    /// Title, unit, footnote.
    pub frame: Frame,
    /// The units in rank order.
    pub rows: Vec<RankRow>,
}

pub(super) fn draw(
    c: &RankingChart,
    canvas: &mut dyn Canvas,
    plot: Plot,
    theme: &Theme,
    texts: &mut Vec<TextItem>,
) -> Result<(), ChartError> {
    let k = plot.k;
    let n = c.rows.len().max(1) as f32;
    let row = (plot.bottom - plot.top) / n;
    let size = (theme.label * k).min(row * 0.6);
    let max = c.rows.iter().map(|r| r.score).fold(0.0, f64::max).max(1.0);
    let bars_left = plot.left + 230.0 * k;
    let full = plot.right - 260.0 * k - bars_left;
    for (i, r) in c.rows.iter().enumerate() {
        let top = plot.top + row * i as f32;
        let colour = if r.bottom { theme.alert } else { theme.palette[0] };
        let w = (full * (r.score / max) as f32).max(2.0 * k);
        canvas.rect(bars_left, top + row * 0.18, bars_left + w, top + row * 0.82, colour)?;
        let text_y = top + row / 2.0 - size * 0.6;
        texts.push(TextItem {
            text: format!("{}", r.rank),
            x: plot.left + 28.0 * k,
            y: text_y,
            size,
            color: theme.muted,
            anchor: Anchor::Right,
        });
        texts.push(TextItem {
            text: r.name.clone(),
            x: plot.left + 44.0 * k,
            y: text_y,
            size,
            color: theme.ink,
            anchor: Anchor::Left,
        });
        let mut note = number(r.score, 1);
        if r.accountability {
            note.push_str("（连续两次排名靠后）");
        }
        let color = if r.bottom { rgb(theme.alert) } else { theme.ink };
        texts.push(TextItem { text: note, x: bars_left + w + 10.0 * k, y: text_y, size, color, anchor: Anchor::Left });
    }
    Ok(())
}
