// @ts-check
/**
 * The fleet map: sites → clusters → VRRP instances, one page of clusters at a time
 * (GET /v1/fleet/map), with who is MASTER at which effective/base priority since when, and each
 * director's freshness. A director whose last report is older than the freshness window is grey
 * and its last "MASTER" is never shown as a master: the page re-judges freshness every second
 * against its own clock, without waiting for the next fetch. Split brain (two fresh masters)
 * is a red banner naming both. Drift, a rejected revision and maintenance are badges.
 *
 * Updates: the audit-log stream triggers a refetch at once for anything that can change the
 * map (transitions, configs, operator actions); a slow poll picks up what reports change
 * without an event (a director coming back, priorities).
 */
import { get } from '../api.js';
import { age, ago, colour, fill, h, plural } from '../dom.js';
import { coalesce } from '../live.js';

/** @typedef {import('../types.js').FleetMap} FleetMap */
/** @typedef {import('../types.js').FleetCluster} FleetCluster */
/** @typedef {import('../types.js').FleetInstance} FleetInstance */
/** @typedef {import('../types.js').AppContext} AppContext */

const PAGE_SIZE = 50;
const POLL_MS = 5000;
const REFRESH_KINDS = /^(vrrp\.|config\.|director\.|instance\.|spec\.|cluster\.|site\.)/;
const PROBLEM_TEXT = /** @type {Record<string, string>} */ ({ split_brain: 'split brain', no_master: 'no master', stale: 'stale director', never_seen: 'never reported', drift: 'drift' });

/**
 * @param {string} text
 * @param {HTMLElement} control
 */
const labelled = (text, control) => h('label', { for: control.id }, text, ' ', control);

/**
 * The fleet map query for the view's URL parameters (app.js prefetches it while the session is
 * checked, so the first page arrives one round trip sooner).
 * @param {URLSearchParams} p
 */
export function fleetQuery(p) {
  return { site: p.get('site') ?? '', q: p.get('q') ?? '', problems: p.get('problems') === '1' ? 'true' : '', page: Math.max(1, Number(p.get('page')) || 1), pageSize: PAGE_SIZE };
}

/** @type {import('../types.js').View} */
export function fleetView(main, app) {
  const p = app.params;
  let site = p.get('site') ?? '';
  let q = p.get('q') ?? '';
  let problems = p.get('problems') === '1';
  let page = Math.max(1, Number(p.get('page')) || 1);

  /** @type {FleetMap | null} */
  let data = null;
  let fetchedAt = 0;
  let loadSeq = 0;
  let disposed = false;
  let rendered = false;
  let freshKey = '';
  let bannerKey = '';
  let sitesKey = '';
  /** @type {{ el: Element, seenAt: number }[]} */
  let ageRefs = [];

  const banners = h('div', { class: 'banners' });
  const tiles = h('section', { class: 'tiles', 'aria-label': 'Fleet summary' });
  /** @type {HTMLSelectElement} */
  const siteSel = h('select', { id: 'fleet-site' }, h('option', { value: '' }, 'All sites'));
  /** @type {HTMLInputElement} */
  const search = h('input', { id: 'fleet-q', type: 'search', value: q, placeholder: 'site, cluster or director' });
  /** @type {HTMLInputElement} */
  const onlyProblems = h('input', { id: 'fleet-problems', type: 'checkbox', checked: problems });
  const tableWrap = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Fleet pages' });

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;
  siteSel.addEventListener('change', () => { site = siteSel.value; page = 1; app.setParams({ site, page: null }); void load(); });
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { q = search.value.trim(); page = 1; app.setParams({ q, page: null }); void load(); }, 250);
  });
  onlyProblems.addEventListener('change', () => { problems = onlyProblems.checked; page = 1; app.setParams({ problems: problems ? 1 : null, page: null }); void load(); });

  main.append(
    h('h1', null, 'Fleet'),
    banners,
    tiles,
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter clusters', on: { submit: (/** @type {Event} */ e) => e.preventDefault() } },
      labelled('Site', siteSel), labelled('Search', search), h('label', { for: onlyProblems.id, class: 'check' }, onlyProblems, ' Only clusters with problems')),
    tableWrap,
    pager);

  async function load() {
    const seq = ++loadSeq;
    try {
      /** @type {FleetMap} */
      const d = await get('v1/fleet/map', fleetQuery(new URLSearchParams({ site, q, problems: problems ? '1' : '', page: String(page) })));
      if (disposed || seq !== loadSeq) return;
      if (!rendered) performance.mark('vigil:fleet-data');
      data = d;
      fetchedAt = Date.now();
      page = d.page.number;
      render();
    } catch (e) {
      if (!disposed) app.fail(e, 'Loading the fleet map');
    }
  }

  /** When each director last reported, on this page's clock. @param {number | null} ageMs */
  const seenAt = (ageMs) => (ageMs === null ? null : fetchedAt - ageMs);
  /** @param {number | null} at */
  const isFresh = (at) => at !== null && Date.now() - at < /** @type {FleetMap} */ (data).freshnessWindowMs;

  /**
   * The cluster as of now: freshness re-judged, masters re-derived from the fresh reports only.
   * @param {FleetCluster} c
   */
  function effective(c) {
    const fresh = new Map(c.directors.map((d) => [d.name, isFresh(seenAt(d.ageMs))]));
    const instances = c.instances.map((i) => {
      const members = i.members.map((m) => ({ ...m, fresh: fresh.get(m.director) ?? false }));
      // A fresh report superseded by another director's takeover (a crashed master's last word) is no claim.
      const masters = members.filter((m) => m.state === 'MASTER' && m.fresh && !m.superseded).map((m) => m.director).sort();
      const staleMasters = members.filter((m) => m.state === 'MASTER' && !m.fresh).map((m) => m.director).sort();
      const supersededMasters = members.filter((m) => m.state === 'MASTER' && m.fresh && m.superseded).map((m) => m.director).sort();
      const m = masters.length === 1 ? members.find((x) => x.director === masters[0]) : undefined;
      const master = m ? { director: m.director, priority: m.priority, basePriority: m.basePriority, since: i.master?.director === m.director ? i.master.since : null } : null;
      return { ...i, members, masters, staleMasters, supersededMasters, master, splitBrain: masters.length > 1 };
    });
    return { ...c, instances, fresh };
  }

  function render() {
    if (!data) return;
    const d = data;
    const newSitesKey = d.sites.map((x) => x.id).join();
    if (newSitesKey !== sitesKey) {
      sitesKey = newSitesKey;
      fill(siteSel, h('option', { value: '' }, 'All sites'), d.sites.map((x) => h('option', { value: x.name, selected: x.name === site }, `${x.name} (${plural(x.clusters, 'cluster')})`)));
    }
    const newBannerKey = JSON.stringify(d.splitBrains);
    if (newBannerKey !== bannerKey) {
      bannerKey = newBannerKey;
      fill(banners, d.splitBrains.map((b) => h('div', { class: 'banner danger', role: 'alert', 'data-split-brain': `${b.cluster}/${b.instance}` },
        h('strong', null, 'Split brain: '),
        h('a', { href: `#/clusters/${encodeURIComponent(b.clusterId)}` }, `${b.site} / ${b.cluster}`),
        ` instance ${b.instance}: `,
        b.masters.map((m, n) => [n ? (n === b.masters.length - 1 ? ' and ' : ', ') : '', h('strong', { class: 'director-name' }, m)]),
        ' all report MASTER. Clients may reach either; check the segment between them.')));
    }
    const s = d.summary;
    fill(tiles,
      tile('Sites', s.sites), tile('Clusters', s.clusters),
      tile('Directors', s.directors, `${s.fresh} fresh · ${s.stale} stale · ${s.neverSeen} never reported`, s.stale + s.neverSeen > 0 ? 'warn' : ''),
      tile('Instances', s.instances, `${s.withoutMaster} without a master`, s.withoutMaster > 0 ? 'bad' : ''),
      tile('Drift', s.drift, 'directors not on the desired revision', s.drift > 0 ? 'warn' : ''),
      tile('Split brains', s.splitBrains, '', s.splitBrains > 0 ? 'bad' : ''));
    renderTable();
    fill(pager,
      h('button', { type: 'button', disabled: d.page.number <= 1, on: { click: () => go(d.page.number - 1) } }, '← Previous'),
      h('span', null, `Page ${d.page.number} of ${d.page.pages}`),
      h('button', { type: 'button', disabled: d.page.number >= d.page.pages, on: { click: () => go(d.page.number + 1) } }, 'Next →'));
    if (!rendered) {
      rendered = true;
      // What the 1,000-director budget (< 200 ms to first render) is measured against.
      performance.mark('vigil:fleet-rendered');
    }
  }

  /** @param {number} n */
  function go(n) {
    page = n;
    app.setParams({ page: n > 1 ? n : null });
    void load();
  }

  function renderTable() {
    const d = /** @type {FleetMap} */ (data);
    const clusters = d.items.map(effective);
    freshKey = clusters.map((c) => [...c.fresh].map(([n, f]) => `${n}${f ? '+' : '-'}`).join()).join('|');
    ageRefs = [];
    const first = (d.page.number - 1) * d.page.pageSize + 1;
    const caption = d.page.total === 0
      ? (q || site || problems ? 'No cluster matches the filters.' : 'No clusters yet: create a site and a cluster (see Onboarding).')
      : `Clusters ${first}–${first + d.items.length - 1} of ${d.page.total}`;
    const table = h('table', { class: 'fleet' },
      h('caption', null, caption),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Cluster'), h('th', { scope: 'col' }, 'Instance'), h('th', { scope: 'col' }, 'Master'),
        h('th', { scope: 'col' }, 'Priority ', h('abbr', { title: 'effective / base' }, 'eff/base')), h('th', { scope: 'col' }, 'Master since'), h('th', { scope: 'col' }, 'Directors'))),
      clusters.map((c) => {
        const rows = Math.max(1, c.instances.length);
        const head = h('th', { scope: 'rowgroup', rowspan: rows, class: 'cluster-cell' },
          h('a', { href: `#/clusters/${encodeURIComponent(c.id)}` }, h('span', { class: 'site-name' }, c.site.name), ' / ', h('span', { class: 'cluster-name' }, c.name)),
          c.desiredRevision !== null ? h('span', { class: 'rev' }, ` r${c.desiredRevision}`) : null,
          c.problems.length ? h('ul', { class: 'problems', 'aria-label': 'problems' }, c.problems.map((x) => h('li', { class: `badge ${x}` }, PROBLEM_TEXT[x] ?? x))) : null);
        const dirs = h('td', { rowspan: rows, class: 'directors-cell' }, h('ul', { class: 'dirs' }, c.directors.map((x) => directorChip(x, c.fresh.get(x.name) ?? false, c.desiredRevision))));
        if (c.instances.length === 0) return h('tbody', { 'data-cluster': c.name }, h('tr', null, head, h('td', { colspan: 4, class: 'muted' }, 'no VRRP instance configured or reported'), dirs));
        return h('tbody', { 'data-cluster': c.name, 'data-site': c.site.name }, c.instances.map((i, n) => h('tr', { 'data-instance': i.name },
          n === 0 ? head : null,
          h('td', { class: 'instance-name' }, i.name, i.configured ? null : h('span', { class: 'muted', title: 'reported by an agent but not in the desired spec' }, ' (not in spec)')),
          masterCell(i, c.directors.some((x) => x.lastSeenAt !== null)),
          h('td', { class: 'prio' }, i.master ? `${i.master.priority ?? '?'} / ${i.master.basePriority ?? '?'}` : '–'),
          h('td', { class: 'since' }, i.master?.since ? ago(i.master.since) : '–'),
          n === 0 ? dirs : null)));
      }));
    fill(tableWrap, table);
    updateAges();
  }

  function updateAges() {
    if (!data) return;
    const now = Date.now();
    for (const r of ageRefs) {
      const stale = now - r.seenAt >= data.freshnessWindowMs;
      r.el.textContent = stale ? `stale · ${age(now - r.seenAt)}` : age(now - r.seenAt);
    }
  }

  /**
   * @param {FleetInstance} i
   * @param {boolean} anyReported
   */
  function masterCell(i, anyReported) {
    if (i.splitBrain) return h('td', { class: 'master-cell split', 'data-master': i.masters.join(',') }, h('strong', null, 'split brain: '), i.masters.join(' + '));
    const stale = [
      i.staleMasters.length ? h('div', { class: 'stale-claim' }, `${i.staleMasters.join(', ')}: last report said MASTER, now stale`) : null,
      i.supersededMasters.length ? h('div', { class: 'stale-claim' }, `${i.supersededMasters.join(', ')}: last report said MASTER, before ${i.master?.director ?? 'another director'} took over`) : null,
    ];
    if (i.master) {
      return h('td', { class: 'master-cell master', 'data-master': i.master.director },
        h('span', { class: `swatch ${colour(i.master.director)}`, 'aria-hidden': 'true' }), h('span', { class: 'director-name' }, i.master.director), stale);
    }
    return h('td', { class: `master-cell ${anyReported ? 'none' : 'unknown'}`, 'data-master': '' }, anyReported ? 'no fresh master' : 'not reported yet', stale);
  }

  /**
   * @param {import('../types.js').FleetDirector} x
   * @param {boolean} fresh
   * @param {number | null} desired
   */
  function directorChip(x, fresh, desired) {
    const at = seenAt(x.ageMs);
    const state = !x.enrolled && x.lastSeenAt === null ? 'unenrolled' : x.lastSeenAt === null ? 'never' : fresh ? 'fresh' : 'stale';
    const ageEl = h('span', { class: 'age' }, state === 'never' ? 'never reported' : state === 'unenrolled' ? 'not enrolled' : '');
    if (at !== null) ageRefs.push({ el: ageEl, seenAt: at });
    return h('li', { class: `dir ${state}`, 'data-director': x.name, 'data-freshness': state, title: x.lastSeenAt ? `last report ${new Date(x.lastSeenAt).toLocaleString()}` : '' },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'director-name' }, x.name), ' ',
      h('span', { class: 'visually-hidden' }, `${state === 'fresh' ? 'fresh' : state === 'stale' ? 'stale' : ''}, `),
      ageEl,
      x.maintenance ? h('span', { class: 'badge maint' }, 'maintenance') : null,
      x.rejected ? h('span', { class: 'badge rejected', title: x.rejected.reason }, `rejected r${x.rejected.revision}: ${x.rejected.reason}`)
        : x.drift ? h('span', { class: 'badge drift', title: 'applied revision differs from the desired one' }, `drift r${x.appliedRevision ?? '–'}→r${desired ?? '?'}`) : null);
  }

  function tick() {
    if (!data) return;
    const key = data.items.map(effective).map((c) => [...c.fresh].map(([n, f]) => `${n}${f ? '+' : '-'}`).join()).join('|');
    if (key !== freshKey) renderTable();
    else updateAges();
  }

  const refresh = coalesce(() => void load(), 100);
  const unsubscribe = app.live.subscribe((e) => { if (REFRESH_KINDS.test(e.kind)) refresh(); });
  const ticker = setInterval(tick, 1000);
  const poller = setInterval(() => void load(), POLL_MS);
  void load();
  return () => {
    disposed = true;
    unsubscribe();
    clearInterval(ticker);
    clearInterval(poller);
    clearTimeout(typing);
  };
}

/**
 * @param {string} label
 * @param {number} value
 * @param {string} [note]
 * @param {string} [tone]
 */
function tile(label, value, note = '', tone = '') {
  return h('div', { class: `tile ${tone}` }, h('div', { class: 'tile-value' }, String(value)), h('div', { class: 'tile-label' }, label), note ? h('div', { class: 'tile-note' }, note) : null);
}
