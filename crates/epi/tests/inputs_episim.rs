//! EpiSim configs: the demo province config and the twin spec load to the
//! same setup, the real mitma_zones instance loads and converts, and bad
//! configs give errors naming the file and key path.

use std::path::{Path, PathBuf};

use didymos_epi::episim::{episim_to_spec_toml, load_episim, EpisimOptions};
use didymos_epi::spec::load_spec;
use serde_json::{json, Value};

fn spain_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain")
}

/// The EpiSim.jl instance in the shared data folder (CI clones the repo
/// next to `shared/`), or `None` with a printed skip message.
fn mitma_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/epidemic/mitma_zones");
    if d.join("config_MMCACovid19.json").is_file() {
        Some(d)
    } else {
        didymos_core::skipped!("{} not found (/work/shared not present)", d.display());
        None
    }
}

fn opts() -> EpisimOptions {
    EpisimOptions::default()
}

#[test]
fn province_config_and_twin_spec_give_equal_setups() {
    let dir = spain_dir();
    let (from_json, w1) = load_episim(&dir.join("config.json"), &dir, &opts()).unwrap();
    let (spec, w2) = load_spec(&dir.join("twin.toml")).unwrap();
    assert!(w1.is_empty() && w2.is_empty(), "{w1:?} {w2:?}");
    assert_eq!(spec.setup, from_json);

    let s = &from_json;
    assert_eq!(s.metapopulation.ids.len(), 52);
    assert_eq!(s.metapopulation.ids[0], "01", "leading zeros kept");
    assert_eq!(s.edges.len(), 2630);
    assert_eq!(s.seeds.len(), 19);
    assert_eq!(
        s.seeds
            .iter()
            .find(|x| x.patch == 27)
            .map(|x| x.counts.clone()),
        Some(vec![6.0, 8.0, 36.0])
    );
    assert_eq!(s.calendar.n_days(), 113);
    // κ₀ series from 2020-03-16 = day 37 to the end (day 113).
    assert_eq!(s.containments.len(), 77);
    assert_eq!(s.containments.first_day(), Some(37));
    let first = s.containments.on(37).next().unwrap();
    assert_eq!(
        (first.kappa0, first.phi, first.delta),
        (0.5053579375294793, 0.2, 0.8)
    );
    assert_eq!(s.epi.beta_a, 0.046053, "explicit βᴬ wins over scale_β·βᴵ");

    assert_eq!(spec.name, "spain-provinces");
    assert_eq!(
        (
            spec.members,
            spec.seed,
            spec.output_format.as_str(),
            spec.write_compartments
        ),
        (1, 1, "parquet", false)
    );
    assert_eq!(spec.inputs.len(), 4, "metapopulation, mobility, seeds, κ₀");
}

#[test]
fn imported_province_spec_loads_to_the_same_setup() {
    let dir = spain_dir();
    let out = tempfile::tempdir().unwrap();
    let (toml, _) =
        episim_to_spec_toml(&dir.join("config.json"), &dir, &opts(), out.path(), "spain").unwrap();
    let spec_path = out.path().join("twin.toml");
    std::fs::write(&spec_path, &toml).unwrap();
    let (spec, _) = load_spec(&spec_path).unwrap();
    let (episim, _) = load_episim(&dir.join("config.json"), &dir, &opts()).unwrap();
    assert_eq!(spec.setup, episim);
    assert!(toml.contains("kappa0_file = "), "{toml}");
}

#[test]
fn npi_lists_without_kappa0_file_round_trip_as_events() {
    let dir = spain_dir();
    let mut cfg = base_config();
    cfg["data"]
        .as_object_mut()
        .unwrap()
        .remove("kappa0_filename");
    cfg["NPI"] = json!({"κ₀s": [0.8, 0.0], "ϕs": [0.2, 1.0], "δs": [0.8, 0.0], "tᶜs": [37, 100], "are_there_npi": true});
    // βᴬ from scale_β·βᴵ when βᴬ is absent.
    cfg["epidemic_params"].as_object_mut().unwrap().remove("βᴬ");
    let tmp = tempfile::tempdir().unwrap();
    let config = write_json(tmp.path(), &cfg);
    let (setup, _) = load_episim(&config, &dir, &opts()).unwrap();
    assert_eq!(setup.epi.beta_a, 0.51 * 0.0903);
    let days: Vec<usize> = setup.containments.iter().map(|(d, _)| d).collect();
    assert_eq!(days, vec![37, 100]);

    let (toml, _) = episim_to_spec_toml(&config, &dir, &opts(), tmp.path(), "lists").unwrap();
    assert!(
        toml.contains("date = \"2020-03-16\"") && toml.contains("scale_beta = 0.51"),
        "{toml}"
    );
    let spec_path = tmp.path().join("twin.toml");
    std::fs::write(&spec_path, toml).unwrap();
    assert_eq!(load_spec(&spec_path).unwrap().0.setup, setup);
}

#[test]
fn mitma_zones_instance_loads_and_converts() {
    let Some(dir) = mitma_dir() else { return };
    let config = dir.join("config_MMCACovid19.json");
    let (setup, warnings) = load_episim(&config, &dir, &opts()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(setup.metapopulation.ids.len(), 2850);
    assert_eq!(
        setup.edges.len(),
        109_982,
        "edges kept as read (self-loop correction is the model's)"
    );
    assert_eq!(setup.seeds.len(), 19);
    assert_eq!(setup.metapopulation.ids[0], "01001_AM");
    assert_eq!(setup.containments.first_day(), Some(37));

    let out = tempfile::tempdir().unwrap();
    let (toml, _) = episim_to_spec_toml(&config, &dir, &opts(), out.path(), "mitma").unwrap();
    let spec_path = out.path().join("twin.toml");
    std::fs::write(&spec_path, toml).unwrap();
    let (spec, _) = load_spec(&spec_path).unwrap();
    assert_eq!(spec.setup, setup);
}

fn base_config() -> Value {
    let text = std::fs::read_to_string(spain_dir().join("config.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn write_json(dir: &Path, v: &Value) -> PathBuf {
    let p = dir.join("config.json");
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

/// Load a mutated province config; its error must contain every piece.
fn config_error(edit: impl FnOnce(&mut Value), pieces: &[&str]) -> String {
    let mut cfg = base_config();
    edit(&mut cfg);
    let tmp = tempfile::tempdir().unwrap();
    let p = write_json(tmp.path(), &cfg);
    let msg = load_episim(&p, &spain_dir(), &opts())
        .expect_err("expected an error")
        .to_string();
    assert!(
        msg.contains("config.json"),
        "`{msg}` does not name the config file"
    );
    for piece in pieces {
        assert!(msg.contains(piece), "`{msg}` does not mention `{piece}`");
    }
    msg
}

fn set(v: &mut Value, section: &str, key: &str, x: Value) {
    v[section]
        .as_object_mut()
        .unwrap()
        .insert(key.to_string(), x);
}

#[test]
fn unknown_keys_suggest_the_closest() {
    config_error(
        |c| {
            let e = c["epidemic_params"].as_object_mut().unwrap();
            let b = e.remove("βᴵ").unwrap();
            e.insert("βI".into(), b);
        },
        &["epidemic_params.βI", "did you mean `βᴵ`"],
    );
    config_error(
        |c| {
            let d = c["data"].as_object_mut().unwrap();
            let k = d.remove("kappa0_filename").unwrap();
            d.insert("kappa0_filenme".into(), k);
        },
        &["data.kappa0_filenme", "did you mean `kappa0_filename`"],
    );
    config_error(|c| c["NPi"] = json!({}), &["`NPi`", "did you mean `NPI`"]);
}

#[test]
fn bad_config_values_name_the_key_path() {
    config_error(
        |c| set(c, "epidemic_params", "ηᵍ", json!([0.2, 0.2])),
        &["epidemic_params.ηᵍ", "expected 3 entries"],
    );
    config_error(
        |c| set(c, "epidemic_params", "γᵍ", json!([0.1, 1.5, 0.1])),
        &["epidemic_params.γᵍ[1]", "[0, 1]"],
    );
    config_error(
        |c| {
            set(
                c,
                "population_params",
                "C",
                json!([[1, 0, 0], [0, 1], [0, 0, 1]]),
            )
        },
        &["population_params.C[1]", "3 columns"],
    );
    config_error(
        |c| set(c, "population_params", "kᵍ", json!([1, -2, 3])),
        &["population_params.kᵍ[1]", "≥ 0"],
    );
    config_error(
        |c| set(c, "population_params", "σ", json!("2.5")),
        &["population_params.σ", "expected a number"],
    );
    config_error(
        |c| set(c, "simulation", "end_date", json!("2020-01-01")),
        &["simulation.end_date", "before the start"],
    );
    config_error(
        |c| set(c, "simulation", "start_date", json!("2020-02-30")),
        &["simulation.start_date", "2020-02-30"],
    );
    config_error(
        |c| set(c, "simulation", "engine", json!("MMCACovid19Vac")),
        &["simulation.engine", "vaccination"],
    );
    config_error(
        |c| set(c, "simulation", "input_format", json!("netcdf")),
        &["simulation.input_format", "NetCDF"],
    );
    config_error(
        |c| set(c, "simulation", "scale_seeds", json!(0)),
        &["simulation.scale_seeds", "> 0"],
    );
    config_error(
        |c| set(c, "epidemic_params", "Λ", json!(0.02)),
        &["epidemic_params.Λ", "vaccination"],
    );
    config_error(
        |c| {
            let e = c["epidemic_params"].as_object_mut().unwrap();
            e.remove("βᴬ");
            e.remove("scale_β");
        },
        &["epidemic_params.βᴬ", "scale_β"],
    );

    // A missing data file is an I/O error naming the resolved path.
    let mut cfg = base_config();
    set(
        &mut cfg,
        "data",
        "mobility_matrix_filename",
        json!("nope.csv"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let e = load_episim(&write_json(tmp.path(), &cfg), &spain_dir(), &opts()).unwrap_err();
    assert!(
        matches!(e, didymos_core::Error::Io { .. })
            && e.to_string().contains("data/spain/nope.csv"),
        "{e}"
    );
}

#[test]
fn npi_lists_are_checked_without_kappa0_file() {
    let no_kappa = |c: &mut Value| {
        c["data"].as_object_mut().unwrap().remove("kappa0_filename");
    };
    config_error(
        |c| {
            no_kappa(c);
            set(c, "NPI", "ϕs", json!([0.2, 0.3]));
        },
        &["NPI", "tᶜs: 1, κ₀s: 1, ϕs: 2, δs: 1"],
    );
    config_error(
        |c| {
            no_kappa(c);
            set(c, "NPI", "tᶜs", json!([114]));
        },
        &["NPI.tᶜs[0]", "114", "a date outside the simulated range"],
    );
    config_error(
        |c| {
            no_kappa(c);
            c["NPI"] =
                json!({"κ₀s": [0.8, 0.5], "ϕs": [0.2, 0.2], "δs": [0.8, 0.8], "tᶜs": [50, 50]});
        },
        &["NPI.tᶜs[1]", "NPI.tᶜs[0]", "day 50"],
    );
}

#[test]
fn accepted_but_ignored_settings_and_warnings() {
    let mut cfg = base_config();
    set(&mut cfg, "NPI", "are_there_npi", json!(false));
    set(&mut cfg, "simulation", "save_time_step", Value::Null);
    set(
        &mut cfg,
        "simulation",
        "export_compartments_full",
        json!(true),
    );
    set(&mut cfg, "simulation", "scale_seeds", json!(2));
    cfg["simulation"]
        .as_object_mut()
        .unwrap()
        .remove("input_format");
    let tmp = tempfile::tempdir().unwrap();
    let p = write_json(tmp.path(), &cfg);
    let (setup, w) = load_episim(&p, &spain_dir(), &opts()).unwrap();
    assert_eq!(
        setup.containments.len(),
        77,
        "are_there_npi is ignored, as in EpiSim"
    );
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w.iter().any(|w| w.msg.contains("are_there_npi")));
    assert!(w.iter().any(|w| w.msg.contains("NetCDF")));
    let madrid = setup.seeds.iter().find(|s| s.patch == 27).unwrap();
    assert_eq!(
        madrid.counts,
        vec![12.0, 16.0, 72.0],
        "scale_seeds multiplies the seeds"
    );
}
