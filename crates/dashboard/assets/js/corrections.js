// Corrections: retract observations that should never have been sent,
// assimilate every stored observation again (after late or corrected
// values), and try again the MQTT messages the service kept because it
// could not store them. The forms are built once and kept while the list of
// kept messages refreshes, so live updates never wipe what is being typed;
// each shows the API's own message (a read token is refused by the API, not
// hidden by the page).

import { api, enc, submitTo } from './api.js';
import { h, fill, field } from './dom.js';

function retractForm(twin, status) {
  const stream = h('select', { id: 'retract-stream', name: 'stream' }, status.streams.map((st) => h('option', { value: st.name }, st.name)));
  const from = h('input', { id: 'retract-from', name: 'from', type: 'date', required: true });
  const to = h('input', { id: 'retract-to', name: 'to', type: 'date', required: true });
  const location = h('input', { id: 'retract-location', name: 'location', placeholder: 'every area', autocomplete: 'off' });
  const stratum = h('input', { id: 'retract-stratum', name: 'stratum', placeholder: 'every group', autocomplete: 'off' });
  const reason = h('input', { id: 'retract-reason', name: 'reason', required: true, autocomplete: 'off', 'aria-describedby': 'retract-reason-hint' });
  const message = h('p', { id: 'retract-message', class: 'form-message', role: 'alert' });
  const inputs = { stream, from, to, location, stratum, reason };
  return h(
    'form',
    {
      id: 'retract-form',
      onsubmit: submitTo(inputs, message, async () => {
        const body = { stream: stream.value, from: from.value, to: to.value || from.value, reason: reason.value.trim() };
        if (location.value.trim()) body.location = location.value.trim();
        if (stratum.value.trim()) body.stratum = stratum.value.trim();
        const r = await api(`/v1/twins/${enc(twin.id)}/observations/retract`, { method: 'POST', body });
        const n = r.retracted.length;
        message.textContent =
          `Retracted ${n} observation${n === 1 ? '' : 's'}` +
          (r.already_retracted ? ` (${r.already_retracted} already were)` : '') +
          (r.reassimilating
            ? `; the twin had taken them in, so it reads its record again from ${r.rewound_to === 'start' ? 'the start' : `its checkpoint of ${r.rewound_to}`}.`
            : '; the twin had not taken them in yet.');
      }),
    },
    h('h3', {}, 'Retract observations'),
    h('p', { class: 'muted' }, 'For values that should never have been sent. They are kept, marked with your reason, but no longer used; an earlier value for the same day and area stands again.'),
    field('retract-stream', 'Stream', stream),
    field('retract-from', 'From', from),
    field('retract-to', 'To', to),
    field('retract-location', 'Only this area (optional)', location),
    field('retract-stratum', 'Only this group (optional)', stratum),
    field('retract-reason', 'Reason', reason, 'Kept with each observation'),
    h('button', { type: 'submit' }, 'Retract'),
    message,
  );
}

function reassimilatePanel(twin) {
  const message = h('p', { id: 'reassimilate-message', class: 'form-message', role: 'alert' });
  const button = h('button', { type: 'button', id: 'reassimilate-button' }, 'Assimilate again from the start');
  button.addEventListener('click', async () => {
    button.disabled = true;
    message.textContent = '';
    try {
      const r = await api(`/v1/twins/${enc(twin.id)}/reassimilate`, { method: 'POST', body: {} });
      message.textContent = `Started: ${r.observations} observations from ${r.from} are read again; a new forecast follows.`;
    } catch (err) {
      message.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  const policy = settingSelect(twin, 'late_values', 'late-values', message, [
    ['hold', 'Keep it until the twin is assimilated again',
      'Late values are now kept until the twin is assimilated again.'],
    ['rewind', 'Go back to the last checkpoint before its day at once',
      'Late values now send the twin back to its last checkpoint before their day.'],
  ]);
  const nowcast = twin.kind === 'epidemic' && settingSelect(twin, 'nowcast', 'nowcast', message, [
    [false, 'Final, as reported',
      'The last days are now read as reported.'],
    [true, 'Incomplete, scaled as its revisions show',
      'The last days are now read as incomplete, learnt from the record\'s revisions (from the next update).'],
  ]);
  return h('div', { id: 'reassimilate' },
    h('h3', {}, 'Late or corrected values'),
    h('p', { class: 'muted' }, 'A value for a day already assimilated (the later value for a day and area wins) is used once the twin reads its record again with the same seed: from its starting point, or from its last checkpoint before that day.'),
    field('late-values', 'When one arrives', policy),
    nowcast && field('nowcast', 'The last days\' counts', nowcast),
    button, message);
}

// A live setting of the twin, changed in place (PATCH) when the select
// changes; it shows the twin's setting until the API has accepted another.
// Each choice: [value, label, what the message says once it is set].
function settingSelect(twin, key, id, message, choices) {
  const select = h('select', { id, name: key },
    ...choices.map(([value, label]) => h('option', { value: String(value), selected: twin[key] === value }, label)));
  select.addEventListener('change', async () => {
    const [wanted] = choices.find(([value]) => String(value) === select.value);
    message.textContent = '';
    try {
      const t = await api(`/v1/twins/${enc(twin.id)}`, { method: 'PATCH', body: { [key]: wanted } });
      twin[key] = t[key];
      message.textContent = choices.find(([value]) => value === t[key])[2];
    } catch (err) {
      select.value = String(twin[key]);
      message.textContent = err.message;
    }
  });
  return select;
}

// Each message's last retry outcome, by id, so a refresh of the list (a
// live update) keeps it beside the message; a stored message leaves the
// list, and its outcome stays in the panel's status line.
const outcomes = new Map();

async function renderKept(view, twin, status, line) {
  const topics = new Set(status.streams.map((st) => st.mqtt_topic).filter(Boolean));
  if (!topics.size) {
    fill(view, h('p', { class: 'muted' }, 'No stream of this twin is bound to an MQTT topic.'));
    return;
  }
  const kept = (await api('/v1/mqtt/rejected?pending=true&limit=1000')).filter((m) => topics.has(m.topic)).slice(0, 50);
  const show = (cell, o) => fill(cell, o.error ? h('span', { class: 'error' }, o.text) : o.text);
  const retry = async (m, button, cell) => {
    button.disabled = true;
    let o;
    try {
      const r = await api(`/v1/mqtt/rejected/${m.id}/retry`, { method: 'POST', body: {} });
      o = { text: `Stored ${r.stored}` + (r.still_rejected.length ? `; ${r.still_rejected.length} record(s) still refused: ${r.still_rejected.join('; ')}` : '.') };
    } catch (err) {
      button.disabled = false;
      o = { text: err.message, error: true };
    }
    outcomes.set(m.id, o);
    show(cell, o);
    line.textContent = `Message ${m.id}: ${o.text}`;
  };
  fill(
    view,
    kept.length
      ? h('table', { class: 'kept-messages' },
          h('caption', {}, "Messages on this twin's topics that could not be stored, newest first. Put the cause right (register the stream, resume it), then try again."),
          h('thead', {}, h('tr', {}, ['Received', 'Topic', 'Why', 'Payload', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, kept.map((m) => {
            const button = h('button', { type: 'button', class: 'retry-message', 'aria-label': `Try message ${m.id} again` }, 'Try again');
            const cell = h('span', { class: 'retry-result' });
            if (outcomes.has(m.id)) show(cell, outcomes.get(m.id));
            button.addEventListener('click', () => retry(m, button, cell));
            return h('tr', { 'data-message': m.id },
              h('td', {}, m.received.replace('T', ' ').slice(0, 19)),
              h('td', {}, m.topic),
              h('td', {}, m.reason),
              h('td', {}, h('code', {}, m.payload.length > 160 ? `${m.payload.slice(0, 160)}…` : m.payload)),
              h('td', {}, button, ' ', cell));
          })))
      : h('p', { class: 'muted' }, 'None waiting.'),
  );
}

// Draws the panel into `section` the first time; later calls refresh only
// the list of kept messages.
export async function renderCorrections(section, twin, status) {
  let view = section.querySelector('.kept-view');
  let line = section.querySelector('#kept-message');
  const streamSelect = section.querySelector('#retract-stream');
  if (streamSelect && streamSelect.options.length !== status.streams.length) {
    const chosen = streamSelect.value;
    fill(streamSelect, status.streams.map((st) => h('option', { value: st.name, selected: st.name === chosen }, st.name)));
  }
  if (!view) {
    view = h('div', { class: 'kept-view' });
    line = h('p', { id: 'kept-message', class: 'form-message', role: 'status' });
    fill(section,
      h('h2', { id: 'corrections-title' }, 'Corrections'),
      retractForm(twin, status),
      reassimilatePanel(twin),
      h('h3', {}, 'Kept MQTT messages'),
      line,
      view);
  }
  await renderKept(view, twin, status, line).catch((e) => fill(view, h('p', { class: 'error' }, e.message)));
}
