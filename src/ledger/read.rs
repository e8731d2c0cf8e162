//! From raw tables to a checked [`Ledger`]: each cell parsed by the kind of its
//! column, then the whole checked for references, duplicate keys and row rules.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use entities::{carrier, chain_link, element_issue, industry, investor, progress, project, target, unit};

use super::schema::{CARRIERS, CHAIN_LINKS, INDUSTRIES, ISSUES, PROGRESS, PROJECTS, TARGETS, UNITS};
use super::source::{RawTable, read_tables};
use super::values::{Cell, parse_bool, parse_date, parse_decimal, parse_integer, parse_money, parse_month};
use super::{Given, Known, Ledger, LedgerError, LedgerErrors};
use crate::rules::{self, vocab};

/// Reads and checks the ledger at `path` (an `.xlsx` or a CSV folder) against what the
/// database already knows. Returns the ledger and its warnings, or every error.
pub fn read_ledger(path: &Path, known: &Known) -> Result<(Ledger, Vec<String>), LedgerErrors> {
    let mut warnings = Vec::new();
    let (tables, fingerprint) = read_tables(path, &mut warnings).map_err(LedgerErrors)?;
    let mut errors = Vec::new();
    let mut ledger = Ledger::default();
    let mut given = HashMap::new();
    for table in &tables {
        let keys = table.sheet.columns.iter().zip(&table.columns).filter(|(_, found)| found.is_some());
        given.insert(table.sheet.key, keys.map(|(c, _)| c.key).collect());
        let mut rows = RowReader { table, errors: &mut errors };
        match table.sheet.key {
            "units" => ledger.units = rows.each(read_unit),
            "industries" => ledger.industries = Some(rows.each(read_industry)),
            "chain_links" => ledger.chain_links = rows.each(read_chain_link),
            "carriers" => ledger.carriers = rows.each(read_carrier),
            "projects" => {
                let with_investors = rows.each(read_project);
                ledger.investors = investors_of(&with_investors, &mut warnings);
                ledger.projects = with_investors.into_iter().map(|(n, (p, _))| (n, p)).collect();
            }
            "progress" => ledger.progress = rows.each(read_progress),
            "issues" => ledger.issues = rows.each(read_issue),
            _ => ledger.targets = rows.each(read_target),
        }
    }
    ledger.given = Given::Columns(given);
    ledger.fingerprint = Some(fingerprint);
    // Rows refused above still name their project: references to it are not reported
    // again as unknown, so each mistake is listed once.
    let mut known = known.clone();
    for table in &tables {
        let keys = table.rows.iter().map(|(_, cells)| table.cell(cells, "code").display());
        match table.sheet.key {
            "projects" => known.projects.extend(keys),
            "carriers" => known.carriers.extend(keys),
            "chain_links" => known.chain_links.extend(table.rows.iter().map(|(_, cells)| {
                format!("{}/{}", table.cell(cells, "chain").display(), table.cell(cells, "link").display())
            })),
            _ => {}
        }
    }
    errors.extend(ledger.check(&known, &mut warnings));
    if errors.is_empty() { Ok((ledger, warnings)) } else { Err(LedgerErrors(errors)) }
}

/// Reads cells of one table, recording every error with its row and header.
struct RowReader<'a> {
    table: &'a RawTable,
    errors: &'a mut Vec<LedgerError>,
}

/// One row being read.
struct Row<'a, 'b> {
    number: usize,
    cells: &'a [Cell],
    reader: &'a mut RowReader<'b>,
    failed: bool,
}

impl<'b> RowReader<'b> {
    /// Reads every row with `read`; rows with any error are left out (and reported).
    fn each<T>(&mut self, read: impl Fn(&mut Row<'_, 'b>) -> T) -> Vec<(usize, T)> {
        let table = self.table;
        let mut out = Vec::with_capacity(table.rows.len());
        for (number, cells) in &table.rows {
            let mut row = Row { number: *number, cells, reader: self, failed: false };
            row.refuse_control_characters();
            let value = read(&mut row);
            if !row.failed {
                out.push((*number, value));
            }
        }
        out
    }
}

impl Row<'_, '_> {
    /// Fails the row for each of its cells that holds a control character.
    fn refuse_control_characters(&mut self) {
        let sheet = self.reader.table.sheet;
        for column in sheet.columns {
            if let Some(reason) = self.cell(column.key).control_character() {
                self.fail(column.key, reason);
            }
        }
    }

    fn cell(&self, key: &str) -> &Cell {
        self.reader.table.cell(self.cells, key)
    }

    fn fail(&mut self, key: &str, reason: String) {
        self.failed = true;
        let table = self.reader.table;
        self.reader.errors.push(LedgerError::cell(table.sheet.key, self.number, table.header(key), reason));
    }

    /// An optional value: `None` when empty, else parsed (an error is recorded).
    fn opt<T>(&mut self, key: &str, parse: fn(&Cell) -> Result<T, String>) -> Option<T> {
        let cell = self.cell(key).clone();
        if cell == Cell::Empty {
            return None;
        }
        parse(&cell).map_err(|reason| self.fail(key, reason)).ok()
    }

    /// A required value; empty is an error.
    fn req<T: Default>(&mut self, key: &str, parse: fn(&Cell) -> Result<T, String>) -> T {
        if *self.cell(key) == Cell::Empty {
            self.fail(key, "is required but empty".into());
            return T::default();
        }
        self.opt(key, parse).unwrap_or_default()
    }

    fn text(&mut self, key: &str) -> Option<String> {
        self.opt(key, |c| Ok(c.display()))
    }

    fn text_req(&mut self, key: &str) -> String {
        self.req(key, |c| Ok(c.display()))
    }

    /// Text that must be one of `allowed`.
    fn choice(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.text(key)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.fail(key, format!("{value:?} is not one of {}", allowed.join(" ")));
            None
        }
    }

    /// Text that is required and must be one of `allowed`.
    fn choice_req(&mut self, key: &str, allowed: &[&str]) -> String {
        if *self.cell(key) == Cell::Empty {
            self.fail(key, "is required but empty".into());
            return String::new();
        }
        self.choice(key, allowed).unwrap_or_default()
    }
}

fn read_unit(r: &mut Row) -> unit::Model {
    unit::Model { code: r.text_req("code"), name: r.text_req("name"), kind: r.choice("kind", vocab::UNIT_KINDS) }
}

fn read_industry(r: &mut Row) -> industry::Model {
    industry::Model { name: r.text_req("name"), cluster: r.text("cluster") }
}

fn read_chain_link(r: &mut Row) -> chain_link::Model {
    let chain = r.text_req("chain");
    if chain.contains('/') {
        // Projects name a link as `产业链/环节`: a `/` in the chain would be ambiguous.
        r.fail("chain", format!("{chain:?} holds \"/\", which separates chain and link in projects"));
    }
    chain_link::Model {
        chain,
        cluster: r.text("cluster"),
        link: r.text_req("link"),
        position: r.choice_req("position", vocab::CHAIN_POSITIONS),
        link_order: r.opt("order", parse_integer),
        sought: r.text("sought"),
    }
}

fn read_carrier(r: &mut Row) -> carrier::Model {
    carrier::Model {
        code: r.text_req("code"),
        name: r.text_req("name"),
        kind: r.choice_req("kind", vocab::CARRIER_KINDS),
        unit_code: r.text_req("unit"),
        area_mu: r.opt("area_mu", parse_decimal),
        floor_area: r.opt("floor_area", parse_decimal),
        price: r.text("price"),
        status: r.choice_req("status", vocab::CARRIER_STATUSES),
        available_from: r.opt("available_from", parse_date),
        public: r.opt("public", parse_bool).unwrap_or(false),
        summary: r.text("summary"),
        contact_name: r.text("contact_name"),
        contact_phone: r.text("contact_phone"),
    }
}

/// A project and its investor's origin (kept on the investor).
fn read_project(r: &mut Row) -> (project::Model, Option<String>) {
    let project = project::Model {
        code: r.text_req("code"),
        version: 1,
        national_code: r.text("national_code"),
        name: r.text_req("name"),
        unit_code: r.text_req("unit"),
        industry_name: r.text_req("industry"),
        investor_name: r.text("investor"),
        channel: r.choice("channel", vocab::CHANNELS),
        contract_type: r.choice("contract_type", vocab::CONTRACT_TYPES),
        signing_event: r.text("signing_event"),
        total_investment: r.req("total_investment", parse_money),
        intent_date: r.opt("intent_date", parse_date),
        negotiation_date: r.opt("negotiation_date", parse_date),
        signed_date: r.opt("signed_date", parse_date),
        registered_date: r.opt("registered_date", parse_date),
        planned_start_date: r.opt("planned_start_date", parse_date),
        started_date: r.opt("started_date", parse_date),
        planned_production_date: r.opt("planned_production_date", parse_date),
        producing_date: r.opt("producing_date", parse_date),
        capacity_date: r.opt("capacity_date", parse_date),
        stats_date: r.opt("stats_date", parse_date),
        terminated_date: r.opt("terminated_date", parse_date),
        terminated_reason: r.text("terminated_reason"),
        land_area_mu: r.opt("land_area_mu", parse_decimal),
        expected_output: r.opt("expected_output", parse_money),
        expected_tax: r.opt("expected_tax", parse_money),
        expected_jobs: r.opt("expected_jobs", parse_integer),
        key_project: r.opt("key_project", parse_bool).unwrap_or(false),
        public: r.opt("public", parse_bool).unwrap_or(false),
        summary: r.text("summary"),
        chain_link: r.text("chain_link"),
        carrier_code: r.text("carrier"),
        contact_name: r.text("contact_name"),
        contact_phone: r.text("contact_phone"),
    };
    let origin = r.text("investor_origin");
    (project, origin)
}

fn read_progress(r: &mut Row) -> progress::Model {
    progress::Model {
        project_code: r.text_req("project"),
        month: r.req("month", parse_month),
        fai: r.opt("fai", parse_money),
        funds_arrived: r.opt("funds_arrived", parse_money),
        out_of_region_funds: r.opt("out_of_region_funds", parse_money),
    }
}

fn read_issue(r: &mut Row) -> element_issue::Model {
    element_issue::Model {
        id: 0,
        project_code: r.text_req("project"),
        category: r.choice("category", vocab::ISSUE_CATEGORIES).unwrap_or_default(),
        description: r.text_req("description"),
        owner_unit_code: r.text("owner"),
        opened_date: r.req("opened_date", parse_date),
        resolved_date: r.opt("resolved_date", parse_date),
    }
}

fn read_target(r: &mut Row) -> target::Model {
    let unit_code = r.text_req("unit");
    let year = r.req("year", parse_integer);
    if !(2000..=2100).contains(&year) && year != 0 {
        r.fail("year", format!("{year} is not a year"));
    }
    let metric_name = r.text_req("metric");
    let metric = rules::target_metric(&metric_name);
    if metric.is_none() && !metric_name.is_empty() {
        let names: Vec<_> = rules::TARGET_METRICS.iter().map(|m| m.zh).collect();
        r.fail("metric", format!("{metric_name:?} is not one of {}", names.join(" ")));
    }
    let money = metric.is_some_and(|m| m.money);
    let value = if money { r.req("value", parse_money) } else { r.req("value", parse_integer) };
    target::Model { unit_code, year: year as i32, metric: metric.map_or(metric_name, |m| m.key.to_string()), value }
}

/// The distinct investors of the projects, warning when one is given two origins.
fn investors_of(
    projects: &[(usize, (project::Model, Option<String>))],
    warnings: &mut Vec<String>,
) -> Vec<investor::Model> {
    let mut origins: HashMap<&str, Option<&String>> = HashMap::new();
    let mut order = Vec::new();
    for (row, (project, origin)) in projects {
        let Some(name) = project.investor_name.as_deref() else { continue };
        match origins.get(name) {
            None => {
                order.push(name);
                origins.insert(name, origin.as_ref());
            }
            Some(Some(first)) if origin.as_ref().is_some_and(|o| o != *first) => warnings.push(format!(
                "projects row {row}: investor {name:?} is given the origin {:?} here and {first:?} before; the first is kept",
                origin.as_deref().unwrap_or_default()
            )),
            Some(None) if origin.is_some() => {
                origins.insert(name, origin.as_ref());
            }
            Some(_) => {}
        }
    }
    order
        .into_iter()
        .map(|name| investor::Model { name: name.to_string(), origin: origins.get(name).copied().flatten().cloned() })
        .collect()
}

impl Ledger {
    /// Checks the typed ledger against itself and the database: duplicate keys,
    /// references, row rules. Resolves unit names to codes and, when the ledger has no
    /// `units` sheet, creates the units its projects name. Returns every error.
    pub fn check(&mut self, known: &Known, warnings: &mut Vec<String>) -> Vec<LedgerError> {
        let mut errors = Vec::new();
        let units_given = !self.units.is_empty();
        duplicates(&self.units, UNITS.key, UNITS.columns[0].zh, |u| u.code.clone(), &mut errors);
        duplicates(&self.units, UNITS.key, UNITS.columns[1].zh, |u| u.name.clone(), &mut errors);
        if let Some(industries) = &self.industries {
            duplicates(industries, INDUSTRIES.key, INDUSTRIES.columns[0].zh, |i| i.name.clone(), &mut errors);
        }
        duplicates(&self.chain_links, CHAIN_LINKS.key, CHAIN_LINKS.columns[2].zh, |l| l.reference(), &mut errors);
        duplicates(&self.carriers, CARRIERS.key, CARRIERS.columns[0].zh, |c| c.code.clone(), &mut errors);
        duplicates(&self.projects, PROJECTS.key, PROJECTS.columns[0].zh, |p| p.code.clone(), &mut errors);
        duplicates(
            &self.progress,
            PROGRESS.key,
            PROGRESS.columns[1].zh,
            |p| (p.project_code.clone(), p.month),
            &mut errors,
        );
        duplicates(
            &self.issues,
            ISSUES.key,
            ISSUES.columns[2].zh,
            |i| (i.project_code.clone(), i.category.clone(), i.description.clone(), i.opened_date),
            &mut errors,
        );
        duplicates(
            &self.targets,
            TARGETS.key,
            TARGETS.columns[2].zh,
            |t| (t.unit_code.clone(), t.year, t.metric.clone()),
            &mut errors,
        );

        // Units by code and by name, from the ledger and the database.
        let mut unit_codes: HashMap<String, String> = known.units.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
        unit_codes.extend(self.units.iter().map(|(_, u)| (u.code.clone(), u.name.clone())));
        let mut by_name: HashMap<String, String> = unit_codes.iter().map(|(c, n)| (n.clone(), c.clone())).collect();
        let mut resolve_unit =
            |name: &str, derive: bool, units: &mut Vec<(usize, unit::Model)>, row: usize| -> Option<String> {
                if unit_codes.contains_key(name) {
                    return Some(name.to_string());
                }
                if let Some(code) = by_name.get(name) {
                    return Some(code.clone());
                }
                if derive {
                    // No units sheet: the spec creates units from the projects (code = name).
                    unit_codes.insert(name.to_string(), name.to_string());
                    by_name.insert(name.to_string(), name.to_string());
                    units.push((row, unit::Model { code: name.into(), name: name.into(), kind: None }));
                    return Some(name.to_string());
                }
                None
            };

        let mut industries: HashSet<String> = known.industries.clone();
        match &self.industries {
            Some(rows) => industries.extend(rows.iter().map(|(_, i)| i.name.clone())),
            None => industries.extend(vocab::INDUSTRIES.iter().map(|s| s.to_string())),
        }
        let mut links: HashSet<String> = known.chain_links.clone();
        links.extend(self.chain_links.iter().map(|(_, l)| l.reference()));
        let mut carriers: HashSet<&str> = known.carriers.iter().map(String::as_str).collect();
        carriers.extend(self.carriers.iter().map(|(_, c)| c.code.as_str()));
        let mut derived_units = Vec::new();
        for (row, project) in &mut self.projects {
            if let Some(link) = &project.chain_link
                && !links.contains(link)
            {
                errors.push(LedgerError::cell(
                    PROJECTS.key,
                    *row,
                    zh_header("chain_link"),
                    rules::unknown_chain_link(link),
                ));
            }
            if let Some(code) = &project.carrier_code
                && !carriers.contains(code.as_str())
            {
                errors.push(LedgerError::cell(
                    PROJECTS.key,
                    *row,
                    zh_header("carrier"),
                    format!("unknown carrier {code:?}"),
                ));
            }
            match resolve_unit(&project.unit_code, !units_given, &mut derived_units, *row) {
                Some(code) => project.unit_code = code,
                None => errors.push(LedgerError::cell(
                    PROJECTS.key,
                    *row,
                    "责任单位",
                    format!("unknown unit {:?}", project.unit_code),
                )),
            }
            if !industries.contains(&project.industry_name) {
                errors.push(LedgerError::cell(
                    PROJECTS.key,
                    *row,
                    "产业类别",
                    format!("unknown industry {:?}", project.industry_name),
                ));
            }
            for violation in rules::check_project(project) {
                errors.push(LedgerError::cell(PROJECTS.key, *row, zh_header(violation.column), violation.reason));
            }
        }
        self.units.extend(derived_units);
        for (row, carrier) in &mut self.carriers {
            match resolve_unit(&carrier.unit_code, false, &mut Vec::new(), *row) {
                Some(code) => carrier.unit_code = code,
                None => errors.push(LedgerError::cell(
                    CARRIERS.key,
                    *row,
                    "所在单位",
                    format!("unknown unit {:?}", carrier.unit_code),
                )),
            }
        }

        let mut projects: HashSet<&str> = known.projects.iter().map(String::as_str).collect();
        projects.extend(self.projects.iter().map(|(_, p)| p.code.as_str()));
        for (row, p) in &self.progress {
            if !projects.contains(p.project_code.as_str()) {
                errors.push(LedgerError::cell(
                    PROGRESS.key,
                    *row,
                    "项目编号",
                    format!("unknown project {:?}", p.project_code),
                ));
            }
            if let (Some(out), Some(arrived)) = (p.out_of_region_funds, p.funds_arrived.or(Some(0)))
                && out > arrived
            {
                errors.push(LedgerError::cell(
                    PROGRESS.key,
                    *row,
                    "其中市域外资金（万元）",
                    format!(
                        "{} is more than the funds arrived ({}); it is a part of them",
                        crate::money::format_wan(out),
                        crate::money::format_wan(arrived)
                    ),
                ));
            }
        }
        for (row, issue) in &mut self.issues {
            if !projects.contains(issue.project_code.as_str()) {
                errors.push(LedgerError::cell(
                    ISSUES.key,
                    *row,
                    "项目编号",
                    format!("unknown project {:?}", issue.project_code),
                ));
            }
            if let Some(owner) = issue.owner_unit_code.clone() {
                match resolve_unit(&owner, false, &mut Vec::new(), *row) {
                    Some(code) => issue.owner_unit_code = Some(code),
                    None => {
                        errors.push(LedgerError::cell(ISSUES.key, *row, "责任单位", format!("unknown unit {owner:?}")))
                    }
                }
            }
            if let Some(resolved) = issue.resolved_date
                && resolved < issue.opened_date
            {
                errors.push(LedgerError::cell(
                    ISSUES.key,
                    *row,
                    "解决日期",
                    format!("{resolved} is before the opening day {}", issue.opened_date),
                ));
            }
        }
        for (row, t) in &mut self.targets {
            match resolve_unit(&t.unit_code, false, &mut Vec::new(), *row) {
                Some(code) => t.unit_code = code,
                None => errors.push(LedgerError::cell(
                    TARGETS.key,
                    *row,
                    "单位编码",
                    format!("unknown unit {:?}", t.unit_code),
                )),
            }
        }
        warnings.extend(possible_duplicate_projects(&self.projects));
        errors
    }
}

/// The Chinese header of a `projects` column key.
fn zh_header(key: &str) -> &'static str {
    PROJECTS.columns.iter().find(|c| c.key == key).map_or("?", |c| c.zh)
}

/// Reports every row whose key was already used by an earlier row of the sheet.
fn duplicates<T, K: std::hash::Hash + Eq>(
    rows: &[(usize, T)],
    sheet: &str,
    column: &str,
    key: impl Fn(&T) -> K,
    errors: &mut Vec<LedgerError>,
) {
    let mut seen: HashMap<K, usize> = HashMap::with_capacity(rows.len());
    for (row, value) in rows {
        if let Some(first) = seen.insert(key(value), *row) {
            errors.push(LedgerError::cell(sheet, *row, column, format!("duplicate key: row {first} has the same")));
            seen.insert(key(value), first);
        }
    }
}

/// Projects that look like the same project entered twice: same investor, unit and
/// industry, totals within 5 %, signed within 90 days. A warning, not an error.
fn possible_duplicate_projects(projects: &[(usize, project::Model)]) -> Vec<String> {
    type Signed<'a> = (usize, &'a project::Model, NaiveDate);
    let mut groups: HashMap<(&str, &str, &str), Vec<Signed>> = HashMap::new();
    for (row, p) in projects {
        if let (Some(investor), Some(signed)) = (p.investor_name.as_deref(), p.signed_date) {
            groups.entry((investor, &p.unit_code, &p.industry_name)).or_default().push((*row, p, signed));
        }
    }
    let mut warnings = Vec::new();
    let mut groups: Vec<_> = groups.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_by_key(|g| g[0].0);
    for group in groups {
        for (i, (row_a, a, signed_a)) in group.iter().enumerate() {
            for (row_b, b, signed_b) in &group[i + 1..] {
                let (low, high) =
                    (a.total_investment.min(b.total_investment), a.total_investment.max(b.total_investment));
                let close_total = (high - low) * 100 <= high * 5;
                if close_total && (*signed_a - *signed_b).num_days().abs() <= 90 {
                    warnings.push(format!(
                        "projects rows {row_a} and {row_b}: {} and {} may be the same project (same investor, unit and industry, similar total, signed within 90 days)",
                        a.code, b.code
                    ));
                }
            }
        }
    }
    warnings
}
