/**
 * The page's only way to build DOM: elements and text nodes, never HTML strings, so nothing a
 * user typed (a login, an audit detail) can become markup. Attributes starting with `on` are
 * refused by construction: handlers are attached with `on()`.
 */
export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) throw new Error(`use on() for ${k}`);
    if (v === null || v === undefined || v === false) el.removeAttribute(k);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces every child of `el`. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

export function on<K extends keyof HTMLElementEventMap>(el: HTMLElement, type: K, fn: (e: HTMLElementEventMap[K]) => void): void {
  el.addEventListener(type, fn);
}

let ids = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled form field: the label's `for` names the control, hints and errors are described-by.
 * `addon` (a button acting on the control, such as "Show") sits on the control's line.
 */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: Child | Child[], addon?: HTMLElement): { wrap: HTMLElement; error: HTMLElement } {
  const id = control.id || uid('f');
  control.id = id;
  const hintEl = hint === undefined ? null : h('p', { class: 'hint', id: `${id}-hint` }, ...(Array.isArray(hint) ? hint : [hint]));
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  control.setAttribute('aria-describedby', [hintEl ? hintEl.id : '', error.id].filter(Boolean).join(' '));
  const line = addon ? h('div', { class: 'input-row' }, control, addon) : control;
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), line, hintEl, error);
  return { wrap, error };
}

/** Shows (or clears, with '') the error of a field built by `field()`. */
export function setFieldError(control: HTMLElement, error: HTMLElement, message: string): void {
  error.textContent = message;
  error.hidden = message === '';
  if (message === '') control.removeAttribute('aria-invalid');
  else control.setAttribute('aria-invalid', 'true');
}

const SVG = 'http://www.w3.org/2000/svg';
/** The trash icon (decorative: the button around it carries the accessible name). */
export function trashIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h2v-8h-2zm4 0v8h2v-8h-2z');
  path.setAttribute('fill', 'currentColor');
  svg.appendChild(path);
  return svg;
}
