//! `didymos simulate` and `didymos replay` end to end on the bundled spring
//! twin: outputs and provenance, bit-identical reruns, a backfill revision
//! never changes the truth, replay to a pipe in order at 10,000 records/s,
//! and errors that name the file, line and key.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

mod common;
use common::{didymos, ok, repo, s};

const SPEC: &str = "data/spain/twin.toml";

fn preset(name: &str) -> String {
    std::fs::read_to_string(repo().join(format!("crates/simulate/presets/{name}.toml"))).unwrap()
}

/// The preset with every `key = …` line set to `value`.
fn with_key(text: &str, key: &str, value: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with(&format!("{key} =")) {
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn err(args: &[&str]) -> String {
    let out = didymos(args);
    assert!(!out.status.success(), "didymos {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn simulate_writes_outputs_with_provenance_and_reruns_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crit");
    let stdout = ok(&[
        "simulate",
        SPEC,
        "--scenario",
        "critical",
        "--out",
        s(&out),
        "--seed",
        "3",
        "--format",
        "parquet",
    ]);
    assert!(stdout.contains("records"), "{stdout}");
    for f in [
        "observations.parquet",
        "truth.parquet",
        "events.csv",
        "scenario.toml",
        "prov.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    for kind in ["surge", "variant", "mobility_shock", "outage"] {
        assert!(
            events.lines().any(|l| l.starts_with(kind)),
            "no {kind} event:\n{events}"
        );
    }
    // A detector is scored against these: every outlier changed its value
    // (a 0 times 5 used to be written as an outlier that did nothing).
    let outliers: Vec<&str> = events
        .lines()
        .filter(|l| l.starts_with("outlier,"))
        .collect();
    assert!(outliers.len() > 5, "{events}");
    for l in outliers {
        let detail = l.rsplit(',').next().unwrap_or_default();
        let (before, after) = detail.split_once(" -> ").expect("`a -> b`");
        assert_ne!(before, after, "an outlier that changed nothing: {l}");
    }
    let prov = std::fs::read_to_string(out.join("prov.json")).unwrap();
    assert!(prov.contains("observations.parquet") && prov.contains("twin.toml"));
    let rerun = ok(&[
        "--threads",
        "1",
        "rerun",
        s(&out),
        "--out",
        s(&dir.path().join("again")),
    ]);
    assert!(rerun.contains("bit-identical"), "{rerun}");
    common::assert_all_valid(dir.path(), 2);
    // The Parquet file replays like any other.
    let replayed = ok(&[
        "replay",
        s(&out.join("observations.parquet")),
        "--to",
        "stdout",
        "--max-messages",
        "100",
    ]);
    assert_eq!(replayed.lines().count(), 100);
}

#[test]
fn backfill_revisions_never_change_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none.toml");
    let heavy = dir.path().join("heavy.toml");
    std::fs::write(&none, with_key(&preset("normal"), "backfill_rate", "0.0")).unwrap();
    std::fs::write(&heavy, with_key(&preset("normal"), "backfill_rate", "0.9")).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(&[
        "simulate",
        SPEC,
        "--scenario",
        s(&none),
        "--out",
        s(&a),
        "--seed",
        "5",
    ]);
    ok(&[
        "simulate",
        SPEC,
        "--scenario",
        s(&heavy),
        "--out",
        s(&b),
        "--seed",
        "5",
    ]);
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(
        read(&a.join("truth.csv")),
        read(&b.join("truth.csv")),
        "truth changed"
    );
    let (oa, ob) = (
        read(&a.join("observations.csv")),
        read(&b.join("observations.csv")),
    );
    assert_ne!(oa, ob);
    let revisions = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        text.lines()
            .skip(1)
            .filter(|l| l.split(',').nth(5).is_some_and(|c| !c.is_empty()))
            .count()
    };
    assert_eq!(revisions(&oa), 0);
    assert!(revisions(&ob) > 10_000, "{}", revisions(&ob));
}

#[test]
fn replay_to_a_pipe_keeps_order_at_10000_per_second() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    ok(&[
        "simulate",
        SPEC,
        "--scenario",
        "normal",
        "--out",
        s(&out),
        "--format",
        "ndjson",
    ]);
    let file = out.join("observations.ndjson");
    let mut child = Command::new(env!("CARGO_BIN_EXE_didymos"))
        .args([
            "replay",
            s(&file),
            "--to",
            "stdout",
            "--rate",
            "10000",
            "--max-messages",
            "20000",
            "--max-seconds",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reader = BufReader::new(child.stdout.take().unwrap());
    let (mut lines, mut first, mut last) = (Vec::new(), None, Instant::now());
    for line in reader.lines() {
        let now = Instant::now();
        first.get_or_insert(now);
        last = now;
        lines.push(line.unwrap());
    }
    let status = child.wait().unwrap();
    let mut report = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut report).unwrap();
    assert!(status.success(), "{report}");
    assert_eq!(lines.len(), 20_000, "{report}");
    let rate = 19_999.0 / (last - first.unwrap()).as_secs_f64();
    println!("pipe: {rate:.0} records/s at the reader; {report}");
    assert!(
        (rate / 10_000.0 - 1.0).abs() < 0.05,
        "{rate}/s at the reader"
    );
    // Order: exactly the file's first 20,000 records, contract fields only
    // (`issued` is one; `flag` is not).
    let text = std::fs::read_to_string(&file).unwrap();
    for (i, (sent, orig)) in lines.iter().zip(text.lines()).enumerate() {
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(sent).unwrap(),
            serde_json::from_str(orig).unwrap(),
        );
        for k in ["stream", "time", "location", "stratum", "value", "issued"] {
            assert_eq!(a[k], b[k], "record {i}, field {k}");
        }
        assert!(a.get("flag").is_none());
    }
    assert!(report.contains("replayed 20000"), "{report}");
}

#[test]
fn bad_input_names_file_line_and_key() {
    // A flood spec: said so, not an unknown key `basin` of an epidemic one.
    let flood = err(&["simulate", "data/flood/twin.toml", "--out", "unused"]);
    assert!(
        flood.contains("data/flood/twin.toml")
            && flood.contains("simulate supports epidemic twins")
            && flood.contains("flood twin spec")
            && !flood.contains("unknown key"),
        "{flood}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let e = err(&["simulate", SPEC, "--scenario", "extreme", "--out", s(&out)]);
    assert!(
        e.contains("unknown scenario `extreme`") && e.contains("normal or critical"),
        "{e}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        preset("normal").replace("missing_rate = 0.01", "missing_rat = 0.01"),
    )
    .unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(
        e.contains("bad.toml") && e.contains("line 37") && e.contains("missing_rat"),
        "{e}"
    );

    std::fs::write(&bad, with_key(&preset("normal"), "outlier_rate", "1.5")).unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(
        e.contains("bad.toml") && e.contains("stream[0].outlier_rate") && e.contains("line 21"),
        "{e}"
    );

    // A wrong type, caught by serde: the key comes from the line.
    std::fs::write(&bad, with_key(&preset("normal"), "delay_max", "2.5")).unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(
        e.contains("line 33") && e.contains("field `delay_max`") && e.contains("i64"),
        "{e}"
    );
    std::fs::write(
        &bad,
        preset("critical").replacen("from = 30", "from = true", 1),
    )
    .unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(
        // The key's own line, not the regime table's (line 17).
        e.contains("line 19")
            && e.contains("field `from`")
            && e.contains("a day number")
            && !e.contains("untagged"),
        "{e}"
    );
    // The same in the second regime: before regimes were a flat struct,
    // serde pointed at the first regime's table for any of them.
    std::fs::write(
        &bad,
        preset("critical").replacen("from = 55", "from = true", 1),
    )
    .unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(e.contains("line 27") && e.contains("field `from`"), "{e}");
    // Keys a kind of regime does not take, and keys it needs.
    std::fs::write(
        &bad,
        preset("critical").replacen("factor = 1.6", "factor = 1.6\nscale = 2", 1),
    )
    .unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(
        e.contains("regime[1].scale") && e.contains("a `surge` regime has no `scale`"),
        "{e}"
    );
    std::fs::write(&bad, preset("critical").replacen("factor = 1.6", "", 1)).unwrap();
    let e = err(&["simulate", SPEC, "--scenario", s(&bad), "--out", s(&out)]);
    assert!(e.contains("a `surge` regime needs `factor`"), "{e}");

    let unsorted = dir.path().join("u.ndjson");
    std::fs::write(
        &unsorted,
        "{\"stream\":\"c\",\"time\":\"2020-03-02\",\"value\":1}\n{\"stream\":\"c\",\"time\":\"2020-03-01\",\"value\":2}\n",
    )
    .unwrap();
    let e = err(&["replay", s(&unsorted), "--to", "stdout"]);
    assert!(
        e.contains("u.ndjson") && e.contains("line 2") && e.contains("--sort"),
        "{e}"
    );
    let e = err(&["replay", s(&dir.path().join("nope.csv")), "--to", "stdout"]);
    assert!(e.contains("nope.csv"), "{e}");
    let e = err(&[
        "replay",
        s(&unsorted),
        "--to",
        "http://example.org:80/v1/twins/x",
    ]);
    assert!(
        e.contains("not local") && e.contains("--allow-remote"),
        "{e}"
    );
    // Nothing listens there: every batch fails after its retries.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = err(&[
        "replay",
        s(&unsorted),
        "--sort",
        "--retries",
        "1",
        "--to",
        &format!("http://127.0.0.1:{port}/v1/twins/x"),
    ]);
    assert!(e.contains("failed 2") && e.contains("not delivered"), "{e}");
}
