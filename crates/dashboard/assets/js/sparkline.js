// A sparkline: a small line of recent daily totals, for the overview cards.

import { s } from './dom.js';
import { number } from './format.js';

export function sparkline(values, label) {
  const width = 200;
  const height = 40;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`);
  const last = values.length ? number(values[values.length - 1]) : 'no data';
  return s(
    'svg',
    { class: 'sparkline', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${label}, last ${values.length} days; latest ${last}` },
    s('polyline', { points: points.join(' ') }),
  );
}
