//! Incentive payment (政策兑现, `docs/metrics.md`, Incentives): promised and paid over
//! the incentives due, the payment rate (兑现率) and the overdue ones.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use entities::incentive;

/// How the summary is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncentiveGroup {
    /// One row.
    None,
    /// By the unit of the project.
    Unit,
    /// By kind (兑现类型); incentives without a kind form the group `None`.
    Kind,
}

/// paid(x, D): the paid amount once its day has come, else 0 (earlier instalments are
/// not dated).
pub fn paid_as_of(x: &incentive::Model, as_of: NaiveDate) -> i64 {
    if x.paid_date.is_some_and(|d| d <= as_of) { x.paid.unwrap_or(0) } else { 0 }
}

/// Whether x is due by `as_of`.
pub fn is_due(x: &incentive::Model, as_of: NaiveDate) -> bool {
    x.due_date <= as_of
}

/// Whether x is overdue as of `as_of`: past its due day and not fully paid.
pub fn is_overdue(x: &incentive::Model, as_of: NaiveDate) -> bool {
    x.due_date < as_of && paid_as_of(x, as_of) < x.promised
}

/// One row of the summary; money in yuan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IncentiveRow {
    /// The unit code or kind; none for the ungrouped row.
    pub group: Option<String>,
    /// Σ promised over the due incentives.
    pub promised: i64,
    /// Σ paid(x, D) over the due incentives.
    pub paid: i64,
    /// The overdue incentives.
    pub overdue_count: usize,
}

impl IncentiveRow {
    /// 兑现率: paid / promised; none when nothing promised is due.
    pub fn payment_rate(&self) -> Option<f64> {
        (self.promised != 0).then(|| self.paid as f64 / self.promised as f64)
    }
}

/// The summary as of `as_of`; `project_units` maps project codes to unit codes. Rows
/// are the groups with a due incentive, ordered (no kind last); ungrouped, one row.
pub fn summary(
    incentives: &[incentive::Model],
    project_units: &HashMap<String, String>,
    as_of: NaiveDate,
    group: IncentiveGroup,
) -> Vec<IncentiveRow> {
    let mut rows: BTreeMap<(bool, Option<String>), IncentiveRow> = BTreeMap::new();
    if group == IncentiveGroup::None {
        rows.insert((false, None), IncentiveRow::default());
    }
    for x in incentives.iter().filter(|x| is_due(x, as_of)) {
        let key = match group {
            IncentiveGroup::None => None,
            IncentiveGroup::Unit => project_units.get(&x.project_code).cloned(),
            IncentiveGroup::Kind => x.kind.clone(),
        };
        let row = rows
            .entry((group != IncentiveGroup::None && key.is_none(), key.clone()))
            .or_insert_with(|| IncentiveRow { group: key, ..Default::default() });
        row.promised += x.promised;
        row.paid += paid_as_of(x, as_of);
        row.overdue_count += usize::from(is_overdue(x, as_of));
    }
    rows.into_values().collect()
}
