//! Columns by category (by unit, by industry, by stage), grouped or stacked.

use super::text::{Anchor, TextItem, width};
use super::theme::{Scale, Theme, decimals_for, number, rgb, ticks};
use super::{Canvas, ChartError, Frame, Plot};

/// One series of a column chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// One value per category.
    pub values: Vec<f64>,
}

/// The data of a column chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnChart {
    /// Title, unit, footnote.
    pub frame: Frame,
    /// Category labels along the x axis.
    pub categories: Vec<String>,
    /// The series.
    pub series: Vec<Series>,
    /// Stack the series instead of grouping them.
    pub stacked: bool,
    /// Decimals of the data labels.
    pub decimals: usize,
}

/// Splits a label into at most two lines that fit `max` pixels at `size`.
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    if width(text, size) <= max {
        return vec![text.to_string()];
    }
    let chars: Vec<char> = text.chars().collect();
    let half = chars.len().div_ceil(2);
    vec![chars[..half].iter().collect(), chars[half..].iter().collect()]
}

pub(super) fn draw(
    c: &ColumnChart,
    canvas: &mut dyn Canvas,
    plot: Plot,
    theme: &Theme,
    texts: &mut Vec<TextItem>,
) -> Result<(), ChartError> {
    let k = plot.k;
    let n = c.categories.len().max(1);
    let totals: Vec<f64> =
        (0..n).map(|i| c.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0)).sum()).collect();
    let max = if c.stacked {
        totals.iter().cloned().fold(0.0, f64::max)
    } else {
        c.series.iter().flat_map(|s| s.values.iter().cloned()).fold(0.0, f64::max)
    };
    let value_ticks = ticks(0.0, max);
    let (axis_left, axis_right) = (plot.left + 70.0 * k, plot.right);
    let (top, bottom) = (plot.top + 40.0 * k, plot.bottom - 56.0 * k);
    let y = Scale { from: (0.0, *value_ticks.last().unwrap_or(&1.0)), to: (bottom, top) };
    let step = value_ticks.get(1).copied().unwrap_or(1.0);
    for t in &value_ticks {
        canvas.line(&[(axis_left, y.at(*t)), (axis_right, y.at(*t))], theme.grid, k)?;
        texts.push(TextItem {
            text: number(*t, decimals_for(step)),
            x: axis_left - 10.0 * k,
            y: y.at(*t) - 11.0 * k,
            size: theme.small * k,
            color: theme.muted,
            anchor: Anchor::Right,
        });
    }
    if c.series.len() > 1 {
        let mut x = axis_left;
        for (i, s) in c.series.iter().enumerate() {
            canvas.rect(x, plot.top + 5.0 * k, x + 18.0 * k, plot.top + 21.0 * k, theme.palette[i % 6])?;
            texts.push(TextItem {
                text: s.name.clone(),
                x: x + 26.0 * k,
                y: plot.top,
                size: theme.small * k,
                color: theme.muted,
                anchor: Anchor::Left,
            });
            x += 60.0 * k + width(&s.name, theme.small * k);
        }
    }
    let slot = (axis_right - axis_left) / n as f32;
    let label_size = (theme.label * k).min(slot / 4.5).max(11.0 * k);
    for (i, (category, total)) in c.categories.iter().zip(&totals).enumerate() {
        let centre = axis_left + slot * (i as f32 + 0.5);
        let group = slot * 0.64;
        if c.stacked {
            let mut base = 0.0;
            for (si, s) in c.series.iter().enumerate() {
                let v = s.values.get(i).copied().unwrap_or(0.0);
                canvas.rect(
                    centre - group / 2.0,
                    y.at(base + v),
                    centre + group / 2.0,
                    y.at(base),
                    theme.palette[si % 6],
                )?;
                base += v;
            }
            texts.push(TextItem {
                text: number(*total, c.decimals),
                x: centre,
                y: y.at(*total) - 26.0 * k,
                size: label_size,
                color: theme.ink,
                anchor: Anchor::Center,
            });
        } else {
            let m = c.series.len().max(1) as f32;
            let bar = group / m;
            for (si, s) in c.series.iter().enumerate() {
                let v = s.values.get(i).copied().unwrap_or(0.0);
                let x0 = centre - group / 2.0 + bar * si as f32;
                canvas.rect(x0, y.at(v), x0 + bar * 0.92, y.at(0.0), theme.palette[si % 6])?;
                if m <= 2.0 {
                    let color = if si == 0 { theme.ink } else { rgb(theme.palette[si % 6]) };
                    texts.push(TextItem {
                        text: number(v, c.decimals),
                        x: x0 + bar * 0.46,
                        y: y.at(v) - 26.0 * k,
                        size: label_size,
                        color,
                        anchor: Anchor::Center,
                    });
                }
            }
        }
        for (line, text) in wrap(category, label_size, slot * 0.96).into_iter().enumerate() {
            texts.push(TextItem {
                text,
                x: centre,
                y: bottom + 8.0 * k + line as f32 * label_size * 1.15,
                size: label_size,
                color: theme.muted,
                anchor: Anchor::Center,
            });
        }
    }
    canvas.line(&[(axis_left, y.at(0.0)), (axis_right, y.at(0.0))], theme.axis, 1.5 * k)?;
    Ok(())
}
