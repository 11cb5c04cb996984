//! The dashboard's corrections panel in a real headless Chromium: a day of
//! Madrid's counts retracted from the form (the twin starts again and,
//! with Madrid's last day gone, forecasts from the day before), a
//! reassimilation from its button, and, against a real mosquitto, the MQTT
//! messages the service kept: tried again from the page, refused while
//! their cause stands, stored once the stream is registered from the
//! page's own form. A twin switched to nowcasting shows under its fan chart
//! which days it reads as incomplete.
//! Screenshots go to target/test-artifacts/dashboard/.

mod support;

use std::time::Duration;

use rumqttc::{MqttOptions, QoS};
use serde_json::{json, Value};
use support::broker::Broker;
use support::cdp::{artifacts, chromium_or_skip, Browser};
use support::seed::{dates, Service, ADMIN};

const SECOND: Duration = Duration::from_secs(1);

/// Publishes `payloads` to `topic` and waits until the service has kept
/// them all as rejected.
fn publish_rejected(service: &Service, broker: &Broker, topic: &str, payloads: &[String]) {
    let mut opts = MqttOptions::new("dashboard-test-publisher", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = rumqttc::Client::new(opts, 10);
    std::thread::spawn(move || for _ in connection.iter() {});
    for p in payloads {
        client
            .publish(topic, QoS::AtLeastOnce, false, p.clone().into_bytes())
            .unwrap();
    }
    let start = std::time::Instant::now();
    while service.get("/v1/mqtt")["rejected"] != payloads.len() {
        assert!(start.elapsed() < 20 * SECOND, "{}", service.get("/v1/mqtt"));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn corrections_from_the_dashboard() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    // Without mosquitto (it prints SKIPPED), the kept messages are left out.
    let broker = Broker::start();
    let service = Service::start_with_mqtt(broker.as_ref().map(Broker::addr));
    service.create_spain_twin(10);
    let seeded = dates((2020, 3, 1), 10);
    service.ingest_days(&seeded);
    service.wait_for_forecast("2020-03-10", 240 * SECOND);
    let madrid_last_day = service
        .get("/v1/twins/spain/streams/hosp/observations?from=2020-03-10&to=2020-03-10&limit=10000")
        ["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["location"] == "28")
        .count();
    assert!(madrid_last_day > 0);
    let total = service.get("/v1/twins/spain/status")["observations"]
        .as_i64()
        .unwrap();

    if let Some(broker) = &broker {
        let (s, b) = service.post(
            "/v1/twins/spain/streams",
            &json!({"name": "hosp-28", "unit": "persons/day", "observable": "new_hospitalized",
                    "location": "28", "cadence": "1d", "mqtt_topic": "spain/hosp/28"}),
        );
        assert_eq!(s, 201, "{b}");
        let start = std::time::Instant::now();
        while service.get("/v1/mqtt")["connected"] != true {
            assert!(start.elapsed() < 10 * SECOND, "no MQTT connection");
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        publish_rejected(
            &service,
            broker,
            "spain/hosp/28",
            &[
                "not json {".to_string(),
                json!({"stream": "hosp-late", "time": "2020-03-10", "stratum": "Y", "value": 3})
                    .to_string(),
            ],
        );
    }

    let out = artifacts();
    let mut b = Browser::launch(&chromium, &out.join("chromium-corrections.log"));
    b.viewport(1280, 900);
    b.open_with_token(&format!("{}#/twin/spain", service.base()), ADMIN);
    b.wait_until(
        "the twin page with its corrections panel",
        "document.getElementById('main').dataset.ready === 'twin' && !!document.getElementById('retract-form') && document.getElementById('fan-chart').dataset.origin === '2020-03-10'",
        60 * SECOND,
    );

    // A bad range: the API's message.
    b.set_value("#retract-stream", "hosp");
    b.set_value("#retract-from", "2020-03-10");
    b.set_value("#retract-to", "2020-03-09");
    b.type_into("#retract-reason", "mistyped");
    b.click("#retract-form button[type=submit]");
    b.wait_until(
        "the API's message on the range",
        "document.getElementById('retract-message').textContent.includes('is after')",
        10 * SECOND,
    );
    // Madrid's last day, retracted.
    b.set_value("#retract-to", "2020-03-10");
    b.type_into("#retract-location", "28");
    b.click("#retract-form button[type=submit]");
    b.wait_until(
        "the retraction's outcome",
        &format!("document.getElementById('retract-message').textContent.startsWith('Retracted {madrid_last_day} observations') && document.getElementById('retract-message').textContent.includes('from the start')"),
        10 * SECOND,
    );
    // The day lacks Madrid now, so it waits (for the twin's settle time):
    // the new forecast is from the day before.
    b.wait_until(
        "the forecast without Madrid's last day",
        "document.getElementById('fan-chart').dataset.origin === '2020-03-09'",
        120 * SECOND,
    );
    b.screenshot(&out.join("corrections-retracted.png"));
    let kept = service.get(
        "/v1/twins/spain/streams/hosp/observations?from=2020-03-10&to=2020-03-10&limit=10000&include_retracted=true",
    );
    let marked: Vec<&Value> = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["retraction_reason"] == "mistyped")
        .collect();
    assert_eq!(marked.len(), madrid_last_day);
    assert!(marked.iter().all(|o| o["location"] == "28"));

    // Assimilate again from the button: the count excludes the retracted.
    b.click("#reassimilate-button");
    b.wait_until(
        "the reassimilation's start",
        &format!(
            "document.getElementById('reassimilate-message').textContent.includes('{} observations')",
            total - madrid_last_day as i64
        ),
        10 * SECOND,
    );

    // The late-values policy, changed in place.
    b.set_value("#late-values", "rewind");
    b.wait_until(
        "the policy changed",
        "document.getElementById('reassimilate-message').textContent.includes('send the twin back')",
        10 * SECOND,
    );
    assert_eq!(service.get("/v1/twins/spain")["late_values"], "rewind");
    b.set_value("#nowcast", "true");
    b.wait_until(
        "nowcasting switched on",
        "document.getElementById('reassimilate-message').textContent.includes('read as incomplete')",
        10 * SECOND,
    );
    assert_eq!(service.get("/v1/twins/spain")["nowcast"], true);

    if broker.is_some() {
        b.wait_until(
            "both kept messages listed",
            "document.querySelectorAll('#corrections tr[data-message]').length === 2",
            30 * SECOND,
        );
        let row = |text: &str| {
            format!(
                "[...document.querySelectorAll('#corrections tr[data-message]')].find((tr) => tr.textContent.includes('{text}'))"
            )
        };
        // Refused while the stream it names does not exist. (The outcome
        // goes to the panel's status line, which a live refresh of the
        // list keeps.)
        b.eval(&format!(
            "{}.querySelector('button').click()",
            row("hosp-late")
        ));
        b.wait_until(
            "the refusal",
            "document.getElementById('kept-message').textContent.includes('no stream `hosp-late`')",
            10 * SECOND,
        );
        // Registered from the page's own form, bound to the topic.
        b.type_into("#stream-name", "hosp-late");
        b.type_into("#stream-location", "28");
        b.type_into("#stream-mqtt-topic", "spain/hosp/28");
        b.click("#stream-form button[type=submit]");
        b.wait_until(
            "the stream registered",
            "document.getElementById('stream-message').textContent.includes('registered')",
            10 * SECOND,
        );
        b.eval(&format!(
            "{}.querySelector('button').click()",
            row("hosp-late")
        ));
        b.wait_until(
            "the message stored",
            "document.getElementById('kept-message').textContent.endsWith(': Stored 1.')",
            10 * SECOND,
        );
        b.eval(&format!(
            "{}.querySelector('button').click()",
            row("not json")
        ));
        b.wait_until(
            "the garbage still refused",
            "document.getElementById('kept-message').textContent.includes('not JSON')",
            10 * SECOND,
        );
        b.screenshot(&out.join("corrections-kept-messages.png"));
        let stored = service.get("/v1/twins/spain/streams/hosp-late/observations");
        assert_eq!(stored["items"][0]["value"], 3.0, "{stored}");
        assert_eq!(stored["items"][0]["location"], "28", "{stored}");
    }
    assert!(b.page_errors.is_empty(), "page errors: {:?}", b.page_errors);
}

#[test]
fn a_nowcasting_twin_shows_its_provisional_days() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let service = Service::start();
    service.create_spain_twin(10);
    let (s, b, _) = service.request(
        "PATCH",
        "/v1/twins/spain",
        Some(&json!({"nowcast": true})),
        true,
    );
    assert_eq!(s, 200, "{b}");
    // Three weeks of counts first reported at half, whole three days on.
    service.ingest_days_issued(&dates((2020, 3, 1), 21), 3);
    service.wait_for_forecast("2020-03-21", 240 * SECOND);

    let out = artifacts();
    let mut b = Browser::launch(&chromium, &out.join("chromium-nowcast.log"));
    b.viewport(1280, 900);
    b.open_with_token(&format!("{}#/twin/spain", service.base()), ADMIN);
    b.wait_until(
        "the note on the provisional days",
        "document.getElementById('provisional-note')?.textContent.startsWith('Still being reported: the 3 days from 2020-03-19 to 2020-03-21 are read as incomplete')",
        60 * SECOND,
    );
    // Drawn open, each with a dashed line up to its expected final count.
    assert_eq!(
        b.eval("document.querySelectorAll('#fan-chart .observed-point.provisional').length"),
        json!(3)
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#fan-chart .provisional-gap').length"),
        json!(3)
    );
    b.screenshot(&out.join("nowcast-provisional.png"));
    assert!(b.page_errors.is_empty(), "page errors: {:?}", b.page_errors);
}
