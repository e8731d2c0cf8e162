//! Reading a ledger's sheets as raw tables of cells, from an `.xlsx` workbook or from a
//! folder of CSV files in UTF-8 (with or without BOM) or GB18030.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, DataRef, Reader, Xlsx};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::LedgerError;
use super::limits::{self, Budget};
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
    let mut budget = Budget::default();
    let tables = if path.is_dir() {
        read_csv_folder(path, &mut files, &mut budget, warnings, &mut errors)
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        read_workbook(path, &mut files, &mut budget, warnings, &mut errors)
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

/// Reads a whole file whose size is at most [`limits::MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("cannot be read: {e}"))?.len();
    if size > limits::MAX_FILE_BYTES {
        return Err(format!(
            "is {} bytes; a ledger file may be at most {} bytes (limit MAX_FILE_BYTES)",
            limits::thousands(size),
            limits::thousands(limits::MAX_FILE_BYTES)
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // The file may grow after it was measured: never read past the limit.
    std::fs::File::open(path)
        .and_then(|f| f.take(limits::MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(format!(
            "grew past {} bytes while being read (limit MAX_FILE_BYTES)",
            limits::thousands(limits::MAX_FILE_BYTES)
        ));
    }
    Ok(bytes)
}

fn read_workbook(
    path: &Path,
    files: &mut Vec<(String, String)>,
    budget: &mut Budget,
    warnings: &mut Vec<String>,
    errors: &mut Vec<LedgerError>,
) -> Vec<RawTable> {
    let bytes = match read_bounded(path) {
        Ok(bytes) => bytes,
        Err(reason) => {
            errors.push(LedgerError::file(path, reason));
            return Vec::new();
        }
    };
    files.push((file_name(path), hex_sha256(&bytes)));
    if let Err(reason) = limits::check_zip(&bytes) {
        errors.push(LedgerError::file(path, reason));
        return Vec::new();
    }
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
        match read_worksheet(&mut workbook, &name, sheet, budget, errors) {
            Ok(Some((headers, rows))) => tables.push(RawTable::new(sheet, headers, rows, warnings, errors)),
            Ok(None) => {}
            Err(reason) => errors.push(LedgerError::sheet(sheet.key, reason)),
        }
    }
    tables
}

/// Reads one worksheet cell by cell (never trusting its `<dimension>`, which may claim
/// any size): its header row (the first row with a value) and the rows below, each as
/// wide as the header. `None` for a sheet without values.
fn read_worksheet(
    workbook: &mut Xlsx<Cursor<Vec<u8>>>,
    name: &str,
    sheet: &'static Sheet,
    budget: &mut Budget,
    errors: &mut Vec<LedgerError>,
) -> Result<Option<(Vec<String>, Rows)>, String> {
    let mut reader = workbook.worksheet_cells_reader(name).map_err(|e| format!("cannot be read: {e}"))?;
    // Sparse first: memory follows the cells present, not the positions they claim.
    let mut sparse: BTreeMap<usize, Vec<(usize, Cell)>> = BTreeMap::new();
    let mut too_long = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| format!("cannot be read: {e}"))? {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        if column >= limits::MAX_COLUMNS {
            return Err(limits::too_many_columns(column + 1));
        }
        if row >= limits::MAX_ROWS {
            return Err(limits::too_many_rows());
        }
        let value = cell.get_value();
        if let DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) = value {
            budget.text(s.len())?;
        }
        if let DataRef::SharedString(s) = value {
            budget.text(s.len())?;
        }
        let text = match value {
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s.as_str()),
            DataRef::SharedString(s) => Some(*s),
            _ => None,
        };
        if let Some(reason) = text.and_then(limits::cell_too_long) {
            too_long.push((row + 1, column, reason));
            continue;
        }
        let value = workbook_cell(&Data::from(value.clone()));
        if value != Cell::Empty {
            budget.row(1)?;
            sparse.entry(row).or_default().push((column, value));
        }
    }
    let Some((_, header_cells)) = sparse.pop_first() else {
        errors.extend(
            too_long
                .into_iter()
                .map(|(row, column, reason)| LedgerError::cell(sheet.key, row, column_letters(column), reason)),
        );
        return Ok(None);
    };
    let width = header_cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
    let mut headers = vec![String::new(); width];
    for (column, cell) in header_cells {
        headers[column] = cell.display();
    }
    let header_of = |column: usize| match headers.get(column) {
        Some(h) if !h.trim().is_empty() => h.trim().to_string(),
        _ => column_letters(column),
    };
    errors.extend(
        too_long.into_iter().map(|(row, column, reason)| LedgerError::cell(sheet.key, row, header_of(column), reason)),
    );
    let mut rows = Vec::with_capacity(sparse.len());
    for (row, cells) in sparse {
        // Cells right of the last header have no column: they are not read.
        budget.row(width)?;
        let mut dense = vec![Cell::Empty; width];
        for (column, cell) in cells.into_iter().filter(|(c, _)| *c < width) {
            dense[column] = cell;
        }
        rows.push((row + 1, dense));
    }
    Ok(Some((headers, rows)))
}

/// A column's letters as a spreadsheet shows them (0 → `A`, 26 → `AA`).
fn column_letters(column: usize) -> String {
    let mut n = column + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    format!("column {}", letters.iter().rev().collect::<String>())
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
    budget: &mut Budget,
    warnings: &mut Vec<String>,
    errors: &mut Vec<LedgerError>,
) -> Vec<RawTable> {
    let mut tables = Vec::new();
    for sheet in SHEETS {
        let candidates = [format!("{}.csv", sheet.key), format!("{}.csv", sheet.zh)];
        let Some(path) = candidates.iter().map(|n| dir.join(n)).find(|p| p.is_file()) else { continue };
        let read = read_bounded(&path);
        if let Ok(bytes) = &read {
            files.push((file_name(&path), hex_sha256(bytes)));
        }
        match read {
            Ok(bytes) => match decode(&bytes) {
                Ok(text) => match parse_csv(&text, sheet, budget, errors) {
                    Ok((headers, rows)) => tables.push(RawTable::new(sheet, headers, rows, warnings, errors)),
                    Err(reason) => errors.push(LedgerError::sheet(sheet.key, reason)),
                },
                Err(reason) => errors.push(LedgerError::file(&path, reason)),
            },
            Err(reason) => errors.push(LedgerError::file(&path, reason)),
        }
    }
    tables
}

/// Decodes a CSV file's bytes: UTF-8 with a BOM, plain UTF-8, else GB18030 (which
/// includes GBK), as a Chinese Excel saves it.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 (Excel: \"CSV UTF-8\") or GB18030".into());
    }
    // UTF-16 without a mark: every ASCII character (commas, digits, line breaks) comes
    // with a NUL byte; no text CSV has one byte in eight NUL. A stray NUL in a cell is
    // left to the row checks, which name its row and column.
    if bytes.len() >= 4 && bytes.iter().filter(|b| **b == 0).count() * 8 >= bytes.len() {
        return Err("holds NUL bytes between its characters, as UTF-16 text does; save it as UTF-8 (Excel: \"CSV UTF-8\") or GB18030".into());
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| "starts with a UTF-8 BOM but is not UTF-8".to_string());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err("is neither UTF-8 nor GB18030/GBK text; save it as UTF-8 (Excel: \"CSV UTF-8\") or GB18030".into());
    }
    Ok(text.into_owned())
}

type Rows = Vec<(usize, Vec<Cell>)>;

/// Parses a CSV text within the limits: cells too long are errors of their row, too
/// many rows, columns or cells an error of the sheet.
fn parse_csv(
    text: &str,
    sheet: &'static Sheet,
    budget: &mut Budget,
    errors: &mut Vec<LedgerError>,
) -> Result<(Vec<String>, Rows), String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let invalid = |e: csv::Error| format!("is not valid CSV: {e}");
    let headers: Vec<String> = match records.next() {
        Some(record) => {
            let record = record.map_err(invalid)?;
            if record.len() > limits::MAX_COLUMNS {
                return Err(limits::too_many_columns(record.len()));
            }
            record.iter().map(|h| h.trim().to_string()).collect()
        }
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let record = record.map_err(invalid)?;
        let row = i + 2;
        if record.len() > limits::MAX_COLUMNS {
            return Err(limits::too_many_columns(record.len()));
        }
        if row > limits::MAX_ROWS {
            return Err(limits::too_many_rows());
        }
        budget.row(record.len())?;
        let mut cells = Vec::with_capacity(record.len());
        for (column, field) in record.iter().enumerate() {
            budget.text(field.len())?;
            match limits::cell_too_long(field) {
                Some(reason) => {
                    let header = headers.get(column).filter(|h| !h.is_empty()).cloned();
                    errors.push(LedgerError::cell(
                        sheet.key,
                        row,
                        header.unwrap_or_else(|| column_letters(column)),
                        reason,
                    ));
                    cells.push(Cell::Empty);
                }
                None => cells.push(Cell::text(field)),
            }
        }
        rows.push((row, cells));
    }
    Ok((headers, rows))
}
