//! The native twin spec: one TOML file that defines a twin. A complete,
//! commented example is `data/spain/twin.toml`. Paths are relative to the
//! spec file's directory. Unknown keys are errors that name the key path
//! and line and suggest the closest valid key.
//!
//! | key | meaning |
//! |---|---|
//! | `twin.name` | name of the twin (required) |
//! | `twin.model` | model: `"mmca"` (required; the only model so far) |
//! | `time.start`, `time.end` | first and last simulated day, `"YYYY-MM-DD"` or a TOML date; day 1 = start |
//! | `data.metapopulation` | patches CSV: `id, area, <strata>…` |
//! | `data.mobility` | commuting CSV: `source_idx, target_idx, ratio` |
//! | `data.seeds` | seeds CSV: `idx, <strata>…` (persons placed in A on day 1) |
//! | `data.normalise_mobility` | rescale mobility rows not summing to 1 instead of failing (default false) |
//! | `data.seed_scale` | multiplier > 0 for all seed counts (default 1.0) |
//! | `population.strata` | stratum labels; the last keeps home contacts under confinement |
//! | `population.contact` | G×G contact matrix, row = stratum of the susceptible |
//! | `population.k`, `k_home`, `k_work` | contacts per day: total, at home, at work (≥ 0, one per stratum) |
//! | `population.p_mobility` | share of each stratum that commutes, in [0, 1] |
//! | `population.xi`, `sigma` | density factor ξ, average household size σ (≥ 0) |
//! | `epidemic.beta_i` | βᴵ, infectivity of symptomatic infected |
//! | `epidemic.beta_a` / `scale_beta` | βᴬ explicitly, or as scale_beta·beta_i (beta_a wins if both) |
//! | `epidemic.eta` … `chi` | per-stratum probabilities ηᵍ αᵍ μᵍ θᵍ γᵍ ζᵍ λᵍ ωᵍ ψᵍ χᵍ |
//! | `containment.kappa0_file` | daily κ₀ CSV `date, reduction`: one measure per row in range (rows before start dropped with a warning) |
//! | `containment.phi`, `delta` | ϕ and δ for the κ₀ series (δ = 0 where κ₀ = 0); also the default for events |
//! | `[[containment.event]]` | `date` (within start..=end), `kappa0`, `phi`, `delta` (the last two default to the section's) |
//! | `priors.<parameter>` | a prior, e.g. `{ dist = "normal", mean = 0.09, sd = 0.01 }`; names are checked by the model |
//! | `ensemble.members`, `seed` | ensemble size (default 1) and random seed (default 0) |
//! | `output.format` | `"parquet"` (default) or `"csv"` |
//! | `output.compartments` | also write all 11 compartments (default false) |
//! | `[assimilation]` | observations and filter settings: see [`crate::spec_assim`] |
//!
//! Events and the κ₀ series are merged; two measures on one day are an
//! error naming both.

use std::path::{Path, PathBuf};

use didymos_core::{Calendar, Error, Located, Prior, Result};
use didymos_spec::{Doc, Field, Section};

use crate::inputs::params::{read_epidemic, read_population, Dialect};
use crate::inputs::{
    build_containments, kappa0_containments, read_kappa0_rows, read_patch_data, read_text,
    DataFiles, DatedContainment, Warning,
};
use crate::mmca::{Containment, MmcaSetup};
use crate::spec_assim::{read_assimilation, AssimilationSpec};

/// A loaded, validated twin spec.
#[derive(Debug, Clone, PartialEq)]
pub struct TwinSpec {
    pub name: String,
    pub setup: MmcaSetup,
    /// Parameter name → prior, with where it was written (names are
    /// validated by the model).
    pub priors: Vec<(String, Prior, Located)>,
    pub members: usize,
    pub seed: u64,
    /// `"parquet"` or `"csv"`.
    pub output_format: String,
    pub write_compartments: bool,
    pub spec_path: PathBuf,
    /// Every data file read, for provenance.
    pub inputs: Vec<PathBuf>,
    /// How the twin is kept in step with data (see [`crate::spec_assim`]).
    pub assimilation: Option<AssimilationSpec>,
}

const TOP_KEYS: [&str; 10] = [
    "assimilation",
    "twin",
    "time",
    "data",
    "population",
    "epidemic",
    "containment",
    "priors",
    "ensemble",
    "output",
];
const MODELS: [&str; 1] = ["mmca"];
const OUTPUT_FORMATS: [&str; 2] = ["parquet", "csv"];

/// Load a twin spec and every data file it names.
pub fn load_spec(path: &Path) -> Result<(TwinSpec, Vec<Warning>)> {
    let text = read_text(path)?;
    let doc = Doc::parse(path, &text)?;
    let root = doc.root();
    root.check_keys(&TOP_KEYS)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut warnings = Vec::new();

    let twin = root.section("twin")?;
    twin.check_keys(&["name", "model"])?;
    let name = twin.req("name")?.str()?.to_string();
    let model = twin.req("model")?;
    if !MODELS.contains(&model.str()?) {
        return Err(model.error(format!(
            "unknown model `{}`; valid models are: {}",
            model.str()?,
            MODELS.join(", ")
        )));
    }

    let time = root.section("time")?;
    time.check_keys(&["start", "end"])?;
    let start = time.req("start")?.date()?;
    let end_field = time.req("end")?;
    let end = end_field.date()?;
    let calendar = Calendar::new(start, end).ok_or_else(|| {
        end_field.error(format!("end date {end} is before the start date {start}"))
    })?;

    let data = root.section("data")?;
    data.check_keys(&[
        "metapopulation",
        "mobility",
        "seeds",
        "normalise_mobility",
        "seed_scale",
    ])?;
    let file = |f: Field| -> Result<PathBuf> {
        let name = f.str()?;
        if name.trim().is_empty() {
            return Err(f.error("empty file name"));
        }
        Ok(dir.join(name))
    };
    let files = DataFiles {
        metapopulation: file(data.req("metapopulation")?)?,
        mobility: file(data.req("mobility")?)?,
        seeds: file(data.req("seeds")?)?,
        normalise_mobility: data
            .get("normalise_mobility")
            .map(|f| f.bool())
            .transpose()?
            .unwrap_or(false),
        seed_scale: data
            .get("seed_scale")
            .map(|f| f.positive())
            .transpose()?
            .unwrap_or(1.0),
    };

    let population = read_population(&root.section("population")?, Dialect::Spec)?;
    let (epi, _) = read_epidemic(
        &root.section("epidemic")?,
        Dialect::Spec,
        &population.strata,
    )?;

    let patch = read_patch_data(&files, &population.strata, &mut warnings)?;
    let mut inputs = vec![
        files.metapopulation.clone(),
        files.mobility.clone(),
        files.seeds.clone(),
    ];
    let entries = match root.opt_section("containment")? {
        Some(sec) => read_containment(&sec, &file, &calendar, &mut inputs, &mut warnings)?,
        None => Vec::new(),
    };
    let setup = MmcaSetup {
        calendar,
        epi,
        population,
        metapopulation: patch.metapopulation,
        edges: patch.edges,
        seeds: patch.seeds,
        containments: build_containments(entries)?,
    };

    let priors = match root.opt_section("priors")? {
        Some(sec) => read_priors(&sec)?,
        None => Vec::new(),
    };

    let (mut members, mut seed) = (1usize, 0u64);
    if let Some(sec) = root.opt_section("ensemble")? {
        sec.check_keys(&["members", "seed"])?;
        if let Some(f) = sec.get("members") {
            members = usize::try_from(f.int()?)
                .ok()
                .filter(|&m| m >= 1)
                .ok_or_else(|| f.error("expected a whole number ≥ 1"))?;
        }
        if let Some(f) = sec.get("seed") {
            seed = u64::try_from(f.int()?).map_err(|_| f.error("expected a whole number ≥ 0"))?;
        }
    }

    let (mut output_format, mut write_compartments) = ("parquet".to_string(), false);
    if let Some(sec) = root.opt_section("output")? {
        sec.check_keys(&["format", "compartments"])?;
        if let Some(f) = sec.get("format") {
            let s = f.str()?;
            if !OUTPUT_FORMATS.contains(&s) {
                return Err(f.error(format!(
                    "unknown output format `{s}`; valid formats are: parquet, csv"
                )));
            }
            output_format = s.to_string();
        }
        if let Some(f) = sec.get("compartments") {
            write_compartments = f.bool()?;
        }
    }

    let base = path.parent().unwrap_or(Path::new("."));
    let assimilation = root
        .opt_section("assimilation")?
        .map(|sec| read_assimilation(&sec, base))
        .transpose()?;
    // A stream's lookup decides what the twin is fitted to: it is an input
    // like the data files (recorded in PROV, checked by `didymos rerun`).
    if let Some(a) = &assimilation {
        inputs.extend(a.streams.iter().filter_map(|s| s.aggregation.clone()));
    }

    let spec = TwinSpec {
        assimilation,
        name,
        setup,
        priors,
        members,
        seed,
        output_format,
        write_compartments,
        spec_path: path.to_path_buf(),
        inputs,
    };
    Ok((spec, warnings))
}

/// The `[containment]` section: an optional κ₀ series plus explicit events.
fn read_containment(
    sec: &Section,
    file: &dyn Fn(Field) -> Result<PathBuf>,
    calendar: &Calendar,
    inputs: &mut Vec<PathBuf>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<DatedContainment>> {
    sec.check_keys(&["kappa0_file", "phi", "delta", "event"])?;
    let phi = sec.get("phi").map(|f| f.probability()).transpose()?;
    let delta = sec.get("delta").map(|f| f.probability()).transpose()?;
    let mut entries = Vec::new();

    if let Some(f) = sec.get("kappa0_file") {
        let path = file(f)?;
        // The series needs ϕ and δ; `req` names the missing one.
        let phi = sec.req("phi")?.probability()?;
        let delta = sec.req("delta")?.probability()?;
        let rows = read_kappa0_rows(&path)?;
        let (e, w) = kappa0_containments(&rows, &path, calendar, phi, delta);
        entries.extend(e);
        warnings.extend(w);
        inputs.push(path);
    }

    if let Some(events) = sec.get("event") {
        for ev in events.array()? {
            let t = ev.table()?;
            t.check_keys(&["date", "kappa0", "phi", "delta"])?;
            let date_field = t.req("date")?;
            let date = date_field.date()?;
            let day = calendar.day_in_range(date).ok_or_else(|| {
                date_field.error(format!(
                    "{date} is outside the simulated range {} … {}",
                    calendar.start, calendar.end
                ))
            })?;
            // ϕ/δ default to the section's values.
            let value = |key: &str, default: Option<f64>| -> Result<f64> {
                match (t.get(key), default) {
                    (Some(f), _) => f.probability(),
                    (None, Some(x)) => Ok(x),
                    (None, None) => Err(match t.req(key).err() {
                        Some(Error::Input { at, msg }) if key != "kappa0" => Error::input(
                            at,
                            format!("{msg} (or give containment.{key} as the default)"),
                        ),
                        Some(e) => e,
                        None => ev.error(format!("missing `{key}`")),
                    }),
                }
            };
            let containment = Containment {
                kappa0: value("kappa0", None)?,
                phi: value("phi", phi)?,
                delta: value("delta", delta)?,
            };
            entries.push(DatedContainment {
                day,
                containment,
                at: date_field.at(),
            });
        }
    }
    if entries.is_empty() && sec.get("kappa0_file").is_none() && (phi.is_some() || delta.is_some())
    {
        let f = sec.get("phi").or_else(|| sec.get("delta"));
        if let Some(f) = f {
            warnings.push(Warning::new(
                f.at(),
                "containment.phi/delta apply to a kappa0_file or to events; with neither they are unused",
            ));
        }
    }
    Ok(entries)
}

/// `[priors]`: each key a parameter name, each value a prior table.
fn read_priors(sec: &Section) -> Result<Vec<(String, Prior, Located)>> {
    sec.entries()
        .map(|(name, f)| {
            let prior = f.prior("{ dist = \"normal\", mean = 0.09, sd = 0.01 }")?;
            Ok((name.to_string(), prior, f.at()))
        })
        .collect()
}
