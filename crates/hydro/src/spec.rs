//! The flood twin spec: one TOML file (example: `data/flood/twin.toml`).
//! Paths are relative to the spec's directory. Unknown keys are errors that
//! name the key path and line and suggest the closest valid key.
//!
//! | key | meaning |
//! |---|---|
//! | `twin.name` | name of the twin (required) |
//! | `basin.forcing`, `basin.streamflow` | CAMELS forcing and streamflow files (required) |
//! | `basin.id` | label of the basin (default: the gauge id in the streamflow file) |
//! | `time.start`, `time.end` | simulated range; day 1 = start |
//! | `time.calibration_end` | last calibration day; validation runs from the next day to `end` |
//! | `time.spin_up_days` | days of forcing from `start` run once before day 1 (default 365) |
//! | `time.production_fill`, `routing_fill` | store fills before spin-up (defaults 0.3, 0.5) |
//! | `parameters.<name>` | value of `x1`, `x2`, `x3`, `x4`, `snow_ctg`, `snow_kf` |
//! | `priors.<name>` | a prior, e.g. `{ dist = "uniform", low = 20, high = 2500 }` |
//! | `calibration.objective` | `"kge_sqrt"` (default: KGE of √Q), `"kge"`, `"kge_highlow"` (mean of KGE of Q and of 1/Q) or `"nse"` |
//! | `calibration.population`, `generations`, `seed` | differential evolution (defaults 30, 60, 1) |
//! | `calibration.ranges.<name>` | `[low, high]` search range (defaults: see `CalibrationOptions::new`) |
//! | `assimilation.filter` | `"pf"` (default) or `"eakf"` |
//! | `assimilation.members`, `seed` | ensemble size (default 200) and seed (default 1) |
//! | `assimilation.obs_log_sd` | sd of the observation error of ln Q (default 0.1) |
//! | `assimilation.precip_log_sd`, `routing_log_sd` | process noise (defaults 0.3, 0.05) |
//! | `assimilation.resample_threshold`, `inflation` | PF resampling (0.5) and EAKF inflation (1.0) |
//! | `assimilation.learn`, `learn_delta` | parameters the particle filter learns online by Liu–West kernel shrinkage (names, or prefixes ending in `*`), members starting from their `[priors]`; discount δ in (1/3, 1] (default 0.99) |
//! | `forecast.horizon` | days (default 7) |
//! | `forecast.thresholds` | discharge thresholds, mm/day |
//! | `forecast.return_period_years` | also warn for the T-year flow of the observed record |
//! | `forecast.return_period_method` | `"gumbel"` (default) or `"empirical"` |
//! | `forecast.forcing` | forecast forcing CSV for `didymos forecast` (default: none, a hindcast on the record; format in [`crate::forecast_forcing`]) |

use std::path::{Path, PathBuf};

use didymos_core::{Date, Located, Prior, Result};
use didymos_spec::{Doc, Section};
use didymos_twin::learning::{LearnSpec, LEARN_KEYS};

use crate::assimilate::{AssimilationSettings, FilterKind};
use crate::calibrate::{CalibrationOptions, Objective};
use crate::model::PARAM_NAMES;
use crate::warning::ReturnPeriodMethod;

#[derive(Debug, Clone, PartialEq)]
pub struct FloodSpec {
    pub name: String,
    pub spec_path: PathBuf,
    pub basin_id: Option<String>,
    pub forcing: PathBuf,
    pub streamflow: PathBuf,
    pub start: Date,
    pub end: Date,
    pub calibration_end: Date,
    pub spin_up_days: usize,
    pub production_fill: f64,
    pub routing_fill: f64,
    /// Parameter values with where they were written.
    pub parameters: Vec<(String, f64, Located)>,
    pub priors: Vec<(String, Prior, Located)>,
    /// Days are filled in by the twin from `start`/`calibration_end`.
    pub calibration: CalibrationOptions,
    pub assimilation: AssimilationSettings,
    pub horizon: usize,
    pub thresholds: Vec<f64>,
    pub return_period: Option<(f64, ReturnPeriodMethod)>,
    /// Default forecast forcing file (`forecast.forcing`).
    pub forecast_forcing: Option<PathBuf>,
}

const PRIOR_EXAMPLE: &str = "{ dist = \"uniform\", low = 20, high = 2500 }";

const TOP_KEYS: [&str; 8] = [
    "twin",
    "basin",
    "time",
    "parameters",
    "priors",
    "calibration",
    "assimilation",
    "forecast",
];

/// Read and validate a flood twin spec (the data files are read later, by
/// [`crate::twin::FloodTwin`]).
/// Whether a spec's text is a flood twin's (it has a `[basin]` table)
/// rather than an epidemic twin's. The CLI and the service both decide so.
pub fn is_flood_spec_text(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with("[basin]"))
}

pub fn load_flood_spec(path: &Path) -> Result<FloodSpec> {
    let text = didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)?;
    parse_flood_spec(path, &text)
}

/// As [`load_flood_spec`], from text (`path` locates errors and relative
/// file names).
pub fn parse_flood_spec(path: &Path, text: &str) -> Result<FloodSpec> {
    let doc = Doc::parse(path, text)?;
    let root = doc.root();
    root.check_keys(&TOP_KEYS)?;
    let dir = path.parent().unwrap_or(Path::new("."));

    let twin = root.section("twin")?;
    twin.check_keys(&["name"])?;
    let name = twin.req("name")?.str()?.to_string();

    let basin = root.section("basin")?;
    basin.check_keys(&["id", "forcing", "streamflow"])?;
    let file = |key: &str| -> Result<PathBuf> {
        let f = basin.req(key)?;
        let s = f.str()?;
        if s.trim().is_empty() {
            return Err(f.error("empty file name"));
        }
        Ok(dir.join(s))
    };
    let (forcing, streamflow) = (file("forcing")?, file("streamflow")?);
    let basin_id = basin
        .get("id")
        .map(|f| f.str().map(String::from))
        .transpose()?;

    let time = root.section("time")?;
    time.check_keys(&[
        "start",
        "end",
        "calibration_end",
        "spin_up_days",
        "production_fill",
        "routing_fill",
    ])?;
    let start = time.req("start")?.date()?;
    let end_f = time.req("end")?;
    let end = end_f.date()?;
    if end < start {
        return Err(end_f.error(format!("end {end} is before start {start}")));
    }
    let cal_f = time.req("calibration_end")?;
    let calibration_end = cal_f.date()?;
    if !(start <= calibration_end && calibration_end < end) {
        return Err(cal_f.error(format!(
            "{calibration_end} must lie in {start} … {end} and leave days to validate"
        )));
    }
    let opt_f64 = |t: &Section, k: &str, lo: f64, hi: f64, what: &str, d: f64| -> Result<f64> {
        t.get(k).map_or(Ok(d), |f| f.f64_in(lo, hi, what))
    };
    let spin_up_days = time
        .get("spin_up_days")
        .map_or(Ok(365), |f| f.int_in(0, 36_600))? as usize;
    let production_fill = opt_f64(&time, "production_fill", 0.0, 1.0, "a share in [0, 1]", 0.3)?;
    let routing_fill = opt_f64(&time, "routing_fill", 0.0, 1.0, "a share in [0, 1]", 0.5)?;

    let mut parameters = Vec::new();
    if let Some(t) = root.opt_section("parameters")? {
        t.check_keys(&PARAM_NAMES)?;
        for (k, f) in t.entries() {
            parameters.push((k.to_string(), f.f64()?, f.at()));
        }
    }
    let mut priors = Vec::new();
    if let Some(t) = root.opt_section("priors")? {
        t.check_keys(&PARAM_NAMES)?;
        for (k, f) in t.entries() {
            priors.push((k.to_string(), f.prior(PRIOR_EXAMPLE)?, f.at()));
        }
    }

    let mut calibration = CalibrationOptions::new(1, 1);
    if let Some(t) = root.opt_section("calibration")? {
        read_calibration(&t, &mut calibration)?;
    }
    let assimilation = match root.opt_section("assimilation")? {
        Some(t) => read_assimilation(&t)?,
        None => AssimilationSettings::default(),
    };

    let (mut horizon, mut thresholds, mut return_period) = (7, Vec::new(), None);
    let mut forecast_forcing = None;
    if let Some(t) = root.opt_section("forecast")? {
        t.check_keys(&[
            "horizon",
            "thresholds",
            "return_period_years",
            "return_period_method",
            "forcing",
        ])?;
        if let Some(f) = t.get("forcing") {
            let s = f.str()?;
            if s.trim().is_empty() {
                return Err(f.error("empty file name"));
            }
            forecast_forcing = Some(dir.join(s));
        }
        if let Some(f) = t.get("horizon") {
            horizon = f.int_in(1, 366)? as usize;
        }
        if let Some(f) = t.get("thresholds") {
            thresholds = f.f64_array()?;
            if thresholds.iter().any(|x| *x < 0.0) {
                return Err(f.error("thresholds are discharges in mm/day, ≥ 0"));
            }
        }
        let method = match t.get("return_period_method") {
            None => ReturnPeriodMethod::Gumbel,
            Some(f) => match f.str()? {
                "gumbel" => ReturnPeriodMethod::Gumbel,
                "empirical" => ReturnPeriodMethod::Empirical,
                s => {
                    return Err(f.error(format!(
                        "unknown method `{s}`; valid methods are: gumbel, empirical"
                    )))
                }
            },
        };
        if let Some(f) = t.get("return_period_years") {
            return_period = Some((f.f64_in(1.0001, 1e4, "a return period > 1 year")?, method));
        }
    }

    Ok(FloodSpec {
        name,
        spec_path: path.to_path_buf(),
        basin_id,
        forcing,
        streamflow,
        start,
        end,
        calibration_end,
        spin_up_days,
        production_fill,
        routing_fill,
        parameters,
        priors,
        calibration,
        assimilation,
        horizon,
        thresholds,
        return_period,
        forecast_forcing,
    })
}

fn read_calibration(t: &Section, c: &mut CalibrationOptions) -> Result<()> {
    t.check_keys(&["objective", "population", "generations", "seed", "ranges"])?;
    if let Some(f) = t.get("objective") {
        c.objective = match f.str()? {
            "kge" => Objective::Kge,
            "nse" => Objective::Nse,
            "kge_sqrt" => Objective::KgeSqrt,
            "kge_highlow" => Objective::KgeHighLow,
            s => {
                return Err(f.error(format!(
                    "unknown objective `{s}`; valid objectives are: kge_sqrt, kge, kge_highlow, nse"
                )))
            }
        };
    }
    if let Some(f) = t.get("population") {
        c.population = f.int_in(4, 10_000)? as usize;
    }
    if let Some(f) = t.get("generations") {
        c.generations = f.int_in(0, 100_000)? as usize;
    }
    if let Some(f) = t.get("seed") {
        c.seed = f.int_in(0, i64::MAX)? as u64;
    }
    if let Some(r) = t.opt_section("ranges")? {
        r.check_keys(&PARAM_NAMES)?;
        c.ranges.clear();
        let space = crate::model::default_space();
        for (k, f) in r.entries() {
            let (blo, bhi) = space
                .index_of(k)
                .map_or((f64::NEG_INFINITY, f64::INFINITY), |i| {
                    space.defs()[i].bounds
                });
            match f.f64_array()?.as_slice() {
                [lo, hi] if lo < hi && *lo >= blo && *hi <= bhi => {
                    c.ranges.push((k.to_string(), *lo, *hi))
                }
                [lo, hi] if lo < hi => {
                    return Err(f.error(format!(
                        "expected a range inside {k}'s bounds [{blo}, {bhi}], found [{lo}, {hi}]"
                    )))
                }
                _ => return Err(f.error("expected [low, high] with low < high")),
            }
        }
    }
    Ok(())
}

fn read_assimilation(t: &Section) -> Result<AssimilationSettings> {
    t.check_keys(&[
        "filter",
        "members",
        "seed",
        "obs_log_sd",
        "precip_log_sd",
        "routing_log_sd",
        "resample_threshold",
        "inflation",
        LEARN_KEYS[0],
        LEARN_KEYS[1],
    ])?;
    let mut s = AssimilationSettings::default();
    if let Some(f) = t.get("filter") {
        s.filter = match f.str()? {
            "pf" => FilterKind::Particle,
            "eakf" => FilterKind::Eakf,
            x => return Err(f.error(format!("unknown filter `{x}`; valid filters are: pf, eakf"))),
        };
    }
    if let Some(f) = t.get("members") {
        s.members = f.int_in(2, 1_000_000)? as usize;
    }
    if let Some(f) = t.get("seed") {
        s.seed = f.int_in(0, i64::MAX)? as u64;
    }
    let sd = |k: &str, d: f64| {
        t.get(k).map_or(Ok(d), |f| {
            f.f64_in(0.0, 5.0, "a standard deviation in [0, 5]")
        })
    };
    s.obs_log_sd = sd("obs_log_sd", s.obs_log_sd)?;
    if s.obs_log_sd == 0.0 {
        return Err(t
            .req("obs_log_sd")?
            .error("the observation error sd must be > 0"));
    }
    s.precip_log_sd = sd("precip_log_sd", s.precip_log_sd)?;
    s.routing_log_sd = sd("routing_log_sd", s.routing_log_sd)?;
    if let Some(f) = t.get("resample_threshold") {
        s.resample_threshold = f.f64_in(0.0, 1.0, "a share of the ensemble size")?;
    }
    if let Some(f) = t.get("inflation") {
        s.inflation = f.f64_in(1.0, 10.0, "an inflation factor in [1, 10]")?;
    }
    if let (Some(f), FilterKind::Eakf) = (t.get("learn"), s.filter) {
        return Err(f.error(
            "learn applies to the particle filter (\"pf\"); the EAKF keeps parameters fixed",
        ));
    }
    s.learn = LearnSpec::read(t)?;
    Ok(s)
}
