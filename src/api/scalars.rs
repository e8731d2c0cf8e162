//! Scalars and enums shared by the schema: `Date`, `Stage`, and money in 万元.

use async_graphql::{Enum, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day, written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("{s:?} is not a date YYYY-MM-DD"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Dates as the schema's scalar.
pub fn date(d: Option<NaiveDate>) -> Option<Date> {
    d.map(Date)
}

/// The pipeline stages: 意向 → 洽谈 → 签约 → 开工 → 投产 → 达产.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::rules::Stage")]
pub enum Stage {
    /// 意向: first contact, an intention to invest.
    Intent,
    /// 洽谈: in negotiation.
    Negotiating,
    /// 签约: an agreement or contract signed.
    Signed,
    /// 开工（在建）: construction started.
    Started,
    /// 投产: in production.
    Producing,
    /// 达产达效: at designed capacity.
    AtCapacity,
}

/// Yuan as 万元 for `…Wan` fields.
pub fn wan(yuan: i64) -> f64 {
    crate::money::to_wan(yuan)
}

/// A 万元 amount from the API as exact yuan, with the ledger's rules (≥ 0, at most 4
/// decimals); the error names `field`.
pub fn yuan_from_wan(field: &str, amount: f64) -> Result<i64, super::error::ApiError> {
    if !amount.is_finite() {
        return Err(super::error::ApiError::bad_input(field, format!("{amount} is not a number")));
    }
    crate::money::parse_wan(&format!("{amount}"))
        .map_err(|reason| super::error::ApiError::bad_input(field, format!("{amount} {reason}")))
}
