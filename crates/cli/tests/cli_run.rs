//! End-to-end tests of the `didymos` binary on the bundled Spain data.

use std::path::{Path, PathBuf};
use std::process::Command;

use didymos_store::read_tidy;

fn didymos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_didymos"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spain_spec() -> PathBuf {
    repo().join("data/spain/twin.toml")
}

fn run_ok(args: &[&str]) -> String {
    let out = didymos().args(args).output().expect("start didymos");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "didymos {args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_writes_observables_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let stdout = run_ok(&["demo", "--out", out.to_str().unwrap()]);
    assert!(stdout.contains("new_hospitalized"), "{stdout}");
    assert!(stdout.contains("peak date"), "{stdout}");
    // The rest of the demo: assimilation, forecast, scenarios and report.
    assert!(stdout.contains("Demo done"), "{stdout}");
    for f in [
        "assimilate/checkpoint.bin",
        "forecast/prov.json",
        "scenarios/scenario_differences.csv",
        "report/report.html",
        "report/prov.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let rows = read_tidy(&out.join("observables.parquet")).unwrap();
    // 113 days × 52 provinces × 3 strata × 4 observables.
    assert_eq!(rows.len(), 113 * 52 * 3 * 4);
    assert_eq!(rows[0].date.to_string(), "2020-02-09");
    assert_eq!(rows.last().unwrap().date.to_string(), "2020-05-31");
    assert!(
        rows.iter().any(|r| r.patch == "28"),
        "Madrid's INE id is kept"
    );
    assert!(rows.iter().all(|r| r.value.is_finite() && r.value >= -1e-6));
    let total_h: f64 = rows
        .iter()
        .filter(|r| r.variable == "new_hospitalized")
        .map(|r| r.value)
        .sum();
    assert!(total_h > 1000.0, "an epidemic happens: {total_h}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let t = summary["observables"]["new_hospitalized"]["total"]
        .as_f64()
        .unwrap();
    assert!(
        (t - total_h).abs() <= 1e-6 * total_h,
        "summary {t} vs rows {total_h}"
    );
}

#[test]
fn csv_and_parquet_hold_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spain_spec();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_ok(&[
        "run",
        spec.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "--quiet",
        "--compartments",
    ]);
    run_ok(&[
        "run",
        spec.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
        "--quiet",
        "--format",
        "csv",
    ]);
    let pq = read_tidy(&a.join("observables.parquet")).unwrap();
    let csv = read_tidy(&b.join("observables.csv")).unwrap();
    assert_eq!(pq, csv);
    // Compartments are in persons and add up to each stratum's population.
    let comp = read_tidy(&a.join("compartments.parquet")).unwrap();
    assert_eq!(comp.len(), 113 * 52 * 3 * 11);
    let day1_madrid_o: f64 = comp
        .iter()
        .filter(|r| r.date.to_string() == "2020-05-31" && r.patch == "28" && r.age_group == "O")
        .map(|r| r.value)
        .sum();
    let day0_madrid_o: f64 = comp
        .iter()
        .filter(|r| r.date.to_string() == "2020-02-09" && r.patch == "28" && r.age_group == "O")
        .map(|r| r.value)
        .sum();
    assert!((day1_madrid_o - day0_madrid_o).abs() <= 1e-9 * day0_madrid_o);
}

/// With priors (the 2020 spec draws `beta_scale`), so that the members
/// differ and their order could show.
#[test]
fn output_is_bit_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let spec = repo().join("data/spain/twin-2020.toml");
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        run_ok(&[
            "--threads",
            threads,
            "run",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--members",
            "12",
            "--quiet",
            "--format",
            "csv",
        ]);
        files.push(std::fs::read(out.join("observables.csv")).unwrap());
    }
    assert_eq!(files[0], files[1]);
    // The members differ: somewhere the 5% and 95% quantiles part (rows
    // are long: date, patch, age group, `<observable>_q05`, value).
    let text = String::from_utf8(files.swap_remove(0)).unwrap();
    let mut q: std::collections::HashMap<(String, String), f64> = Default::default();
    for r in csv::Reader::from_reader(text.as_bytes()).records() {
        let r = r.unwrap();
        let key = format!("{},{},{}", &r[0], &r[1], &r[2]);
        q.insert((key, r[3].to_string()), r[4].parse().unwrap());
    }
    let parted = q.iter().any(|((key, var), lo)| {
        var.strip_suffix("_q05").is_some_and(|base| {
            q.get(&(key.clone(), format!("{base}_q95")))
                .is_some_and(|hi| lo < hi)
        })
    });
    assert!(parted, "every member ran the same");
}

/// An ensemble with nothing to draw is the same run many times: said.
#[test]
fn members_without_priors_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ens");
    let o = didymos()
        .args([
            "run",
            spain_spec().to_str().unwrap(),
            "--members",
            "3",
            "--quiet",
        ])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no [priors]") && err.contains("all 3 members are the same run"),
        "{err}"
    );
}

/// Bad input: a clear message naming file, line and field; no output file.
#[test]
fn bad_population_names_file_line_field_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("twin");
    std::fs::create_dir_all(&data).unwrap();
    for f in [
        "twin.toml",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
    ] {
        std::fs::copy(repo().join("data/spain").join(f), data.join(f)).unwrap();
    }
    let meta = std::fs::read_to_string(repo().join("data/spain/metapopulation_data.csv")).unwrap();
    let mut lines: Vec<String> = meta.lines().map(String::from).collect();
    // Line 4 of the file: make the M population negative.
    let mut cols: Vec<String> = lines[3].split(',').map(String::from).collect();
    cols[3] = "-5".into();
    lines[3] = cols.join(",");
    std::fs::write(
        data.join("metapopulation_data.csv"),
        lines.join("\n") + "\n",
    )
    .unwrap();

    let out = dir.path().join("out");
    let res = didymos()
        .args([
            "run",
            data.join("twin.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("metapopulation_data.csv"), "{err}");
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("`M`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.join("observables.parquet").exists());
}

#[test]
fn unknown_spec_key_suggests_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("twin");
    std::fs::create_dir_all(&data).unwrap();
    for f in [
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
    ] {
        std::fs::copy(repo().join("data/spain").join(f), data.join(f)).unwrap();
    }
    let spec = std::fs::read_to_string(spain_spec())
        .unwrap()
        .replace("beta_i =", "beta_ii =");
    std::fs::write(data.join("twin.toml"), spec).unwrap();
    let res = didymos()
        .args([
            "run",
            data.join("twin.toml").to_str().unwrap(),
            "--out",
            "/nonexistent/x",
        ])
        .output()
        .unwrap();
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("beta_ii") && err.contains("did you mean `beta_i`"),
        "{err}"
    );
}

#[test]
fn import_episim_then_run_gives_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let spain = repo().join("data/spain");
    let imported = dir.path().join("imported");
    run_ok(&[
        "import-episim",
        spain.join("config.json").to_str().unwrap(),
        "--data-dir",
        spain.to_str().unwrap(),
        "--out",
        imported.to_str().unwrap(),
    ]);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_ok(&[
        "run",
        "--episim",
        spain.join("config.json").to_str().unwrap(),
        "--data-dir",
        spain.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "--format",
        "csv",
        "--quiet",
    ]);
    run_ok(&[
        "run",
        imported.join("twin.toml").to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
        "--format",
        "csv",
        "--quiet",
    ]);
    assert_eq!(
        std::fs::read(a.join("observables.csv")).unwrap(),
        std::fs::read(b.join("observables.csv")).unwrap()
    );
}

/// Every argument of the commands a user tunes says what it is, and
/// import-episim's --out says what it writes (only twin.toml and its
/// provenance: the data files stay where they are).
#[test]
fn help_describes_every_argument_truthfully() {
    let help = |cmd: &str| {
        let out = didymos().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // clap prints an undescribed argument as its name alone on its line.
    let described = |cmd: &str, text: &str, arg: &str| {
        let line = text.lines().find(|l| l.trim_start().starts_with(arg));
        let line = line.unwrap_or_else(|| panic!("{cmd}: no {arg}:\n{text}"));
        assert!(
            line.trim() != arg,
            "{cmd}: {arg} has no description:\n{text}"
        );
    };
    for cmd in ["assimilate", "backtest"] {
        let text = help(cmd);
        for arg in ["--members <MEMBERS>", "--seed <SEED>"] {
            described(cmd, &text, arg);
        }
    }
    let text = help("backtest");
    for arg in ["<SPEC>", "--observations <OBSERVATIONS>"] {
        described("backtest", &text, arg);
    }
    let text = help("import-episim");
    assert!(
        !text.contains("and the data files into") && text.contains("not copied"),
        "{text}"
    );
}
