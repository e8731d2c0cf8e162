//! Quarterly unit scorecards and ranking (季度考核排名): attainment of each annual
//! target pro rata to the quarter, a weighted score, ranks with ties, the bottom units
//! and the accountability flag (连续两次排名靠后).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::volume::by_unit;
use super::{AnalyticsError, Frames, Metric, ProjectFilter};

/// Weights and bottom size, configurable in a TOML file (`--scoring FILE`):
///
/// ```toml
/// bottom = 3
/// [weights]
/// signed_investment = 0.30
/// signed_count = 0.15
/// new_starts = 0.15
/// new_starts_10m = 0.15
/// fai = 0.25
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// Weight of each target metric, by key.
    pub weights: Weights,
    /// How many units at the bottom are flagged.
    pub bottom: usize,
}

/// The weight of each target metric.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// 签约金额
    pub signed_investment: f64,
    /// 签约项目数
    pub signed_count: f64,
    /// 新开工项目数
    pub new_starts: f64,
    /// 千万元以上新开工项目数
    pub new_starts_10m: f64,
    /// 固定资产投资
    pub fai: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { signed_investment: 0.30, signed_count: 0.15, new_starts: 0.15, new_starts_10m: 0.15, fai: 0.25 }
    }
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig { weights: Weights::default(), bottom: 3 }
    }
}

impl ScoringConfig {
    /// Reads a TOML file; absent keys keep their defaults.
    pub fn from_toml(text: &str) -> Result<ScoringConfig, String> {
        let config: ScoringConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// Whether the weights are usable: numbers ≥ 0.
    pub fn check(&self) -> Result<(), String> {
        let w = &self.weights;
        if [w.signed_investment, w.signed_count, w.new_starts, w.new_starts_10m, w.fai]
            .iter()
            .any(|x| !x.is_finite() || *x < 0.0)
        {
            return Err("weights must be numbers ≥ 0".into());
        }
        Ok(())
    }

    fn weight(&self, metric: Metric) -> f64 {
        let w = &self.weights;
        match metric {
            Metric::SignedInvestment => w.signed_investment,
            Metric::SignedCount => w.signed_count,
            Metric::NewStarts => w.new_starts,
            Metric::NewStarts10m => w.new_starts_10m,
            Metric::Fai => w.fai,
            _ => 0.0,
        }
    }
}

/// The five target metrics in the order scorecards list them.
pub const SCORED: [Metric; 5] =
    [Metric::SignedInvestment, Metric::SignedCount, Metric::NewStarts, Metric::NewStarts10m, Metric::Fai];

/// One metric of a scorecard.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreMetric {
    /// Which.
    pub metric: Metric,
    /// The annual target (yuan or count).
    pub target: i64,
    /// The actual from 1 January to the end of the quarter.
    pub actual: i64,
    /// min(actual / (target · q/4), 1.5).
    pub attainment: f64,
    /// Its weight.
    pub weight: f64,
}

/// A unit's scorecard for a quarter.
#[derive(Clone, Debug, PartialEq)]
pub struct Scorecard {
    /// The unit's code.
    pub unit: String,
    /// 100 · Σ w·a / Σ w.
    pub score: f64,
    /// 1 for the best; equal scores share a rank.
    pub rank: usize,
    /// Among the bottom units this quarter.
    pub bottom: bool,
    /// In the bottom this quarter and the one before (连续两次排名靠后).
    pub accountability: bool,
    /// The metrics that have a target.
    pub metrics: Vec<ScoreMetric>,
}

/// The last day of a quarter.
pub fn quarter_end(year: i32, quarter: u32) -> Option<NaiveDate> {
    let (y, m) = if quarter == 4 { (year + 1, 1) } else { (year, quarter * 3 + 1) };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// Scorecards of every unit with a target in `year`, ranked, for quarter `quarter`.
pub fn scorecards(
    frames: &Frames,
    year: i32,
    quarter: u32,
    config: &ScoringConfig,
) -> Result<Vec<Scorecard>, AnalyticsError> {
    let mut cards = ranked(frames, year, quarter, config)?;
    let (prev_year, prev_quarter) = if quarter == 1 { (year - 1, 4) } else { (year, quarter - 1) };
    let previous_bottom: Vec<String> =
        ranked(frames, prev_year, prev_quarter, config)?.into_iter().filter(|c| c.bottom).map(|c| c.unit).collect();
    for card in &mut cards {
        card.accountability = card.bottom && previous_bottom.contains(&card.unit);
    }
    Ok(cards)
}

fn ranked(frames: &Frames, year: i32, quarter: u32, config: &ScoringConfig) -> Result<Vec<Scorecard>, AnalyticsError> {
    if !(1..=4).contains(&quarter) {
        return Err(AnalyticsError::BadInput(format!("quarter must be 1 to 4, not {quarter}")));
    }
    let (Some(start), Some(end)) = (NaiveDate::from_ymd_opt(year, 1, 1), quarter_end(year, quarter)) else {
        return Err(AnalyticsError::BadInput(format!("{year} is not a year")));
    };
    let all = ProjectFilter::default();
    let mut actuals: HashMap<Metric, HashMap<String, i64>> = HashMap::new();
    for metric in SCORED {
        super::check_cancelled()?;
        // Scorecards count all data up to the end of the quarter.
        actuals.insert(metric, by_unit(frames, metric, &all, start, end, end)?);
    }
    let mut cards = Vec::new();
    for unit in frames.units.iter() {
        let mut metrics = Vec::new();
        for metric in SCORED {
            let target = frames
                .targets
                .iter()
                .find(|t| {
                    t.unit_code == unit.code && t.year == year && Metric::from_target_key(&t.metric) == Some(metric)
                })
                .map_or(0, |t| t.value);
            if target <= 0 {
                continue;
            }
            let actual = actuals.get(&metric).and_then(|a| a.get(&unit.code)).copied().unwrap_or(0);
            let attainment = (actual as f64 / (target as f64 * quarter as f64 / 4.0)).min(1.5);
            metrics.push(ScoreMetric { metric, target, actual, attainment, weight: config.weight(metric) });
        }
        let weights: f64 = metrics.iter().map(|m| m.weight).sum();
        if metrics.is_empty() || weights <= 0.0 {
            continue; // No target: no score and no rank.
        }
        let score = 100.0 * metrics.iter().map(|m| m.weight * m.attainment).sum::<f64>() / weights;
        cards.push(Scorecard {
            unit: unit.code.clone(),
            score,
            rank: 0,
            bottom: false,
            accountability: false,
            metrics,
        });
    }
    cards.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.unit.cmp(&b.unit)));
    let n = cards.len();
    for i in 0..n {
        // Standard competition ranking: equal scores share a rank (1, 2, 2, 4).
        cards[i].rank = if i > 0 && same_score(cards[i].score, cards[i - 1].score) { cards[i - 1].rank } else { i + 1 };
        cards[i].bottom = cards[i].rank + config.bottom > n;
    }
    Ok(cards)
}

/// Scores equal up to float noise from summing the same attainments in another order.
fn same_score(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
