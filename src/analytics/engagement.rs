//! The engagement funnel before intent (对接 → 考察 → 意向 → 签约) and the follow-ups
//! overdue (跟进逾期), as `docs/metrics.md` defines them.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use entities::engagement;

use super::cohort::rate;
use super::work::WorkRows;
use crate::rules::Stage;
use crate::rules::pipeline::vocab;

/// How the funnel is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngagementGroup {
    /// One row.
    None,
    /// By the unit of first contact.
    Unit,
    /// By the outpost of first contact (none: the group `None`).
    Outpost,
}

/// One row of the funnel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunnelRow {
    /// The unit code or outpost; none for the ungrouped row and for contacts made
    /// without an outpost.
    pub group: Option<String>,
    /// |K|: investors first contacted in the period and by the as-of day.
    pub contacted: usize,
    /// Those who visited the district (来区考察) by the as-of day.
    pub visited: usize,
    /// Those with a project at INTENT on or after first contact, by the as-of day.
    pub intent: usize,
    /// Those with a project SIGNED on or after first contact, by the as-of day.
    pub signed: usize,
}

impl FunnelRow {
    /// visited / contacted
    pub fn visit_rate(&self) -> Option<f64> {
        rate(self.visited, self.contacted)
    }
    /// intent / contacted
    pub fn intent_rate(&self) -> Option<f64> {
        rate(self.intent, self.contacted)
    }
    /// signed / contacted
    pub fn signing_rate(&self) -> Option<f64> {
        rate(self.signed, self.contacted)
    }
}

/// The order of engagements on the same day for "its unit and outpost": the smallest
/// unit code, then the smallest outpost, an empty outpost last.
fn tie_order(e: &engagement::Model) -> (&str, bool, &str) {
    (e.unit_code.as_str(), e.outpost.is_none(), e.outpost.as_deref().unwrap_or(""))
}

/// What became of one investor's first contact.
struct Contact<'a> {
    first: &'a engagement::Model,
    visited: bool,
    intent: bool,
    signed: bool,
}

/// The engagements of each investor dated on or before `as_of`.
fn engagements_by_investor(work: &WorkRows, as_of: NaiveDate) -> HashMap<&str, Vec<&engagement::Model>> {
    let mut by_investor: HashMap<&str, Vec<&engagement::Model>> = HashMap::new();
    for e in work.engagements.iter().filter(|e| e.date <= as_of) {
        by_investor.entry(e.investor_name.as_str()).or_default().push(e);
    }
    by_investor
}

/// The earliest reach of `stage` on or after `from` over the investor's projects.
fn reached_after(work: &WorkRows, investor: &str, stage: Stage, from: NaiveDate) -> Option<NaiveDate> {
    let codes = work.projects_of_investor.get(investor)?;
    codes.iter().filter_map(|c| work.projects.get(c)?.reach[stage.index()]).filter(|d| *d >= from).min()
}

/// The funnel of the investors first contacted from `from` to `to`, as of `as_of`.
pub fn funnel(
    work: &WorkRows,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    group: EngagementGroup,
) -> Vec<FunnelRow> {
    let mut contacts = Vec::new();
    for (investor, list) in engagements_by_investor(work, as_of) {
        let Some(first) = list.iter().copied().min_by(|a, b| (a.date, tie_order(a)).cmp(&(b.date, tie_order(b))))
        else {
            continue;
        };
        if first.date < from || first.date > to {
            continue;
        }
        let visited = list.iter().any(|e| e.kind == vocab::VISIT);
        let intent = reached_after(work, investor, Stage::Intent, first.date).is_some_and(|d| d <= as_of);
        let signed = reached_after(work, investor, Stage::Signed, first.date).is_some_and(|d| d <= as_of);
        contacts.push(Contact { first, visited, intent, signed });
    }
    let mut rows: BTreeMap<(bool, Option<String>), FunnelRow> = BTreeMap::new();
    if group == EngagementGroup::None {
        rows.insert((false, None), FunnelRow::default());
    }
    for c in contacts {
        let key = match group {
            EngagementGroup::None => None,
            EngagementGroup::Unit => Some(c.first.unit_code.clone()),
            EngagementGroup::Outpost => c.first.outpost.clone(),
        };
        // Named groups in order, the group without an outpost last.
        let row = rows
            .entry((group != EngagementGroup::None && key.is_none(), key.clone()))
            .or_insert_with(|| FunnelRow { group: key, ..Default::default() });
        row.contacted += 1;
        row.visited += usize::from(c.visited);
        row.intent += usize::from(c.intent);
        row.signed += usize::from(c.signed);
    }
    rows.into_values().collect()
}

/// An investor being followed whose planned follow-up is past.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueFollowUp {
    /// The investor.
    pub investor: String,
    /// The unit of its latest engagement (the smallest code on a tie).
    pub unit: String,
    /// The planned follow-up day F that passed.
    pub due: NaiveDate,
    /// D − F.
    pub days: i64,
}

/// The overdue follow-ups as of `as_of`: investors being followed (their current
/// status `跟进中` or empty) with no project SIGNED by `as_of`, whose latest next_date
/// among their engagements on their latest engagement day is before `as_of`.
pub fn overdue_follow_ups(work: &WorkRows, as_of: NaiveDate) -> Vec<OverdueFollowUp> {
    let by_investor = engagements_by_investor(work, as_of);
    let mut out = Vec::new();
    for investor in work.investors.iter() {
        if investor.status.as_deref().is_some_and(|s| s != vocab::FOLLOWING) {
            continue;
        }
        let Some(list) = by_investor.get(investor.name.as_str()) else { continue };
        let signed = work.projects_of_investor.get(&investor.name).is_some_and(|codes| {
            codes.iter().any(|c| work.projects.get(c).is_some_and(|p| p.reached(Stage::Signed, as_of)))
        });
        if signed {
            continue;
        }
        let Some(latest_day) = list.iter().map(|e| e.date).max() else { continue };
        let latest: Vec<&&engagement::Model> = list.iter().filter(|e| e.date == latest_day).collect();
        let Some(due) = latest.iter().filter_map(|e| e.next_date).max() else { continue };
        if due >= as_of {
            continue;
        }
        let unit = latest.iter().map(|e| e.unit_code.as_str()).min().unwrap_or_default().to_string();
        out.push(OverdueFollowUp { investor: investor.name.clone(), unit, due, days: (as_of - due).num_days() });
    }
    out.sort_by(|a, b| (&a.unit, &a.investor).cmp(&(&b.unit, &b.investor)));
    out
}
