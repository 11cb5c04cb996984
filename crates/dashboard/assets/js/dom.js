// Tiny DOM helpers: the dashboard builds its elements in code (no
// framework, no innerHTML with data), so text from the API is never parsed
// as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'style' && typeof value === 'object') {
      // CSSOM, not a style attribute: the page's CSP forbids inline styles.
      Object.assign(el.style, value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// An HTML element: h('p', {class: 'x'}, 'text', childNode).
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// A labelled form field: `<div class="field" id="ID-field">` holding the
// label, the input (whose id is ID) and an optional hint (id ID-hint).
export function field(id, label, input, hint) {
  return h('div', { class: 'field', id: `${id}-field` }, h('label', { for: id }, label), input, hint && h('small', { id: `${id}-hint` }, hint));
}

// An SVG element, same shape as h().
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Replaces the content of `el` with `children`.
export function fill(el, ...children) {
  clear(el);
  return build(el, {}, children);
}
