//! The industry-chain map (产业链图谱): one row per chain, its links placed by position
//! (上游 · 中游 · 下游), each link a box coloured by its status (已有 · 在建 · 在谈), and
//! the gaps (缺失) drawn as outlined boxes marked 补链 — what the district wants filled.
//!
//! This kind has no native PowerPoint chart form (it is a diagram, not a series of
//! values): decks carry it as a picture, with its links and statuses in the CSV beside.

use super::text::{Anchor, TextItem, width};
use super::theme::{Theme, rgb};
use super::{Canvas, ChartError, Frame, Plot};
use plotters::style::RGBColor;

use crate::analytics::chains::LinkStatus;
use crate::rules::vocab::CHAIN_POSITIONS as POSITIONS;

/// One link of a chain on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct MapLink {
    /// The link (环节).
    pub name: String,
    /// `上游`, `中游` or `下游` (anything else is drawn downstream).
    pub position: String,
    /// Its status as of the chart's day.
    pub status: LinkStatus,
}

/// One chain: its name and its links in order.
#[derive(Clone, Debug, PartialEq)]
pub struct MapChain {
    /// The chain (产业链).
    pub name: String,
    /// Its links, upstream to downstream.
    pub links: Vec<MapLink>,
}

/// The data of a chain map.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainMapChart {
    /// Title, unit, footnote.
    pub frame: Frame,
    /// The chains, one row each.
    pub chains: Vec<MapChain>,
}

/// The fill of a link's box; a gap has none (white, outlined in the alert colour).
pub fn status_color(status: LinkStatus, theme: &Theme) -> RGBColor {
    match status {
        LinkStatus::Present => theme.palette[0],
        LinkStatus::Building => theme.palette[2],
        LinkStatus::Negotiating => theme.palette[1],
        LinkStatus::Missing => RGBColor(0xff, 0xff, 0xff),
    }
}

/// The band (0, 1, 2) of a position.
fn band(position: &str) -> usize {
    POSITIONS.iter().position(|p| *p == position).unwrap_or(2)
}

/// The largest text size ≤ `size` at which `text` fits in `room` pixels.
fn fitting(text: &str, size: f32, room: f32) -> f32 {
    let w = width(text, size);
    if w <= room || w <= 0.0 { size } else { (size * room / w).max(size * 0.5) }
}

pub(super) fn draw(
    c: &ChainMapChart,
    canvas: &mut dyn Canvas,
    plot: Plot,
    theme: &Theme,
    texts: &mut Vec<TextItem>,
) -> Result<(), ChartError> {
    let k = plot.k;
    let label = theme.small * k;
    // The legend on top, the band headers below it, then one row per chain.
    let mut x = plot.right;
    for status in LinkStatus::ALL.iter().rev() {
        let text = if *status == LinkStatus::Missing { "缺失（补链）" } else { status.label_zh() };
        let w = width(text, label);
        x -= w;
        texts.push(TextItem {
            text: text.into(),
            x,
            y: plot.top,
            size: label,
            color: theme.muted,
            anchor: Anchor::Left,
        });
        x -= 30.0 * k;
        swatch(canvas, x, plot.top + 2.0 * k, x + 22.0 * k, plot.top + label, *status, theme, k)?;
        x -= 24.0 * k;
    }
    let names_right = plot.left + 220.0 * k;
    let header_top = plot.top + label + 14.0 * k;
    let rows_top = header_top + label + 14.0 * k;
    let band_width = (plot.right - names_right) / 3.0;
    for (i, position) in POSITIONS.iter().take(3).enumerate() {
        let left = names_right + band_width * i as f32;
        canvas.rect(
            left + 4.0 * k,
            header_top - 4.0 * k,
            left + band_width - 4.0 * k,
            rows_top - 6.0 * k,
            theme.grid,
        )?;
        texts.push(TextItem {
            text: (*position).into(),
            x: left + band_width / 2.0,
            y: header_top,
            size: label,
            color: theme.ink,
            anchor: Anchor::Center,
        });
    }
    // Every band is as wide for every chain: its slots are the most links any chain has there.
    let slots = |b: usize| {
        c.chains.iter().map(|ch| ch.links.iter().filter(|l| band(&l.position) == b).count()).max().unwrap_or(1).max(1)
    };
    let slots = [slots(0), slots(1), slots(2)];
    let n = c.chains.len().max(1) as f32;
    let row = ((plot.bottom - rows_top) / n).min(150.0 * k);
    for (r, chain) in c.chains.iter().enumerate() {
        let top = rows_top + row * r as f32;
        if r > 0 {
            canvas.rect(plot.left, top - 1.0 * k, plot.right, top, theme.grid)?;
        }
        let box_top = top + row * 0.14;
        let box_bottom = top + row * 0.86;
        let name_size = fitting(&chain.name, theme.label * k, names_right - plot.left - 12.0 * k);
        texts.push(TextItem {
            text: chain.name.clone(),
            x: plot.left,
            y: (box_top + box_bottom) / 2.0 - name_size * 0.6,
            size: name_size,
            color: theme.ink,
            anchor: Anchor::Left,
        });
        let mut used = [0usize; 3];
        for link in &chain.links {
            let b = band(&link.position);
            let slot_width = band_width / slots[b] as f32;
            let left = names_right + band_width * b as f32 + slot_width * used[b] as f32 + 6.0 * k;
            let right = left + slot_width - 12.0 * k;
            used[b] += 1;
            swatch(canvas, left, box_top, right, box_bottom, link.status, theme, k)?;
            let gap = link.status == LinkStatus::Missing;
            // White on the dark fills, ink on the light ones.
            let ink = match link.status {
                LinkStatus::Present | LinkStatus::Building => (0xff, 0xff, 0xff),
                _ => theme.ink,
            };
            let room = right - left - 12.0 * k;
            let size = fitting(&link.name, theme.label * 0.9 * k, room);
            let centre = (box_top + box_bottom) / 2.0;
            let name_y = if gap { centre - size * 1.1 } else { centre - size * 0.6 };
            texts.push(TextItem {
                text: link.name.clone(),
                x: (left + right) / 2.0,
                y: name_y,
                size,
                color: ink,
                anchor: Anchor::Center,
            });
            if gap {
                texts.push(TextItem {
                    text: "补链".into(),
                    x: (left + right) / 2.0,
                    y: centre + 2.0 * k,
                    size: theme.note * k,
                    color: rgb(theme.alert),
                    anchor: Anchor::Center,
                });
            }
        }
    }
    Ok(())
}

/// A link's box: filled in its status colour, or, for a gap, white inside a 3-unit
/// outline in the alert colour.
#[allow(clippy::too_many_arguments)]
fn swatch(
    canvas: &mut dyn Canvas,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    status: LinkStatus,
    theme: &Theme,
    k: f32,
) -> Result<(), ChartError> {
    if status == LinkStatus::Missing {
        let t = 3.0 * k;
        canvas.rect(x0, y0, x1, y1, theme.alert)?;
        canvas.rect(x0 + t, y0 + t, x1 - t, y1 - t, status_color(status, theme))
    } else {
        canvas.rect(x0, y0, x1, y1, status_color(status, theme))
    }
}
