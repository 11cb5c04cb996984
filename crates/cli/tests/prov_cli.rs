//! Provenance end to end with the `didymos` binary on the bundled Spain data:
//! every run writes a valid PROV-JSON `prov.json`, a forecast's chain reaches
//! back to the observations' hash, `rerun` reproduces outputs bit for bit
//! whatever the thread count, and refuses to re-run over a changed input.

mod common;
use common::{assert_all_valid, didymos, ok, repo, s};

#[test]
fn run_reruns_bit_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (orig, again)) in [("1", "2"), ("2", "1")].into_iter().enumerate() {
        let a = dir.path().join(format!("a{i}"));
        let b = dir.path().join(format!("b{i}"));
        ok(&[
            "--threads",
            orig,
            "run",
            "data/spain/twin.toml",
            "--out",
            s(&a),
            "--members",
            "3",
            "--compartments",
            "--quiet",
        ]);
        let rec = didymos_prov::load(&a).unwrap();
        assert_eq!(rec.command, "run");
        let roles: Vec<&str> = rec.inputs.iter().map(|f| f.role.as_str()).collect();
        assert_eq!(
            roles,
            ["spec", "input", "input", "input", "input"],
            "{:?}",
            rec.inputs
        );
        let outs: Vec<_> = rec
            .outputs
            .iter()
            .filter_map(|f| f.rel_path.clone())
            .collect();
        assert_eq!(
            outs,
            [
                "observables.parquet",
                "compartments.parquet",
                "summary.json"
            ]
        );

        let stdout = ok(&["--threads", again, "rerun", s(&a), "--out", s(&b)]);
        assert!(stdout.contains("bit-identical: 3 outputs"), "{stdout}");
        for f in [
            "observables.parquet",
            "compartments.parquet",
            "summary.json",
        ] {
            assert_eq!(
                std::fs::read(a.join(f)).unwrap(),
                std::fs::read(b.join(f)).unwrap()
            );
        }
        // The re-run really used the other thread count.
        let again_rec = didymos_prov::load(&b).unwrap();
        let argv = again_rec.argv.join(" ");
        assert!(argv.contains(&format!("--threads {again}")), "{argv}");
    }
    assert_all_valid(dir.path(), 4);
}

#[test]
fn episim_run_records_config_and_data_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("ep");
    ok(&[
        "run",
        "--episim",
        "data/spain/config.json",
        "--data-dir",
        "data/spain",
        "--out",
        s(&a),
        "--quiet",
    ]);
    let rec = didymos_prov::load(&a).unwrap();
    let names: Vec<String> = rec
        .inputs
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "config.json",
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert_all_valid(dir.path(), 1);
}

#[test]
fn forecast_chain_reaches_the_observations_and_reruns_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (assim, fc, fc2) = (
        dir.path().join("assim"),
        dir.path().join("fc"),
        dir.path().join("fc2"),
    );
    ok(&[
        "--threads",
        "2",
        "assimilate",
        "data/spain/twin-2020.toml",
        "--until",
        "2020-04-15",
        "--members",
        "50",
        "--out",
        s(&assim),
    ]);
    let ck = assim.join("checkpoint.bin");
    ok(&[
        "--threads",
        "1",
        "forecast",
        "--checkpoint",
        s(&ck),
        "--horizon",
        "14",
        "--out",
        s(&fc),
    ]);

    // forecast → wasInformedBy assimilate → used the observations, by hash.
    let obs = repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
    let (obs_hash, _) = didymos_prov::sha256_file(&obs).unwrap();
    let rec = didymos_prov::load(&fc).unwrap();
    assert_eq!(rec.command, "forecast");
    assert!(rec.inputs.iter().any(|f| f.role == "checkpoint"));
    assert_eq!(rec.informed_by.len(), 1, "{:?}", rec.informed_by);
    let informant = &rec.informed_by[0];
    assert_eq!(informant.command.as_deref(), Some("assimilate"));
    let earlier = didymos_prov::load(informant.document.as_ref().unwrap()).unwrap();
    assert_eq!(earlier.activity_id, informant.activity);
    let used_obs = earlier
        .inputs
        .iter()
        .find(|f| f.role == "observations")
        .expect("assimilate used observations");
    assert_eq!(used_obs.sha256, obs_hash);
    assert!(earlier
        .outputs
        .iter()
        .any(|o| o.rel_path.as_deref() == Some("checkpoint.bin")));
    // …and `prov show` prints the same chain.
    let shown = ok(&["prov", "show", s(&fc)]);
    assert!(shown.contains("(assimilate)"), "{shown}");
    assert!(shown.contains(&obs_hash), "{shown}");

    let exported = ok(&["prov", "export", s(&fc), "--format", "prov-json"]);
    let json: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert!(json["wasInformedBy"]
        .as_object()
        .is_some_and(|m| !m.is_empty()));
    let dot = ok(&["prov", "export", s(&fc), "--format", "dot"]);
    assert!(dot.starts_with("digraph"), "{dot}");

    // Forecast run with 1 thread, re-run with 2: the same bytes.
    let stdout = ok(&["--threads", "2", "rerun", s(&fc), "--out", s(&fc2)]);
    assert!(stdout.contains("bit-identical: 2 outputs"), "{stdout}");
    assert_all_valid(dir.path(), 3);
}

#[test]
fn rerun_refuses_a_changed_input_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in [
        "twin.toml",
        "metapopulation_data.csv",
        "R_mobility_matrix.csv",
        "A0_initial_conditions_seeds.csv",
        "kappa0_from_mitma.csv",
    ] {
        std::fs::copy(repo().join("data/spain").join(f), data.join(f)).unwrap();
    }
    let out = dir.path().join("out");
    ok(&[
        "run",
        s(&data.join("twin.toml")),
        "--out",
        s(&out),
        "--quiet",
    ]);
    let rec = didymos_prov::load(&out).unwrap();
    assert!(rec
        .inputs
        .iter()
        .all(|f| f.path.starts_with(data.canonicalize().unwrap())));

    // Unchanged inputs: the re-run works.
    let ok_out = dir.path().join("again");
    let stdout = ok(&["rerun", s(&out), "--out", s(&ok_out)]);
    assert!(stdout.contains("bit-identical: 2 outputs"), "{stdout}");

    // One byte of one CSV changed: no re-run, and the file is named.
    let seeds = data.join("A0_initial_conditions_seeds.csv");
    let mut bytes = std::fs::read(&seeds).unwrap();
    let at = bytes.iter().rposition(u8::is_ascii_digit).unwrap();
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&seeds, bytes).unwrap();
    let bad_out = dir.path().join("bad");
    let res = didymos(&["rerun", s(&out), "--out", s(&bad_out)]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(!res.status.success(), "rerun must fail: {stderr}");
    assert!(
        stderr.contains("A0_initial_conditions_seeds.csv"),
        "{stderr}"
    );
    assert!(!stderr.contains("R_mobility_matrix.csv"), "{stderr}");
    assert!(!bad_out.exists(), "nothing may be re-run");
    assert_all_valid(dir.path(), 2);
}

#[test]
fn an_output_that_differs_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&["run", "data/spain/twin.toml", "--out", s(&out), "--quiet"]);
    // Tamper with the recorded output hash of summary.json in the record.
    let doc = out.join("prov.json");
    let (real, _) = didymos_prov::sha256_file(&out.join("summary.json")).unwrap();
    let text = std::fs::read_to_string(&doc).unwrap();
    let fake = "0".repeat(64);
    std::fs::write(&doc, text.replace(&real, &fake)).unwrap();
    let res = didymos(&["rerun", s(&out), "--out", s(&dir.path().join("again"))]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(!res.status.success(), "{stderr}");
    assert!(stderr.contains("summary.json"), "{stderr}");
    assert!(!stderr.contains("observables.parquet"), "{stderr}");
}

/// A record is a file anyone can edit: `rerun` repeats only commands that
/// write outputs, never `serve`, `replay` or `rerun` itself (which would
/// call itself for ever).
#[test]
fn rerun_refuses_commands_that_do_not_make_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&["run", "data/spain/twin.toml", "--out", s(&out), "--quiet"]);
    let doc = out.join("prov.json");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();
    let with_argv = |argv: &[&str]| {
        let mut r = record.clone();
        let activity = r["activity"]
            .as_object_mut()
            .unwrap()
            .values_mut()
            .next()
            .unwrap();
        activity["didymos:argv"] = serde_json::json!(argv);
        r.to_string()
    };
    for (sub, edited) in [
        (
            "serve",
            with_argv(&["didymos", "serve", "--listen", "127.0.0.1:0"]),
        ),
        (
            "rerun",
            with_argv(&["didymos", "--threads", "1", "rerun", s(&out)]),
        ),
    ] {
        std::fs::write(&doc, &edited).unwrap();
        let again = dir.path().join(format!("again-{sub}"));
        let res = didymos(&["rerun", s(&out), "--out", s(&again)]);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(!res.status.success(), "{sub}: {stderr}");
        assert!(
            stderr.contains(&format!("`didymos {sub}`")) && stderr.contains("does not repeat"),
            "{stderr}"
        );
        assert!(!again.exists());
    }
}

#[test]
fn prov_push_sends_the_document_and_export_writes_a_file() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&["run", "data/spain/twin.toml", "--out", s(&out), "--quiet"]);
    let exported = dir.path().join("export.json");
    ok(&["prov", "export", s(&out), "--out", s(&exported)]);
    let doc = std::fs::read_to_string(out.join("prov.json")).unwrap();
    let a: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    assert_eq!(a, b);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim_end().is_empty() {
                break;
            }
            head.push(line.trim_end().to_owned());
        }
        let len: usize = head
            .iter()
            .find_map(|h| {
                h.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let answer = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
        (head, body)
    });
    ok(&["prov", "push", s(&out), "--url", &url, "--token", "sekrit"]);
    let (head, body) = server.join().unwrap();
    assert!(head[0].starts_with("PUT /api/v0/documents/"), "{head:?}");
    assert!(
        head.iter().any(|h| h == "Authorization: Bearer sekrit"),
        "{head:?}"
    );
    assert_eq!(String::from_utf8(body).unwrap(), doc);
}

/// `didymos prov export RUN | head -1`: the reader leaves before the
/// writer is done. The command must end cleanly (it used to panic with
/// "failed printing to stdout: Broken pipe"), and a command whose stdout
/// closes still writes its files in full.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let with_closed_stdout = |args: &[&str]| {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        std::process::Command::new(env!("CARGO_BIN_EXE_didymos"))
            .args(args)
            .current_dir(repo())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap()
    };
    let out = with_closed_stdout(&[
        "run",
        "data/spain/twin.toml",
        "--out",
        s(&run_dir),
        "--members",
        "2",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rec = didymos_prov::load(&run_dir).unwrap();
    assert_eq!(rec.command, "run");

    let out = with_closed_stdout(&["prov", "export", s(&run_dir)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
