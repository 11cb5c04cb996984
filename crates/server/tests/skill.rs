//! `GET /v1/twins/{twin}/skill` scores what the service published: fed
//! the 2020 record day by day, the twin's daily forecasts, its weekly
//! ensemble and each part of it (the twin's own weekly forecasts, the
//! trend, the lead) are scored here from the forecasts it served and the record
//! itself (WIS in pinball form, coverage, bias, the baseline's one-week
//! distribution from the weekly sums), and the answer must match.

mod common;

use std::collections::BTreeMap;

use common::*;
use didymos_core::Date;
use serde_json::{json, Value};

/// The first day posted: the day after the twin's day 1.
const FIRST: &str = "2020-02-10";
/// Day-by-day updates from here on…
const DAILY_FROM: &str = "2020-03-15";
/// …to here: the twin's checkpoint, through which truth is read.
const LAST: &str = "2020-04-21";
/// Then two batches, to a Saturday and a week on: the baseline at that
/// Saturday is fitted to the whole record, including weeks more than the
/// companions' history (70 days) before the first origin asked about.
const LATER_SATURDAY: &str = "2020-05-09";
const LATER_LAST: &str = "2020-05-16";
const LEVELS: usize = 23;

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// Province admissions per (date, location), the total as `total`: the
/// bundled record summed over age groups.
fn truth() -> BTreeMap<(String, String), f64> {
    let mut out = BTreeMap::new();
    let path = repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
    let mut r = csv::Reader::from_path(path).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let v: f64 = rec[4].parse().unwrap();
        for loc in [rec[1].to_string(), "total".to_string()] {
            *out.entry((rec[0].to_string(), loc)).or_insert(0.0) += v;
        }
    }
    out
}

/// Confirmed cases per (date, location, age group) from the bundled
/// record: the spec's leading series for admissions, posted as stream
/// `cases`, so that forecasts have a lead companion to score.
fn cases() -> &'static BTreeMap<String, Vec<Value>> {
    static CASES: std::sync::OnceLock<BTreeMap<String, Vec<Value>>> = std::sync::OnceLock::new();
    CASES.get_or_init(|| {
        let path = repo().join("data/spain/spain_provinces_covid19_daily_by_age_2020.csv");
        let mut r = csv::Reader::from_path(path).unwrap();
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for rec in r.records() {
            let rec = rec.unwrap();
            let v: f64 = rec[3].parse().unwrap();
            out.entry(rec[0].to_string()).or_default().push(json!({
                "stream": "cases", "time": &rec[0], "location": &rec[1],
                "stratum": &rec[2], "value": v}));
        }
        out
    })
}

/// One day's admissions and cases.
fn day_records(date: &str) -> Vec<Value> {
    let mut records = spain_day(date);
    records.extend(cases().get(date).into_iter().flatten().cloned());
    records
}

/// The bundled record's rows from `first` to `last`, as one batch.
fn days(first: Date, last: Date) -> Vec<Value> {
    let mut day = first;
    let mut records = Vec::new();
    while day <= last {
        records.extend(day_records(&day.to_string()));
        day = day.add_days(1);
    }
    records
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Sums per answer row: n, WIS, covered 50%, covered 90%, bias; then per
/// central range (its lower level) the outcomes inside it, and per level
/// the outcomes below its quantile in halves (a tie is one half).
#[derive(Debug, Default, Clone)]
struct Sums([f64; 5], BTreeMap<String, f64>, BTreeMap<String, f64>);

impl Sums {
    fn add(&mut self, levels: &[f64], q: &[f64], y: f64) {
        let pinball: f64 = levels
            .iter()
            .zip(q)
            .map(|(&t, &v)| {
                if y >= v {
                    t * (y - v)
                } else {
                    (1.0 - t) * (v - y)
                }
            })
            .sum();
        let at = |level: f64| {
            q[levels
                .iter()
                .position(|&l| (l - level).abs() < 1e-9)
                .unwrap()]
        };
        let inside = |lo: f64, hi: f64| f64::from(u8::from(at(lo) <= y && y <= at(hi)));
        // scoringutils' quantile bias, from its definition.
        let median = at(0.5);
        let bias = if y == median {
            0.0
        } else if y < median {
            let tau = levels
                .iter()
                .zip(q)
                .filter(|(_, &v)| v <= y)
                .map(|(&l, _)| l);
            1.0 - 2.0 * tau.fold(0.0, f64::max)
        } else {
            let tau = levels
                .iter()
                .zip(q)
                .filter(|(_, &v)| v >= y)
                .map(|(&l, _)| l);
            1.0 - 2.0 * tau.fold(1.0, f64::min)
        };
        let row = [
            1.0,
            2.0 * pinball / levels.len() as f64,
            inside(0.25, 0.75),
            inside(0.05, 0.95),
            bias,
        ];
        for (s, x) in self.0.iter_mut().zip(row) {
            *s += x;
        }
        for (&l, &v) in levels.iter().zip(q) {
            let halves = match y.partial_cmp(&v).unwrap() {
                std::cmp::Ordering::Less => 2.0,
                std::cmp::Ordering::Equal => 1.0,
                std::cmp::Ordering::Greater => 0.0,
            };
            *self.2.entry(format!("{l}")).or_default() += halves;
            if l < 0.5 {
                let inside = at(l) <= y && y <= at(1.0 - l);
                let nominal = ((1.0 - 2.0 * l) * 1e9).round() / 1e9;
                *self.1.entry(format!("{nominal}")).or_default() += f64::from(u8::from(inside));
            }
        }
    }

    /// Checks the answer row's n and means.
    fn check(&self, row: &Value) {
        let [n, wis, c50, c90, bias] = self.0;
        assert_eq!(row["n"].as_f64().unwrap(), n, "{row}");
        for (field, sum) in [
            ("wis", wis),
            ("coverage_50", c50),
            ("coverage_90", c90),
            ("bias", bias),
        ] {
            let got = row[field].as_f64().unwrap();
            assert!(
                (got - sum / n).abs() <= 1e-9 * (1.0 + got.abs()),
                "{field}: {got} vs {} in {row}",
                sum / n
            );
        }
        for (field, sums, per) in [
            ("central_coverage", &self.1, 1.0),
            ("below_quantile", &self.2, 2.0),
        ] {
            let listed = row[field].as_array().unwrap();
            assert_eq!(listed.len(), sums.len(), "{field} in {row}");
            for x in listed {
                let level = format!("{}", x["level"].as_f64().unwrap());
                let want = sums[&level] / per / n;
                let got = x["share"].as_f64().unwrap();
                assert!(
                    (got - want).abs() < 1e-12,
                    "{field} {level}: {got} vs {want}"
                );
            }
        }
        // The 50% and 90% ranges are the coverage columns.
        let central = |l: f64| self.1[&format!("{l}")] / n;
        assert!((central(0.5) - row["coverage_50"].as_f64().unwrap()).abs() < 1e-12);
        assert!((central(0.9) - row["coverage_90"].as_f64().unwrap()).abs() < 1e-12);
    }
}

fn scope(location: &str) -> &'static str {
    if location == "total" {
        "total"
    } else {
        "locations"
    }
}

/// The served forecast of `origin` (the last one published for it).
fn served(c: &Client, origin: &str) -> Value {
    let list = c.get(&format!(
        "/v1/twins/spain/forecasts?issued={origin}&limit=1"
    ));
    let id = list.body[0]["id"].as_i64().unwrap();
    let f = c.get(&format!(
        "/v1/twins/spain/forecasts/{id}?target=new_hospitalized"
    ));
    assert_eq!(f.status, 200, "{f:?}");
    f.body
}

#[test]
fn skill_scores_what_was_published_against_what_came() {
    let server = start_server(None);
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 50_000);
    let a = c.post(
        "/v1/twins/spain/streams",
        &json!({"name": "cases", "unit": "persons/day", "observable": "new_cases",
                "cadence": "1d", "value_type": "count"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let before = date(DAILY_FROM).add_days(-1);
    post_and_wait(&c, "spain", &before.to_string(), &days(date(FIRST), before));
    let mut day = date(DAILY_FROM);
    while day <= date(LAST) {
        let d = day.to_string();
        post_and_wait(&c, "spain", &d, &day_records(&d));
        day = day.add_days(1);
    }
    wait_for_checkpoint(&c, "spain", LAST);

    let (from, to) = ("2020-03-22", "2020-04-07");
    let a = c.get(&format!(
        "/v1/twins/spain/skill?target=new_hospitalized&from={from}&to={to}"
    ));
    assert_eq!(a.status, 200, "{a:?}");
    let skill = &a.body;
    assert_eq!(skill["scored_through"], LAST, "{skill}");
    let origins: Vec<&str> = skill["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(origins.len(), 17, "{skill}");
    assert_eq!((origins[0], origins[16]), (from, to));

    let truth = truth();
    let expect = expected(&c, &origins, &truth, None);
    check_answer(skill, &expect);
    // One location: Madrid's forecasts alone.
    let a = c.get(&format!(
        "/v1/twins/spain/skill?target=new_hospitalized&location=28&from={from}&to={to}"
    ));
    assert_eq!(a.status, 200, "{a:?}");
    let expect = expected(&c, &origins, &truth, Some("28"));
    assert!(expect.daily.keys().all(|k| k.0 == "locations"));
    check_answer(&a.body, &expect);
    baseline_one_week_from_a_saturday(&c, &truth, date("2020-04-04"));
    for (after, to) in [(LAST, LATER_SATURDAY), (LATER_SATURDAY, LATER_LAST)] {
        post_and_wait(&c, "spain", to, &days(date(after).add_days(1), date(to)));
    }
    wait_for_checkpoint(&c, "spain", LATER_LAST);
    baseline_one_week_from_a_saturday(&c, &truth, date(LATER_SATURDAY));
    // A corrected value for a day already assimilated is held (the
    // checkpoint stays), but it is the truth now: the answer follows.
    let query = format!("/v1/twins/spain/skill?location=28&from={from}&to={to}");
    let before = c.get(&query).body;
    assert_eq!(
        c.get(&query).body,
        before,
        "the same question, the same answer"
    );
    let fix = json!({"observations": [{"stream": "hosp", "time": "2020-04-01", "location": "28",
                                       "stratum": "Y", "value": 5000}]});
    let a = c.post("/v1/twins/spain/observations", &fix);
    assert_eq!(a.status, 200, "{a:?}");
    let after = c.get(&query).body;
    assert_eq!(after["scored_through"], LATER_LAST);
    assert_ne!(
        after["daily"], before["daily"],
        "the corrected truth was not read"
    );
    bad_requests(&c);
}

type Rows = BTreeMap<(&'static str, usize), Sums>;

/// Each weekly forecaster: its quantiles' field in a served forecast, and
/// its rows' field in the skill answer. The ensemble first, then its parts.
const WEEKLY: [(&str, &str); 4] = [
    ("quantiles", "weekly_ensemble"),
    ("twin_quantiles", "weekly_twin"),
    ("trend_quantiles", "weekly_trend"),
    ("lead_quantiles", "weekly_lead"),
];
/// The per-origin rows' ratio field of each part after the ensemble.
const PART_RATIOS: [&str; 3] = [
    "twin_relative_wis",
    "trend_relative_wis",
    "lead_relative_wis",
];

/// The sums the answer's rows should hold.
#[derive(Default)]
struct Expected {
    daily: Rows,
    /// Per forecaster of [`WEEKLY`].
    weekly: [Rows; 4],
    /// Per (scope, origin, weeks ahead), per forecaster of [`WEEKLY`].
    by_origin: BTreeMap<(&'static str, String, usize), [Sums; 4]>,
}

/// The daily and weekly sums the answer should hold, from the forecasts
/// served for `origins` (at `only`, else every location and the total).
fn expected(
    c: &Client,
    origins: &[&str],
    truth: &BTreeMap<(String, String), f64>,
    only: Option<&str>,
) -> Expected {
    let mut out = Expected::default();
    for origin in origins {
        let f = served(c, origin);
        let levels = floats(&f["levels"]);
        assert_eq!(levels.len(), LEVELS);
        let wanted = |loc: &str| only.is_none_or(|o| o == loc);
        for t in f["targets"].as_array().unwrap() {
            let loc = t["location"].as_str().unwrap();
            if !wanted(loc) {
                continue;
            }
            for (h, (d, q)) in t["dates"]
                .as_array()
                .unwrap()
                .iter()
                .zip(t["quantiles"].as_array().unwrap())
                .enumerate()
            {
                let d = d.as_str().unwrap();
                if date(d) > date(LAST) {
                    continue;
                }
                let y = truth[&(d.to_string(), loc.to_string())];
                let key = (scope(loc), h / 7 + 1);
                out.daily
                    .entry(key)
                    .or_insert(Sums::default())
                    .add(&levels, &floats(q), y);
            }
        }
        for w in f["weekly_ensemble"].as_array().unwrap() {
            let loc = w["location"].as_str().unwrap();
            if !wanted(loc) {
                continue;
            }
            let weeks = w["quantiles"].as_array().unwrap().len();
            // The twin's and the trend's are kept for every week; the
            // lead's wherever the location has one.
            let parts: Vec<Option<&Vec<Value>>> = WEEKLY
                .iter()
                .map(|(field, _)| w.get(*field).and_then(Value::as_array))
                .collect();
            for (i, p) in parts.iter().enumerate() {
                match p {
                    Some(p) => assert_eq!(p.len(), weeks, "{}", WEEKLY[i].0),
                    None => assert_eq!(i, 3, "{} missing: {w}", WEEKLY[i].0),
                }
            }
            for (k, end) in w["week_ends"].as_array().unwrap().iter().enumerate() {
                let end = date(end.as_str().unwrap());
                if end > date(LAST) {
                    continue;
                }
                let y: f64 = (0..7)
                    .map(|i| truth[&(end.add_days(-i).to_string(), loc.to_string())])
                    .sum();
                let key = (scope(loc), k + 1);
                let per_origin = out
                    .by_origin
                    .entry((scope(loc), origin.to_string(), k + 1))
                    .or_default();
                for (i, p) in parts.iter().enumerate() {
                    let Some(p) = p else { continue };
                    let q = floats(&p[k]);
                    out.weekly[i].entry(key).or_default().add(&levels, &q, y);
                    per_origin[i].add(&levels, &q, y);
                }
            }
        }
    }
    out
}

/// The answer's rows are those expected, and each weekly relative WIS is
/// its WIS over its baseline's, the same baseline for the ensemble and
/// the twin alone.
fn check_answer(skill: &Value, expect: &Expected) {
    let rows = |field: &str| skill[field].as_array().unwrap().clone();
    assert_eq!(rows("daily").len(), expect.daily.len(), "{skill}");
    for row in rows("daily") {
        assert_eq!(row["target"], "new_hospitalized");
        let week = row["days_ahead_to"].as_u64().unwrap() as usize / 7;
        let key = (row["scope"].as_str().unwrap(), week);
        expect.daily[&key].check(&row);
    }
    for ((_, field), weekly) in WEEKLY.iter().zip(&expect.weekly) {
        assert!(!weekly.is_empty(), "{field}");
        assert_eq!(rows(field).len(), weekly.len(), "{skill}");
        for (row, other) in rows(field).iter().zip(rows("weekly_ensemble")) {
            let key = (
                row["scope"].as_str().unwrap(),
                row["weeks_ahead"].as_u64().unwrap() as usize,
            );
            weekly[&key].check(row);
            let (w, b) = (
                row["wis"].as_f64().unwrap(),
                row["baseline_wis"].as_f64().unwrap(),
            );
            assert!(b > 0.0, "{row}");
            assert_eq!(row["baseline_wis"], other["baseline_wis"], "{row} {other}");
            let rel = row["relative_wis"].as_f64().unwrap();
            assert!((rel - w / b).abs() < 1e-9 * rel, "{row}");
        }
    }
    // Per origin: the ensemble's rows, the twin's ratio over the same
    // baseline, and the baselines summing to the pooled row's.
    let by_origin = rows("weekly_by_origin");
    assert_eq!(by_origin.len(), expect.by_origin.len(), "{skill}");
    let mut baseline_sums: BTreeMap<(&str, usize), f64> = BTreeMap::new();
    for row in &by_origin {
        let scope = row["scope"].as_str().unwrap();
        let k = row["weeks_ahead"].as_u64().unwrap() as usize;
        let [e, parts @ ..] =
            &expect.by_origin[&(scope, row["origin"].as_str().unwrap().to_string(), k)];
        let n = e.0[0];
        assert_eq!(row["n"].as_f64().unwrap(), n, "{row}");
        let (w, b) = (
            row["wis"].as_f64().unwrap(),
            row["baseline_wis"].as_f64().unwrap(),
        );
        assert!((w - e.0[1] / n).abs() <= 1e-9 * (1.0 + w), "{row}");
        for (field, t) in PART_RATIOS.iter().zip(parts) {
            assert_eq!(t.0[0], n, "{field} scored on every target here: {row}");
            let part = row[field].as_f64().unwrap();
            assert!((part - t.0[1] / (b * n)).abs() <= 1e-9 * part, "{row}");
        }
        assert!((row["relative_wis"].as_f64().unwrap() - w / b).abs() <= 1e-9 * (w / b));
        *baseline_sums.entry((scope, k)).or_default() += b * n;
    }
    for row in rows("weekly_ensemble") {
        let key = (
            row["scope"].as_str().unwrap(),
            row["weeks_ahead"].as_u64().unwrap() as usize,
        );
        let pooled = row["baseline_wis"].as_f64().unwrap() * row["n"].as_f64().unwrap();
        assert!(
            (baseline_sums[&key] - pooled).abs() <= 1e-9 * pooled,
            "{row}"
        );
    }
}

/// From a Saturday origin, week 1 is the next epiweek: the baseline's
/// distribution is last week's sum plus each past weekly change and its
/// negative (truncated at 0), and its WIS uses the Hub levels' type-7
/// quantiles of that. The changes are those of every complete epiweek
/// since the first day posted, however far back.
fn baseline_one_week_from_a_saturday(
    c: &Client,
    truth: &BTreeMap<(String, String), f64>,
    saturday: Date,
) {
    let a = c.get(&format!(
        "/v1/twins/spain/skill?target=new_hospitalized&from={saturday}&to={saturday}"
    ));
    assert_eq!(a.status, 200, "{a:?}");
    let f = served(c, &saturday.to_string());
    let levels = floats(&f["levels"]);
    let mut sum = 0.0;
    let mut n = 0;
    for w in f["weekly_ensemble"].as_array().unwrap() {
        let loc = w["location"].as_str().unwrap();
        if loc == "total" {
            continue;
        }
        let week = |end: Date| -> f64 {
            (0..7)
                .map(|i| truth[&(end.add_days(-i).to_string(), loc.to_string())])
                .sum()
        };
        let mut past = Vec::new();
        let mut end = saturday;
        while end.add_days(-6) >= date(FIRST) {
            past.push(week(end));
            end = end.add_days(-7);
        }
        past.reverse();
        let last = past[past.len() - 1];
        let mut pool: Vec<f64> = past.windows(2).map(|p| p[1] - p[0]).collect();
        pool.extend(pool.clone().iter().map(|d| -d));
        pool.sort_by(f64::total_cmp);
        let q: Vec<f64> = levels
            .iter()
            .map(|&l| {
                let pos = l * (pool.len() - 1) as f64;
                let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
                let hi = (lo + 1).min(pool.len() - 1);
                (last + pool[lo] + frac * (pool[hi] - pool[lo])).max(0.0)
            })
            .collect();
        let mut s = Sums::default();
        s.add(&levels, &q, week(saturday.add_days(7)));
        sum += s.0[1];
        n += 1;
    }
    let row = a.body["weekly_ensemble"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "locations" && r["weeks_ahead"] == 1)
        .unwrap_or_else(|| panic!("no week 1: {}", a.body))
        .clone();
    assert_eq!(row["n"], n, "{row}");
    let got = row["baseline_wis"].as_f64().unwrap();
    assert!(
        (got - sum / n as f64).abs() < 1e-9 * got,
        "{got} vs {}",
        sum / n as f64
    );
}

fn bad_requests(c: &Client) {
    for (query, field) in [
        ("target=new_cases_typo", "target"),
        ("from=2020-04-10&to=2020-04-01", "from"),
        ("from=2020-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2019-01-01&to=2020-04-01", "days"),
        ("location=99", "location"),
        ("location=28/nobody", "location"),
        // A six-digit year, a sign or a tail is a typo, not a date.
        ("from=100000-01-01", "from"),
        ("from=%2B2020-03-15", "from"),
        ("to=2020-03-15Tgarbage", "to"),
        // After the last origin that can be scored (the day before the
        // checkpoint), though `to` was not given.
        ("from=2030-01-01", "from"),
    ] {
        let a = c.get(&format!("/v1/twins/spain/skill?{query}"));
        assert_problem(&a, 422);
        let detail = a.body["detail"].as_str().unwrap();
        assert!(detail.contains(field), "{query}: {detail}");
    }
    // The forecasts' own filters: an unknown target or location is named,
    // not answered with an empty forecast.
    for (path, field) in [
        ("forecasts/latest?target=nope", "target"),
        ("forecasts/latest?location=99", "location"),
        ("forecasts/latest?location=", "location"),
        ("forecasts?limit=0", "limit"),
        ("forecasts?issued=2020-03-15Tx", "issued"),
        // A filter the endpoint does not have is named, not ignored.
        (
            "streams/hosp/observations?location=28",
            "unknown field `location`",
        ),
        ("forecasts?origin=2020-04-01", "unknown field `origin`"),
    ] {
        let a = c.get(&format!("/v1/twins/spain/{path}"));
        assert_problem(&a, 422);
        let detail = a.body["detail"].as_str().unwrap();
        assert!(detail.contains(field), "{path}: {detail}");
    }
    // A date spelt without leading zeros is the same date.
    let padded = c.get("/v1/twins/spain/forecasts?issued=2020-04-01");
    assert_eq!(padded.body.as_array().unwrap().len(), 1, "{padded:?}");
    assert_eq!(
        c.get("/v1/twins/spain/forecasts?issued=2020-4-1").body,
        padded.body
    );
    let a = c.get("/v1/twins/nobody/skill");
    assert_problem(&a, 404);
    // A twin with nothing assimilated has nothing scored, and says so.
    let a = c.post(
        "/v1/twins",
        &json!({"id": "empty", "spec_path": spain_spec(), "members": 10}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let a = c.get("/v1/twins/empty/skill");
    assert_eq!(a.status, 200, "{a:?}");
    assert!(a.body["scored_through"].is_null(), "{a:?}");
    assert_eq!(a.body["origins"], json!([]));
}
