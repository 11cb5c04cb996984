//! Fan and scenario charts as standalone SVG, their input checks, and
//! writing a report with its figures to disk.

mod common;

use common::{between, check_balanced, count, d, fan_chart, sample_report, scenario_chart};
use didymos_report::{figures, write_report, QuantileBandPoint, Section};

#[test]
fn fan_chart_is_a_standalone_svg_with_all_series() {
    let svg = fan_chart("fan").to_svg().unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    check_balanced(&svg, false).unwrap();
    for series in ["band-90", "band-50", "median"] {
        let path = between(&svg, &format!("data-series=\"{series}\""), "/>");
        let d = between(path, "d=\"M", "\"");
        assert!(d.len() > 100, "{series} path is too short: {d}");
    }
    assert_eq!(count(&svg, "<circle data-series=\"observed\""), 41);
    assert!(svg.contains("90% of forecasts fall in this band"));
    assert!(svg.contains("half of forecasts fall in this band"));
    assert!(svg.contains(">median forecast</text>"));
    assert!(svg.contains(">observed</text>"));
    assert!(svg.contains("data cut-off 2020-04-10"));
    // Two-weekly Monday ticks, the year on the first, and round value ticks.
    assert!(svg.contains(">9 Mar 2020</text>") && svg.contains(">23 Mar</text>"));
    assert!(svg.contains(">1,000</text>"));
    assert!(svg.contains("<title>Daily admissions in &lt;Madrid&gt; &amp; surroundings</title>"));
}

#[test]
fn scenario_chart_names_each_scenario() {
    let svg = scenario_chart().to_svg().unwrap();
    check_balanced(&svg, false).unwrap();
    assert_eq!(count(&svg, "data-series=\"median\""), 3);
    assert_eq!(count(&svg, "data-series=\"band-90\""), 3);
    assert!(svg.contains(">no change (median; shaded: 90% of forecasts)</text>"));
    assert!(svg.contains("lockdown &quot;strict&quot;"));
}

#[test]
fn bad_series_are_errors_naming_the_date() {
    let mut chart = fan_chart("fan");
    chart.bands[3].q25 = chart.bands[3].q75 + 1.0;
    let msg = chart.to_svg().unwrap_err().to_string();
    assert!(
        msg.contains("figure `fan`")
            && msg.contains("2020-04-14")
            && msg.contains("increasing order"),
        "{msg}"
    );

    let mut chart = fan_chart("fan");
    chart.bands.swap(0, 1);
    let msg = chart.to_svg().unwrap_err().to_string();
    assert!(msg.contains("strictly increasing"), "{msg}");

    let mut chart = fan_chart("fan");
    chart.observed[2].1 = f64::INFINITY;
    let msg = chart.to_svg().unwrap_err().to_string();
    assert!(msg.contains("observed value on 2020-03-03"), "{msg}");

    let mut chart = fan_chart("fan");
    chart.observed.clear();
    chart.bands.clear();
    assert!(chart
        .to_svg()
        .unwrap_err()
        .to_string()
        .contains("nothing to draw"));

    let mut chart = fan_chart("../escape");
    chart.observed.truncate(1);
    assert!(chart
        .to_svg()
        .unwrap_err()
        .to_string()
        .contains("may only hold letters"));
}

#[test]
fn too_many_scenarios_is_an_error() {
    let mut chart = scenario_chart();
    let one = chart.scenarios[0].clone();
    chart.scenarios = (0..9).map(|_| one.clone()).collect();
    let msg = chart.to_svg().unwrap_err().to_string();
    assert!(msg.contains("9 scenarios"), "{msg}");
}

#[test]
fn a_single_forecast_date_still_draws() {
    let mut chart = fan_chart("one");
    chart.observed.clear();
    chart.cutoff = None;
    chart.bands = vec![QuantileBandPoint {
        date: d("2021-01-01"),
        q05: 1.0,
        q25: 2.0,
        q50: 3.0,
        q75: 4.0,
        q95: 5.0,
    }];
    let svg = chart.to_svg().unwrap();
    check_balanced(&svg, false).unwrap();
}

#[test]
fn figure_names_must_be_unique() {
    let mut report = sample_report();
    report
        .sections
        .push(Section::FanChart(fan_chart("fan-madrid")));
    let msg = figures(&report).unwrap_err().to_string();
    assert!(
        msg.contains("`fan-madrid`") && msg.contains("share this name"),
        "{msg}"
    );
}

#[test]
fn write_report_puts_figures_beside_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let html_path = dir.path().join("out/report.html");
    let written = write_report(&sample_report(), &html_path).unwrap();
    assert_eq!(written.html, html_path);
    let names: Vec<String> = written
        .figures
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "out/figures/fan-madrid.svg",
            "out/figures/scenarios.svg",
            "out/figures/spain-map.svg"
        ]
    );
    let exported = figures(&sample_report()).unwrap();
    for ((name, svg), path) in exported.iter().zip(&written.figures) {
        let on_disk = std::fs::read_to_string(path).unwrap();
        assert_eq!(&on_disk, svg, "{name}");
        assert!(on_disk.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    }
    let html = std::fs::read_to_string(&html_path).unwrap();
    // The page inlines exactly the exported figures.
    for (_, svg) in &exported {
        assert!(html.contains(svg.as_str()));
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
