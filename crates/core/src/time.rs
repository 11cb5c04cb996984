//! Calendar dates and the mapping from dates to simulation days.
//!
//! A tiny proleptic-Gregorian date (days since 1970-01-01) is all the engine
//! needs; it avoids a date-library dependency in the core and makes day
//! arithmetic exact integer arithmetic.

use std::fmt;
use std::str::FromStr;

/// A civil date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    pub const fn from_days_since_epoch(days: i32) -> Self {
        Date(days)
    }
    pub const fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// `None` for an impossible date (month 13, 30 February, ...).
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Self> {
        // The year bound keeps the day count far from i32 overflow.
        if !(-1_000_000..=1_000_000).contains(&y)
            || !(1..=12).contains(&m)
            || d == 0
            || d > days_in_month(y, m)
        {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m as i32 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    pub fn add_days(self, n: i32) -> Self {
        Date(self.0 + n)
    }

    /// Whole days from `other` to `self`.
    pub fn days_since(self, other: Date) -> i32 {
        self.0 - other.0
    }

    /// ISO weekday, Monday = 1 ... Sunday = 7.
    pub fn iso_weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        ((self.0.rem_euclid(7) + 3) % 7 + 1) as u32
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date of the form YYYY-MM-DD")]
pub struct DateParseError(pub String);

impl FromStr for Date {
    type Err = DateParseError;
    /// `YYYY-MM-DD`: a four-digit year, and a month and day of one or two
    /// digits. A trailing time part (`2020-03-16T00:00:00`, `2020-03-16
    /// 00:00`, `…T00:00:00Z`) is accepted and ignored, since several public
    /// CSVs carry one; anything else after the date is an error, as are
    /// signs and longer years, so that a typo is never read as a far-off
    /// date.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DateParseError(s.to_string());
        let t = s.trim();
        let (date, time) = match t.split_once(['T', ' ']) {
            Some((d, rest)) => (d, Some(rest)),
            None => (t, None),
        };
        if let Some(time) = time {
            let time_like = time.starts_with(|c: char| c.is_ascii_digit())
                && time
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z'));
            if !time_like {
                return Err(err());
            }
        }
        let mut it = date.split('-');
        let mut field = |digits: std::ops::RangeInclusive<usize>| {
            it.next()
                .filter(|f| digits.contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|f| f.parse::<u32>().ok())
                .ok_or_else(err)
        };
        let (y, m, d) = (field(4..=4)?, field(1..=2)?, field(1..=2)?);
        if it.next().is_some() {
            return Err(err());
        }
        Date::from_ymd(y as i32, m, d).ok_or_else(err)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Maps dates to 1-based simulation days: day 1 is `start` and holds the
/// initial condition (EpiSim's convention), day `n_days` is `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub start: Date,
    pub end: Date,
}

impl Calendar {
    /// `None` when `end` is before `start`.
    pub fn new(start: Date, end: Date) -> Option<Self> {
        (end >= start).then_some(Calendar { start, end })
    }
    pub fn n_days(&self) -> usize {
        (self.end.days_since(self.start) + 1) as usize
    }
    /// Day index of `date` (may be < 1 or > n_days when outside the range).
    pub fn day_of(&self, date: Date) -> i64 {
        i64::from(date.days_since(self.start)) + 1
    }
    /// Day index of `date` if it lies inside the simulated range.
    pub fn day_in_range(&self, date: Date) -> Option<usize> {
        let d = self.day_of(date);
        (1..=self.n_days() as i64)
            .contains(&d)
            .then_some(d as usize)
    }
    /// As [`Calendar::day_in_range`], with the error a user sees: `what`
    /// names the option or key that gave `date` (e.g. `--until`).
    pub fn day_within(&self, date: Date, what: &str) -> crate::Result<usize> {
        self.day_in_range(date).ok_or_else(|| {
            crate::Error::Other(format!(
                "{what} {date} is outside the twin's range {}..{}",
                self.start, self.end
            ))
        })
    }
    pub fn date_of(&self, day: usize) -> Date {
        self.start.add_days(day as i32 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_known_dates() {
        let d: Date = "2020-02-09".parse().unwrap();
        assert_eq!(d.to_string(), "2020-02-09");
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!("2020-03-16".parse::<Date>().unwrap().days_since(d), 36);
        for n in -800_000..800_000 {
            if n % 997 == 0 {
                let x = Date::from_days_since_epoch(n);
                let (y, m, dd) = x.ymd();
                assert_eq!(Date::from_ymd(y, m, dd), Some(x));
            }
        }
        assert!("2021-02-29".parse::<Date>().is_err());
        assert!("2020-02-29".parse::<Date>().is_ok());
        assert!("20-02".parse::<Date>().is_err());
        assert!("999999999-01-01".parse::<Date>().is_err());
        // Typos are errors, not far-off or shifted dates.
        for bad in [
            "100000-01-01",
            "+2020-03-15",
            "2020-03-15Tgarbage",
            "2020-03-15 x",
            "2020-03-15T",
            "2020-003-15",
            "2020-03-+5",
            "2020-03-15-",
            "0202-3",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        for (ok, canonical) in [
            ("2020-3-5", "2020-03-05"),
            ("2020-03-15T00:00:00", "2020-03-15"),
            ("2020-03-15T00:00:00Z", "2020-03-15"),
            ("2020-03-15T00:00:00.000+02:00", "2020-03-15"),
            (" 2020-03-15 00:00 ", "2020-03-15"),
        ] {
            assert_eq!(ok.parse::<Date>().unwrap().to_string(), canonical, "{ok}");
        }
        assert_eq!("2020-03-16".parse::<Date>().unwrap().iso_weekday(), 1);
    }

    #[test]
    fn calendar_days_are_one_based() {
        let c =
            Calendar::new("2020-02-09".parse().unwrap(), "2020-05-31".parse().unwrap()).unwrap();
        assert_eq!(c.n_days(), 113);
        assert_eq!(c.day_of("2020-03-16".parse().unwrap()), 37);
        assert_eq!(c.date_of(1), c.start);
        assert_eq!(c.day_in_range("2020-06-01".parse().unwrap()), None);
    }
}
