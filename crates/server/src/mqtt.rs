//! MQTT ingestion: the server subscribes to the topics its streams are
//! bound to and stores each message as it arrives. A message is one
//! observation record or an array of them, as in the HTTP contract; on a
//! topic bound to one stream, `stream` may be left out. A payload that
//! does not parse, or a record that fails validation, is counted, logged
//! and kept with the reason (`GET /v1/mqtt/rejected`), in the same commit
//! as the message's valid records; the subscriber carries on. A kept
//! message can be tried again once its cause is put right
//! (`POST /v1/mqtt/rejected/{id}/retry`).
//!
//! Subscriptions are QoS 1 with manual acknowledgements: a message is
//! acknowledged to the broker only after its records are committed (or it
//! has been rejected for good), and the session is persistent (a client id
//! derived from the data directory, `clean_session = false`), so a message
//! in flight when the server dies is delivered again after the restart.
//! That is MQTT's at-least-once: a crash between our commit and the ack can
//! store a message twice; HTTP with an idempotency key is exactly-once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ingest::{validate, ObservationIn, Position};
use crate::store::{self, now_ms};
use crate::SharedState;

/// topic → the (twin, stream) pairs bound to it.
type TopicBindings = HashMap<String, Vec<(String, String)>>;

#[derive(Clone)]
pub struct MqttHandle {
    client: AsyncClient,
    topics: Arc<RwLock<TopicBindings>>,
}

impl MqttHandle {
    /// Binds `topic` to a stream and subscribes to it.
    pub fn bind(&self, topic: &str, twin: &str, stream: &str) {
        if let Ok(mut t) = self.topics.write() {
            t.entry(topic.to_string())
                .or_default()
                .push((twin.to_string(), stream.to_string()));
        }
        if let Err(e) = self.client.try_subscribe(topic, QoS::AtLeastOnce) {
            tracing::warn!("MQTT: cannot subscribe to `{topic}` yet ({e}); will on reconnect");
        }
    }
    /// Forgets every binding of a twin (deleted).
    pub fn unbind_twin(&self, twin: &str) {
        if let Ok(mut t) = self.topics.write() {
            for v in t.values_mut() {
                v.retain(|(tw, _)| tw != twin);
            }
            t.retain(|_, v| !v.is_empty());
        }
    }
    fn topics(&self) -> Vec<String> {
        self.topics
            .read()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }
    fn bindings(&self, topic: &str) -> Vec<(String, String)> {
        self.topics
            .read()
            .ok()
            .and_then(|t| t.get(topic).cloned())
            .unwrap_or_default()
    }
}

/// Counters shown at `GET /v1/mqtt`.
#[derive(Default)]
pub struct MqttStats {
    pub messages: AtomicU64,
    pub stored: AtomicU64,
    pub rejected: AtomicU64,
    pub connected: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MqttStatus {
    pub enabled: bool,
    pub connected: bool,
    /// Messages received.
    pub messages: u64,
    /// Observations stored from them.
    pub stored: u64,
    /// Payloads or records that could not be used.
    pub rejected: u64,
    pub topics: Vec<String>,
}

pub fn status(state: &SharedState) -> MqttStatus {
    let s = &state.mqtt_stats;
    MqttStatus {
        enabled: state.mqtt.is_some(),
        connected: s.connected.load(Ordering::Relaxed),
        messages: s.messages.load(Ordering::Relaxed),
        stored: s.stored.load(Ordering::Relaxed),
        rejected: s.rejected.load(Ordering::Relaxed),
        topics: state.mqtt.as_ref().map(|m| m.topics()).unwrap_or_default(),
    }
}

/// A client for the broker at `host:port` (connects when its loop runs);
/// `session` names the persistent session (one per data directory).
pub fn connect(addr: &str, session: &str) -> Result<(MqttHandle, EventLoop), String> {
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("--mqtt `{addr}`: expected HOST:PORT"))?;
    let mut opts = MqttOptions::new(format!("didymos-server-{session}"), host, port);
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_clean_session(false);
    opts.set_manual_acks(true);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, event_loop) = AsyncClient::new(opts, 4096);
    Ok((
        MqttHandle {
            client,
            topics: Default::default(),
        },
        event_loop,
    ))
}

/// Runs the subscriber until the server stops; reconnects on errors.
pub fn spawn(state: SharedState, mut event_loop: EventLoop) {
    tokio::spawn(async move {
        loop {
            match event_loop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    state.mqtt_stats.connected.store(true, Ordering::Relaxed);
                    // A new session has no subscriptions: (re)subscribe.
                    if let Some(m) = &state.mqtt {
                        for topic in m.topics() {
                            let _ = m.client.try_subscribe(topic, QoS::AtLeastOnce);
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let ack = state.mqtt.as_ref().map(|m| (m.client.clone(), p.clone()));
                    handle_message_then(&state, &p.topic, &p.payload, move || {
                        if let Some((client, p)) = ack {
                            if let Err(e) = client.try_ack(&p) {
                                tracing::warn!("MQTT: cannot acknowledge: {e}");
                            }
                        }
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    state.mqtt_stats.connected.store(false, Ordering::Relaxed);
                    tracing::warn!("MQTT: {e}; reconnecting in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

/// A payload (or one record of it) that cannot be stored, and why.
pub type Rejection = (Vec<u8>, String);

/// Parses, validates and queues one message for storage.
pub fn handle_message(state: &SharedState, topic: &str, payload: &[u8]) {
    handle_message_then(state, topic, payload, || {});
}

/// As [`handle_message`], calling `done` once the message is settled: its
/// records and its rejections committed (a message that can never be
/// stored is kept as rejected and acknowledged too, or the broker would
/// send it forever). A failed commit does not call it, so the broker
/// delivers it again.
pub fn handle_message_then(
    state: &SharedState,
    topic: &str,
    payload: &[u8],
    done: impl FnOnce() + Send + 'static,
) {
    state.mqtt_stats.messages.fetch_add(1, Ordering::Relaxed);
    let Some(m) = &state.mqtt else { return done() };
    let bindings = m.bindings(topic);
    let now = now_ms();
    let (valid, rejected) = sort_message(state, &bindings, payload, now);
    let twin_id = bindings.first().map(|(t, _)| t.clone());
    let (n, r) = (valid.len() as u64, rejected.len() as u64);
    for (_, why) in &rejected {
        tracing::warn!("MQTT `{topic}`: {why}");
    }
    let st = state.clone();
    let topic = topic.to_string();
    // The valid records and the rejected ones in one commit: the message
    // is acknowledged to the broker only once all of it is kept.
    let queued = state.store.submit(
        move |c| {
            store_sorted(c, twin_id.as_deref(), &topic, (&valid, &rejected), now)?;
            Ok(twin_id)
        },
        move |res| match res {
            Ok(twin_id) => {
                st.mqtt_stats.stored.fetch_add(n, Ordering::Relaxed);
                st.mqtt_stats.rejected.fetch_add(r, Ordering::Relaxed);
                if let (Some(t), true) = (twin_id, n > 0) {
                    st.mark_dirty(&t);
                }
                done();
            }
            Err(e) => tracing::error!("MQTT: storing failed (the broker will resend): {e}"),
        },
    );
    if let Err(e) = queued {
        tracing::error!("MQTT: {e}");
    }
}

/// Stores a sorted message (see [`sort_message`]) in one go: its valid
/// records for `twin`, and each rejection, kept on `topic` with its reason.
pub fn store_sorted(
    c: &rusqlite::Connection,
    twin: Option<&str>,
    topic: &str,
    (valid, rejected): (&[store::NewObservation], &[Rejection]),
    now: i64,
) -> store::StoreResult<()> {
    if let (Some(tid), false) = (twin, valid.is_empty()) {
        store::insert_batch(c, tid, valid, None, now)?;
    }
    for (bytes, why) in rejected {
        store::insert_rejected(c, topic, bytes, why, now)?;
    }
    Ok(())
}

/// Splits a message into records to store and rejections to keep: the
/// whole payload when it cannot be read at all, else each record that fails.
/// The records go to the first twin bound to the topic.
pub fn sort_message(
    state: &SharedState,
    bindings: &[(String, String)],
    payload: &[u8],
    now: i64,
) -> (Vec<store::NewObservation>, Vec<Rejection>) {
    let whole = |why: String| (Vec::new(), vec![(payload.to_vec(), why)]);
    let Some((twin_id, first_stream)) = bindings.first() else {
        return whole("no stream is bound to this topic".into());
    };
    let default_stream = (bindings.len() == 1).then_some(first_stream.as_str());
    let items = match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(v) => vec![v],
        Err(e) => return whole(format!("payload is not JSON: {e}")),
    };
    let Some(twin) = state.registry.get(twin_id) else {
        return whole(format!("twin `{twin_id}` is not loaded"));
    };
    let (mut valid, mut rejected) = (Vec::new(), Vec::new());
    for (i, item) in items.into_iter().enumerate() {
        let text = item.to_string().into_bytes();
        let rec: ObservationIn = match serde_json::from_value(item) {
            Ok(r) => r,
            Err(e) => {
                rejected.push((text, format!("unusable record: {e}")));
                continue;
            }
        };
        match validate(&twin, Position::Index(i), rec, default_stream, now) {
            Ok(o) if bindings.iter().any(|(_, s)| *s == o.stream) => valid.push(o),
            Ok(o) => rejected.push((
                text,
                format!("stream `{}` is not bound to this topic", o.stream),
            )),
            Err(p) => rejected.push((text, p.detail)),
        }
    }
    (valid, rejected)
}
