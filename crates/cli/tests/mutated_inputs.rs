//! Mutated inputs never crash or hang the CLI: a fixed-seed sample of
//! damaged specs, data files and checkpoints, each run through the
//! commands that read it. Every run must end within its time limit with
//! success or a one-line `error:` (exit 1), never a panic (exit 101).
//!
//! The mutations are the ones that found bugs when this sweep was first
//! run by hand over thousands of cases: numbers replaced by extremes
//! (1e308, NaN, 0, −1, 2⁶³ …) keeping the TOML valid, CSV cells replaced,
//! lines dropped or doubled, and checkpoint bytes flipped, inserted or cut.
//! They found a sampler that never returned on a corrupted checkpoint, a
//! uniform prior that panicked, and messages that printed 309 digits.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{s, spain_inputs_with_observations};
use didymos_core::rng::mix64;

/// `MUTATION_SEED` and `MUTATION_ROUNDS` (a multiplier) widen the sweep
/// when hunting; the defaults keep it to a few seconds.
fn sweep() -> (u64, usize) {
    let var = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    (var("MUTATION_SEED", 0), var("MUTATION_ROUNDS", 1) as usize)
}

/// Each run's limit: a debug build assimilates these 30 days in < 1 s.
const LIMIT: Duration = Duration::from_secs(60);

/// A counter-based stream of choices, so the sample is the same on every
/// machine.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        self.0 += 1;
        (mix64(self.0 ^ 0x6d75_7461_7465) % n as u64) as usize
    }
    fn of<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Runs the binary with a time limit; returns (exit code, stderr).
fn run(args: &[&str], what: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start didymos");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                std::io::Read::read_to_string(&mut e, &mut err).expect("stderr");
            }
            return (status.code(), err);
        }
        if started.elapsed() > LIMIT {
            child.kill().ok();
            panic!("{what}: didymos {args:?} still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Success, or a clean error; `what` says which mutation.
fn assert_clean(args: &[&str], what: &str) -> (Option<i32>, String) {
    let (code, err) = run(args, what);
    assert!(
        code == Some(0) || (code == Some(1) && err.starts_with("error: ")),
        "{what}: exit {code:?}\n{err}"
    );
    assert!(!err.contains("panicked"), "{what}: {err}");
    (code, err)
}

/// A clean error (exit 1), whose message is returned.
fn refused(args: &[&str], what: &str) -> String {
    let (code, err) = assert_clean(args, what);
    assert_eq!(code, Some(1), "{what}: accepted");
    err
}

/// `didymos assimilate SPEC --until UNTIL --out OUT`.
fn assimilate<'a>(spec: &'a Path, until: &'a str, out: &'a Path) -> [&'a str; 6] {
    ["assimilate", s(spec), "--until", until, "--out", s(out)]
}

/// Assimilates the intact `spec`, which must succeed.
fn assimilated(spec: &Path, until: &str, out: &Path) {
    let (code, err) = run(&assimilate(spec, until, out), "the intact spec");
    assert_eq!(code, Some(0), "{err}");
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-0.0",
    "1e9",
    "9223372036854775807",
    "0.5",
    "3",
    "400",
];

/// Replaces one number on a random `key = value` line of `text`.
fn mutate_toml(text: &str, pick: &mut Pick) -> (String, String) {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let l = lines[i].trim_start();
            !l.starts_with('#')
                && l.contains(" = ")
                && l.split('#').next().is_some_and(|v| {
                    v.split_once('=').is_some_and(|(_, r)| {
                        r.chars().any(|c| c.is_ascii_digit()) && !r.contains('"')
                    })
                })
        })
        .collect();
    let i = *pick.of(&candidates);
    let (key, rest) = lines[i].split_once('=').expect("key = value");
    let value = rest.split('#').next().unwrap_or("");
    // The numbers in the value, as (start, end) byte ranges.
    let mut spans = Vec::new();
    let b = value.as_bytes();
    let mut j = 0;
    while j < b.len() {
        if b[j].is_ascii_digit() || (b[j] == b'-' && b.get(j + 1).is_some_and(u8::is_ascii_digit)) {
            let start = j;
            j += 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'-') {
                j += 1;
            }
            spans.push((start, j));
        } else {
            j += 1;
        }
    }
    let (a, z) = *pick.of(&spans);
    let new = *pick.of(NUMBERS);
    let replaced = format!("{}{new}{}", &value[..a], &value[z..]);
    let what = format!("{} ={replaced}", key.trim_end());
    lines[i] = format!("{key}={replaced}");
    (lines.join("\n"), what)
}

/// Replaces a cell, drops a line or doubles one in a CSV file.
fn mutate_csv(path: &Path, pick: &mut Pick) -> String {
    mutate_table(path, ',', pick)
}

/// As [`mutate_csv`], for cells separated by `sep` (CAMELS files: spaces
/// and tabs, where a cell is replaced by one without separators).
fn mutate_table(path: &Path, sep: char, pick: &mut Pick) -> String {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let r = pick.below(lines.len());
    let what = match pick.below(4) {
        0 => {
            lines.remove(r);
            format!("{name}: line {} dropped", r + 1)
        }
        1 => {
            let l = lines[r].clone();
            lines.insert(r, l);
            format!("{name}: line {} doubled", r + 1)
        }
        _ => {
            let line = lines[r].replace('\t', &sep.to_string());
            let mut cells: Vec<String> = line.split(sep).map(String::from).collect();
            let c = pick.below(cells.len());
            let v = *pick.of(&["", "nan", "-1", "1e308", "inf", "abc", "0", "2020-02-30"]);
            cells[c] = v.to_string();
            lines[r] = cells.join(&sep.to_string());
            format!("{name}: line {} cell {c} = {v:?}", r + 1)
        }
    };
    std::fs::write(path, lines.join("\n")).expect("write csv");
    what
}

fn twin_spec(dir: &Path, spain: &Path) -> PathBuf {
    let text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .expect("spec")
        .replace("members = 1000", "members = 20");
    let spec = dir.join("twin.toml");
    std::fs::write(&spec, text).expect("write spec");
    spec
}

#[test]
fn mutated_specs_and_data_files_give_errors_not_crashes() {
    let (dir, spain) = spain_inputs_with_observations();
    let spec = twin_spec(dir.path(), &spain);
    let pristine = std::fs::read_to_string(&spec).expect("spec");
    let out = dir.path().join("out");
    let (seed, rounds) = sweep();
    let mut pick = Pick(1 + (seed << 32));
    let mut failed = 0;
    for _ in 0..24 * rounds {
        let (text, what) = mutate_toml(&pristine, &mut pick);
        std::fs::write(&spec, &text).expect("write");
        let args = assimilate(&spec, "2020-03-10", &out);
        failed += (assert_clean(&args, &what).0 != Some(0)) as usize;
    }
    std::fs::write(&spec, &pristine).expect("restore");
    let files = [
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
        "spain_provinces_covid19_daily_by_age_2020.csv",
    ];
    for _ in 0..16 * rounds {
        let path = dir.path().join(*pick.of(&files));
        let keep = std::fs::read(&path).expect("read");
        let what = mutate_csv(&path, &mut pick);
        let args = assimilate(&spec, "2020-03-10", &out);
        failed += (assert_clean(&args, &what).0 != Some(0)) as usize;
        std::fs::write(&path, keep).expect("restore");
    }
    // The sample must reach the validation, not just pass through.
    assert!(
        failed >= 10 * rounds,
        "only {failed} of {} mutations were refused",
        40 * rounds
    );
}

#[test]
fn damaged_checkpoints_are_refused_by_every_reader() {
    let (dir, spain) = spain_inputs_with_observations();
    let spec = twin_spec(dir.path(), &spain);
    let out = dir.path().join("assim");
    assimilated(&spec, "2020-03-10", &out);
    let good = std::fs::read(out.join("checkpoint.bin")).expect("checkpoint");
    let bad = dir.path().join("bad.bin");
    let scenarios = spain.join("scenarios.toml");
    let (seed, rounds) = sweep();
    let mut pick = Pick(2 + (seed << 32));
    for round in 0..16 * rounds {
        let mut b = good.clone();
        let at = pick.below(b.len());
        let what = match round % 4 {
            0 => {
                b[at] ^= 1 << pick.below(8);
                format!("bit flipped at byte {at}")
            }
            1 => {
                b.splice(at..at, [0x55, 0xaa, 0x01]);
                format!("3 bytes inserted at {at}")
            }
            2 => {
                b.truncate(at);
                format!("cut at {at}")
            }
            _ => {
                let end = (at + 64).min(b.len());
                b[at..end].fill(0);
                format!("zeroed from {at}")
            }
        };
        std::fs::write(&bad, &b).expect("write");
        let readers: [&[&str]; 2] = [
            &["forecast", "--checkpoint", s(&bad), "--horizon", "7"],
            &[
                "scenario",
                s(&spec),
                "--scenarios",
                s(&scenarios),
                "--from-checkpoint",
                s(&bad),
                "--members",
                "5",
            ],
        ];
        let reader = readers[round % 2];
        let mut args = reader.to_vec();
        let fc = dir.path().join("fc");
        args.extend(["--out", s(&fc)]);
        let err = refused(&args, &what);
        assert!(
            err.contains("bad.bin") && err.contains("not a usable checkpoint"),
            "{what}: {err}"
        );
    }
}

/// A member count that cannot fit in memory is refused before anything is
/// allocated, from the command line or the spec.
#[test]
fn absurd_member_counts_are_refused_with_the_memory_they_need() {
    let (dir, spain) = spain_inputs_with_observations();
    let spec = twin_spec(dir.path(), &spain);
    let out = dir.path().join("out");
    let err = refused(
        &[
            "assimilate",
            s(&spec),
            "--members",
            "100000000000",
            "--out",
            s(&out),
        ],
        "--members 1e11",
    );
    assert!(
        err.contains("100000000000 members need about") && err.contains("GB"),
        "{err}"
    );
    // The same for a scenario run's members and an IF2 swarm, which are
    // built outside an ensemble's constructor.
    // scenarios.toml branches on 2020-04-01.
    assimilated(&spec, "2020-04-01", &out);
    let ck = out.join("checkpoint.bin");
    let scenarios = spain.join("scenarios.toml");
    let sc = dir.path().join("sc");
    for (args, what) in [
        (
            vec![
                "scenario",
                s(&spec),
                "--scenarios",
                s(&scenarios),
                "--from-checkpoint",
                s(&ck),
                "--members",
                "100000000000",
                "--out",
                s(&sc),
            ],
            "scenario --members 1e11",
        ),
        (
            vec![
                "calibrate",
                s(&spec),
                "--estimate",
                "beta_scale.28",
                "--until",
                "2020-03-01",
                "--particles",
                "100000000000",
                "--out",
                s(&sc),
            ],
            "calibrate --particles 1e11",
        ),
    ] {
        let err = refused(&args, what);
        assert!(err.contains("members need about"), "{what}: {err}");
    }
    // Other sizes typed on the command line.
    for (args, expect) in [
        (
            vec![
                "--threads",
                "100000",
                "assimilate",
                s(&spec),
                "--out",
                s(&sc),
            ],
            "at most 1024",
        ),
        (
            vec![
                "backtest",
                s(&spec),
                "--from",
                "2020-04-01",
                "--to",
                "2020-04-01",
                "--horizon",
                "100000",
                "--out",
                s(&sc),
            ],
            "longer than the twin's whole time range",
        ),
    ] {
        let err = refused(&args, expect);
        assert!(err.contains(expect), "{err}");
    }

    let text = std::fs::read_to_string(&spec)
        .expect("spec")
        .replace("members = 20", "members = 9223372036854775807");
    std::fs::write(&spec, text).expect("write");
    let err = refused(&["assimilate", s(&spec), "--out", s(&out)], "spec");
    assert!(err.contains("members need about"), "{err}");
}

/// The flood twin: its spec, its CAMELS forcing and streamflow files, and
/// the forecast and scenarios that read its checkpoint.
#[test]
fn mutated_flood_inputs_give_errors_not_crashes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flood = common::repo().join("data/flood");
    let camels = dir.path().join("camels_us");
    std::fs::create_dir(&camels).expect("mkdir");
    for f in [
        "01022500_lump_cida_forcing_leap.txt",
        "01022500_streamflow_qc.txt",
    ] {
        std::fs::copy(flood.join("camels_us").join(f), camels.join(f)).expect("copy");
    }
    std::fs::copy(
        flood.join("scenarios.toml"),
        dir.path().join("scenarios.toml"),
    )
    .expect("copy");
    // A small calibration, so each run takes well under a second.
    let pristine = std::fs::read_to_string(flood.join("twin.toml"))
        .expect("spec")
        .replace("population = 30", "population = 4")
        .replace("generations = 60", "generations = 1")
        .replace("members = 200", "members = 20");
    let spec = dir.path().join("twin.toml");
    let out = dir.path().join("out");
    let ck = out.join("checkpoint.bin");
    let (seed, rounds) = sweep();
    let mut pick = Pick(3 + (seed << 32));
    let files = [
        camels.join("01022500_lump_cida_forcing_leap.txt"),
        camels.join("01022500_streamflow_qc.txt"),
    ];
    let mut refused = 0;
    for round in 0..32 * rounds {
        let (text, what) = if round % 2 == 0 {
            mutate_toml(&pristine, &mut pick)
        } else {
            (pristine.clone(), String::new())
        };
        std::fs::write(&spec, text).expect("write spec");
        let (keep, what) = if round % 2 == 1 {
            let path = pick.of(&files).clone();
            let keep = std::fs::read(&path).expect("read");
            let what = mutate_table(&path, ' ', &mut pick);
            (Some((path, keep)), what)
        } else {
            (None, what)
        };
        std::fs::remove_file(&ck).ok();
        let (code, _) = assert_clean(&assimilate(&spec, "2002-03-01", &out), &what);
        if code == Some(0) {
            let fc = dir.path().join("fc");
            assert_clean(
                &["forecast", "--checkpoint", s(&ck), "--out", s(&fc)],
                &what,
            );
            let scen = dir.path().join("scenarios.toml");
            let args = [
                "scenario",
                s(&spec),
                "--scenarios",
                s(&scen),
                "--from-checkpoint",
                s(&ck),
                "--out",
                s(&fc),
            ];
            assert_clean(&args, &what);
        } else {
            refused += 1;
        }
        if let Some((path, keep)) = keep {
            std::fs::write(path, keep).expect("restore");
        }
    }
    assert!(
        refused >= 8 * rounds,
        "only {refused} mutations were refused"
    );
}

/// Paths that never end: each command stops at its input limit with the
/// path in the message, instead of reading until memory runs out.
#[test]
fn endless_inputs_stop_at_a_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for args in [
        vec!["assimilate", "/dev/zero", "--out", s(&out)],
        vec!["run", "/dev/zero", "--out", s(&out)],
        vec!["simulate", "/dev/zero", "--out", s(&out)],
        vec!["store", "check", "/dev/zero"],
    ] {
        let err = refused(&args, "/dev/zero");
        assert!(err.contains("/dev/zero"), "{args:?}: {err}");
    }
}
