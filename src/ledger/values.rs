//! Cells and how each kind of ledger value is read from them (dates in every form the
//! spec lists, months, money, yes/no, integers).

use chrono::{Datelike, NaiveDate};

/// A cell as read from a workbook or a CSV file, trimmed.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Nothing, or only white space.
    Empty,
    /// Text (every CSV cell, and text cells of workbooks).
    Text(String),
    /// A numeric workbook cell.
    Number(f64),
    /// A workbook cell formatted as a date.
    Date(NaiveDate),
}

impl Cell {
    /// A cell from text, trimmed; white space only is empty.
    pub fn text(s: &str) -> Cell {
        let t = s.trim();
        if t.is_empty() { Cell::Empty } else { Cell::Text(t.to_string()) }
    }

    /// Why the cell is refused for a control character, if it holds one: a text cell may
    /// hold tabs and line breaks (Alt+Enter in a workbook, CR LF from Windows), but no
    /// other control character (NUL, U+0001–U+001F, DEL, U+0080–U+009F), which no
    /// ledger value needs and which would travel into the site, decks and exports.
    pub fn control_character(&self) -> Option<String> {
        let Cell::Text(text) = self else { return None };
        let c = text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))?;
        Some(format!(
            "holds the control character U+{:04X}; a cell may hold tabs and line breaks but no other control character",
            c as u32
        ))
    }

    /// The cell as it reads to a person, for error messages and text columns.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format_number(*n),
            Cell::Date(d) => d.to_string(),
        }
    }
}

/// The shortest decimal text of a float (`18500.5`, not `18500.500000001`).
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// Excel's day zero for serial dates (1900 date system, after the 1900 leap-year bug).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// The calendar day of an Excel serial number.
pub fn date_from_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    excel_epoch().checked_add_days(chrono::Days::new(serial.floor() as u64))
}

/// Reads a date: `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日`, a date cell or an
/// Excel serial number.
pub fn parse_date(cell: &Cell) -> Result<NaiveDate, String> {
    let not_a_date = || format!("{:?} is not a date", cell.display());
    match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Number(n) => date_from_serial(*n).ok_or_else(not_a_date),
        Cell::Text(s) => {
            let parts = split_numbers(s, &['-', '/', '.'], ("年", "月", "日"));
            match parts.as_deref() {
                Some([y, m, d]) => NaiveDate::from_ymd_opt(*y as i32, *m, *d).ok_or_else(not_a_date),
                Some([serial]) => date_from_serial(*serial as f64).ok_or_else(not_a_date),
                _ => Err(not_a_date()),
            }
        }
        Cell::Empty => Err("is empty".into()),
    }
}

/// Reads a month (`2024-03`, `2024/3`, `2024年3月`, or a date) as its first day.
pub fn parse_month(cell: &Cell) -> Result<NaiveDate, String> {
    let not_a_month = || format!("{:?} is not a month", cell.display());
    if let Cell::Text(s) = cell {
        let parts = split_numbers(s, &['-', '/', '.'], ("年", "月", "日"));
        if let Some([y, m]) = parts.as_deref() {
            return NaiveDate::from_ymd_opt(*y as i32, *m, 1).ok_or_else(not_a_month);
        }
    }
    let date = parse_date(cell).map_err(|_| not_a_month())?;
    Ok(date.with_day(1).unwrap_or(date))
}

/// Splits `2024-3-5` or `2024年3月5日` into its numbers; `None` if anything else is there.
fn split_numbers(s: &str, separators: &[char], (year, month, day): (&str, &str, &str)) -> Option<Vec<u32>> {
    let s = s.trim();
    let s = s.strip_suffix(day).unwrap_or(s);
    let normalized = s.replace(year, "-").replace(month, "-");
    let normalized = normalized.trim_end_matches('-');
    let mut parts = Vec::new();
    for part in normalized.split(|c| separators.contains(&c)) {
        if part.is_empty() || part.len() > 7 || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        parts.push(part.parse().ok()?);
    }
    Some(parts)
}

/// Reads money in 万元 into yuan.
pub fn parse_money(cell: &Cell) -> Result<i64, String> {
    let text = cell.display();
    crate::money::parse_wan(&text).map_err(|reason| format!("{text:?} {reason}"))
}

/// Reads a whole number ≥ 0.
pub fn parse_integer(cell: &Cell) -> Result<i64, String> {
    let text = cell.display();
    let cleaned: String = text.chars().filter(|c| *c != ',').collect();
    match cleaned.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(format!("{text:?} is not a whole number ≥ 0")),
    }
}

/// Reads a decimal number ≥ 0 (land area).
pub fn parse_decimal(cell: &Cell) -> Result<f64, String> {
    let text = cell.display();
    let cleaned: String = text.chars().filter(|c| *c != ',').collect();
    match cleaned.parse::<f64>() {
        Ok(n) if n >= 0.0 && n.is_finite() => Ok(n),
        _ => Err(format!("{text:?} is not a number ≥ 0")),
    }
}

/// Reads yes/no: `是`/`否`, `Y`/`N`, `yes`/`no`, `true`/`false`, `1`/`0`; empty is no.
pub fn parse_bool(cell: &Cell) -> Result<bool, String> {
    let text = cell.display();
    match text.to_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" => Ok(true),
        "否" | "n" | "no" | "false" | "0" | "" => Ok(false),
        _ => Err(format!("{text:?} is not 是/否 (yes/no)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::text(s)
    }

    #[test]
    fn reads_every_date_form_of_the_spec() {
        let want = NaiveDate::from_ymd_opt(2024, 3, 5);
        for form in ["2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "45356"] {
            assert_eq!(parse_date(&t(form)).ok(), want, "{form}");
        }
        assert_eq!(parse_date(&Cell::Number(45356.0)).ok(), want);
        assert!(parse_date(&t("2024-13-01")).is_err());
        assert!(parse_date(&t("2023-02-29")).is_err());
        assert!(parse_date(&t("soon")).is_err());
    }

    #[test]
    fn reads_months_as_their_first_day() {
        let want = NaiveDate::from_ymd_opt(2024, 3, 1);
        for form in ["2024-03", "2024/3", "2024年3月", "2024-03-17"] {
            assert_eq!(parse_month(&t(form)).ok(), want, "{form}");
        }
        assert!(parse_month(&t("2024-13")).is_err());
    }

    #[test]
    fn reads_yes_no_words() {
        for yes in ["是", "Y", "yes", "TRUE", "1"] {
            assert_eq!(parse_bool(&t(yes)), Ok(true));
        }
        for no in ["否", "n", "No", "false", "0", ""] {
            assert_eq!(parse_bool(&t(no)), Ok(false));
        }
        assert!(parse_bool(&t("maybe")).is_err());
    }

    #[test]
    fn numeric_cells_keep_their_exact_decimals() {
        assert_eq!(parse_money(&Cell::Number(18500.5)), Ok(185_005_000));
        assert_eq!(parse_money(&Cell::Number(999.9999)), Ok(9_999_999));
    }
}
