//! The dashboard in a real headless Chromium against a service seeded with
//! the demo twin: overview, fan chart, map (one shape per area), selecting
//! an area by mouse and keyboard, a scenario job, a live update after new
//! data, the stream form's validation message, alert rules (the log, a rule
//! added on the weekly ensemble after a refused one, and deleted), past
//! forecasts scored once the data reach them (days, then an epiweek: the
//! weekly ensemble and the twin alone), and the tablet width.
//! Screenshots go to target/test-artifacts/dashboard/.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::cdp::{artifacts, chromium_or_skip, Browser};
use support::seed::{dates, Service, ADMIN};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn the_dashboard_shows_a_live_twin_in_a_real_browser() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let started = Instant::now();
    let out = artifacts();
    let service = Service::start();
    service.create_spain_twin(10);
    // Four weeks of data in one batch: one assimilation, one forecast.
    let seeded = dates((2020, 2, 10), 30);
    service.ingest_days(&seeded);
    let last = seeded.last().unwrap().clone();
    service.wait_for_forecast(&last, 240 * SECOND);

    let mut b = Browser::launch(&chromium, &out.join("chromium.log"));
    b.viewport(1280, 900);
    // The token is typed into the UI, never put in the URL.
    b.open_with_token(&service.base(), ADMIN);
    b.wait_until(
        "the overview with one card and its sparkline",
        "document.getElementById('main').dataset.ready === 'overview' && document.querySelectorAll('.card[data-twin=spain] .sparkline polyline').length === 1",
        60 * SECOND,
    );
    assert_eq!(
        b.eval("location.href.includes('dashboard-test')"),
        json!(false)
    );
    assert_eq!(
        b.eval("sessionStorage.getItem('didymos.token')"),
        json!(ADMIN)
    );
    b.screenshot(&out.join("overview-1280.png"));

    // The twin page: chart with observed points and both bands, 52 areas.
    b.click(".card[data-twin=spain] h2 a");
    b.wait_until(
        "the fan chart and the map",
        "document.getElementById('main').dataset.ready === 'twin' && !!document.querySelector('#fan-chart svg .band-90') && document.querySelectorAll('#map path.area').length > 0",
        60 * SECOND,
    );
    let observed = b.eval("document.querySelectorAll('#fan-chart .observed-point').length");
    assert_eq!(observed, json!(30), "one observed point per day of data");
    for sel in [
        "#fan-chart .band-90",
        "#fan-chart .band-50",
        "#fan-chart .median",
    ] {
        assert_eq!(
            b.eval(&format!("document.querySelectorAll('{sel}').length")),
            json!(1),
            "{sel}"
        );
    }
    assert_eq!(
        b.eval("document.querySelectorAll('#map path.area').length"),
        json!(52)
    );
    assert_eq!(
        b.eval("document.querySelector('#fan-chart').innerText.includes('90% of forecasts fall in this band')"),
        json!(true)
    );
    // The alert log describes the ensemble rule by its epiweek.
    b.wait_until(
        "the ensemble rule's firing in the alert log",
        "[...document.querySelectorAll('#alerts table.alert-log tbody tr')].some((tr) => tr.textContent.includes('madrid-week-1') && tr.textContent.includes('epiweek 1 week ahead (weekly ensemble)') && tr.textContent.includes('Firing') && tr.textContent.includes('99% or more'))",
        30 * SECOND,
    );
    // A rule from the form: on the weekly ensemble the days give way to
    // the epiweek; the API's message for a bad chance marks its field;
    // the rule appears in the table and its Delete button removes it.
    b.set_value("#rule-forecast", "ensemble");
    assert_eq!(
        b.eval("[document.getElementById('rule-days-field').hidden, document.getElementById('rule-week-field').hidden, getComputedStyle(document.getElementById('rule-days-field')).display]"),
        json!([true, false, "none"])
    );
    b.type_into("#rule-name", "barcelona-week-2");
    b.set_value("#rule-location", "08");
    b.type_into("#rule-week", "2");
    b.type_into("#rule-threshold", "100");
    b.type_into("#rule-probability", "0.995");
    b.click("#rule-form button[type=submit]");
    b.wait_until(
        "the API's message on the chance",
        "document.getElementById('rule-message').textContent.includes('probability') && document.getElementById('rule-probability').getAttribute('aria-invalid') === 'true'",
        10 * SECOND,
    );
    b.type_into("#rule-probability", "0.5");
    b.click("#rule-form button[type=submit]");
    b.wait_until(
        "the new rule in the table",
        "document.getElementById('rule-message').textContent.includes('added') && [...document.querySelectorAll('#alerts table.alert-rules tr[data-rule=\"barcelona-week-2\"]')].some((tr) => tr.textContent.includes('in 08 over the epiweek 2 weeks ahead (weekly ensemble) above 100'))",
        10 * SECOND,
    );
    b.screenshot(&out.join("alert-rule-added.png"));
    b.click("#alerts tr[data-rule=\"barcelona-week-2\"] button.delete-rule");
    b.wait_until(
        "the rule deleted",
        "!document.querySelector('#alerts tr[data-rule=\"barcelona-week-2\"]') && !!document.querySelector('#alerts tr[data-rule=\"madrid-week-1\"]')",
        10 * SECOND,
    );
    // Past skill: the only forecast has no day the data has reached yet.
    b.wait_until(
        "the skill section saying nothing is scored yet",
        "document.getElementById('skill').textContent.includes('Nothing to score yet')",
        10 * SECOND,
    );
    let load_marker = b.eval("window.didymosPageLoad");
    b.screenshot(&out.join("twin-1280.png"));

    // Clicking Madrid (28) switches the chart to it.
    let before = b.eval("document.querySelector('#fan-chart svg').getAttribute('points') || document.querySelector('#fan-chart .band-90').getAttribute('points')");
    b.click("#map path[data-area='28']");
    b.wait_until(
        "the chart to show Madrid",
        "document.querySelector('#fan-chart svg').dataset.area === '28' && document.querySelector('#fan-chart h3').textContent.includes('Madrid')",
        10 * SECOND,
    );
    let after = b.eval("document.querySelector('#fan-chart .band-90').getAttribute('points')");
    assert_ne!(before, after, "the bands changed with the area");
    // Under the chart, Madrid's weekly totals from the ensemble with the
    // statistical companions: from Tuesday 2020-03-10, the one epiweek that
    // ends within the 14-day horizon (Saturday 03-21), its middle forecast
    // inside its 50% range inside its 90% range.
    assert_eq!(
        b.eval("document.querySelectorAll('#weekly-ensemble tbody tr').length"),
        json!(1)
    );
    assert_eq!(
        b.eval("document.querySelector('#weekly-ensemble tbody th').textContent"),
        json!("2020-03-21")
    );
    assert_eq!(
        b.eval("document.querySelector('#weekly-ensemble caption').textContent.includes('Madrid')"),
        json!(true)
    );
    let nested = b.eval(
        "[...document.querySelectorAll('#weekly-ensemble tbody tr')].every((tr) => { \
           const n = (t) => t.split('–').map((x) => Number(x.trim().replace(/,/g, ''))); \
           const [m] = n(tr.cells[1].textContent), [a, b] = n(tr.cells[2].textContent), [c, d] = n(tr.cells[3].textContent); \
           return c <= a && a <= m && m <= b && b <= d && d > 0; })",
    );
    assert_eq!(nested, json!(true), "weekly ranges not nested");
    assert_eq!(
        b.eval(
            "document.querySelector('#map path[data-area=\"28\"]').getAttribute('aria-pressed')"
        ),
        json!("true")
    );
    // And by keyboard: focus Barcelona (08), press Enter.
    b.eval("document.querySelector('#map path[data-area=\"08\"]').focus()");
    b.press_enter();
    b.wait_until(
        "the chart to show Barcelona",
        "document.querySelector('#fan-chart svg').dataset.area === '08'",
        10 * SECOND,
    );
    b.screenshot(&out.join("area-selected.png"));

    // A scenario job from the form (its example is dated from the posterior).
    b.type_into("#scenario-members", "10");
    b.click("#scenario-form button[type=submit]");
    b.wait_until(
        "the scenario's paired differences",
        "!!document.querySelector('#scenario-jobs .job[data-status=succeeded] table.differences tbody tr')",
        240 * SECOND,
    );
    b.screenshot(&out.join("scenario-result.png"));

    // The stream form shows the API's validation message.
    b.type_into("#stream-name", "bad name!");
    b.type_into("#stream-cadence", "every day");
    b.click("#stream-form button[type=submit]");
    b.wait_until(
        "the API's validation message",
        "document.getElementById('stream-message').textContent.length > 0 && !document.getElementById('stream-message').textContent.includes('registered')",
        10 * SECOND,
    );
    // The problem's pointer (/name) marks the field and is named in words.
    assert_eq!(
        b.eval("document.getElementById('stream-name').getAttribute('aria-invalid')"),
        json!("true")
    );
    let message = b.eval("document.getElementById('stream-message').textContent");
    assert!(
        message.as_str().is_some_and(|m| m.contains("(field name)")),
        "{message}"
    );
    b.screenshot(&out.join("stream-form-error.png"));

    // A new day through the API: the page updates without a reload.
    let next = dates((2020, 3, 11), 1);
    service.ingest_days(&next);
    b.wait_until(
        "the new forecast on the page",
        "document.getElementById('fan-chart').dataset.origin === '2020-03-11' && document.getElementById('live-note').textContent.includes('2020-03-11')",
        180 * SECOND,
    );
    assert_eq!(
        b.eval("window.didymosPageLoad"),
        load_marker,
        "the page was reloaded"
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#fan-chart .observed-point').length"),
        json!(31)
    );
    assert_eq!(
        b.eval("document.querySelector('#fan-chart svg').dataset.area"),
        json!("08"),
        "the chosen area is kept"
    );
    // The forecast from 03-10 now has a day the twin has assimilated: its
    // first day in the area chosen (Barcelona) is scored, no epiweek yet.
    b.wait_until(
        "the first day of the forecast from 2020-03-10 scored",
        "(() => { const tr = document.querySelector('#skill-daily tbody tr[data-days=\"1-7\"]'); \
           return !!tr && tr.cells[1].textContent === '1' && document.querySelector('#skill-daily caption').textContent.includes('Barcelona (08)'); })()",
        60 * SECOND,
    );
    assert_eq!(
        b.eval("[document.getElementById('skill').textContent.includes('from 2020-03-10 to 2020-03-10 (1), scored against the data through 2020-03-11'), !!document.getElementById('skill-weekly-none')]"),
        json!([true, true])
    );
    // It follows the area chosen: all areas together.
    b.set_value("#area-select", "total");
    b.wait_until(
        "the skill of the total",
        "(() => { const tr = document.querySelector('#skill-daily tbody tr[data-days=\"1-7\"]'); \
           return !!tr && tr.cells[1].textContent === '1' && document.querySelector('#skill-daily caption').textContent.includes('All areas'); })()",
        30 * SECOND,
    );
    b.screenshot(&out.join("live-update-1280.png"));
    // Ten more days complete the epiweek ending 03-21, week 1 of the
    // forecasts from 03-10 and 03-11 (a Tuesday and a Wednesday): the
    // weekly table appears, the ensemble, the twin alone and the trend
    // alone each with a relative error against the baseline (no cases are
    // posted here, so there is no lead: a dash), and the share of outcomes
    // above the middle forecast; and a point per origin for week 1.
    service.ingest_days(&dates((2020, 3, 12), 10));
    b.wait_until(
        "week 1 of two forecasts scored",
        "(() => { const tr = document.querySelector('#skill-weekly tbody tr[data-weeks=\"1\"]'); \
           return !!tr && tr.cells[1].textContent === '2' \
             && [2, 3, 4].every((i) => /^\\d+\\.\\d\\d$/.test(tr.cells[i].textContent)) \
             && tr.cells[5].textContent === '–' && /^\\d+%$/.test(tr.cells[8].textContent) \
             && document.querySelectorAll('#skill-by-origin circle').length === 2; })()",
        180 * SECOND,
    );
    b.eval("document.getElementById('skill').scrollIntoView()");
    b.screenshot(&out.join("skill-1280.png"));

    // Tablet width: nothing wider than the window.
    b.viewport(768, 1024);
    b.wait_until(
        "the tablet layout",
        "document.documentElement.scrollWidth <= 770",
        10 * SECOND,
    );
    b.screenshot(&out.join("twin-768.png"));
    assert!(b.page_errors.is_empty(), "page errors: {:?}", b.page_errors);
    assert!(
        started.elapsed() < Duration::from_secs(600),
        "took {:?}",
        started.elapsed()
    );
}
