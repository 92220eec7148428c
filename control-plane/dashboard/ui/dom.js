// @ts-check
/**
 * Building the page without HTML strings. Every text becomes a text node and every attribute is
 * set by name, so whatever a name, a reason or a message contains is shown as text: a site
 * described as `<img src=x onerror=alert(1)>` reads exactly that. The page's CSP requires
 * Trusted Types with no policy, so an HTML sink (innerHTML, outerHTML, insertAdjacentHTML,
 * document.write) would throw rather than parse; the lint forbids them too.
 */

/** @typedef {import('./types.js').Child} Child */
/** @typedef {Record<string, unknown>} Props */

/** Attributes never set from here: event handlers (use `on`), inline style (CSP), frame sources. */
const REFUSED = /^(on.*|style|srcdoc|formaction)$/i;
/** Links only go to the page's own views or to same-origin relative URLs. */
const SAFE_URL = /^(#|\.\/|\.\.\/|v1\/|[a-z0-9._-]+(\/|\?|$))/i;

/**
 * @param {Element} el
 * @param {Props | null | undefined} props
 */
function applyProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') {
      for (const [type, fn] of Object.entries(/** @type {Record<string, EventListener>} */ (v))) el.addEventListener(type, fn);
    } else if (k === 'class') {
      const names = (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string' && x);
      if (names.length) el.setAttribute('class', names.join(' '));
    } else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[k] = v;
    } else if (k === 'ref') {
      /** @type {(e: Element) => void} */ (v)(el);
    } else if (REFUSED.test(k)) {
      throw new Error(`dom: attribute ${k} is not set from here`);
    } else if ((k === 'href' || k === 'src') && !SAFE_URL.test(String(v))) {
      throw new Error(`dom: refusing ${k}=${String(v).slice(0, 40)}`);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

/**
 * @param {Node} el
 * @param {Child[]} children
 */
function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === 'string' || typeof c === 'number') el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c);
  }
}

/**
 * An HTML element: `h('a', { href: '#/fleet', class: 'nav' }, 'Fleet')`.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * An SVG element (attributes such as x/width are geometry, not style: the CSP allows them).
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function s(tag, props, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * Replaces everything inside `el`.
 * @param {Element} el
 * @param {...Child} children
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** @param {number} n @param {string} one @param {string} [many] */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "3 s", "4 min", "2 h", "3 d" @param {number} ms */
export function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** A gap or duration: "360 ms", "4.2 s", "3 min". @param {number | null | undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined) return 'unknown';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return age(ms);
}

/** Local date and time, seconds included: "2026-12-03 15:51:19". @param {string | number | Date | null | undefined} t */
export function when(t) {
  if (t === null || t === undefined) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A <time> element showing "N ago", with the exact time as its title. @param {string | null | undefined} iso @param {number} [now] */
export function ago(iso, now = Date.now()) {
  if (!iso) return h('span', { class: 'muted' }, '–');
  return h('time', { datetime: iso, title: when(iso) }, `${age(now - Date.parse(iso))} ago`);
}

/** A stable colour class per name (app.css has c0..c9), so a director keeps its colour on every view. @param {string} name */
export function colour(name) {
  let x = 0;
  for (let i = 0; i < name.length; i++) x = (x * 31 + name.charCodeAt(i)) >>> 0;
  return `c${x % 10}`;
}

