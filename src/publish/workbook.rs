//! The numbers of a deck in one `.xlsx`: a sheet per entry with its table, and a native
//! Excel chart on it where the chart has a native form, for people who restyle charts
//! themselves.

use rust_xlsxwriter::{Chart, ChartType, DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::deck::{Cell, Entry};
use super::native::NativeKind;

/// Writes every entry's table, and a native chart for each chart that has a native form,
/// into one workbook.
pub fn deck_workbook(entries: &[Entry]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
    let bold = Format::new().set_bold();
    let number = Format::new().set_num_format("#,##0.00");
    for entry in entries {
        let (id, title, footnote, table, form) = match entry {
            Entry::Chart(b) => (&b.id, &b.chart.frame().title, &b.chart.frame().footnote, &b.table, b.native_form()),
            Entry::Table(t) => (&t.id, &t.title, &t.footnote, &t.table, None),
        };
        let sheet_name: String = id.chars().take(31).collect();
        let sheet = workbook.add_worksheet();
        sheet.set_name(&sheet_name)?;
        sheet.write_string_with_format(0, 0, title, &bold)?;
        for (c, header) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, header, &bold)?;
            sheet.set_column_width(c as u16, 16)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 3, c as u16);
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ())?,
                    Cell::Number(Some(n)) => sheet.write_number_with_format(r, c, *n, &number).map(|_| ())?,
                    Cell::Number(None) => {}
                }
            }
        }
        sheet.write_string(table.rows.len() as u32 + 4, 0, footnote)?;
        if table.rows.is_empty() {
            continue;
        }
        let Some(form) = form else { continue };
        let (first, last) = (3u32, table.rows.len() as u32 + 2);
        let kind = match form.kind {
            NativeKind::Bar => ChartType::Bar,
            NativeKind::Column => ChartType::Column,
        };
        let category = form.category as u16;
        let mut chart = Chart::new(kind);
        chart.title().set_name(title);
        for c in form.bars.iter().map(|c| *c as u16) {
            chart
                .add_series()
                .set_name((sheet_name.as_str(), 2, c))
                .set_categories((sheet_name.as_str(), first, category, last, category))
                .set_values((sheet_name.as_str(), first, c, last, c));
        }
        if let Some(c) = form.line.map(|c| c as u16) {
            // Growth as a line on the secondary axis, as on the slide.
            let mut line = Chart::new(ChartType::Line);
            line.add_series()
                .set_name((sheet_name.as_str(), 2, c))
                .set_categories((sheet_name.as_str(), first, category, last, category))
                .set_values((sheet_name.as_str(), first, c, last, c))
                .set_secondary_axis(true);
            chart.combine(&line);
        }
        sheet.insert_chart(2, table.headers.len() as u16 + 1, &chart)?;
    }
    workbook.save_to_buffer()
}
