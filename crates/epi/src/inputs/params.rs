//! Epidemic and population parameters, read from either dialect: EpiSim's
//! Greek JSON keys or the twin spec's ASCII TOML keys. One table of key
//! names drives both readers and the EpiSim → spec converter, so the two
//! formats cannot drift apart.

use didymos_core::{Error, Result};

use crate::mmca::{EpiParams, PopulationParams};
use didymos_spec::{Field, Section};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    EpiSim,
    Spec,
}

impl Dialect {
    fn pick(self, names: (&'static str, &'static str)) -> &'static str {
        match self {
            Dialect::EpiSim => names.0,
            Dialect::Spec => names.1,
        }
    }
}

/// (EpiSim key, spec key) of the scalar infectivities.
pub(crate) const BETA_I: (&str, &str) = ("βᴵ", "beta_i");
pub(crate) const BETA_A: (&str, &str) = ("βᴬ", "beta_a");
pub(crate) const SCALE_BETA: (&str, &str) = ("scale_β", "scale_beta");

/// (EpiSim key, spec key) of the per-stratum probabilities, in the order
/// of the [`EpiParams`] fields eta … chi.
pub(crate) const EPI_RATES: [(&str, &str); 10] = [
    ("ηᵍ", "eta"),
    ("αᵍ", "alpha"),
    ("μᵍ", "mu"),
    ("θᵍ", "theta"),
    ("γᵍ", "gamma"),
    ("ζᵍ", "zeta"),
    ("λᵍ", "lambda"),
    ("ωᵍ", "omega"),
    ("ψᵍ", "psi"),
    ("χᵍ", "chi"),
];

pub(crate) const STRATA: (&str, &str) = ("G_labels", "strata");
pub(crate) const CONTACT: (&str, &str) = ("C", "contact");
pub(crate) const K: (&str, &str) = ("kᵍ", "k");
pub(crate) const K_HOME: (&str, &str) = ("kᵍ_h", "k_home");
pub(crate) const K_WORK: (&str, &str) = ("kᵍ_w", "k_work");
pub(crate) const P_MOBILITY: (&str, &str) = ("pᵍ", "p_mobility");
pub(crate) const XI: (&str, &str) = ("ξ", "xi");
pub(crate) const SIGMA: (&str, &str) = ("σ", "sigma");

/// How βᴬ was given, kept so a converted spec says the same thing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BetaA {
    Explicit(f64),
    /// βᴬ = scale·βᴵ.
    Scaled(f64),
}

/// Keys the epidemic section accepts in `dialect`.
pub(crate) fn epidemic_keys(dialect: Dialect) -> Vec<&'static str> {
    let mut keys = vec![
        dialect.pick(BETA_I),
        dialect.pick(BETA_A),
        dialect.pick(SCALE_BETA),
    ];
    keys.extend(EPI_RATES.iter().map(|&n| dialect.pick(n)));
    keys
}

/// Keys the population section accepts in `dialect`.
pub(crate) fn population_keys(dialect: Dialect) -> Vec<&'static str> {
    [STRATA, CONTACT, K, K_HOME, K_WORK, P_MOBILITY, XI, SIGMA]
        .iter()
        .map(|&n| dialect.pick(n))
        .collect()
}

fn per_stratum(strata: &[String]) -> String {
    format!("one per stratum {}", strata.join(", "))
}

/// Read the epidemic section for `strata.len()` strata. βᴬ given
/// explicitly wins over scale_β·βᴵ (EpiSim's rule); neither is an error.
pub(crate) fn read_epidemic(
    sec: &Section,
    dialect: Dialect,
    strata: &[String],
) -> Result<(EpiParams, BetaA)> {
    sec.check_keys(&epidemic_keys(dialect))?;
    let beta_i = sec.req(dialect.pick(BETA_I))?.probability()?;
    // scale_β is validated whenever present, even when βᴬ wins.
    let scale = sec
        .get(dialect.pick(SCALE_BETA))
        .map(|f| f.non_negative())
        .transpose()?;
    let (beta_a, form) = match (sec.get(dialect.pick(BETA_A)), scale) {
        (Some(f), _) => {
            let b = f.probability()?;
            (b, BetaA::Explicit(b))
        }
        (None, Some(s)) => {
            let b = s * beta_i;
            if b > 1.0 {
                return Err(sec.req(dialect.pick(SCALE_BETA))?.error(format!(
                    "{} · {} = {b} is not a probability in [0, 1]",
                    dialect.pick(SCALE_BETA),
                    dialect.pick(BETA_I)
                )));
            }
            (b, BetaA::Scaled(s))
        }
        (None, None) => {
            let mut at = sec.req(dialect.pick(BETA_I))?.at();
            at.field = Some(format!("{}.{}", sec.path, dialect.pick(BETA_A)));
            return Err(Error::input(
                at,
                format!(
                    "give either `{}` or `{}` (then {} = {} · {})",
                    dialect.pick(BETA_A),
                    dialect.pick(SCALE_BETA),
                    dialect.pick(BETA_A),
                    dialect.pick(SCALE_BETA),
                    dialect.pick(BETA_I)
                ),
            ));
        }
    };
    let what = per_stratum(strata);
    let mut rates = Vec::with_capacity(EPI_RATES.len());
    for names in EPI_RATES {
        rates.push(sec.req(dialect.pick(names))?.vec_f64(
            strata.len(),
            &what,
            Field::probability,
        )?);
    }
    let mut it = rates.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let epi = EpiParams {
        beta_i,
        beta_a,
        eta: next(),
        alpha: next(),
        mu: next(),
        theta: next(),
        gamma: next(),
        zeta: next(),
        lambda: next(),
        omega: next(),
        psi: next(),
        chi: next(),
    };
    Ok((epi, form))
}

/// Read the strata labels: a non-empty list of distinct strings.
pub(crate) fn read_strata(sec: &Section, dialect: Dialect) -> Result<Vec<String>> {
    let f = sec.req(dialect.pick(STRATA))?;
    let items = f.array()?;
    if items.is_empty() {
        return Err(f.error("expected at least one stratum label"));
    }
    let mut labels: Vec<String> = Vec::with_capacity(items.len());
    for item in &items {
        let s = item.str()?.trim();
        if s.is_empty() {
            return Err(item.error("empty stratum label"));
        }
        if labels.iter().any(|l| l == s) {
            return Err(item.error(format!("stratum label `{s}` appears twice")));
        }
        labels.push(s.to_string());
    }
    Ok(labels)
}

/// Read the population section. The contact matrix is G×G with rows in
/// the file's order (row = stratum of the susceptible, as EpiSim reads it).
pub(crate) fn read_population(sec: &Section, dialect: Dialect) -> Result<PopulationParams> {
    sec.check_keys(&population_keys(dialect))?;
    let strata = read_strata(sec, dialect)?;
    let g = strata.len();
    let what = per_stratum(&strata);
    let contact = sec
        .req(dialect.pick(CONTACT))?
        .array_len(g, &format!("{g} rows, {what}"))?
        .iter()
        .map(|row| row.vec_f64(g, &format!("{g} columns, {what}"), Field::non_negative))
        .collect::<Result<Vec<_>>>()?;
    let vec = |names, check| sec.req(dialect.pick(names))?.vec_f64(g, &what, check);
    Ok(PopulationParams {
        contact,
        k: vec(K, Field::non_negative)?,
        k_home: vec(K_HOME, Field::non_negative)?,
        k_work: vec(K_WORK, Field::non_negative)?,
        p_mobility: vec(P_MOBILITY, Field::probability)?,
        xi: sec.req(dialect.pick(XI))?.non_negative()?,
        sigma: sec.req(dialect.pick(SIGMA))?.non_negative()?,
        strata,
    })
}
