//! With many draws, generated streams match their configuration: mean
//! delay, weekday ratios, ascertainment, negative binomial dispersion
//! (method of moments), outlier and missing rates, wastewater censoring.
//! Tolerances are stated per test; each is several standard errors wide
//! for the number of draws used, and the draws are fixed by the seed.

use didymos_core::{Calendar, Date};
use didymos_simulate::config::{load, Context, SimConfig};
use didymos_simulate::observation_process::{generate_stream, Generated};
use didymos_simulate::record::CENSORED;
use didymos_simulate::truth::Truth;
use didymos_simulate::wastewater::{expected_concentration, generate_wastewater};

const N_UNITS: usize = 40;
const N_DAYS: usize = 700; // 100 whole weeks, starting on a Monday

fn start() -> Date {
    "2020-01-06".parse().unwrap() // a Monday
}

fn units() -> Vec<String> {
    (0..N_UNITS).map(|u| format!("{u:02}")).collect()
}

/// A truth whose single observable is `f(day)` in every unit.
fn truth(f: impl Fn(usize) -> f64) -> Truth {
    let dates: Vec<Date> = (0..N_DAYS).map(|d| start().add_days(d as i32)).collect();
    let values = (0..N_DAYS)
        .flat_map(|d| std::iter::repeat_n(f(d), N_UNITS))
        .collect();
    Truth::from_values(
        dates,
        units(),
        vec!["all".into()],
        vec!["new_infected".into()],
        vec![1e6; N_UNITS],
        values,
    )
    .unwrap()
}

fn config(text: &str) -> SimConfig {
    let cal = Calendar::new(start(), start().add_days(N_DAYS as i32 - 1)).unwrap();
    let (u, s, o) = (
        units(),
        vec!["all".to_string()],
        vec!["new_infected".to_string()],
    );
    let ctx = Context {
        calendar: cal,
        units: &u,
        strata: &s,
        observables: &o,
    };
    load("test", text, &ctx).unwrap()
}

fn generate(text: &str, t: &Truth) -> Generated {
    let cfg = config(text);
    let mut g = Generated::default();
    generate_stream(&cfg.streams[0], 0, t, 11, &mut g);
    g
}

fn day_of(time: &str) -> usize {
    let d: Date = time.parse().unwrap();
    d.days_since(start()) as usize
}

#[test]
fn mean_delay_matches_the_discretised_gamma() {
    // 10,000 events per unit on day 100; reports spread over later days.
    let t = truth(|d| if d == 100 { 10_000.0 } else { 0.0 });
    let text = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\ndelay_mean = 4.0\ndelay_sd = 2.5\ndelay_max = 30\n";
    let cfg = config(text);
    let g = generate(text, &t);
    let (mut mass, mut moment) = (0.0, 0.0);
    for r in &g.records {
        mass += r.value;
        moment += r.value * (day_of(&r.time) as f64 - 100.0);
    }
    let observed = moment / mass;
    let configured = cfg.streams[0].delay.mean();
    // 400,000 events, delay sd 2.5: the standard error is ~0.004 days.
    assert!(
        (observed - configured).abs() < 0.03,
        "mean delay {observed} vs {configured}"
    );
    assert!(
        (configured - 4.0).abs() < 0.6,
        "discretised mean {configured}"
    );
}

#[test]
fn weekday_ratios_and_ascertainment_match() {
    let t = truth(|_| 2_000.0);
    let text = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\nascertainment = 0.3\ndelay_mean = 2.0\ndelay_sd = 1.0\ndelay_max = 10\nweekday_effect = [1.3, 1.1, 1.0, 1.0, 1.0, 0.8, 0.8]\n";
    let cfg = config(text);
    let g = generate(text, &t);
    let mut by_weekday = [(0.0, 0.0); 7];
    for r in &g.records {
        let d = day_of(&r.time);
        if d < 20 {
            continue; // delay warm-up
        }
        let w = d % 7;
        by_weekday[w].0 += r.value;
        by_weekday[w].1 += 1.0;
    }
    let means: Vec<f64> = by_weekday.iter().map(|(s, n)| s / n).collect();
    let overall = means.iter().sum::<f64>() / 7.0;
    for (w, m) in means.iter().enumerate() {
        let ratio = m / overall;
        let want = cfg.streams[0].weekday_effect[w];
        // ~3,900 Poisson draws of mean ~600 per weekday: SE ≈ 0.07 %.
        assert!(
            (ratio - want).abs() < 0.005,
            "weekday {w}: ratio {ratio}, configured {want}"
        );
    }
    // Ascertainment: reported / truth over whole weeks.
    let asc = overall / 2_000.0;
    assert!((asc - 0.3).abs() < 0.003, "ascertainment {asc}");
}

/// The simulator's pattern (Monday first) given as named days is the same
/// pattern, and the twin's estimate (`WeekdayEffect`, Sunday first) finds
/// it in the simulated reports: delayed, ascertained, Poisson, on a truth
/// growing 0.5% a day.
#[test]
fn the_twins_estimate_recovers_the_simulated_weekday_pattern() {
    let list = "[1.3, 1.1, 1.0, 1.0, 1.0, 0.8, 0.6]";
    let named = "{ sun = 0.6, mon = 1.3, tue = 1.1, wed = 1.0, thu = 1.0, fri = 1.0, sat = 0.8 }";
    let text = |w: &str| {
        format!(
            "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\nascertainment = 0.3\n\
             delay_mean = 2.0\ndelay_sd = 1.0\ndelay_max = 10\nweekday_effect = {w}\n"
        )
    };
    let monday_first = config(&text(list)).streams[0].weekday_effect;
    assert_eq!(config(&text(named)).streams[0].weekday_effect, monday_first);

    let t = truth(|d| 2_000.0 * 1.005f64.powi(d as i32));
    let g = generate(&text(named), &t);
    let mut totals = vec![Some(0.0); N_DAYS];
    for r in &g.records {
        if let Some(v) = totals[day_of(&r.time)].as_mut() {
            *v += r.value;
        }
    }
    let day1 = (start().iso_weekday() % 7) as usize;
    let mut w = didymos_core::observation::WeekdayEffect::estimated(8, day1).unwrap();
    w.fit(&totals);
    for (k, f) in w.factors().iter().enumerate() {
        let want = monday_first[(k + 6) % 7];
        // 8 weeks × 40 units × ~600 reports a day per weekday: SE ≈ 0.3%.
        assert!(
            (f - want).abs() < 0.015,
            "{:?} vs {monday_first:?}",
            w.factors()
        );
    }
}

#[test]
fn time_varying_ascertainment_follows_its_points() {
    let t = truth(|_| 5_000.0);
    let text = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\nascertainment_points = [{ at = 1, value = 0.1 }, { at = 401, value = 0.5 }]\n";
    let g = generate(text, &t);
    let mean_on = |day: usize| {
        let v: Vec<f64> = g
            .records
            .iter()
            .filter(|r| day_of(&r.time) == day)
            .map(|r| r.value)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64 / 5_000.0
    };
    for (day, want) in [(0, 0.1), (200, 0.3), (400, 0.5), (600, 0.5)] {
        let got = mean_on(day);
        assert!((got - want).abs() < 0.01, "day {day}: {got} vs {want}");
    }
}

#[test]
fn negative_binomial_dispersion_by_method_of_moments() {
    let t = truth(|_| 100.0);
    let text = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\ndispersion = 10.0\n";
    let g = generate(text, &t);
    let v: Vec<f64> = g.records.iter().map(|r| r.value).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let k = mean * mean / (var - mean);
    assert!((mean - 100.0).abs() < 0.5, "mean {mean}");
    // 28,000 draws: the moment estimate of k = 10 has SE ≈ 0.12.
    assert!((k - 10.0).abs() < 0.6, "dispersion {k} (variance {var})");
}

#[test]
fn outlier_and_missing_rates_match() {
    let t = truth(|_| 1_000.0);
    let text = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\noutlier_rate = 0.02\noutlier_scale = 10.0\nmissing_rate = 0.05\n";
    let g = generate(text, &t);
    let draws = (N_DAYS * N_UNITS) as f64;
    let outliers = g.events.iter().filter(|e| e.kind == "outlier").count() as f64 / draws;
    let missing = 1.0 - g.records.len() as f64 / draws;
    // Binomial SEs: 0.0008 and 0.0013.
    assert!((outliers - 0.02).abs() < 0.004, "outlier rate {outliers}");
    assert!((missing - 0.05).abs() < 0.006, "missing rate {missing}");
    // Outliers really stand out: values ≥ 5 × or ≤ 1/5 of the mean.
    let extreme = g
        .records
        .iter()
        .filter(|r| r.value > 5_000.0 || r.value < 200.0)
        .count() as f64
        / draws;
    assert!(
        (extreme - 0.02 * 0.95).abs() < 0.005,
        "extreme values {extreme}"
    );
}

#[test]
fn outages_dump_and_backfill_revisions_keep_every_count() {
    let t = truth(|_| 1_000.0);
    let text = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\nbackfill_rate = 0.5\nbackfill_initial_share = 0.6\nbackfill_lag_days = 5\n[[stream.outage]]\nfrom = 101\nto = 110\ndump = true\n";
    let g = generate(text, &t);
    let unit0: Vec<_> = g
        .records
        .iter()
        .filter(|r| r.location.as_deref() == Some("00"))
        .collect();
    // The outage days (0-based 100..=109) arrive in one dump on day 110.
    for d in 100..110 {
        let recs: Vec<_> = unit0.iter().filter(|r| day_of(&r.time) == d).collect();
        assert_eq!(recs.len(), 1, "day {d}");
        assert_eq!(day_of(recs[0].issued.as_deref().unwrap()), 110);
    }
    // Revised days: a first, thinned value, then the full count 5 days later.
    let revised: Vec<_> = unit0
        .iter()
        .filter(|r| r.issued.is_some() && !(100..110).contains(&day_of(&r.time)))
        .collect();
    let share = revised.len() as f64 / (N_DAYS - 15) as f64;
    assert!((share - 0.5).abs() < 0.08, "revised share {share}");
    let mut ratio = (0.0, 0.0);
    for rev in &revised {
        let day = day_of(&rev.time);
        assert_eq!(day_of(rev.issued.as_deref().unwrap()), day + 5);
        let first = unit0
            .iter()
            .find(|r| r.issued.is_none() && day_of(&r.time) == day)
            .unwrap();
        assert!(first.value <= rev.value);
        ratio.0 += first.value;
        ratio.1 += rev.value;
    }
    assert!(
        (ratio.0 / ratio.1 - 0.6).abs() < 0.01,
        "initial share {}",
        ratio.0 / ratio.1
    );
}

#[test]
fn wastewater_is_censored_below_the_detection_limit() {
    // Infections ramp up: early samples fall under the limit.
    let t = truth(|d| d as f64);
    let text = "[wastewater]\nshedding_mean = 5.0\nshedding_sd = 3.0\ncopies_per_infection = 1e7\nsd = 0.4\ndetection_limit = 1000.0\nsample_weekdays = [2, 4]\n";
    let cfg = config(text);
    let ww = cfg.wastewater.as_ref().unwrap();
    let conc = expected_concentration(ww, &t).unwrap();
    let mut out = Vec::new();
    generate_wastewater(ww, &conc, &t, 3, &mut out);
    let censored: Vec<_> = out
        .iter()
        .filter(|r| r.flag.as_deref() == Some(CENSORED))
        .collect();
    assert!(!censored.is_empty() && censored.len() < out.len());
    assert!(censored.iter().all(|r| r.value == 1000.0));
    assert!(out
        .iter()
        .filter(|r| r.flag.is_none())
        .all(|r| r.value >= 1000.0));
    // Only Tuesdays and Thursdays.
    assert!(out.iter().all(|r| [1, 3].contains(&(day_of(&r.time) % 7))));
    // Log-normal noise around the expected value: median ratio ≈ 1, sd of log ≈ 0.4.
    let logs: Vec<f64> = out
        .iter()
        .filter(|r| r.flag.is_none() && day_of(&r.time) > 300)
        .map(|r| {
            let u: usize = r.location.as_ref().unwrap().parse().unwrap();
            (r.value / conc[u][day_of(&r.time)]).ln()
        })
        .collect();
    let m = logs.iter().sum::<f64>() / logs.len() as f64;
    let sd = (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
    assert!(
        m.abs() < 0.03 && (sd - 0.4).abs() < 0.03,
        "log ratio mean {m}, sd {sd}"
    );
}

#[test]
fn bad_scenarios_name_the_line_and_key() {
    let cal = Calendar::new(start(), start().add_days(99)).unwrap();
    let (u, s, o) = (
        units(),
        vec!["all".to_string()],
        vec!["new_infected".to_string()],
    );
    let ctx = Context {
        calendar: cal,
        units: &u,
        strata: &s,
        observables: &o,
    };
    let err = |text: &str| load("scen.toml", text, &ctx).unwrap_err().to_string();
    let e = err("[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\ndispersoin = 3\n");
    assert!(
        e.contains("scen.toml") && e.contains("line 4") && e.contains("dispersoin"),
        "{e}"
    );
    let e = err("[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\ndispersion = -3\n");
    assert!(
        e.contains("line 1") && e.contains("stream[0].dispersion"),
        "{e}"
    );
    let e = err("[[stream]]\nname = \"c\"\nobservable = \"cases\"\n");
    assert!(
        e.contains("stream[0].observable") && e.contains("new_infected"),
        "{e}"
    );
    let e = err("[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\n[[stream.outage]]\nfrom = 50\nto = 500\n");
    assert!(
        e.contains("stream[0].outage[0].to") && e.contains("outside"),
        "{e}"
    );
    let e = err("[[regime]]\ntype = \"meteor\"\nfrom = 1\n");
    assert!(e.contains("line") && e.contains("meteor"), "{e}");
    let e = err("[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\nlocations = [\"99\"]\n");
    assert!(e.contains("stream[0].locations") && e.contains("99"), "{e}");
    let stream = "[[stream]]\nname = \"c\"\nobservable = \"new_infected\"\n";
    let e = err(&format!(
        "{stream}weekday_effect = {{ mon = 1, tue = 1, wed = 1, thur = 1 }}\n"
    ));
    assert!(
        e.contains("stream[0].weekday_effect.thur") && e.contains("thu"),
        "{e}"
    );
    let e = err(&format!(
        "{stream}weekday_effect = {{ mon = 1, tue = 1 }}\n"
    ));
    assert!(
        e.contains("stream[0].weekday_effect.wed") && e.contains("missing"),
        "{e}"
    );
    let e = err(&format!(
        "{stream}weekday_effect = [1, 1, 1, 1, 1, \"x\", 1]\n"
    ));
    assert!(
        e.contains("weekday_effect[5]") && e.contains("string"),
        "{e}"
    );
    let e = err(&format!("{stream}weekday_effect = [1, 1, 1]\n"));
    assert!(e.contains("Monday..Sunday") && e.contains("found 3"), "{e}");
    let e = err("[simulation]\nseed = 1\n");
    assert!(e.contains("nothing to observe"), "{e}");
}

#[test]
fn presets_are_valid_for_a_short_twin() {
    // 113 days: the bundled spring twin.
    let cal = Calendar::new("2020-02-09".parse().unwrap(), "2020-05-31".parse().unwrap()).unwrap();
    let u: Vec<String> = (1..=52).map(|i| format!("{i:02}")).collect();
    let s: Vec<String> = ["Y", "M", "O"].iter().map(|x| x.to_string()).collect();
    let o: Vec<String> = [
        "new_infected",
        "new_hospitalized",
        "new_deaths",
        "hospital_occupancy",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    let ctx = Context {
        calendar: cal,
        units: &u,
        strata: &s,
        observables: &o,
    };
    for name in didymos_simulate::presets::NAMES {
        let text = didymos_simulate::presets::preset(name).unwrap();
        let cfg = load(name, text, &ctx).unwrap();
        assert_eq!(cfg.streams.len(), 3);
        assert!(cfg.wastewater.is_some());
        assert_eq!(cfg.regimes.is_empty(), name == "normal");
    }
}
