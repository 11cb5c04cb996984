// How the twin's published forecasts did against the data that came after
// them (GET /v1/twins/{id}/skill), for the chosen target and area: the
// weekly ensemble against the persistence baseline (beside each part that
// went into it: the twin's own weekly forecasts, the trend, the lead), and the twin's own daily forecasts
// by week of horizon. Users see whether the ranges they
// are about to act on have held before.

import { api, enc } from './api.js';
import { h, s as svg, fill } from './dom.js';
import { number, share } from './format.js';

// The share of outcomes above the middle forecast (the median): about half
// when forecasts sit neither too low nor too high; ties count half.
const above = (r) => {
  const m = (r.below_quantile || []).find((b) => Math.abs(b.level - 0.5) < 1e-9);
  return m ? share(1 - m.share) : '–';
};
// Two decimals with a sign; one that rounds to zero is 0.00, not −0.00.
const signed = (x) => {
  const r = Math.round(x * 100) / 100;
  return `${r > 0 ? '+' : r < 0 ? '−' : ''}${Math.abs(r).toFixed(2)}`;
};

// Each origin's relative error one week ahead, oldest first, against the
// line at 1 (the baseline's): whether the twin has kept its skill lately,
// which the pooled table above cannot show.
function byOrigin(rows) {
  const points = rows.filter((r) => r.weeks_ahead === 1 && r.relative_wis !== null && r.relative_wis !== undefined);
  if (points.length < 2) return null;
  const [width, height, pad] = [600, 120, 6];
  const top = Math.max(2, ...points.map((r) => r.relative_wis));
  const x = (i) => pad + (i * (width - 2 * pad)) / (points.length - 1);
  const y = (v) => height - pad - (v / top) * (height - 2 * pad);
  const line = points.map((r, i) => `${x(i).toFixed(1)},${y(r.relative_wis).toFixed(1)}`).join(' ');
  const label = `Relative error one week ahead for each of ${points.length} origins from ` +
    `${points[0].origin} to ${points[points.length - 1].origin}; below the dashed line beats last week's level`;
  return h('figure', { id: 'skill-by-origin' },
    svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'skill-by-origin' },
      svg('line', { x1: pad, x2: width - pad, y1: y(1), y2: y(1), class: 'reference' }),
      svg('text', { x: width - pad, y: y(1) - 4, 'text-anchor': 'end', class: 'reference-label' }, '1 = as good as last week\'s level'),
      svg('polyline', { points: line }),
      ...points.map((r, i) => svg('circle', { cx: x(i).toFixed(1), cy: y(r.relative_wis).toFixed(1), r: 2.5, 'data-origin': r.origin },
        svg('title', {}, `${r.origin}: ${r.relative_wis.toFixed(2)}`)))),
    h('figcaption', { class: 'muted' }, `${label}.`));
}

// Wrapped so that a narrow window scrolls the table, not the page.
function table(id, caption, head, rows) {
  return h('div', { class: 'table-scroll' }, h('table', { id, class: 'skill' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

// `area` is a location or 'total'; `areaName` says it in words.
export async function renderSkill(section, twin, target, area, areaName) {
  const title = h('h2', { id: 'skill-title' }, 'How past forecasts did');
  if (!target) {
    fill(section, title, h('p', { class: 'muted' }, 'No target to score.'));
    return;
  }
  const s = await api(`/v1/twins/${enc(twin.id)}/skill?target=${enc(target)}&location=${enc(area)}`);
  if (!s.scored_through || !s.origins.length) {
    fill(section, title, h('p', { class: 'muted' },
      `Nothing to score yet: no forecast of ${target} has a day the twin has assimilated since it was issued.`));
    return;
  }
  const scope = area === 'total' ? 'total' : 'locations';
  const intro = h('p', {},
    `The last forecast of each day from ${s.origins[0]} to ${s.origins[s.origins.length - 1]} ` +
    `(${s.origins.length}), scored against the data through ${s.scored_through}. A 50% range should ` +
    'hold the outcome about half the time and a 90% range nine times in ten; the outcome should come ' +
    'above the middle forecast about half the time; bias runs from −1 (always too low) to +1 ' +
    '(always too high).');
  const weekly = s.weekly_ensemble.filter((r) => r.scope === scope);
  // Each part of the ensemble scored alone on the same weeks: the twin,
  // the damped trend and the lead (absent where none was kept).
  const alone = (field) => (r) => (s[field] || []).find((t) => t.scope === scope && t.weeks_ahead === r.weeks_ahead);
  const [twinAlone, trendAlone, leadAlone] = ['weekly_twin', 'weekly_trend', 'weekly_lead'].map(alone);
  const ratio = (r) => (r?.relative_wis === null || r?.relative_wis === undefined ? '–' : r.relative_wis.toFixed(2));
  const daily = s.daily.filter((r) => r.scope === scope);
  const parts = [title, intro];
  if (weekly.length) {
    parts.push(table('skill-weekly',
      `Weekly totals of ${target}, ${areaName} (the twin with its statistical companions). ` +
      'Error is relative to a forecast of last week\'s level: below 1 is better. ' +
      'The twin, trend and lead columns score each part alone, as it was averaged in: the twin\'s own ' +
      'forecast, a damped trend on the weekly totals, and the leading series times its recent ratio.',
      ['Weeks ahead', 'Forecasts scored', 'Relative error', 'Twin alone', 'Trend alone', 'Lead alone',
        '50% range held', '90% range held', 'Above middle', 'Bias'],
      weekly.map((r) => h('tr', { 'data-weeks': r.weeks_ahead },
        h('th', { scope: 'row' }, String(r.weeks_ahead)),
        h('td', { class: 'num' }, number(r.n)),
        h('td', { class: 'num' }, ratio(r)),
        h('td', { class: 'num' }, ratio(twinAlone(r))),
        h('td', { class: 'num' }, ratio(trendAlone(r))),
        h('td', { class: 'num' }, ratio(leadAlone(r))),
        h('td', { class: 'num' }, share(r.coverage_50)),
        h('td', { class: 'num' }, share(r.coverage_90)),
        h('td', { class: 'num' }, above(r)),
        h('td', { class: 'num' }, signed(r.bias))))));
    const trend = byOrigin((s.weekly_by_origin || []).filter((r) => r.scope === scope));
    if (trend) parts.push(trend);
  } else {
    parts.push(h('p', { class: 'muted', id: 'skill-weekly-none' }, 'No forecast epiweek has been completed by the data yet.'));
  }
  parts.push(table('skill-daily',
    `Daily forecasts of ${target}, ${areaName}, by the twin; the error (weighted interval score) is in ${target} per day.`,
    ['Days ahead', 'Forecasts scored', 'Error', '50% range held', '90% range held', 'Above middle', 'Bias'],
    daily.map((r) => h('tr', { 'data-days': `${r.days_ahead_from}-${r.days_ahead_to}` },
      h('th', { scope: 'row' }, `${r.days_ahead_from}–${r.days_ahead_to}`),
      h('td', { class: 'num' }, number(r.n)),
      h('td', { class: 'num' }, number(r.wis, 1)),
      h('td', { class: 'num' }, share(r.coverage_50)),
      h('td', { class: 'num' }, share(r.coverage_90)),
      h('td', { class: 'num' }, above(r)),
      h('td', { class: 'num' }, signed(r.bias))))));
  fill(section, ...parts);
}
