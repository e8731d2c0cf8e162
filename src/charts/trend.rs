//! A trend: columns per period (e.g. 1–N月累计) with the year-over-year growth (同比)
//! as a line on a secondary axis in %.

use super::text::{Anchor, TextItem};
use super::theme::{Scale, Theme, decimals_for, number, percent, rgb, ticks};
use super::{Canvas, ChartError, Frame, Plot};

/// The data of a trend chart.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendChart {
    /// Title, unit, footnote.
    pub frame: Frame,
    /// Period labels along the x axis.
    pub periods: Vec<String>,
    /// The columns, in the unit named by `value_name`.
    pub values: Vec<f64>,
    /// YoY growth per period as a fraction; none where the base is 0.
    pub yoy: Vec<Option<f64>>,
    /// Legend of the columns, e.g. `累计（亿元）`.
    pub value_name: String,
}

pub(super) fn draw(
    c: &TrendChart,
    canvas: &mut dyn Canvas,
    plot: Plot,
    theme: &Theme,
    texts: &mut Vec<TextItem>,
) -> Result<(), ChartError> {
    let k = plot.k;
    let has_yoy = c.yoy.iter().any(Option::is_some);
    let (axis_left, axis_right) = (plot.left + 70.0 * k, if has_yoy { plot.right - 70.0 * k } else { plot.right });
    let (top, bottom) = (plot.top + 40.0 * k, plot.bottom - 36.0 * k);
    let max = c.values.iter().cloned().fold(0.0, f64::max);
    let min = c.values.iter().cloned().fold(0.0, f64::min);
    let value_ticks = ticks(min, max);
    let y = Scale { from: (value_ticks[0], *value_ticks.last().unwrap_or(&1.0)), to: (bottom, top) };
    let step = value_ticks.get(1).map_or(1.0, |t| t - value_ticks[0]);
    for t in &value_ticks {
        canvas.line(&[(axis_left, y.at(*t)), (axis_right, y.at(*t))], theme.grid, k)?;
        texts.push(label(
            number(*t, decimals_for(step)),
            axis_left - 10.0 * k,
            y.at(*t) - 11.0 * k,
            k,
            theme,
            Anchor::Right,
        ));
    }
    // Legend.
    let legend_y = plot.top;
    canvas.rect(axis_left, legend_y + 5.0 * k, axis_left + 18.0 * k, legend_y + 21.0 * k, theme.palette[0])?;
    texts.push(label(c.value_name.clone(), axis_left + 26.0 * k, legend_y, k, theme, Anchor::Left));
    if has_yoy {
        let x = axis_left + 60.0 * k + super::text::width(&c.value_name, theme.small * k);
        canvas.line(&[(x, legend_y + 13.0 * k), (x + 28.0 * k, legend_y + 13.0 * k)], theme.palette[1], 3.0 * k)?;
        texts.push(label("同比增速（%，右轴）".into(), x + 36.0 * k, legend_y, k, theme, Anchor::Left));
    }
    let n = c.periods.len().max(1) as f32;
    let slot = (axis_right - axis_left) / n;
    let bar = slot * 0.56;
    let centre = |i: usize| axis_left + slot * (i as f32 + 0.5);
    let decimals = if max.abs() >= 100.0 {
        0
    } else if max.abs() >= 10.0 {
        1
    } else {
        2
    };
    let label_size = if n > 12.0 { theme.note } else { theme.label };
    for (i, (period, value)) in c.periods.iter().zip(&c.values).enumerate() {
        let (x0, x1) = (centre(i) - bar / 2.0, centre(i) + bar / 2.0);
        let (y0, y1) = (y.at(0.0), y.at(*value));
        canvas.rect(x0, y0.min(y1), x1, y0.max(y1), theme.palette[0])?;
        let value_y = if *value >= 0.0 { y1 - 26.0 * k } else { y1 + 4.0 * k };
        texts.push(TextItem {
            text: number(*value, decimals),
            x: centre(i),
            y: value_y,
            size: label_size * k,
            color: theme.ink,
            anchor: Anchor::Center,
        });
        texts.push(TextItem {
            text: period.clone(),
            x: centre(i),
            y: bottom + 8.0 * k,
            size: label_size * k,
            color: theme.muted,
            anchor: Anchor::Center,
        });
    }
    canvas.line(&[(axis_left, y.at(0.0)), (axis_right, y.at(0.0))], theme.axis, 1.5 * k)?;
    if has_yoy {
        let rates: Vec<f64> = c.yoy.iter().flatten().copied().collect();
        let rate_ticks = ticks(rates.iter().cloned().fold(0.0, f64::min), rates.iter().cloned().fold(0.0, f64::max));
        let r = Scale { from: (rate_ticks[0], *rate_ticks.last().unwrap_or(&1.0)), to: (bottom, top) };
        for t in &rate_ticks {
            texts.push(label(
                percent(*t).replace(".0%", "%"),
                axis_right + 10.0 * k,
                r.at(*t) - 11.0 * k,
                k,
                theme,
                Anchor::Left,
            ));
        }
        // The line breaks where YoY is undefined.
        let mut run: Vec<(f32, f32)> = Vec::new();
        for (i, rate) in c.yoy.iter().enumerate() {
            match rate {
                Some(v) => run.push((centre(i), r.at(*v))),
                None => {
                    if run.len() > 1 {
                        canvas.line(&run, theme.palette[1], 3.0 * k)?;
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            canvas.line(&run, theme.palette[1], 3.0 * k)?;
        }
        for (i, rate) in c.yoy.iter().enumerate() {
            if let Some(v) = rate {
                canvas.dot(centre(i), r.at(*v), 5.0 * k, theme.palette[1])?;
                let color = if *v < 0.0 { rgb(theme.alert) } else { rgb(theme.palette[1]) };
                // A white plate keeps the label readable over the columns.
                let text = percent(*v);
                let (half, top) = (super::text::width(&text, theme.note * k) / 2.0 + 4.0 * k, r.at(*v) + 9.0 * k);
                canvas.rect(
                    centre(i) - half,
                    top,
                    centre(i) + half,
                    top + theme.note * k * 1.25,
                    plotters::style::WHITE,
                )?;
                texts.push(TextItem {
                    text,
                    x: centre(i),
                    y: top,
                    size: theme.note * k,
                    color,
                    anchor: Anchor::Center,
                });
            }
        }
    }
    Ok(())
}

fn label(text: String, x: f32, y: f32, k: f32, theme: &Theme, anchor: Anchor) -> TextItem {
    TextItem { text, x, y, size: theme.small * k, color: theme.muted, anchor }
}
