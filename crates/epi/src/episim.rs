//! EpiSim.jl compatibility: read an EpiSim `config.json` (Greek keys, as
//! EpiSim's `models/mitma/config_MMCACovid19.json`) and its data folder
//! unchanged, and convert it to a native twin spec.
//!
//! Semantics follow EpiSim.jl's `run_engine_io` for the `MMCACovid19`
//! engine: data file names are resolved against the data folder; the seeds
//! CSV (`input_format = "csv"`) places persons in A, scaled by
//! `simulation.scale_seeds`; βᴬ explicit wins over `scale_β`·βᴵ; a
//! `data.kappa0_filename` REPLACES the `NPI` lists `κ₀s`/`tᶜs` with one
//! measure per dated row (ϕ = `ϕs[0]`, δ = `δs[0]`, δ = 0 where κ₀ = 0).
//!
//! Every key EpiSim's configs use is accepted, including those EpiSim
//! reads but that do not change the epidemic (output settings,
//! `are_there_npi`); any other key is an error naming its path and the
//! closest valid key. Keys of the vaccination engine (`MMCACovid19Vac`) are
//! refused with a message saying so, rather than silently ignored.

use std::path::{Path, PathBuf};

use didymos_core::{Calendar, Error, Located, Result};

use crate::inputs::params::{read_epidemic, read_population, BetaA, Dialect};
use crate::inputs::parse::parse_json;
use crate::inputs::spec_writer::{render_spec, ContainmentDraft, SpecDraft};
use crate::inputs::{
    build_containments, kappa0_containments, read_kappa0_rows, read_patch_data, read_text,
    DataFiles, DatedContainment, Warning,
};
use crate::mmca::{Containment, EpiParams, MmcaSetup, PopulationParams};
use didymos_spec::{Field, Section};

/// Options that EpiSim's config has no key for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpisimOptions {
    /// Rescale mobility rows that do not sum to 1 (with a warning) instead
    /// of refusing them.
    pub normalise_mobility: bool,
}

const TOP_KEYS: [&str; 5] = [
    "simulation",
    "data",
    "epidemic_params",
    "population_params",
    "NPI",
];
const SIMULATION_KEYS: [&str; 12] = [
    "engine",
    "start_date",
    "end_date",
    "scale_seeds",
    "input_format",
    // Output settings: EpiSim reads them, the epidemic does not depend on
    // them; Didymos takes its output settings from the command line/spec.
    "save_full_output",
    "save_observables",
    "save_time_step",
    "output_folder",
    "output_format",
    "export_compartments_time_t",
    "export_compartments_full",
];
const DATA_KEYS: [&str; 4] = [
    "initial_condition_filename",
    "metapopulation_data_filename",
    "mobility_matrix_filename",
    "kappa0_filename",
];
const NPI_KEYS: [&str; 5] = ["κ₀s", "ϕs", "δs", "tᶜs", "are_there_npi"];
/// Epidemic keys only the vaccination engine reads.
const VACCINATION_EPI_KEYS: [&str; 7] = [
    "Λ",
    "Γ",
    "rᵥ",
    "kᵥ",
    "risk_reduction_dd",
    "risk_reduction_h",
    "risk_reduction_d",
];
const ENGINE: &str = "MMCACovid19";

/// A parsed, validated config before its data files are read.
struct Config {
    calendar: Calendar,
    epi: EpiParams,
    beta_a: BetaA,
    population: PopulationParams,
    files: DataFiles,
    npi: Npi,
}

enum Npi {
    /// Daily κ₀ series from `data.kappa0_filename`.
    Series { file: PathBuf, phi: f64, delta: f64 },
    /// The `NPI` lists.
    Lists(Vec<DatedContainment>),
}

/// Load an EpiSim config and the data files it names (resolved against
/// `data_dir`; an absolute file name is used as is).
pub fn load_episim(
    config_path: &Path,
    data_dir: &Path,
    opts: &EpisimOptions,
) -> Result<(MmcaSetup, Vec<Warning>)> {
    let mut warnings = Vec::new();
    let cfg = parse_config(config_path, data_dir, opts, &mut warnings)?;
    let setup = assemble(&cfg, &mut warnings)?;
    Ok((setup, warnings))
}

fn assemble(cfg: &Config, warnings: &mut Vec<Warning>) -> Result<MmcaSetup> {
    let data = read_patch_data(&cfg.files, &cfg.population.strata, warnings)?;
    let entries = match &cfg.npi {
        Npi::Series { file, phi, delta } => {
            let rows = read_kappa0_rows(file)?;
            let (entries, w) = kappa0_containments(&rows, file, &cfg.calendar, *phi, *delta);
            warnings.extend(w);
            entries
        }
        Npi::Lists(entries) => entries.clone(),
    };
    Ok(MmcaSetup {
        calendar: cfg.calendar,
        epi: cfg.epi.clone(),
        population: cfg.population.clone(),
        metapopulation: data.metapopulation,
        edges: data.edges,
        seeds: data.seeds,
        containments: build_containments(entries)?,
    })
}

fn parse_config(
    config_path: &Path,
    data_dir: &Path,
    opts: &EpisimOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Config> {
    let text = read_text(config_path)?;
    let root_item = parse_json(config_path, &text)?;
    let root = Field::root(config_path, &root_item).table()?;
    if let Some(v) = root.get("vaccination") {
        return Err(v.error(format!(
            "`vaccination` belongs to EpiSim's vaccination engine MMCACovid19Vac; Didymos runs the {ENGINE} engine only"
        )));
    }
    root.check_keys(&TOP_KEYS)?;

    let sim = root.section("simulation")?;
    sim.check_keys(&SIMULATION_KEYS)?;
    let engine = sim.req("engine")?;
    match engine.str()? {
        ENGINE => {}
        "MMCACovid19Vac" => {
            return Err(engine.error(format!(
                "the vaccination engine MMCACovid19Vac is not supported; Didymos runs the {ENGINE} engine only"
            )))
        }
        other => return Err(engine.error(format!("unknown engine `{other}`; the valid engine is `{ENGINE}`"))),
    }
    let start = sim.req("start_date")?.date()?;
    let end_field = sim.req("end_date")?;
    let end = end_field.date()?;
    let calendar = Calendar::new(start, end).ok_or_else(|| {
        end_field.error(format!("end date {end} is before the start date {start}"))
    })?;
    let seed_scale = sim
        .get("scale_seeds")
        .map(|f| f.positive())
        .transpose()?
        .unwrap_or(1.0);

    let data = root.section("data")?;
    data.check_keys(&DATA_KEYS)?;
    let seeds_field = data.req("initial_condition_filename")?;
    check_input_format(&sim, &seeds_field, warnings)?;
    let file = |f: Field| -> Result<PathBuf> {
        let name = f.str()?;
        if name.trim().is_empty() {
            return Err(f.error("empty file name"));
        }
        Ok(data_dir.join(name))
    };
    let files = DataFiles {
        metapopulation: file(data.req("metapopulation_data_filename")?)?,
        mobility: file(data.req("mobility_matrix_filename")?)?,
        seeds: file(seeds_field)?,
        normalise_mobility: opts.normalise_mobility,
        seed_scale,
    };
    let kappa0_file = data.get("kappa0_filename").map(file).transpose()?;

    let population = read_population(&root.section("population_params")?, Dialect::EpiSim)?;
    let epi_sec = root.section("epidemic_params")?;
    if let Some(v) = epi_sec.keys().find(|k| {
        VACCINATION_EPI_KEYS
            .iter()
            .any(|n| k.path == format!("epidemic_params.{n}"))
    }) {
        return Err(v.error(
            "this parameter belongs to EpiSim's vaccination engine MMCACovid19Vac, which Didymos does not run",
        ));
    }
    let (epi, beta_a) = read_epidemic(&epi_sec, Dialect::EpiSim, &population.strata)?;

    let npi_sec = root.section("NPI")?;
    let npi = read_npi(&npi_sec, kappa0_file, &calendar, warnings)?;
    Ok(Config {
        calendar,
        epi,
        beta_a,
        population,
        files,
        npi,
    })
}

/// EpiSim reads `initial_condition_filename` as NetCDF unless
/// `input_format` is "csv"; Didymos reads the CSV seeds only.
fn check_input_format(sim: &Section, seeds: &Field, warnings: &mut Vec<Warning>) -> Result<()> {
    match sim.get("input_format") {
        Some(f) => match f.str()? {
            "csv" => Ok(()),
            "netcdf" => Err(f.error(
                "NetCDF initial conditions are not supported; give a CSV seeds file and input_format = \"csv\"",
            )),
            other => Err(f.error(format!("unknown input format `{other}`; valid formats are `csv` and `netcdf`"))),
        },
        None => {
            warnings.push(Warning::new(
                seeds.at(),
                "no `simulation.input_format`: EpiSim would read this file as NetCDF; Didymos reads it as CSV seeds",
            ));
            Ok(())
        }
    }
}

/// The `NPI` section: with a κ₀ file only `ϕs[0]` and `δs[0]` matter;
/// otherwise `tᶜs`, `κ₀s`, `ϕs`, `δs` are parallel lists.
fn read_npi(
    sec: &Section,
    kappa0_file: Option<PathBuf>,
    calendar: &Calendar,
    warnings: &mut Vec<Warning>,
) -> Result<Npi> {
    sec.check_keys(&NPI_KEYS)?;
    if let Some(f) = sec.get("are_there_npi") {
        if !f.bool()? {
            warnings.push(Warning::new(
                f.at(),
                "are_there_npi = false is ignored by EpiSim's MMCACovid19 engine; the containments still apply",
            ));
        }
    }
    if let Some(file) = kappa0_file {
        let mut first = |key: &str| -> Result<f64> {
            let f = sec.req(key)?;
            let items = f.array()?;
            let Some(x) = items.first() else {
                return Err(f.error("expected at least one entry"));
            };
            if items.len() > 1 {
                warnings.push(Warning::new(
                    f.at(),
                    format!("with data.kappa0_filename only the first entry of `{key}` is used (as in EpiSim)"),
                ));
            }
            x.probability()
        };
        let phi = first("ϕs")?;
        let delta = first("δs")?;
        return Ok(Npi::Series { file, phi, delta });
    }

    let lists = ["tᶜs", "κ₀s", "ϕs", "δs"].map(|k| sec.req(k).and_then(|f| Ok((f.array()?, f))));
    let [days, kappa, phi, delta] = lists;
    let (days, kappa, phi, delta) = (days?, kappa?, phi?, delta?);
    let lens = [days.0.len(), kappa.0.len(), phi.0.len(), delta.0.len()];
    if lens.iter().any(|&n| n != lens[0]) {
        return Err(Error::input(
            Located::file(sec.file).field(sec.path.clone()),
            format!(
                "the lists tᶜs, κ₀s, ϕs, δs must have equal lengths; found tᶜs: {}, κ₀s: {}, ϕs: {}, δs: {}",
                lens[0], lens[1], lens[2], lens[3]
            ),
        ));
    }
    let mut entries = Vec::with_capacity(lens[0]);
    for (i, t) in days.0.iter().enumerate() {
        let day = t.int()?;
        let n = calendar.n_days();
        if day < 1 || day > n as i64 {
            return Err(t.error(format!(
                "tᶜ = {day} is a date outside the simulated range (days 1..={n}, {} … {})",
                calendar.start, calendar.end
            )));
        }
        let get = |list: &Vec<Field>| list.get(i).map_or(Ok(0.0), Field::probability);
        let containment = Containment {
            kappa0: get(&kappa.0)?,
            phi: get(&phi.0)?,
            delta: get(&delta.0)?,
        };
        entries.push(DatedContainment {
            day: day as usize,
            containment,
            at: t.at(),
        });
    }
    Ok(Npi::Lists(entries))
}

/// Convert an EpiSim config and data folder into the text of a native
/// twin spec (see [`crate::spec`]) named `name`, to be saved in
/// `spec_dir` (which must exist).
///
/// The data files are NOT copied: the spec references them by paths
/// relative to `spec_dir` (absolute when no relative path exists), so
/// moving the spec means moving the data with it or editing `[data]`.
/// The whole EpiSim input is loaded and validated first, so a spec is only
/// produced for inputs that load; loading the produced spec gives a setup
/// equal to [`load_episim`]'s. Returns the spec text and the warnings of
/// loading the EpiSim input.
pub fn episim_to_spec_toml(
    config_path: &Path,
    data_dir: &Path,
    opts: &EpisimOptions,
    spec_dir: &Path,
    name: &str,
) -> Result<(String, Vec<Warning>)> {
    let mut warnings = Vec::new();
    let cfg = parse_config(config_path, data_dir, opts, &mut warnings)?;
    assemble(&cfg, &mut warnings)?;
    let containment = match &cfg.npi {
        Npi::Series { file, phi, delta } => ContainmentDraft::Series {
            file: file.clone(),
            phi: *phi,
            delta: *delta,
        },
        Npi::Lists(entries) => ContainmentDraft::Events(
            entries
                .iter()
                .map(|e| (cfg.calendar.date_of(e.day), e.containment))
                .collect(),
        ),
    };
    let draft = SpecDraft {
        name,
        source: config_path,
        calendar: cfg.calendar,
        files: &cfg.files,
        population: &cfg.population,
        epi: &cfg.epi,
        beta_a: cfg.beta_a,
        containment,
    };
    Ok((render_spec(&draft, spec_dir)?, warnings))
}
