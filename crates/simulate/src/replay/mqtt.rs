//! The MQTT target: each batch is one PUBLISH at QoS 1 on the URL's topic,
//! its payload one record (batch of 1) or a JSON array of records. A
//! background thread drives the connection and counts PUBACKs; `finish`
//! waits (bounded) until every publish is acknowledged, so a replay that
//! reports success has had every message accepted by the broker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use super::{SendOutcome, Sink};
use crate::record::Record;

/// How long `finish` waits for outstanding acknowledgements.
const ACK_WAIT: Duration = Duration::from_secs(30);
/// Consecutive connection errors after which the driver gives up.
const MAX_CONNECTION_ERRORS: u32 = 5;

pub struct MqttSink {
    client: Client,
    topic: String,
    /// Records per publish, to turn acknowledged publishes into records.
    published: Vec<usize>,
    acked: Arc<AtomicU64>,
    error: Arc<Mutex<Option<String>>>,
    driver: Option<JoinHandle<()>>,
}

impl MqttSink {
    pub fn new(host: &str, port: u16, topic: &str) -> MqttSink {
        let mut opts =
            MqttOptions::new(format!("didymos-replay-{}", std::process::id()), host, port);
        opts.set_keep_alive(Duration::from_secs(30))
            .set_inflight(1000)
            .set_max_packet_size(1 << 20, 64 << 20);
        let (client, mut connection) = Client::new(opts, 1000);
        let acked = Arc::new(AtomicU64::new(0));
        let error = Arc::new(Mutex::new(None));
        let (a, e) = (acked.clone(), error.clone());
        let driver = std::thread::spawn(move || {
            let mut failures = 0;
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        a.fetch_add(1, Ordering::SeqCst);
                        failures = 0;
                    }
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => break,
                    Ok(_) => failures = 0,
                    Err(err) => {
                        failures += 1;
                        if let Ok(mut slot) = e.lock() {
                            slot.get_or_insert_with(|| format!("MQTT: {err}"));
                        }
                        if failures >= MAX_CONNECTION_ERRORS {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        });
        MqttSink {
            client,
            topic: topic.to_string(),
            published: Vec::new(),
            acked,
            error,
            driver: Some(driver),
        }
    }

    fn driver_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
}

impl Sink for MqttSink {
    fn send(&mut self, batch: &[Record], _index: u64) -> SendOutcome {
        if self.driver.as_ref().is_some_and(|d| d.is_finished()) {
            let msg = self
                .driver_error()
                .unwrap_or_else(|| "MQTT connection closed".into());
            return SendOutcome::failed(batch.len(), msg);
        }
        let payload = if batch.len() == 1 {
            batch[0].to_wire_json()
        } else {
            let items: Vec<String> = batch.iter().map(Record::to_wire_json).collect();
            format!("[{}]", items.join(","))
        };
        match self
            .client
            .publish(&self.topic, QoS::AtLeastOnce, false, payload)
        {
            Ok(()) => {
                self.published.push(batch.len());
                // Counted as accepted once acknowledged, in `finish`.
                SendOutcome::accepted(0)
            }
            Err(e) => SendOutcome::failed(batch.len(), format!("MQTT publish: {e}")),
        }
    }

    fn finish(&mut self) -> Result<(), String> {
        let want = self.published.len() as u64;
        let deadline = Instant::now() + ACK_WAIT;
        while self.acked.load(Ordering::SeqCst) < want
            && Instant::now() < deadline
            && !self.driver.as_ref().is_some_and(|d| d.is_finished())
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        let acked = self.acked.load(Ordering::SeqCst);
        let _ = self.client.disconnect();
        if let Some(d) = self.driver.take() {
            // The driver ends on the outgoing DISCONNECT or on errors.
            let until = Instant::now() + Duration::from_secs(5);
            while !d.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if d.is_finished() {
                let _ = d.join();
            }
        }
        if acked < want {
            return Err(format!(
                "{} of {want} MQTT publishes were not acknowledged{}",
                want - acked,
                self.driver_error()
                    .map_or(String::new(), |e| format!(" ({e})"))
            ));
        }
        Ok(())
    }

    fn acknowledged_records(&self) -> Option<u64> {
        let acked = self.acked.load(Ordering::SeqCst) as usize;
        // PUBACKs arrive in order for one connection, so the first `acked`
        // publishes are the acknowledged ones.
        Some(self.published.iter().take(acked).map(|&n| n as u64).sum())
    }
}
