//! Named parameters with values, priors and transforms.
//!
//! A model publishes a [`ParameterSpace`]; algorithms see a member's
//! parameters as a flat `&[f64]` in that order. Estimation works on the
//! transformed (unconstrained) scale given by each parameter's [`Transform`].

use rand::Rng;
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Located, Result};

/// Prior distribution of one parameter (natural scale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum Prior {
    Fixed {
        value: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// `mu`, `sigma` of the underlying normal (log scale).
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Beta {
        a: f64,
        b: f64,
    },
    /// Shape `k`, scale `theta`.
    Gamma {
        shape: f64,
        scale: f64,
    },
}

impl Prior {
    pub fn validate(&self, at: &Located) -> Result<()> {
        let bad = |m: &str| Err(Error::input(at.clone(), m.to_string()));
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            Prior::Fixed { value } if !value.is_finite() => bad("fixed value must be finite"),
            // `gen_range` panics when high − low overflows.
            Prior::Uniform { low, high } if !(finite(&[low, high, high - low]) && low < high) => {
                bad("uniform prior needs finite low < high, less than 1.8e308 apart")
            }
            Prior::Normal { mean, sd } if !(finite(&[mean, sd]) && sd > 0.0) => {
                bad("normal prior needs sd > 0")
            }
            Prior::LogNormal { mu, sigma } if !(finite(&[mu, sigma]) && sigma > 0.0) => {
                bad("lognormal prior needs sigma > 0")
            }
            Prior::Beta { a, b } if !(finite(&[a, b]) && a > 0.0 && b > 0.0) => {
                bad("beta prior needs a, b > 0")
            }
            Prior::Gamma { shape, scale }
                if !(finite(&[shape, scale]) && shape > 0.0 && scale > 0.0) =>
            {
                bad("gamma prior needs shape, scale > 0")
            }
            _ => Ok(()),
        }
    }

    /// Validated priors never fail to sample; the `expect`s below guard
    /// parameters that `validate` has already checked.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Prior::Fixed { value } => value,
            Prior::Uniform { low, high } => rng.gen_range(low..high),
            Prior::Normal { mean, sd } => Normal::new(mean, sd).expect("validated").sample(rng),
            Prior::LogNormal { mu, sigma } => {
                LogNormal::new(mu, sigma).expect("validated").sample(rng)
            }
            Prior::Beta { a, b } => Beta::new(a, b).expect("validated").sample(rng),
            Prior::Gamma { shape, scale } => {
                Gamma::new(shape, scale).expect("validated").sample(rng)
            }
        }
    }

    /// Log density on the natural scale (up to nothing: normalised).
    pub fn ln_pdf(&self, x: f64) -> f64 {
        use std::f64::consts::PI;
        match *self {
            Prior::Fixed { value } => {
                if x == value {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
            Prior::Uniform { low, high } => {
                if (low..=high).contains(&x) {
                    -(high - low).ln()
                } else {
                    f64::NEG_INFINITY
                }
            }
            Prior::Normal { mean, sd } => {
                -0.5 * ((x - mean) / sd).powi(2) - sd.ln() - 0.5 * (2.0 * PI).ln()
            }
            Prior::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                -0.5 * ((x.ln() - mu) / sigma).powi(2) - (x * sigma).ln() - 0.5 * (2.0 * PI).ln()
            }
            Prior::Beta { a, b } => {
                if !(0.0..=1.0).contains(&x) {
                    return f64::NEG_INFINITY;
                }
                (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta(a, b)
            }
            Prior::Gamma { shape, scale } => {
                if x <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                (shape - 1.0) * x.ln() - x / scale - ln_gamma(shape) - shape * scale.ln()
            }
        }
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Map between the natural scale and an unconstrained estimation scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Transform {
    #[default]
    Identity,
    /// For positive parameters.
    Log,
    /// For parameters in (low, high); `low = 0, high = 1` for probabilities.
    Logit { low: f64, high: f64 },
}

impl Transform {
    pub fn to_estimation(&self, x: f64) -> f64 {
        match *self {
            Transform::Identity => x,
            Transform::Log => x.ln(),
            Transform::Logit { low, high } => {
                let p = (x - low) / (high - low);
                (p / (1.0 - p)).ln()
            }
        }
    }
    pub fn to_natural(&self, y: f64) -> f64 {
        match *self {
            Transform::Identity => y,
            Transform::Log => y.exp(),
            Transform::Logit { low, high } => low + (high - low) / (1.0 + (-y).exp()),
        }
    }
}

/// One named scalar parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub name: String,
    /// Value used when the parameter is not drawn from its prior.
    pub value: f64,
    pub prior: Option<Prior>,
    pub transform: Transform,
    /// Inclusive natural-scale bounds the model accepts.
    pub bounds: (f64, f64),
}

impl ParamDef {
    pub fn new(name: impl Into<String>, value: f64, bounds: (f64, f64)) -> Self {
        ParamDef {
            name: name.into(),
            value,
            prior: None,
            transform: Transform::Identity,
            bounds,
        }
    }
    pub fn with_transform(mut self, t: Transform) -> Self {
        self.transform = t;
        self
    }
}

/// The ordered set of a model's scalar parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParameterSpace {
    defs: Vec<ParamDef>,
}

impl ParameterSpace {
    pub fn new(defs: Vec<ParamDef>) -> Self {
        ParameterSpace { defs }
    }
    pub fn len(&self) -> usize {
        self.defs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
    pub fn defs(&self) -> &[ParamDef] {
        &self.defs
    }
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.defs.iter().position(|d| d.name == name)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> + Clone {
        self.defs.iter().map(|d| d.name.as_str())
    }

    /// Attach a prior to a named parameter.
    pub fn set_prior(&mut self, name: &str, prior: Prior, at: &Located) -> Result<()> {
        prior.validate(at)?;
        let i = self.index_of(name).ok_or_else(|| {
            Error::input(
                at.clone(),
                crate::suggest::unknown_key_message(name, self.names()),
            )
        })?;
        self.defs[i].prior = Some(prior);
        Ok(())
    }

    pub fn set_value(&mut self, name: &str, value: f64, at: &Located) -> Result<()> {
        let i = self.index_of(name).ok_or_else(|| {
            Error::input(
                at.clone(),
                crate::suggest::unknown_key_message(name, self.names()),
            )
        })?;
        let (lo, hi) = self.defs[i].bounds;
        if !(value.is_finite() && (lo..=hi).contains(&value)) {
            return Err(Error::input(
                at.clone(),
                format!("{name} = {value} is outside [{lo}, {hi}]"),
            ));
        }
        self.defs[i].value = value;
        Ok(())
    }

    /// The point values (no draws).
    /// Indices of the parameters `pattern` names: one name, or a prefix
    /// ending in `*` (`rate.*`: every name it begins), in order.
    pub fn matching(&self, pattern: &str) -> Vec<usize> {
        match pattern.strip_suffix('*') {
            Some(prefix) => (0..self.defs.len())
                .filter(|&k| self.defs[k].name.starts_with(prefix))
                .collect(),
            None => self.index_of(pattern).into_iter().collect(),
        }
    }

    /// An error for a `pattern` that [`Self::matching`] finds nothing for.
    pub fn unmatched_message(&self, pattern: &str) -> String {
        match pattern.strip_suffix('*') {
            Some(prefix) => format!("no parameter name begins with `{prefix}`"),
            None => crate::suggest::unknown_key_message(pattern, self.names()),
        }
    }

    /// The parameters that `patterns` (see [`Self::matching`]) name, each
    /// once, in order; an error at the first pattern that names none.
    pub fn resolve(&self, patterns: &[(String, Located)]) -> Result<Vec<usize>> {
        let mut out: Vec<usize> = Vec::new();
        for (pattern, at) in patterns {
            let found = self.matching(pattern);
            if found.is_empty() {
                return Err(Error::input(at.clone(), self.unmatched_message(pattern)));
            }
            for k in found {
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
        Ok(out)
    }

    pub fn values(&self) -> Vec<f64> {
        self.defs.iter().map(|d| d.value).collect()
    }

    /// One member's draw: parameters with a prior are sampled (redrawn until
    /// they fall inside the model's bounds, up to a limit), the rest keep
    /// their value.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Vec<f64>> {
        self.defs
            .iter()
            .map(|d| match &d.prior {
                None => Ok(d.value),
                Some(p) => {
                    for _ in 0..1000 {
                        let x = p.sample(rng);
                        if (d.bounds.0..=d.bounds.1).contains(&x) {
                            return Ok(x);
                        }
                    }
                    Err(Error::input(
                        Located::default().field(d.name.clone()),
                        format!(
                            "prior {p:?} almost never falls inside the bounds {:?}",
                            d.bounds
                        ),
                    ))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn transforms_roundtrip() {
        for t in [
            Transform::Identity,
            Transform::Log,
            Transform::Logit {
                low: 0.0,
                high: 2.0,
            },
        ] {
            for x in [0.1, 0.5, 1.3] {
                assert!((t.to_natural(t.to_estimation(x)) - x).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn ln_gamma_known() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn densities_integrate_to_one() {
        let priors = [
            Prior::Normal { mean: 1.0, sd: 0.3 },
            Prior::LogNormal {
                mu: 0.0,
                sigma: 0.5,
            },
            Prior::Beta { a: 2.0, b: 5.0 },
            Prior::Gamma {
                shape: 2.0,
                scale: 0.5,
            },
            Prior::Uniform {
                low: 0.2,
                high: 0.9,
            },
        ];
        for p in priors {
            let h = 1e-4;
            let s: f64 = (1..100_000)
                .map(|i| (p.ln_pdf(i as f64 * h)).exp() * h)
                .sum();
            assert!((s - 1.0).abs() < 2e-3, "{p:?} integrates to {s}");
        }
    }

    #[test]
    fn draws_respect_bounds_and_seed() {
        let mut ps = ParameterSpace::new(vec![
            ParamDef::new("a", 0.5, (0.0, 1.0)),
            ParamDef::new("b", 2.0, (0.0, 10.0)),
        ]);
        ps.set_prior(
            "a",
            Prior::Normal { mean: 0.5, sd: 1.0 },
            &Located::default(),
        )
        .unwrap();
        let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let d = ps.draw(&mut r1).unwrap();
            assert!((0.0..=1.0).contains(&d[0]));
            assert_eq!(d[1], 2.0);
            assert_eq!(d, ps.draw(&mut r2).unwrap());
        }
        let err = ps
            .set_prior("aa", Prior::Fixed { value: 1.0 }, &Located::default())
            .unwrap_err();
        assert!(err.to_string().contains("did you mean `a`"), "{err}");
    }

    #[test]
    fn a_uniform_prior_wider_than_f64_is_refused_not_sampled() {
        let wide = Prior::Uniform {
            low: -1e308,
            high: 1e308,
        };
        let err = wide.validate(&Located::default()).unwrap_err();
        assert!(err.to_string().contains("apart"), "{err}");
        let ok = Prior::Uniform {
            low: -1e307,
            high: 1e307,
        };
        ok.validate(&Located::default()).unwrap();
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert!(ok.sample(&mut r).abs() <= 1e307);
    }
}
