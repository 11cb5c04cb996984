// Stream health (last value, arrival rate, staleness, rejected messages)
// and the stream registration form, which shows the API's own validation
// message (problem+json detail and the field it points at).

import { api, enc, submitTo, streamHistory } from './api.js';
import { h, fill, field } from './dom.js';
import { ago, cadence, number, dateOfDay, dayNumber } from './format.js';

// Records received in the last hour, from the last week of data.
async function arrivals(twin, stream) {
  if (!stream.last_time) return { lastHour: 0, perDay: 0 };
  const from = dateOfDay(dayNumber(stream.last_time) - 6);
  const items = await streamHistory(twin.id, stream.name, from);
  const hourAgo = Date.now() - 3600e3;
  const days = new Set(items.map((o) => o.time.slice(0, 10)));
  return {
    lastHour: items.filter((o) => Date.parse(o.received) >= hourAgo).length,
    perDay: days.size ? items.length / days.size : 0,
  };
}

function registrationForm(twin, mqttEnabled, onDone) {
  const name = h('input', { id: 'stream-name', name: 'name', required: true, autocomplete: 'off' });
  const unit = h('input', { id: 'stream-unit', name: 'unit', value: 'persons/day' });
  const observable = h('select', { id: 'stream-observable', name: 'observable' }, twin.observables.map((o) => h('option', { value: o }, o)));
  const location = h('input', { id: 'stream-location', name: 'location', placeholder: 'any', 'aria-describedby': 'stream-location-hint' });
  const cadenceInput = h('input', { id: 'stream-cadence', name: 'cadence', value: '1d', 'aria-describedby': 'stream-cadence-hint' });
  const valueType = h('select', { id: 'stream-value-type', name: 'value_type' }, ['count', 'real'].map((v) => h('option', { value: v }, v)));
  const topic = h('input', { id: 'stream-mqtt-topic', name: 'mqtt_topic', placeholder: 'none', autocomplete: 'off' });
  const message = h('p', { id: 'stream-message', class: 'form-message', role: 'alert' });
  const inputs = { name, unit, observable, location, cadence: cadenceInput, value_type: valueType, mqtt_topic: topic };
  return h(
    'form',
    {
      id: 'stream-form',
      onsubmit: submitTo(inputs, message, async () => {
        const body = { name: name.value.trim(), unit: unit.value.trim(), observable: observable.value, cadence: cadenceInput.value.trim(), value_type: valueType.value };
        if (location.value.trim()) body.location = location.value.trim();
        if (topic.value.trim()) body.mqtt_topic = topic.value.trim();
        await api(`/v1/twins/${enc(twin.id)}/streams`, { method: 'POST', body });
        message.textContent = `Stream ${body.name} registered.`;
        onDone();
      }),
    },
    h('h3', {}, 'Register a stream'),
    field('stream-name', 'Name', name),
    field('stream-unit', 'Unit', unit),
    field('stream-observable', 'Measures', observable),
    field('stream-location', 'Only this area (optional)', location, 'An area id, e.g. 28'),
    field('stream-cadence', 'Expected every', cadenceInput, 'Seconds, or 30s, 15m, 6h, 1d'),
    field('stream-value-type', 'Value type', valueType),
    mqttEnabled && field('stream-mqtt-topic', 'MQTT topic (optional)', topic, 'Messages published there are stored in this stream'),
    h('button', { type: 'submit' }, 'Register'),
    message,
  );
}

async function renderView(view, twin, status, mqtt) {
  const latest = await api(`/v1/twins/${enc(twin.id)}/observations/latest`).catch(() => []);
  const rates = await Promise.all(status.streams.map((st) => arrivals(twin, st).catch(() => null)));
  const rows = status.streams.map((st, i) => {
    const last = latest.find((o) => o.stream === st.name);
    const rate = rates[i];
    return h('tr', { 'data-stream': st.name, class: st.stale ? 'stale' : '' },
      h('th', { scope: 'row' }, st.name),
      h('td', {}, `${st.observable}${st.location ? ` in ${st.location}` : ''} (${st.unit})`),
      h('td', { class: 'num' }, last ? `${number(last.value, 2)} (${last.time.slice(0, 10)}${last.location ? `, ${last.location}` : ''}${last.stratum ? `/${last.stratum}` : ''})` : '–'),
      h('td', {}, rate ? `${number(rate.perDay, 1)} records per data day; ${rate.lastHour} in the last hour` : '–'),
      h('td', {}, st.paused ? 'Paused' : st.stale ? `Late: nothing since ${ago(st.last_received)} (expected ${cadence(st.cadence_seconds)})` : `On time (${ago(st.last_received)})`),
    );
  });
  fill(
    view,
    h('h2', { id: 'streams-title' }, 'Stream health'),
    status.streams.length
      ? h('table', { class: 'stream-health' },
          h('caption', {}, 'Data streams of this twin'),
          h('thead', {}, h('tr', {}, ['Stream', 'Measures', 'Last value', 'Arrival rate', 'Staleness'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows))
      : h('p', {}, 'No stream yet.'),
    h('p', { class: 'muted' }, mqtt && mqtt.enabled
      ? `Rejected messages (MQTT, whole service): ${mqtt.rejected} of ${mqtt.messages}. HTTP batches with a bad record are refused whole and not counted.`
      : 'Rejected messages: MQTT is not enabled; HTTP batches with a bad record are refused whole.'),
  );
}

// Draws the streams into `section`, adding the registration form below
// them the first time; later calls refresh only the table, so the form's
// message (and anything being typed) stays.
export async function renderStreams(section, twin, status) {
  const mqtt = await api('/v1/mqtt').catch(() => null);
  let view = section.querySelector('.stream-view');
  if (!view) {
    view = h('div', { class: 'stream-view' });
    const refresh = () => api(`/v1/twins/${enc(twin.id)}/status`).then((st) => renderStreams(section, twin, st));
    fill(section, view, registrationForm(twin, Boolean(mqtt && mqtt.enabled), refresh));
  }
  await renderView(view, twin, status, mqtt);
}
