//! The scenarios TOML loader: the Spain example, and one clear error per
//! kind of bad input.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use didymos_core::Model;
use didymos_epi::mmca::{Direction, Intervention, MmcaModel};
use didymos_epi::scenarios::{load_scenarios, ParamOp, ScenarioFile};
use didymos_epi::spec::load_spec;

fn toy() -> MmcaModel {
    // 2020-02-09 … 2020-05-08.
    MmcaModel::new(toy3(90, config_epi(), vec![])).unwrap()
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("scenarios.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn load(text: &str) -> didymos_core::Result<ScenarioFile> {
    let dir = tempfile::tempdir().unwrap();
    load_scenarios(&write(dir.path(), text), &toy())
}

const GOOD: &str = r#"
[scenarios]
branch = "2020-03-01"
horizon = 2020-04-30
baseline = "base"

[[capacity]]
observable = "hospital_occupancy"
thresholds = { "A" = 25, "C" = 3.5 }

[[capacity]]
observable = "new_deaths"
threshold = 4

[[scenario]]
name = "base"

[[scenario]]
name = "all-in"
description = "everything at once"
[[scenario.intervention]]
type = "confinement"
from = "2020-03-05"
to = "2020-03-20"
kappa0 = 0.6
phi = 0.2
delta = 0.3
[[scenario.intervention]]
type = "mobility"
from = "2020-03-05"
to = "2020-03-20"
patches = ["B"]
direction = "inflow"
scale = 0.0
[[scenario.intervention]]
type = "mobility"
from = "2020-03-10"
to = "2020-03-25"
patches = ["A", "C"]
scale = 0.5
[[scenario.intervention]]
type = "contacts"
from = "2020-03-05"
to = "2020-04-30"
stratum = "Y"
scale = 0.5
[[scenario.intervention]]
type = "vaccination"
from = "2020-03-10"
to = "2020-04-10"
daily_share = 0.01
priority = ["O", "M"]
efficacy_infection = 0.6
efficacy_severe = 0.9
[[scenario.intervention]]
type = "parameter"
from = "2020-03-15"
name = "beta_scale"
factor = 1.5
"#;

#[test]
fn a_complete_file_loads() {
    let f = load(GOOD).unwrap();
    let model = toy();
    let day = |s: &str| model.calendar().day_of(date(s)) as usize;
    assert_eq!(f.branch_day(), Some(day("2020-03-01")));
    assert_eq!(f.horizon_day(), Some(day("2020-04-30")));
    assert_eq!(f.baseline, 0);
    assert_eq!(f.capacity.len(), 2);
    assert_eq!(f.capacity[0].observable, HOSPITAL_OCCUPANCY);
    assert_eq!(f.capacity[0].thresholds, vec![(0, 25.0), (2, 3.5)]);
    assert_eq!(f.capacity[1].thresholds, vec![(0, 4.0), (1, 4.0), (2, 4.0)]);
    let s = &f.scenarios[1];
    assert_eq!(s.interventions.len(), 5);
    assert_eq!(
        s.interventions[1],
        Intervention::Mobility {
            from: day("2020-03-05"),
            to: day("2020-03-20"),
            patches: vec![1],
            direction: Direction::Inflow,
            scale: 0.0
        }
    );
    assert_eq!(s.parameter_changes.len(), 1);
    let p = &s.parameter_changes[0];
    assert_eq!((p.day, p.op), (day("2020-03-15"), ParamOp::Factor(1.5)));
    assert_eq!(model.parameters().defs()[p.index].name, "beta_scale");
    // It builds and runs with the vaccinated layout.
    let m = model.with_interventions(&s.interventions, true).unwrap();
    let t = simulate(&m);
    let n0 = m.conserved_total(t.state(1)).unwrap();
    let n1 = m.conserved_total(t.state(90)).unwrap();
    assert!(((n1 - n0) / n0).abs() < 1e-12);
    assert!(f.check_window(day("2020-03-05"), day("2020-04-30")).is_ok());
    let e = f
        .check_window(day("2020-03-06"), 90)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("all-in") && e.contains("before the branch 2020-03-06"),
        "{e}"
    );
}

/// Each case: a replacement in GOOD (`$`: text appended to it) and what
/// the message must name.
#[test]
fn bad_input_gives_clear_errors() {
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("kappa0 = 0.6", "kapa0 = 0.6", vec!["kapa0", "did you mean `kappa0`", "line 25", "scenarios.toml"]),
        ("name = \"base\"", "nmae = \"base\"", vec!["nmae", "`name`"]),
        ("baseline = \"base\"", "baselin = \"base\"", vec!["baselin", "`baseline`"]),
        ("from = \"2020-03-05\"\nto = \"2020-03-20\"\nkappa0", "from = \"2020-02-20\"\nto = \"2020-03-20\"\nkappa0", vec!["all-in", "confinement", "before the branch 2020-03-01"]),
        ("to = \"2020-04-10\"", "to = \"2020-05-05\"", vec!["all-in", "vaccination", "after the horizon 2020-04-30"]),
        ("to = \"2020-04-10\"", "to = \"2020-06-05\"", vec!["all-in", "2020-06-05 is outside the simulated range", "to"]),
        ("patches = [\"B\"]", "patches = [\"Q\"]", vec!["all-in", "unknown patch `Q`", "patches[0]"]),
        ("stratum = \"Y\"", "stratum = \"Kids\"", vec!["all-in", "unknown stratum `Kids`", "Y, M, O"]),
        ("priority = [\"O\", \"M\"]", "priority = [\"O\", \"X\"]", vec!["unknown stratum `X`", "priority[1]"]),
        ("efficacy_infection = 0.6", "efficacy_infection = 1.2", vec!["all-in", "efficacy_infection", "[0, 1]"]),
        ("efficacy_severe = 0.9", "efficacy_severe = 0.5", vec!["all-in", "efficacy_severe", "below efficacy_infection"]),
        ("daily_share = 0.01", "daily_share = -0.01", vec!["daily_share", "[0, 1]"]),
        ("scale = 0.0", "scale = -0.5", vec!["all-in", "scale", "≥ 0"]),
        ("$", "[[scenario.intervention]]\ntype = \"confinement\"\nfrom = \"2020-03-18\"\nto = \"2020-03-22\"\nkappa0 = 0.9\nphi = 0.1\ndelta = 0.5", vec!["all-in", "confinement", "overlaps `scenario[1].intervention[0]`", "line 21"]),
        ("patches = [\"A\", \"C\"]", "patches = [\"A\", \"B\"]", vec!["all-in", "mobility", "overlaps `scenario[1].intervention[1]`", "shared patch"]),
        ("$", "[[scenario.intervention]]\ntype = \"contacts\"\nfrom = \"2020-04-20\"\nto = \"2020-04-22\"\nstratum = \"Y\"\nscale = 0.9", vec!["contacts", "overlaps `scenario[1].intervention[3]`", "same stratum"]),
        ("$", "[[scenario.intervention]]\ntype = \"vaccination\"\nfrom = \"2020-04-10\"\nto = \"2020-04-20\"\ndaily_share = 0.1\npriority = [\"Y\"]\nefficacy_infection = 0.6\nefficacy_severe = 0.9", vec!["vaccination", "overlaps `scenario[1].intervention[4]`"]),
        ("name = \"all-in\"", "name = \"base\"", vec!["duplicate scenario name `base`", "scenario 1"]),
        ("name = \"beta_scale\"", "name = \"beta_scal\"", vec!["all-in", "unknown parameter `beta_scal`", "`beta_scale`"]),
        ("factor = 1.5", "factor = 1.5\nvalue = 2.0", vec!["factor` or `value`"]),
        ("observable = \"new_deaths\"", "observable = \"hospital_occupation\"", vec!["unknown observable `hospital_occupation`", "`hospital_occupancy`"]),
        ("thresholds = { \"A\" = 25, \"C\" = 3.5 }", "thresholds = { \"A\" = 25, \"Z\" = 3.5 }", vec!["unknown patch `Z`", "capacity[0].thresholds.Z"]),
        ("type = \"contacts\"", "type = \"contact\"", vec!["unknown intervention type `contact`", "`contacts`"]),
        ("direction = \"inflow\"", "direction = \"in\"", vec!["unknown direction `in`"]),
        ("baseline = \"base\"", "baseline = \"bsae\"", vec!["no scenario is named `bsae`", "`base`"]),
        ("horizon = 2020-04-30", "horizon = 2020-02-20", vec!["horizon 2020-02-20 is before the branch 2020-03-01"]),
    ];
    for (from, to, needles) in cases {
        // `$`: append to the last scenario.
        let text = if from == "$" {
            format!("{GOOD}{to}\n")
        } else {
            assert!(GOOD.contains(from), "case `{from}` does not match the file");
            GOOD.replacen(from, to, 1)
        };
        let e = match load(&text) {
            Ok(_) => panic!("`{to}` was accepted"),
            Err(e) => e.to_string(),
        };
        eprintln!("{e}");
        for n in needles {
            assert!(e.contains(n), "`{to}`: message lacks `{n}`: {e}");
        }
    }
    for (text, needle) in [
        (
            "[scenarios]\nbranch = \"2020-03-01\"\n",
            "missing required key `scenario`",
        ),
        ("scenario = []", "at least one [[scenario]]"),
        ("[[scenario]]\nname = \" \"", "empty scenario name"),
        ("[[scenario]\nname = \"x\"", "invalid TOML"),
    ] {
        let e = load(text).unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
}

#[test]
fn spain_example_runs_its_three_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain");
    let (spec, _) = load_spec(&dir.join("twin.toml")).unwrap();
    let model = MmcaModel::new(spec.setup).unwrap();
    let f = load_scenarios(&dir.join("scenarios.toml"), &model).unwrap();
    assert_eq!(f.scenarios.len(), 3);
    assert_eq!(f.scenarios[f.baseline].name, "no-change");
    assert_eq!(f.capacity[0].thresholds.len(), 2);
    let (branch, horizon) = (f.branch_day().unwrap(), f.horizon_day().unwrap());
    let mut infections = Vec::new();
    for s in &f.scenarios {
        let m = model.with_interventions(&s.interventions, false).unwrap();
        let t = simulate_days(&m, horizon);
        let ar: f64 = t.obs[branch..]
            .iter()
            .map(|o| o.chunks(NO).map(|c| c[NEW_INFECTED]).sum::<f64>())
            .sum();
        infections.push(ar);
        eprintln!(
            "{}: {ar:.0} new symptomatic infections after the branch",
            s.name
        );
    }
    assert!(infections[1] < infections[0], "stricter confinement helps");
    assert!(
        infections[2] < infections[0],
        "cordon and school closure help"
    );
}
