//! `didymos assimilate` with the particle filter on the bundled 2020 twin,
//! with one reporting error planted in the data: the day the weights fall
//! on one member is flagged, naming the stream, location and value.

use std::process::Command;

mod common;
use common::{spain_inputs, spain_inputs_with_observations, with_key};

#[test]
fn a_planted_reporting_error_is_named_where_the_weights_collapse() {
    let (dir, spain) = spain_inputs();
    // Soria (42) reports 5,000 admissions of middle-aged people on one day.
    let obs = std::fs::read_to_string(spain.join("spain_provinces_covid19_daily_by_age_2020.csv"))
        .unwrap();
    let planted: String = obs
        .lines()
        .map(|l| {
            if l.starts_with("2020-03-20,42,M,") {
                let mut f: Vec<&str> = l.split(',').collect();
                f[4] = "5000";
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("obs.csv"), planted).unwrap();
    let text = std::fs::read_to_string(spain.join("twin-2020.toml")).unwrap();
    let text = with_key(&text, "filter", "\"pf\"")
        .replace("end = \"2020-12-31\"", "end = \"2020-04-15\"")
        .replace(
            "observations = \"spain_provinces_covid19_daily_by_age_2020.csv\"",
            "observations = \"obs.csv\"",
        );
    let spec = dir.path().join("twin.toml");
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("a");
    let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args([
            "assimilate",
            spec.to_str().unwrap(),
            "--until",
            "2020-03-25",
        ])
        .args(["--members", "100", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: the particle filter's weights fell on a single member"),
        "{stderr}"
    );
    let trace = std::fs::read_to_string(out.join("filter.csv")).unwrap();
    assert!(trace.lines().next().unwrap().ends_with(",degenerate_by"));
    let day = trace
        .lines()
        .find(|l| l.starts_with("2020-03-20,"))
        .expect("a row for the planted day");
    assert!(
        day.contains("stream `new_hospitalized`, location `42`: observed"),
        "{day}"
    );
}

/// `log-likelihood X; lowest … ESS Y` from `didymos assimilate`'s output.
fn log_lik_of(stdout: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("log-likelihood "))
        .unwrap_or_else(|| panic!("no log-likelihood in {stdout}"));
    line["log-likelihood ".len()..]
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_block_filter_follows_52_provinces_where_whole_members_cannot() {
    // Same twin, data and members; provincial walks fast enough for a
    // particle filter to follow (sd 0.03 a day, not pooled). Whole members
    // must match all 52 provinces at once and fall far behind; blocks
    // (one per province) are each selected by their own admissions.
    let (dir, spain) = spain_inputs_with_observations();
    let mut base = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-06-30\"");
    for (key, value) in [
        ("log_beta_patch_sd", "0.03"),
        ("log_beta_pooling", "0.0"),
        ("log_beta_sd", "0.03"),
    ] {
        base = with_key(&base, key, value);
    }
    // `name`: the run's spec and output; `infected_sd`: log_infected_sd.
    let run = |name: &str, filter: &str, infected_sd: &str, extra: &[(&str, &str)]| {
        let spec = dir.path().join(format!("{name}.toml"));
        let mut text = with_key(&base, "filter", &format!("\"{filter}\""));
        text = with_key(&text, "log_infected_sd", infected_sd);
        for (key, value) in extra {
            text = with_key(&text, key, value);
        }
        std::fs::write(&spec, text).unwrap();
        let out = dir.path().join(name);
        let r = Command::new(env!("CARGO_BIN_EXE_didymos"))
            .args([
                "assimilate",
                spec.to_str().unwrap(),
                "--until",
                "2020-06-01",
            ])
            .args(["--members", "100", "--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&r.stdout).to_string();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        (stdout, out)
    };
    let (whole, _) = run("pf", "pf", "0.0", &[]);
    let (block, out) = run("block-pf", "block-pf", "0.0", &[]);
    // Noise on each province's level lets selection correct it too.
    let (level, _) = run("level", "block-pf", "0.15", &[]);
    assert!(block.contains("block-pf filter, 100 members"), "{block}");
    assert!(block.contains("lowest block ESS"), "{block}");
    let (lw, lb) = (log_lik_of(&whole), log_lik_of(&block));
    // Measured: about −51,600 (whole) against −14,300 (blocks).
    assert!(lb > lw + 0.5 * lw.abs(), "block {lb:.0} vs whole {lw:.0}");
    // Measured: about −13,200.
    let ll = log_lik_of(&level);
    assert!(
        ll > lb + 300.0,
        "with level noise {ll:.0} vs without {lb:.0}"
    );
    // Weekday factors estimated from the data are reported, as a forecast
    // from the last day would use them: the weekend dip is found.
    let estimate = [("weekday_effect", "\"estimate\"")];
    let (estimated, _) = run("estimated", "block-pf", "0.15", &estimate);
    let line = estimated
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "weekday factors of `new_hospitalized` estimated to 2020-06-01 \
                 (Sunday to Saturday): ",
            )
        })
        .unwrap_or_else(|| panic!("{estimated}"));
    let f: Vec<f64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
    assert_eq!(f.len(), 7, "{line}");
    assert!(
        f[0] < 0.9 && f[6] < 0.95 && f[1..6].iter().all(|x| *x > 1.0),
        "{line}"
    );
    // The checkpoint resumes as a block filter: the live loop assimilates
    // four more days, then forecasts.
    let fc = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args([
            "forecast",
            "--checkpoint",
            out.join("checkpoint.bin").to_str().unwrap(),
        ])
        .args(["--until", "2020-06-05", "--horizon", "14", "--ensemble"])
        .args(["--out", dir.path().join("fc").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        fc.status.success(),
        "{}",
        String::from_utf8_lossy(&fc.stderr)
    );
    // The ensemble file: Hub CSV, the Hub's epiweeks within the 14 days (a
    // Friday origin: only the one ending Saturday 2020-06-13) for the 52
    // provinces and the total, 23 quantiles and a point each; non-negative
    // values.
    let ens = std::fs::read_to_string(dir.path().join("fc/2020-06-05-didymos-ensemble.csv"))
        .expect("ensemble csv");
    let mut lines = ens.lines();
    assert_eq!(
        lines.next(),
        Some("forecast_date,target,target_end_date,location,type,quantile,value")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 53 * 24);
    assert!(rows.iter().all(|r| r[6].parse::<f64>().unwrap() >= 0.0));
    assert!(rows
        .iter()
        .all(|r| r[1] == "1 wk ahead inc new_hospitalized" && r[2] == "2020-06-13"));
    // Both files read back as valid Hub files (end dates by the Hub's rule,
    // no duplicates, quantiles in order).
    for f in ["ensemble", "mmca"] {
        let path = dir.path().join(format!("fc/2020-06-05-didymos-{f}.csv"));
        didymos_forecast::read_hub_csv(&path).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    // The twin's own Hub file dates its weekly rows the same way.
    let own = std::fs::read_to_string(dir.path().join("fc/2020-06-05-didymos-mmca.csv")).unwrap();
    let weekly: Vec<&str> = own.lines().filter(|l| l.contains(" wk ahead ")).collect();
    assert_eq!(weekly.len(), 53 * 24);
    assert!(weekly
        .iter()
        .all(|l| l.contains(",1 wk ahead inc new_hospitalized,2020-06-13,")));
    assert!(
        String::from_utf8_lossy(&fc.stdout).contains("ensemble with the statistical companions")
    );
    // From Monday 2020-06-01 (the checkpoint's day) the epiweek under way
    // ends on Saturday 06-06, 5 days on: 4 days reach no epiweek.
    let short = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["forecast", "--checkpoint"])
        .arg(out.join("checkpoint.bin"))
        .args(["--horizon", "4", "--ensemble", "--out"])
        .arg(dir.path().join("fc3"))
        .output()
        .unwrap();
    assert!(!short.status.success());
    let why = String::from_utf8_lossy(&short.stderr);
    assert!(
        why.contains("ends on 2020-06-06, 5 days on: give --horizon 5 or more (got 4)"),
        "{why}"
    );
    // Without --ensemble the same 4 days are a daily forecast: a line
    // says why there is no weekly table, rather than a header alone.
    let short = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["forecast", "--checkpoint"])
        .arg(out.join("checkpoint.bin"))
        .args(["--horizon", "4", "--out"])
        .arg(dir.path().join("fc4"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&short.stdout);
    assert!(short.status.success(), "{said}");
    assert!(
        said.contains(
            "no weekly totals, no epiweek ends within the 4-day horizon (the first ends on \
             2020-06-06, 5 days on)"
        ) && !said.contains("by the Hub's epiweeks"),
        "{said}"
    );
    // A flood spec for an epidemic checkpoint: the kinds differ.
    let flood = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["forecast", "--checkpoint"])
        .arg(out.join("checkpoint.bin"))
        .args(["--spec"])
        .arg(common::repo().join("data/flood/twin.toml"))
        .args(["--out"])
        .arg(dir.path().join("fc5"))
        .output()
        .unwrap();
    let why = String::from_utf8_lossy(&flood.stderr);
    assert!(
        !flood.status.success()
            && why.contains("is a flood twin spec, but the checkpoint")
            && why.contains("is an epidemic twin's"),
        "{why}"
    );
    // Resuming it under a spec that asks for whole-member particles is
    // refused, not silently switched.
    let other = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args([
            "forecast",
            "--checkpoint",
            out.join("checkpoint.bin").to_str().unwrap(),
        ])
        .args(["--spec", dir.path().join("pf.toml").to_str().unwrap()])
        .args(["--out", dir.path().join("fc2").to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success());
    assert!(
        stderr.contains("written by the `block-pf` filter but the spec asks for `pf`"),
        "{stderr}"
    );
}
