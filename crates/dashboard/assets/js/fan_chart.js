// The fan chart: observed points, the median forecast and two bands (the
// middle 50% and 90% of forecasts), drawn as inline SVG. The legend is in
// plain words, as planners read it.

import { s, h, fill } from './dom.js';
import { dayNumber, shortDate, niceTicks, number } from './format.js';

const WIDTH = 760;
const HEIGHT = 320;
const PAD = { left: 56, right: 16, top: 16, bottom: 36 };

// Index of the quantile level closest to `level` (Hub levels include
// 0.05, 0.25, 0.5, 0.75 and 0.95).
function levelIndex(levels, level) {
  let best = 0;
  levels.forEach((l, i) => {
    if (Math.abs(l - level) < Math.abs(levels[best] - level)) best = i;
  });
  return best;
}

// Band polygon points: upper edge left to right, lower edge back.
function bandPoints(days, upper, lower, x, y) {
  const top = days.map((d, i) => `${x(d)},${y(upper[i])}`);
  const bottom = days.map((d, i) => `${x(d)},${y(lower[i])}`).reverse();
  return [...top, ...bottom].join(' ');
}

/**
 * Draws into `container`:
 *   observed: [{date, value}] (ISO dates), forecast: {dates, levels, quantiles}
 *   or null, label: what and where (e.g. "Hospital admissions — Madrid"),
 *   provisional: a Map from the dates still being reported to the share of
 *   their final count in so far (a nowcasting twin's), or absent. Those
 *   days are drawn open, with a dashed line up to their expected final
 *   count, so a half-reported day does not read as a fall.
 */
export function renderFanChart(container, { observed, forecast, label, area, provisional = new Map() }) {
  const obsDays = observed.map((o) => dayNumber(o.date));
  const fcDays = forecast ? forecast.dates.map(dayNumber) : [];
  const allDays = [...obsDays, ...fcDays];
  if (!allDays.length) {
    fill(container, h('p', { class: 'empty' }, 'No data or forecast yet for this area.'));
    return;
  }
  const q = forecast
    ? Object.fromEntries(
        [0.05, 0.25, 0.5, 0.75, 0.95].map((l) => [l, forecast.quantiles.map((row) => row[levelIndex(forecast.levels, l)])]),
      )
    : null;
  const expected = (o) => (provisional.has(o.date) ? o.value / provisional.get(o.date) : o.value);
  const maxY = Math.max(1, ...observed.map(expected), ...(q ? q[0.95] : []));
  const minDay = Math.min(...allDays);
  const maxDay = Math.max(...allDays, minDay + 1);
  const x = (d) => (PAD.left + ((d - minDay) / (maxDay - minDay)) * (WIDTH - PAD.left - PAD.right)).toFixed(1);
  const yTicks = niceTicks(0, maxY, 5);
  const top = Math.max(maxY, yTicks[yTicks.length - 1]);
  const y = (v) => (HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom)).toFixed(1);

  const svg = s('svg', {
    class: 'fan-chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': `${label}: ${observed.length} observed days` + (forecast ? `, forecast from ${forecast.dates[0]} to ${forecast.dates[forecast.dates.length - 1]}` : ', no forecast yet'),
    'data-area': area,
  });
  const axes = s('g', { class: 'axes' });
  for (const t of yTicks) {
    axes.append(
      s('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(t), y2: y(t) }),
      s('text', { x: PAD.left - 6, y: y(t), dy: '0.32em', 'text-anchor': 'end' }, number(t)),
    );
  }
  const xStep = Math.max(1, Math.ceil((maxDay - minDay) / 7));
  for (let d = minDay; d <= maxDay; d += xStep) {
    axes.append(s('text', { x: x(d), y: HEIGHT - PAD.bottom + 18, 'text-anchor': 'middle' }, shortDate(d)));
  }
  axes.append(s('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0) }));
  svg.append(axes);

  if (q) {
    svg.append(
      s('polygon', { class: 'band-90', points: bandPoints(fcDays, q[0.95], q[0.05], x, y) }, s('title', {}, '90% of forecasts fall in this band')),
      s('polygon', { class: 'band-50', points: bandPoints(fcDays, q[0.75], q[0.25], x, y) }, s('title', {}, 'Half of forecasts fall in this band')),
      s('polyline', { class: 'median', points: fcDays.map((d, i) => `${x(d)},${y(q[0.5][i])}`).join(' ') }),
      s('line', { class: 'origin', x1: x(fcDays[0] - 1), x2: x(fcDays[0] - 1), y1: PAD.top, y2: HEIGHT - PAD.bottom }),
    );
  }
  const points = s('g', { class: 'observed' });
  observed.forEach((o, i) => {
    if (provisional.has(o.date)) {
      const share = provisional.get(o.date);
      const note = `${o.date}: ${number(o.value)} so far, about ${Math.round(100 * share)}% of the final count; ` +
        `expected final about ${number(expected(o))}`;
      points.append(
        s('line', { class: 'provisional-gap', x1: x(obsDays[i]), x2: x(obsDays[i]), y1: y(o.value), y2: y(expected(o)) }),
        s('circle', { class: 'observed-point provisional', cx: x(obsDays[i]), cy: y(o.value), r: 3 }, s('title', {}, note)),
      );
      return;
    }
    points.append(
      s('circle', { class: 'observed-point', cx: x(obsDays[i]), cy: y(o.value), r: 3 }, s('title', {}, `${o.date}: ${number(o.value)}`)),
    );
  });
  svg.append(points);

  const legend = h(
    'ul',
    { class: 'legend' },
    h('li', {}, h('span', { class: 'swatch observed-swatch', 'aria-hidden': 'true' }), 'Observed'),
    observed.some((o) => provisional.has(o.date)) && h('li', {},
      h('span', { class: 'swatch provisional-swatch', 'aria-hidden': 'true' }), 'Still being reported (dashed: up to the expected final count)'),
    q && h('li', {}, h('span', { class: 'swatch median-swatch', 'aria-hidden': 'true' }), 'Middle forecast (half above, half below)'),
    q && h('li', {}, h('span', { class: 'swatch band-50-swatch', 'aria-hidden': 'true' }), 'Half of forecasts fall in this band'),
    q && h('li', {}, h('span', { class: 'swatch band-90-swatch', 'aria-hidden': 'true' }), '90% of forecasts fall in this band'),
  );
  fill(container, h('h3', { class: 'chart-title' }, label), svg, legend);
}
