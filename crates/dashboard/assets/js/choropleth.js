// The choropleth map: GeoJSON boundaries drawn as SVG paths (no tiles, no
// library). Each area is a focusable button-like path; a click or Enter
// selects it. The Canary Islands are moved into an inset near the
// mainland, as Spanish maps usually show them.

import { s, h, fill } from './dom.js';
import { number } from './format.js';

const WIDTH = 560;
const HEIGHT = 440;
// Light to dark: more is darker (colour-blind safe, single hue ramp).
const COLOURS = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'];
const CANARIES = new Set(['35', '38']);
const CANARY_SHIFT = [6.5, 7.2];

function areaRings(feature) {
  const g = feature.geometry || {};
  if (g.type === 'Polygon') return g.coordinates;
  if (g.type === 'MultiPolygon') return g.coordinates.flat();
  return [];
}

function shifted(code, [lon, lat]) {
  return CANARIES.has(code) ? [lon + CANARY_SHIFT[0], lat + CANARY_SHIFT[1]] : [lon, lat];
}

// Equirectangular projection scaled by cos(latitude) to fit the box.
function projection(features, codeOf) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) {
    for (const ring of areaRings(f)) {
      for (const p of ring) {
        const [lon, lat] = shifted(codeOf(f), p);
        x0 = Math.min(x0, lon); x1 = Math.max(x1, lon);
        y0 = Math.min(y0, lat); y1 = Math.max(y1, lat);
      }
    }
  }
  const k = Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
  const scale = Math.min((WIDTH - 8) / ((x1 - x0) * k), (HEIGHT - 8) / (y1 - y0));
  return (code, p) => {
    const [lon, lat] = shifted(code, p);
    return [4 + (lon - x0) * k * scale, 4 + (y1 - lat) * scale];
  };
}

// SVG path data, dropping points under half a pixel apart (smaller pages).
function pathData(feature, code, project) {
  let d = '';
  for (const ring of areaRings(feature)) {
    let last = null;
    ring.forEach((p, i) => {
      const [x, y] = project(code, p);
      if (last && i < ring.length - 1 && Math.abs(x - last[0]) + Math.abs(y - last[1]) < 0.5) return;
      d += `${last ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
      last = [x, y];
    });
    d += 'Z';
  }
  return d;
}

// Five equal classes from 0 to the largest value.
export function classes(max) {
  const top = max > 0 ? max : 1;
  return COLOURS.map((colour, i) => ({ colour, from: (top * i) / COLOURS.length, to: (top * (i + 1)) / COLOURS.length }));
}

/**
 * geojson: FeatureCollection; codeOf(feature) → area id; nameOf(feature);
 * values: Map area → number; describe(v) → words for a value;
 * selected: area id; onSelect(area id).
 */
export function renderMap(container, { geojson, codeOf, nameOf, values, describe, legendTitle, selected, onSelect }) {
  const features = geojson.features.filter((f) => values.has(codeOf(f)));
  const project = projection(features, codeOf);
  const max = Math.max(0, ...values.values());
  const bins = classes(max);
  const colourOf = (v) => (Number.isFinite(v) ? bins[Math.min(bins.length - 1, Math.floor((v / (max || 1)) * bins.length))].colour : '#ddd');
  const svg = s('svg', { class: 'choropleth', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'group', 'aria-label': `Map of ${features.length} areas; select one to show it in the chart` });
  for (const f of features) {
    const code = codeOf(f);
    const v = values.get(code);
    const label = `${nameOf(f)}: ${describe(v)}`;
    const select = () => onSelect(code);
    svg.append(
      s(
        'path',
        {
          class: code === selected ? 'area selected' : 'area',
          d: pathData(f, code, project),
          fill: colourOf(v),
          tabindex: 0,
          role: 'button',
          'aria-label': label,
          'aria-pressed': code === selected ? 'true' : 'false',
          'data-area': code,
          onclick: select,
          onkeydown: (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              select();
            }
          },
        },
        s('title', {}, label),
      ),
    );
  }
  const legend = h(
    'div',
    { class: 'map-legend' },
    h('p', { class: 'legend-title' }, legendTitle),
    h(
      'ul',
      {},
      bins.map((b) => h('li', {}, h('span', { class: 'swatch', style: { background: b.colour }, 'aria-hidden': 'true' }), `${number(b.from, 1)} – ${number(b.to, 1)}`)),
    ),
  );
  fill(container, svg, legend);
  return svg;
}
