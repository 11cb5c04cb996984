//! A weekly pattern in reporting: counts by date of report (or of
//! occurrence) dip on weekends and catch up on weekdays, so one day's
//! expected value is the week's rate times that weekday's factor.
//!
//! The factors are either given or estimated from the stream's own daily
//! totals. Estimates are causal: the factors used on day d come from days
//! before d only, so a filter fed day by day and one fed the whole record
//! use the same factors, and a forecast from an origin (see
//! [`WeekdayEffect::as_of`]) uses none from after it.

/// Factors below this are raised to it before scaling: a weekday that
/// has reported nothing so far would otherwise expect exactly 0 and make
/// any later report on it impossible.
pub const MIN_FACTOR: f64 = 0.05;

/// Factors by weekday (Sunday first), averaging 1 over a week, so the
/// pattern moves counts between days but not between weeks; `day1` is
/// the weekday of the model's day 1 (0 = Sunday).
#[derive(Debug, Clone, PartialEq)]
pub struct WeekdayEffect {
    /// `tables[d - 1]` holds for day d; days past the last use the last.
    tables: Vec<[f64; 7]>,
    day1: usize,
    /// `Some(weeks)`: estimated over that many trailing weeks.
    window_weeks: Option<usize>,
}

impl WeekdayEffect {
    /// From seven positive factors (Sunday first) in any scale: they are
    /// divided by their mean. `day1` is the weekday of day 1, 0 = Sunday.
    pub fn new(factors: [f64; 7], day1: usize) -> Result<Self, String> {
        if let Some(f) = factors.iter().find(|f| !(f.is_finite() && **f > 0.0)) {
            return Err(format!("weekday factors must be finite and > 0, got {f}"));
        }
        check_day1(day1)?;
        Ok(WeekdayEffect {
            tables: vec![scaled(factors)],
            day1,
            window_weeks: None,
        })
    }

    /// Factors estimated from the stream's daily totals over the last
    /// `window_weeks` weeks before each day (see [`Self::fit`]); all 1
    /// until fitted, and while fewer than two of each weekday can be used.
    pub fn estimated(window_weeks: usize, day1: usize) -> Result<Self, String> {
        if window_weeks < 2 {
            return Err(format!(
                "the estimation window must be at least 2 weeks, got {window_weeks}"
            ));
        }
        check_day1(day1)?;
        Ok(WeekdayEffect {
            tables: vec![[1.0; 7]],
            day1,
            window_weeks: Some(window_weeks),
        })
    }

    /// Whether the factors come from the data ([`Self::estimated`]).
    pub fn is_estimated(&self) -> bool {
        self.window_weeks.is_some()
    }

    /// Estimate the factors of every day from `totals[t]`, the stream's
    /// total on day t + 1 (`None` where any location is missing); a given
    /// pattern ignores this.
    ///
    /// For day d, each day r whose centred week r − 3 ..= r + 3 lies
    /// before d, within the window, and is complete with a positive mean
    /// m_r, contributes its total y_r and m_r to its weekday; the factor
    /// is Σ y_r / Σ m_r (a ratio to the centred moving average, which a
    /// steady trend does not bias), floored at [`MIN_FACTOR`] and scaled
    /// to mean 1.
    pub fn fit(&mut self, totals: &[Option<f64>]) {
        let Some(weeks) = self.window_weeks else {
            return;
        };
        let n = totals.len();
        // Centred means, for centres r = 4 ..= n − 3 (1-based days).
        let mean_around = |r: usize| -> Option<f64> {
            let mut s = 0.0;
            for v in &totals[r - 4..r + 3] {
                s += (*v)?;
            }
            Some(s / 7.0).filter(|m| *m > 0.0)
        };
        let centred: Vec<Option<(f64, f64)>> = (0..=n)
            .map(|r| {
                if r < 4 || r + 3 > n {
                    return None;
                }
                Some((totals[r - 1]?, mean_around(r)?))
            })
            .collect();
        self.tables = (1..=n + 1)
            .map(|d| {
                // Centres whose week ends before d: r + 3 ≤ d − 1.
                let Some(last) = d.checked_sub(4) else {
                    return [1.0; 7];
                };
                let first = (last + 1).saturating_sub(7 * weeks).max(4);
                let mut num = [0.0; 7];
                let mut den = [0.0; 7];
                let mut count = [0usize; 7];
                for (r, c) in centred.iter().enumerate().take(last + 1).skip(first) {
                    if let Some((y, m)) = c {
                        let wd = (self.day1 + r + 6) % 7;
                        num[wd] += y;
                        den[wd] += m;
                        count[wd] += 1;
                    }
                }
                if count.iter().any(|&c| c < 2) {
                    return [1.0; 7];
                }
                let mut f = [0.0; 7];
                for k in 0..7 {
                    f[k] = (num[k] / den[k]).max(MIN_FACTOR);
                }
                scaled(f)
            })
            .collect();
    }

    /// The same effect as a forecast from `day` sees it: every later day
    /// uses day `day + 1`'s factors, estimated from days up to `day`.
    pub fn as_of(&self, day: usize) -> Self {
        let mut out = self.clone();
        out.tables.truncate((day + 1).max(1));
        out
    }

    /// Whether [`Self::as_of`] would change anything for `day`.
    pub fn reaches_past(&self, day: usize) -> bool {
        self.tables.len() > day + 1
    }

    /// The factors by weekday, Sunday first, with mean 1, that hold on
    /// model day `day` (the latest estimate past the data's end).
    pub fn factors_on(&self, day: usize) -> &[f64; 7] {
        &self.tables[day.saturating_sub(1).min(self.tables.len() - 1)]
    }

    /// The latest factors by weekday, Sunday first, with mean 1.
    pub fn factors(&self) -> &[f64; 7] {
        self.factors_on(usize::MAX)
    }

    /// The factor on model day `day` (1-based).
    pub fn at(&self, day: usize) -> f64 {
        self.factors_on(day)[(self.day1 + day + 6) % 7]
    }
}

fn check_day1(day1: usize) -> Result<(), String> {
    if day1 > 6 {
        return Err(format!(
            "day 1's weekday must be 0 (Sunday) to 6, got {day1}"
        ));
    }
    Ok(())
}

fn scaled(factors: [f64; 7]) -> [f64; 7] {
    let mean = factors.iter().sum::<f64>() / 7.0;
    factors.map(|f| f / mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_average_one_and_follow_the_calendar() {
        // Day 1 a Wednesday (3): day 5 is Sunday, day 11 Saturday.
        let w = WeekdayEffect::new([0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5], 3).unwrap();
        let sum: f64 = w.factors().iter().sum();
        assert!((sum - 7.0).abs() < 1e-12);
        assert_eq!(w.at(5), w.factors()[0]);
        assert_eq!(w.at(11), w.factors()[6]);
        assert_eq!(w.at(1), w.factors()[3]);
        assert_eq!(w.at(8), w.factors()[3]);
        // Any seven consecutive days sum to 7.
        for start in 1..20 {
            let s: f64 = (start..start + 7).map(|d| w.at(d)).sum();
            assert!((s - 7.0).abs() < 1e-12);
        }
        assert!(WeekdayEffect::new([1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0], 0).is_err());
        assert!(WeekdayEffect::new([1.0; 7], 7).is_err());
        assert!(WeekdayEffect::estimated(1, 0).is_err());
        assert!(WeekdayEffect::estimated(4, 7).is_err());
    }

    /// Totals with a known pattern on an exponential trend (3% a day, a
    /// steep rise), exactly (no noise): the centred ratio
    /// recovers the pattern up to the trend's curvature over a week
    /// (about 0.01 at this growth).
    fn growing(days: usize, day1: usize, pattern: [f64; 7]) -> Vec<Option<f64>> {
        let p = scaled(pattern);
        (1..=days)
            .map(|d| Some(100.0 * 1.03f64.powi(d as i32) * p[(day1 + d + 6) % 7]))
            .collect()
    }

    #[test]
    fn estimates_recover_a_pattern_from_earlier_days_only() {
        let pattern = [0.6, 1.2, 1.1, 1.05, 1.05, 1.0, 0.7];
        let truth = scaled(pattern);
        let mut w = WeekdayEffect::estimated(4, 2).unwrap();
        let totals = growing(60, 2, pattern);
        w.fit(&totals);
        // Day d can use centres r ≤ d − 4 (their week ends on d − 1); two
        // of each weekday need centres 4 ..= 17, so day 21 is the first.
        assert_eq!(w.factors_on(20), &[1.0; 7]);
        assert_ne!(w.factors_on(21), &[1.0; 7]);
        for (a, b) in w.factors().iter().zip(truth) {
            assert!((a - b).abs() < 0.02, "{:?} vs {truth:?}", w.factors());
        }
        // Causal: the factors of day d do not move when later days change.
        let mut changed = totals.clone();
        for v in &mut changed[40..] {
            *v = v.map(|x| x * 5.0);
        }
        let mut w2 = WeekdayEffect::estimated(4, 2).unwrap();
        w2.fit(&changed);
        for d in 1..=41 {
            assert_eq!(w.factors_on(d), w2.factors_on(d), "day {d}");
        }
        assert_ne!(w.factors_on(42), w2.factors_on(42));
        // A forecast from day 30 uses day 31's factors from then on.
        let frozen = w2.as_of(30);
        assert!(w2.reaches_past(30) && !frozen.reaches_past(30));
        assert_eq!(frozen.factors_on(55), w.factors_on(31));
        assert_eq!(frozen.at(45), w.factors_on(31)[(2 + 45 + 6) % 7]);
    }

    #[test]
    fn gaps_and_silent_weekdays_are_handled() {
        // A weekday that never reports gets the floor, not 0.
        let mut totals = growing(70, 0, [0.0001, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        for (i, v) in totals.iter_mut().enumerate() {
            if i % 7 == 0 {
                *v = Some(0.0);
            }
        }
        // A missing day removes the weeks around it, not the estimate.
        totals[50] = None;
        let mut w = WeekdayEffect::estimated(8, 0).unwrap();
        w.fit(&totals);
        let f = w.factors();
        let mean_rest = f[1..].iter().sum::<f64>() / 6.0;
        assert!((f[0] / mean_rest - MIN_FACTOR).abs() < 0.01, "{f:?}");
        assert!(f.iter().all(|x| x.is_finite() && *x > 0.0));
        // A given pattern is not refitted.
        let mut given = WeekdayEffect::new([1.0; 7], 0).unwrap();
        given.fit(&totals);
        assert_eq!(given.factors(), &[1.0; 7]);
        assert!(!given.reaches_past(0));
    }
}
