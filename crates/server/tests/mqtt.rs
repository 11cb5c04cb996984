//! MQTT ingestion against a real mosquitto: a stream bound to a topic is
//! subscribed, its messages (one record or an array) are stored as they
//! arrive, and unusable payloads are counted without stopping the
//! subscriber.

mod common;

use std::time::Duration;

use common::broker::Broker;
use common::*;
use rumqttc::{MqttOptions, QoS};
use serde_json::json;

#[test]
fn messages_on_a_bound_topic_are_stored() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let server = start_server(Some(broker.addr()));
    let c = Client::new(&server, Some(ADMIN));
    create_spain_twin(&c, "spain", 20, 600_000);
    let a = c.post(
        "/v1/twins/spain/streams",
        &json!({"name": "hosp-madrid", "unit": "persons/day", "observable": "new_hospitalized",
                "location": "28", "cadence": "1d", "mqtt_topic": "spain/hosp/28"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    wait_for("the subscription", Duration::from_secs(10), || {
        let s = c.get("/v1/mqtt");
        (s.body["connected"] == true).then_some(())
    });
    // Subscribing is asynchronous: give the broker a moment to register it.
    std::thread::sleep(Duration::from_millis(300));

    let mut opts = MqttOptions::new("didymos-test-publisher", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = rumqttc::Client::new(opts, 100);
    std::thread::spawn(move || for _ in connection.iter() {});
    let publish = |payload: String| {
        client
            .publish(
                "spain/hosp/28",
                QoS::AtLeastOnce,
                false,
                payload.into_bytes(),
            )
            .unwrap()
    };
    // One record, without `stream` (the topic names it) nor location (bound).
    publish(json!({"time": "2020-03-01", "stratum": "Y", "value": 4}).to_string());
    // Garbage, and a record that fails validation: counted, not fatal.
    publish("not json {".into());
    publish(json!({"time": "2020-03-01", "value": -3}).to_string());
    // An array.
    publish(
        json!([
            {"time": "2020-03-02", "stratum": "M", "value": 7},
            {"stream": "hosp-madrid", "time": "2020-03-02T12:00:00Z", "stratum": "O", "value": 9}
        ])
        .to_string(),
    );
    let status = wait_for("the stored messages", Duration::from_secs(20), || {
        let s = c.get("/v1/mqtt");
        (s.body["stored"] == 3 && s.body["rejected"] == 2).then_some(s.body)
    });
    assert_eq!(status["messages"], 4);
    // The refused ones are kept with the reason, newest first.
    let rejected = c.get("/v1/mqtt/rejected");
    assert_eq!(rejected.status, 200, "{rejected:?}");
    let items = rejected.body.as_array().unwrap();
    assert_eq!(items.len(), 2, "{rejected:?}");
    let garbage = items.iter().find(|r| r["payload"] == "not json {");
    let garbage = garbage.unwrap_or_else(|| panic!("{rejected:?}"));
    assert!(
        garbage["reason"].as_str().unwrap().contains("not JSON"),
        "{garbage}"
    );
    assert_eq!(garbage["topic"], "spain/hosp/28");
    let negative = items.iter().find(|r| r["payload"] != "not json {").unwrap();
    assert!(
        negative["payload"].as_str().unwrap().contains("-3"),
        "{negative}"
    );
    assert!(
        negative["reason"].as_str().unwrap().contains("count"),
        "{negative}"
    );
    let page = c.get(&format!(
        "/v1/mqtt/rejected?limit=1&before={}",
        items[0]["id"]
    ));
    assert_eq!(page.body.as_array().unwrap().len(), 1, "{page:?}");
    assert_eq!(page.body[0]["id"], items[1]["id"]);
    assert_problem(&c.get("/v1/mqtt/rejected?limit=0"), 422);
    let history = c.get("/v1/twins/spain/streams/hosp-madrid/observations");
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["location"], "28");
    assert_eq!(items[2]["value"], 9.0);
    assert_eq!(items[2]["time"], "2020-03-02T12:00:00Z");

    // A record for a stream not registered yet is kept; once the stream is
    // bound to the topic, a retry stores it.
    publish(
        json!({"stream": "hosp-madrid-2", "time": "2020-03-03", "stratum": "Y", "value": 2})
            .to_string(),
    );
    let early = wait_for("the early record", Duration::from_secs(20), || {
        let r = c.get("/v1/mqtt/rejected?limit=1");
        let r = r.body.as_array().unwrap();
        r.first()
            .filter(|m| m["payload"].as_str().unwrap().contains("hosp-madrid-2"))
            .cloned()
    });
    let retry =
        |id: &serde_json::Value| c.post(&format!("/v1/mqtt/rejected/{id}/retry"), &json!({}));
    let a = retry(&early["id"]);
    assert_problem(&a, 422);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("no stream `hosp-madrid-2`"),
        "{a:?}"
    );
    let a = c.post(
        "/v1/twins/spain/streams",
        &json!({"name": "hosp-madrid-2", "unit": "persons/day", "observable": "new_hospitalized",
                "location": "28", "cadence": "1d", "mqtt_topic": "spain/hosp/28"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let a = retry(&early["id"]);
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        a.body,
        json!({"twin": "spain", "stored": 1, "still_rejected": []})
    );
    let stored = c.get("/v1/twins/spain/streams/hosp-madrid-2/observations");
    assert_eq!(stored.body["items"][0]["value"], 2.0, "{stored:?}");
    assert_eq!(stored.body["items"][0]["location"], "28", "{stored:?}");
    // Stored once: a second retry is a conflict; the message stays listed.
    assert_problem(&retry(&early["id"]), 409);
    let all = c.get("/v1/mqtt/rejected");
    let listed = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == early["id"])
        .cloned();
    assert!(listed.is_some_and(|m| m["stored"].is_string()), "{all:?}");
    let pending = c.get("/v1/mqtt/rejected?pending=true");
    assert_eq!(pending.body.as_array().unwrap().len(), 2, "{pending:?}");
    // Garbage stays garbage; an unknown id is not found.
    let a = retry(&garbage["id"]);
    assert_problem(&a, 422);
    assert!(
        a.body["detail"].as_str().unwrap().contains("not JSON"),
        "{a:?}"
    );
    assert_problem(&retry(&json!(999_999)), 404);
    let reader = c.post("/v1/tokens", &json!({"name": "r", "scopes": ["read"]}));
    let reader = Client::new(&server, reader.body["token"].as_str());
    assert_problem(
        &reader.post(
            &format!("/v1/mqtt/rejected/{}/retry", negative["id"]),
            &json!({}),
        ),
        403,
    );
}

/// Messages published while the server is down are stored once it is back:
/// the session is persistent and acknowledgements wait for the commit.
#[test]
fn messages_sent_while_the_server_is_down_are_stored_after_restart() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut c = didymos_server::Config::new(dir.path());
        c.listen = "127.0.0.1:0".parse().unwrap();
        c.admin_token = Some(ADMIN.into());
        c.mqtt = Some(broker.addr());
        c
    };
    let first = TestServer {
        server: didymos_server::BackgroundServer::start(config()).unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    let c = Client::new(&first, Some(ADMIN));
    create_spain_twin(&c, "spain", 10, 600_000);
    let a = c.post(
        "/v1/twins/spain/streams",
        &json!({"name": "hosp-madrid", "unit": "persons/day", "observable": "new_hospitalized",
                "location": "28", "cadence": "1d", "mqtt_topic": "spain/hosp/28"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    wait_for("the subscription", Duration::from_secs(10), || {
        (c.get("/v1/mqtt").body["connected"] == true).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    drop(first);

    let mut opts = MqttOptions::new("didymos-test-publisher-2", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = rumqttc::Client::new(opts, 100);
    let acks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = acks.clone();
    std::thread::spawn(move || {
        for e in connection.iter().flatten() {
            if let rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) = e {
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    for day in 1..=5 {
        let rec = json!({"time": format!("2020-03-0{day}"), "stratum": "Y", "value": day});
        client
            .publish(
                "spain/hosp/28",
                QoS::AtLeastOnce,
                false,
                rec.to_string().into_bytes(),
            )
            .unwrap();
    }
    wait_for(
        "the broker to take the messages",
        Duration::from_secs(10),
        || (acks.load(std::sync::atomic::Ordering::Relaxed) == 5).then_some(()),
    );

    let second = TestServer {
        server: didymos_server::BackgroundServer::start(config()).unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    let c = Client::new(&second, Some(ADMIN));
    let items = wait_for(
        "the messages after the restart",
        Duration::from_secs(20),
        || {
            let h = c.get("/v1/twins/spain/streams/hosp-madrid/observations");
            let items = h.body["items"].as_array().cloned().unwrap_or_default();
            (items.len() == 5).then_some(items)
        },
    );
    let days: Vec<&str> = items.iter().map(|i| i["time"].as_str().unwrap()).collect();
    assert_eq!(days.len(), 5, "each message stored once: {days:?}");
}

/// A flood twin's discharge over MQTT: the same validation as HTTP (a
/// negative discharge is rejected), values converted from the stream's
/// unit, and the live loop forecasts from them.
#[test]
fn discharge_over_mqtt_feeds_the_flood_twin() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let server = start_server(Some(broker.addr()));
    let c = Client::new(&server, Some(ADMIN));
    let a = c.post(
        "/v1/twins",
        &json!({"id": "flood", "spec_path": flood_spec(), "members": 20, "settle_ms": 600_000}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    let a = c.post(
        "/v1/twins/flood/streams",
        &json!({"name": "gauge", "unit": "m3/s", "observable": "discharge", "cadence": "1d",
                "mqtt_topic": "flood/01022500/discharge"}),
    );
    assert_eq!(a.status, 201, "{a:?}");
    wait_for("the subscription", Duration::from_secs(10), || {
        (c.get("/v1/mqtt").body["connected"] == true).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));

    let mut opts = MqttOptions::new("didymos-test-publisher-3", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = rumqttc::Client::new(opts, 100);
    std::thread::spawn(move || for _ in connection.iter() {});
    for rec in [
        json!({"time": "2002-06-02", "value": -1.0}),
        json!({"time": "2002-06-01", "value": 6.5}),
    ] {
        client
            .publish(
                "flood/01022500/discharge",
                QoS::AtLeastOnce,
                false,
                rec.to_string().into_bytes(),
            )
            .unwrap();
    }
    wait_for("the stored message", Duration::from_secs(20), || {
        let s = c.get("/v1/mqtt");
        (s.body["stored"] == 1 && s.body["rejected"] == 1).then_some(())
    });
    let history = c.get("/v1/twins/flood/streams/gauge/observations");
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["location"], "01022500");
    assert_eq!(items[0]["value"], 6.5);
    let fc = wait_for("the forecast", Duration::from_secs(60), || {
        let f = c.get("/v1/twins/flood/forecasts/latest");
        (f.body["origin"] == "2002-06-01").then_some(f.body)
    });
    assert_eq!(fc["targets"][0]["unit"], "mm/day", "{fc}");
}
