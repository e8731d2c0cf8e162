//! Cohort rates (落地率, 投产率, 履约率, 注册率, 资金到位率) as bars on a 0–100 % track,
//! each with its numerator and denominator.

use super::text::{Anchor, TextItem};
use super::theme::{Theme, percent};
use super::{Canvas, ChartError, Frame, Plot};

/// One rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    /// Its name, e.g. `落地率`.
    pub label: String,
    /// The fraction; none for an empty cohort.
    pub value: Option<f64>,
    /// What it counts, e.g. `5/8`.
    pub detail: String,
}

/// The data of a rate chart.
#[derive(Clone, Debug, PartialEq)]
pub struct RateChart {
    /// Title, unit, footnote.
    pub frame: Frame,
    /// The rates.
    pub rates: Vec<Rate>,
}

pub(super) fn draw(
    c: &RateChart,
    canvas: &mut dyn Canvas,
    plot: Plot,
    theme: &Theme,
    texts: &mut Vec<TextItem>,
) -> Result<(), ChartError> {
    let k = plot.k;
    let n = c.rates.len().max(1) as f32;
    let row = ((plot.bottom - plot.top) / n).min(110.0 * k);
    let track_left = plot.left + 200.0 * k;
    let track_right = plot.right - 260.0 * k;
    for (i, rate) in c.rates.iter().enumerate() {
        let top = plot.top + row * i as f32 + row * 0.2;
        let bottom = top + row * 0.5;
        canvas.rect(track_left, top, track_right, bottom, theme.grid)?;
        if let Some(v) = rate.value {
            let w = (track_right - track_left) * v.clamp(0.0, 1.0) as f32;
            canvas.rect(track_left, top, track_left + w, bottom, theme.palette[i % 6])?;
        }
        let text_y = (top + bottom) / 2.0 - 15.0 * k;
        texts.push(TextItem {
            text: rate.label.clone(),
            x: plot.left,
            y: text_y,
            size: theme.label * 1.2 * k,
            color: theme.ink,
            anchor: Anchor::Left,
        });
        let value = rate.value.map_or("—".to_string(), percent);
        texts.push(TextItem {
            text: format!("{value}（{}）", rate.detail),
            x: track_right + 16.0 * k,
            y: text_y,
            size: theme.label * 1.2 * k,
            color: theme.ink,
            anchor: Anchor::Left,
        });
    }
    Ok(())
}
