//! The `[assimilation]` section of a twin spec: which observations a twin
//! is kept in step with, how the model sees them, and the filter settings.
//!
//! | key | meaning |
//! |---|---|
//! | `assimilation.observations` | default observation CSV (overridable with `--observations`) |
//! | `assimilation.date_column`, `location_column`, `stratum_column` | its columns (defaults `date`, `location`, none) |
//! | `assimilation.issued_column` | the date each row was published (revisions; default none) |
//! | `assimilation.nowcast` | with revisions, read the last days' counts as incomplete, by the completeness the record's own revisions show (default true) |
//! | `assimilation.members` | particles (default 1000) |
//! | `assimilation.log_beta_sd` | daily random-walk sd of log `beta_scale` (default 0.05) |
//! | `assimilation.log_beta_patch_sd` | the same for each patch's own `beta_scale.<patch>` (default 0: off) |
//! | `assimilation.log_beta_pooling` | θ per day in [0, 1): each patch's log multiplier is pulled towards the mean over patches (partial pooling; default 0: independent walks) |
//! | `assimilation.log_infected_sd` | σ of a daily log-normal factor (mean 1) on each patch's infected compartments E, A, I, exchanged with S (model error in the level; default 0: off) |
//! | `assimilation.binomial_chain` | draw each day's transitions (binomial chain: demographic noise) instead of taking their expectation (default false) |
//! | `assimilation.filter` | `"pf"` (bootstrap particle filter, default), `"block-pf"` (the same, resampling each group of observed patches by its own data every day) or `"eakf"` (ensemble adjustment Kalman filter, localised per location) |
//! | `assimilation.inflation` | EAKF multiplicative inflation (default 1.0) |
//! | `assimilation.resample_threshold` | resample when ESS < threshold·N (default 0.5; `block-pf` resamples every day with data) |
//! | `assimilation.learn`, `learn_delta` | static parameters the particle filters learn online by Liu–West kernel shrinkage after each day with data: names, or prefixes ending in `*` (`beta_scale.*`); with `block-pf` only parameters of one observed patch; discount δ in (1/3, 1] (default 0.99). Members start from the parameters' priors |
//! | `[assimilation.companions]` | the statistical forecasters beside the twin (backtests, `forecast --ensemble`, the live service's weekly ensemble): `damping` (φ in [0, 1] per week: 0 holds last week's level, 1 carries its change on undamped; default 0.5), `window` (how many recent weekly changes give the spread, whole ≥ 1; default 8), `min_sd` (floor of that spread on the log scale, ≥ 0; default 0.05) |
//! | `[[assimilation.stream]]` | `column`, `observable`, `ascertainment` (default 1; or `[{ from = DATE, value = X }, …]`, each value holding from its date on, the first also before it), `dispersion` (negative binomial) or `log_sd` (Gaussian on ln(y+1)); neither: Poisson, `delay_mean`/`delay_sd`/`delay_max` (days; omit for none) with `delay_dist` (`gamma`, the default, or `lognormal`, discretised), `per_stratum` (default false), `aggregation` (a `unit,location` CSV: the stream reports sums over groups of model units, e.g. zones → provinces; default: each unit itself), `leading_column` (another column of the observation file that this stream follows with a lag, e.g. cases for admissions: not fitted; backtests and `forecast --ensemble` add a forecaster from the ratio to it), `weekday_effect` (seven positive factors, Sunday first, or a table of named days `{ sun = …, mon = …, …, sat = … }`, scaled to average 1: a weekly reporting pattern multiplying each day's expected value; or `"estimate"`: factors estimated from the stream's national daily totals over the `weekday_window_weeks` (default 8) weeks before each day, so no day's factors use its own or later data; default none) |

use std::path::PathBuf;

use didymos_core::observation::{Delay, Noise};
use didymos_core::Result;
use didymos_spec::{Field, Section};
use didymos_twin::companions::TrendOptions;
use didymos_twin::learning::{LearnSpec, LEARN_KEYS};

use crate::streams::{DatedAscertainment, StreamSpec, WeekdaySpec};

#[derive(Debug, Clone, PartialEq)]
pub struct AssimilationSpec {
    pub observations: Option<PathBuf>,
    pub date_column: String,
    pub location_column: String,
    pub stratum_column: Option<String>,
    pub issued_column: Option<String>,
    pub nowcast: bool,
    pub members: usize,
    pub log_beta_sd: f64,
    pub log_beta_patch_sd: f64,
    pub log_beta_pooling: f64,
    pub binomial_chain: bool,
    pub log_infected_sd: f64,
    /// "pf", "block-pf" or "eakf".
    pub filter: String,
    pub inflation: f64,
    pub resample_threshold: f64,
    pub streams: Vec<StreamSpec>,
    /// The statistical companions' settings.
    pub companions: TrendOptions,
    /// Static parameters the particle filters learn online (Liu–West).
    pub learn: Option<LearnSpec>,
}

const KEYS: [&str; 19] = [
    "companions",
    LEARN_KEYS[0],
    LEARN_KEYS[1],
    "binomial_chain",
    "log_infected_sd",
    "log_beta_patch_sd",
    "log_beta_pooling",
    "filter",
    "inflation",
    "observations",
    "date_column",
    "location_column",
    "stratum_column",
    "issued_column",
    "nowcast",
    "members",
    "log_beta_sd",
    "resample_threshold",
    "stream",
];
const STREAM_KEYS: [&str; 14] = [
    "aggregation",
    "weekday_effect",
    "weekday_window_weeks",
    "leading_column",
    "log_sd",
    "delay_dist",
    "column",
    "observable",
    "ascertainment",
    "dispersion",
    "delay_mean",
    "delay_sd",
    "delay_max",
    "per_stratum",
];

pub(crate) fn read_assimilation(sec: &Section, base: &std::path::Path) -> Result<AssimilationSpec> {
    sec.check_keys(&KEYS)?;
    let text = |k: &str, default: &str| -> Result<String> {
        Ok(sec
            .get(k)
            .map(|f| f.str().map(String::from))
            .transpose()?
            .unwrap_or_else(|| default.to_string()))
    };
    let mut spec = AssimilationSpec {
        observations: sec
            .get("observations")
            .map(|f| f.str().map(|s| base.join(s)))
            .transpose()?,
        date_column: text("date_column", "date")?,
        location_column: text("location_column", "location")?,
        stratum_column: sec
            .get("stratum_column")
            .map(|f| f.str().map(String::from))
            .transpose()?,
        issued_column: sec
            .get("issued_column")
            .map(|f| f.str().map(String::from))
            .transpose()?,
        nowcast: sec
            .get("nowcast")
            .map(|f| f.bool())
            .transpose()?
            .unwrap_or(true),
        members: 1000,
        log_beta_sd: 0.05,
        log_beta_patch_sd: 0.0,
        log_beta_pooling: 0.0,
        binomial_chain: false,
        log_infected_sd: 0.0,
        filter: "pf".into(),
        inflation: 1.0,
        resample_threshold: 0.5,
        streams: Vec::new(),
        companions: TrendOptions::default(),
        learn: None,
    };
    if let Some(f) = sec.get("members") {
        spec.members = usize::try_from(f.int()?)
            .ok()
            .filter(|&m| m >= 2)
            .ok_or_else(|| f.error("expected a whole number ≥ 2"))?;
    }
    if let Some(f) = sec.get("log_beta_sd") {
        spec.log_beta_sd = f.non_negative()?;
    }
    if let Some(f) = sec.get("log_beta_patch_sd") {
        spec.log_beta_patch_sd = f.non_negative()?;
    }
    if let Some(f) = sec.get("log_beta_pooling") {
        spec.log_beta_pooling = f.f64_in(0.0, 1.0, "a rate per day in [0, 1)")?;
        if spec.log_beta_pooling >= 1.0 {
            return Err(f.error("expected a rate per day in [0, 1), found 1"));
        }
    }
    if let Some(f) = sec.get("log_infected_sd") {
        spec.log_infected_sd = f.f64_in(0.0, 2.0, "a log-scale sd in [0, 2]")?;
    }
    if let Some(f) = sec.get("binomial_chain") {
        spec.binomial_chain = f.bool()?;
    }
    if let Some(f) = sec.get("filter") {
        let s = f.str()?;
        if !["pf", "block-pf", "eakf"].contains(&s) {
            return Err(f.error(format!(
                "unknown filter `{s}`; valid filters are: pf, block-pf, eakf"
            )));
        }
        spec.filter = s.to_string();
    }
    spec.learn = read_learn(sec, &spec.filter)?;
    if let Some(f) = sec.get("inflation") {
        spec.inflation = f.f64_in(1.0, 10.0, "an inflation factor")?;
    }
    if let Some(f) = sec.get("resample_threshold") {
        spec.resample_threshold = f.f64_in(0.0, 1.0, "a share of the ensemble size")?;
    }
    if let Some(f) = sec.get("companions") {
        spec.companions = read_companions(&f)?;
    }
    let streams = sec.req("stream")?.array()?;
    if streams.is_empty() {
        return Err(sec
            .req("stream")?
            .error("at least one [[assimilation.stream]] is needed"));
    }
    for f in streams {
        let s = f.table()?;
        s.check_keys(&STREAM_KEYS)?;
        let column = s.req("column")?.str()?.to_string();
        let observable = s
            .get("observable")
            .map(|f| f.str().map(String::from))
            .transpose()?
            .unwrap_or_else(|| column.clone());
        let ascertainment = match s.get("ascertainment") {
            Some(f) => read_ascertainment(&f)?,
            None => DatedAscertainment::Constant(1.0),
        };
        let noise = match (s.get("dispersion"), s.get("log_sd")) {
            (Some(_), Some(l)) => {
                return Err(l.error("give either dispersion (negative binomial) or log_sd (Gaussian on log counts), not both"))
            }
            (Some(f), None) => Noise::NegBinomial {
                dispersion: f.positive()?,
            },
            (None, Some(f)) => Noise::LogNormal { sd: f.positive()? },
            (None, None) => Noise::Poisson,
        };
        let lognormal_delay = match s.get("delay_dist") {
            None => false,
            Some(f) => match f.str()? {
                "gamma" => false,
                "lognormal" => true,
                other => {
                    return Err(f.error(format!(
                        "unknown delay distribution `{other}`; valid ones are: gamma, lognormal"
                    )))
                }
            },
        };
        let delay = match (s.get("delay_mean"), s.get("delay_sd")) {
            (None, None) => match s.get("delay_dist") {
                Some(f) => return Err(f.error("delay_dist needs delay_mean and delay_sd")),
                None => Delay::none(),
            },
            (Some(m), Some(sd)) => {
                let max = match s.get("delay_max") {
                    // Each member keeps delay_max + 1 days of history per
                    // observed series: a year bounds it, and memory with it.
                    Some(f) => f.int_in(0, 365)? as usize,
                    None => 21,
                };
                let (mean, sd) = (m.positive()?, sd.positive()?);
                if lognormal_delay {
                    Delay::discretised_lognormal(mean, sd, max)
                } else {
                    Delay::discretised_gamma(mean, sd, max)
                }
                .map_err(|e| m.error(e.to_string()))?
            }
            (Some(m), None) => return Err(m.error("delay_mean needs delay_sd too")),
            (None, Some(sd)) => return Err(sd.error("delay_sd needs delay_mean too")),
        };
        let per_stratum = match s.get("per_stratum") {
            Some(f) => f.bool()?,
            None => false,
        };
        let aggregation = s
            .get("aggregation")
            .map(|f| f.str().map(|p| base.join(p)))
            .transpose()?;
        let leading = s
            .get("leading_column")
            .map(|f| f.str().map(String::from))
            .transpose()?;
        let weekday = read_weekday(s.get("weekday_effect"), s.get("weekday_window_weeks"))?;
        spec.streams.push(StreamSpec {
            leading,
            weekday,
            aggregation,
            column,
            observable,
            delay,
            ascertainment,
            noise,
            per_stratum,
        });
    }
    Ok(spec)
}

/// `learn` and `learn_delta`: Liu–West learning in the particle filters.
fn read_learn(sec: &Section, filter: &str) -> Result<Option<LearnSpec>> {
    if let (Some(f), "eakf") = (sec.get("learn"), filter) {
        return Err(f.error(
            "learn applies to the particle filters (\"pf\", \"block-pf\"); the EAKF \
             estimates the parameters that have priors in its own update",
        ));
    }
    LearnSpec::read(sec)
}

/// `[assimilation.companions]`: the damped trend's settings.
fn read_companions(f: &Field) -> Result<TrendOptions> {
    let t = f.table()?;
    t.check_keys(&["damping", "window", "min_sd"])?;
    let mut opts = TrendOptions::default();
    if let Some(f) = t.get("damping") {
        opts.damping = f.f64_in(0.0, 1.0, "a damping factor per week in [0, 1]")?;
    }
    if let Some(f) = t.get("window") {
        opts.window = usize::try_from(f.int()?)
            .ok()
            .filter(|&w| (1..=520).contains(&w))
            .ok_or_else(|| f.error("expected a whole number of weekly changes, 1 to 520"))?;
    }
    if let Some(f) = t.get("min_sd") {
        opts.min_sd = f.f64_in(0.0, 5.0, "a log-scale sd in [0, 5]")?;
    }
    Ok(opts)
}

/// `weekday_effect = [Sun, Mon, …, Sat]` (seven positive factors) or
/// `"estimate"`, with `weekday_window_weeks` (default 8) for the latter.
fn read_weekday(effect: Option<Field>, window: Option<Field>) -> Result<Option<WeekdaySpec>> {
    let Some(f) = effect else {
        return match window {
            Some(w) => Err(w.error("weekday_window_weeks needs weekday_effect = \"estimate\"")),
            None => Ok(None),
        };
    };
    if let Ok(word) = f.str() {
        if word != "estimate" {
            return Err(f.error(format!(
                "expected seven factors, Sunday first, or \"estimate\"; found \"{word}\""
            )));
        }
        let window_weeks = match window {
            Some(w) => usize::try_from(w.int()?)
                .ok()
                .filter(|n| (2..=104).contains(n))
                .ok_or_else(|| w.error("expected a whole number of weeks, 2 to 104"))?,
            None => DEFAULT_WEEKDAY_WINDOW_WEEKS,
        };
        return Ok(Some(WeekdaySpec::Estimate { window_weeks }));
    }
    if let Some(w) = window {
        return Err(w.error("weekday_window_weeks applies to weekday_effect = \"estimate\" only"));
    }
    let mut out = [0.0; 7];
    if let Ok(t) = f.table() {
        // Named days cannot be read in the wrong order (the stream
        // simulator's lists start on Monday, these on Sunday).
        t.check_keys(&DAY_NAMES)?;
        for (o, name) in out.iter_mut().zip(DAY_NAMES) {
            *o = t.req(name)?.positive()?;
        }
    } else {
        let items = f.array_len(7, "seven factors, Sunday first, or \"estimate\"")?;
        for (o, item) in out.iter_mut().zip(&items) {
            *o = item.positive()?;
        }
    }
    Ok(Some(WeekdaySpec::Factors(out)))
}

/// `weekday_effect = { sun = …, mon = …, … }`, Sunday first like the lists.
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Eight weeks: enough days of each weekday for a stable ratio, short
/// enough to follow a change in reporting practice within two months.
const DEFAULT_WEEKDAY_WINDOW_WEEKS: usize = 8;

/// `ascertainment = 0.7` or `ascertainment = [{ from = 2020-02-09, value =
/// 0.1 }, { from = 2020-06-01, value = 0.7 }]`.
fn read_ascertainment(f: &Field) -> Result<DatedAscertainment> {
    if f.array().is_err() {
        return Ok(DatedAscertainment::Constant(f.positive()?));
    }
    let mut points = Vec::new();
    for item in f.array()? {
        let t = item.table()?;
        t.check_keys(&["from", "value"])?;
        let from = t.req("from")?;
        let date = from.date()?;
        if let Some(&(prev, _)) = points.last() {
            if date <= prev {
                return Err(from.error(format!(
                    "dates must increase: {date} does not come after {prev}"
                )));
            }
        }
        points.push((date, t.req("value")?.positive()?));
    }
    if points.is_empty() {
        return Err(f.error("expected a number or at least one { from = DATE, value = X }"));
    }
    Ok(DatedAscertainment::From(points))
}
