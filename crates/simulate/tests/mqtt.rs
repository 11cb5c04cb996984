//! Replay to a real MQTT broker: `mosquitto`, started by the test on a free
//! 127.0.0.1 port with a generated config. A subscriber in the test checks
//! that every message arrives exactly once, in order. Without mosquitto the
//! test says SKIPPED (it never passes silently).

use std::collections::HashSet;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use didymos_simulate::record::Record;
use didymos_simulate::replay::{replay, Pacing, ReplayOptions, Target};
use didymos_simulate::writer::{write_records, Format};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

fn mosquitto() -> Option<String> {
    [
        "mosquitto",
        "/usr/sbin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ]
    .iter()
    .find(|p| {
        Command::new(p)
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
    .map(|p| p.to_string())
}

struct Broker(Child);
impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_broker(bin: &str, dir: &std::path::Path) -> (Broker, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n")).unwrap();
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let broker = Broker(child);
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "mosquitto did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (broker, port)
}

#[test]
fn every_message_arrives_once_in_order() {
    let Some(bin) = mosquitto() else {
        didymos_core::skipped!("mosquitto not installed (apt-get install mosquitto)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_broker, port) = start_broker(&bin, dir.path());
    const N: usize = 10_000;
    let records: Vec<Record> = (0..N)
        .map(|i| Record {
            stream: "cases".into(),
            time: "2020-03-01".into(),
            location: Some(format!("{:02}", i % 52 + 1)),
            stratum: None,
            value: i as f64,
            issued: None,
            flag: None,
        })
        .collect();
    let path = dir.path().join("obs.ndjson");
    write_records(&path, Format::Ndjson, &records).unwrap();

    // Subscriber: QoS 1, counts values until all arrived or a deadline.
    let mut opts = MqttOptions::new("didymos-test-sub", "127.0.0.1", port);
    opts.set_keep_alive(Duration::from_secs(30))
        .set_inflight(1000);
    let (sub, mut conn) = Client::new(opts, 1000);
    sub.subscribe("didymos/twins/t/observations", QoS::AtLeastOnce)
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (sub_ready_tx, sub_ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        for ev in conn.iter() {
            match ev {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = sub_ready_tx.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                    got.push(v["value"].as_f64().unwrap());
                    if got.len() >= N {
                        break;
                    }
                }
                Err(_) => break,
                _ => {}
            }
            if Instant::now() > deadline {
                break;
            }
        }
        let _ = tx.send(got);
    });
    sub_ready
        .recv_timeout(Duration::from_secs(10))
        .expect("subscription acknowledged");

    let url = format!("mqtt://127.0.0.1:{port}/didymos/twins/t/observations");
    let ropts = ReplayOptions {
        target: Target::parse(&url, false).unwrap(),
        pacing: Pacing::AsFastAsPossible,
        rate: Some(5_000.0),
        batch: 1,
        max_messages: None,
        max_seconds: Some(60.0),
        token: None,
        sort: false,
        retries: 0,
    };
    let report = replay(&path, &ropts, &mut Vec::new()).unwrap();
    println!("mqtt: {report}");
    assert_eq!(report.failed, 0, "{report}");
    assert_eq!(report.accepted, N as u64, "{report}");
    assert!(
        (report.achieved_rate / 5_000.0 - 1.0).abs() < 0.05,
        "{report}"
    );
    let got = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(got.len(), N, "messages received");
    let distinct: HashSet<u64> = got.iter().map(|v| *v as u64).collect();
    assert_eq!(distinct.len(), N, "each message exactly once");
    assert!(
        got.iter().enumerate().all(|(i, v)| *v == i as f64),
        "in order"
    );
}
