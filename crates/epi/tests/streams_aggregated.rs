//! Streams reported at coarser locations than the model's units, through a
//! `unit,location` lookup: the 52 provinces' twin fitted to hospitalisations
//! summed per autonomous community (CCAA), as a 2,850-zone twin would be
//! fitted to provincial data. Also dated ascertainment in the spec.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use didymos_core::observation::Aggregation;
use didymos_core::observation::StrataMode;
use didymos_core::Model;
use didymos_epi::twin::{load_twin, LoadedTwin};

fn spain() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain")
}

/// The bundled lookup is checked against an independent file: the CCAA
/// populations of episim-models' CCAA twin equal the sums of its province
/// populations under the lookup, to the person.
#[test]
fn province_to_ccaa_lookup_matches_the_ccaa_populations() {
    let read = |name: &str| -> Vec<(String, f64)> {
        let mut r = csv::Reader::from_path(spain().join(name)).unwrap();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[0].to_string(), rec[5].parse().unwrap())
            })
            .collect()
    };
    let provinces = read("metapopulation_data.csv");
    let units: Vec<String> = provinces.iter().map(|p| p.0.clone()).collect();
    let agg = Aggregation::from_csv(
        &spain().join("province_to_ccaa.csv"),
        &units,
        1,
        StrataMode::AllStrata,
    )
    .unwrap();
    assert_eq!(agg.len(), 19, "19 CCAA (17 communities, Ceuta, Melilla)");
    let pop: Vec<f64> = provinces.iter().map(|p| p.1).collect();
    let summed: HashMap<&str, f64> = agg
        .locations()
        .iter()
        .zip(agg.cells())
        .map(|(l, cells)| (l.location.as_str(), cells.iter().map(|&c| pop[c]).sum()))
        .collect();
    let ccaa = read("ccaa_metapopulation_data.csv");
    assert_eq!(ccaa.len(), 19);
    for (id, total) in ccaa {
        assert_eq!(summed[id.as_str()], total, "CCAA {id}");
    }
}

/// A temporary copy of the 2020 twin: same data files, a shorter calendar,
/// `extra` appended to `[assimilation]`'s stream, observations from `obs`.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(end: &str, stream_extra: &str, assim_extra: &str, obs: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "metapopulation_data.csv",
            "R_mobility_matrix.csv",
            "A0_initial_conditions_seeds.csv",
            "kappa0_from_mitma.csv",
            "province_to_ccaa.csv",
        ] {
            std::fs::copy(spain().join(f), dir.path().join(f)).unwrap();
        }
        let text = std::fs::read_to_string(spain().join("twin-2020.toml")).unwrap();
        // These observation files hold admissions only: no leading column.
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("leading_column"))
            .map(|l| format!("{l}\n"))
            .collect();
        let text = text
            .replace("end = \"2020-12-31\"", &format!("end = \"{end}\""))
            .replace(
                "observations = \"spain_provinces_covid19_daily_by_age_2020.csv\"",
                "observations = \"obs.csv\"",
            )
            .replace(
                "[assimilation]\n",
                &format!("[assimilation]\n{assim_extra}\n"),
            )
            .replace(
                "delay_max = 14\n",
                &format!("delay_max = 14\n{stream_extra}\n"),
            );
        std::fs::write(dir.path().join("twin.toml"), text).unwrap();
        std::fs::write(dir.path().join("obs.csv"), obs).unwrap();
        Case { dir }
    }
    /// Change settings of the spec (each line `key = …` must exist).
    fn set(&self, settings: &[(&str, &str)]) {
        let path = self.dir.path().join("twin.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (key, value) in settings {
            text = didymos_spec::with_setting(&text, key, value).unwrap();
        }
        std::fs::write(&path, text).unwrap();
    }
    fn twin(&self) -> didymos_core::Result<LoadedTwin> {
        load_twin(&self.dir.path().join("twin.toml"), None)
    }
}

/// The EAKF's settings (the spec's documented alternative), for the tests
/// of its localisation.
const EAKF: [(&str, &str); 6] = [
    ("filter", "\"eakf\""),
    ("members", "300"),
    ("log_beta_patch_sd", "0.005"),
    ("log_beta_pooling", "0.1"),
    ("log_beta_sd", "0.03"),
    ("log_infected_sd", "0.0"),
];

/// Real 2020 hospitalisations per (date, location, age group), with
/// provinces mapped through `map` (summed) and only locations in `keep`.
fn observations(map: &dyn Fn(&str) -> String, keep: &dyn Fn(&str) -> bool) -> String {
    let mut r =
        csv::Reader::from_path(spain().join("spain_provinces_covid19_daily_by_age_2020.csv"))
            .unwrap();
    let mut sums: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let loc = map(&rec[1]);
        if !keep(&loc) {
            continue;
        }
        let v: f64 = rec[4].parse().unwrap();
        *sums
            .entry((rec[0].to_string(), loc, rec[2].to_string()))
            .or_default() += v;
    }
    let mut out = String::from("date,province_ine,age_group,new_hospitalized\n");
    for ((d, l, g), v) in sums {
        out.push_str(&format!("{d},{l},{g},{v}\n"));
    }
    out
}

fn ccaa_of() -> HashMap<String, String> {
    let mut r = csv::Reader::from_path(spain().join("province_to_ccaa.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string())
        })
        .collect()
}

/// Runs the spec's filter over the whole calendar with `members` members.
fn posterior(twin: &LoadedTwin, members: usize) -> (Vec<f64>, Vec<f64>) {
    let data = twin.streams(None).unwrap();
    let mut f = twin.filter(&data, members, 7).unwrap();
    f.advance_to(twin.model.calendar().n_days()).unwrap();
    let e = f.ensemble();
    (e.flat_params().to_vec(), e.flat_states().to_vec())
}

#[test]
fn a_lookup_of_each_unit_to_itself_changes_nothing() {
    let obs = observations(&|p| p.to_string(), &|_| true);
    let identity: String = std::iter::once("unit,location\n".to_string())
        .chain(ccaa_of().keys().map(|p| format!("{p},{p}\n")))
        .collect();
    let plain = Case::new("2020-04-10", "", "", &obs);
    let looked_up = Case::new("2020-04-10", "aggregation = \"identity.csv\"", "", &obs);
    std::fs::write(looked_up.dir.path().join("identity.csv"), identity).unwrap();
    let a = posterior(&plain.twin().unwrap(), 24);
    let b = posterior(&looked_up.twin().unwrap(), 24);
    assert!(a == b, "same ensemble, bit for bit");
}

#[test]
fn a_community_observation_updates_its_provinces_and_no_others() {
    // Without pooling, a province's multiplier moves only by its own walk
    // and by the filter's updates, so provinces outside the observed
    // community must keep their open-loop multipliers exactly.
    let ccaa = ccaa_of();
    let catalonia = ["08", "17", "25", "43"];
    let obs = observations(&|p| ccaa[p].clone(), &|c| c == "09");
    let no_pooling = |case: &Case| {
        case.set(&EAKF);
        case.set(&[("log_beta_pooling", "0.0")]);
    };
    let fitted = Case::new(
        "2020-04-10",
        "aggregation = \"province_to_ccaa.csv\"",
        "",
        &obs,
    );
    no_pooling(&fitted);
    let twin = fitted.twin().unwrap();
    let data = twin.streams(None).unwrap();
    assert_eq!(data.streams()[0].aggregation.len(), 19);
    assert!(data.days().count() > 30, "CCAA 09 has data from March");
    let (fit, _) = posterior(&twin, 24);
    // Open loop: the same twin with no observation inside its calendar.
    let empty = Case::new(
        "2020-04-10",
        "aggregation = \"province_to_ccaa.csv\"",
        "",
        "date,province_ine,age_group,new_hospitalized\n2021-01-01,09,Y,1\n",
    );
    no_pooling(&empty);
    let (open, _) = posterior(&empty.twin().unwrap(), 24);
    let first = twin.model.first_patch_scale();
    let n_params = twin.model.parameters().len();
    let units = &twin.model.layout().units;
    let mut moved = 0;
    for m in 0..24 {
        for (u, unit) in units.iter().enumerate() {
            let k = m * n_params + first + u;
            if catalonia.contains(&unit.as_str()) {
                moved += usize::from(fit[k] != open[k]);
            } else {
                assert_eq!(fit[k], open[k], "member {m}, province {unit}");
            }
        }
    }
    assert_eq!(moved, 24 * 4, "every Catalan multiplier was updated");
}

#[test]
fn community_observations_are_fitted_and_forecast_per_community() {
    let ccaa = ccaa_of();
    let obs = observations(&|p| ccaa[p].clone(), &|_| true);
    let case = Case::new(
        "2020-04-30",
        "aggregation = \"province_to_ccaa.csv\"",
        "",
        &obs,
    );
    case.set(&EAKF);
    let twin = case.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let stream = &data.streams()[0];
    let names: Vec<&str> = stream
        .aggregation
        .locations()
        .iter()
        .map(|l| l.location.as_str())
        .collect();
    assert_eq!(names.len(), 19);
    assert_eq!(names[0], "01");
    assert_eq!(names[18], "19");
    // The lookup is an input of the twin (recorded in PROV, checked on rerun).
    assert!(
        twin.spec
            .inputs
            .iter()
            .any(|p| p.ends_with("province_to_ccaa.csv")),
        "{:?}",
        twin.spec.inputs
    );
    // The fit follows the data: over the last week, the ensemble's mean
    // 1-day-ahead prediction of Madrid's (CCAA 13) admissions is within a
    // factor 2 of what was reported, where the open loop is far off.
    let mut f = twin.filter(&data, 24, 7).unwrap();
    let n = twin.model.calendar().n_days();
    f.advance_to(n).unwrap();
    let madrid = names.iter().position(|l| *l == "13").unwrap();
    // History rows keep only the observables the streams read (admissions).
    assert_eq!(f.history().n_obs(), 52 * 3);
    let expected = (0..24)
        .map(|m| data.expected_at(0, n, madrid, &f.history().rows(m)))
        .sum::<f64>()
        / 24.0;
    let observed = stream.data[&n][madrid].unwrap();
    assert!(
        expected > observed / 2.0 && expected < observed * 2.0,
        "Madrid on the last day: predicted {expected}, reported {observed}"
    );
    // The same members with no data inside the calendar (the open loop).
    let empty = Case::new(
        "2020-04-30",
        "aggregation = \"province_to_ccaa.csv\"",
        "",
        "date,province_ine,age_group,new_hospitalized\n2021-01-01,13,Y,1\n",
    );
    empty.set(&EAKF);
    let open_twin = empty.twin().unwrap();
    let open_data = open_twin.streams(None).unwrap();
    let mut open = open_twin.filter(&open_data, 24, 7).unwrap();
    open.advance_to(n).unwrap();
    let open_expected = (0..24)
        .map(|m| open_data.expected_at(0, n, madrid, &open.history().rows(m)))
        .sum::<f64>()
        / 24.0;
    assert!(
        !(open_expected > observed / 2.0 && open_expected < observed * 2.0),
        "the open loop predicts {open_expected}: this check would not see a broken fit"
    );
}

#[test]
fn observations_at_a_location_outside_the_lookup_are_an_error() {
    let obs =
        "date,province_ine,age_group,new_hospitalized\n2020-03-01,09,Y,1\n2020-03-01,28,Y,2\n";
    let case = Case::new(
        "2020-04-10",
        "aggregation = \"province_to_ccaa.csv\"",
        "",
        obs,
    );
    let err = case
        .twin()
        .err()
        .expect("28 is a province, not a CCAA")
        .to_string();
    assert!(err.contains("obs.csv"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("`28`"), "{err}");
}

#[test]
fn a_lookup_naming_an_unknown_unit_is_an_error_with_its_line() {
    let obs = observations(&|p| p.to_string(), &|p| p == "28");
    let case = Case::new("2020-04-10", "aggregation = \"bad.csv\"", "", &obs);
    std::fs::write(
        case.dir.path().join("bad.csv"),
        "unit,location\n28,13\n99,13\n",
    )
    .unwrap();
    let err = case.twin().err().expect("99 is no province").to_string();
    assert!(err.contains("bad.csv"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("`99`"), "{err}");
}

#[test]
fn dated_ascertainment_holds_from_each_date_on() {
    let obs = observations(&|p| p.to_string(), &|p| p == "28");
    let asc =
        "ascertainment = [{ from = 2020-01-01, value = 2.0 }, { from = 2020-03-01, value = 4.0 }]";
    let case = Case::new("2020-04-10", "", "", &obs);
    let path = case.dir.path().join("twin.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("ascertainment = 3.0", asc);
    std::fs::write(&path, &text).unwrap();
    let twin = case.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let a = &data.streams()[0].ascertainment;
    let day = |d: &str| twin.model.calendar().day_of(d.parse().unwrap()) as usize;
    assert_eq!(a.at(1), 2.0, "a date before the calendar holds from day 1");
    assert_eq!(a.at(day("2020-02-29")), 2.0);
    assert_eq!(a.at(day("2020-03-01")), 4.0);
    assert_eq!(a.at(day("2020-04-10")), 4.0);
    // Dates must increase, and the error says where.
    std::fs::write(&path, text.replace("2020-03-01", "2019-12-01")).unwrap();
    let err = case.twin().err().unwrap().to_string();
    assert!(err.contains("twin.toml"), "{err}");
    assert!(err.contains("dates must increase"), "{err}");
    assert!(err.contains("ascertainment"), "{err}");
}

#[test]
fn the_block_filter_resamples_only_the_observed_community() {
    // A stream reported per community makes one block per community (its
    // provinces together). Only Catalonia has data, so only its block is
    // ever resampled. Without pooling, every other province's multiplier
    // and the national one (in no block) follow their own walks exactly as
    // in an open-loop run, while the Catalan ones are selected by the data.
    let ccaa = ccaa_of();
    let obs = observations(&|p| ccaa[p].clone(), &|c| c == "09");
    let spec = |case: &Case| case.set(&[("filter", "\"block-pf\""), ("log_beta_pooling", "0.0")]);
    let agg = "aggregation = \"province_to_ccaa.csv\"";
    let fitted = Case::new("2020-04-10", agg, "", &obs);
    spec(&fitted);
    let twin = fitted.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let blocks = didymos_epi::filtering::mmca_blocks(&twin.model, &data).unwrap();
    assert_eq!(blocks.len(), 19);
    assert!(blocks.names().iter().any(|b| b == "08+17+25+43"));
    assert!(
        blocks.names().iter().any(|b| b == "28"),
        "Madrid is a community alone"
    );
    let (fit, _) = posterior(&twin, 40);
    let empty = Case::new(
        "2020-04-10",
        agg,
        "",
        "date,province_ine,age_group,new_hospitalized\n2021-01-01,09,Y,1\n",
    );
    spec(&empty);
    let (open, _) = posterior(&empty.twin().unwrap(), 40);
    let first = twin.model.first_patch_scale();
    let n_params = twin.model.parameters().len();
    let units = &twin.model.layout().units;
    let catalan: Vec<usize> = ["08", "17", "25", "43"]
        .iter()
        .map(|c| units.iter().position(|u| u == c).unwrap())
        .collect();
    let mut selected = 0;
    for m in 0..40 {
        let row = &fit[m * n_params..(m + 1) * n_params];
        let open_row = &open[m * n_params..(m + 1) * n_params];
        for k in 0..first {
            assert_eq!(
                row[k], open_row[k],
                "member {m}: parameter {k} is in no block"
            );
        }
        for u in (0..units.len()).filter(|u| !catalan.contains(u)) {
            assert_eq!(
                row[first + u],
                open_row[first + u],
                "member {m}, {}",
                units[u]
            );
        }
        selected += usize::from(
            catalan
                .iter()
                .any(|&u| row[first + u] != open_row[first + u]),
        );
    }
    assert!(
        selected >= 30,
        "{selected} of 40 members took another's Catalonia"
    );
}

/// `leading_column` names a column the stream follows (not fitted): the
/// twin reads it into a stream at the same locations, and a column the file
/// lacks is an error that names it and the file.
#[test]
fn a_leading_column_is_read_at_the_streams_locations() {
    let obs = "date,province_ine,age_group,new_hospitalized,new_cases\n\
               2020-03-01,28,Y,1,10\n2020-03-01,28,M,2,20\n2020-03-01,28,O,3,30\n\
               2020-03-01,08,Y,0,4\n2020-03-01,08,M,1,5\n2020-03-01,08,O,2,6\n";
    let case = Case::new("2020-04-10", "leading_column = \"new_cases\"", "", obs);
    let twin = case.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let leading = twin.leading_streams(None).unwrap();
    assert_eq!(leading.len(), 1);
    let lead = leading[0].as_ref().expect("a leading stream");
    assert_eq!(lead.name, "new_cases");
    let target = &data.streams()[0];
    assert_eq!(lead.aggregation.locations(), target.aggregation.locations());
    let day = twin.model.calendar().day_of("2020-03-01".parse().unwrap()) as usize;
    let at = |s: &didymos_core::observation::Stream, loc: &str| {
        let i = s
            .aggregation
            .locations()
            .iter()
            .position(|l| l.location == loc)
            .unwrap();
        s.data[&day][i]
    };
    assert_eq!(
        at(lead, "28"),
        Some(60.0),
        "the strata summed, as the target's"
    );
    assert_eq!(at(target, "28"), Some(6.0));
    assert_eq!(at(lead, "08"), Some(15.0));
    // Nothing after a cutoff, as for the fitted streams.
    let cut = twin
        .leading_streams(Some("2020-02-29".parse().unwrap()))
        .unwrap();
    assert!(!cut[0].as_ref().unwrap().data.contains_key(&day));

    let bad = Case::new("2020-04-10", "leading_column = \"new_casez\"", "", obs);
    let err = bad.twin().err().expect("unknown column").to_string();
    assert!(
        err.contains("obs.csv") && err.contains("new_casez"),
        "{err}"
    );
}

/// `[assimilation.companions]` sets the statistical companions' trend;
/// left out, the defaults; a bad value is an error naming the key.
#[test]
fn the_companions_settings_are_read_and_checked() {
    let obs = "date,province_ine,age_group,new_hospitalized\n2020-03-01,28,Y,1\n";
    let case = Case::new("2020-04-10", "", "", obs);
    assert_eq!(
        case.twin().unwrap().assim.companions,
        didymos_twin::companions::TrendOptions::default()
    );
    let path = case.dir.path().join("twin.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    let with = |table: &str| {
        std::fs::write(
            &path,
            format!("{base}\n[assimilation.companions]\n{table}\n"),
        )
        .unwrap();
        case.twin()
    };
    let c = with("damping = 0.25\nwindow = 4\nmin_sd = 0.1")
        .unwrap()
        .assim
        .companions;
    assert_eq!((c.damping, c.window, c.min_sd), (0.25, 4, 0.1));
    for (table, key) in [
        ("damping = 1.5", "damping"),
        ("window = 0", "window"),
        ("min_sd = -0.1", "min_sd"),
        ("dampng = 0.5", "dampng"),
    ] {
        let err = with(table).err().expect(table).to_string();
        assert!(
            err.contains(key) && err.contains("twin.toml"),
            "{table}: {err}"
        );
    }
}

#[test]
fn a_weekday_effect_scales_each_days_expected_value() {
    let obs = observations(&|p| p.to_string(), &|p| p == "28");
    let case = Case::new("2020-04-10", "", "", &obs);
    let twin = case.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let stream = &data.streams()[0];
    let w = stream.weekday.as_ref().expect("the demo spec has one");
    // Scaled to average 1, Sunday first.
    let raw = [0.763, 1.13, 1.097, 1.061, 1.073, 1.033, 0.844];
    let mean = raw.iter().sum::<f64>() / 7.0;
    for (a, r) in w.factors().iter().zip(raw) {
        assert!((a - r / mean).abs() < 1e-12, "{a} vs {r}/{mean}");
    }
    let cal = *twin.model.calendar();
    let day = |d: &str| cal.day_of(d.parse().unwrap()) as usize;
    // 2020-03-01 was a Sunday, 03-07 a Saturday.
    assert_eq!(w.at(day("2020-03-01")), w.factors()[0]);
    assert_eq!(w.at(day("2020-03-02")), w.factors()[1]);
    assert_eq!(w.at(day("2020-03-07")), w.factors()[6]);
    // The same model history reported on a Sunday and on a Monday.
    let n_obs = twin.model.observables().len();
    let layout = twin.model.layout();
    let row: Vec<f64> = (0..layout.units.len() * layout.strata.len() * n_obs)
        .map(|i| 1.0 + (i % 7) as f64)
        .collect();
    let history: Vec<&[f64]> = (0..20).map(|_| row.as_slice()).collect();
    let on = |d: &str| stream.expected_at(day(d), 0, &history, n_obs);
    let ratio = on("2020-03-01") / on("2020-03-02");
    assert!((ratio - raw[0] / raw[1]).abs() < 1e-12, "{ratio}");
    // A week of days sums to seven days without the effect.
    let week: f64 = (1..=7).map(|k| on(&format!("2020-03-0{k}"))).sum();
    let plain = stream.clone().with_weekday(None);
    let flat = 7.0 * plain.expected_at(day("2020-03-01"), 0, &history, n_obs);
    assert!((week / flat - 1.0).abs() < 1e-12, "{week} vs {flat}");

    // Seven positive factors, or an error naming the key.
    for (bad, says) in [
        ("[1, 1, 1, 1, 1, 1]", "seven factors"),
        (
            "[1, 1, 1, 0, 1, 1, 1]",
            "weekday_effect[3]`: expected a number > 0",
        ),
    ] {
        case.set(&[("weekday_effect", bad)]);
        let err = case.twin().err().expect(bad).to_string();
        assert!(err.contains("twin.toml"), "{err}");
        assert!(err.contains("weekday_effect"), "{err}");
        assert!(err.contains(says), "{bad}: {err}");
    }
}

/// The streams as built read only admissions, so filters keep a quarter of
/// each observables row; the same streams over whole rows must give the
/// same numbers, bit for bit, for both filter kinds, and a checkpoint
/// written with whole rows (as before histories were narrowed) resumes
/// into the narrow run exactly.
#[test]
fn narrow_histories_change_no_number() {
    use didymos_core::observation::StreamSet;
    let obs = observations(&|p| p.to_string(), &|_| true);
    for eakf in [false, true] {
        let case = Case::new("2020-04-10", "", "", &obs);
        if eakf {
            case.set(&EAKF);
        }
        let twin = case.twin().unwrap();
        let narrow = twin.streams(None).unwrap();
        let layout = twin.model.layout();
        let n_obs = twin.model.observables().len();
        let whole = StreamSet::new(
            narrow.streams().to_vec(),
            layout.units.len(),
            layout.strata.len(),
            n_obs,
        )
        .unwrap();
        assert_eq!(didymos_core::DataModel::history_columns(&whole), None);
        assert_eq!(
            didymos_core::DataModel::history_columns(&narrow).map(<[usize]>::len),
            Some(layout.units.len() * layout.strata.len())
        );
        let n = twin.model.calendar().n_days();
        let run = |data: &StreamSet| {
            let mut f = twin.filter(data, 24, 7).unwrap();
            f.advance_to(n).unwrap();
            let e = f.ensemble();
            (
                e.flat_params().to_vec(),
                e.flat_states().to_vec(),
                f.log_lik(),
                f.history().n_obs(),
            )
        };
        let (a, b) = (run(&narrow), run(&whole));
        assert_eq!(a.3 * n_obs, b.3, "eakf {eakf}: a quarter of the width");
        assert!(
            a.0 == b.0 && a.1 == b.1 && a.2 == b.2,
            "eakf {eakf}: same numbers"
        );

        // Half way with whole rows, saved; resumed with the narrow streams.
        let mut f = twin.filter(&whole, 24, 7).unwrap();
        f.advance_to(n / 2).unwrap();
        let path = case.dir.path().join("whole.ck");
        didymos_twin::checkpoint::save(&path, &f, serde_json::json!({})).unwrap();
        let (mut g, _) = didymos_twin::checkpoint::resume(
            &path,
            &twin.model,
            &narrow,
            twin.pf_options(&narrow).unwrap(),
            twin.eakf_options(&narrow),
        )
        .unwrap();
        assert_eq!(g.history().n_obs(), a.3);
        g.advance_to(n).unwrap();
        assert!(
            g.ensemble().flat_states() == a.1.as_slice() && g.log_lik() == a.2,
            "eakf {eakf}: an old checkpoint resumes into the same run"
        );
        // A narrow history cannot serve streams that read whole rows.
        didymos_twin::checkpoint::save(&path, &g, serde_json::json!({})).unwrap();
        let err = didymos_twin::checkpoint::resume(
            &path,
            &twin.model,
            &whole,
            twin.pf_options(&whole).unwrap(),
            twin.eakf_options(&whole),
        )
        .err()
        .expect("a narrow history for whole rows")
        .to_string();
        assert!(err.contains("values per row"), "{err}");
    }
}

/// `weekday_effect = "estimate"` on the real record: the weekend dip is
/// found from the days before each date, close to the pattern the demo
/// spec gives (the national one of 2020-03-01 … 05-30), and a set cut at
/// a date has the factors the whole record's set gives a forecast from it.
#[test]
fn an_estimated_weekday_effect_follows_the_real_record() {
    let obs = observations(&|p| p.to_string(), &|_| true);
    let case = Case::new("2020-12-31", "", "", &obs);
    case.set(&[("weekday_effect", "\"estimate\"")]);
    let twin = case.twin().unwrap();
    let cal = *twin.model.calendar();
    let day = |d: &str| cal.day_of(d.parse().unwrap()) as usize;
    let data = twin.streams(None).unwrap();
    let w = data.streams()[0].weekday.as_ref().expect("estimated");
    assert!(w.is_estimated());
    // No admissions in the window yet: no pattern.
    assert_eq!(w.factors_on(day("2020-02-20")), &[1.0; 7]);
    let given = [0.763, 1.13, 1.097, 1.061, 1.073, 1.033, 0.844];
    let mean = given.iter().sum::<f64>() / 7.0;
    let june = w.factors_on(day("2020-06-01"));
    for (a, g) in june.iter().zip(given) {
        assert!((a - g / mean).abs() < 0.1, "{june:?} vs {given:?}");
    }
    let autumn = w.factors_on(day("2020-12-15"));
    assert!(autumn[0] < 0.9 && autumn[6] < 0.95, "{autumn:?}");
    assert!(autumn[1..6].iter().all(|f| *f > 1.0), "{autumn:?}");

    let origin = "2020-10-01";
    let cut = twin.streams(Some(origin.parse().unwrap())).unwrap();
    let cut_w = cut.streams()[0].weekday.as_ref().unwrap();
    for d in 1..=day(origin) + 1 {
        assert_eq!(cut_w.factors_on(d), w.factors_on(d), "day {d}");
    }
    let as_of = data.as_of(day(origin));
    assert_eq!(as_of.streams()[0].weekday.as_ref(), Some(cut_w));
    assert_ne!(
        w.factors_on(day("2020-11-01")),
        cut_w.factors_on(day("2020-11-01"))
    );
}

#[test]
fn a_bad_weekday_estimate_setting_is_an_error_naming_the_key() {
    let obs = observations(&|p| p.to_string(), &|p| p == "28");
    for (effect, window, says) in [
        ("\"estimated\"", "", "or \"estimate\"; found \"estimated\""),
        ("\"estimate\"", "weekday_window_weeks = 1", "2 to 104"),
        (
            "\"estimate\"",
            "weekday_window_weeks = 8.5",
            "weekday_window_weeks",
        ),
        (
            "[1, 1, 1, 1, 1, 1, 1]",
            "weekday_window_weeks = 8",
            "applies to weekday_effect = \"estimate\" only",
        ),
    ] {
        let case = Case::new("2020-04-10", window, "", &obs);
        case.set(&[("weekday_effect", effect)]);
        let err = case.twin().err().expect(effect).to_string();
        assert!(err.contains("twin.toml"), "{err}");
        assert!(err.contains(says), "{effect} {window}: {err}");
    }
    // The window alone, with no weekday effect at all.
    let text = std::fs::read_to_string(spain().join("twin-2020.toml")).unwrap();
    assert!(text.contains("weekday_effect = ["));
    let case = Case::new("2020-04-10", "weekday_window_weeks = 8", "", &obs);
    let path = case.dir.path().join("twin.toml");
    let without: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("weekday_effect"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, without).unwrap();
    let err = case.twin().err().expect("window alone").to_string();
    assert!(err.contains("needs weekday_effect = \"estimate\""), "{err}");
}

/// Named days give the same factors as the Sunday-first list; a day that
/// is not one is refused with the closest name.
#[test]
fn weekday_factors_may_name_their_days() {
    let obs = observations(&|p| p.to_string(), &|p| p == "28");
    let case = Case::new("2020-04-10", "", "", &obs);
    let listed = case.twin().unwrap().streams(None).unwrap().streams()[0]
        .weekday
        .clone();
    case.set(&[(
        "weekday_effect",
        "{ mon = 1.13, tue = 1.097, wed = 1.061, thu = 1.073, fri = 1.033, sat = 0.844, sun = 0.763 }",
    )]);
    let named = case.twin().unwrap().streams(None).unwrap().streams()[0]
        .weekday
        .clone();
    assert!(listed.is_some());
    assert_eq!(named, listed);
    for (bad, says) in [
        (
            "{ sun = 1, mon = 1, tue = 1, wed = 1, thur = 1, fri = 1, sat = 1 }",
            "did you mean `thu`",
        ),
        (
            "{ sun = 1, mon = 1, tue = 1, wed = 1, thu = 1, fri = 1 }",
            "missing required key `sat`",
        ),
    ] {
        case.set(&[("weekday_effect", bad)]);
        let err = case.twin().err().expect(bad).to_string();
        assert!(err.contains("weekday_effect"), "{err}");
        assert!(err.contains(says), "{bad}: {err}");
    }
}

/// `learn` names the parameters the particle filters learn online (Liu–
/// West); names are checked against the model where the spec gives them,
/// and a block filter learns only what one province's data select.
#[test]
fn learned_parameters_are_named_in_the_spec() {
    let obs = observations(&|p| p.to_string(), &|p| p == "28");
    let case = Case::new(
        "2020-04-10",
        "",
        "learn = [\"beta_scale.*\", \"beta_i\"]",
        &obs,
    );
    case.set(&[("filter", "\"pf\"")]);
    let twin = case.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let learn = twin.pf_options(&data).unwrap().learn.expect("learning");
    assert_eq!(learn.delta, 0.99);
    let names: Vec<&str> = learn
        .params
        .iter()
        .map(|&k| twin.model.parameters().defs()[k].name.as_str())
        .collect();
    assert_eq!(names.len(), 53, "52 provinces and beta_i: {names:?}");
    assert_eq!((names[0], names[52]), ("beta_scale.01", "beta_i"));
    twin.filter(&data, 20, 1)
        .expect("a learning particle filter");

    // With blocks, beta_i belongs to no province: refused when the filter
    // is built, by name.
    case.set(&[("filter", "\"block-pf\"")]);
    let twin = case.twin().unwrap();
    let data = twin.streams(None).unwrap();
    let err = twin.filter(&data, 20, 1).err().expect("beta_i in no block");
    assert!(
        err.to_string().contains("`beta_i` belongs to no block"),
        "{err}"
    );

    for (extra, filter, says) in [
        ("learn = [\"betta_i\"]", "pf", "did you mean `beta_i`"),
        (
            "learn = [\"rate.*\"]",
            "pf",
            "no parameter name begins with `rate.`",
        ),
        ("learn = []", "pf", "at least one parameter"),
        (
            "learn = [\"beta_i\"]",
            "eakf",
            "learn applies to the particle filters",
        ),
        ("learn_delta = 0.9", "pf", "learn_delta needs learn"),
        ("learn = [\"beta_i\"]\nlearn_delta = 0.3", "pf", "(1/3, 1]"),
    ] {
        let case = Case::new("2020-04-10", "", extra, &obs);
        case.set(&[("filter", &format!("\"{filter}\""))]);
        let err = case.twin().err().expect(extra).to_string();
        assert!(err.contains("twin.toml") && err.contains("line"), "{err}");
        assert!(err.contains(says), "{extra}: {err}");
    }
}
