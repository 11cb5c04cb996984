// The twin page: fan chart for a chosen target and area, the map of all
// areas, stream health, corrections, scenarios and the alert log. A new forecast
// arriving over the live events redraws the chart and the map in place.

import { api, enc } from './api.js';
import { h, fill } from './dom.js';
import { ago, number, percent, share } from './format.js';
import { renderFanChart } from './fan_chart.js';
import { renderMap } from './choropleth.js';
import { observedByArea, series } from './observed.js';
import { renderStreams } from './streams.js';
import { renderCorrections } from './corrections.js';
import { renderScenarios } from './scenarios.js';
import { renderAlerts } from './alerts.js';
import { renderSkill } from './skill.js';

const GEOJSON_URL = '/assets/geo/spain_provinces.geojson';
let geojsonPromise = null;

// The bundled boundaries, fetched once per page.
function boundaries() {
  geojsonPromise ??= fetch(GEOJSON_URL).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  return geojsonPromise;
}

// Chance that the value exceeds `t`, from the quantiles of one day
// (linear between quantile levels; at most the outer levels' precision).
function exceedance(levels, quantiles, t) {
  if (t < quantiles[0]) return 1 - levels[0];
  for (let k = 1; k < levels.length; k++) {
    if (t < quantiles[k]) {
      const span = quantiles[k] - quantiles[k - 1];
      const f = span > 0 ? (t - quantiles[k - 1]) / span : 1;
      return 1 - (levels[k - 1] + f * (levels[k] - levels[k - 1]));
    }
  }
  return 1 - levels[levels.length - 1];
}

function median(levels, row) {
  const k = levels.findIndex((l) => Math.abs(l - 0.5) < 1e-9);
  return row[k >= 0 ? k : Math.floor(row.length / 2)];
}

export async function renderTwin(main, twinId) {
  const page = { twinId, target: null, area: null, metric: 'week', threshold: 10, forecast: null, observed: null, status: null };
  fill(main, h('p', { role: 'status' }, 'Loading…'));
  const [twin, geojson] = await Promise.all([api(`/v1/twins/${enc(twinId)}`), boundaries()]);
  page.twin = twin;
  const names = new Map((geojson?.features || []).map((f) => [String(f.properties.cod_prov), f.properties.name]));
  const nameOf = (area) => (area === 'total' ? 'All areas' : names.has(area) ? `${names.get(area)} (${area})` : area);
  const mapUsable = geojson && twin.locations.length && twin.locations.every((l) => names.has(l));

  const statusLine = h('p', { id: 'twin-status', class: 'status-line' });
  const liveNote = h('p', { id: 'live-note', class: 'live-note', role: 'status', 'aria-live': 'polite' });
  const targetSelect = h('select', { id: 'target-select' });
  const areaSelect = h('select', { id: 'area-select' });
  const chart = h('div', { id: 'fan-chart', class: 'chart' });
  const weekly = h('div', { id: 'weekly-ensemble' });
  const provisional = h('p', { id: 'provisional-note', class: 'muted' });
  const metricSelect = h(
    'select',
    { id: 'metric-select' },
    h('option', { value: 'week' }, 'Forecast total over the next 7 days (middle forecast)'),
    h('option', { value: 'exceed' }, 'Chance that the last forecast day exceeds the threshold'),
  );
  const thresholdInput = h('input', { id: 'threshold-input', type: 'number', min: 0, step: 'any', value: page.threshold });
  const map = h('div', { id: 'map', class: 'map' });
  const streams = h('section', { id: 'streams', 'aria-labelledby': 'streams-title' });
  const corrections = h('section', { id: 'corrections', tabindex: -1, 'aria-labelledby': 'corrections-title' });
  const scenarios = h('section', { id: 'scenarios', 'aria-labelledby': 'scenarios-title' });
  const alerts = h('section', { id: 'alerts', 'aria-labelledby': 'alerts-title' });
  const skill = h('section', { id: 'skill', tabindex: -1, 'aria-labelledby': 'skill-title' });

  fill(
    main,
    h('p', {}, h('a', { href: '#/' }, '← All twins')),
    h('h1', {}, `Twin ${twin.id}`),
    statusLine,
    liveNote,
    h('nav', { 'aria-label': 'Sections of this twin', class: 'section-nav' },
      ['forecast', 'map-section', 'skill', 'streams', 'corrections', 'scenarios', 'alerts'].map((id, i) =>
        h('a', { href: `#/twin/${enc(twin.id)}`, 'data-target': id, onclick: (e) => { e.preventDefault(); document.getElementById(id)?.scrollIntoView(); document.getElementById(id)?.focus(); } },
          ['Forecast', 'Map', 'Past skill', 'Streams', 'Corrections', 'Scenarios', 'Alerts'][i]))),
    h('div', { class: 'twin-grid' },
      h('section', { id: 'forecast', tabindex: -1, 'aria-labelledby': 'forecast-title' },
        h('h2', { id: 'forecast-title' }, 'Forecast'),
        h('div', { class: 'controls' },
          h('label', { for: 'target-select' }, 'What'), targetSelect,
          h('label', { for: 'area-select' }, 'Area'), areaSelect),
        chart, provisional, weekly),
      h('section', { id: 'map-section', tabindex: -1, 'aria-labelledby': 'map-title' },
        h('h2', { id: 'map-title' }, 'Map of all areas'),
        h('div', { class: 'controls' },
          h('label', { for: 'metric-select' }, 'Colour by'), metricSelect,
          h('label', { for: 'threshold-input' }, 'Threshold (per day)'), thresholdInput),
        map)),
    skill, streams, corrections, scenarios, alerts,
  );

  const refreshSkill = () => renderSkill(skill, twin, page.target, page.area, nameOf(page.area)).catch((e) => fill(skill, h('p', { class: 'error' }, e.message)));
  const forecastFor = (target, area) => page.forecast?.targets.find((t) => t.target === target && t.location === area) || null;

  function drawChart() {
    const observed = page.observed ? series(page.observed.byArea, page.area) : [];
    const fc = forecastFor(page.target, page.area);
    const p = provisionalOf(page.target);
    renderFanChart(chart, {
      observed,
      forecast: fc && { dates: fc.dates, levels: page.forecast.levels, quantiles: fc.quantiles },
      label: `${page.target || 'no target'} — ${nameOf(page.area)}`,
      area: page.area,
      provisional: new Map(p ? p.dates.map((d, k) => [d, p.reported_share[k]]) : []),
    });
    chart.dataset.origin = page.forecast?.origin || '';
    drawProvisional();
    drawWeekly();
  }

  // A nowcasting twin's last days, read as incomplete: which, and how
  // complete the record's own revisions say they are.
  function provisionalOf(target) {
    return page.forecast?.nowcast?.provisional?.find((t) => t.target === target);
  }

  function drawProvisional() {
    const p = provisionalOf(page.target);
    if (!p || !p.dates.length) {
      provisional.textContent = '';
      return;
    }
    const [low, high] = [share(Math.min(...p.reported_share)), share(Math.max(...p.reported_share))];
    provisional.textContent = `Still being reported: the ${p.dates.length} days from ${p.dates[0]} to ` +
      `${p.dates[p.dates.length - 1]} are read as incomplete, with ${low === high ? low : `${low} to ${high}`} ` +
      'of their final counts in so far (learnt from earlier revisions of the record).';
  }

  // The weekly totals of the twin combined with its statistical companions,
  // where the forecast has them (epidemic twins, a week or more ahead).
  function drawWeekly() {
    const w = page.forecast?.weekly_ensemble?.find((t) => t.target === page.target && t.location === page.area);
    if (!w) {
      fill(weekly);
      return;
    }
    const levels = page.forecast.levels;
    const at = (row, p) => row[levels.findIndex((l) => Math.abs(l - p) < 1e-9)];
    const range = (row, lo, hi) => `${number(at(row, lo))} – ${number(at(row, hi))}`;
    fill(weekly, h('table', { class: 'weekly-ensemble' },
      h('caption', {}, `Weekly totals of ${page.target}, ${nameOf(page.area)}: the twin combined with statistical forecasters ` +
        '(a damped trend, and a leading series where the twin has one), which scored better than the twin alone in backtests.'),
      h('thead', {}, h('tr', {}, ['Week ending', 'Middle forecast', '50% range', '90% range'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, w.week_ends.map((end, k) => h('tr', {},
        h('th', { scope: 'row' }, end),
        h('td', { class: 'num' }, number(at(w.quantiles[k], 0.5))),
        h('td', { class: 'num' }, range(w.quantiles[k], 0.25, 0.75)),
        h('td', { class: 'num' }, range(w.quantiles[k], 0.05, 0.95)))))));
  }

  function drawMap() {
    if (!mapUsable) {
      fill(map, h('p', { class: 'muted' }, 'No boundaries are bundled for these areas (the dashboard ships the Spanish provinces).'));
      return;
    }
    const levels = page.forecast?.levels || [];
    const values = new Map();
    for (const area of twin.locations) {
      const fc = forecastFor(page.target, area);
      let v = NaN;
      if (fc && page.metric === 'week') v = fc.quantiles.slice(0, 7).reduce((sum, row) => sum + median(levels, row), 0);
      if (fc && page.metric === 'exceed') v = exceedance(levels, fc.quantiles[fc.quantiles.length - 1], page.threshold);
      values.set(area, v);
    }
    const describe = (v) => (!Number.isFinite(v) ? 'no forecast' : page.metric === 'week' ? `${number(v, 1)} expected in 7 days` : `${percent(v)} chance above ${number(page.threshold)}`);
    renderMap(map, {
      geojson,
      codeOf: (f) => String(f.properties.cod_prov),
      nameOf: (f) => f.properties.name,
      values,
      describe,
      legendTitle: page.metric === 'week' ? `${page.target}: forecast total over the next 7 days` : `Chance (0–1) that ${page.target} exceeds ${number(page.threshold)} on the last forecast day`,
      selected: page.area,
      onSelect: (area) => {
        page.area = area;
        areaSelect.value = area;
        drawChart();
        drawMap();
        refreshSkill();
        map.querySelector(`path[data-area="${CSS.escape(area)}"]`)?.focus();
      },
    });
  }

  async function loadData() {
    const [status, forecast] = await Promise.all([
      api(`/v1/twins/${enc(twinId)}/status`),
      api(`/v1/twins/${enc(twinId)}/forecasts/latest`).catch((e) => (e.status === 404 ? null : Promise.reject(e))),
    ]);
    page.status = status;
    page.forecast = forecast;
    const targets = [...new Set([...(forecast?.targets.map((t) => t.target) || []), ...twin.observables])];
    page.target ??= targets[0] || null;
    const stream = status.streams.find((st) => st.observable === page.target) || status.streams[0];
    page.observed = stream ? await observedByArea(twinId, stream.name) : null;
    const areas = ['total', ...twin.locations];
    if (page.area === null) page.area = (forecastFor(page.target, 'total') || !twin.locations.length) ? 'total' : twin.locations[0];
    fill(targetSelect, targets.map((t) => h('option', { value: t, selected: t === page.target }, t)));
    fill(areaSelect, areas.map((a) => h('option', { value: a, selected: a === page.area }, nameOf(a))));
    statusLine.textContent =
      `Newest data ${status.last_data_time ? status.last_data_time.slice(0, 10) : 'none'}; ` +
      `assimilated through ${status.assimilated_through || '–'} (${ago(status.last_assimilation)}); ` +
      (forecast ? `forecast issued from ${forecast.origin} with ${forecast.members} members.` : 'no forecast yet.');
    statusLine.dataset.health = status.health;
  }

  targetSelect.addEventListener('change', () => {
    page.target = targetSelect.value;
    loadData().then(() => { drawChart(); drawMap(); refreshSkill(); });
  });
  areaSelect.addEventListener('change', () => { page.area = areaSelect.value; drawChart(); drawMap(); refreshSkill(); });
  metricSelect.addEventListener('change', () => { page.metric = metricSelect.value; drawMap(); });
  thresholdInput.addEventListener('change', () => {
    const t = Number(thresholdInput.value);
    if (Number.isFinite(t) && t >= 0) { page.threshold = t; drawMap(); }
  });

  await loadData();
  drawChart();
  drawMap();
  const refreshCorrections = () => renderCorrections(corrections, twin, page.status).catch((e) => corrections.append(h('p', { class: 'error' }, e.message)));
  const refreshStreams = () => {
    refreshCorrections();
    return renderStreams(streams, twin, page.status).catch((e) => fill(streams, h('p', { class: 'error' }, e.message)));
  };
  const refreshAlerts = () => renderAlerts(alerts, twin).catch((e) => fill(alerts, h('p', { class: 'error' }, e.message)));
  refreshStreams();
  refreshAlerts();
  refreshSkill();
  const scenarioPanel = renderScenarios(scenarios, twin, () => page.status);

  // Live events for this twin: redraw what changed, keep the area chosen.
  return async (kind, event) => {
    if (event.twin !== twinId) return;
    if (kind === 'forecast' || kind === 'assimilation') {
      await loadData();
      drawChart();
      drawMap();
      refreshStreams();
      // New data assimilated: more of the past forecasts can be scored.
      if (kind === 'assimilation') refreshSkill();
      if (kind === 'forecast') liveNote.textContent = `New forecast from ${page.forecast?.origin} arrived ${new Date().toLocaleTimeString('en-GB')}.`;
    }
    if (kind === 'alert' || kind === 'forecast') refreshAlerts();
    if (kind === 'job') scenarioPanel.refresh();
  };
}
