//! Write a twin spec (TOML text) from parsed parameters; used by the
//! EpiSim importer. Numbers are written with Rust's shortest round-trip
//! formatting, so reading the spec back gives bit-identical values.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use didymos_core::{Calendar, Date, Error, Result};

use super::params::{
    BetaA, BETA_A, BETA_I, CONTACT, EPI_RATES, K, K_HOME, K_WORK, P_MOBILITY, SCALE_BETA, SIGMA,
    STRATA, XI,
};
use super::DataFiles;
use crate::mmca::{Containment, EpiParams, PopulationParams};

pub(crate) enum ContainmentDraft {
    Series { file: PathBuf, phi: f64, delta: f64 },
    Events(Vec<(Date, Containment)>),
}

pub(crate) struct SpecDraft<'a> {
    pub name: &'a str,
    /// The file the spec was converted from (named in a comment).
    pub source: &'a Path,
    pub calendar: Calendar,
    pub files: &'a DataFiles,
    pub population: &'a PopulationParams,
    pub epi: &'a EpiParams,
    pub beta_a: BetaA,
    pub containment: ContainmentDraft,
}

/// A float as TOML: Rust's `Debug` is the shortest text that parses back
/// to the same `f64` and always has a `.` or an exponent (`1.0`, `1e-7`),
/// which TOML reads as a float.
fn num(x: f64) -> String {
    format!("{x:?}")
}

fn nums(xs: &[f64]) -> String {
    format!(
        "[{}]",
        xs.iter().map(|&x| num(x)).collect::<Vec<_>>().join(", ")
    )
}

fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `target` as a path relative to the directory `base` (both made
/// absolute first); the absolute path when no relative one exists.
fn relative_path(target: &Path, base: &Path) -> Result<String> {
    let target = target.canonicalize().map_err(|e| Error::io(target, e))?;
    let base = base.canonicalize().map_err(|e| Error::io(base, e))?;
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let rel: PathBuf = if common == 0 {
        target.clone()
    } else {
        let mut p = PathBuf::new();
        for _ in common..b.len() {
            p.push(Component::ParentDir);
        }
        p.extend(t.iter().skip(common));
        p
    };
    rel.to_str()
        .map(|s| s.replace('\\', "/"))
        .ok_or_else(|| Error::Other(format!("{}: the path is not valid UTF-8", target.display())))
}

/// Render the spec for saving in `spec_dir`.
pub(crate) fn render_spec(d: &SpecDraft, spec_dir: &Path) -> Result<String> {
    let spec = |names: (&str, &'static str)| names.1;
    let mut s = String::new();
    // `write!` to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        s,
        "# Didymos twin spec, converted from the EpiSim config {}.",
        d.source.display()
    );
    let _ = writeln!(
        s,
        "# Data files are referenced relative to this file's directory (not copied).\n"
    );
    let _ = writeln!(s, "[twin]\nname = {}\nmodel = \"mmca\"\n", string(d.name));
    let _ = writeln!(
        s,
        "[time]\nstart = \"{}\"\nend = \"{}\"\n",
        d.calendar.start, d.calendar.end
    );

    let f = d.files;
    let _ = writeln!(s, "[data]");
    let _ = writeln!(
        s,
        "metapopulation = {}",
        string(&relative_path(&f.metapopulation, spec_dir)?)
    );
    let _ = writeln!(
        s,
        "mobility = {}",
        string(&relative_path(&f.mobility, spec_dir)?)
    );
    let _ = writeln!(s, "seeds = {}", string(&relative_path(&f.seeds, spec_dir)?));
    let _ = writeln!(s, "normalise_mobility = {}", f.normalise_mobility);
    let _ = writeln!(s, "seed_scale = {}\n", num(f.seed_scale));

    let p = d.population;
    let labels: Vec<String> = p.strata.iter().map(|l| string(l)).collect();
    let _ = writeln!(s, "[population]");
    let _ = writeln!(s, "{} = [{}]", spec(STRATA), labels.join(", "));
    let _ = writeln!(s, "{} = [", spec(CONTACT));
    for row in &p.contact {
        let _ = writeln!(s, "    {},", nums(row));
    }
    let _ = writeln!(s, "]");
    for (names, v) in [
        (K, &p.k),
        (K_HOME, &p.k_home),
        (K_WORK, &p.k_work),
        (P_MOBILITY, &p.p_mobility),
    ] {
        let _ = writeln!(s, "{} = {}", spec(names), nums(v));
    }
    let _ = writeln!(
        s,
        "{} = {}\n{} = {}\n",
        spec(XI),
        num(p.xi),
        spec(SIGMA),
        num(p.sigma)
    );

    let e = d.epi;
    let _ = writeln!(s, "[epidemic]");
    let _ = writeln!(s, "{} = {}", spec(BETA_I), num(e.beta_i));
    match d.beta_a {
        BetaA::Explicit(b) => _ = writeln!(s, "{} = {}", spec(BETA_A), num(b)),
        BetaA::Scaled(k) => _ = writeln!(s, "{} = {}", spec(SCALE_BETA), num(k)),
    }
    let rates = [
        &e.eta, &e.alpha, &e.mu, &e.theta, &e.gamma, &e.zeta, &e.lambda, &e.omega, &e.psi, &e.chi,
    ];
    for (names, v) in EPI_RATES.iter().zip(rates) {
        let _ = writeln!(s, "{} = {}", spec(*names), nums(v));
    }

    match &d.containment {
        ContainmentDraft::Series { file, phi, delta } => {
            let _ = writeln!(s, "\n[containment]");
            let _ = writeln!(
                s,
                "kappa0_file = {}",
                string(&relative_path(file, spec_dir)?)
            );
            let _ = writeln!(s, "phi = {}\ndelta = {}", num(*phi), num(*delta));
        }
        ContainmentDraft::Events(events) => {
            for (date, c) in events {
                let _ = writeln!(s, "\n[[containment.event]]\ndate = \"{date}\"");
                let _ = writeln!(
                    s,
                    "kappa0 = {}\nphi = {}\ndelta = {}",
                    num(c.kappa0),
                    num(c.phi),
                    num(c.delta)
                );
            }
        }
    }
    Ok(s)
}
