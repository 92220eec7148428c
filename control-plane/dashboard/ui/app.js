// @ts-check
/**
 * The dashboard's entry point: checks the session (GET /v1/session), shows the sign-in form or
 * the shell (navigation, live indicator, who is signed in), and routes on the URL's hash
 * (#/fleet, #/timeline, #/clusters/<id>, #/audit, #/onboarding) so the document itself never
 * changes URL and relative links work under any path prefix.
 */
import { ApiError, get, prefetch, send, setCsrf } from './api.js';
import { h } from './dom.js';
import { Live } from './live.js';
import { fleetQuery, fleetView } from './views/fleet.js';
import { mountSignIn } from './views/signin.js';

/** @typedef {import('./types.js').AppContext} AppContext */
/** @typedef {import('./types.js').Session} Session */
/** @typedef {import('./types.js').View} View */

/**
 * The first screen (the fleet map) is loaded with the page (index.html preloads exactly what it
 * needs); the other views are fetched when first opened.
 * @type {Record<string, { view: () => Promise<View>, title: string, nav?: string, operator?: boolean }>}
 */
const ROUTES = {
  fleet: { view: async () => fleetView, title: 'Fleet', nav: 'Fleet' },
  timeline: { view: async () => (await import('./views/timeline.js')).timelineView, title: 'Failover timeline', nav: 'Timeline' },
  clusters: { view: async () => (await import('./views/cluster.js')).clusterView, title: 'Cluster' },
  audit: { view: async () => (await import('./views/audit.js')).auditView, title: 'Audit log', nav: 'Audit log' },
  onboarding: { view: async () => (await import('./views/onboarding.js')).onboardingView, title: 'Onboarding', nav: 'Onboarding', operator: true },
};

const root = /** @type {HTMLElement} */ (document.getElementById('app'));

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const [name = '', arg] = path.split('/');
  let decoded;
  try {
    decoded = arg ? decodeURIComponent(arg) : undefined;
  } catch {
    decoded = undefined;
  }
  return { name: name || 'fleet', arg: decoded, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** @param {Session} session */
function startShell(session) {
  setCsrf(session.csrf);
  const liveText = h('span', { class: 'live is-connecting', role: 'status', title: 'Live updates from the audit log stream' }, 'Connecting…');
  const live = new Live((state) => {
    liveText.className = `live is-${state}`;
    liveText.textContent = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', closed: 'Offline' }[state];
    if (state === 'closed') void checkSession();
  });
  const notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const main = h('main', { id: 'main', tabindex: '-1' });
  const navLinks = Object.entries(ROUTES)
    .filter(([, r]) => r.nav && (!r.operator || session.role !== 'viewer'))
    .map(([name, r]) => h('a', { href: `#/${name}`, 'data-route': name }, r.nav ?? name));
  const scope = session.site ? ` · site ${session.site.name}` : '';
  const signOut = h('button', { type: 'button', class: 'link', on: { click: () => void doSignOut() } }, 'Sign out');
  root.replaceChildren(
    h('button', { type: 'button', class: 'skip', on: { click: () => main.focus() } }, 'Skip to content'),
    h('header', { class: 'top' },
      h('a', { class: 'brand', href: '#/fleet' }, 'Vigil'),
      h('nav', { 'aria-label': 'Views' }, navLinks),
      h('div', { class: 'who' }, liveText, h('span', { class: 'identity', title: `token ${session.name}` }, `${session.name} (${session.role}${scope})`), signOut)),
    notice,
    main);

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let noticeTimer;
  /** @type {(() => void) | void} */
  let cleanup;

  /** @type {AppContext} */
  const app = {
    session,
    live,
    canOperate: (siteId) => session.role !== 'viewer' && (!session.site || session.site.id === siteId),
    notify(message, kind = 'ok') {
      notice.className = `notice ${kind}`;
      notice.textContent = message;
      clearTimeout(noticeTimer);
      noticeTimer = setTimeout(() => { notice.textContent = ''; notice.className = 'notice'; }, kind === 'error' ? 15_000 : 6_000);
    },
    fail(e, what) {
      if (e instanceof ApiError && e.status === 401) void checkSession();
      else app.notify(`${what} failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    },
    params: new URLSearchParams(),
    setParams(p) {
      const { name, arg, params } = parseHash();
      for (const [k, v] of Object.entries(p)) {
        if (v === undefined || v === null || v === '' || v === false) params.delete(k);
        else params.set(k, String(v));
      }
      const q = params.toString();
      history.replaceState(null, '', `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ''}${q ? `?${q}` : ''}`);
      app.params = params;
    },
  };

  let routing = 0;
  async function route() {
    const mine = ++routing;
    const { name, arg, params } = parseHash();
    const r = ROUTES[name];
    if (typeof cleanup === 'function') cleanup();
    cleanup = undefined;
    app.params = params;
    for (const a of navLinks) {
      if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    main.replaceChildren();
    if (!r || (r.operator && session.role === 'viewer')) {
      document.title = 'Not found · Vigil';
      main.append(h('h1', null, 'Not found'), h('p', null, 'No such view. ', h('a', { href: '#/fleet' }, 'Back to the fleet map.')));
      return;
    }
    document.title = `${r.title} · Vigil`;
    let view;
    try {
      view = await r.view();
    } catch (e) {
      app.notify(`Loading the ${r.title} view failed (${e instanceof Error ? e.message : String(e)}): if the control plane was upgraded since this page was opened, reload it.`, 'error');
      return;
    }
    if (mine !== routing) return; // the user moved on meanwhile
    cleanup = view(main, app, arg);
    main.focus({ preventScroll: true });
  }

  async function checkSession() {
    try {
      await get('v1/session');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        live.stop();
        if (typeof cleanup === 'function') cleanup();
        mountSignIn(root, signedIn, `Your session has ended: ${e.message}. Sign in again.`);
      }
    }
  }

  async function doSignOut() {
    live.stop();
    if (typeof cleanup === 'function') cleanup();
    try {
      await send('DELETE', 'v1/session');
    } catch {
      /* the cookie is gone either way once it expires; show the form */
    }
    setCsrf(null);
    mountSignIn(root, signedIn);
  }

  window.onhashchange = () => void route();
  live.start();
  void route();
}

/** @param {Session} session */
function signedIn(session) {
  if (!location.hash || location.hash === '#/signin') history.replaceState(null, '', '#/fleet');
  startShell(session);
}

async function boot() {
  performance.mark('vigil:boot');
  // The fleet map is the first screen: ask for it while the session is checked.
  const first = parseHash();
  if (first.name === 'fleet') prefetch('v1/fleet/map', fleetQuery(first.params));
  try {
    startShell(await get('v1/session'));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) mountSignIn(root, signedIn);
    else root.replaceChildren(h('main', { id: 'main' }, h('h1', null, 'Vigil'), h('p', { class: 'error', role: 'alert' }, `The control plane did not answer: ${e instanceof Error ? e.message : String(e)}`)));
  }
}

void boot();
