//! The row rules of the work around the pipeline (investors, events, engagements,
//! incentives, supervision; see `docs/ledger.md`), the one home for both the ledger
//! and the API's mutations, and the vocabularies of their enumerated columns.

use chrono::NaiveDate;
use entities::{engagement, event, incentive, investor, supervision_item};

use super::RuleViolation;

/// The allowed values of the enumerated columns of these sheets.
pub mod vocab {
    /// 客商类型
    pub const INVESTOR_KINDS: &[&str] = &["企业", "商会", "协会", "个人", "其他"];
    /// 跟进状态; an empty status means [`FOLLOWING`].
    pub const INVESTOR_STATUSES: &[&str] = &[FOLLOWING, "暂停", "放弃"];
    /// The status of an investor being followed (the default).
    pub const FOLLOWING: &str = "跟进中";
    /// 活动类型
    pub const EVENT_KINDS: &[&str] = &["博览会", "推介会", "座谈会", "签约仪式", "考察团", "其他"];
    /// 对接方式
    pub const ENGAGEMENT_KINDS: &[&str] = &["电话", "外出拜访", VISIT, "洽谈会见", ATTENDANCE, "线上", "其他"];
    /// The engagement kind of an investor's visit to the district (来区考察).
    pub const VISIT: &str = "来区考察";
    /// The engagement kind of attendance at an event (活动参会); it names the event.
    pub const ATTENDANCE: &str = "活动参会";
    /// 兑现类型
    pub const INCENTIVE_KINDS: &[&str] = &["资金奖补", "税收返还", "土地", "厂房租金", "贷款贴息", "其他"];
    /// 督办来源
    pub const SUPERVISION_SOURCES: &[&str] = &["市政府督查室", "区政府督查科", "区招组办", "其他"];
}

fn violation(column: &'static str, reason: String) -> RuleViolation {
    RuleViolation { column, reason }
}

/// A date that must not be before another: `later ≥ earlier`.
fn not_before(
    column: &'static str,
    later: Option<NaiveDate>,
    earlier: NaiveDate,
    what: &str,
    out: &mut Vec<RuleViolation>,
) {
    if let Some(later) = later
        && later < earlier
    {
        out.push(violation(column, format!("{later} is before the {what} {earlier}")));
    }
}

/// Whether a value is one of an enumeration (empty is always allowed).
fn in_vocab(column: &'static str, value: Option<&str>, allowed: &[&str], out: &mut Vec<RuleViolation>) {
    if let Some(value) = value
        && !allowed.contains(&value)
    {
        out.push(violation(column, format!("{value:?} is not one of {}", allowed.join(" "))));
    }
}

/// An investor never introduces itself; kind and status are of their vocabularies.
/// (That `introduced_by` names a known investor is a reference check of the caller.)
pub fn check_investor(i: &investor::Model) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    if i.name.trim().is_empty() {
        out.push(violation("name", "is required but empty".into()));
    }
    if i.introduced_by.as_deref() == Some(i.name.as_str()) {
        out.push(violation("introduced_by", format!("{:?} cannot introduce itself", i.name)));
    }
    in_vocab("kind", i.kind.as_deref(), vocab::INVESTOR_KINDS, &mut out);
    in_vocab("status", i.status.as_deref(), vocab::INVESTOR_STATUSES, &mut out);
    out
}

/// An event ends on or after its first day.
pub fn check_event(e: &event::Model) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    for (column, value) in [("code", &e.code), ("name", &e.name)] {
        if value.trim().is_empty() {
            out.push(violation(column, "is required but empty".into()));
        }
    }
    in_vocab("kind", e.kind.as_deref(), vocab::EVENT_KINDS, &mut out);
    not_before("end_date", e.end_date, e.date, "start date", &mut out);
    out
}

/// Attendance names its event; the next follow-up is not before the contact.
pub fn check_engagement(e: &engagement::Model) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    in_vocab("kind", Some(&e.kind), vocab::ENGAGEMENT_KINDS, &mut out);
    if e.kind == vocab::ATTENDANCE && e.event().is_none() {
        out.push(violation("event", format!("is required when the kind is {}", vocab::ATTENDANCE)));
    }
    not_before("next_date", e.next_date, e.date, "contact date", &mut out);
    out
}

/// Due not before promised; paid at most what was promised, dated when above 0, and
/// not before the promise.
pub fn check_incentive(x: &incentive::Model) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    in_vocab("kind", x.kind.as_deref(), vocab::INCENTIVE_KINDS, &mut out);
    not_before("due_date", Some(x.due_date), x.promised_date, "promise date", &mut out);
    let paid = x.paid.unwrap_or(0);
    if paid > x.promised {
        out.push(violation(
            "paid",
            format!(
                "{} is more than the promised {}",
                crate::money::format_wan(paid),
                crate::money::format_wan(x.promised)
            ),
        ));
    }
    if paid > 0 && x.paid_date.is_none() {
        out.push(violation("paid_date", "is required when an amount has been paid".into()));
    }
    not_before("paid_date", x.paid_date, x.promised_date, "promise date", &mut out);
    out
}

/// The deadline and the closing day are not before the day the item was raised.
pub fn check_supervision(m: &supervision_item::Model) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    for (column, value) in [("code", &m.code), ("description", &m.description)] {
        if value.trim().is_empty() {
            out.push(violation(column, "is required but empty".into()));
        }
    }
    in_vocab("source", m.source.as_deref(), vocab::SUPERVISION_SOURCES, &mut out);
    not_before("deadline", Some(m.deadline), m.raised_date, "day it was raised", &mut out);
    not_before("closed_date", m.closed_date, m.raised_date, "day it was raised", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    #[test]
    fn attendance_without_an_event_and_a_follow_up_before_the_contact_are_refused() {
        let e = engagement::Model {
            investor_name: "甲".into(),
            unit_code: "T01".into(),
            date: d("2025-03-10"),
            kind: vocab::ATTENDANCE.into(),
            next_date: Some(d("2025-03-09")),
            ..Default::default()
        };
        let columns: Vec<_> = check_engagement(&e).into_iter().map(|v| v.column).collect();
        assert_eq!(columns, ["event", "next_date"]);
    }

    #[test]
    fn a_paid_amount_needs_its_date_and_stays_within_the_promise() {
        let x = incentive::Model {
            project_code: "P".into(),
            policy: "奖励".into(),
            promised: 1_000_000,
            promised_date: d("2025-01-01"),
            due_date: d("2024-12-31"),
            paid: Some(2_000_000),
            paid_date: None,
            kind: None,
        };
        let columns: Vec<_> = check_incentive(&x).into_iter().map(|v| v.column).collect();
        assert_eq!(columns, ["due_date", "paid", "paid_date"]);
    }

    #[test]
    fn an_investor_cannot_introduce_itself() {
        let i = investor::Model { name: "甲".into(), introduced_by: Some("甲".into()), ..Default::default() };
        assert_eq!(check_investor(&i)[0].column, "introduced_by");
    }
}
