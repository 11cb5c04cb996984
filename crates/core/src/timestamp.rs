//! Observation times: a date (`2020-03-01`, midnight UTC) or an RFC 3339
//! timestamp (`2020-03-01T14:30:00Z`, `…+02:00`, fractions to the
//! millisecond), held as whole milliseconds since 1970 UTC so that ordering
//! and equality are exact. Written back as RFC 3339 in UTC. Shared by the
//! service (ingest) and the stream simulator (replay), which must agree.

use crate::time::Date;

pub const MS_PER_DAY: i64 = 86_400_000;

/// Parses a date or an RFC 3339 timestamp; the error says what was wrong.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let expected = "expected a date (2020-03-01) or an RFC 3339 timestamp (2020-03-01T12:00:00Z)";
    if text.len() == 10 {
        let date: Date = text.parse().map_err(|_| format!("`{text}`: {expected}"))?;
        return Ok(date.days_since_epoch() as i64 * MS_PER_DAY);
    }
    let bad = || format!("`{text}`: {expected}");
    let (date_part, rest) = text.split_at_checked(10).ok_or_else(bad)?;
    let date: Date = date_part.parse().map_err(|_| bad())?;
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    // hh:mm:ss, then optional fraction, then Z or ±hh:mm.
    let hms = rest.get(..8).ok_or_else(bad)?;
    let num = |s: &str, max: i64| -> Result<i64, String> {
        s.parse::<i64>()
            .ok()
            .filter(|v| (0..=max).contains(v) && s.len() == 2)
            .ok_or_else(bad)
    };
    if hms.as_bytes().get(2) != Some(&b':') || hms.as_bytes().get(5) != Some(&b':') {
        return Err(bad());
    }
    let (h, m, s) = (
        num(&hms[0..2], 23)?,
        num(&hms[3..5], 59)?,
        num(&hms[6..8], 60)?,
    );
    let mut tail = &rest[8..];
    let mut millis = 0i64;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let padded = format!("{:0<3}", &frac[..digits.min(3)]);
        millis = padded.parse().map_err(|_| bad())?;
        tail = &frac[digits..];
    }
    let offset_min = match tail {
        "Z" | "z" => 0,
        t if t.len() == 6 && (t.starts_with('+') || t.starts_with('-')) && &t[3..4] == ":" => {
            let sign = if t.starts_with('-') { -1 } else { 1 };
            sign * (num(&t[1..3], 23)? * 60 + num(&t[4..6], 59)?)
        }
        _ => {
            return Err(format!(
                "`{text}`: a timestamp needs a time zone (Z or ±hh:mm)"
            ))
        }
    };
    Ok(date.days_since_epoch() as i64 * MS_PER_DAY
        + ((h * 60 + m - offset_min) * 60 + s) * 1000
        + millis)
}

/// The UTC day (days since 1970) of a time.
pub fn day_of(t_ms: i64) -> i32 {
    t_ms.div_euclid(MS_PER_DAY) as i32
}

/// RFC 3339 in UTC, with milliseconds when they are not zero.
pub fn format_time(t_ms: i64) -> String {
    let date = Date::from_days_since_epoch(day_of(t_ms));
    let ms = t_ms.rem_euclid(MS_PER_DAY);
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if f == 0 {
        format!("{date}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{date}T{h:02}:{m:02}:{s:02}.{f:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_agree() {
        let d = parse_time("2020-03-01").unwrap();
        assert_eq!(parse_time("2020-03-01T00:00:00Z").unwrap(), d);
        assert_eq!(parse_time("2020-03-01T02:00:00+02:00").unwrap(), d);
        assert_eq!(parse_time("2020-03-01T00:00:00.250Z").unwrap(), d + 250);
        assert_eq!(format_time(d + 250), "2020-03-01T00:00:00.250Z");
        assert_eq!(day_of(d - 1), day_of(d) - 1);
        for bad in [
            "",
            "2020-13-01",
            "yesterday",
            "2020-03-01T25:00:00Z",
            "2020-03-01T10:00:00",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
