//! Weekly targets follow the Forecast Hub: epiweeks (Sunday to Saturday)
//! dated by their Saturday, the epiweek under way counting as week 1 from a
//! Sunday or a Monday with its observed days added to the forecast.

use didymos_core::observation::{Aggregation, StrataMode, Stream};
use didymos_core::Date;
use didymos_forecast::{HorizonUnit, Target};
use didymos_twin::epiweeks::{epiweek_targets, observed_part};
use didymos_twin::predict::StreamForecast;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn targets_are_the_hubs_epiweeks_within_the_horizon() {
    // 2020-06-07 is a Sunday.
    for offset in 0..7 {
        let origin = d("2020-06-07").add_days(offset);
        let targets = epiweek_targets(origin, 28);
        assert!(targets.len() >= 3, "{origin}: {targets:?}");
        for t in &targets {
            assert_eq!(t.end.iso_weekday(), 6, "{origin}: ends on a Saturday");
            let hub = Target::new(t.weeks_ahead, HorizonUnit::Week, "x").end_date(origin);
            assert_eq!(t.end, hub, "{origin} week {}", t.weeks_ahead);
            assert_eq!(origin.add_days(t.last as i32), t.end);
            assert_eq!(t.first, t.last as i32 - 6);
            assert!(t.last <= 28);
        }
        let w: Vec<u32> = targets.iter().map(|t| t.weeks_ahead).collect();
        assert_eq!(w, (1..=targets.len() as u32).collect::<Vec<_>>());
    }
    // Sunday: the week under way, from the origin itself; Monday: from the
    // day before; Tuesday: the next whole epiweek.
    let first = |o: &str| epiweek_targets(d(o), 28)[0].first;
    assert_eq!(first("2020-06-07"), 0);
    assert_eq!(first("2020-06-08"), -1);
    assert_eq!(first("2020-06-09"), 5);
    assert_eq!(
        first("2020-06-13"),
        1,
        "Saturday: whole weeks from the origin"
    );
    // Nothing ends within 10 days of a Tuesday; 11 reach the first.
    assert!(epiweek_targets(d("2020-06-09"), 10).is_empty());
    assert_eq!(epiweek_targets(d("2020-06-09"), 11).len(), 1);
    // Over every weekday: a Monday's week 1 ends 5 days on, a Sunday's 6.
    use didymos_twin::epiweeks::most_epiweeks;
    assert_eq!(
        [4, 5, 6, 12, 13, 14, 28].map(most_epiweeks),
        [0, 1, 1, 2, 2, 2, 4]
    );
}

/// One location, one stratum; `values[day - 1]` (None: missing).
fn stream(values: &[Option<f64>]) -> Stream {
    let agg = Aggregation::identity(&["a".to_string()], 1, StrataMode::AllStrata).unwrap();
    let mut s = Stream::new("s", 0, agg);
    for (i, v) in values.iter().enumerate() {
        s.data.insert(i + 1, vec![*v]);
    }
    s
}

#[test]
fn an_epiweek_under_way_adds_its_observed_days() {
    let s = stream(&[Some(1.0), Some(2.0), Some(4.0), None, Some(8.0)]);
    // Origin day 3, a Monday (2020-06-08): Sunday (day 2) and Monday.
    let origin = d("2020-06-08");
    let t = &epiweek_targets(origin, 14)[0];
    assert_eq!(observed_part(&s, 0, 3, t), Some(6.0));
    // The total over locations is the same here.
    assert_eq!(observed_part(&s, 1, 3, t), Some(6.0));
    // A Sunday origin: the origin day alone.
    let sunday = &epiweek_targets(d("2020-06-07"), 14)[0];
    assert_eq!(observed_part(&s, 0, 3, sunday), Some(4.0));
    // A day missing, or before the record: no value.
    assert_eq!(observed_part(&s, 0, 5, t), None);
    assert_eq!(observed_part(&s, 0, 1, t), None);
    // A whole epiweek after the origin has nothing observed.
    let later = &epiweek_targets(origin, 14)[1];
    assert_eq!(observed_part(&s, 0, 3, later), Some(0.0));

    // Its quantiles: the forecast days summed, plus the observed part.
    let samples: Vec<f64> = (0..100).map(f64::from).collect();
    let f = StreamForecast {
        stream: "s".into(),
        locations: vec!["a".into(), "total".into()],
        values: vec![vec![samples.clone(); 14]; 2],
    };
    let q = f.epiweek_quantiles(0, t, 6.0).unwrap();
    // Days 1..=5 after a Monday origin: five draws of member m sum to 5m.
    let (from, to) = t.forecast_days();
    assert_eq!((from, to), (1, 5));
    let bare = f.hub_quantiles(0, from, to).unwrap();
    for (a, b) in q.values().iter().zip(bare.values()) {
        assert!((a - b - 6.0).abs() < 1e-9, "{a} vs {b} + 6");
    }
}

#[test]
fn the_first_days_share_follows_the_weekday_pattern() {
    use didymos_twin::companions::first_days_share;
    // Day 1 is a Sunday: each week counts 1, 2, …, 7 (28 in all).
    let week = |d: usize| Some(1.0 + ((d - 1) % 7) as f64);
    let s = stream(&(1..=21).map(week).collect::<Vec<_>>());
    // The epiweek starting on day 15: the two weeks before it.
    assert!((first_days_share(&s, 15, 1, 8) - 1.0 / 28.0).abs() < 1e-12);
    assert!((first_days_share(&s, 15, 2, 8) - 3.0 / 28.0).abs() < 1e-12);
    assert!((first_days_share(&s, 15, 2, 1) - 3.0 / 28.0).abs() < 1e-12);
    // Weeks are read back to the first gap; none at all gives days/7.
    let mut gappy = (1..=21).map(week).collect::<Vec<_>>();
    gappy[9] = None;
    let g = stream(&gappy);
    assert!((first_days_share(&g, 15, 2, 8) - 1.0 / 7.0 * 2.0).abs() < 1e-12);
    gappy[9] = Some(10.0);
    let g = stream(&gappy);
    // Week 2 now holds 10 instead of 3 on its Tuesday: (1 + 2) / (28 + 7).
    assert!((first_days_share(&g, 15, 2, 1) - 3.0 / 35.0).abs() < 1e-12);
    assert!((first_days_share(&s, 5, 1, 8) - 1.0 / 7.0).abs() < 1e-12);
    assert!((first_days_share(&stream(&[Some(0.0); 21]), 15, 2, 8) - 2.0 / 7.0).abs() < 1e-12);
}

#[test]
fn observed_days_replace_the_companions_share_of_them() {
    use didymos_twin::companions::{Companions, TrendOptions};
    let past = [100.0, 120.0, 130.0, 150.0];
    let opts = TrendOptions::default();
    let c = Companions::new(&past, None, (0, 28), &[5.0 / 7.0, 12.0 / 7.0], &opts)
        .unwrap()
        .unwrap();
    // Nothing observed and the whole week to come: the trend as it is.
    let (whole, lead) = c.parts(1, Some((0.0, 1.0))).unwrap();
    assert_eq!(&whole, c.trend(1));
    assert_eq!(c.parts(1, None).unwrap(), (whole, lead));
    // Two days observed (40), carrying a quarter of a week: the trend's
    // part is 40 + 0.75·q at every level.
    let (given, none) = c.parts(1, Some((40.0, 0.75))).unwrap();
    assert!(none.is_none(), "no leading series, no lead");
    let trend = c.trend(1);
    let scaled = didymos_forecast::QuantileForecast::new(
        trend.levels().to_vec(),
        trend.values().iter().map(|v| 40.0 + 0.75 * v).collect(),
    )
    .unwrap();
    assert_eq!(given, scaled);
}
