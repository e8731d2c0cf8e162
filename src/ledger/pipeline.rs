//! The sheets of the work around the pipeline — `investors` (客商名录), `events`
//! (招商活动), `engagements` (对接记录), `incentives` (政策兑现), `supervision`
//! (督办事项): reading their rows, and checking references, keys and row rules (the
//! rules themselves live in [`crate::rules::pipeline`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use entities::{engagement, event, incentive, investor, project, supervision_item};

use super::read::{Row, RowReader};
use super::schema::{ENGAGEMENTS, EVENTS, INCENTIVES, INVESTORS, PROJECTS, SUPERVISION, Sheet};
use super::values::{parse_bool, parse_date, parse_money};
use super::{Known, Ledger, LedgerError};
use crate::rules::{RuleViolation, pipeline as rules};

/// Reads one of these sheets into the ledger (the caller has matched the others).
pub(super) fn read_sheet(ledger: &mut Ledger, rows: &mut RowReader<'_>) {
    match rows.sheet_key() {
        "investors" => ledger.investors = rows.each(read_investor),
        "events" => ledger.events = rows.each(read_event),
        "engagements" => ledger.engagements = rows.each(read_engagement),
        "incentives" => ledger.incentives = rows.each(read_incentive),
        _ => ledger.supervision = rows.each(read_supervision),
    }
}

fn read_investor(r: &mut Row) -> investor::Model {
    investor::Model {
        name: r.text_req("name"),
        origin: r.text("origin"),
        kind: r.text("kind"),
        industry_name: r.text("industry"),
        introduced_by: r.text("introduced_by"),
        owner_unit_code: r.text("owner"),
        status: r.text("status"),
        contact_name: r.text("contact_name"),
        contact_phone: r.text("contact_phone"),
        notes: r.text("notes"),
    }
}

fn read_event(r: &mut Row) -> event::Model {
    event::Model {
        code: r.text_req("code"),
        name: r.text_req("name"),
        kind: r.text("kind"),
        date: r.req("date", parse_date),
        end_date: r.opt("end_date", parse_date),
        place: r.text("place"),
        organizer_unit_code: r.text("organizer"),
        public: r.opt("public", parse_bool).unwrap_or(false),
        summary: r.text("summary"),
    }
}

fn read_engagement(r: &mut Row) -> engagement::Model {
    engagement::Model {
        investor_name: r.text_req("investor"),
        unit_code: r.text_req("unit"),
        date: r.req("date", parse_date),
        kind: r.text_req("kind"),
        event_code: r.text("event").unwrap_or_default(),
        outpost: r.text("outpost"),
        project_code: r.text("project"),
        summary: r.text("summary"),
        next_date: r.opt("next_date", parse_date),
    }
}

fn read_incentive(r: &mut Row) -> incentive::Model {
    incentive::Model {
        project_code: r.text_req("project"),
        policy: r.text_req("policy"),
        kind: r.text("kind"),
        promised: r.req("promised", parse_money),
        promised_date: r.req("promised_date", parse_date),
        due_date: r.req("due_date", parse_date),
        paid: r.opt("paid", parse_money),
        paid_date: r.opt("paid_date", parse_date),
    }
}

fn read_supervision(r: &mut Row) -> supervision_item::Model {
    supervision_item::Model {
        code: r.text_req("code"),
        unit_code: r.text_req("unit"),
        project_code: r.text("project"),
        source: r.text("source"),
        description: r.text_req("description"),
        raised_date: r.req("raised_date", parse_date),
        deadline: r.req("deadline", parse_date),
        closed_date: r.opt("closed_date", parse_date),
    }
}

/// The rows of these sheets, to be checked and resolved in place.
pub(super) struct Sheets<'a> {
    /// `investors` rows.
    pub investors: &'a mut Vec<(usize, investor::Model)>,
    /// Investors named by the projects (those in `investors` are taken out).
    pub named_investors: &'a mut Vec<investor::Model>,
    /// `events` rows.
    pub events: &'a mut Vec<(usize, event::Model)>,
    /// `engagements` rows.
    pub engagements: &'a mut Vec<(usize, engagement::Model)>,
    /// `incentives` rows.
    pub incentives: &'a mut Vec<(usize, incentive::Model)>,
    /// `supervision` rows.
    pub supervision: &'a mut Vec<(usize, supervision_item::Model)>,
}

/// What the rows may refer to.
pub(super) struct Refs<'a> {
    /// The database's keys.
    pub known: &'a Known,
    /// Project codes of the ledger and the database.
    pub projects: &'a HashSet<&'a str>,
    /// The ledger's projects (for their `signing_event`).
    pub project_rows: &'a [(usize, project::Model)],
    /// Industry names of the ledger, the database or the built-in taxonomy.
    pub industries: &'a HashSet<String>,
    /// Unit code or name → unit code.
    pub units: &'a HashMap<String, String>,
}

/// Collects the errors of one sheet.
struct Report<'a> {
    sheet: &'static Sheet,
    errors: &'a mut Vec<LedgerError>,
}

impl Report<'_> {
    fn cell(&mut self, row: usize, key: &str, reason: String) {
        self.errors.push(LedgerError::cell(self.sheet.key, row, self.sheet.zh(key), reason));
    }

    fn rules(&mut self, row: usize, violations: Vec<RuleViolation>) {
        for v in violations {
            self.cell(row, v.column, v.reason);
        }
    }

    /// Resolves a unit code or name to its code in place.
    fn unit(&mut self, row: usize, key: &str, value: &mut String, units: &HashMap<String, String>) {
        match units.get(value.as_str()) {
            Some(code) => *value = code.clone(),
            None => self.cell(row, key, format!("unknown unit {value:?}")),
        }
    }

    fn project(&mut self, row: usize, key: &str, code: Option<&str>, refs: &Refs) {
        if let Some(code) = code
            && !refs.projects.contains(code)
        {
            self.cell(row, key, format!("unknown project {code:?}"));
        }
    }

    /// Reports every row whose key was already used by an earlier row.
    fn duplicates<T, K: std::hash::Hash + Eq>(&mut self, rows: &[(usize, T)], column: &str, key: impl Fn(&T) -> K) {
        let mut seen: HashMap<K, usize> = HashMap::with_capacity(rows.len());
        for (row, value) in rows {
            let k = key(value);
            if let Some(first) = seen.get(&k) {
                let reason = format!("duplicate key: row {first} has the same");
                self.cell(*row, column, reason);
            } else {
                seen.insert(k, *row);
            }
        }
    }
}

/// Checks the five sheets: keys, references (resolving unit and event names to
/// codes), row rules; takes the origins the projects give onto the investors sheet.
pub(super) fn check(sheets: Sheets<'_>, refs: &Refs<'_>, errors: &mut Vec<LedgerError>, warnings: &mut Vec<String>) {
    let Sheets { investors, named_investors, events, engagements, incentives, supervision } = sheets;

    // Events first: the others name them.
    let mut r = Report { sheet: &EVENTS, errors };
    r.duplicates(events, "code", |e| e.code.clone());
    r.duplicates(events, "name", |e| e.name.clone());
    let mut event_codes: HashMap<String, String> = HashMap::new();
    for (code, name) in refs.known.events.iter().chain(events.iter().map(|(_, e)| (&e.code, &e.name))) {
        event_codes.insert(name.clone(), code.clone());
    }
    for (code, _) in refs.known.events.iter().chain(events.iter().map(|(_, e)| (&e.code, &e.name))) {
        event_codes.insert(code.clone(), code.clone());
    }
    for (row, e) in events.iter_mut() {
        if let Some(organizer) = e.organizer_unit_code.as_mut() {
            r.unit(*row, "organizer", organizer, refs.units);
        }
        r.rules(*row, rules::check_event(e));
    }
    signing_events_without_event(refs.project_rows, &event_codes, warnings);

    // Investors: the sheet, those the projects name, those the engagements name.
    let mut r = Report { sheet: &INVESTORS, errors: r.errors };
    r.duplicates(investors, "name", |i| i.name.clone());
    let in_sheet: HashSet<String> = investors.iter().map(|(_, i)| i.name.clone()).collect();
    let from_projects: HashMap<String, Option<String>> =
        named_investors.iter().map(|i| (i.name.clone(), i.origin.clone())).collect();
    named_investors.retain(|i| !in_sheet.contains(&i.name));
    let mut named: HashSet<&str> = named_investors.iter().map(|i| i.name.as_str()).collect();
    named.extend(engagements.iter().map(|(_, e)| e.investor_name.as_str()));
    for (row, i) in investors.iter_mut() {
        match (from_projects.get(&i.name).cloned().flatten(), &i.origin) {
            (Some(project_origin), Some(origin)) if &project_origin != origin => warnings.push(format!(
                "investors row {row}: {:?} comes from {origin:?} here and {project_origin:?} in projects; this sheet wins",
                i.name
            )),
            (Some(project_origin), None) => i.origin = Some(project_origin),
            _ => {}
        }
        if let Some(industry) = &i.industry_name
            && !refs.industries.contains(industry)
        {
            r.cell(*row, "industry", format!("unknown industry {industry:?}"));
        }
        if let Some(owner) = i.owner_unit_code.as_mut() {
            r.unit(*row, "owner", owner, refs.units);
        }
        if let Some(introducer) = &i.introduced_by
            && introducer != &i.name
            && !in_sheet.contains(introducer)
            && !named.contains(introducer.as_str())
            && !refs.known.investors.contains(introducer)
        {
            r.cell(*row, "introduced_by", format!("unknown investor {introducer:?}"));
        }
        r.rules(*row, rules::check_investor(i));
    }

    let mut r = Report { sheet: &ENGAGEMENTS, errors: r.errors };
    for (row, e) in engagements.iter_mut() {
        r.unit(*row, "unit", &mut e.unit_code, refs.units);
        if !e.event_code.is_empty() {
            match event_codes.get(&e.event_code) {
                Some(code) => e.event_code = code.clone(),
                None => r.cell(*row, "event", format!("unknown event {:?}", e.event_code)),
            }
        }
        r.project(*row, "project", e.project_code.as_deref(), refs);
        r.rules(*row, rules::check_engagement(e));
    }
    // Checked after resolving, so that an event given by code and by name is one key.
    r.duplicates(engagements, "date", |e| {
        (e.investor_name.clone(), e.unit_code.clone(), e.date, e.kind.clone(), e.event_code.clone())
    });

    let mut r = Report { sheet: &INCENTIVES, errors: r.errors };
    r.duplicates(incentives, "policy", |x| (x.project_code.clone(), x.policy.clone()));
    for (row, x) in incentives.iter() {
        r.project(*row, "project", Some(&x.project_code), refs);
        r.rules(*row, rules::check_incentive(x));
    }

    let mut r = Report { sheet: &SUPERVISION, errors: r.errors };
    r.duplicates(supervision, "code", |m| m.code.clone());
    for (row, m) in supervision.iter_mut() {
        r.unit(*row, "unit", &mut m.unit_code, refs.units);
        r.project(*row, "project", m.project_code.as_deref(), refs);
        r.rules(*row, rules::check_supervision(m));
    }
}

impl Ledger {
    /// The investors named only by engagements (neither in `investors` nor named by a
    /// project), with their name alone: they are created, never changed, by an import.
    pub fn contacted_investors(&self) -> Vec<investor::Model> {
        let mut seen: HashSet<&str> = self.investors.iter().map(|(_, i)| i.name.as_str()).collect();
        seen.extend(self.named_investors.iter().map(|i| i.name.as_str()));
        let mut out = Vec::new();
        for (_, e) in &self.engagements {
            if seen.insert(e.investor_name.as_str()) {
                out.push(investor::Model { name: e.investor_name.clone(), ..Default::default() });
            }
        }
        out
    }
}

/// One warning per `signing_event` value that names no event (it is kept as text).
fn signing_events_without_event(
    projects: &[(usize, project::Model)],
    event_codes: &HashMap<String, String>,
    warnings: &mut Vec<String>,
) {
    let mut unmatched: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (row, p) in projects {
        if let Some(name) = p.signing_event.as_deref()
            && !event_codes.contains_key(name)
        {
            unmatched.entry(name).or_default().push(*row);
        }
    }
    for (name, rows) in unmatched {
        let rows: Vec<String> = rows.iter().map(ToString::to_string).collect();
        warnings.push(format!(
            "projects rows {}, {}: {name:?} names no event of the ledger or the database; kept as text",
            rows.join(" "),
            PROJECTS.zh("signing_event")
        ));
    }
}
