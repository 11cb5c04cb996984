// Observed daily values per area: a stream's records (one per location and
// stratum) summed over strata, and over areas for the whole twin ("total").

import { streamHistory } from './api.js';

// Map area → Map date → value, with an extra "total" area.
export async function observedByArea(twin, stream, from) {
  const items = await streamHistory(twin, stream, from);
  const byArea = new Map([['total', new Map()]]);
  for (const o of items) {
    const date = o.time.slice(0, 10);
    const area = o.location || 'total';
    if (!byArea.has(area)) byArea.set(area, new Map());
    const add = (m) => m.set(date, (m.get(date) || 0) + o.value);
    add(byArea.get(area));
    if (area !== 'total') add(byArea.get('total'));
  }
  return { byArea, count: items.length, items };
}

// [{date, value}] in date order for one area.
export function series(byArea, area) {
  const m = byArea.get(area) || new Map();
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([date, value]) => ({ date, value }));
}
