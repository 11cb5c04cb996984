//! `didymos run`, `didymos demo` and `didymos import-episim`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use didymos_core::{Calendar, Ensemble, Error, Model, Result, RunOptions};
use didymos_epi::episim::{load_episim, EpisimOptions};
use didymos_epi::mmca::{MmcaModel, MmcaSetup, COMPARTMENT_NAMES};
use didymos_epi::spec::load_spec;
use didymos_store::{Format, TidyWriter};
use indicatif::{ProgressBar, ProgressStyle};

use crate::prov_cmd;
use crate::summary::Summary;

#[derive(clap::Args)]
pub struct RunArgs {
    /// Native twin spec (twin.toml).
    #[arg(required_unless_present = "episim")]
    spec: Option<PathBuf>,
    /// Run an EpiSim.jl config JSON instead of a native spec.
    #[arg(long, conflicts_with = "spec", requires = "data_dir")]
    episim: Option<PathBuf>,
    /// Directory of the EpiSim config's data files.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// parquet (default) or csv.
    #[arg(long)]
    format: Option<Format>,
    /// Also write all 11 compartments for every day.
    #[arg(long)]
    compartments: bool,
    /// Ensemble members (parameters drawn from the spec's priors).
    #[arg(long)]
    members: Option<usize>,
    /// Seed for the members' random streams.
    #[arg(long)]
    seed: Option<u64>,
    /// Rescale mobility rows that do not sum to 1 (with a warning) instead of failing.
    #[arg(long)]
    normalise_mobility: bool,
    /// No progress bar or summary table.
    #[arg(long)]
    quiet: bool,
}

/// What a run needs, whichever input format it came from.
struct Job {
    name: String,
    setup: MmcaSetup,
    priors: Vec<(String, didymos_core::Prior, didymos_core::Located)>,
    members: usize,
    seed: u64,
    format: Format,
    compartments: bool,
    /// Files read, with their provenance role ("spec", "config", "input").
    inputs: Vec<(&'static str, PathBuf)>,
}

fn load_job(args: &RunArgs) -> Result<Job> {
    if let Some(config) = &args.episim {
        let data_dir = args.data_dir.clone().unwrap_or_else(|| PathBuf::from("."));
        let (setup, warnings) = load_episim(
            config,
            &data_dir,
            &EpisimOptions {
                normalise_mobility: args.normalise_mobility,
            },
        )?;
        report_warnings(&warnings);
        let mut inputs = vec![("config", config.clone())];
        inputs.extend(
            prov_cmd::episim_data_files(config, &data_dir)?
                .into_iter()
                .map(|p| ("input", p)),
        );
        return Ok(Job {
            inputs,
            name: config
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            setup,
            priors: Vec::new(),
            members: args.members.unwrap_or(1),
            seed: args.seed.unwrap_or(1),
            format: args.format.unwrap_or(Format::Parquet),
            compartments: args.compartments,
        });
    }
    let spec_path = args
        .spec
        .as_deref()
        .ok_or_else(|| Error::Other("give a twin spec or --episim".into()))?;
    let (spec, warnings) = load_spec(spec_path)?;
    report_warnings(&warnings);
    let format = match args.format {
        Some(f) => f,
        None => spec
            .output_format
            .parse()
            .map_err(|e| Error::Other(format!("{}: output.format: {e}", spec_path.display())))?,
    };
    let mut inputs = vec![("spec", spec_path.to_path_buf())];
    inputs.extend(spec.inputs.iter().map(|p| ("input", p.clone())));
    Ok(Job {
        inputs,
        name: spec.name,
        setup: spec.setup,
        priors: spec.priors,
        members: args.members.unwrap_or(spec.members),
        seed: args.seed.unwrap_or(spec.seed),
        format,
        compartments: args.compartments || spec.write_compartments,
    })
}

fn report_warnings<W: std::fmt::Display>(warnings: &[W]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

pub fn run(args: &RunArgs) -> Result<()> {
    if let Some(spec) = args
        .spec
        .as_deref()
        .filter(|s| crate::flood_cmds::is_flood_spec(s))
    {
        return crate::flood_cmds::run(spec, &args.out);
    }
    run_as(args, "run")
}

/// Runs `args` and records its provenance as a run of `command`.
fn run_as(args: &RunArgs, command: &str) -> Result<()> {
    let mut prov = prov_cmd::start(command);
    let mut job = load_job(args)?;
    for (role, path) in std::mem::take(&mut job.inputs) {
        prov_cmd::used(&mut prov, role, &path)?;
    }
    for (role, path) in execute(job, &args.out, args.quiet)? {
        prov_cmd::generated(&mut prov, role, &path)?;
    }
    prov_cmd::finish(prov, &args.out, args.quiet)
}

/// Runs the job and returns the files written, with their provenance roles.
fn execute(job: Job, out: &Path, quiet: bool) -> Result<Vec<(&'static str, PathBuf)>> {
    let started = Instant::now();
    let mut model = MmcaModel::new(job.setup)?;
    for (name, prior, at) in &job.priors {
        model.parameters_mut().set_prior(name, prior.clone(), at)?;
    }
    if job.members == 0 {
        return Err(Error::Other("members must be at least 1".into()));
    }
    if job.members > 1 && job.priors.is_empty() {
        // The model run here is deterministic: without priors every member
        // is the same run, and the quantiles would claim a certainty that
        // nothing was asked to vary.
        report_warnings(&[format!(
            "no [priors] to draw from: all {} members are the same run, so every quantile is the \
             same value; give the spec a [priors] section (data/spain/twin-2020.toml has one)",
            job.members
        )]);
    }
    let mut ens = if job.members == 1 {
        Ensemble::with_params(&model, vec![model.parameters().values()], job.seed)?
    } else {
        Ensemble::from_priors(&model, job.members, job.seed)?
    };
    let cal = *model.calendar();
    let ext = job.format.extension();
    let mut obs_out = TidyWriter::create(&out.join(format!("observables.{ext}")), job.format)?;
    let mut comp_out = match job.compartments {
        true => Some(TidyWriter::create(
            &out.join(format!("compartments.{ext}")),
            job.format,
        )?),
        false => None,
    };
    let mut summary = Summary::new(&model, cal);

    let bar = progress_bar(cal.n_days() as u64, quiet);
    let opts = RunOptions::default();
    write_day(
        &model,
        &ens,
        cal,
        &mut obs_out,
        comp_out.as_mut(),
        &mut summary,
    )?;
    while ens.day() < cal.n_days() {
        ens.step(&opts);
        bar.inc(1);
        write_day(
            &model,
            &ens,
            cal,
            &mut obs_out,
            comp_out.as_mut(),
            &mut summary,
        )?;
    }
    bar.finish_and_clear();

    let mut written = vec![("output", obs_out.finish()?)];
    if let Some(w) = comp_out {
        written.push(("output", w.finish()?));
    }
    let summary_path = out.join("summary.json");
    summary.write_json(&summary_path, &job.name, job.members, job.seed)?;
    written.push(("summary", summary_path));
    if !quiet {
        summary.print(&job.name, job.members, started.elapsed());
        for (_, p) in &written {
            outln!("wrote {}", p.display());
        }
    }
    Ok(written)
}

pub(crate) fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} day {pos}/{len} [{bar:40}] {elapsed_precise} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Quantiles written per cell when the run has more than one member.
const ENSEMBLE_SUMMARY: [(&str, f64); 3] = [("q05", 0.05), ("q50", 0.5), ("q95", 0.95)];

/// Write one day's observables (and compartments) and check the day's
/// states before anything is written: a NaN or a population leak is a bug,
/// never an output.
fn write_day(
    model: &MmcaModel,
    ens: &Ensemble<'_, MmcaModel>,
    cal: Calendar,
    obs_out: &mut TidyWriter,
    comp_out: Option<&mut TidyWriter>,
    summary: &mut Summary,
) -> Result<()> {
    let day = ens.day();
    let date = cal.date_of(day);
    let layout = model.layout();
    let total_pop: f64 = model.network().pop.iter().sum();
    for m in 0..ens.len() {
        let total = model.conserved_total(ens.state(m)).unwrap_or(total_pop);
        let leak = (total - total_pop).abs();
        // Written so that a NaN total also fails.
        if leak.is_nan() || leak > 1e-9 * total_pop.max(1.0) {
            return Err(Error::Numerical(format!(
                "member {m} on {date}: population {total} differs from {total_pop}"
            )));
        }
    }
    let names = model.observables();
    let k_n = names.len();
    let mut values = vec![0.0; ens.len()];
    for (u, patch) in layout.units.iter().enumerate() {
        for (g, stratum) in layout.strata.iter().enumerate() {
            for (k, obs) in names.iter().enumerate() {
                let at = (u * layout.strata.len() + g) * k_n + k;
                for (m, v) in values.iter_mut().enumerate() {
                    *v = ens.observation(m)[at];
                }
                summary.add(day, k, values.iter().sum::<f64>() / values.len() as f64);
                if values.len() == 1 {
                    obs_out.push(date, patch, stratum, &obs.name, values[0])?;
                } else {
                    values.sort_by(f64::total_cmp);
                    for (suffix, q) in ENSEMBLE_SUMMARY {
                        obs_out.push(
                            date,
                            patch,
                            stratum,
                            &format!("{}_{suffix}", obs.name),
                            quantile_sorted(&values, q),
                        )?;
                    }
                }
            }
        }
    }
    if let Some(w) = comp_out {
        let pop = &model.network().pop;
        let state = ens.state(0);
        for (u, patch) in layout.units.iter().enumerate() {
            for (g, stratum) in layout.strata.iter().enumerate() {
                let n = pop[u * layout.strata.len() + g];
                for (c, name) in COMPARTMENT_NAMES.iter().enumerate() {
                    w.push(date, patch, stratum, name, state[layout.index(u, g, c)] * n)?;
                }
            }
        }
    }
    Ok(())
}

/// Linear interpolation between order statistics (type 7, numpy's default).
fn quantile_sorted(xs: &[f64], q: f64) -> f64 {
    let h = (xs.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
}

/// The bundled demo spec: `data/spain/twin.toml` under the current
/// directory, else in the source tree this binary was built from.
fn demo_spec() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from("data/spain/twin.toml"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain/twin.toml"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            Error::Other(
                "bundled demo data not found: run from the repository root (data/spain/twin.toml)"
                    .into(),
            )
        })
}

pub fn demo(out: &Path) -> Result<()> {
    let spec = demo_spec()?;
    outln!(
        "Didymos demo: MMCA twin of Spain's 52 provinces ({})",
        spec.display()
    );
    let args = RunArgs {
        spec: Some(spec.clone()),
        episim: None,
        data_dir: None,
        out: out.to_path_buf(),
        format: None,
        compartments: false,
        members: None,
        seed: None,
        normalise_mobility: false,
        quiet: false,
    };
    run_as(&args, "demo")?;
    let data = spec.parent().unwrap_or(Path::new("."));
    demo_twin_steps(data, out)
}

/// The rest of the demo, on the 2020 twin with data: assimilate up to a
/// cut-off, forecast, branch three what-if scenarios and write the report.
/// Each step runs as its own `didymos` process, so each has its own
/// provenance record and can be re-run alone with `didymos rerun`.
fn demo_twin_steps(data: &Path, out: &Path) -> Result<()> {
    let twin = data.join("twin-2020.toml");
    let p = |x: &Path| x.to_string_lossy().into_owned();
    let (assim, fc, sc, rep) = (
        out.join("assimilate"),
        out.join("forecast"),
        out.join("scenarios"),
        out.join("report"),
    );
    let ck = assim.join("checkpoint.bin");
    let steps: [(&str, Vec<String>); 4] = [
        (
            "keep the 2020 twin in step with hospital admissions up to 2020-10-15",
            vec![
                "assimilate".into(),
                p(&twin),
                "--until".into(),
                "2020-10-15".into(),
                "--out".into(),
                p(&assim),
            ],
        ),
        (
            "forecast the next four weeks",
            vec![
                "forecast".into(),
                "--checkpoint".into(),
                p(&ck),
                "--horizon".into(),
                "28".into(),
                "--out".into(),
                p(&fc),
            ],
        ),
        (
            "what if: three scenarios from the same posterior",
            vec![
                "scenario".into(),
                p(&twin),
                "--scenarios".into(),
                p(&data.join("scenarios-2020.toml")),
                "--from-checkpoint".into(),
                p(&ck),
                "--out".into(),
                p(&sc),
            ],
        ),
        (
            "the report",
            vec![
                "report".into(),
                p(&sc),
                "--geojson".into(),
                p(&data.join("spain_provinces.geojson")),
                "--geojson-id".into(),
                "cod_prov".into(),
                "--geojson-name".into(),
                "name".into(),
                "--out".into(),
                p(&rep.join("report.html")),
            ],
        ),
    ];
    let exe = std::env::current_exe().map_err(|e| Error::Other(format!("current exe: {e}")))?;
    for (what, argv) in steps {
        outln!("\n== {what}: didymos {}", argv.join(" "));
        let status = std::process::Command::new(&exe)
            .args(&argv)
            .status()
            .map_err(|e| Error::Other(format!("{}: {e}", exe.display())))?;
        if !status.success() {
            return Err(Error::Other(format!("demo step `{}` failed", argv[0])));
        }
    }
    outln!(
        "\nDemo done. Open {} in a browser.",
        rep.join("report.html").display()
    );
    Ok(())
}

/// Writes `OUT/twin.toml`, referring to the EpiSim data files where they are.
pub fn import_episim(config: &Path, data_dir: &Path, out: &Path) -> Result<()> {
    let mut prov = prov_cmd::start("import-episim");
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let name = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "twin".into());
    let (text, warnings) = didymos_epi::episim::episim_to_spec_toml(
        config,
        data_dir,
        &EpisimOptions::default(),
        out,
        &name,
    )?;
    report_warnings(&warnings);
    prov_cmd::used_episim(&mut prov, config, data_dir)?;
    let path = out.join("twin.toml");
    didymos_core::fs::write_atomic(&path, text.as_bytes())?;
    outln!("wrote {}", path.display());
    prov_cmd::generated(&mut prov, "spec", &path)?;
    prov_cmd::finish(prov, out, false)
}
