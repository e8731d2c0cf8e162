//! One look for every chart: colours, font sizes (in design units of a 1280-wide
//! slide), and how numbers are written (万元/亿元, %, thousands separators).

use plotters::style::RGBColor;

/// Colours and sizes.
#[derive(Clone, Debug)]
pub struct Theme {
    /// Titles and values.
    pub ink: (u8, u8, u8),
    /// Subtitles, axes, footnotes.
    pub muted: (u8, u8, u8),
    /// Grid lines.
    pub grid: RGBColor,
    /// Axis lines.
    pub axis: RGBColor,
    /// Series colours, first is the main one.
    pub palette: [RGBColor; 6],
    /// Attention: bottom units, negative growth.
    pub alert: RGBColor,
    /// Title size.
    pub title: f32,
    /// Labels and values.
    pub label: f32,
    /// Subtitles and legends.
    pub small: f32,
    /// Footnotes.
    pub note: f32,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            ink: (0x1a, 0x1f, 0x2b),
            muted: (0x5b, 0x63, 0x70),
            grid: RGBColor(0xe3, 0xe7, 0xed),
            axis: RGBColor(0x9a, 0xa3, 0xaf),
            palette: [
                RGBColor(0x1f, 0x5f, 0xad),
                RGBColor(0xe8, 0x83, 0x3a),
                RGBColor(0x2e, 0x9e, 0x6a),
                RGBColor(0x8e, 0x5c, 0xc8),
                RGBColor(0xc9, 0x9a, 0x12),
                RGBColor(0x0f, 0x9b, 0xb5),
            ],
            alert: RGBColor(0xc8, 0x10, 0x2e),
            title: 40.0,
            label: 20.0,
            small: 20.0,
            note: 16.0,
        }
    }
}

/// A colour as the tuple texts use.
pub fn rgb(c: RGBColor) -> (u8, u8, u8) {
    (c.0, c.1, c.2)
}

/// A number with thousands separators and `decimals` decimals: `12,345.6`, rounded
/// half away from zero (四舍五入) as reports do, not half to even.
pub fn number(value: f64, decimals: usize) -> String {
    let factor = 10f64.powi(decimals as i32);
    let text = format!("{:.*}", decimals, (value.abs() * factor).round() / factor);
    let (whole, frac) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A fraction as a percentage: `12.3%`.
pub fn percent(fraction: f64) -> String {
    format!("{}%", number(fraction * 100.0, 1))
}

/// Money given in 万元, in the unit a reader wants at this size: 亿元 from 1 亿 up.
/// Returns the divisor to apply and the unit's name.
pub fn money_unit(max_wan: f64) -> (f64, &'static str) {
    if max_wan.abs() >= 10_000.0 { (10_000.0, "亿元") } else { (1.0, "万元") }
}

/// Round axis ticks from 0 (or a negative minimum) to cover `max`: about five steps of
/// 1, 2, 2.5 or 5 × 10ⁿ.
pub fn ticks(min: f64, max: f64) -> Vec<f64> {
    let (low, high) = (min.min(0.0), max.max(0.0));
    let span = if high - low <= 0.0 { 1.0 } else { high - low };
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let first = (low / step).floor() as i64;
    let last = ((high / step).ceil() as i64).max(first + 1);
    // Multiples of the step, rounded so that 3 × 0.2 is 0.6.
    (first..=last).map(|i| ((i as f64 * step) * 1e9).round() / 1e9).collect()
}

/// Decimals that show a tick step without noise.
pub fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 { 0 } else { (-step.log10().floor()) as usize }
}

/// A linear map from data values to pixels.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Data range.
    pub from: (f64, f64),
    /// Pixel range.
    pub to: (f32, f32),
}

impl Scale {
    /// The pixel of a value.
    pub fn at(&self, v: f64) -> f32 {
        let (d0, d1) = self.from;
        let t = if d1 == d0 { 0.0 } else { (v - d0) / (d1 - d0) };
        self.to.0 + (self.to.1 - self.to.0) * t as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_chinese_report_writes_them() {
        assert_eq!(number(1234567.891, 1), "1,234,567.9");
        assert_eq!(number(-0.04, 1), "0.0");
        assert_eq!(number(-12.5, 0), "-13");
        assert_eq!(percent(-0.20352), "-20.4%");
        assert_eq!(number(0.125, 2), "0.13", "四舍五入");
        assert_eq!(money_unit(13_580.5), (10_000.0, "亿元"));
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        assert_eq!(ticks(0.0, 9.2), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(-0.36, 0.45), [-0.4, -0.2, 0.0, 0.2, 0.4, 0.6]);
        assert_eq!(ticks(0.0, 0.0), [0.0, 0.2]);
        assert_eq!(ticks(0.0, 13580.5), [0.0, 5000.0, 10000.0, 15000.0]);
    }
}
