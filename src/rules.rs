//! The rules of the project graph that every write obeys, whether it comes from a
//! ledger or from the API: the stage order and what makes a project row valid.

use chrono::NaiveDate;
use entities::project;

/// The pipeline stages in order (see `metrics.md`, Stages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// 意向
    Intent,
    /// 洽谈
    Negotiating,
    /// 签约
    Signed,
    /// 开工（在建）
    Started,
    /// 投产
    Producing,
    /// 达产达效
    AtCapacity,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 6] =
        [Stage::Intent, Stage::Negotiating, Stage::Signed, Stage::Started, Stage::Producing, Stage::AtCapacity];

    /// Position in the pipeline, 0 for INTENT.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The Chinese label shown to users.
    pub fn label_zh(self) -> &'static str {
        ["意向", "洽谈", "签约", "开工", "投产", "达产"][self.index()]
    }

    /// The name used in the API and in `metrics.md`.
    pub fn key(self) -> &'static str {
        ["INTENT", "NEGOTIATING", "SIGNED", "STARTED", "PRODUCING", "AT_CAPACITY"][self.index()]
    }

    /// The ledger column that records this stage.
    pub fn ledger_column(self) -> &'static str {
        ["intent_date", "negotiation_date", "signed_date", "started_date", "producing_date", "capacity_date"]
            [self.index()]
    }
}

/// The recorded stage dates of a project, in stage order.
pub fn recorded_dates(p: &project::Model) -> [Option<NaiveDate>; 6] {
    [p.intent_date, p.negotiation_date, p.signed_date, p.started_date, p.producing_date, p.capacity_date]
}

/// reach(p, s) for every stage: the earliest recorded date among stage s and all later
/// stages, so a stage skipped in the ledger is reached when a later one is.
pub fn reach_dates(recorded: &[Option<NaiveDate>; 6]) -> [Option<NaiveDate>; 6] {
    let mut reach = [None; 6];
    let mut earliest: Option<NaiveDate> = None;
    for s in (0..6).rev() {
        earliest = match (earliest, recorded[s]) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        reach[s] = earliest;
    }
    reach
}

/// The highest stage reached on or before `as_of`, if any.
pub fn stage_as_of(p: &project::Model, as_of: NaiveDate) -> Option<Stage> {
    let reach = reach_dates(&recorded_dates(p));
    Stage::ALL.into_iter().rev().find(|s| reach[s.index()].is_some_and(|d| d <= as_of))
}

/// A broken rule: the ledger column at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleViolation {
    /// The ledger column key (`signed_date`, `terminated_date`, …).
    pub column: &'static str,
    /// What is wrong, for a user.
    pub reason: String,
}

/// Checks the row rules of the ledger spec: at least one stage date; stage dates that
/// are present never decrease in stage order; termination not before the latest stage.
pub fn check_project(p: &project::Model) -> Vec<RuleViolation> {
    let mut violations = Vec::new();
    let recorded = recorded_dates(p);
    if recorded.iter().all(Option::is_none) {
        violations.push(RuleViolation {
            column: Stage::Intent.ledger_column(),
            reason: "no stage date is given; at least one of 意向/洽谈/签约/开工/投产/达产日期 is required".into(),
        });
        return violations;
    }
    let mut latest: Option<(Stage, NaiveDate)> = None;
    for stage in Stage::ALL {
        if let Some(date) = recorded[stage.index()] {
            if let Some((earlier, earlier_date)) = latest
                && date < earlier_date
            {
                violations.push(RuleViolation {
                    column: stage.ledger_column(),
                    reason: format!(
                        "{date} is before the {} date {earlier_date}; stage dates must not decrease",
                        earlier.label_zh()
                    ),
                });
            }
            if latest.is_none_or(|(_, d)| date >= d) {
                latest = Some((stage, date));
            }
        }
    }
    if let (Some(terminated), Some((stage, date))) = (p.terminated_date, latest)
        && terminated < date
    {
        violations.push(RuleViolation {
            column: "terminated_date",
            reason: format!("{terminated} is before the {} date {date}", stage.label_zh()),
        });
    }
    violations
}

/// Why a project's chain link (`产业链/环节`) is refused when it names no link: the one
/// wording for ledgers and the API.
pub fn unknown_chain_link(reference: &str) -> String {
    format!("{reference:?} names no chain link; write it as 产业链/环节 of the chain_links sheet")
}

/// The allowed values of the ledger's enumerated columns.
pub mod vocab {
    /// 单位类型
    pub const UNIT_KINDS: &[&str] = &["镇", "街道", "部门", "园区"];
    /// 招商方式
    pub const CHANNELS: &[&str] = &["驻点招商", "以商招商", "以会招商", "小分队招商", "其他"];
    /// 签约类型
    pub const CONTRACT_TYPES: &[&str] = &["协议", "合同"];
    /// 问题类别
    pub const ISSUE_CATEGORIES: &[&str] = &["用地", "用水", "用电", "用气", "征地拆迁", "手续报批", "融资", "其他"];
    /// 位置 of a chain link, upstream to downstream.
    pub const CHAIN_POSITIONS: &[&str] = &["上游", "中游", "下游"];
    /// 载体类型
    pub const CARRIER_KINDS: &[&str] = &["工业用地", "标准化厂房", "闲置厂房", "商业楼宇", "其他"];
    /// 载体状态: available, reserved, in use.
    pub const CARRIER_STATUSES: &[&str] = &["可供", "已意向", "已使用"];
    /// Built-in industry taxonomy used when a ledger has no `industries` sheet.
    pub const INDUSTRIES: &[&str] = &[
        "智能制造",
        "装备制造",
        "军民融合",
        "陶瓷紫砂",
        "再生资源利用",
        "农副产品精深加工",
        "商贸物流",
        "医药",
        "文化旅游",
        "商超酒店餐饮",
        "其他",
    ];
}

/// A target metric: its English key, its Chinese name, whether it is money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetMetric {
    /// English key, stored in the database.
    pub key: &'static str,
    /// Chinese name as in ledgers.
    pub zh: &'static str,
    /// Money (万元 in ledgers, yuan inside) rather than a count.
    pub money: bool,
}

/// The five target metrics of the ledger's `targets` sheet.
pub const TARGET_METRICS: [TargetMetric; 5] = [
    TargetMetric { key: "signed_count", zh: "签约项目数", money: false },
    TargetMetric { key: "signed_investment", zh: "签约金额", money: true },
    TargetMetric { key: "new_starts", zh: "新开工项目数", money: false },
    TargetMetric { key: "new_starts_10m", zh: "千万元以上新开工项目数", money: false },
    TargetMetric { key: "fai", zh: "固定资产投资", money: true },
];

/// Finds a target metric by its Chinese name or English key.
pub fn target_metric(name: &str) -> Option<TargetMetric> {
    TARGET_METRICS.into_iter().find(|m| m.zh == name || m.key.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    #[test]
    fn a_later_stage_implies_the_earlier_ones() {
        let recorded = [None, None, None, Some(d("2024-03-18")), None, None];
        let reach = reach_dates(&recorded);
        assert_eq!(reach[0], Some(d("2024-03-18")));
        assert_eq!(reach[2], Some(d("2024-03-18")));
        assert_eq!(reach[3], Some(d("2024-03-18")));
        assert_eq!(reach[4], None);
    }

    #[test]
    fn reach_takes_the_earliest_of_later_dates() {
        let recorded = [Some(d("2024-01-10")), None, Some(d("2024-05-01")), None, None, None];
        let reach = reach_dates(&recorded);
        assert_eq!(reach[1], Some(d("2024-05-01")));
        assert_eq!(reach[0], Some(d("2024-01-10")));
    }
}
