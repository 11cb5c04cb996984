//! A weekly pattern in reporting: counts by date of report (or of
//! occurrence) dip on weekends and catch up on weekdays, so one day's
//! expected value is the week's rate times that weekday's factor.

/// Factors by weekday (Sunday first), averaging 1 over a week, so the
/// pattern moves counts between days but not between weeks; `day1` is
/// the weekday of the model's day 1 (0 = Sunday).
#[derive(Debug, Clone, PartialEq)]
pub struct WeekdayEffect {
    factors: [f64; 7],
    day1: usize,
}

impl WeekdayEffect {
    /// From seven positive factors (Sunday first) in any scale: they are
    /// divided by their mean. `day1` is the weekday of day 1, 0 = Sunday.
    pub fn new(factors: [f64; 7], day1: usize) -> Result<Self, String> {
        if let Some(f) = factors.iter().find(|f| !(f.is_finite() && **f > 0.0)) {
            return Err(format!("weekday factors must be finite and > 0, got {f}"));
        }
        if day1 > 6 {
            return Err(format!(
                "day 1's weekday must be 0 (Sunday) to 6, got {day1}"
            ));
        }
        let mean = factors.iter().sum::<f64>() / 7.0;
        Ok(WeekdayEffect {
            factors: factors.map(|f| f / mean),
            day1,
        })
    }

    /// The factors by weekday, Sunday first, with mean 1.
    pub fn factors(&self) -> &[f64; 7] {
        &self.factors
    }

    /// The factor on model day `day` (1-based).
    pub fn at(&self, day: usize) -> f64 {
        self.factors[(self.day1 + day + 6) % 7]
    }
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
    }
}
