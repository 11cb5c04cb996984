//! Observation streams and the fused [`StreamSet`] data model.
//!
//! A [`Stream`] is one kind of observed count (one model observable seen
//! through an aggregation, a reporting delay, an ascertainment and a noise
//! model). A [`StreamSet`] fuses several streams into one
//! [`DataModel`]: its log-likelihood on a day is the sum over all streams
//! and locations with data that day.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rand::Rng;

use super::aggregation::{Aggregation, ObsLocation};
use super::delay::Delay;
use super::noise::{Noise, MIN_MEAN};
use super::weekday::WeekdayEffect;
use crate::data_model::DataModel;
use crate::error::{Error, Located, Result};
use crate::suggest::closest;

/// The share of the (delayed) model output that is observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Ascertainment {
    Constant(f64),
    /// Piecewise constant: each `(day, value)` holds from `day` on, until
    /// the next entry. Days must be strictly increasing; before the first
    /// listed day the first value holds.
    Daily(Vec<(usize, f64)>),
}

impl Default for Ascertainment {
    fn default() -> Self {
        Ascertainment::Constant(1.0)
    }
}

impl Ascertainment {
    /// The ascertainment in force on `day`.
    pub fn at(&self, day: usize) -> f64 {
        match self {
            Ascertainment::Constant(a) => *a,
            Ascertainment::Daily(steps) => {
                // Index of the first step starting after `day`.
                let i = steps.partition_point(|(d, _)| *d <= day);
                steps[i.saturating_sub(1)].1
            }
        }
    }

    /// Values must be finite and ≥ 0; `Daily` must be non-empty with
    /// strictly increasing days.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let check = |a: f64| {
            if a.is_finite() && a >= 0.0 {
                Ok(())
            } else {
                Err(format!("ascertainment must be finite and ≥ 0, got {a}"))
            }
        };
        match self {
            Ascertainment::Constant(a) => check(*a),
            Ascertainment::Daily(steps) => {
                if steps.is_empty() {
                    return Err("daily ascertainment has no entries".into());
                }
                for w in steps.windows(2) {
                    if w[1].0 <= w[0].0 {
                        return Err(format!(
                            "daily ascertainment days must be strictly increasing ({} then {})",
                            w[0].0, w[1].0
                        ));
                    }
                }
                steps.iter().try_for_each(|(_, a)| check(*a))
            }
        }
    }
}

/// One observed stream: a model observable seen through an aggregation, a
/// reporting delay, an ascertainment and a noise model, with its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub name: String,
    /// Index into the model's observables.
    pub observable: usize,
    pub aggregation: Aggregation,
    pub delay: Delay,
    pub ascertainment: Ascertainment,
    /// A weekly reporting pattern on top of the ascertainment, if any.
    pub weekday: Option<WeekdayEffect>,
    /// Per day, the share of its final count reported so far, where that
    /// is not all of it (the last days of a record that is still being
    /// completed); absent days are complete.
    pub completeness: BTreeMap<usize, f64>,
    pub noise: Noise,
    /// Per day, one value per aggregation location (`None` = missing).
    pub data: BTreeMap<usize, Vec<Option<f64>>>,
}

impl Stream {
    /// A stream with no delay, ascertainment 1, Poisson noise and no data.
    pub fn new(name: impl Into<String>, observable: usize, aggregation: Aggregation) -> Self {
        Stream {
            name: name.into(),
            observable,
            aggregation,
            delay: Delay::none(),
            ascertainment: Ascertainment::default(),
            weekday: None,
            completeness: BTreeMap::new(),
            noise: Noise::Poisson,
            data: BTreeMap::new(),
        }
    }
    pub fn with_delay(mut self, delay: Delay) -> Self {
        self.delay = delay;
        self
    }
    pub fn with_ascertainment(mut self, ascertainment: Ascertainment) -> Self {
        self.ascertainment = ascertainment;
        self
    }
    pub fn with_weekday(mut self, weekday: Option<WeekdayEffect>) -> Self {
        self.weekday = weekday;
        self
    }
    pub fn with_noise(mut self, noise: Noise) -> Self {
        self.noise = noise;
        self
    }

    fn at(&self) -> Located {
        Located::default().field(format!("stream `{}`", self.name))
    }

    /// Estimate an estimated weekday effect from this stream's data (its
    /// total per day over locations; a day with any location missing is
    /// left out). [`StreamSet::new`] does this, so a set's factors always
    /// match its data.
    pub fn fit_weekday(&mut self) {
        let Some(w) = self.weekday.as_mut().filter(|w| w.is_estimated()) else {
            return;
        };
        let last = self.data.keys().next_back().copied().unwrap_or(0);
        let totals: Vec<Option<f64>> = (1..=last)
            .map(|day| {
                self.data
                    .get(&day)
                    .and_then(|values| values.iter().copied().sum::<Option<f64>>())
            })
            .collect();
        w.fit(&totals);
    }

    /// Record `value` for `location` (and `stratum` for per-stratum
    /// aggregation) on `day`. Errors name an unknown location (with the
    /// closest known one) or a bad value.
    pub fn insert(
        &mut self,
        day: usize,
        location: &str,
        stratum: Option<usize>,
        value: f64,
    ) -> Result<()> {
        let Some(i) = self.aggregation.location_index(location, stratum) else {
            let names = self
                .aggregation
                .locations()
                .iter()
                .map(|l| l.location.as_str());
            let known = names.clone().any(|n| n == location);
            let msg = if known {
                format!(
                    "location `{location}` has no stratum {stratum:?} in this stream's aggregation"
                )
            } else {
                match closest(location, names) {
                    Some(c) => format!("unknown location `{location}`; did you mean `{c}`?"),
                    None => format!("unknown location `{location}`"),
                }
            };
            return Err(Error::input(self.at(), msg));
        };
        self.check_value(day, &self.aggregation.locations()[i], value)?;
        let n = self.aggregation.len();
        self.data.entry(day).or_insert_with(|| vec![None; n])[i] = Some(value);
        Ok(())
    }

    fn check_value(&self, day: usize, loc: &ObsLocation, value: f64) -> Result<()> {
        let what = match loc.stratum {
            Some(s) => format!("day {day}, location `{}` stratum {s}", loc.location),
            None => format!("day {day}, location `{}`", loc.location),
        };
        if !value.is_finite() {
            return Err(Error::input(
                self.at(),
                format!("{what}: value {} is not finite", crate::show_number(value)),
            ));
        }
        if value < 0.0 {
            return Err(Error::input(
                self.at(),
                format!("{what}: negative count {}", crate::show_number(value)),
            ));
        }
        let counts = matches!(self.noise, Noise::Poisson | Noise::NegBinomial { .. });
        if counts && value.fract() != 0.0 {
            return Err(Error::input(
                self.at(),
                format!(
                    "{what}: value {} is not a whole number (count noise)",
                    crate::show_number(value)
                ),
            ));
        }
        Ok(())
    }

    /// Check the stream against the model's shape and its own parts.
    pub fn validate(&self, n_units: usize, n_strata: usize, n_observables: usize) -> Result<()> {
        let err = |msg: String| Err(Error::input(self.at(), msg));
        if self.observable >= n_observables {
            return err(format!(
                "observable index {} out of range (the model has {n_observables})",
                self.observable
            ));
        }
        if self.aggregation.n_units() != n_units || self.aggregation.n_strata() != n_strata {
            return err(format!(
                "aggregation built for {} units × {} strata, the model has {n_units} × {n_strata}",
                self.aggregation.n_units(),
                self.aggregation.n_strata()
            ));
        }
        if let Err(e) = self.delay.validate() {
            return err(e.to_string());
        }
        if let Err(m) = self.ascertainment.validate() {
            return err(m);
        }
        if let Err(m) = self.noise.validate() {
            return err(m);
        }
        if self.data.contains_key(&0) {
            return err("data on day 0 (days are 1-based)".into());
        }
        for (&day, values) in &self.data {
            if values.len() != self.aggregation.len() {
                return err(format!(
                    "day {day} has {} values, the aggregation has {} locations",
                    values.len(),
                    self.aggregation.len()
                ));
            }
            for (loc, v) in self.aggregation.locations().iter().zip(values) {
                if let Some(v) = v {
                    self.check_value(day, loc, *v)?;
                }
            }
        }
        Ok(())
    }

    /// Expected observation at location `loc` on `day`:
    /// ascertainment(day) × weekday factor(day) × completeness(day) ×
    /// `Σ_d delay[d] × (aggregated observable on day−d)`.
    /// `history` is the model-observable rows, oldest first, last = `day`;
    /// days before its start contribute 0.
    pub fn expected_at(
        &self,
        day: usize,
        loc: usize,
        history: &[&[f64]],
        n_observables: usize,
    ) -> f64 {
        self.expected_in(day, loc, history, (self.observable, n_observables))
    }

    /// As [`Self::expected_at`] over rows that hold `n_observables` values
    /// per cell with this stream's observable at `observable` (the narrow
    /// rows of a [`StreamSet::compact`] set).
    pub fn expected_in(
        &self,
        day: usize,
        loc: usize,
        history: &[&[f64]],
        (observable, n_observables): (usize, usize),
    ) -> f64 {
        let cells = &self.aggregation.cells()[loc];
        let delayed: f64 = self
            .delay
            .pmf
            .iter()
            .zip(history.iter().rev())
            .map(|(p, row)| {
                p * self
                    .aggregation
                    .sum_cells(cells, row, observable, n_observables)
            })
            .sum();
        let weekday = self.weekday.as_ref().map_or(1.0, |w| w.at(day));
        let complete = self.completeness.get(&day).copied().unwrap_or(1.0);
        self.ascertainment.at(day) * weekday * complete * delayed
    }

    /// The data with each incomplete day's values divided by its
    /// completeness: an estimate of the final counts, for forecasters that
    /// read the values themselves. Borrowed when every day is complete.
    pub fn nowcast(&self) -> Cow<'_, Stream> {
        if self.completeness.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut out = self.clone();
        for (day, share) in std::mem::take(&mut out.completeness) {
            if let Some(row) = out.data.get_mut(&day) {
                for v in row.iter_mut().flatten() {
                    *v /= share;
                }
            }
        }
        Cow::Owned(out)
    }

    /// Expected observations on `day` for every location.
    pub fn expected(&self, day: usize, history: &[&[f64]], n_observables: usize) -> Vec<f64> {
        (0..self.aggregation.len())
            .map(|l| self.expected_at(day, l, history, n_observables))
            .collect()
    }
}

/// Several streams fused into one [`DataModel`].
///
/// Observations on a day are ordered by stream (in the order given), then
/// by location (the aggregation's order), skipping missing values.
#[derive(Debug, Clone)]
pub struct StreamSet {
    streams: Vec<Stream>,
    n_units: usize,
    n_strata: usize,
    n_observables: usize,
    window: usize,
    /// Per day with data, the (stream, location) of each observed value.
    entries: BTreeMap<usize, Vec<(usize, usize)>>,
    /// After [`StreamSet::compact`]: which columns narrow rows keep.
    projection: Option<Projection>,
}

/// Narrow history rows: per cell, the `kept` observables (ascending).
#[derive(Debug, Clone)]
struct Projection {
    /// Their columns in a whole row.
    columns: Vec<usize>,
    kept: usize,
    /// Each stream's observable's place among the kept ones.
    observable: Vec<usize>,
}

/// Floor of [`StreamSet`]'s `error_variance`: with a prediction near 0 the
/// noise variance would vanish and a Kalman-type update would treat the
/// observation as exact. One count² is the resolution of count data.
pub const MIN_ERROR_VARIANCE: f64 = 1.0;

impl StreamSet {
    /// Validate `streams` against a model whose observable rows are laid out
    /// `n_units × n_strata × n_observables`.
    pub fn new(
        mut streams: Vec<Stream>,
        n_units: usize,
        n_strata: usize,
        n_observables: usize,
    ) -> Result<Self> {
        streams.iter_mut().for_each(Stream::fit_weekday);
        for (i, s) in streams.iter().enumerate() {
            s.validate(n_units, n_strata, n_observables)?;
            if streams[..i].iter().any(|o| o.name == s.name) {
                return Err(Error::input(
                    Located::default().field(format!("stream `{}`", s.name)),
                    "duplicate stream name",
                ));
            }
        }
        let window = streams
            .iter()
            .map(|s| s.delay.len())
            .max()
            .unwrap_or(1)
            .max(1);
        let mut entries: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
        for (si, s) in streams.iter().enumerate() {
            for (&day, values) in &s.data {
                for (li, v) in values.iter().enumerate() {
                    if v.is_some() {
                        entries.entry(day).or_default().push((si, li));
                    }
                }
            }
        }
        // Streams were visited in order and locations in order, so each
        // day's entries are already sorted by (stream, location).
        Ok(StreamSet {
            streams,
            n_units,
            n_strata,
            n_observables,
            window,
            entries,
            projection: None,
        })
    }

    /// The same streams, also reading history rows that keep only the model
    /// observables some stream measures (for each unit × stratum cell,
    /// those observables in index order), which filters then keep instead
    /// of whole rows ([`DataModel::history_columns`]): a model with four
    /// observables of which the streams read one keeps histories a quarter
    /// as wide, in memory, resampling and checkpoints. The values
    /// read and their sums are the same, in the same order, so results are
    /// bit-identical. Whole rows are still accepted (every method tells the
    /// two apart by their width). A set whose streams read every
    /// observable is returned as it is.
    pub fn compact(mut self) -> Self {
        if self.projection.is_some() {
            return self;
        }
        let mut used: Vec<usize> = self.streams.iter().map(|s| s.observable).collect();
        used.sort_unstable();
        used.dedup();
        if used.len() == self.n_observables {
            return self;
        }
        let n = self.n_observables;
        let columns = (0..self.n_units * self.n_strata)
            .flat_map(|c| used.iter().map(move |&o| c * n + o))
            .collect();
        let observable = self
            .streams
            .iter()
            .map(|s| used.partition_point(|&o| o < s.observable))
            .collect();
        self.projection = Some(Projection {
            columns,
            kept: used.len(),
            observable,
        });
        self
    }

    /// Expected value of stream `si` at location `loc` on `day`, over
    /// whole or (after [`Self::compact`]) narrow history rows.
    pub fn expected_at(&self, si: usize, day: usize, loc: usize, history: &[&[f64]]) -> f64 {
        let s = &self.streams[si];
        match &self.projection {
            Some(p) if history.first().is_some_and(|r| r.len() == p.columns.len()) => {
                s.expected_in(day, loc, history, (p.observable[si], p.kept))
            }
            _ => s.expected_at(day, loc, history, self.n_observables),
        }
    }

    /// The set as a forecast from `day` must read it: weekday factors
    /// estimated from the data stop at `day` (later days use day
    /// `day + 1`'s), so a backtest whose set holds the whole record
    /// forecasts each origin as a set cut at that origin would. Borrowed
    /// when nothing would change.
    pub fn as_of(&self, day: usize) -> Cow<'_, StreamSet> {
        let reaches = |s: &Stream| s.weekday.as_ref().is_some_and(|w| w.reaches_past(day));
        if !self.streams.iter().any(reaches) {
            return Cow::Borrowed(self);
        }
        let mut out = self.clone();
        for s in &mut out.streams {
            if let Some(w) = s.weekday.as_mut() {
                *w = w.as_of(day);
            }
        }
        Cow::Owned(out)
    }

    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }
    /// Sets stream `si`'s [`Stream::completeness`] (it changes no data).
    pub fn set_completeness(&mut self, si: usize, completeness: BTreeMap<usize, f64>) {
        if let Some(s) = self.streams.get_mut(si) {
            s.completeness = completeness;
        }
    }
    /// The first calendar day whose expected values some stream scales as
    /// incomplete ([`Stream::completeness`]): the data from it on are
    /// still provisional (`None`: none are).
    pub fn first_incomplete_day(&self) -> Option<usize> {
        self.streams
            .iter()
            .filter_map(|s| s.completeness.keys().next().copied())
            .min()
    }
    pub fn n_units(&self) -> usize {
        self.n_units
    }
    pub fn n_strata(&self) -> usize {
        self.n_strata
    }
    pub fn n_observables(&self) -> usize {
        self.n_observables
    }

    /// The (stream, location) of each value observed on `day`, in the
    /// order of `observed`/`predict`.
    pub fn entries(&self, day: usize) -> &[(usize, usize)] {
        self.entries.get(&day).map_or(&[], |v| v.as_slice())
    }

    /// Days with at least one observation, ascending.
    pub fn days(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.keys().copied()
    }

    /// Expected values of every stream at every location on `day`
    /// (`[stream][location]`), whether observed or not.
    pub fn expected(&self, day: usize, history: &[&[f64]]) -> Vec<Vec<f64>> {
        (0..self.streams.len())
            .map(|si| {
                (0..self.streams[si].aggregation.len())
                    .map(|l| self.expected_at(si, day, l, history))
                    .collect()
            })
            .collect()
    }

    /// Synthetic data for `day`: one noisy draw `(stream, location, value)`
    /// per stream and location, around the expected values given `history`.
    pub fn simulate<R: Rng + ?Sized>(
        &self,
        day: usize,
        history: &[&[f64]],
        rng: &mut R,
    ) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::new();
        for (si, s) in self.streams.iter().enumerate() {
            for li in 0..s.aggregation.len() {
                let mean = self.expected_at(si, day, li, history);
                out.push((si, li, s.noise.sample(mean, rng)));
            }
        }
        out
    }

    fn log_lik_term(&self, day: usize, si: usize, li: usize, history: &[&[f64]]) -> f64 {
        let mu = self.expected_at(si, day, li, history);
        self.streams[si]
            .noise
            .log_pmf(self.value(day, si, li), mu.max(MIN_MEAN))
    }

    fn value(&self, day: usize, stream: usize, loc: usize) -> f64 {
        self.streams[stream].data[&day][loc].expect("entries index observed values only")
    }

    fn check_history(&self, history: &[&[f64]]) {
        let cells = self.n_units * self.n_strata;
        let narrow = self.projection.as_ref().map_or(0, |p| p.columns.len());
        debug_assert!(
            history
                .iter()
                .all(|r| r.len() == cells * self.n_observables || r.len() == narrow),
            "history rows must be units × strata × observables (or the kept ones)"
        );
    }
}

impl DataModel for StreamSet {
    /// The longest delay (in days, max delay + 1) over the streams.
    fn window(&self) -> usize {
        self.window
    }

    fn has_data(&self, day: usize) -> bool {
        self.entries.contains_key(&day)
    }

    /// Σ over streams and locations with data of `noise.log_pmf(y, μ)`,
    /// with μ floored at [`MIN_MEAN`] so that a zero prediction against a
    /// positive count is very unlikely rather than impossible. `params` are
    /// not used (observation parameters are fixed per stream for now).
    fn log_lik(&self, day: usize, _params: &[f64], history: &[&[f64]]) -> f64 {
        self.check_history(history);
        self.entries(day)
            .iter()
            .map(|&(si, li)| self.log_lik_term(day, si, li, history))
            .sum()
    }

    fn log_lik_terms(&self, day: usize, _params: &[f64], history: &[&[f64]]) -> Option<Vec<f64>> {
        self.check_history(history);
        Some(
            self.entries(day)
                .iter()
                .map(|&(si, li)| self.log_lik_term(day, si, li, history))
                .collect(),
        )
    }

    fn history_columns(&self) -> Option<&[usize]> {
        self.projection.as_ref().map(|p| p.columns.as_slice())
    }

    /// "stream `name`, location `id`" (with the stratum where the stream
    /// keeps strata apart).
    fn describe(&self, day: usize, index: usize) -> String {
        let Some(&(si, li)) = self.entries(day).get(index) else {
            return format!("observation {index}");
        };
        let s = &self.streams[si];
        let loc = &s.aggregation.locations()[li];
        let value = crate::show_number(self.value(day, si, li));
        match loc.stratum {
            Some(g) => format!(
                "stream `{}`, location `{}`, stratum {g}: observed {value}",
                s.name, loc.location
            ),
            None => format!(
                "stream `{}`, location `{}`: observed {value}",
                s.name, loc.location
            ),
        }
    }

    fn observed(&self, day: usize) -> Vec<f64> {
        self.entries(day)
            .iter()
            .map(|&(si, li)| self.value(day, si, li))
            .collect()
    }

    /// Expected values (no floor) in the order of `observed`. `out` must
    /// have exactly that length.
    fn predict(&self, day: usize, _params: &[f64], history: &[&[f64]], out: &mut [f64]) {
        self.check_history(history);
        let entries = self.entries(day);
        assert_eq!(
            out.len(),
            entries.len(),
            "predict: `out` has the wrong length"
        );
        for (o, &(si, li)) in out.iter_mut().zip(entries) {
            *o = self.expected_at(si, day, li, history);
        }
    }

    /// The stream's noise variance at the predicted mean, floored at
    /// [`MIN_ERROR_VARIANCE`]. Panics if `index` is not an observation of
    /// `day`.
    fn error_variance(&self, day: usize, index: usize, predicted_mean: f64) -> f64 {
        let (si, _) = self.entries(day)[index];
        self.streams[si]
            .noise
            .variance(predicted_mean)
            .max(MIN_ERROR_VARIANCE)
    }
}
