//! Raw scenario → validated [`SimConfig`]: ranges, days within the
//! calendar, known observables and locations. Each error names the file,
//! the line of the table it is in and the key path (`stream[1].dispersion`).

use didymos_core::observation::{Delay, Noise};
use didymos_core::{Error, Located, Result};

use super::at::{at, At};
use super::raw::{RawConfig, RawRegime, RawStream, RawWastewater};
use super::WastewaterConfig;
use super::{Context, Outage, Regime, SimConfig, StreamConfig, TruthNoise};

pub(super) fn resolve(
    source: &str,
    text: &str,
    raw: RawConfig,
    ctx: &Context<'_>,
) -> Result<SimConfig> {
    let top = |path: &str| At {
        source,
        line: None,
        path: path.to_string(),
    };
    let truth = match &raw.truth {
        None => TruthNoise {
            log_beta_sd: 0.02,
            log_beta_patch_sd: 0.01,
        },
        Some(t) => {
            let a = top("truth.");
            let sd = |k: &str, x: Option<f64>, d: f64| {
                let x = x.unwrap_or(d);
                a.check(
                    k,
                    x,
                    (0.0..=1.0).contains(&x),
                    "a standard deviation in [0, 1]",
                )
            };
            TruthNoise {
                log_beta_sd: sd("log_beta_sd", t.log_beta_sd, 0.02)?,
                log_beta_patch_sd: sd("log_beta_patch_sd", t.log_beta_patch_sd, 0.01)?,
            }
        }
    };
    let mut regimes = Vec::new();
    for (i, r) in raw.regime.iter().enumerate() {
        let a = at(source, text, r, format!("regime[{i}]."));
        regimes.push(regime(&a, r.get_ref(), ctx)?);
    }
    let mut streams: Vec<StreamConfig> = Vec::new();
    for (i, s) in raw.stream.iter().enumerate() {
        let a = at(source, text, s, format!("stream[{i}]."));
        let st = stream(&a, s.get_ref(), ctx)?;
        if streams.iter().any(|o| o.name == st.name) {
            return Err(a.err("name", format!("duplicate stream name `{}`", st.name)));
        }
        streams.push(st);
    }
    let wastewater = match &raw.wastewater {
        None => None,
        Some(w) => {
            let a = at(source, text, w, "wastewater.".into());
            let ww = wastewater(&a, w.get_ref(), ctx)?;
            if streams.iter().any(|o| o.name == ww.name) {
                return Err(a.err("name", format!("`{}` is already a stream's name", ww.name)));
            }
            Some(ww)
        }
    };
    if streams.is_empty() && wastewater.is_none() {
        return Err(Error::input(
            Located::file(source).field("stream"),
            "no [[stream]] and no [wastewater]: nothing to observe",
        ));
    }
    let sim = raw.simulation.as_ref();
    Ok(SimConfig {
        source: source.to_string(),
        description: sim.and_then(|s| s.description.clone()).unwrap_or_default(),
        seed: sim.and_then(|s| s.seed),
        truth,
        regimes,
        streams,
        wastewater,
    })
}

fn delay(
    a: &At<'_>,
    prefix: &str,
    mean: Option<f64>,
    sd: Option<f64>,
    max: Option<i64>,
    default_max: i64,
) -> Result<Delay> {
    let max_days = |default: i64| -> Result<usize> {
        let m = max.unwrap_or(default);
        usize::try_from(m)
            .ok()
            .filter(|&m| m <= 365)
            .ok_or_else(|| {
                a.err(
                    &format!("{prefix}_max"),
                    format!("expected a whole number of days in 0..=365, found {m}"),
                )
            })
    };
    match (mean, sd) {
        (None, None) => Ok(Delay::none()),
        (Some(m), Some(s)) => {
            let m = a.positive(&format!("{prefix}_mean"), Some(m), 1.0)?;
            let s = a.positive(&format!("{prefix}_sd"), Some(s), 1.0)?;
            Delay::discretised_gamma(m, s, max_days(default_max)?)
                .map_err(|e| a.err(&format!("{prefix}_mean"), e.to_string()))
        }
        (Some(_), None) => Err(a.err(
            &format!("{prefix}_mean"),
            format!("{prefix}_mean needs {prefix}_sd too"),
        )),
        (None, Some(_)) => Err(a.err(
            &format!("{prefix}_sd"),
            format!("{prefix}_sd needs {prefix}_mean too"),
        )),
    }
}

fn stream(a: &At<'_>, s: &RawStream, ctx: &Context<'_>) -> Result<StreamConfig> {
    if s.name.trim().is_empty() {
        return Err(a.err("name", "the stream name is empty"));
    }
    let observable = ctx
        .observables
        .iter()
        .position(|o| *o == s.observable)
        .ok_or_else(|| {
            a.err(
                "observable",
                format!(
                    "unknown observable `{}`; the model's are: {}",
                    s.observable,
                    ctx.observables.join(", ")
                ),
            )
        })?;
    let mut ascertainment = vec![(1, a.positive("ascertainment", s.ascertainment, 1.0)?)];
    if let Some(points) = &s.ascertainment_points {
        if points.is_empty() {
            return Err(a.err(
                "ascertainment_points",
                "give at least one point or omit the key",
            ));
        }
        ascertainment.clear();
        for (k, p) in points.iter().enumerate() {
            let key = format!("ascertainment_points[{k}]");
            let day = a.day(&format!("{key}.at"), &p.at, ctx)?;
            if ascertainment.last().is_some_and(|&(d, _)| d >= day) {
                return Err(a.err(
                    &format!("{key}.at"),
                    "points must be in increasing order of day",
                ));
            }
            ascertainment.push((
                day,
                a.positive(&format!("{key}.value"), Some(p.value), 1.0)?,
            ));
        }
    }
    let noise = match s.dispersion {
        None => Noise::Poisson,
        Some(k) => Noise::NegBinomial {
            dispersion: a.positive("dispersion", Some(k), 1.0)?,
        },
    };
    let weekday_effect = match &s.weekday_effect {
        None => [1.0; 7],
        Some(w) => {
            let w = weekday_factors(a, w)?;
            let mean = w.iter().sum::<f64>() / 7.0;
            w.map(|x| x / mean)
        }
    };
    let mut outages = Vec::new();
    for (k, o) in s.outage.iter().enumerate() {
        let oa = At {
            source: a.source,
            line: a.line,
            path: format!("{}outage[{k}].", a.path),
        };
        let (from, to) = oa.window(&o.from, &o.to, ctx)?;
        outages.push(Outage {
            from,
            to,
            dump: o.dump.unwrap_or(true),
        });
    }
    let lag = s.backfill_lag_days.unwrap_or(7);
    let backfill_lag_days = usize::try_from(lag)
        .ok()
        .filter(|&l| (1..=365).contains(&l))
        .ok_or_else(|| {
            a.err(
                "backfill_lag_days",
                format!("expected a whole number of days in 1..=365, found {lag}"),
            )
        })?;
    let skew = s.clock_skew_hours.unwrap_or(0.0);
    Ok(StreamConfig {
        name: s.name.clone(),
        observable,
        per_stratum: s.per_stratum.unwrap_or(false),
        locations: a.locations("locations", &s.locations, ctx)?,
        ascertainment,
        noise,
        delay: delay(a, "delay", s.delay_mean, s.delay_sd, s.delay_max, 21)?,
        weekday_effect,
        outlier_rate: a.probability("outlier_rate", s.outlier_rate, 0.0)?,
        outlier_scale: {
            let x = s.outlier_scale.unwrap_or(5.0);
            a.check("outlier_scale", x, x >= 1.0, "a factor ≥ 1")?
        },
        missing_rate: a.probability("missing_rate", s.missing_rate, 0.0)?,
        outages,
        outage_rate: a.probability("outage_rate", s.outage_rate, 0.0)?,
        outage_mean_days: a.positive("outage_mean_days", s.outage_mean_days, 5.0)?,
        outage_dump: s.outage_dump.unwrap_or(true),
        backfill_rate: a.probability("backfill_rate", s.backfill_rate, 0.0)?,
        backfill_initial_share: a.probability(
            "backfill_initial_share",
            s.backfill_initial_share,
            0.6,
        )?,
        backfill_lag_days,
        clock_skew_hours: a.check(
            "clock_skew_hours",
            skew,
            skew.abs() <= 48.0,
            "hours in [-48, 48]",
        )?,
    })
}

/// Named days, Monday first like the list form (ISO weekdays).
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `weekday_effect`: seven positive factors Monday..Sunday, or a table
/// `{ mon = …, …, sun = … }`, which cannot be read in the wrong order (a
/// twin spec's lists start on Sunday, the Forecast Hub's week).
fn weekday_factors(a: &At<'_>, w: &toml::Value) -> Result<[f64; 7]> {
    let number = |key: &str, v: &toml::Value| -> Result<f64> {
        let x = match v {
            toml::Value::Float(x) => *x,
            toml::Value::Integer(i) => *i as f64,
            other => {
                return Err(a.err(
                    key,
                    format!("expected a factor > 0, found {}", other.type_str()),
                ))
            }
        };
        a.check(key, x, x > 0.0, "a factor > 0")
    };
    let mut out = [0.0; 7];
    match w {
        toml::Value::Array(items) => {
            if items.len() != 7 {
                return Err(a.err(
                    "weekday_effect",
                    format!(
                        "expected 7 factors (Monday..Sunday) or a table of named days \
                         (mon = …, sun = …), found {}",
                        items.len()
                    ),
                ));
            }
            for (k, (o, v)) in out.iter_mut().zip(items).enumerate() {
                *o = number(&format!("weekday_effect[{k}]"), v)?;
            }
        }
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| !DAY_NAMES.contains(&k.as_str())) {
                return Err(a.err(
                    &format!("weekday_effect.{k}"),
                    didymos_core::suggest::unknown_key_message(k, DAY_NAMES),
                ));
            }
            for (o, day) in out.iter_mut().zip(DAY_NAMES) {
                let key = format!("weekday_effect.{day}");
                let v = t
                    .get(day)
                    .ok_or_else(|| a.err(&key, format!("missing required key `{day}`")))?;
                *o = number(&key, v)?;
            }
        }
        other => {
            return Err(a.err(
                "weekday_effect",
                format!(
                    "expected 7 factors (Monday..Sunday) or a table of named days, found {}",
                    other.type_str()
                ),
            ))
        }
    }
    Ok(out)
}

fn wastewater(a: &At<'_>, w: &RawWastewater, ctx: &Context<'_>) -> Result<WastewaterConfig> {
    let shedding = delay(
        a,
        "shedding",
        Some(w.shedding_mean.unwrap_or(6.0)),
        Some(w.shedding_sd.unwrap_or(4.0)),
        w.shedding_max,
        28,
    )?;
    let weekdays = match &w.sample_weekdays {
        None => (1..=7).collect(),
        Some(days) => {
            if days.is_empty() {
                return Err(a.err(
                    "sample_weekdays",
                    "give at least one weekday (1 = Monday … 7 = Sunday)",
                ));
            }
            days.iter()
                .map(|&d| {
                    u32::try_from(d)
                        .ok()
                        .filter(|d| (1..=7).contains(d))
                        .ok_or_else(|| {
                            a.err(
                                "sample_weekdays",
                                format!("expected ISO weekdays 1 (Monday) … 7 (Sunday), found {d}"),
                            )
                        })
                })
                .collect::<Result<Vec<u32>>>()?
        }
    };
    let sd = w.sd.unwrap_or(0.5);
    Ok(WastewaterConfig {
        name: w.name.clone().unwrap_or_else(|| "wastewater".into()),
        locations: a.locations("locations", &w.locations, ctx)?,
        shedding,
        copies_per_infection: a.positive("copies_per_infection", w.copies_per_infection, 1e9)?,
        sd: a.check("sd", sd, sd > 0.0 && sd <= 5.0, "a log-scale sd in (0, 5]")?,
        detection_limit: {
            let x = w.detection_limit.unwrap_or(0.0);
            a.check("detection_limit", x, x >= 0.0, "a concentration ≥ 0")?
        },
        sample_weekdays: weekdays,
    })
}

/// The keys each kind of regime takes (besides `type`).
const REGIME_KEYS: [(&str, &[&str]); 3] = [
    ("surge", &["from", "to", "factor"]),
    ("variant", &["from", "factor", "takeover_days"]),
    ("mobility_shock", &["from", "to", "scale", "patches"]),
];

fn regime(a: &At<'_>, r: &RawRegime, ctx: &Context<'_>) -> Result<Regime> {
    let Some((_, allowed)) = REGIME_KEYS.iter().find(|(k, _)| *k == r.kind) else {
        let kinds: Vec<&str> = REGIME_KEYS.iter().map(|(k, _)| *k).collect();
        return Err(a.err(
            "type",
            format!(
                "unknown regime `{}`; expected one of {}",
                r.kind,
                kinds.join(", ")
            ),
        ));
    };
    if let Some(k) = r.keys().into_iter().find(|k| !allowed.contains(k)) {
        return Err(a.err(
            k,
            format!(
                "a `{}` regime has no `{k}` (it takes {})",
                r.kind,
                allowed.join(", ")
            ),
        ));
    }
    let from = needed(a, r, "from", &r.from)?;
    let factor = || -> Result<f64> {
        let f = *needed(a, r, "factor", &r.factor)?;
        a.check("factor", f, f >= 0.0, "a factor ≥ 0")
    };
    Ok(match r.kind.as_str() {
        "variant" => Regime::Variant {
            from: a.day("from", from, ctx)?,
            factor: factor()?,
            takeover_days: {
                let t = r.takeover_days.unwrap_or(0.0);
                a.check("takeover_days", t, t >= 0.0, "a number of days ≥ 0")?
            },
        },
        "surge" => {
            let (from, to) = a.window(from, needed(a, r, "to", &r.to)?, ctx)?;
            Regime::Surge {
                from,
                to,
                factor: factor()?,
            }
        }
        _ => {
            let (from, to) = a.window(from, needed(a, r, "to", &r.to)?, ctx)?;
            let scale = *needed(a, r, "scale", &r.scale)?;
            Regime::MobilityShock {
                from,
                to,
                scale: a.check("scale", scale, scale >= 0.0, "a scale ≥ 0")?,
                patches: a.locations("patches", &r.patches, ctx)?,
            }
        }
    })
}

/// A key the regime's kind needs, or the error naming it.
fn needed<'v, T>(a: &At<'_>, r: &RawRegime, key: &str, value: &'v Option<T>) -> Result<&'v T> {
    value
        .as_ref()
        .ok_or_else(|| a.err(key, format!("a `{}` regime needs `{key}`", r.kind)))
}
