//! Writing a ledger in the exchange format: an `.xlsx` workbook (Chinese sheet names
//! and headers, 万元 with 4 decimals, real date cells) or a folder of UTF-8 CSV files
//! with a BOM (so that a Chinese Excel opens them as UTF-8).

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::Ledger;
use super::schema::{
    CARRIERS, CHAIN_LINKS, ENGAGEMENTS, EVENTS, INCENTIVES, INDUSTRIES, INVESTORS, ISSUES, PROGRESS, PROJECTS,
    SUPERVISION, Sheet, TARGETS, UNITS,
};
use crate::money::format_wan;
use crate::rules;

/// A value to write, by kind.
enum Out {
    Text(Option<String>),
    Money(Option<i64>),
    Date(Option<NaiveDate>),
    Month(NaiveDate),
    Integer(Option<i64>),
    Decimal(Option<f64>),
    YesNo(bool),
}

/// Errors while writing a ledger.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The workbook could not be written.
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// A CSV file could not be written.
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// A CSV row could not be written.
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Writes `ledger` to `path`: a workbook when the path ends in `.xlsx`, else a folder
/// of CSV files (created if needed).
pub fn write_ledger(ledger: &Ledger, path: &Path) -> Result<(), WriteError> {
    let sheets = tables(ledger);
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        write_workbook(&sheets, path)
    } else {
        write_csv_folder(&sheets, path)
    }
}

fn tables(ledger: &Ledger) -> Vec<(&'static Sheet, Vec<Vec<Out>>)> {
    use Out::*;
    let origins: HashMap<&str, Option<String>> = ledger
        .investors
        .iter()
        .map(|(_, i)| i)
        .chain(&ledger.named_investors)
        .map(|i| (i.name.as_str(), i.origin.clone()))
        .collect();
    let units = ledger
        .units
        .iter()
        .map(|(_, u)| vec![Text(Some(u.code.clone())), Text(Some(u.name.clone())), Text(u.kind.clone())]);
    let industries =
        ledger.industries.iter().flatten().map(|(_, i)| vec![Text(Some(i.name.clone())), Text(i.cluster.clone())]);
    let projects = ledger.projects.iter().map(|(_, p)| {
        vec![
            Text(Some(p.code.clone())),
            Text(p.national_code.clone()),
            Text(Some(p.name.clone())),
            Text(Some(p.unit_code.clone())),
            Text(Some(p.industry_name.clone())),
            Text(p.investor_name.clone()),
            Text(p.investor_name.as_deref().and_then(|n| origins.get(n).cloned().flatten())),
            Text(p.channel.clone()),
            Text(p.contract_type.clone()),
            Text(p.signing_event.clone()),
            Money(Some(p.total_investment)),
            Date(p.intent_date),
            Date(p.negotiation_date),
            Date(p.signed_date),
            Date(p.registered_date),
            Date(p.planned_start_date),
            Date(p.started_date),
            Date(p.planned_production_date),
            Date(p.producing_date),
            Date(p.capacity_date),
            Date(p.stats_date),
            Date(p.terminated_date),
            Text(p.terminated_reason.clone()),
            Decimal(p.land_area_mu),
            Money(p.expected_output),
            Money(p.expected_tax),
            Integer(p.expected_jobs),
            YesNo(p.key_project),
            YesNo(p.public),
            Text(p.summary.clone()),
            Text(p.chain_link.clone()),
            Text(p.carrier_code.clone()),
            Text(p.contact_name.clone()),
            Text(p.contact_phone.clone()),
        ]
    });
    let chain_links = ledger.chain_links.iter().map(|(_, l)| {
        vec![
            Text(Some(l.chain.clone())),
            Text(l.cluster.clone()),
            Text(Some(l.link.clone())),
            Text(Some(l.position.clone())),
            Integer(l.link_order),
            Text(l.sought.clone()),
        ]
    });
    let carriers = ledger.carriers.iter().map(|(_, c)| {
        vec![
            Text(Some(c.code.clone())),
            Text(Some(c.name.clone())),
            Text(Some(c.kind.clone())),
            Text(Some(c.unit_code.clone())),
            Decimal(c.area_mu),
            Decimal(c.floor_area),
            Text(c.price.clone()),
            Text(Some(c.status.clone())),
            Date(c.available_from),
            YesNo(c.public),
            Text(c.summary.clone()),
            Text(c.contact_name.clone()),
            Text(c.contact_phone.clone()),
        ]
    });
    let progress = ledger.progress.iter().map(|(_, p)| {
        vec![
            Text(Some(p.project_code.clone())),
            Month(p.month),
            Money(p.fai),
            Money(p.funds_arrived),
            Money(p.out_of_region_funds),
        ]
    });
    let issues = ledger.issues.iter().map(|(_, i)| {
        vec![
            Text(Some(i.project_code.clone())),
            Text(Some(i.category.clone())),
            Text(Some(i.description.clone())),
            Text(i.owner_unit_code.clone()),
            Date(Some(i.opened_date)),
            Date(i.resolved_date),
        ]
    });
    let targets = ledger.targets.iter().map(|(_, t)| {
        let metric = rules::target_metric(&t.metric);
        let value = if metric.is_some_and(|m| m.money) { Money(Some(t.value)) } else { Integer(Some(t.value)) };
        vec![
            Text(Some(t.unit_code.clone())),
            Integer(Some(t.year.into())),
            Text(Some(metric.map_or(t.metric.clone(), |m| m.zh.to_string()))),
            value,
        ]
    });
    let mut sheets = vec![
        (&UNITS, units.collect()),
        (&INDUSTRIES, industries.collect()),
        (&CHAIN_LINKS, chain_links.collect()),
        (&CARRIERS, carriers.collect()),
        (&PROJECTS, projects.collect()),
        (&PROGRESS, progress.collect()),
        (&ISSUES, issues.collect()),
        (&TARGETS, targets.collect()),
    ];
    sheets.extend(pipeline_tables(ledger));
    sheets
}

/// The sheets of the work around the pipeline, in the order of the schema.
fn pipeline_tables(ledger: &Ledger) -> Vec<(&'static Sheet, Vec<Vec<Out>>)> {
    use Out::*;
    let investors = ledger.investors.iter().map(|(_, i)| {
        vec![
            Text(Some(i.name.clone())),
            Text(i.origin.clone()),
            Text(i.kind.clone()),
            Text(i.industry_name.clone()),
            Text(i.introduced_by.clone()),
            Text(i.owner_unit_code.clone()),
            Text(i.status.clone()),
            Text(i.contact_name.clone()),
            Text(i.contact_phone.clone()),
            Text(i.notes.clone()),
        ]
    });
    let events = ledger.events.iter().map(|(_, e)| {
        vec![
            Text(Some(e.code.clone())),
            Text(Some(e.name.clone())),
            Text(e.kind.clone()),
            Date(Some(e.date)),
            Date(e.end_date),
            Text(e.place.clone()),
            Text(e.organizer_unit_code.clone()),
            YesNo(e.public),
            Text(e.summary.clone()),
        ]
    });
    let engagements = ledger.engagements.iter().map(|(_, e)| {
        vec![
            Text(Some(e.investor_name.clone())),
            Text(Some(e.unit_code.clone())),
            Date(Some(e.date)),
            Text(Some(e.kind.clone())),
            Text(e.event().map(str::to_string)),
            Text(e.outpost.clone()),
            Text(e.project_code.clone()),
            Text(e.summary.clone()),
            Date(e.next_date),
        ]
    });
    let incentives = ledger.incentives.iter().map(|(_, x)| {
        vec![
            Text(Some(x.project_code.clone())),
            Text(Some(x.policy.clone())),
            Text(x.kind.clone()),
            Money(Some(x.promised)),
            Date(Some(x.promised_date)),
            Date(Some(x.due_date)),
            Money(x.paid),
            Date(x.paid_date),
        ]
    });
    let supervision = ledger.supervision.iter().map(|(_, m)| {
        vec![
            Text(Some(m.code.clone())),
            Text(Some(m.unit_code.clone())),
            Text(m.project_code.clone()),
            Text(m.source.clone()),
            Text(Some(m.description.clone())),
            Date(Some(m.raised_date)),
            Date(Some(m.deadline)),
            Date(m.closed_date),
        ]
    });
    vec![
        (&INVESTORS, investors.collect()),
        (&EVENTS, events.collect()),
        (&ENGAGEMENTS, engagements.collect()),
        (&INCENTIVES, incentives.collect()),
        (&SUPERVISION, supervision.collect()),
    ]
}

fn write_workbook(sheets: &[(&'static Sheet, Vec<Vec<Out>>)], path: &Path) -> Result<(), WriteError> {
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the same data → the same bytes.
    let epoch = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let header = Format::new().set_bold();
    let money = Format::new().set_num_format("0.0000");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let month = Format::new().set_num_format("yyyy-mm");
    for (sheet, rows) in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet.zh)?;
        for (c, column) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, column.zh, &header)?;
            ws.set_column_width(c as u16, if column.zh.chars().count() > 5 { 16 } else { 12 })?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, value) in row.iter().enumerate() {
                let c = c as u16;
                match value {
                    Out::Text(Some(s)) => ws.write_string(r, c, s).map(|_| ())?,
                    Out::Money(Some(y)) => {
                        ws.write_number_with_format(r, c, crate::money::to_wan(*y), &money).map(|_| ())?
                    }
                    Out::Date(Some(d)) => ws.write_datetime_with_format(r, c, excel_date(*d)?, &date).map(|_| ())?,
                    Out::Month(d) => ws.write_datetime_with_format(r, c, excel_date(*d)?, &month).map(|_| ())?,
                    Out::Integer(Some(n)) => ws.write_number(r, c, *n as f64).map(|_| ())?,
                    Out::Decimal(Some(x)) => ws.write_number(r, c, *x).map(|_| ())?,
                    Out::YesNo(b) => ws.write_string(r, c, if *b { "是" } else { "否" }).map(|_| ())?,
                    Out::Text(None) | Out::Money(None) | Out::Date(None) | Out::Integer(None) | Out::Decimal(None) => {}
                }
            }
        }
    }
    workbook.save(path)?;
    Ok(())
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

fn write_csv_folder(sheets: &[(&'static Sheet, Vec<Vec<Out>>)], dir: &Path) -> Result<(), WriteError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| WriteError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (sheet, rows) in sheets {
        let path = dir.join(format!("{}.csv", sheet.key));
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        {
            let mut writer = csv::Writer::from_writer(&mut bytes);
            writer.write_record(sheet.columns.iter().map(|c| c.zh))?;
            for row in rows {
                writer.write_record(row.iter().map(csv_text))?;
            }
            writer.flush().map_err(io(&path))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    Ok(())
}

fn csv_text(value: &Out) -> String {
    match value {
        Out::Text(s) => s.clone().unwrap_or_default(),
        Out::Money(y) => y.map(format_wan).unwrap_or_default(),
        Out::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        Out::Month(d) => d.format("%Y-%m").to_string(),
        Out::Integer(n) => n.map(|n| n.to_string()).unwrap_or_default(),
        Out::Decimal(x) => x.map(|x| x.to_string()).unwrap_or_default(),
        Out::YesNo(b) => if *b { "是" } else { "否" }.to_string(),
    }
}
