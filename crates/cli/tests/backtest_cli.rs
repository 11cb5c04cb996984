//! `didymos backtest` on the bundled 2020 Spain twin with two streams:
//! each stream gets its own summary, since WIS is on each stream's scale.

use std::path::{Path, PathBuf};
use std::process::Command;

fn spain() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain")
}

#[test]
fn two_streams_are_summarised_separately_and_scored_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
        "spain_provinces_covid19_daily_by_age_2020.csv",
    ] {
        std::fs::copy(spain().join(f), dir.path().join(f)).unwrap();
    }
    let deaths = "\n[[assimilation.stream]]\ncolumn = \"new_deaths\"\n\
                  observable = \"new_deaths\"\ndispersion = 10.0\n\
                  delay_mean = 3.0\ndelay_sd = 2.0\ndelay_max = 14\n";
    let text = std::fs::read_to_string(spain().join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-06-30\"")
        .replace("delay_max = 14\n", &format!("delay_max = 14\n{deaths}"));
    let spec = dir.path().join("twin.toml");
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("bt");
    let run = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(["backtest", spec.to_str().unwrap(), "--from", "2020-05-01"])
        .args(["--to", "2020-05-08", "--horizon", "14", "--members", "20"])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for block in [
        "new_hospitalized locations:",
        "new_hospitalized total:",
        "new_deaths locations:",
        "new_deaths total:",
    ] {
        assert!(stdout.contains(block), "no {block:?} in\n{stdout}");
    }
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    for stream in ["new_hospitalized", "new_deaths"] {
        assert!(
            scores.lines().any(|l| l.split(',').nth(1) == Some(stream)),
            "no {stream} rows in scores.csv"
        );
    }
}
