//! Meteorological forcing as read-only data shared by every member:
//! daily precipitation, mean temperature and PET over the observed record,
//! optionally followed by forecast traces (deterministic: one trace;
//! ensemble: member m follows trace m mod k).
//!
//! The share of precipitation falling as snow follows airGR's
//! `DataAltiExtrapolation_Valery` (the reference CemaNeige inputs): where
//! the record comes with daily minimum and maximum temperatures and the
//! basin lies below 1,500 m, the Hydrotel rule of Turcotte et al. (2007),
//! 1 − Tmax/(Tmax − Tmin) (all snow if Tmax ≤ 0, all rain if Tmin ≥ 0),
//! held per day of the record ([`Forcing::with_solid_fraction`]); otherwise
//! (forecast traces, or no such fraction given) the USACE rule on the mean
//! temperature ([`crate::snow::solid_fraction`]).

use didymos_core::{Date, Error, Located, Result};

use crate::pet::{day_of_year, oudin_pet};
use crate::snow::solid_fraction;

/// Below this mean basin elevation (m) airGR partitions precipitation with
/// the Hydrotel rule when daily minimum and maximum temperatures are given.
pub const HYDROTEL_MAX_ELEVATION_M: f64 = 1500.0;

/// Share of precipitation falling as snow by the Hydrotel rule (Turcotte
/// et al. 2007, as in airGR): 1 − Tmax/(Tmax − Tmin), 0 when Tmin ≥ 0 and
/// 1 when Tmax ≤ 0 (checked in that order, as airGR does).
pub fn hydrotel_solid_fraction(tmin: f64, tmax: f64) -> f64 {
    if tmax <= 0.0 {
        1.0
    } else if tmin >= 0.0 {
        0.0
    } else {
        (1.0 - tmax / (tmax - tmin)).clamp(0.0, 1.0)
    }
}

/// One forcing series (mm/day, °C, mm/day), day by day.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForcingTrace {
    pub precip: Vec<f64>,
    pub tmean: Vec<f64>,
    pub pet: Vec<f64>,
}

impl ForcingTrace {
    /// A trace whose PET is computed with Oudin's formula from `tmean`, for
    /// days starting on `start` at `latitude` (degrees).
    pub fn from_temperature(start: Date, latitude: f64, precip: Vec<f64>, tmean: Vec<f64>) -> Self {
        let pet = tmean
            .iter()
            .enumerate()
            .map(|(i, &t)| oudin_pet(t, day_of_year(start.add_days(i as i32)), latitude))
            .collect();
        ForcingTrace { precip, tmean, pet }
    }

    pub fn len(&self) -> usize {
        self.precip.len()
    }
    pub fn is_empty(&self) -> bool {
        self.precip.is_empty()
    }

    fn validate(&self, start: Date, what: &str) -> Result<()> {
        let n = self.precip.len();
        if self.tmean.len() != n || self.pet.len() != n {
            return Err(Error::input(
                Located::default().field(what),
                format!(
                    "precipitation, temperature and PET have different lengths ({n}, {}, {})",
                    self.tmean.len(),
                    self.pet.len()
                ),
            ));
        }
        for i in 0..n {
            let (p, t, e) = (self.precip[i], self.tmean[i], self.pet[i]);
            if !(p.is_finite() && p >= 0.0 && t.is_finite() && e.is_finite() && e >= 0.0) {
                return Err(Error::input(
                    Located::default().field(what),
                    format!(
                        "{}: precipitation {p}, temperature {t}, PET {e} (need finite values, P and PET ≥ 0)",
                        start.add_days(i as i32)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The forcing of one lumped basin model.
#[derive(Debug, Clone, PartialEq)]
pub struct Forcing {
    start: Date,
    latitude: f64,
    observed: ForcingTrace,
    /// Snow share of each observed day's precipitation (None: USACE on the
    /// mean temperature).
    solid: Option<Vec<f64>>,
    forecast: Vec<ForcingTrace>,
}

/// One day's forcing for one member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayForcing {
    pub precip: f64,
    pub tmean: f64,
    pub pet: f64,
    /// Share of `precip` falling as snow.
    pub solid_fraction: f64,
}

impl Forcing {
    /// The observed record from `start`, contiguous and complete.
    pub fn new(start: Date, latitude: f64, observed: ForcingTrace) -> Result<Self> {
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(Error::input(
                Located::default().field("latitude"),
                format!("latitude {latitude} is outside [-90, 90]"),
            ));
        }
        if observed.is_empty() {
            return Err(Error::input(
                Located::default().field("forcing"),
                "the forcing record is empty",
            ));
        }
        observed.validate(start, "forcing")?;
        Ok(Forcing {
            start,
            latitude,
            observed,
            solid: None,
            forecast: Vec::new(),
        })
    }

    /// The snow share of each observed day's precipitation (one value per
    /// day of the record, in [0, 1]), e.g. from [`hydrotel_solid_fraction`];
    /// `None` goes back to the USACE rule on the mean temperature.
    pub fn with_solid_fraction(mut self, solid: Option<Vec<f64>>) -> Result<Self> {
        if let Some(s) = &solid {
            if s.len() != self.observed.len() {
                return Err(Error::input(
                    Located::default().field("solid fraction"),
                    format!(
                        "{} values for {} days of forcing",
                        s.len(),
                        self.observed.len()
                    ),
                ));
            }
            if let Some(i) = s.iter().position(|x| !(0.0..=1.0).contains(x)) {
                return Err(Error::input(
                    Located::default().field("solid fraction"),
                    format!(
                        "{}: {} is not in [0, 1]",
                        self.start.add_days(i as i32),
                        s[i]
                    ),
                ));
            }
        }
        self.solid = solid;
        Ok(self)
    }

    /// The per-day snow share of the record, if one was given.
    pub fn solid_fraction(&self) -> Option<&[f64]> {
        self.solid.as_deref()
    }

    /// Append forecast forcing from the day after the record: one trace
    /// (deterministic) or several (member m uses trace m mod k). Traces
    /// must have equal lengths.
    pub fn with_forecast(mut self, traces: Vec<ForcingTrace>) -> Result<Self> {
        let first = self.end().add_days(1);
        if let Some(t) = traces.first() {
            if traces.iter().any(|o| o.len() != t.len()) {
                return Err(Error::input(
                    Located::default().field("forecast forcing"),
                    "forecast traces have different lengths",
                ));
            }
        }
        for (k, t) in traces.iter().enumerate() {
            t.validate(first, &format!("forecast forcing trace {k}"))?;
        }
        self.forecast = traces;
        Ok(self)
    }

    /// The same record cut after `date` (no forecast traces): what was
    /// known at a forecast origin.
    pub fn until(&self, date: Date) -> Result<Self> {
        let n = date.days_since(self.start) + 1;
        if n < 1 || n as usize > self.observed.len() {
            return Err(Error::Other(format!(
                "{date} is outside the forcing record {} … {}",
                self.start,
                self.end()
            )));
        }
        let n = n as usize;
        let cut = ForcingTrace {
            precip: self.observed.precip[..n].to_vec(),
            tmean: self.observed.tmean[..n].to_vec(),
            pet: self.observed.pet[..n].to_vec(),
        };
        Forcing::new(self.start, self.latitude, cut)?
            .with_solid_fraction(self.solid.as_ref().map(|s| s[..n].to_vec()))
    }

    pub fn start(&self) -> Date {
        self.start
    }
    /// Last day of the observed record.
    pub fn end(&self) -> Date {
        self.start.add_days(self.observed.len() as i32 - 1)
    }
    /// Last day with forcing for every member (record or forecast).
    pub fn forecast_end(&self) -> Date {
        let extra = self.forecast.first().map_or(0, |t| t.len());
        self.end().add_days(extra as i32)
    }
    pub fn latitude(&self) -> f64 {
        self.latitude
    }
    pub fn observed(&self) -> &ForcingTrace {
        &self.observed
    }
    pub fn forecast_traces(&self) -> &[ForcingTrace] {
        &self.forecast
    }

    /// Forcing on `date` for `member`: the record, then the member's
    /// forecast trace. Beyond both: dry persistence (no precipitation, the
    /// last known temperature and PET), so a model never runs out of input.
    pub fn at(&self, date: Date, member: usize) -> DayForcing {
        let i = date.days_since(self.start);
        let n = self.observed.len() as i32;
        let pick = |t: &ForcingTrace, k: usize| DayForcing {
            precip: t.precip[k],
            tmean: t.tmean[k],
            pet: t.pet[k],
            solid_fraction: solid_fraction(t.tmean[k]),
        };
        if (0..n).contains(&i) {
            let mut f = pick(&self.observed, i as usize);
            if let Some(s) = &self.solid {
                f.solid_fraction = s[i as usize];
            }
            return f;
        }
        if i >= n && !self.forecast.is_empty() {
            let trace = &self.forecast[member % self.forecast.len()];
            let k = (i - n) as usize;
            if k < trace.len() {
                return pick(trace, k);
            }
            let last = pick(trace, trace.len() - 1);
            return DayForcing {
                precip: 0.0,
                ..last
            };
        }
        let k = if i < 0 { 0 } else { self.observed.len() - 1 };
        DayForcing {
            precip: 0.0,
            ..pick(&self.observed, k)
        }
    }

    /// Mean annual solid precipitation (mm/year) over the observed record,
    /// for CemaNeige's melt threshold.
    pub fn mean_annual_solid_precip(&self) -> f64 {
        let o = &self.observed;
        let solid: f64 = match &self.solid {
            Some(s) => o.precip.iter().zip(s).map(|(p, f)| p * f).sum(),
            None => o
                .precip
                .iter()
                .zip(&o.tmean)
                .map(|(p, t)| p * solid_fraction(*t))
                .sum(),
        };
        solid * 365.25 / self.observed.len() as f64
    }
}
