// The service's REST API as the dashboard uses it. The read token is typed
// by the user, kept in sessionStorage (gone with the tab) and sent as an
// Authorization header, never in a URL, so it is not logged or bookmarked.

const TOKEN_KEY = 'didymos.token';

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
}

// An API error, with the problem+json document's message in plain words.
export class ApiError extends Error {
  constructor(status, problem) {
    const doc = problem && typeof problem === 'object' ? problem : {};
    let message = doc.detail || (typeof problem === 'string' && problem) || `HTTP ${status}`;
    const where = [];
    if (doc.pointer) where.push(`field ${doc.pointer.replace(/^\//, '')}`);
    if (doc.line) where.push(`line ${doc.line}`);
    if (doc.field) where.push(`column ${doc.field}`);
    if (where.length) message += ` (${where.join(', ')})`;
    super(message);
    this.status = status;
    this.problem = doc;
  }
}

// Shows an API error in `message` and marks the input its problem points
// at (`inputs` by field name) and focuses it, so the user sees what to fix.
function showProblem(err, message, inputs) {
  message.textContent = err.message;
  const key = (err.problem?.pointer || '').replace(/^\//, '');
  if (inputs[key]) {
    inputs[key].setAttribute('aria-invalid', 'true');
    inputs[key].focus();
  }
}

// A form's submit handler: clears the last outcome and marks, runs `send`
// (which calls the API and says what came of it in `message`), and on an
// API error shows the problem and marks the input it names.
export function submitTo(inputs, message, send) {
  return async (e) => {
    e.preventDefault();
    message.textContent = '';
    Object.values(inputs).forEach((i) => i.removeAttribute('aria-invalid'));
    try {
      await send();
    } catch (err) {
      showProblem(err, message, inputs);
    }
  };
}

export function authHeaders() {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// GET/POST `path` (same origin); JSON in and out; throws ApiError.
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    signal,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const enc = encodeURIComponent;

// Every page of a stream's history (keyset pagination), oldest first.
export async function streamHistory(twin, stream, from) {
  const items = [];
  let after = null;
  for (let page = 0; page < 50; page++) {
    const q = new URLSearchParams({ limit: '10000' });
    if (from) q.set('from', from);
    if (after) q.set('after', after);
    const res = await api(`/v1/twins/${enc(twin)}/streams/${enc(stream)}/observations?${q}`);
    items.push(...res.items);
    if (!res.next) break;
    after = res.next;
  }
  return items;
}
