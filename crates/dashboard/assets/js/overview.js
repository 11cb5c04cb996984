// The twins overview: one card per twin with its health, data freshness,
// last assimilation, active alerts and a sparkline of its main observable
// (the first stream, summed over areas and strata).

import { api, enc } from './api.js';
import { h, fill } from './dom.js';
import { ago, dateOfDay, dayNumber } from './format.js';
import { sparkline } from './sparkline.js';
import { observedByArea, series } from './observed.js';

const HEALTH_WORDS = {
  ok: 'Up to date',
  initialising: 'Waiting for its first assimilation',
  stale: 'A data stream is late',
  error: 'The last update failed',
  unloaded: 'Not loaded',
};

async function card(twin) {
  const [status, rules] = await Promise.all([
    api(`/v1/twins/${enc(twin.id)}/status`),
    api(`/v1/twins/${enc(twin.id)}/alert-rules`).catch(() => []),
  ]);
  const firing = rules.filter((r) => r.state === 'firing');
  const main = status.streams[0];
  let spark = h('p', { class: 'muted' }, 'No stream registered yet.');
  if (main && status.last_data_time) {
    const from = dateOfDay(dayNumber(status.last_data_time) - 59);
    const { byArea } = await observedByArea(twin.id, main.name, from);
    spark = sparkline(series(byArea, 'total').map((p) => p.value), `${main.observable} (${main.name})`);
  }
  return h(
    'li',
    { class: 'card', 'data-twin': twin.id },
    h('h2', {}, h('a', { href: `#/twin/${enc(twin.id)}` }, twin.name === twin.id ? twin.id : `${twin.id} — ${twin.name}`)),
    h('p', { class: `health health-${status.health}` }, HEALTH_WORDS[status.health] || status.health),
    h(
      'dl',
      {},
      h('dt', {}, 'Newest data'), h('dd', {}, status.last_data_time ? status.last_data_time.slice(0, 10) : 'none yet'),
      h('dt', {}, 'Last assimilation'), h('dd', {}, status.last_assimilation ? `${ago(status.last_assimilation)} (data through ${status.assimilated_through})` : 'not yet'),
      h('dt', {}, 'Active alerts'), h('dd', { class: firing.length ? 'alerting' : '' }, firing.length ? firing.map((r) => r.name).join(', ') : 'none'),
    ),
    main && h('p', { class: 'spark-label' }, `${main.observable}, daily total`),
    spark,
  );
}

export async function renderOverview(main) {
  fill(main, h('h1', {}, 'Twins'), h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  const twins = await api('/v1/twins');
  const list = h('ul', { class: 'cards' });
  const cards = await Promise.all(
    twins.map((t) => card(t).catch((e) => h('li', { class: 'card' }, h('h2', {}, t.id), h('p', { class: 'error' }, e.message)))),
  );
  list.append(...cards);
  fill(main, h('h1', {}, 'Twins'), twins.length ? list : h('p', {}, 'No twin yet: create one with POST /v1/twins.'));
  // Refresh on anything the live loop publishes.
  return (kind) => kind !== 'job' && renderOverview(main);
}
