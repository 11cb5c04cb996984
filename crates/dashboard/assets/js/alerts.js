// The alert log: every firing and resolution, newest first, with the rule
// it belongs to in words.

import { api, enc } from './api.js';
import { h, fill } from './dom.js';
import { number, percent } from './format.js';

export async function renderAlerts(section, twin) {
  const [rules, events] = await Promise.all([
    api(`/v1/twins/${enc(twin.id)}/alert-rules`),
    api(`/v1/twins/${enc(twin.id)}/alerts`),
  ]);
  const byId = new Map(rules.map((r) => [r.id, r]));
  const period = (r) => (r.forecast === 'ensemble'
    ? `over the epiweek ${r.week} week${r.week === 1 ? '' : 's'} ahead (weekly ensemble)`
    : `${r.aggregate === 'max' ? 'peak day of' : 'over'} ${r.days} days`);
  const describe = (r) => (r ? `${r.name}: ${r.target} in ${r.location} ${period(r)} above ${number(r.threshold)}${r.return_period_years ? ` (the ${r.return_period_years}-year flow)` : ''} with a chance over ${percent(r.probability)}` : 'deleted rule');
  fill(
    section,
    h('h2', { id: 'alerts-title' }, 'Alert log'),
    h('p', {}, rules.length ? `${rules.length} rule(s); firing now: ${rules.filter((r) => r.state === 'firing').map((r) => r.name).join(', ') || 'none'}.` : 'No alert rule yet.'),
    events.length
      ? h('table', { class: 'alert-log' },
          h('caption', {}, 'Alerts, newest first'),
          h('thead', {}, h('tr', {}, ['When', 'State', 'Chance', 'Rule'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, events.map((e) => h('tr', { class: `alert-${e.state}` },
            h('td', {}, e.created.replace('T', ' ').slice(0, 19)),
            h('td', {}, e.state === 'firing' ? 'Firing' : 'Resolved'),
            h('td', { class: 'num' }, percent(e.probability)),
            h('td', {}, describe(byId.get(e.rule_id)))))))
      : h('p', { class: 'muted' }, 'No alert has fired.'),
  );
}
