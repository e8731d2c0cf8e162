//! Reading a ledger's sheets as raw tables of cells, from an `.xlsx` workbook or from a
//! folder of CSV files in UTF-8 (with or without BOM) or GB18030.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::LedgerError;
use super::schema::{SHEETS, Sheet};
use super::values::{Cell, date_from_serial};

/// One sheet as read: its headers and rows of cells.
#[derive(Debug)]
pub struct RawTable {
    /// Which sheet of the spec this is.
    pub sheet: &'static Sheet,
    /// For each of the sheet's columns, where it stands in the file and its header there.
    pub columns: Vec<Option<(usize, String)>>,
    /// The rows with their row numbers as a spreadsheet shows them (header = row 1).
    pub rows: Vec<(usize, Vec<Cell>)>,
}

impl RawTable {
    /// Builds a table from a header row and data rows, matching headers to the spec.
    /// Unknown headers become warnings; missing required columns become errors.
    fn new(
        sheet: &'static Sheet,
        headers: Vec<String>,
        rows: Vec<(usize, Vec<Cell>)>,
        warnings: &mut Vec<String>,
        errors: &mut Vec<LedgerError>,
    ) -> RawTable {
        let mut columns = vec![None; sheet.columns.len()];
        for (position, header) in headers.iter().enumerate() {
            if header.trim().is_empty() {
                continue;
            }
            match sheet.column_index(header) {
                Some(i) if columns[i].is_none() => columns[i] = Some((position, header.trim().to_string())),
                Some(_) => {
                    errors.push(LedgerError::sheet(sheet.key, format!("column {:?} appears twice", header.trim())))
                }
                None => warnings.push(format!("{}: unknown column {:?} ignored", sheet.key, header.trim())),
            }
        }
        for (column, found) in sheet.columns.iter().zip(&columns) {
            if column.required && found.is_none() {
                errors.push(LedgerError::sheet(
                    sheet.key,
                    format!("required column {} ({}) is missing", column.zh, column.key),
                ));
            }
        }
        let rows = rows.into_iter().filter(|(_, cells)| cells.iter().any(|c| *c != Cell::Empty)).collect();
        RawTable { sheet, columns, rows }
    }

    /// The cell of a row under the column with this key (empty when the column is absent).
    pub fn cell<'a>(&self, cells: &'a [Cell], key: &str) -> &'a Cell {
        self.position(key).and_then(|p| cells.get(p)).unwrap_or(&Cell::Empty)
    }

    /// The header used in the file for a column key, else its Chinese header.
    pub fn header(&self, key: &str) -> String {
        let index = self.sheet.columns.iter().position(|c| c.key == key);
        match index.and_then(|i| self.columns[i].as_ref()) {
            Some((_, header)) => header.clone(),
            None => index.map(|i| self.sheet.columns[i].zh.to_string()).unwrap_or_else(|| key.to_string()),
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        let index = self.sheet.columns.iter().position(|c| c.key == key)?;
        self.columns[index].as_ref().map(|(p, _)| *p)
    }
}

/// The SHA-256 of the bytes a ledger was read from, for the audit trail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    /// Of a workbook: the file's SHA-256 (what `sha256sum ledger.xlsx` prints). Of a CSV
    /// folder: the SHA-256 of the `sha256sum` listing of the CSV files it read, in byte
    /// order of their names (`LC_ALL=C sha256sum projects.csv units.csv … | sha256sum`).
    pub sha256: String,
    /// Each file read, by name, with its own SHA-256, in name order.
    pub files: Vec<(String, String)>,
}

impl Fingerprint {
    /// Of a CSV folder: the SHA-256 of the listing; of a workbook, its own.
    fn of_files(mut files: Vec<(String, String)>, folder: bool) -> Fingerprint {
        files.sort();
        let sha256 = match files.as_slice() {
            [(_, hash)] if !folder => hash.clone(),
            _ => {
                hex_sha256(files.iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect::<String>().as_bytes())
            }
        };
        Fingerprint { sha256, files }
    }
}

/// A SHA-256 in lower-case hex.
fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads every sheet of the spec that the ledger at `path` has, and the fingerprint of
/// the bytes read.
pub fn read_tables(path: &Path, warnings: &mut Vec<String>) -> Result<(Vec<RawTable>, Fingerprint), Vec<LedgerError>> {
    let mut errors = Vec::new();
    let mut files = Vec::new();
    let tables = if path.is_dir() {
        read_csv_folder(path, &mut files, warnings, &mut errors)
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        read_workbook(path, &mut files, warnings, &mut errors)
    } else {
        errors.push(LedgerError::file(path, "is neither an .xlsx workbook nor a folder of CSV files"));
        Vec::new()
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if !tables.iter().any(|t| t.sheet.key == "projects") {
        return Err(vec![LedgerError::file(path, "has no projects sheet (项目 / projects), the one required sheet")]);
    }
    Ok((tables, Fingerprint::of_files(files, path.is_dir())))
}

fn read_workbook(
    path: &Path,
    files: &mut Vec<(String, String)>,
    warnings: &mut Vec<String>,
    errors: &mut Vec<LedgerError>,
) -> Vec<RawTable> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            errors.push(LedgerError::file(path, format!("cannot be read: {e}")));
            return Vec::new();
        }
    };
    files.push((file_name(path), hex_sha256(&bytes)));
    let mut workbook = match Xlsx::new(Cursor::new(bytes)) {
        Ok(w) => w,
        Err(e) => {
            errors.push(LedgerError::file(path, format!("cannot be opened as a workbook: {e}")));
            return Vec::new();
        }
    };
    let mut tables = Vec::new();
    for name in workbook.sheet_names() {
        let Some(sheet) = SHEETS.iter().copied().find(|s| s.is_named(&name)) else {
            warnings.push(format!("sheet {name:?} is not part of the ledger format and was ignored"));
            continue;
        };
        let range = match workbook.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                errors.push(LedgerError::sheet(sheet.key, format!("cannot be read: {e}")));
                continue;
            }
        };
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let mut rows = range.rows().enumerate().map(|(i, cells)| {
            let mut row = vec![Cell::Empty; first_col];
            row.extend(cells.iter().map(workbook_cell));
            (first_row + i + 1, row)
        });
        let Some((_, header)) = rows.next() else { continue };
        let headers = header.iter().map(Cell::display).collect();
        tables.push(RawTable::new(sheet, headers, rows.collect(), warnings, errors));
    }
    tables
}

fn workbook_cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::text(s),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
        Data::DateTime(dt) => date_from_serial(dt.as_f64()).map(Cell::Date).unwrap_or(Cell::Number(dt.as_f64())),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn read_csv_folder(
    dir: &Path,
    files: &mut Vec<(String, String)>,
    warnings: &mut Vec<String>,
    errors: &mut Vec<LedgerError>,
) -> Vec<RawTable> {
    let mut tables = Vec::new();
    for sheet in SHEETS {
        let candidates = [format!("{}.csv", sheet.key), format!("{}.csv", sheet.zh)];
        let Some(path) = candidates.iter().map(|n| dir.join(n)).find(|p| p.is_file()) else { continue };
        let read = std::fs::read(&path);
        if let Ok(bytes) = &read {
            files.push((file_name(&path), hex_sha256(bytes)));
        }
        match read {
            Ok(bytes) => match decode(&bytes) {
                Ok(text) => match parse_csv(&text) {
                    Ok((headers, rows)) => tables.push(RawTable::new(sheet, headers, rows, warnings, errors)),
                    Err(e) => errors.push(LedgerError::sheet(sheet.key, format!("is not valid CSV: {e}"))),
                },
                Err(reason) => errors.push(LedgerError::file(&path, reason)),
            },
            Err(e) => errors.push(LedgerError::file(&path, format!("cannot be read: {e}"))),
        }
    }
    tables
}

/// Decodes a CSV file's bytes: UTF-8 with a BOM, plain UTF-8, else GB18030 (which
/// includes GBK), as a Chinese Excel saves it.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| "starts with a UTF-8 BOM but is not UTF-8".to_string());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err("is neither UTF-8 nor GB18030/GBK text".into());
    }
    Ok(text.into_owned())
}

type Rows = Vec<(usize, Vec<Cell>)>;

fn parse_csv(text: &str) -> Result<(Vec<String>, Rows), csv::Error> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers = match records.next() {
        Some(record) => record?.iter().map(|h| h.trim().to_string()).collect(),
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let record = record?;
        rows.push((i + 2, record.iter().map(Cell::text).collect()));
    }
    Ok((headers, rows))
}
