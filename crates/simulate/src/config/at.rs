//! Where a key of a scenario file lives (file, line, key path), and the
//! checks that build located errors from it.

use didymos_core::{Date, Error, Located, Result};
use toml::Spanned;

use super::raw::DayRef;
use super::{line_of, Context};

/// Where a key of the scenario lives, to build errors.
pub(super) struct At<'a> {
    pub source: &'a str,
    pub line: Option<u64>,
    pub path: String,
}

impl At<'_> {
    pub fn key(&self, key: &str) -> Located {
        let mut at = Located::file(self.source).field(format!("{}{key}", self.path));
        at.line = self.line;
        at
    }
    pub fn err(&self, key: &str, msg: impl Into<String>) -> Error {
        Error::input(self.key(key), msg)
    }
    pub fn check(&self, key: &str, x: f64, ok: bool, want: &str) -> Result<f64> {
        if x.is_finite() && ok {
            Ok(x)
        } else {
            Err(self.err(
                key,
                format!("expected {want}, found {}", didymos_core::show_number(x)),
            ))
        }
    }
    pub fn probability(&self, key: &str, x: Option<f64>, default: f64) -> Result<f64> {
        let x = x.unwrap_or(default);
        self.check(key, x, (0.0..=1.0).contains(&x), "a probability in [0, 1]")
    }
    pub fn positive(&self, key: &str, x: Option<f64>, default: f64) -> Result<f64> {
        let x = x.unwrap_or(default);
        self.check(key, x, x > 0.0, "a number > 0")
    }
    pub fn day(&self, key: &str, d: &DayRef, ctx: &Context<'_>) -> Result<usize> {
        let cal = ctx.calendar;
        let n = cal.n_days();
        let day = match d {
            DayRef::Day(i) => *i,
            DayRef::Text(s) => {
                let date: Date = s.parse().map_err(|e| self.err(key, format!("{e}")))?;
                cal.day_of(date)
            }
            DayRef::Date(dt) => {
                let date: Date = dt
                    .to_string()
                    .parse()
                    .map_err(|e| self.err(key, format!("{e}")))?;
                cal.day_of(date)
            }
        };
        if day < 1 || day > n as i64 {
            return Err(self.err(
                key,
                format!(
                    "day {day} is outside the twin's calendar, days 1..={n} ({} .. {})",
                    cal.start, cal.end
                ),
            ));
        }
        Ok(day as usize)
    }
    pub fn window(&self, d0: &DayRef, d1: &DayRef, ctx: &Context<'_>) -> Result<(usize, usize)> {
        let (from, to) = (self.day("from", d0, ctx)?, self.day("to", d1, ctx)?);
        if to < from {
            return Err(self.err(
                "to",
                format!("`to` (day {to}) is before `from` (day {from})"),
            ));
        }
        Ok((from, to))
    }
    pub fn locations(
        &self,
        key: &str,
        ids: &Option<Vec<String>>,
        ctx: &Context<'_>,
    ) -> Result<Vec<usize>> {
        let Some(ids) = ids else {
            return Ok((0..ctx.units.len()).collect());
        };
        if ids.is_empty() {
            return Err(self.err(key, "the list of locations is empty"));
        }
        ids.iter()
            .map(|id| {
                ctx.units.iter().position(|u| u == id).ok_or_else(|| {
                    self.err(
                        key,
                        format!("unknown location `{id}` (the twin's ids are its patches)"),
                    )
                })
            })
            .collect()
    }
}

pub(super) fn at<'a, T>(source: &'a str, text: &str, s: &Spanned<T>, path: String) -> At<'a> {
    At {
        source,
        line: Some(line_of(text, s.span().start)),
        path,
    }
}
