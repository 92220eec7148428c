// @ts-check
/**
 * The audit log (GET /v1/events, newest first, cursor pages): filtered by site, cluster,
 * director, kind, actor and time, with export links for the same filters (GET
 * /v1/events/export as CSV or NDJSON: plain links, the session cookie authenticates them).
 * New events that match the filters appear at the top as they are logged.
 */
import { ApiError, get, seg } from '../api.js';
import { fill, h, plural, when } from '../dom.js';
import { describeEvent } from '../describe.js';

const KINDS = ['vrrp.transition', 'vrrp.split_brain', 'config.applied', 'config.rejected', 'director.maintenance', 'instance.move_master', 'spec.revision_created', 'spec.rolled_back', 'lb.realServer', 'lb.quorum', 'director.created', 'director.enrolled', 'director.deleted', 'cluster.created', 'cluster.updated', 'cluster.deleted', 'site.created', 'site.deleted', 'token.created', 'token.revoked', 'enrollment_token.created', 'enrollment_token.revoked', 'session.signed_in', 'session.signed_out'];
const PAGE = 100;

/** @param {string} text @param {HTMLElement} control */
const labelled = (text, control) => h('label', { for: control.id }, text, ' ', control);
/** datetime-local (local time) → ISO, or '' @param {string} v */
const toIso = (v) => (v ? new Date(v).toISOString() : '');
/** ISO → datetime-local value @param {string | null} v */
function toLocal(v) {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

/** @type {import('../types.js').View} */
export function auditView(main, app) {
  const p = app.params;
  const f = { site: p.get('site') ?? '', cluster: p.get('cluster') ?? '', director: p.get('director') ?? '', kind: p.get('kind') ?? '', actor: p.get('actor') ?? '', since: p.get('since') ?? '', until: p.get('until') ?? '' };
  /** @type {Map<string, string>} */
  const siteNames = new Map();
  /** @type {Map<string, { name: string, site: string, directors: Map<string, string> } | null>} */
  const clusterInfo = new Map();
  /** @type {string | null} */
  let cursor = null;
  let disposed = false;
  let seq = 0;
  /** @type {Set<number>} */
  const shown = new Set();

  /** @type {HTMLSelectElement} */
  const siteSel = h('select', { id: 'audit-site' }, h('option', { value: '' }, 'Any site'));
  /** @type {HTMLSelectElement} */
  const clusterSel = h('select', { id: 'audit-cluster' }, h('option', { value: '' }, 'Any cluster'));
  /** @type {HTMLInputElement} */
  const director = h('input', { id: 'audit-director', type: 'text', value: f.director, placeholder: 'needs a cluster', autocomplete: 'off' });
  /** @type {HTMLSelectElement} */
  const kind = h('select', { id: 'audit-kind' }, h('option', { value: '' }, 'Any kind'), KINDS.map((k) => h('option', { value: k, selected: k === f.kind }, k)));
  /** @type {HTMLInputElement} */
  const actor = h('input', { id: 'audit-actor', type: 'text', value: f.actor, placeholder: 'token:alice, agent:lb1', autocomplete: 'off' });
  /** @type {HTMLInputElement} */
  const since = h('input', { id: 'audit-since', type: 'datetime-local', step: '1', value: toLocal(f.since) });
  /** @type {HTMLInputElement} */
  const until = h('input', { id: 'audit-until', type: 'datetime-local', step: '1', value: toLocal(f.until) });
  const exports = h('p', { class: 'exports' });
  const tbody = h('tbody');
  const more = h('button', { type: 'button', disabled: true, on: { click: () => void load(false) } }, 'Older events');
  const status = h('p', { class: 'muted audit-status', role: 'status' });

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    labelled('Site', siteSel), labelled('Cluster', clusterSel), labelled('Director', director), labelled('Kind', kind), labelled('Actor', actor), labelled('Since', since), labelled('Until', until),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'button', on: { click: reset } }, 'Reset'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    Object.assign(f, { site: siteSel.value, cluster: clusterSel.value, director: director.value.trim(), kind: kind.value, actor: actor.value.trim(), since: toIso(since.value), until: toIso(until.value) });
    app.setParams(f);
    void load(true);
  });
  siteSel.addEventListener('change', () => void loadClusters(siteSel.value, ''));

  main.append(h('h1', null, 'Audit log'), form, exports, h('div', { class: 'table-wrap' }, h('table', { class: 'audit' },
    h('caption', null, 'Newest first. Every VRRP transition, real-server change, config applied or rejected and every operator change.'),
    h('thead', null, h('tr', null, ['Time', 'Kind', 'Actor', 'Where', 'What'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody)), h('div', { class: 'pager' }, more, status));

  function reset() {
    Object.assign(f, { site: '', cluster: '', director: '', kind: '', actor: '', since: '', until: '' });
    siteSel.value = '';
    director.value = '';
    kind.value = '';
    actor.value = '';
    since.value = '';
    until.value = '';
    void loadClusters('', '');
    app.setParams(f);
    void load(true);
  }

  /** The query both the list and the export links use. */
  function query() {
    return { site: f.site, cluster: f.cluster, director: f.cluster ? f.director : '', kind: f.kind, actor: f.actor, since: f.since, until: f.until };
  }

  function renderExports() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query())) if (v) q.set(k, v);
    const link = (/** @type {string} */ format, /** @type {string} */ label) => {
      const qs = new URLSearchParams(q);
      qs.set('format', format);
      return h('a', { href: `v1/events/export?${qs}`, download: `vigil-events.${format}`, 'data-export': format }, label);
    };
    fill(exports, 'Export these events: ', link('csv', 'CSV'), ' · ', link('ndjson', 'NDJSON'));
  }

  async function loadSites() {
    try {
      const r = await get('v1/sites');
      for (const s of r.items) siteNames.set(s.id, s.name);
      fill(siteSel, h('option', { value: '' }, 'Any site'), r.items.map((/** @type {any} */ s) => h('option', { value: s.name, selected: s.name === f.site }, s.name)));
    } catch (e) {
      app.fail(e, 'Loading the sites');
    }
  }

  /** @param {string} site @param {string} selected */
  async function loadClusters(site, selected) {
    fill(clusterSel, h('option', { value: '' }, 'Any cluster'));
    if (!site) return;
    try {
      const r = await get(`v1/sites/${seg(site)}/clusters`);
      fill(clusterSel, h('option', { value: '' }, 'Any cluster'), r.items.map((/** @type {any} */ c) => h('option', { value: c.id, selected: c.id === selected }, c.name)));
    } catch (e) {
      app.fail(e, 'Loading the clusters');
    }
  }

  /** Names for the ids in events (clusters and their directors), fetched once each. @param {any[]} events */
  async function resolve(events) {
    const ids = [...new Set(events.map((e) => e.clusterId).filter((x) => x && !clusterInfo.has(x)))];
    await Promise.all(ids.map(async (id) => {
      try {
        const [c, ds] = await Promise.all([get(`v1/clusters/${seg(id)}`), get(`v1/clusters/${seg(id)}/directors`)]);
        clusterInfo.set(id, { name: c.name, site: c.siteName, directors: new Map(ds.items.map((/** @type {any} */ d) => [d.id, d.name])) });
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) clusterInfo.set(id, null);
        else throw e;
      }
    }));
  }

  /** @param {any} e */
  function row(e) {
    const c = e.clusterId ? clusterInfo.get(e.clusterId) : undefined;
    const site = c?.site ?? (e.siteId ? siteNames.get(e.siteId) : undefined);
    const dir = e.directorId ? c?.directors.get(e.directorId) ?? (typeof e.details?.director === 'string' ? e.details.director : `director ${String(e.directorId).slice(0, 8)}`) : null;
    const where = [site, c ? c.name : e.clusterId ? `cluster ${String(e.clusterId).slice(0, 8)}` : null, dir, e.instance].filter(Boolean).join(' / ');
    const t = e.agentTime && e.agentTime < e.receivedAt ? e.agentTime : e.receivedAt;
    return h('tr', { 'data-kind': e.kind, 'data-actor': e.actor, 'data-director': dir ?? '', 'data-id': String(e.id) },
      h('td', null, h('time', { datetime: t, title: `received ${when(e.receivedAt)}${e.agentTime ? `, agent time ${when(e.agentTime)}` : ''}` }, when(t))),
      h('td', { class: 'mono' }, e.kind),
      h('td', null, e.actor),
      h('td', null, e.clusterId && c ? h('a', { href: `#/clusters/${encodeURIComponent(e.clusterId)}` }, where) : where),
      h('td', null, describeEvent({ ...e, director: dir })));
  }

  /** @param {boolean} first */
  async function load(first) {
    const mine = ++seq;
    if (first) {
      cursor = null;
      renderExports();
    }
    more.disabled = true;
    status.textContent = 'Loading…';
    try {
      const page = await get('v1/events', { ...query(), order: 'desc', limit: PAGE, cursor: first ? '' : cursor });
      await resolve(page.items);
      if (disposed || mine !== seq) return;
      if (first) {
        tbody.replaceChildren();
        shown.clear();
      }
      for (const e of page.items) {
        shown.add(e.id);
        tbody.append(row(e));
      }
      cursor = page.nextCursor;
      more.disabled = !cursor;
      counted();
    } catch (e) {
      if (disposed) return;
      status.textContent = '';
      app.fail(e, 'Loading the audit log');
    }
  }

  /** How many rows are shown, and whether older ones exist (live rows count too). */
  function counted() {
    status.textContent = tbody.children.length === 0 ? 'No event matches these filters.' : `${plural(tbody.children.length, 'event')} shown${cursor ? '' : ' (all of them)'}.`;
  }

  /** Does a live event pass the filters (ids for names the page already knows)? @param {any} e */
  function matches(e) {
    if (f.kind && e.kind !== f.kind) return false;
    if (f.actor && e.actor !== f.actor) return false;
    if (f.cluster && e.clusterId !== f.cluster) return false;
    if (f.site && siteNames.get(e.siteId) !== f.site) return false;
    if (f.until) return false; // a window that ends gets nothing new
    if (f.director) {
      const c = clusterInfo.get(e.clusterId);
      if (!c || c.directors.get(e.directorId) !== f.director) return false;
    }
    return true;
  }

  const unsubscribe = app.live.subscribe((e) => {
    if (shown.has(e.id) || !matches(e)) return;
    void resolve([e]).then(() => {
      if (disposed || shown.has(e.id)) return;
      shown.add(e.id);
      tbody.prepend(row(e));
      counted();
    }).catch(() => undefined);
  });
  void loadSites().then(() => loadClusters(f.site, f.cluster)).then(() => load(true));
  return () => {
    disposed = true;
    unsubscribe();
  };
}
