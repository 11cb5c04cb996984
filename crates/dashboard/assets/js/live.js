// Live events from GET /v1/events (server-sent events). EventSource cannot
// send an Authorization header, so the stream is read with fetch and parsed
// here; it reconnects with a growing pause when the connection drops.

import { authHeaders } from './api.js';

const listeners = new Set();
let controller = null;
let stateListener = () => {};

// fn(kind, event) for every event; returns a function that unsubscribes.
export function onEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function onState(fn) {
  stateListener = fn;
}

function dispatch(block) {
  let kind = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // keep-alive comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') kind = value;
    if (field === 'data') data.push(value);
  }
  if (!data.length) return;
  let event;
  try {
    event = JSON.parse(data.join('\n'));
  } catch {
    return;
  }
  for (const fn of listeners) {
    try {
      fn(kind, event);
    } catch (e) {
      console.error('live event handler', e);
    }
  }
}

async function readOnce(signal) {
  const res = await fetch('/v1/events', {
    headers: { Accept: 'text/event-stream', ...authHeaders() },
    signal,
    cache: 'no-store',
  });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  stateListener('live');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

// (Re)starts the connection, e.g. after the token changed.
export function connect() {
  if (controller) controller.abort();
  const mine = new AbortController();
  controller = mine;
  (async () => {
    let pause = 1000;
    while (!mine.signal.aborted) {
      try {
        await readOnce(mine.signal);
        pause = 1000;
      } catch (e) {
        if (mine.signal.aborted) return;
        console.warn(e);
      }
      stateListener('reconnecting');
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 15000);
    }
  })();
}
