//! Supervision (督办, `docs/metrics.md`, Supervision): items open and overdue as of a
//! day, their level (分级通报), and the on-time rate of the items due in a period.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::supervision_item;

use super::cohort::rate;

/// Whether m is open as of `as_of`: raised by then and not closed by then.
pub fn is_open(m: &supervision_item::Model, as_of: NaiveDate) -> bool {
    m.raised_date <= as_of && m.closed_date.is_none_or(|c| c > as_of)
}

/// The days m is overdue as of `as_of` (open and past its deadline), if it is.
pub fn days_overdue(m: &supervision_item::Model, as_of: NaiveDate) -> Option<i64> {
    (is_open(m, as_of) && m.deadline < as_of).then(|| (as_of - m.deadline).num_days())
}

/// The level of an item overdue by `days` (分级通报): 1–15 `提醒`, 16–30 `通报`, over
/// 30 `约谈`.
pub fn level(days: i64) -> &'static str {
    match days {
        ..=15 => "提醒",
        16..=30 => "通报",
        _ => "约谈",
    }
}

/// Whether m is due in `from..=to` (its deadline in the period and by `as_of`).
pub fn is_due(m: &supervision_item::Model, from: NaiveDate, to: NaiveDate, as_of: NaiveDate) -> bool {
    m.deadline >= from && m.deadline <= to && m.deadline <= as_of
}

/// Whether m was closed on time, as seen on `as_of`.
pub fn closed_on_time(m: &supervision_item::Model, as_of: NaiveDate) -> bool {
    m.closed_date.is_some_and(|c| c <= m.deadline && c <= as_of)
}

/// How the summary is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupervisionGroup {
    /// One row.
    None,
    /// By the responsible unit.
    Unit,
}

/// One row of the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SupervisionRow {
    /// The unit code; none for the ungrouped row.
    pub group: Option<String>,
    /// Items open as of the day.
    pub open: usize,
    /// Items overdue as of the day.
    pub overdue: usize,
    /// due(P): items with their deadline in the period and by the day.
    pub due: usize,
    /// Those of due(P) closed by their deadline (and by the day).
    pub on_time: usize,
}

impl SupervisionRow {
    /// on_time / due; none when nothing was due.
    pub fn on_time_rate(&self) -> Option<f64> {
        rate(self.on_time, self.due)
    }
}

/// The summary for the period `from..=to` as of `as_of`. `open` and `overdue` are the
/// state on `as_of` (the period does not restrict them); a group has a row when one of
/// its items is open or due in the period; ungrouped, one row.
pub fn summary(
    items: &[supervision_item::Model],
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    group: SupervisionGroup,
) -> Vec<SupervisionRow> {
    let mut rows: BTreeMap<Option<String>, SupervisionRow> = BTreeMap::new();
    if group == SupervisionGroup::None {
        rows.insert(None, SupervisionRow::default());
    }
    for m in items {
        let (open, due) = (is_open(m, as_of), is_due(m, from, to, as_of));
        if !open && !due {
            continue;
        }
        let key = (group == SupervisionGroup::Unit).then(|| m.unit_code.clone());
        let row = rows.entry(key.clone()).or_insert_with(|| SupervisionRow { group: key, ..Default::default() });
        row.open += usize::from(open);
        row.overdue += usize::from(days_overdue(m, as_of).is_some());
        row.due += usize::from(due);
        row.on_time += usize::from(due && closed_on_time(m, as_of));
    }
    rows.into_values().collect()
}
