//! `didymos calibrate`: IF2 on the bundled 2020 twin through the command
//! line. Its outputs, their independence from the thread count, and the
//! refusals a user can meet. (That IF2 by blocks recovers known
//! multipliers is crates/twin/tests/if2_blocks.rs.)

mod common;
use common::{assert_all_valid, didymos, s, spain_inputs_with_observations};

#[test]
fn calibrate_writes_its_trace_and_estimates_whatever_the_thread_count() {
    let (dir, spain) = spain_inputs_with_observations();
    let spec = dir.path().join("twin.toml");
    let text = std::fs::read_to_string(spain.join("twin-2020.toml"))
        .unwrap()
        .replace("end = \"2020-12-31\"", "end = \"2020-04-30\"");
    std::fs::write(&spec, text).unwrap();
    let run = |threads: &str, out: &str| {
        let out = dir.path().join(out);
        let r = didymos(&[
            "--threads",
            threads,
            "calibrate",
            s(&spec),
            "--estimate",
            "beta_scale.28=0.03,beta_scale.08",
            "--until",
            "2020-04-15",
            "--iterations",
            "3",
            "--particles",
            "40",
            "--out",
            s(&out),
        ]);
        let stdout = String::from_utf8_lossy(&r.stdout).to_string();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        (stdout, out)
    };
    let (stdout, out) = run("1", "one");
    assert!(
        stdout.contains("IF2, 3 iterations × 40 particles, data up to 2020-04-15"),
        "{stdout}"
    );
    assert!(stdout.contains("  beta_scale.28: 1.0000 → "), "{stdout}");
    assert!(stdout.contains("at the start,"), "{stdout}");
    // The spec walks the provinces' multipliers; IF2 estimates constants.
    assert!(
        stdout.contains(
            "(IF2 estimates constants: the spec's log_beta_patch_sd = 0.015 was off here)"
        ),
        "{stdout}"
    );

    let trace = std::fs::read_to_string(out.join("if2.csv")).unwrap();
    let lines: Vec<&str> = trace.lines().collect();
    assert_eq!(lines[0], "iteration,log_lik,beta_scale.28,beta_scale.08");
    assert_eq!(lines.len(), 4, "{trace}");
    for (i, l) in lines[1..].iter().enumerate() {
        let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(v[0], (i + 1) as f64);
        assert!(v[1].is_finite() && v[1] < 0.0, "{l}");
        assert!(v[2] > 0.0 && v[3] > 0.0, "{l}");
    }
    let table = std::fs::read_to_string(out.join("estimate.csv")).unwrap();
    let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        ["parameter", "start", "estimate", "swarm_q05", "swarm_q95"]
    );
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[1][0], rows[2][0]), ("beta_scale.28", "beta_scale.08"));
    for r in &rows[1..] {
        let v: Vec<f64> = r[1..].iter().map(|x| x.parse().unwrap()).collect();
        assert_eq!(v[0], 1.0, "started from the spec's value");
        assert!(
            v[2] <= v[1] && v[1] <= v[3],
            "estimate inside the final swarm: {r:?}"
        );
        assert_ne!(v[1], 1.0, "the swarm moved: {r:?}");
    }
    // The last column of the trace is the estimate's swarm mean.
    let last: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(last[2], rows[1][2]);

    // The estimates as fixed priors, which the spec takes as they are.
    let priors = std::fs::read_to_string(out.join("priors.toml")).unwrap();
    let body = priors.split("[priors]\n").nth(1).expect("[priors]");
    assert!(
        body.starts_with(&format!(
            "\"beta_scale.28\" = {{ dist = \"fixed\", value = {} }}\n",
            rows[1][2]
        )),
        "{priors}"
    );
    let with_priors = dir.path().join("calibrated.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    assert_eq!(text.matches("\n[priors]\n").count(), 1);
    std::fs::write(
        &with_priors,
        text.replacen("[priors]\n", &format!("[priors]\n{body}"), 1),
    )
    .unwrap();
    let r = didymos(&[
        "assimilate",
        s(&with_priors),
        "--until",
        "2020-03-01",
        "--members",
        "20",
        "--out",
        s(&dir.path().join("as")),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // A calibration from that spec starts where the last one ended.
    let again = dir.path().join("again");
    let r = didymos(&[
        "calibrate",
        s(&with_priors),
        "--estimate",
        "beta_scale.28",
        "--until",
        "2020-03-20",
        "--iterations",
        "1",
        "--particles",
        "10",
        "--out",
        s(&again),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let table = std::fs::read_to_string(again.join("estimate.csv")).unwrap();
    let start = table.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert_eq!(start, rows[1][2], "{table}");

    let (_, two) = run("2", "two");
    for f in ["if2.csv", "estimate.csv", "priors.toml"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(two.join(f)).unwrap(),
            "{f}: 1 vs 2 threads"
        );
    }
    assert_all_valid(dir.path(), 4);

    // Refusals name what to do instead.
    let bad = dir.path().join("bad");
    let fails = |args: &[&str], says: &str| {
        let mut all = vec!["calibrate", s(&spec)];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", s(&bad)]);
        let r = didymos(&all);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    fails(
        &["--estimate", "beta_scale"],
        "estimate the provinces' multipliers (`beta_scale.*`)",
    );
    fails(
        &["--estimate", "beta_scal.28"],
        "did you mean `beta_scale.28`",
    );
    fails(&["--estimate", "beta_scale.28=0"], "SD a number > 0");
    fails(
        &["--estimate", "beta_scale.28,beta_scale.2*"],
        "given twice",
    );
    fails(
        &["--estimate", "rate.*"],
        "no parameter name begins with `rate.`",
    );
    fails(
        &["--estimate", "beta_scale.28", "--iterations", "0"],
        "--iterations must be ≥ 1",
    );
    fails(
        &["--estimate", "beta_scale.28", "--until", "2021-01-01"],
        "outside the twin's range",
    );
    let r = didymos(&[
        "calibrate",
        "data/flood/twin.toml",
        "--estimate",
        "x1",
        "--out",
        s(&bad),
    ]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("calibrated by `didymos run`"));
    assert!(!bad.exists(), "nothing written on refusal");
}
