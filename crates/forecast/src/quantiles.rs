//! Empirical quantiles and epidemiological-week (MMWR) dates.
//!
//! Quantiles use the "type 7" rule (linear interpolation between order
//! statistics), the default of numpy and R, so numbers agree with the
//! reference tools people check forecasts against.

use didymos_core::{Date, Error, Result};

/// The 23 quantile levels the COVID-19 Forecast Hub asked for: 0.01, 0.025,
/// 0.05, 0.10, 0.15, ..., 0.90, 0.95, 0.975, 0.99. Symmetric about 0.5, so
/// they give the median and 11 central intervals for the weighted interval
/// score.
pub const HUB_LEVELS: [f64; 23] = [
    0.01, 0.025, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65,
    0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.975, 0.99,
];

/// Type-7 quantile of already sorted, NaN-free data. The caller guarantees
/// `sorted` is non-empty and `q` in [0, 1].
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    // `a + (b - a) * frac` rather than `(1 - frac) * a + frac * b`: it is
    // exact when a == b (constant data gives the constant back) and when
    // frac == 0.
    if frac == 0.0 || a == b {
        a
    } else {
        a + (b - a) * frac
    }
}

fn check_samples(samples: &[f64]) -> Result<()> {
    if samples.is_empty() {
        return Err(Error::Numerical("quantile of an empty sample".into()));
    }
    if let Some(i) = samples.iter().position(|x| x.is_nan()) {
        return Err(Error::Numerical(format!("sample {i} is NaN")));
    }
    Ok(())
}

fn check_level(q: f64) -> Result<()> {
    if (0.0..=1.0).contains(&q) {
        Ok(())
    } else {
        Err(Error::Other(format!("quantile level {q} is not in [0, 1]")))
    }
}

/// Sorts `samples` in place and returns its type-7 quantile at level `q`.
/// NaN anywhere in `samples`, an empty slice or `q` outside [0, 1] is an
/// error (a NaN would make the order, and so the answer, meaningless).
pub fn quantile(samples: &mut [f64], q: f64) -> Result<f64> {
    Ok(quantiles(samples, &[q])?[0])
}

/// Type-7 quantiles of `samples` at each of `levels`, with one sort.
/// `samples` is left sorted.
pub fn quantiles(samples: &mut [f64], levels: &[f64]) -> Result<Vec<f64>> {
    check_samples(samples)?;
    for &q in levels {
        check_level(q)?;
    }
    samples.sort_unstable_by(f64::total_cmp);
    Ok(levels
        .iter()
        .map(|&q| quantile_sorted(samples, q))
        .collect())
}

/// The Sunday on or before `date`.
fn week_start(date: Date) -> Date {
    // iso_weekday: Monday = 1 ... Sunday = 7; days since Sunday = wd % 7.
    date.add_days(-((date.iso_weekday() % 7) as i32))
}

/// Sunday that starts week 1 of MMWR year `year`: week 1 is the first
/// Sunday-to-Saturday week with at least four days in the year, which is
/// always the week that contains 4 January.
fn week1_start(year: i32) -> Date {
    week_start(Date::from_ymd(year, 1, 4).expect("4 January exists in every year"))
}

/// MMWR (CDC) epidemiological week of `date` as (epi-year, week 1..=53).
/// Weeks run Sunday to Saturday; the week belongs to the year that holds
/// its Wednesday, i.e. at least four of its days.
pub fn epiweek(date: Date) -> (i32, u32) {
    let start = week_start(date);
    let (year, _, _) = start.add_days(3).ymd();
    let week = start.days_since(week1_start(year)) / 7 + 1;
    (year, week as u32)
}

/// The Saturday that ends the epiweek of `date`; weekly targets are dated
/// by this day.
pub fn epiweek_end(date: Date) -> Date {
    week_start(date).add_days(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn type7_matches_numpy() {
        // numpy.quantile([3, 1, 4, 1, 5], [0, .1, .5, .9, 1])
        //   = [1. , 1. , 3. , 4.6, 5. ]
        let mut x = [3.0, 1.0, 4.0, 1.0, 5.0];
        let q = quantiles(&mut x, &[0.0, 0.1, 0.5, 0.9, 1.0]).unwrap();
        let want = [1.0, 1.0, 3.0, 4.6, 5.0];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        // numpy.quantile([10, 20], .25) = 12.5
        assert_eq!(quantile(&mut [20.0, 10.0], 0.25).unwrap(), 12.5);
        assert_eq!(quantile(&mut [7.0], 0.3).unwrap(), 7.0);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(quantile(&mut [1.0, f64::NAN], 0.5).is_err());
        assert!(quantile(&mut [], 0.5).is_err());
        assert!(quantile(&mut [1.0], 1.5).is_err());
    }

    #[test]
    fn hub_levels_are_symmetric() {
        for (a, b) in HUB_LEVELS.iter().zip(HUB_LEVELS.iter().rev()) {
            assert!((a + b - 1.0).abs() < 1e-12);
        }
        assert!(HUB_LEVELS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn known_epiweeks() {
        assert_eq!(epiweek(d("2020-01-04")), (2020, 1));
        assert_eq!(epiweek_end(d("2020-01-04")), d("2020-01-04"));
        assert_eq!(epiweek(d("2019-12-29")), (2020, 1));
        assert_eq!(epiweek(d("2019-12-28")), (2019, 52));
        assert_eq!(epiweek(d("2020-12-31")), (2020, 53));
        assert_eq!(epiweek(d("2021-01-02")), (2020, 53));
        assert_eq!(epiweek_end(d("2020-12-31")), d("2021-01-02"));
        assert_eq!(epiweek(d("2021-01-03")), (2021, 1));
        assert_eq!(epiweek(d("2021-01-09")), (2021, 1));
        assert_eq!(epiweek_end(d("2021-01-05")), d("2021-01-09"));
        // 2014 had 53 MMWR weeks: 1 January 2015 was a Thursday, so its
        // week has only three days in 2015 and closes 2014.
        assert_eq!(epiweek(d("2015-01-01")), (2014, 53));
        assert_eq!(epiweek(d("2015-01-04")), (2015, 1));
        assert_eq!(epiweek(d("2016-01-02")), (2015, 52));
        assert_eq!(epiweek(d("2016-01-03")), (2016, 1));
        // 1 January on a Sunday (2017) starts week 1.
        assert_eq!(epiweek(d("2017-01-01")), (2017, 1));
        // 1 January on a Friday (2010) belongs to the previous year.
        assert_eq!(epiweek(d("2010-01-01")), (2009, 52));
    }
}
