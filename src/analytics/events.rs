//! Event reports (以会招商, `docs/metrics.md`, Events): who attended, what was signed
//! there, and how much of it has landed — the cohort rates over the event's projects.

use std::collections::HashSet;

use chrono::NaiveDate;
use entities::event;

use super::cohort::Cohort;
use super::work::{ProjectFacts, WorkRows};
use crate::rules::Stage;

/// The events whose days [date, end_date] overlap `from..=to` (either end open), in
/// order of their first day.
pub fn events_in(work: &WorkRows, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<&event::Model> {
    work.events.iter().filter(|e| from.is_none_or(|f| last_day(e) >= f) && to.is_none_or(|t| e.date <= t)).collect()
}

/// The last day of an event (its first day when it has no end).
pub fn last_day(e: &event::Model) -> NaiveDate {
    e.end_date.unwrap_or(e.date)
}

/// What an event brought, as of a day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventReport {
    /// Distinct investors with an engagement at the event, dated by the as-of day.
    pub attendees: usize,
    /// E: the event's projects SIGNED by the as-of day, as a cohort (its rates are the
    /// event's landing, production and fund-arrival rates).
    pub signed: Cohort,
    /// The projects of E not STARTED and not terminated by the as-of day, by code.
    pub not_landed: Vec<String>,
}

impl EventReport {
    /// |E|
    pub fn signed_count(&self) -> usize {
        self.signed.size()
    }
}

/// The report of `event` as of `as_of`.
pub fn report(work: &WorkRows, event: &str, as_of: NaiveDate) -> EventReport {
    let attendees: HashSet<&str> = work
        .engagements
        .iter()
        .filter(|e| e.event_code == event && e.date <= as_of)
        .map(|e| e.investor_name.as_str())
        .collect();
    let members: Vec<&ProjectFacts> = work
        .projects_of_event
        .get(event)
        .into_iter()
        .flatten()
        .filter_map(|code| work.projects.get(code))
        .filter(|p| p.reached(Stage::Signed, as_of))
        .collect();
    let mut signed = Cohort::default();
    let mut not_landed = Vec::new();
    for p in members {
        let arrived = p.funds_up_to(as_of);
        let landed = p.reached(Stage::Started, as_of);
        signed.members.push(p.code.clone());
        signed.total_investment += p.total;
        signed.funds_arrived += arrived;
        if landed {
            signed.landed.push(p.code.clone());
        } else if !p.terminated_by(as_of) {
            not_landed.push(p.code.clone());
        }
        if p.reached(Stage::Producing, as_of) {
            signed.producing.push(p.code.clone());
        }
        if landed || arrived > 0 {
            signed.fulfilled.push(p.code.clone());
        }
        if p.registered.is_some_and(|d| d <= as_of) {
            signed.registered.push(p.code.clone());
        }
    }
    EventReport { attendees: attendees.len(), signed, not_landed }
}
