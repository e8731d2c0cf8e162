//! Carriers (载体) as of a day (see `docs/metrics.md`, Carriers): which are available,
//! the supply per unit and kind, and the open land issues (用地) of units that have
//! land or a standard factory to offer.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use entities::{carrier, element_issue};

/// Carrier kinds that answer a land issue (用地): land and standard factories.
pub const LAND_KINDS: [&str; 2] = ["工业用地", "标准化厂房"];

/// Whether `c` is available as of `as_of`: status `可供` and available from that day or
/// before (or no day given).
pub fn is_available(c: &carrier::Model, as_of: NaiveDate) -> bool {
    c.status == "可供" && c.available_from.is_none_or(|d| d <= as_of)
}

/// How supply is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupplyGroup {
    /// One row for all carriers.
    None,
    /// One row per unit.
    Unit,
    /// One row per kind.
    Kind,
    /// One row per unit and kind.
    UnitAndKind,
}

/// The available carriers of one group.
#[derive(Clone, Debug, PartialEq)]
pub struct SupplyRow {
    /// The unit's code, when grouped by unit.
    pub unit: Option<String>,
    /// The kind, when grouped by kind.
    pub kind: Option<String>,
    /// How many carriers are available.
    pub count: usize,
    /// Σ area_mu of those (a carrier without an area adds 0), 亩.
    pub area_mu: f64,
}

/// The supply of available carriers as of `as_of`, grouped; groups ordered by unit code
/// then kind. Grouped answers list only groups with an available carrier; the
/// ungrouped answer is always one row.
pub fn supply(carriers: &[carrier::Model], as_of: NaiveDate, group: SupplyGroup) -> Vec<SupplyRow> {
    let (by_unit, by_kind) = match group {
        SupplyGroup::None => (false, false),
        SupplyGroup::Unit => (true, false),
        SupplyGroup::Kind => (false, true),
        SupplyGroup::UnitAndKind => (true, true),
    };
    let mut sorted: Vec<&carrier::Model> = carriers.iter().filter(|c| is_available(c, as_of)).collect();
    // Areas are added in code order, so the same data always gives the same sum.
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    let mut groups: BTreeMap<(Option<String>, Option<String>), (usize, f64)> = BTreeMap::new();
    if group == SupplyGroup::None {
        groups.insert((None, None), (0, 0.0));
    }
    for c in sorted {
        let key = (by_unit.then(|| c.unit_code.clone()), by_kind.then(|| c.kind.clone()));
        let entry = groups.entry(key).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += c.area_mu.unwrap_or(0.0);
    }
    groups.into_iter().map(|((unit, kind), (count, area_mu))| SupplyRow { unit, kind, count, area_mu }).collect()
}

/// An open land issue in a unit that has land or a factory to offer.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchedIssue {
    /// The issue.
    pub issue: element_issue::Model,
    /// The unit of the issue's project.
    pub unit: String,
    /// The codes of the unit's available `工业用地`/`标准化厂房` carriers, in code order.
    pub carriers: Vec<String>,
}

/// Matched land issues as of `as_of`: open `用地` issues (opened ≤ D, unresolved by D) in a
/// unit that has an available `工业用地` or `标准化厂房` carrier. The unit of an issue is
/// the unit of its project (the spec says "in a unit"; the project is where land is
/// needed, whoever owns the issue). Ordered by opening day, then project.
pub fn matched_land_issues(
    carriers: &[carrier::Model],
    issues: &[element_issue::Model],
    project_units: &HashMap<String, String>,
    as_of: NaiveDate,
) -> Vec<MatchedIssue> {
    let mut offers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in carriers.iter().filter(|c| is_available(c, as_of) && LAND_KINDS.contains(&c.kind.as_str())) {
        offers.entry(c.unit_code.as_str()).or_default().push(c.code.clone());
    }
    let mut matched: Vec<MatchedIssue> = issues
        .iter()
        .filter(|i| i.category == "用地" && i.opened_date <= as_of && i.resolved_date.is_none_or(|r| r > as_of))
        .filter_map(|i| {
            let unit = project_units.get(&i.project_code)?;
            let mut codes = offers.get(unit.as_str())?.clone();
            codes.sort();
            Some(MatchedIssue { issue: i.clone(), unit: unit.clone(), carriers: codes })
        })
        .collect();
    matched.sort_by(|a, b| {
        (a.issue.opened_date, &a.issue.project_code, &a.issue.description).cmp(&(
            b.issue.opened_date,
            &b.issue.project_code,
            &b.issue.description,
        ))
    });
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    fn carrier(
        code: &str,
        unit: &str,
        kind: &str,
        status: &str,
        area: Option<f64>,
        from: Option<&str>,
    ) -> carrier::Model {
        carrier::Model {
            code: code.into(),
            name: code.into(),
            kind: kind.into(),
            unit_code: unit.into(),
            area_mu: area,
            status: status.into(),
            available_from: from.map(d),
            ..Default::default()
        }
    }

    fn carriers() -> Vec<carrier::Model> {
        vec![
            carrier("C1", "T01", "工业用地", "可供", Some(80.0), None),
            carrier("C2", "T01", "闲置厂房", "可供", Some(20.5), Some("2025-06-30")),
            carrier("C3", "T01", "工业用地", "已意向", Some(60.0), None),
            carrier("C4", "T02", "商业楼宇", "可供", None, None),
            carrier("C5", "T02", "标准化厂房", "可供", Some(10.0), Some("2025-07-01")),
            carrier("C6", "P01", "工业用地", "已使用", Some(100.0), None),
        ]
    }

    #[test]
    fn supply_counts_available_carriers_by_unit_and_kind() {
        let as_of = d("2025-06-30");
        // Available: C1 (80), C2 (20.5, from the day itself), C4 (no area). C3 is
        // reserved, C5 only from tomorrow, C6 in use.
        let all = supply(&carriers(), as_of, SupplyGroup::None);
        assert_eq!(all, [SupplyRow { unit: None, kind: None, count: 3, area_mu: 100.5 }]);
        let by_unit: Vec<_> =
            supply(&carriers(), as_of, SupplyGroup::Unit).into_iter().map(|r| (r.unit, r.count, r.area_mu)).collect();
        assert_eq!(by_unit, [(Some("T01".into()), 2, 100.5), (Some("T02".into()), 1, 0.0)]);
        let by_both: Vec<_> = supply(&carriers(), as_of, SupplyGroup::UnitAndKind)
            .into_iter()
            .map(|r| (r.unit.unwrap_or_default(), r.kind.unwrap_or_default(), r.count))
            .collect();
        assert_eq!(
            by_both,
            [
                ("T01".into(), "工业用地".into(), 1),
                ("T01".into(), "闲置厂房".into(), 1),
                ("T02".into(), "商业楼宇".into(), 1)
            ]
        );
        assert_eq!(supply(&[], as_of, SupplyGroup::Kind), []);
        assert_eq!(supply(&[], as_of, SupplyGroup::None)[0].count, 0);
    }

    #[test]
    fn land_issues_match_units_offering_land_or_factories() {
        let issue = |project: &str, category: &str, opened: &str, resolved: Option<&str>| element_issue::Model {
            id: 0,
            project_code: project.into(),
            category: category.into(),
            description: format!("{project}{category}"),
            owner_unit_code: Some("D01".into()),
            opened_date: d(opened),
            resolved_date: resolved.map(d),
        };
        let issues = [
            issue("A", "用地", "2025-03-01", None),               // T01 offers C1: matched
            issue("B", "用地", "2025-02-01", Some("2025-07-01")), // T02: C5 not yet available
            issue("A", "用电", "2025-01-01", None),               // not land
            issue("A", "用地", "2025-01-01", Some("2025-06-30")), // resolved by the day
            issue("C", "用地", "2025-07-01", None),               // opened after the day
            issue("D", "用地", "2025-01-01", None),               // P01 offers nothing available
        ];
        let units: HashMap<String, String> =
            [("A", "T01"), ("B", "T02"), ("C", "T01"), ("D", "P01")].map(|(p, u)| (p.into(), u.into())).into();
        let matched = matched_land_issues(&carriers(), &issues, &units, d("2025-06-30"));
        let found: Vec<_> =
            matched.iter().map(|m| (m.issue.project_code.as_str(), m.unit.as_str(), m.carriers.clone())).collect();
        assert_eq!(found, [("A", "T01", vec!["C1".to_string()])]);
        let later = matched_land_issues(&carriers(), &issues, &units, d("2025-07-01"));
        let found: Vec<_> = later.iter().map(|m| (m.issue.project_code.as_str(), m.carriers.clone())).collect();
        assert_eq!(found, [("A", vec!["C1".to_string()]), ("C", vec!["C1".to_string()])]);
    }
}
