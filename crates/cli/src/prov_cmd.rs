//! Provenance: the recorder helpers used by every output-producing command,
//! `didymos prov show|export|push` and `didymos rerun`.

use std::path::{Path, PathBuf};

use didymos_core::{Error, Result};
use didymos_prov::Recorder;

/// Converts a provenance error into the CLI's error type.
pub fn pe(e: didymos_prov::Error) -> Error {
    Error::Other(format!("provenance: {e}"))
}

/// Starts recording a run of `command` invoked with this process's argv.
pub fn start(command: &str) -> Recorder {
    Recorder::start(
        command,
        std::env::args().collect(),
        didymos_prov::build_info!(),
    )
}

/// Records an input file.
pub fn used(prov: &mut Recorder, role: &str, path: &Path) -> Result<()> {
    prov.used(role, path).map_err(pe)
}

/// Records a finished output file.
pub fn generated(prov: &mut Recorder, role: &str, path: &Path) -> Result<()> {
    prov.generated(role, path).map_err(pe)
}

/// Records every data file a native spec read (its `inputs` list).
pub fn used_spec(prov: &mut Recorder, spec: &Path, inputs: &[PathBuf]) -> Result<()> {
    used(prov, "spec", spec)?;
    for p in inputs {
        used(prov, "input", p)?;
    }
    Ok(())
}

/// The data files an EpiSim config names in its `data` section, resolved
/// against `data_dir` as the EpiSim loader does.
pub fn episim_data_files(config: &Path, data_dir: &Path) -> Result<Vec<PathBuf>> {
    let text = didymos_core::fs::read_text(config, didymos_core::fs::SPEC_MAX_BYTES)?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Other(format!("{}: {e}", config.display())))?;
    let data = &json["data"];
    let keys = [
        "metapopulation_data_filename",
        "mobility_matrix_filename",
        "initial_condition_filename",
        "kappa0_filename",
    ];
    Ok(keys
        .iter()
        .filter_map(|k| data[*k].as_str())
        .filter(|name| !name.trim().is_empty())
        .map(|name| data_dir.join(name))
        .filter(|p| p.is_file())
        .collect())
}

/// Records an EpiSim config and the data files it names.
pub fn used_episim(prov: &mut Recorder, config: &Path, data_dir: &Path) -> Result<()> {
    used(prov, "config", config)?;
    for p in episim_data_files(config, data_dir)? {
        used(prov, "input", &p)?;
    }
    Ok(())
}

/// Writes `out/prov.json` and says so.
pub fn finish(prov: Recorder, out: &Path, quiet: bool) -> Result<()> {
    let doc = prov.finish(out).map_err(pe)?;
    if !quiet {
        outln!("wrote {}", doc.display());
    }
    Ok(())
}

#[derive(clap::Subcommand)]
pub enum ProvCommand {
    /// Print a run's provenance as a tree (inputs, outputs, earlier runs).
    Show {
        /// A run's output directory or its prov.json.
        run: PathBuf,
    },
    /// Export a run's provenance document.
    Export {
        /// A run's output directory or its prov.json.
        run: PathBuf,
        /// prov-json (default) or dot (Graphviz).
        #[arg(long, default_value = "prov-json", value_parser = ["prov-json", "dot"])]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Send a run's prov.json to a provenance store over HTTP.
    Push {
        /// A run's output directory or its prov.json.
        run: PathBuf,
        /// Target URL (http://…).
        #[arg(long)]
        url: String,
        /// Bearer token.
        #[arg(long)]
        token: Option<String>,
    },
}

pub fn prov_cmd(cmd: &ProvCommand) -> Result<()> {
    match cmd {
        ProvCommand::Show { run } => {
            let rec = didymos_prov::load(run).map_err(pe)?;
            out!("{}", didymos_prov::show_tree(&rec));
            Ok(())
        }
        ProvCommand::Export { run, format, out } => {
            let rec = didymos_prov::load(run).map_err(pe)?;
            let text = match format.as_str() {
                "dot" => didymos_prov::to_dot(&rec),
                _ => {
                    let mut t = serde_json::to_string_pretty(&rec.json)
                        .map_err(|e| Error::Other(e.to_string()))?;
                    t.push('\n');
                    t
                }
            };
            match out {
                Some(path) => {
                    std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
                    outln!("wrote {}", path.display());
                }
                None => out!("{text}"),
            }
            Ok(())
        }
        ProvCommand::Push { run, url, token } => {
            let rec = didymos_prov::load(run).map_err(pe)?;
            let body =
                std::fs::read_to_string(&rec.document).map_err(|e| Error::io(&rec.document, e))?;
            didymos_prov::push_with_token(url, rec.run_id(), &body, token.as_deref())
                .map_err(pe)?;
            outln!("pushed {} to {url}", rec.activity_id);
            Ok(())
        }
    }
}

#[derive(clap::Args)]
pub struct RerunArgs {
    /// A run's output directory or its prov.json.
    run: PathBuf,
    /// Output directory for the re-run (default: a fresh sibling of the
    /// original, `<out>.rerun`, `<out>.rerun-2`, …).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `argv` with any `--threads N` / `--threads=N` removed and, when
/// `threads` is given, `--threads N` put right after the program name.
/// The commands that write a provenance record of their outputs, and so
/// the only ones `rerun` repeats.
const RERUNNABLE: [&str; 10] = [
    "run",
    "demo",
    "assimilate",
    "calibrate",
    "forecast",
    "backtest",
    "scenario",
    "report",
    "simulate",
    "import-episim",
];

/// The subcommand of a recorded argv: its first word after the program
/// that is not a global option (`--threads N`).
fn subcommand(argv: &[String]) -> Option<&str> {
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--threads" {
            it.next();
        } else if !a.starts_with("--threads=") {
            return Some(a);
        }
    }
    None
}

fn with_threads(argv: Vec<String>, threads: Option<usize>) -> Vec<String> {
    let Some(n) = threads else { return argv };
    let mut out = Vec::with_capacity(argv.len() + 2);
    let mut it = argv.into_iter();
    if let Some(prog) = it.next() {
        out.push(prog);
    }
    out.push("--threads".into());
    out.push(n.to_string());
    while let Some(a) = it.next() {
        if a == "--threads" {
            it.next();
        } else if !a.starts_with("--threads=") {
            out.push(a);
        }
    }
    out
}

fn absolute(p: &Path) -> Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    Ok(cwd.join(p))
}

/// `didymos rerun`: check the recorded inputs, run the recorded command
/// again into a new directory and compare the outputs bit for bit.
pub fn rerun(args: &RerunArgs, threads: Option<usize>) -> Result<()> {
    let rec = didymos_prov::load(&args.run).map_err(pe)?;
    let mismatches = didymos_prov::verify_inputs(&rec).map_err(pe)?;
    if !mismatches.is_empty() {
        for m in &mismatches {
            eprintln!("input changed: {m}");
        }
        return Err(Error::Other(format!(
            "{} input file(s) differ from the record; not re-running",
            mismatches.len()
        )));
    }
    let orig_out = rec
        .document
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let new_out = match &args.out {
        Some(p) => absolute(p)?,
        None => {
            let base = absolute(&orig_out)?;
            let name = base
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into());
            let mut n = 1;
            loop {
                let suffix = if n == 1 {
                    ".rerun".to_string()
                } else {
                    format!(".rerun-{n}")
                };
                let cand = base.with_file_name(format!("{name}{suffix}"));
                if !cand.exists() {
                    break cand;
                }
                n += 1;
            }
        }
    };
    if absolute(&orig_out)? == new_out {
        return Err(Error::Other(
            "the re-run's --out must differ from the original output directory".into(),
        ));
    }
    let sub = subcommand(&rec.argv).unwrap_or("");
    if !RERUNNABLE.contains(&sub) {
        // A record is a file anyone can edit: `rerun` must not become a way
        // to start a service, replay data to a remote host or re-run itself.
        return Err(Error::Other(format!(
            "{}: the record's command is `didymos {sub}`, which `rerun` does not repeat; it \
             re-runs {}",
            rec.document.display(),
            RERUNNABLE.join(", ")
        )));
    }
    let argv = with_threads(didymos_prov::rerun_argv(&rec, &new_out), threads);
    let exe = std::env::current_exe().map_err(|e| Error::Other(format!("current exe: {e}")))?;
    let mut cmd = std::process::Command::new(&exe);
    cmd.args(argv.iter().skip(1));
    if let Some(cwd) = &rec.cwd {
        cmd.current_dir(cwd);
    }
    outln!("re-running {}: {}", rec.activity_id, argv.join(" "));
    let status = cmd
        .status()
        .map_err(|e| Error::Other(format!("{}: {e}", exe.display())))?;
    if !status.success() {
        return Err(Error::Other(format!("the re-run failed ({status})")));
    }
    let diffs = didymos_prov::compare_outputs(&rec, &new_out).map_err(pe)?;
    if diffs.is_empty() {
        outln!("bit-identical: {} outputs", rec.outputs.len());
        return Ok(());
    }
    for d in &diffs {
        eprintln!("output differs: {d}");
    }
    Err(Error::Other(format!(
        "{} of {} outputs differ from the original run",
        diffs.len(),
        rec.outputs.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::with_threads;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_subcommand_skips_global_options() {
        use super::subcommand;
        assert_eq!(
            subcommand(&v(&["didymos", "--threads", "2", "run", "x"])),
            Some("run")
        );
        assert_eq!(
            subcommand(&v(&["didymos", "--threads=2", "serve"])),
            Some("serve")
        );
        assert_eq!(subcommand(&v(&["didymos", "--threads", "2"])), None);
    }

    #[test]
    fn threads_are_replaced() {
        let argv = v(&["didymos", "--threads", "1", "run", "x", "--threads=3"]);
        assert_eq!(
            with_threads(argv.clone(), Some(2)),
            v(&["didymos", "--threads", "2", "run", "x"])
        );
        assert_eq!(with_threads(argv.clone(), None), argv);
    }
}
