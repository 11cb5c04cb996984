//! The native TOML twin spec: defaults, events, priors, and errors that
//! name the file, the line and the key path.

use std::path::{Path, PathBuf};

use didymos_core::Prior;
use didymos_epi::mmca::Containment;
use didymos_epi::spec::{load_spec, TwinSpec};

const DATA_FILES: [&str; 4] = [
    "metapopulation_data.csv",
    "R_mobility_matrix.csv",
    "A0_initial_conditions_seeds.csv",
    "kappa0_from_mitma.csv",
];

fn spain_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain")
}

fn demo_spec() -> String {
    std::fs::read_to_string(spain_dir().join("twin.toml")).unwrap()
}

/// Write `text` as twin.toml next to copies of the demo data files.
fn write_spec(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for f in DATA_FILES {
        std::fs::copy(spain_dir().join(f), dir.path().join(f)).unwrap();
    }
    let p = dir.path().join("twin.toml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn load(text: &str) -> TwinSpec {
    let (_dir, p) = write_spec(text);
    load_spec(&p).unwrap().0
}

/// Load an edited spec; the error must name twin.toml and every piece.
fn spec_error(text: &str, pieces: &[&str]) -> String {
    let (_dir, p) = write_spec(text);
    let msg = load_spec(&p).expect_err("expected an error").to_string();
    assert!(
        msg.contains("twin.toml"),
        "`{msg}` does not name the spec file"
    );
    for piece in pieces {
        assert!(msg.contains(piece), "`{msg}` does not mention `{piece}`");
    }
    msg
}

/// 1-based line of the first non-comment line containing `needle`.
fn line_of(text: &str, needle: &str) -> String {
    let n = text
        .lines()
        .position(|l| !l.trim_start().starts_with('#') && l.contains(needle))
        .unwrap()
        + 1;
    format!("line {n}")
}

/// The demo spec without its κ₀ series, plus `extra` appended.
fn spec_without_series(extra: &str) -> String {
    let s = demo_spec().replace("kappa0_file = \"kappa0_from_mitma.csv\"\n", "");
    format!("{s}\n{extra}")
}

#[test]
fn unknown_keys_name_line_path_and_suggestion() {
    let s = demo_spec().replace("beta_i = 0.0903", "beta_ii = 0.0903");
    spec_error(
        &s,
        &[
            &line_of(&s, "beta_ii"),
            "field `epidemic.beta_ii`",
            "did you mean `beta_i`",
        ],
    );
    let s = demo_spec().replace("[containment]", "[containmnet]");
    spec_error(
        &s,
        &[
            &line_of(&s, "[containmnet]"),
            "field `containmnet`",
            "did you mean `containment`",
        ],
    );
    let s = demo_spec().replace("normalise_mobility = false", "normalize_mobility = false");
    spec_error(
        &s,
        &[
            "field `data.normalize_mobility`",
            "did you mean `normalise_mobility`",
        ],
    );
}

#[test]
fn bad_values_name_line_and_path() {
    let s = demo_spec().replace("model = \"mmca\"", "model = \"sir\"");
    spec_error(
        &s,
        &[
            &line_of(&s, "model = \"sir\""),
            "field `twin.model`",
            "unknown model `sir`",
            "mmca",
        ],
    );
    let s = demo_spec().replace("k_home = [3.15, 3.17, 3.28]", "k_home = [3.15, 3.17]");
    spec_error(
        &s,
        &[
            &line_of(&s, "k_home ="),
            "field `population.k_home`",
            "expected 3 entries",
        ],
    );
    let s = demo_spec().replace("omega = [0.0, 0.04, 0.3]", "omega = [0.0, 0.04, 1.3]");
    spec_error(
        &s,
        &[
            &line_of(&s, "omega ="),
            "field `epidemic.omega[2]`",
            "[0, 1]",
        ],
    );
    let s = demo_spec().replace("format = \"parquet\"", "format = \"xlsx\"");
    spec_error(&s, &["field `output.format`", "parquet, csv"]);
    let s = demo_spec().replace("members = 1 ", "members = 0 ");
    spec_error(&s, &["field `ensemble.members`", "≥ 1"]);
    let s = demo_spec().replace("end = \"2020-05-31\"", "end = \"2020-01-31\"");
    spec_error(
        &s,
        &[
            &line_of(&s, "end = \"2020-01-31\""),
            "field `time.end`",
            "before the start",
        ],
    );
    // A TOML syntax error carries its line.
    let s = demo_spec().replace("xi = 0.01", "xi = = 0.01");
    spec_error(&s, &[&line_of(&s, "xi = ="), "invalid TOML"]);
}

#[test]
fn events_are_checked_and_merged_with_the_series() {
    // An event on a day the κ₀ series also covers: both sources named.
    let s = format!(
        "{}\n[[containment.event]]\ndate = \"2020-03-16\"\nkappa0 = 0.8\n",
        demo_spec()
    );
    spec_error(
        &s,
        &[
            "day 37",
            "kappa0_from_mitma.csv",
            "line 2",
            "containment.event[0].date",
        ],
    );
    // Outside the simulated range.
    let s = spec_without_series("[[containment.event]]\ndate = \"2020-06-01\"\nkappa0 = 0.8\n");
    spec_error(
        &s,
        &[
            &line_of(&s, "2020-06-01"),
            "containment.event[0].date",
            "outside the simulated range",
        ],
    );
    // Before the series starts: merged; ϕ/δ default to the section's.
    let s = format!(
        "{}\n[[containment.event]]\ndate = 2020-03-01\nkappa0 = 0.3\ndelta = 0.5\n",
        demo_spec()
    );
    let spec = load(&s);
    assert_eq!(spec.setup.containments.len(), 78);
    assert_eq!(spec.setup.containments.first_day(), Some(22));
    assert_eq!(
        spec.setup.containments.on(22).next(),
        Some(&Containment {
            kappa0: 0.3,
            phi: 0.2,
            delta: 0.5
        })
    );
    // Without a series and without section defaults, ϕ is required.
    let s = spec_without_series("").replace("phi = 0.2 ", "").replace(
        "[output]",
        "[[containment.event]]\ndate = \"2020-03-20\"\nkappa0 = 0.3\ndelta = 0.5\n\n[output]",
    );
    spec_error(&s, &["containment.event[0].phi", "missing required key"]);
}

#[test]
fn series_needs_phi_and_delta() {
    let s = demo_spec().replace("delta = 0.8 ", "");
    spec_error(&s, &["containment.delta", "missing required key"]);
}

#[test]
fn optional_sections_default() {
    let s = demo_spec();
    let cut = s.find("[containment]").unwrap();
    let spec = load(&s[..cut]);
    assert!(spec.setup.containments.is_empty());
    assert_eq!(
        (
            spec.members,
            spec.seed,
            spec.output_format.as_str(),
            spec.write_compartments
        ),
        (1, 0, "parquet", false)
    );
    assert!(spec.priors.is_empty());
    assert_eq!(spec.inputs.len(), 3);
    assert!(spec.spec_path.ends_with("twin.toml"));
}

#[test]
fn priors_are_parsed_and_validated() {
    let s = format!(
        "{}\n[priors]\nbeta_i = {{ dist = \"normal\", mean = 0.09, sd = 0.01 }}\n\n[priors.xi]\ndist = \"uniform\"\nlow = 0\nhigh = 0.1\n",
        demo_spec()
    );
    let spec = load(&s);
    assert_eq!(spec.priors.len(), 2);
    assert_eq!(spec.priors[0].0, "beta_i");
    assert_eq!(
        spec.priors[0].1,
        Prior::Normal {
            mean: 0.09,
            sd: 0.01
        }
    );
    assert_eq!(
        spec.priors[0].2.line.map(|l| format!("line {l}")),
        Some(line_of(&s, "beta_i = {"))
    );
    assert_eq!(
        spec.priors[1].1,
        Prior::Uniform {
            low: 0.0,
            high: 0.1
        }
    );

    let bad = format!(
        "{}\n[priors]\nbeta_i = {{ dist = \"normall\", mean = 0.09, sd = 0.01 }}\n",
        demo_spec()
    );
    spec_error(
        &bad,
        &[
            &line_of(&bad, "normall"),
            "field `priors.beta_i`",
            "normall",
        ],
    );
    let bad = format!(
        "{}\n[priors]\nbeta_i = {{ dist = \"normal\", mean = 0.09, sd = -1 }}\n",
        demo_spec()
    );
    spec_error(&bad, &["field `priors.beta_i`", "sd > 0"]);
}

#[test]
fn scale_beta_and_seed_scale() {
    let s = demo_spec()
        .replace("beta_a = 0.046053 ", "")
        .replace("# scale_beta = 0.51 ", "scale_beta = 0.51 ")
        .replace("seed_scale = 1.0 ", "seed_scale = 0.5 ");
    let spec = load(&s);
    assert_eq!(spec.setup.epi.beta_a, 0.51 * 0.0903);
    let madrid = spec.setup.seeds.iter().find(|x| x.patch == 27).unwrap();
    assert_eq!(madrid.counts, vec![3.0, 4.0, 18.0]);
    let s = demo_spec().replace("seed_scale = 1.0 ", "seed_scale = -1.0 ");
    spec_error(&s, &["field `data.seed_scale`", "> 0"]);
}

#[test]
fn assimilation_pooling_is_read_and_checked() {
    let section = "[assimilation]\nobservations = \"x.csv\"\nlog_beta_patch_sd = 0.005\nlog_beta_pooling = 0.1\n[[assimilation.stream]]\ncolumn = \"new_hospitalized\"\n";
    let spec = load(&format!("{}\n{section}", demo_spec()));
    assert_eq!(spec.assimilation.unwrap().log_beta_pooling, 0.1);
    let s = format!(
        "{}\n{}",
        demo_spec(),
        section.replace("log_beta_pooling = 0.1", "log_beta_pooling = 1.0")
    );
    spec_error(
        &s,
        &[
            &line_of(&s, "log_beta_pooling"),
            "assimilation.log_beta_pooling",
            "[0, 1)",
        ],
    );
}

#[test]
fn binomial_chain_is_read_and_checked() {
    let section = "[assimilation]\nobservations = \"x.csv\"\nbinomial_chain = true\n[[assimilation.stream]]\ncolumn = \"new_hospitalized\"\n";
    let spec = load(&format!("{}\n{section}", demo_spec()));
    assert!(spec.assimilation.unwrap().binomial_chain);
    let without = section.replace("binomial_chain = true\n", "");
    let spec = load(&format!("{}\n{without}", demo_spec()));
    assert!(!spec.assimilation.unwrap().binomial_chain);
    let s = format!(
        "{}\n{}",
        demo_spec(),
        section.replace("binomial_chain = true", "binomial_chain = \"yes\"")
    );
    spec_error(
        &s,
        &[
            &line_of(&s, "binomial_chain"),
            "assimilation.binomial_chain",
        ],
    );
}

#[test]
fn log_infected_sd_is_read_and_checked() {
    let section = "[assimilation]\nobservations = \"x.csv\"\nlog_infected_sd = 0.15\n[[assimilation.stream]]\ncolumn = \"new_hospitalized\"\n";
    let spec = load(&format!("{}\n{section}", demo_spec()));
    assert_eq!(spec.assimilation.unwrap().log_infected_sd, 0.15);
    let s = format!("{}\n{}", demo_spec(), section.replace("0.15", "-0.1"));
    spec_error(
        &s,
        &[
            &line_of(&s, "log_infected_sd"),
            "assimilation.log_infected_sd",
            "[0, 2]",
        ],
    );
}

/// The stream's noise and delay families: negative binomial, Gaussian on
/// log counts or Poisson; a discretised gamma or lognormal delay.
#[test]
fn stream_noise_and_delay_families_are_read_and_checked() {
    use didymos_core::observation::{Delay, Noise};
    let section = |stream: &str| {
        format!(
            "{}\n[assimilation]\nobservations = \"x.csv\"\n[[assimilation.stream]]\ncolumn = \"new_hospitalized\"\n{stream}\n",
            demo_spec()
        )
    };
    let stream_of = |text: &str| load(text).assimilation.unwrap().streams.remove(0);
    let s = stream_of(&section("log_sd = 0.3\ndelay_mean = 5.0\ndelay_sd = 3.0\ndelay_max = 20\ndelay_dist = \"lognormal\""));
    assert_eq!(s.noise, Noise::LogNormal { sd: 0.3 });
    assert_eq!(s.delay, Delay::discretised_lognormal(5.0, 3.0, 20).unwrap());
    assert_ne!(s.delay, Delay::discretised_gamma(5.0, 3.0, 20).unwrap());
    let s = stream_of(&section(
        "dispersion = 10.0\ndelay_mean = 5.0\ndelay_sd = 3.0\ndelay_max = 20",
    ));
    assert_eq!(s.noise, Noise::NegBinomial { dispersion: 10.0 });
    assert_eq!(s.delay, Delay::discretised_gamma(5.0, 3.0, 20).unwrap());
    assert_eq!(stream_of(&section("")).noise, Noise::Poisson);

    let both = section("dispersion = 10.0\nlog_sd = 0.3");
    spec_error(&both, &[&line_of(&both, "log_sd"), "not both"]);
    let bad = section("delay_mean = 5.0\ndelay_sd = 3.0\ndelay_dist = \"weibull\"");
    spec_error(
        &bad,
        &[
            &line_of(&bad, "delay_dist"),
            "`weibull`",
            "gamma, lognormal",
        ],
    );
    let alone = section("delay_dist = \"lognormal\"");
    spec_error(&alone, &[&line_of(&alone, "delay_dist"), "delay_mean"]);
    let negative = section("log_sd = -1.0");
    spec_error(&negative, &[&line_of(&negative, "log_sd")]);
}
