// Entry point: the token form, hash routes (#/ overview, #/twin/ID twin
// page) and one live-event connection shared by the pages.

import { getToken, setToken } from './api.js';
import { h, fill } from './dom.js';
import * as live from './live.js';
import { renderOverview } from './overview.js';
import { renderTwin } from './twin_page.js';

const main = document.getElementById('main');
const tokenForm = document.getElementById('token-form');
const tokenInput = document.getElementById('token-input');
const tokenState = document.getElementById('token-state');
const liveState = document.getElementById('live-state');

// Marks this page load: a test checks it survives live updates (no reload).
window.didymosPageLoad = window.didymosPageLoad || `${Date.now()}-${Math.random()}`;

let pageHandler = null;
let renderSeq = 0;

async function route() {
  const seq = ++renderSeq;
  pageHandler = null;
  if (!getToken()) {
    fill(main, h('h1', {}, 'Didymos'), h('p', {}, 'Enter a read token above to see the twins.'));
    return;
  }
  const twinMatch = location.hash.match(/^#\/twin\/([^/]+)$/);
  try {
    const handler = twinMatch ? await renderTwin(main, decodeURIComponent(twinMatch[1])) : await renderOverview(main);
    if (seq === renderSeq) pageHandler = handler;
    main.dataset.ready = twinMatch ? 'twin' : 'overview';
  } catch (e) {
    if (seq !== renderSeq) return;
    fill(main, h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, e.message),
      e.status === 401 ? h('p', {}, 'Check the token above.') : null);
  }
}

// Live events reach the current page; several in a row cause one redraw.
let pending = null;
live.onEvent((kind, event) => {
  window.dispatchEvent(new CustomEvent('didymos-event', { detail: { kind, event } }));
  if (!pageHandler) return;
  const handler = pageHandler;
  pending = (pending || Promise.resolve()).then(() => handler(kind, event)).catch((e) => console.error(e)).finally(() => {
    pending = null;
  });
});
live.onState((state) => {
  liveState.textContent = state === 'live' ? 'Live updates on' : 'Reconnecting to live updates…';
  liveState.dataset.state = state;
});

function showTokenState() {
  tokenState.textContent = getToken() ? 'A token is set for this tab.' : 'No token set.';
}

tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  setToken(tokenInput.value);
  tokenInput.value = '';
  showTokenState();
  live.connect();
  route();
});
document.getElementById('token-clear').addEventListener('click', () => {
  setToken('');
  showTokenState();
  route();
});
window.addEventListener('hashchange', () => {
  route();
  main.focus();
});

showTokenState();
if (getToken()) live.connect();
route();
// Every handler is attached: say so, so that a test (or a slow machine)
// never submits the token form before it would be handled.
document.documentElement.dataset.app = 'ready';
