// Plain-language formatting shared by the pages.

export function number(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

// A share as a whole percentage, 0% and 100% included (coverage, parts of
// a count), unlike `percent`, which speaks of chances.
export function share(x) {
  return `${Math.round(100 * x)}%`;
}

export function percent(p) {
  if (!Number.isFinite(p)) return '–';
  if (p < 0.01) return 'under 1%';
  if (p > 0.99) return 'over 99%';
  return `${Math.round(p * 100)}%`;
}

// "3 minutes ago", from an RFC 3339 time.
export function ago(time) {
  if (!time) return 'never';
  const ms = Date.now() - Date.parse(time);
  if (!Number.isFinite(ms)) return time;
  const sec = Math.round(ms / 1000);
  if (sec < 60) return sec <= 1 ? 'just now' : `${sec} seconds ago`;
  const min = Math.round(sec / 60);
  if (min < 60) return `${min} minute${min === 1 ? '' : 's'} ago`;
  const hours = Math.round(min / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return `${Math.round(hours / 24)} days ago`;
}

// Days since 1970-01-01 of an ISO date or RFC 3339 time (UTC), the x axis of charts.
export function dayNumber(text) {
  return Math.floor(Date.parse(text.slice(0, 10) + 'T00:00:00Z') / 86400000);
}

export function dateOfDay(day) {
  return new Date(day * 86400000).toISOString().slice(0, 10);
}

export function shortDate(day) {
  return new Date(day * 86400000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

export function cadence(seconds) {
  if (seconds % 86400 === 0) return `every ${seconds / 86400 === 1 ? 'day' : `${seconds / 86400} days`}`;
  if (seconds % 3600 === 0) return `every ${seconds / 3600} h`;
  if (seconds % 60 === 0) return `every ${seconds / 60} min`;
  return `every ${seconds} s`;
}

// Rounded axis ticks from 0 (or min) to max.
export function niceTicks(min, max, count = 5) {
  const span = Math.max(max - min, 1e-9);
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => span / st <= count) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}
