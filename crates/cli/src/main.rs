//! `didymos`: the command-line face of the Didymos digital twin engine.
#![forbid(unsafe_code)]

#[macro_use]
mod out;

mod backtest_report;
mod flood_backtest;
mod flood_cmds;
mod flood_scenario;
mod prov_cmd;
mod replay_spec;
mod report_cmd;
mod run;
mod scenario_bundle;
mod serve_cmd;
mod sim_cmd;
mod summary;
mod twin_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "didymos",
    version,
    about = "Digital twin engine: simulate, assimilate, forecast."
)]
struct Cli {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a twin: a native spec (twin.toml) or an EpiSim.jl config.
    Run(run::RunArgs),
    /// Run the bundled demo: Spain's 52 provinces, 2020-02-09 to 2020-05-31.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
    },
    /// Fit the twin to observations (particle filter or EAKF, as the spec says); save the posterior.
    Assimilate(twin_cmds::AssimilateArgs),
    /// Maximum-likelihood parameters by iterated filtering (IF2), e.g. --estimate beta_scale.
    Calibrate(twin_cmds::CalibrateArgs),
    /// Forecast from a saved posterior: quantiles in Forecast Hub CSV and Parquet.
    Forecast(twin_cmds::ForecastArgs),
    /// Rolling-origin forecasts scored against the data and a baseline (scores.csv and .parquet).
    Backtest(twin_cmds::BacktestArgs),
    /// What-if scenarios branched from the posterior, compared with the baseline.
    Scenario(twin_cmds::ScenarioArgs),
    /// One self-contained HTML report (and SVG figures) from a scenario run,
    /// a flood forecast or a backtest's folder.
    Report(report_cmd::ReportArgs),
    /// Convert an EpiSim.jl config and its data files into a native twin spec.
    ImportEpisim {
        /// EpiSim config JSON.
        config: PathBuf,
        /// Directory holding the config's data files.
        #[arg(long)]
        data_dir: PathBuf,
        /// Directory to write twin.toml (and its prov.json) into. The data
        /// files are not copied: twin.toml refers to them where they are,
        /// by paths relative to itself (absolute where there is none).
        #[arg(long)]
        out: PathBuf,
    },
    /// Inspect, export or push a run's provenance (prov.json).
    #[command(subcommand)]
    Prov(prov_cmd::ProvCommand),
    /// Re-run a recorded run after checking its inputs; compare outputs bit for bit.
    Rerun(prov_cmd::RerunArgs),
    /// Run the twin service: REST API, durable HTTP/MQTT ingest, live assimilation, forecasts, alerts.
    Serve(serve_cmd::ServeArgs),
    /// Check or back up the service's store (its SQLite file).
    #[command(subcommand)]
    Store(serve_cmd::StoreCommand),
    /// Synthetic observation streams from a twin (normal or critical conditions), with the truth.
    Simulate(sim_cmd::SimulateArgs),
    /// Replay an observation file to HTTP, MQTT or stdout, paced and rate-limited.
    Replay(sim_cmd::ReplayArgs),
}

const MAX_THREADS: usize = 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        // Each thread is started at once: a typo such as 100000 would spend
        // minutes creating threads before any work.
        if n > MAX_THREADS {
            eprintln!("error: --threads {n}: at most {MAX_THREADS}");
            return ExitCode::FAILURE;
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            eprintln!("error: cannot start {n} threads: {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Demo { out } => run::demo(&out),
        Command::Assimilate(a) => twin_cmds::assimilate(&a),
        Command::Calibrate(a) => twin_cmds::calibrate_cmd(&a),
        Command::Forecast(a) => twin_cmds::forecast_cmd(&a),
        Command::Backtest(a) => twin_cmds::backtest_cmd(&a),
        Command::Scenario(a) => twin_cmds::scenario_cmd(&a),
        Command::Report(a) => report_cmd::report_cmd(&a),
        Command::ImportEpisim {
            config,
            data_dir,
            out,
        } => run::import_episim(&config, &data_dir, &out),
        Command::Prov(c) => prov_cmd::prov_cmd(&c),
        Command::Rerun(a) => prov_cmd::rerun(&a, cli.threads),
        Command::Serve(a) => serve_cmd::serve(&a),
        Command::Store(c) => serve_cmd::store_cmd(&c),
        Command::Simulate(a) => sim_cmd::simulate_cmd(&a),
        Command::Replay(a) => sim_cmd::replay_cmd(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
