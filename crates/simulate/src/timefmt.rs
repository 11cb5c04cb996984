//! Record timestamps as seconds since 1970-01-01 UTC (for ordering and
//! pacing), parsed by `didymos_core::timestamp`, and clock-skewed times.

use didymos_core::timestamp::parse_time;
use didymos_core::Date;

pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// Seconds since the epoch, or a message saying what is wrong; the
/// service parses the same text (`didymos_core::timestamp`) to the same
/// millisecond.
pub fn parse_timestamp(text: &str) -> Result<f64, String> {
    parse_time(text).map(|ms| ms as f64 / 1000.0)
}

/// `date` shifted by `hours` (may be negative), as RFC 3339 in UTC.
pub fn skewed(date: Date, hours: f64) -> String {
    let total = (hours * 3600.0).round() as i64;
    let days = total.div_euclid(86_400);
    let secs = total.rem_euclid(86_400);
    let d = date.add_days(days as i32);
    format!(
        "{d}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes() {
        let d = parse_timestamp("2020-03-01").unwrap();
        assert_eq!(parse_timestamp("2020-03-01T00:00:00Z").unwrap(), d);
        assert_eq!(parse_timestamp("2020-03-01T02:00:00+02:00").unwrap(), d);
        assert_eq!(parse_timestamp("2020-02-29T21:00:00-03:00").unwrap(), d);
        assert_eq!(parse_timestamp("2020-03-01T00:00:01.5Z").unwrap(), d + 1.5);
        assert!(parse_timestamp("2020-13-01").is_err());
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("2020-03-01T25:00:00Z").is_err());
        let date: Date = "2020-03-01".parse().unwrap();
        assert_eq!(skewed(date, -3.0), "2020-02-29T21:00:00Z");
        assert_eq!(
            parse_timestamp(&skewed(date, 5.5)).unwrap(),
            d + 5.5 * 3600.0
        );
    }
}
