//! Ledgers (台账): the exchange format units hand in, read with every error reported
//! by sheet, row and column, and written back out (see `docs/ledger.md`).
//!
//! Reading is two steps: [`source`] turns a workbook or CSV folder into raw tables of
//! cells, [`read`] turns those into typed rows and checks them ([`Ledger::check`]),
//! the same check a generated ledger (the demo district) goes through.

pub mod limits;
pub mod read;
pub mod schema;
pub mod source;
pub mod values;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use entities::{carrier, chain_link, element_issue, industry, investor, progress, project, target, unit};

pub use read::read_ledger;
use schema::Sheet;
pub use write::write_ledger;

/// A whole ledger as typed rows, each with the spreadsheet row it came from.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// `units`; derived from the projects' `unit` values when the sheet is absent.
    pub units: Vec<(usize, unit::Model)>,
    /// `industries`; `None` when the sheet is absent (the built-in taxonomy applies).
    pub industries: Option<Vec<(usize, industry::Model)>>,
    /// `chain_links` (产业链环节).
    pub chain_links: Vec<(usize, chain_link::Model)>,
    /// `carriers` (载体资源), with `unit_code` resolved to a unit code.
    pub carriers: Vec<(usize, carrier::Model)>,
    /// Investors named by the projects, with their origin.
    pub investors: Vec<investor::Model>,
    /// `projects`, with `unit_code` resolved to a unit code.
    pub projects: Vec<(usize, project::Model)>,
    /// `progress`.
    pub progress: Vec<(usize, progress::Model)>,
    /// `issues` (their `id` is not used).
    pub issues: Vec<(usize, element_issue::Model)>,
    /// `targets`, values in yuan for money metrics.
    pub targets: Vec<(usize, target::Model)>,
    /// Which columns each sheet gave: an import overwrites only these fields of the
    /// rows that exist already (`docs/ledger.md`: an absent column leaves them as they are).
    pub given: Given,
    /// The SHA-256 of the file or files it was read from; `None` when built in memory.
    pub fingerprint: Option<source::Fingerprint>,
}

/// Which columns of which sheets a ledger gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Given {
    /// Every column of every sheet: a ledger built in memory (the demo, an export).
    #[default]
    All,
    /// The column keys each sheet of a file had, by sheet key; a sheet absent from the
    /// file gives none.
    Columns(HashMap<&'static str, Vec<&'static str>>),
}

impl Given {
    /// Whether the ledger gave the column `key` of `sheet`.
    pub fn has(&self, sheet: &Sheet, key: &str) -> bool {
        match self {
            Given::All => true,
            Given::Columns(sheets) => sheets.get(sheet.key).is_some_and(|keys| keys.contains(&key)),
        }
    }

    /// Whether the ledger gave a column of `sheet` that fills the stored column `field`.
    pub fn fills(&self, sheet: &Sheet, field: &str) -> bool {
        match self {
            Given::All => true,
            Given::Columns(_) => sheet.columns.iter().any(|c| c.field == field && self.has(sheet, c.key)),
        }
    }
}

/// What the database already holds that a ledger may refer to.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Unit code → name.
    pub units: HashMap<String, String>,
    /// Industry names.
    pub industries: HashSet<String>,
    /// Project codes.
    pub projects: HashSet<String>,
    /// Chain links as projects name them (`产业链/环节`).
    pub chain_links: HashSet<String>,
    /// Carrier codes.
    pub carriers: HashSet<String>,
}

/// One thing wrong with a ledger, located as precisely as it can be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerError {
    /// The sheet's English name, or the file at fault.
    pub sheet: String,
    /// The row as a spreadsheet shows it (the header is row 1).
    pub row: Option<usize>,
    /// The column header.
    pub column: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl LedgerError {
    /// An error in one cell.
    pub fn cell(sheet: &str, row: usize, column: impl Into<String>, reason: impl Into<String>) -> Self {
        LedgerError {
            sheet: sheet.into(),
            row: Some(row),
            column: Some(shorten(column.into())),
            reason: shorten(reason.into()),
        }
    }

    /// An error about a whole sheet.
    pub fn sheet(sheet: &str, reason: impl Into<String>) -> Self {
        LedgerError { sheet: sheet.into(), row: None, column: None, reason: shorten(reason.into()) }
    }

    /// An error about a file.
    pub fn file(path: &Path, reason: impl Into<String>) -> Self {
        LedgerError { sheet: path.display().to_string(), row: None, column: None, reason: shorten(reason.into()) }
    }
}

/// The most characters of a cell's text or a header an error message repeats.
const ERROR_EXCERPT: usize = 240;

/// A reason or header cut to an excerpt when a huge cell would make it long: its start
/// and its end (where the reason says what is wrong) around the count of what was left out.
fn shorten(text: String) -> String {
    let count = text.chars().count();
    if count <= ERROR_EXCERPT + 80 {
        return text;
    }
    let head: String = text.chars().take(ERROR_EXCERPT).collect();
    let tail: String = text.chars().skip(count - 60).collect();
    format!("{head}…({} characters left out)…{tail}", count - ERROR_EXCERPT - 60)
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sheet)?;
        if let Some(row) = self.row {
            write!(f, " row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// All that is wrong with a ledger that was refused.
#[derive(Debug, thiserror::Error)]
#[error("the ledger has {} error(s); nothing was imported:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct LedgerErrors(pub Vec<LedgerError>);

impl Ledger {
    /// The number of rows across all sheets.
    pub fn row_count(&self) -> usize {
        self.units.len()
            + self.industries.as_ref().map_or(0, Vec::len)
            + self.chain_links.len()
            + self.carriers.len()
            + self.projects.len()
            + self.progress.len()
            + self.issues.len()
            + self.targets.len()
    }
}
