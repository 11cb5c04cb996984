// Scenario comparison: a form that submits a scenarios file (the TOML of
// `didymos scenario`) as a job, a progress bar while it runs, and the
// paired differences against the baseline when it is done.

import { api, enc } from './api.js';
import { h, fill } from './dom.js';
import { number, percent, dateOfDay, dayNumber } from './format.js';

// An example to start from, dated from the twin's latest posterior.
function example(branch) {
  const day = branch ? dayNumber(branch) : null;
  const at = (n) => (day === null ? 'YYYY-MM-DD' : dateOfDay(day + n));
  return `[scenarios]
horizon = "${at(28)}"
baseline = "as-is"

[[scenario]]
name = "as-is"
description = "Nothing changes."

[[scenario]]
name = "confine"
description = "Mobility cut by 80% for three weeks."
[[scenario.intervention]]
type = "confinement"
from = "${at(1)}"
to = "${at(21)}"
kappa0 = 0.8
phi = 0.2
delta = 0.8
`;
}

// A flood twin's scenarios scale the rain of chosen days.
function floodExample(branch) {
  const day = branch ? dayNumber(branch) : null;
  const at = (n) => (day === null ? 'YYYY-MM-DD' : dateOfDay(day + n));
  return `[scenarios]
horizon = "${at(14)}"
baseline = "as-observed"

[[scenario]]
name = "as-observed"

[[scenario]]
name = "rain-plus-50"
description = "50% more rain over the next week."
[[scenario.precipitation]]
from = "${at(1)}"
to = "${at(7)}"
factor = 1.5
`;
}

// A flood job's result: peak discharge, added runoff and warning levels.
function floodTable(result) {
  const range = (q) => (q ? `${number(q.q50)} (${number(q.q05)} – ${number(q.q95)})` : '—');
  const levels = (sc) => (sc.warning_levels || []).map((l) => `${l.level}: ${percent(l.probability)}`).join('; ') || '—';
  return h(
    'table',
    { class: 'differences' },
    h('caption', {}, `Against "${result.baseline}" (${result.members} paired runs, ${result.branch} to ${result.horizon}); middle and 90% range`),
    h('thead', {}, h('tr', {}, ['Scenario', 'Peak discharge (mm/day)', 'Runoff added (mm)', 'Chance of exceeding'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, (result.scenarios || []).map((sc) => h('tr', {},
      h('th', { scope: 'row' }, sc.name),
      h('td', { class: 'num' }, range(sc.peak_discharge_mm_per_day)),
      h('td', { class: 'num' }, range(sc.runoff_vs_baseline_mm)),
      h('td', {}, levels(sc))))),
  );
}

function differences(result) {
  if ((result.scenarios || []).some((sc) => sc.peak_discharge_mm_per_day)) return floodTable(result);
  const rows = [];
  for (const sc of result.scenarios || []) {
    for (const d of sc.averted_vs_baseline || []) rows.push(d);
  }
  if (!rows.length) return h('p', {}, 'No paired differences (only the baseline ran).');
  return h(
    'table',
    { class: 'differences' },
    h('caption', {}, `Averted compared with "${result.baseline}", member by member (${result.members} paired runs, ${result.branch} to ${result.horizon})`),
    h('thead', {}, h('tr', {}, ['Scenario', 'What', 'Averted (middle)', '90% of paired runs avert between', 'Runs where the scenario does better'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((d) => h('tr', {},
      h('th', { scope: 'row' }, d.scenario),
      h('td', {}, `${d.observable}${d.unit && d.unit !== 'total' ? ` (${d.unit})` : ''}`),
      h('td', { class: 'num' }, number(d.averted?.q50)),
      h('td', { class: 'num' }, `${number(d.averted?.q05)} and ${number(d.averted?.q95)}`),
      h('td', { class: 'num' }, percent(d.prob_fewer))))),
  );
}

function jobView(job) {
  const words = { queued: 'Queued', running: 'Running', succeeded: 'Done', failed: 'Failed', cancelled: 'Cancelled' };
  return h(
    'div',
    { class: `job job-${job.status}`, 'data-job': job.id, 'data-status': job.status },
    h('p', {}, h('label', { for: `progress-${job.id}` }, `${words[job.status] || job.status}: job ${job.id}`), ' ',
      h('progress', { id: `progress-${job.id}`, max: 1, value: job.progress })),
    job.error && h('p', { class: 'error' }, job.error),
    job.status === 'succeeded' && job.result && differences(job.result),
  );
}

export function renderScenarios(section, twin, statusNow) {
  const start = twin.kind === 'flood' ? floodExample : example;
  const textarea = h('textarea', { id: 'scenario-toml', rows: 14, spellcheck: 'false' }, start(statusNow()?.assimilated_through));
  const members = h('input', { id: 'scenario-members', type: 'number', min: 2, step: 1, placeholder: 'all' });
  const message = h('p', { id: 'scenario-message', class: 'form-message', role: 'alert' });
  const jobs = h('div', { id: 'scenario-jobs', 'aria-live': 'polite' });
  let timer = null;

  async function refresh() {
    const list = await api(`/v1/twins/${enc(twin.id)}/scenarios`);
    fill(jobs, list.slice(0, 3).map(jobView));
    clearTimeout(timer);
    // Progress is polled: the service announces only a job's end.
    if (list.some((j) => j.status === 'queued' || j.status === 'running')) timer = setTimeout(() => refresh().catch(() => {}), 1000);
  }

  const form = h(
    'form',
    {
      id: 'scenario-form',
      onsubmit: async (e) => {
        e.preventDefault();
        message.textContent = '';
        const body = { scenarios_toml: textarea.value };
        if (members.value) body.members = Number(members.value);
        try {
          await api(`/v1/twins/${enc(twin.id)}/scenarios`, { method: 'POST', body });
          message.textContent = 'Submitted.';
          await refresh();
        } catch (err) {
          message.textContent = err.message;
        }
      },
    },
    h('label', { for: 'scenario-toml' }, 'Scenarios (TOML, as for `didymos scenario`)'),
    textarea,
    h('label', { for: 'scenario-members' }, 'Members per scenario (empty: all)'),
    members,
    h('button', { type: 'submit' }, 'Run scenarios'),
    message,
  );
  fill(section, h('h2', { id: 'scenarios-title' }, 'Scenario comparison'), form, jobs);
  refresh().catch((e) => fill(jobs, h('p', { class: 'error' }, e.message)));
  return { refresh: () => refresh().catch(() => {}) };
}
