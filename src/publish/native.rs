//! Native PowerPoint charts (DrawingML `c:chartSpace` parts) with their embedded
//! workbooks, so that 编辑数据 (Edit Data) works in PowerPoint and WPS: the chart part
//! caches every category and value and points at `Sheet1` of the embedded `.xlsx`,
//! which holds the same table.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::charts::theme::Theme;
use crate::markup::escape;

/// Which way the bars go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeKind {
    /// Vertical columns (categories along the bottom).
    Column,
    /// Horizontal bars (categories down the left, the first on top).
    Bar,
}

/// One series of a native chart.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeSeries {
    /// Its name (the table's header).
    pub name: String,
    /// One value per category; `None` is a gap.
    pub values: Vec<Option<f64>>,
    /// Drawn as a line on a secondary axis (YoY growth) instead of bars.
    pub line: bool,
}

/// A chart as PowerPoint draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeChart {
    /// Bars or columns.
    pub kind: NativeKind,
    /// The category labels.
    pub categories: Vec<String>,
    /// The series, bars first.
    pub series: Vec<NativeSeries>,
}

/// The spreadsheet column letter of a 0-based index (A, B, …, Z, AA, …).
fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (index % 26) as u8) as char);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}

/// A value as the chart caches it: shortest exact decimal.
fn number(v: f64) -> String {
    format!("{v}")
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("{r:02X}{g:02X}{b:02X}")
}

impl NativeChart {
    /// The chart part (`ppt/charts/chartN.xml`); its relationship `rId1` must point at the
    /// embedded workbook.
    pub fn chart_xml(&self) -> String {
        let theme = Theme::default();
        let n = self.categories.len();
        let last_row = n + 1;
        let categories = {
            let points: String = self
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", escape(c)))
                .collect();
            format!(
                "<c:cat><c:strRef><c:f>Sheet1!$A$2:$A${last_row}</c:f><c:strCache><c:ptCount val=\"{n}\"/>{points}</c:strCache></c:strRef></c:cat>"
            )
        };
        let series = |index: usize, s: &NativeSeries| {
            let col = column_letter(index + 1);
            let points: String = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", number(v))))
                .collect();
            let color = hex(crate::charts::theme::rgb(theme.palette[index % theme.palette.len()]));
            let fill = if s.line {
                format!(
                    "<c:spPr><a:ln w=\"28575\"><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill></a:ln></c:spPr><c:marker><c:symbol val=\"circle\"/><c:size val=\"6\"/></c:marker>"
                )
            } else {
                format!(
                    "<c:spPr><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill></c:spPr><c:invertIfNegative val=\"0\"/>"
                )
            };
            let tail = if s.line { "<c:smooth val=\"0\"/>" } else { "" };
            format!(
                "<c:ser><c:idx val=\"{index}\"/><c:order val=\"{index}\"/><c:tx><c:strRef><c:f>Sheet1!${col}$1</c:f><c:strCache><c:ptCount val=\"1\"/><c:pt idx=\"0\"><c:v>{}</c:v></c:pt></c:strCache></c:strRef></c:tx>{fill}{categories}<c:val><c:numRef><c:f>Sheet1!${col}$2:${col}${last_row}</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val=\"{n}\"/>{points}</c:numCache></c:numRef></c:val>{tail}</c:ser>",
                escape(&s.name)
            )
        };
        let bars: String = self.series.iter().enumerate().filter(|(_, s)| !s.line).map(|(i, s)| series(i, s)).collect();
        let lines: String = self.series.iter().enumerate().filter(|(_, s)| s.line).map(|(i, s)| series(i, s)).collect();
        let (dir, cat_pos, val_pos, orientation) = match self.kind {
            NativeKind::Column => ("col", "b", "l", "minMax"),
            // The first category on top, as on the picture.
            NativeKind::Bar => ("bar", "l", "b", "maxMin"),
        };
        let cat_ax = |id: u32, cross: u32, delete: u8| {
            format!(
                "<c:catAx><c:axId val=\"{id}\"/><c:scaling><c:orientation val=\"{orientation}\"/></c:scaling><c:delete val=\"{delete}\"/><c:axPos val=\"{cat_pos}\"/><c:numFmt formatCode=\"General\" sourceLinked=\"0\"/><c:majorTickMark val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/><c:crossAx val=\"{cross}\"/><c:crosses val=\"autoZero\"/><c:auto val=\"1\"/><c:lblAlgn val=\"ctr\"/><c:lblOffset val=\"100\"/><c:noMultiLvlLbl val=\"0\"/></c:catAx>"
            )
        };
        let grid = hex(crate::charts::theme::rgb(theme.grid));
        let val_ax = |id: u32, cross: u32, pos: &str, crosses: &str, gridlines: bool| {
            let lines = if gridlines {
                format!(
                    "<c:majorGridlines><c:spPr><a:ln w=\"9525\"><a:solidFill><a:srgbClr val=\"{grid}\"/></a:solidFill></a:ln></c:spPr></c:majorGridlines>"
                )
            } else {
                String::new()
            };
            format!(
                "<c:valAx><c:axId val=\"{id}\"/><c:scaling><c:orientation val=\"minMax\"/></c:scaling><c:delete val=\"0\"/><c:axPos val=\"{pos}\"/>{lines}<c:numFmt formatCode=\"General\" sourceLinked=\"1\"/><c:majorTickMark val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/><c:crossAx val=\"{cross}\"/><c:crosses val=\"{crosses}\"/><c:crossBetween val=\"between\"/></c:valAx>"
            )
        };
        let mut plot = format!(
            "<c:barChart><c:barDir val=\"{dir}\"/><c:grouping val=\"clustered\"/><c:varyColors val=\"0\"/>{bars}<c:gapWidth val=\"80\"/><c:axId val=\"1001\"/><c:axId val=\"1002\"/></c:barChart>"
        );
        if !lines.is_empty() {
            plot.push_str(&format!(
                "<c:lineChart><c:grouping val=\"standard\"/><c:varyColors val=\"0\"/>{lines}<c:marker val=\"1\"/><c:axId val=\"1003\"/><c:axId val=\"1004\"/></c:lineChart>"
            ));
        }
        plot.push_str(&cat_ax(1001, 1002, 0));
        // Bars run top to bottom: their value axis crosses at the last category, the bottom.
        let crosses = if self.kind == NativeKind::Bar { "max" } else { "autoZero" };
        plot.push_str(&val_ax(1002, 1001, val_pos, crosses, true));
        if !lines.is_empty() {
            plot.push_str(&cat_ax(1003, 1004, 1));
            plot.push_str(&val_ax(1004, 1003, "r", "max", false));
        }
        let legend = if self.series.len() > 1 {
            "<c:legend><c:legendPos val=\"b\"/><c:overlay val=\"0\"/></c:legend>"
        } else {
            ""
        };
        let ink = hex(theme.ink);
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<c:chartSpace xmlns:c=\"http://schemas.openxmlformats.org/drawingml/2006/chart\" xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><c:date1904 val=\"0\"/><c:lang val=\"zh-CN\"/><c:roundedCorners val=\"0\"/><c:chart><c:autoTitleDeleted val=\"1\"/><c:plotArea><c:layout/>{plot}</c:plotArea>{legend}<c:plotVisOnly val=\"1\"/><c:dispBlanksAs val=\"gap\"/></c:chart><c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz=\"1400\"><a:solidFill><a:srgbClr val=\"{ink}\"/></a:solidFill><a:latin typeface=\"Microsoft YaHei\"/><a:ea typeface=\"Microsoft YaHei\"/></a:defRPr></a:pPr><a:endParaRPr lang=\"zh-CN\"/></a:p></c:txPr><c:externalData r:id=\"rId1\"><c:autoUpdate val=\"0\"/></c:externalData></c:chartSpace>"
        )
    }

    /// The embedded workbook: `Sheet1` with the categories in column A and a column per
    /// series, headers in row 1 — the cells the chart part refers to.
    pub fn workbook(&self) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        // A fixed creation time keeps the same data → the same bytes.
        workbook.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
        let sheet = workbook.add_worksheet();
        sheet.set_name("Sheet1")?;
        let bold = Format::new().set_bold();
        for (c, s) in self.series.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16 + 1, crate::markup::clean(&s.name), &bold)?;
            sheet.set_column_width(c as u16 + 1, 16)?;
            for (r, v) in s.values.iter().enumerate() {
                if let Some(v) = v {
                    sheet.write_number(r as u32 + 1, c as u16 + 1, *v)?;
                }
            }
        }
        sheet.set_column_width(0, 20)?;
        for (r, category) in self.categories.iter().enumerate() {
            sheet.write_string(r as u32 + 1, 0, crate::markup::clean(category))?;
        }
        workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_control_character_in_a_ledger_name_does_not_break_the_chart_part() {
        let chart = NativeChart {
            kind: NativeKind::Column,
            categories: vec!["陈炉镇\u{1}<&>".into(), "红土镇\u{b}\"'".into()],
            series: vec![
                NativeSeries { name: "本年（亿元）\u{0}".into(), values: vec![Some(1.5), None], line: false },
                NativeSeries { name: "同比增速（%）".into(), values: vec![Some(-3.25), Some(0.0)], line: true },
            ],
        };
        let xml = chart.chart_xml();
        let doc = roxmltree::Document::parse(&xml).expect("the chart part is well-formed XML");
        let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("v")).filter_map(|n| n.text()).collect();
        assert!(texts.contains(&"陈炉镇<&>") && texts.contains(&"红土镇\"'"), "{texts:?}");
        assert!(texts.contains(&"本年（亿元）") && texts.contains(&"-3.25"), "{texts:?}");
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("lineChart")).count(), 1, "growth on its own axis");
        assert!(chart.workbook().is_ok(), "the embedded workbook is written too");
    }

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702].into_iter().map(column_letter).collect();
        assert_eq!(letters, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }
}
