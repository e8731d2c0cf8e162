//! Money at the edges: ledgers and users speak 万元 (10,000 yuan), the store keeps exact
//! integer yuan. Parsing is done on the decimal text, never through a float.

/// Yuan in one 万元.
pub const YUAN_PER_WAN: i64 = 10_000;

/// Parses a decimal number of 万元 (at most 4 decimals, ≥ 0, `,` separators allowed)
/// into exact yuan. The error is a reason to show after the offending value.
pub fn parse_wan(text: &str) -> Result<i64, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.starts_with('-') {
        return Err("is negative; money must be ≥ 0".into());
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits_only(whole) || !digits_only(frac) {
        return Err("is not a number of 万元".into());
    }
    if frac.len() > 4 {
        return Err("has more than 4 decimal places (万元 are kept to the yuan)".into());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| "is too large".to_string())? };
    let frac_yuan: i64 = format!("{frac:0<4}").parse().unwrap_or(0);
    whole.checked_mul(YUAN_PER_WAN).and_then(|y| y.checked_add(frac_yuan)).ok_or_else(|| "is too large".to_string())
}

/// Formats yuan as 万元 with the shortest exact decimal (`18500.5`, `999.9999`, `32000`).
pub fn format_wan(yuan: i64) -> String {
    let sign = if yuan < 0 { "-" } else { "" };
    let abs = yuan.unsigned_abs();
    let whole = abs / YUAN_PER_WAN as u64;
    let frac = abs % YUAN_PER_WAN as u64;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:04}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// Yuan as a float number of 万元, for charts and the API's `…Wan` fields.
pub fn to_wan(yuan: i64) -> f64 {
    yuan as f64 / YUAN_PER_WAN as f64
}

/// Yuan as a float number of 亿元 (10⁸ yuan).
pub fn to_yi(yuan: i64) -> f64 {
    yuan as f64 / 1e8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wan_exactly_to_yuan() {
        assert_eq!(parse_wan("18500.5"), Ok(185_005_000));
        assert_eq!(parse_wan("999.9999"), Ok(9_999_999));
        assert_eq!(parse_wan(" 1,200 "), Ok(12_000_000));
        assert_eq!(parse_wan(".5"), Ok(5_000));
        assert!(parse_wan("-1").is_err());
        assert!(parse_wan("1.00001").is_err());
        assert!(parse_wan("abc").is_err());
        assert!(parse_wan(".").is_err());
    }

    #[test]
    fn formats_yuan_as_shortest_wan() {
        assert_eq!(format_wan(185_005_000), "18500.5");
        assert_eq!(format_wan(9_999_999), "999.9999");
        assert_eq!(format_wan(320_000_000), "32000");
        assert_eq!(format_wan(0), "0");
    }
}
