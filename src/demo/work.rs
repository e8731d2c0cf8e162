//! The demo district's work around the pipeline: its investor directory (with 以商招商
//! introductions and prospects not yet behind any project), its fairs and promotion
//! meetings (the events its projects name), contacts and visits with follow-ups, the
//! incentives promised to signed projects and what was paid, and the items the
//! supervisors handed the units. Drawn from a generator of its own, so that adding them
//! leaves the rest of the demo unchanged; every row passes the ledger's checks.

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, NaiveDate};
use entities::{engagement, event, incentive, investor, project, supervision_item};

use super::{Rng, data_horizon};
use crate::ledger::Ledger;
use crate::money::YUAN_PER_WAN;

/// One event: code, name (as the projects' 签约活动 name it), kind, first day, days
/// after it, place, organizer, public.
type EventSeed = (&'static str, &'static str, &'static str, (i32, u32, u32), u64, &'static str, &'static str, bool);

/// The events.
const EVENTS: [EventSeed; 7] = [
    ("E2024-01", "第八届丝博会", "博览会", (2024, 5, 11), 4, "西安", "D02", true),
    ("E2025-01", "第九届丝博会", "博览会", (2025, 5, 20), 4, "西安", "D02", true),
    ("E2025-02", "深圳电子信息产业推介会", "推介会", (2025, 9, 12), 0, "深圳", "D02", false),
    ("E2025-03", "秦商大会", "座谈会", (2025, 10, 16), 1, "西安", "D01", true),
    ("E2026-01", "第十届丝博会", "博览会", (2026, 5, 18), 4, "西安", "D02", true),
    ("E2026-02", "长三角现代物流座谈会", "座谈会", (2026, 6, 18), 0, "上海", "D01", false),
    ("E2026-03", "2026年冬季重点项目推介会暨签约仪式", "签约仪式", (2026, 12, 8), 0, "铜川", "D02", true),
];

/// Outposts (驻点招商工作点) by the origins they cover.
const OUTPOSTS: [(&str, &[&str]); 3] = [
    ("深圳驻点", &["广东省深圳市", "广东省广州市", "广东省佛山市", "广东省东莞市"]),
    ("上海驻点", &["上海市", "江苏省南京市", "江苏省苏州市", "浙江省杭州市", "浙江省宁波市"]),
    ("北京驻点", &["北京市", "天津市"]),
];

/// Prospects: investors in contact with no project yet (name, origin, kind, industry).
const PROSPECTS: [(&str, &str, &str, &str); 12] = [
    ("深圳华芯微电子有限公司", "广东省深圳市", "企业", "智能制造"),
    ("东莞精工模具有限公司", "广东省东莞市", "企业", "装备制造"),
    ("广东省陶瓷协会", "广东省佛山市", "协会", "陶瓷紫砂"),
    ("苏州智造装备有限公司", "江苏省苏州市", "企业", "装备制造"),
    ("上海冷链物流集团", "上海市", "企业", "商贸物流"),
    ("浙江温商联合会", "浙江省杭州市", "商会", "其他"),
    ("北京中科新材料有限公司", "北京市", "企业", "军民融合"),
    ("天津绿能再生资源有限公司", "天津市", "企业", "再生资源利用"),
    ("南京医药研究院有限公司", "江苏省南京市", "企业", "医药"),
    ("宁波文旅投资有限公司", "浙江省宁波市", "企业", "文化旅游"),
    ("广州农产品供应链有限公司", "广东省广州市", "企业", "农副产品精深加工"),
    ("陕西秦商会", "陕西省西安市", "商会", "其他"),
];

/// Incentive policies: name and kind (兑现类型).
const POLICIES: [(&str, &str); 5] = [
    ("固定资产投资奖励", "资金奖补"),
    ("税收地方留成返还", "税收返还"),
    ("工业用地价格优惠", "土地"),
    ("标准化厂房租金减免", "厂房租金"),
    ("技改贷款贴息", "贷款贴息"),
];

/// Supervision sources and what they ask.
const SOURCES: [&str; 3] = ["市政府督查室", "区政府督查科", "区招组办"];
const TASKS: [&str; 5] = ["开工手续办理", "要素保障协调", "建设进度推进", "投产达效推进", "资金到位督促"];

fn day((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn outpost(origin: Option<&str>) -> Option<String> {
    let origin = origin?;
    OUTPOSTS.iter().find(|(_, origins)| origins.contains(&origin)).map(|(name, _)| name.to_string())
}

/// Adds the five sheets to a generated ledger.
pub(super) fn add(ledger: &mut Ledger, seed: u64) {
    let mut rng = Rng(seed ^ 0x574F_524B_5049_5045);
    let horizon = data_horizon();
    add_events(ledger);

    // The directory: the investors of projects become full entries, first by name.
    let mut by_investor: BTreeMap<String, Vec<project::Model>> = BTreeMap::new();
    for (_, p) in &ledger.projects {
        if let Some(name) = &p.investor_name {
            by_investor.entry(name.clone()).or_default().push(p.clone());
        }
    }
    let named = std::mem::take(&mut ledger.named_investors);
    let mut previous: Option<String> = None;
    for (i, named) in named.into_iter().enumerate() {
        let projects = by_investor.get(&named.name).cloned().unwrap_or_default();
        let owner = projects.first().map(|p| p.unit_code.clone());
        let industry = projects.first().map(|p| p.industry_name.clone());
        // Every fifth one was introduced by the investor before it (以商招商).
        let introduced_by = previous.clone().filter(|_| i % 5 == 4);
        let row = investor::Model {
            kind: Some("企业".into()),
            industry_name: industry,
            introduced_by,
            owner_unit_code: owner,
            status: Some("跟进中".into()),
            contact_name: Some(format!("联系人{}", i + 1)),
            contact_phone: Some(format!("139{:08}", 19_000_000 + i)),
            notes: None,
            ..named
        };
        previous = Some(row.name.clone());
        ledger.investors.push((ledger.investors.len() + 2, row));
    }
    let known: HashSet<String> = ledger.investors.iter().map(|(_, i)| i.name.clone()).collect();
    for (i, (name, origin, kind, industry)) in PROSPECTS.iter().enumerate() {
        if known.contains(*name) {
            continue;
        }
        let status = match i % 6 {
            4 => "暂停",
            5 => "放弃",
            _ => "跟进中",
        };
        let owner = super::UNITS[rng.between(0, super::UNITS.len() as u64 - 1) as usize].0;
        ledger.investors.push((
            ledger.investors.len() + 2,
            investor::Model {
                name: (*name).into(),
                origin: Some((*origin).into()),
                kind: Some((*kind).into()),
                industry_name: Some((*industry).into()),
                introduced_by: None,
                owner_unit_code: Some(owner.into()),
                status: Some(status.into()),
                contact_name: Some(format!("意向联系人{}", i + 1)),
                contact_phone: Some(format!("137{:08}", 29_000_000 + i)),
                notes: Some("驻点对接，持续跟进".into()),
            },
        ));
    }

    let mut seen = HashSet::new();
    let mut contact = |ledger: &mut Ledger, e: engagement::Model| {
        let key = (e.investor_name.clone(), e.unit_code.clone(), e.date, e.kind.clone(), e.event_code.clone());
        if e.date <= horizon && seen.insert(key) {
            ledger.engagements.push((ledger.engagements.len() + 2, e));
        }
    };
    let events: Vec<(String, String, NaiveDate)> =
        ledger.events.iter().map(|(_, e)| (e.code.clone(), e.name.clone(), e.date)).collect();
    let directory: Vec<investor::Model> = ledger.investors.iter().map(|(_, i)| i.clone()).collect();
    for inv in &directory {
        let projects = by_investor.get(&inv.name).cloned().unwrap_or_default();
        let post = outpost(inv.origin.as_deref());
        match projects.iter().filter_map(|p| p.intent_date.or(p.signed_date).map(|d| (d, p))).min_by_key(|(d, _)| *d) {
            Some((first_stage, p)) => {
                // First contact before the project's first stage; a visit in between.
                let first = first_stage - Days::new(rng.between(20, 150));
                let kind = if post.is_some() { "外出拜访" } else { "电话" };
                contact(
                    ledger,
                    engagement::Model {
                        investor_name: inv.name.clone(),
                        unit_code: p.unit_code.clone(),
                        date: first,
                        kind: kind.into(),
                        event_code: String::new(),
                        outpost: post.clone(),
                        project_code: None,
                        summary: Some("初步对接投资意向".into()),
                        next_date: Some(first + Days::new(14)),
                    },
                );
                if rng.chance(0.6) {
                    let visit = first + Days::new(rng.between(5, (first_stage - first).num_days().max(6) as u64 - 1));
                    contact(
                        ledger,
                        engagement::Model {
                            investor_name: inv.name.clone(),
                            unit_code: p.unit_code.clone(),
                            date: visit,
                            kind: "来区考察".into(),
                            event_code: String::new(),
                            outpost: post.clone(),
                            project_code: Some(p.code.clone()),
                            summary: Some("来区考察选址".into()),
                            next_date: None,
                        },
                    );
                }
                // Attendance at the event where a project was signed.
                for p in &projects {
                    let Some((code, _, date)) =
                        events.iter().find(|(_, name, _)| p.signing_event.as_deref() == Some(name))
                    else {
                        continue;
                    };
                    contact(
                        ledger,
                        engagement::Model {
                            investor_name: inv.name.clone(),
                            unit_code: p.unit_code.clone(),
                            date: *date,
                            kind: "活动参会".into(),
                            event_code: code.clone(),
                            outpost: None,
                            project_code: Some(p.code.clone()),
                            summary: Some("活动现场洽谈签约".into()),
                            next_date: None,
                        },
                    );
                }
            }
            None => {
                // A prospect: a few contacts in 2025–2026, the last with a follow-up.
                let unit = inv.owner_unit_code.clone().unwrap_or_else(|| super::UNITS[0].0.to_string());
                let mut date = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default() + Days::new(rng.between(0, 540));
                let count = rng.between(1, 3);
                for n in 0..count {
                    let last = n + 1 == count;
                    let kind = if n == 1 && rng.chance(0.5) {
                        "来区考察"
                    } else {
                        *rng.pick(&["电话", "线上", "外出拜访"])
                    };
                    contact(
                        ledger,
                        engagement::Model {
                            investor_name: inv.name.clone(),
                            unit_code: unit.clone(),
                            date,
                            kind: kind.into(),
                            event_code: String::new(),
                            outpost: post.clone(),
                            project_code: None,
                            summary: Some("对接落户意向".into()),
                            next_date: last.then(|| date + Days::new(rng.between(20, 60))),
                        },
                    );
                    date = date + Days::new(rng.between(20, 90));
                }
            }
        }
    }

    add_incentives(ledger, &mut rng, horizon);
    add_supervision(ledger, &mut rng, horizon);
}

fn add_events(ledger: &mut Ledger) {
    for (code, name, kind, first, days, place, organizer, public) in EVENTS {
        let date = day(first);
        ledger.events.push((
            ledger.events.len() + 2,
            event::Model {
                code: code.into(),
                name: name.into(),
                kind: Some(kind.into()),
                date,
                end_date: (days > 0).then(|| date + Days::new(days)),
                place: Some(place.into()),
                organizer_unit_code: Some(organizer.into()),
                public,
                summary: Some(format!("{name}：区内重点项目集中推介与签约。")),
            },
        ));
    }
}

/// Incentives for about a third of the signed projects, paid on time, late, in part or
/// not yet.
fn add_incentives(ledger: &mut Ledger, rng: &mut Rng, horizon: NaiveDate) {
    let signed: Vec<project::Model> =
        ledger.projects.iter().filter(|(_, p)| p.signed_date.is_some()).map(|(_, p)| p.clone()).collect();
    for p in signed {
        let Some(signed_on) = p.signed_date else { continue };
        if !rng.chance(0.35) {
            continue;
        }
        let (policy, kind) = *rng.pick(&POLICIES);
        // 1–5 % of the total, whole 万元, at least 10 万元.
        let promised = (p.total_investment / YUAN_PER_WAN * rng.between(1, 5) as i64 / 100).max(10) * YUAN_PER_WAN;
        let due = signed_on + Days::new(rng.between(180, 540));
        let (paid, paid_date) = if due > horizon {
            (None, None)
        } else {
            let late = due + Days::new(rng.between(0, 120));
            match rng.between(0, 9) {
                0..=5 if late <= horizon => (Some(promised), Some(late)),
                6 | 7 => (Some(promised / YUAN_PER_WAN / 2 * YUAN_PER_WAN), Some(due)),
                _ => (None, None),
            }
        };
        ledger.incentives.push((
            ledger.incentives.len() + 2,
            incentive::Model {
                project_code: p.code.clone(),
                policy: policy.into(),
                kind: Some(kind.into()),
                promised,
                promised_date: signed_on,
                due_date: due,
                paid,
                paid_date,
            },
        ));
    }
}

/// Items the supervisors handed the units: most closed, some late, some still open.
fn add_supervision(ledger: &mut Ledger, rng: &mut Rng, horizon: NaiveDate) {
    let start = NaiveDate::from_ymd_opt(2024, 1, 8).unwrap_or_default();
    let span = (horizon - start).num_days() as u64 - 20;
    let projects: Vec<(String, String, String)> = ledger
        .projects
        .iter()
        .filter(|(_, p)| p.signed_date.is_some())
        .map(|(_, p)| (p.code.clone(), p.unit_code.clone(), p.name.clone()))
        .collect();
    if projects.is_empty() {
        return;
    }
    for n in 0..48 {
        let raised = start + Days::new(span * n / 48 + rng.between(0, 5));
        let deadline = raised + Days::new(rng.between(20, 75));
        let (code, unit, name) = rng.pick(&projects).clone();
        let closed = match rng.between(0, 9) {
            0..=5 => Some(raised + Days::new(rng.between(5, (deadline - raised).num_days() as u64))),
            6 | 7 => Some(deadline + Days::new(rng.between(5, 60))),
            _ => None,
        }
        .filter(|c| *c <= horizon);
        ledger.supervision.push((
            ledger.supervision.len() + 2,
            supervision_item::Model {
                code: format!("DB{}-{:03}", raised.format("%Y"), n + 1),
                unit_code: unit,
                project_code: Some(code),
                source: Some(rng.pick(&SOURCES).to_string()),
                description: format!("{name}{}", rng.pick(&TASKS)),
                raised_date: raised,
                deadline,
                closed_date: closed,
            },
        ));
    }
}
