//! Scales (data → SVG units) and axes with "nice" value ticks and calendar
//! date ticks. Ticks are computed by integer or exact-step arithmetic so the
//! same data always gives the same ticks.

use didymos_core::Date;

use crate::text::{coord, escape, fixed_trimmed, grouped, month_abbrev};

/// Linear map from a value interval onto a pixel interval.
#[derive(Debug, Clone, Copy)]
pub struct Linear {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Linear {
    pub fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// Value ticks: an extended domain with round ends and the labelled values.
pub struct ValueTicks {
    pub lo: f64,
    pub hi: f64,
    pub values: Vec<f64>,
    decimals: usize,
}

impl ValueTicks {
    /// About `target` ticks covering `[lo, hi]` with steps of 1, 2 or 5 × 10ᵏ.
    pub fn nice(lo: f64, hi: f64, target: usize) -> Self {
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else if lo == 0.0 {
            (0.0, 1.0)
        } else {
            // A flat series: open the axis around its one value.
            let pad = lo.abs() * 0.1;
            (lo - pad, hi + pad)
        };
        let raw = (hi - lo) / target.max(1) as f64;
        // Power of ten at or below `raw`, found by exact multiplications
        // rather than log10 so it never depends on libm rounding.
        let mut magnitude = 1.0_f64;
        let mut decimals = 0usize;
        while magnitude > raw {
            magnitude /= 10.0;
            decimals += 1;
        }
        // Capped: a range as wide as 2e308 makes `raw` infinite, and an
        // uncapped loop would then never end.
        while magnitude * 10.0 <= raw && magnitude < 1e307 {
            magnitude *= 10.0;
        }
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        if step >= 1.0 {
            decimals = 0;
        }
        let first = (lo / step).floor() as i64;
        let last = (hi / step).ceil() as i64;
        let values = (first..=last).map(|i| i as f64 * step).collect();
        ValueTicks {
            lo: first as f64 * step,
            hi: last as f64 * step,
            values,
            decimals,
        }
    }

    pub fn label(&self, v: f64) -> String {
        if v.abs() >= 1e6 && self.decimals == 0 {
            // Millions read better as "2.5M" than as "2,500,000".
            return format!("{}M", fixed_trimmed(v / 1e6, 2));
        }
        grouped(v, self.decimals)
    }
}

/// A tick on a date axis.
pub struct DateTick {
    pub date: Date,
    pub label: String,
}

/// A spacing of date ticks.
#[derive(Clone, Copy)]
enum Step {
    Days(i32),
    Weeks(i32),
    Months(i32),
    Years(i32),
}

impl Step {
    /// The most days between two of its ticks.
    fn max_gap(self) -> i64 {
        let days = match self {
            Step::Days(n) => n,
            Step::Weeks(n) => 7 * n,
            Step::Months(n) => 31 * n,
            Step::Years(n) => 366 * n,
        };
        i64::from(days)
    }

    fn dates(self, first: Date, last: Date) -> Vec<Date> {
        match self {
            Step::Days(n) => {
                let start = first.days_since_epoch().div_euclid(n) * n;
                every_days(Date::from_days_since_epoch(start), n, first, last)
            }
            Step::Weeks(n) => {
                let monday = first.add_days(-(first.iso_weekday() as i32 - 1));
                every_days(monday, 7 * n, first, last)
            }
            Step::Months(n) => months(first, last, n),
            Step::Years(n) => months(first, last, 12 * n),
        }
    }
}

/// Calendar-aligned ticks (days, Mondays, first of months, 1 January),
/// choosing the finest spacing that gives at most `max_ticks`.
pub fn date_ticks(first: Date, last: Date, max_ticks: usize) -> Vec<DateTick> {
    let steps = [
        Step::Days(1),
        Step::Days(2),
        Step::Weeks(1),
        Step::Weeks(2),
        Step::Months(1),
        Step::Months(2),
        Step::Months(3),
        Step::Months(6),
        Step::Years(1),
        Step::Years(2),
        Step::Years(5),
        Step::Years(10),
        Step::Years(50),
        Step::Years(100),
    ];
    let span = i64::from(last.days_since_epoch()) - i64::from(first.days_since_epoch());
    let max = i64::try_from(max_ticks).unwrap_or(i64::MAX);
    let mut chosen = None;
    for step in steps {
        // A step whose ticks are at most `max_gap` apart puts at least
        // span / max_gap of them on the axis: too many, so it is skipped
        // without listing them (listing every day of a span of millennia
        // took minutes).
        if span / step.max_gap() > max {
            continue;
        }
        let dates = step.dates(first, last);
        if dates.len() <= max_ticks {
            chosen = Some((step, dates));
            break;
        }
    }
    let (step, dates) = chosen.unwrap_or_else(|| {
        // Longer than the steps above allow: 200, 500, 1000, 2000, ...
        // years, the finest whose ticks (at most span / 365n + 1 of them)
        // fit. Dates span under 6 million years, so this ends by 10⁷.
        let mut base: i64 = 100;
        let years = loop {
            let fits = [2, 5, 10]
                .map(|m| base * m)
                .into_iter()
                .find(|&n| span / (365 * n) < max.max(1));
            match fits {
                Some(n) => break n,
                None if base >= 1_000_000 => break 10 * base,
                None => base *= 10,
            }
        };
        let step = Step::Years(i32::try_from(years).unwrap_or(i32::MAX / 12));
        (step, step.dates(first, last))
    });
    let monthly = matches!(step, Step::Months(_));
    let yearly = matches!(step, Step::Years(_));
    let mut ticks = Vec::with_capacity(dates.len());
    let mut prev_year = None;
    for date in dates {
        let (y, m, d) = date.ymd();
        // The year is shown on the first tick and wherever it changes.
        let new_year = prev_year != Some(y);
        prev_year = Some(y);
        let label = if yearly {
            format!("{y}")
        } else if monthly {
            if new_year {
                format!("{} {y}", month_abbrev(m))
            } else {
                month_abbrev(m).to_string()
            }
        } else if new_year {
            format!("{d} {} {y}", month_abbrev(m))
        } else {
            format!("{d} {}", month_abbrev(m))
        };
        ticks.push(DateTick { date, label });
    }
    ticks
}

fn every_days(start: Date, step: i32, first: Date, last: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d <= last {
        if d >= first {
            out.push(d);
        }
        d = d.add_days(step);
    }
    out
}

/// First-of-month dates in `[first, last]` whose month index (counted from
/// January of year 0) is a multiple of `step`: quarters start in January,
/// April, ...; a 12-month step gives 1 January.
fn months(first: Date, last: Date, step: i32) -> Vec<Date> {
    let index = |d: Date| {
        let (y, m, _) = d.ymd();
        y * 12 + m as i32 - 1
    };
    let mut i = index(first).div_euclid(step) * step;
    let mut out = Vec::new();
    loop {
        let (y, m) = (i.div_euclid(12), i.rem_euclid(12) as u32 + 1);
        let Some(d) = Date::from_ymd(y, m, 1) else {
            break;
        };
        if d > last {
            break;
        }
        if d >= first {
            out.push(d);
        }
        i += step;
    }
    out
}

/// The plot rectangle inside a chart's viewBox.
#[derive(Debug, Clone, Copy)]
pub struct PlotArea {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// Draws horizontal grid lines with value labels, the date ticks and the
/// rotated y-axis label.
pub fn draw_axes(
    out: &mut String,
    area: PlotArea,
    x: &Linear,
    y: &Linear,
    y_ticks: &ValueTicks,
    x_ticks: &[DateTick],
    y_label: &str,
) {
    out.push_str("<g class=\"axes\" font-size=\"12\" fill=\"#444\">");
    for &v in &y_ticks.values {
        let py = coord(y.at(v));
        out.push_str(&format!(
            "<line x1=\"{}\" x2=\"{}\" y1=\"{py}\" y2=\"{py}\" stroke=\"#e3e3e3\"/>\
             <text x=\"{}\" y=\"{py}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            coord(area.left),
            coord(area.right),
            coord(area.left - 8.0),
            escape(&y_ticks.label(v)),
        ));
    }
    let base = coord(area.bottom);
    out.push_str(&format!(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{base}\" y2=\"{base}\" stroke=\"#888\"/>",
        coord(area.left),
        coord(area.right)
    ));
    for tick in x_ticks {
        let px = coord(x.at(f64::from(tick.date.days_since_epoch())));
        out.push_str(&format!(
            "<line x1=\"{px}\" x2=\"{px}\" y1=\"{base}\" y2=\"{}\" stroke=\"#888\"/>\
             <text x=\"{px}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            coord(area.bottom + 5.0),
            coord(area.bottom + 20.0),
            escape(&tick.label),
        ));
    }
    let mid = coord((area.top + area.bottom) / 2.0);
    out.push_str(&format!(
        "<text transform=\"translate(16 {mid}) rotate(-90)\" text-anchor=\"middle\" \
         font-size=\"13\" fill=\"#222\">{}</text></g>",
        escape(y_label)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn nice_ticks_cover_the_range_with_round_steps() {
        let t = ValueTicks::nice(0.0, 937.0, 5);
        assert_eq!(t.values, vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
        assert_eq!(t.label(1000.0), "1,000");
        let t = ValueTicks::nice(0.0, 0.83, 5);
        assert_eq!(t.label(t.values[1]), "0.2");
        let flat = ValueTicks::nice(5.0, 5.0, 5);
        assert!(flat.lo < 5.0 && flat.hi > 5.0);
    }

    #[test]
    fn date_ticks_align_to_the_calendar() {
        let ticks = date_ticks(d("2020-03-01"), d("2020-06-30"), 7);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["Mar 2020", "Apr", "May", "Jun"]);
        let ticks = date_ticks(d("2020-03-02"), d("2020-03-29"), 7);
        assert_eq!(ticks[0].label, "2 Mar 2020");
        assert!(ticks.iter().all(|t| t.date.iso_weekday() == 1));
    }

    #[test]
    fn ticks_stay_few_and_quick_over_any_span() {
        // Spans of millennia once listed every day before giving up.
        let far = |y| Date::from_ymd(y, 1, 1).unwrap();
        for (first, last) in [
            (d("2020-10-01"), d("9999-12-31")),
            (d("1000-01-01"), d("2020-10-01")),
            (far(-999_999), far(999_999)),
        ] {
            let ticks = date_ticks(first, last, 7);
            assert!(
                (1..=7).contains(&ticks.len()),
                "{first}..{last}: {} ticks",
                ticks.len()
            );
        }
        let t = ValueTicks::nice(-1e308, 1e308, 5);
        assert!(t.values.len() <= 7, "{:?}", t.values);
    }
}
