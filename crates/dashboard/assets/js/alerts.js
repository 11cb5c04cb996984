// Alerts: the twin's rules (with their state and last chance, and a
// Delete button), the log of every firing and resolution, newest first, and
// a form to add a rule, on the twin's days or (epidemic twins) on one
// epiweek of the weekly ensemble. The form is built once and kept while
// the rules and the log refresh, so live updates never wipe what is being
// typed; it shows the API's own validation message and marks the field.

import { api, enc, submitTo } from './api.js';
import { h, fill, field } from './dom.js';
import { number, percent } from './format.js';

const period = (r) => (r.forecast === 'ensemble'
  ? `over the epiweek ${r.week} week${r.week === 1 ? '' : 's'} ahead (weekly ensemble)`
  : `${r.aggregate === 'max' ? 'peak day of' : 'over'} ${r.days} days`);

// A rule's chance in words: the weekly ensemble's quantiles only bound it
// beyond their outer levels (1% and 99%).
const chance = (r, p) => {
  if (r?.forecast === 'ensemble' && p >= 0.99) return '99% or more';
  if (r?.forecast === 'ensemble' && p <= 0.01) return '1% or less';
  return percent(p);
};

const describe = (r) => (r ? `${r.name}: ${r.target} in ${r.location} ${period(r)} above ${number(r.threshold)}${r.return_period_years ? ` (the ${r.return_period_years}-year flow)` : ''} with a chance over ${percent(r.probability)}` : 'deleted rule');

function ruleForm(twin, onDone) {
  const name = h('input', { id: 'rule-name', name: 'name', required: true, autocomplete: 'off' });
  const target = h('select', { id: 'rule-target', name: 'target' }, twin.observables.map((o) => h('option', { value: o }, o)));
  const location = h('select', { id: 'rule-location', name: 'location' }, ['total', ...twin.locations].map((l) => h('option', { value: l }, l === 'total' ? 'All areas (total)' : l)));
  const kinds = [['twin', "The twin's members, over days"]];
  if (twin.kind === 'epidemic') kinds.push(['ensemble', 'The weekly ensemble, one epiweek']);
  const forecast = h('select', { id: 'rule-forecast', name: 'forecast' }, kinds.map(([v, t]) => h('option', { value: v }, t)));
  const days = h('input', { id: 'rule-days', name: 'days', type: 'number', min: 1, max: 366, step: 1, value: 7 });
  const aggregate = h('select', { id: 'rule-aggregate', name: 'aggregate' }, h('option', { value: 'sum' }, 'Sum over the days'), h('option', { value: 'max' }, 'Peak day'));
  const week = h('input', { id: 'rule-week', name: 'week', type: 'number', min: 1, step: 1, value: 1, 'aria-describedby': 'rule-week-hint' });
  const threshold = h('input', { id: 'rule-threshold', name: 'threshold', type: 'number', step: 'any', required: true });
  const probability = h('input', { id: 'rule-probability', name: 'probability', type: 'number', step: 'any', value: 0.5, 'aria-describedby': 'rule-probability-hint' });
  const webhook = h('input', { id: 'rule-webhook', name: 'webhook_url', type: 'url', placeholder: 'none', autocomplete: 'off' });
  const message = h('p', { id: 'rule-message', class: 'form-message', role: 'alert' });
  const inputs = { name, target, location, forecast, days, aggregate, week, threshold, probability, webhook_url: webhook };
  const fields = {
    days: field('rule-days', 'Forecast days', days),
    aggregate: field('rule-aggregate', 'Combine the days by', aggregate),
    week: field('rule-week', 'Epiweek ahead', week, "1 = the first the forecast reports (the Forecast Hub's weeks, Sunday to Saturday)"),
  };
  const showKind = () => {
    const ensemble = forecast.value === 'ensemble';
    fields.days.hidden = ensemble;
    fields.aggregate.hidden = ensemble;
    fields.week.hidden = !ensemble;
  };
  forecast.addEventListener('change', showKind);
  showKind();
  const form = h(
    'form',
    {
      id: 'rule-form',
      onsubmit: submitTo(inputs, message, async () => {
        const body = { name: name.value.trim(), target: target.value, location: location.value, forecast: forecast.value };
        const num = (input) => (input.value.trim() === '' ? undefined : Number(input.value));
        if (forecast.value === 'ensemble') body.week = num(week);
        else Object.assign(body, { days: num(days), aggregate: aggregate.value });
        body.threshold = num(threshold);
        body.probability = num(probability);
        if (webhook.value.trim()) body.webhook_url = webhook.value.trim();
        await api(`/v1/twins/${enc(twin.id)}/alert-rules`, { method: 'POST', body });
        message.textContent = `Rule ${body.name} added.`;
        onDone();
      }),
    },
    h('h3', {}, 'Add an alert rule'),
    field('rule-name', 'Name', name),
    field('rule-target', 'Forecast of', target),
    field('rule-location', 'Area', location),
    field('rule-forecast', 'Read from', forecast),
    fields.days,
    fields.aggregate,
    fields.week,
    field('rule-threshold', 'Above', threshold),
    field('rule-probability', 'With a chance over', probability, 'Between 0 and 1 (0.01 to 0.99 for the weekly ensemble)'),
    field('rule-webhook', 'Webhook (optional)', webhook),
    h('button', { type: 'submit' }, 'Add rule'),
    message,
  );
  return form;
}

async function renderView(view, twin, refresh) {
  const [rules, events] = await Promise.all([
    api(`/v1/twins/${enc(twin.id)}/alert-rules`),
    api(`/v1/twins/${enc(twin.id)}/alerts`),
  ]);
  const byId = new Map(rules.map((r) => [r.id, r]));
  const remove = async (r, button) => {
    button.disabled = true;
    try {
      await api(`/v1/twins/${enc(twin.id)}/alert-rules/${r.id}`, { method: 'DELETE' });
      refresh();
    } catch (err) {
      button.disabled = false;
      button.after(h('span', { class: 'error', role: 'alert' }, ` ${err.message}`));
    }
  };
  fill(
    view,
    h('h2', { id: 'alerts-title' }, 'Alerts'),
    h('p', {}, rules.length ? `${rules.length} rule(s); firing now: ${rules.filter((r) => r.state === 'firing').map((r) => r.name).join(', ') || 'none'}.` : 'No alert rule yet.'),
    rules.length
      ? h('table', { class: 'alert-rules' },
          h('caption', {}, 'Rules'),
          h('thead', {}, h('tr', {}, ['Rule', 'State', 'Last chance', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rules.map((r) => {
            const button = h('button', { type: 'button', class: 'delete-rule', 'aria-label': `Delete rule ${r.name}` }, 'Delete');
            button.addEventListener('click', () => remove(r, button));
            return h('tr', { 'data-rule': r.name, class: `alert-${r.state}` },
              h('td', {}, describe(r)),
              h('td', {}, r.state === 'firing' ? 'Firing' : 'OK'),
              h('td', { class: 'num' }, r.last_probability == null ? '–' : chance(r, r.last_probability)),
              h('td', {}, button));
          })))
      : null,
    events.length
      ? h('table', { class: 'alert-log' },
          h('caption', {}, 'Alerts, newest first'),
          h('thead', {}, h('tr', {}, ['When', 'State', 'Chance', 'Rule'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, events.map((e) => h('tr', { class: `alert-${e.state}` },
            h('td', {}, e.created.replace('T', ' ').slice(0, 19)),
            h('td', {}, e.state === 'firing' ? 'Firing' : 'Resolved'),
            h('td', { class: 'num' }, chance(byId.get(e.rule_id), e.probability)),
            h('td', {}, describe(byId.get(e.rule_id)))))))
      : h('p', { class: 'muted' }, 'No alert has fired.'),
  );
}

// Draws the rules and the log into `section`, adding the form below them
// the first time; later calls refresh only the rules and the log.
export async function renderAlerts(section, twin) {
  let view = section.querySelector('.alert-view');
  const refresh = () => renderAlerts(section, twin).catch((e) => fill(view, h('p', { class: 'error' }, e.message)));
  if (!view) {
    view = h('div', { class: 'alert-view' });
    fill(section, view, ruleForm(twin, refresh));
  }
  await renderView(view, twin, refresh);
}
