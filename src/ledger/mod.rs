//! Ledgers (台账): the exchange format units hand in, read with every error reported
//! by sheet, row and column, and written back out (see `docs/ledger.md`).
//!
//! Reading is two steps: [`source`] turns a workbook or CSV folder into raw tables of
//! cells, [`read`] turns those into typed rows and checks them ([`Ledger::check`]),
//! the same check a generated ledger (the demo district) goes through.

mod pipeline;
pub mod read;
pub mod schema;
pub mod source;
pub mod values;
pub mod write;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use entities::{
    element_issue, engagement, event, incentive, industry, investor, progress, project, supervision_item, target, unit,
};

pub use read::read_ledger;
pub use write::write_ledger;

/// A whole ledger as typed rows, each with the spreadsheet row it came from.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// `units`; derived from the projects' `unit` values when the sheet is absent.
    pub units: Vec<(usize, unit::Model)>,
    /// `industries`; `None` when the sheet is absent (the built-in taxonomy applies).
    pub industries: Option<Vec<(usize, industry::Model)>>,
    /// `investors` (客商名录); on export, every stored investor.
    pub investors: Vec<(usize, investor::Model)>,
    /// Investors named by projects or engagements but absent from `investors`: their
    /// name and the origin the projects give (stored without touching other fields).
    pub named_investors: Vec<investor::Model>,
    /// `projects`, with `unit_code` resolved to a unit code.
    pub projects: Vec<(usize, project::Model)>,
    /// `progress`.
    pub progress: Vec<(usize, progress::Model)>,
    /// `issues` (their `id` is not used).
    pub issues: Vec<(usize, element_issue::Model)>,
    /// `targets`, values in yuan for money metrics.
    pub targets: Vec<(usize, target::Model)>,
    /// `events` (招商活动), organizer resolved to a unit code.
    pub events: Vec<(usize, event::Model)>,
    /// `engagements` (对接记录), unit and event resolved to codes.
    pub engagements: Vec<(usize, engagement::Model)>,
    /// `incentives` (政策兑现), money in yuan.
    pub incentives: Vec<(usize, incentive::Model)>,
    /// `supervision` (督办事项), unit resolved to a code.
    pub supervision: Vec<(usize, supervision_item::Model)>,
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
    /// Investor names.
    pub investors: HashSet<String>,
    /// Event code → name.
    pub events: HashMap<String, String>,
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
        LedgerError { sheet: sheet.into(), row: Some(row), column: Some(column.into()), reason: reason.into() }
    }

    /// An error about a whole sheet.
    pub fn sheet(sheet: &str, reason: impl Into<String>) -> Self {
        LedgerError { sheet: sheet.into(), row: None, column: None, reason: reason.into() }
    }

    /// An error about a file.
    pub fn file(path: &Path, reason: impl Into<String>) -> Self {
        LedgerError { sheet: path.display().to_string(), row: None, column: None, reason: reason.into() }
    }
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
            + self.projects.len()
            + self.progress.len()
            + self.issues.len()
            + self.targets.len()
            + self.investors.len()
            + self.events.len()
            + self.engagements.len()
            + self.incentives.len()
            + self.supervision.len()
    }
}
