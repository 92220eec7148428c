// @ts-check
/**
 * The failover timeline (GET /v1/timeline): per instance, who held it (a bar per holder, in the
 * director's colour), outages (red: nobody held it), what is unknown (grey), each takeover, and
 * on the same axis the spec revisions, operator actions, rejected configs and split brains, so
 * "what changed just before this failover" is one look. The tables under the chart say the same
 * in words. The window ends now and follows the clock; new events refetch at once.
 */
import { get, seg } from '../api.js';
import { colour, duration, fill, h, s, when } from '../dom.js';
import { CAUSES, describeEvent, markerClass } from '../describe.js';
import { coalesce } from '../live.js';

/**
 * Who held it before and after: "lb1 → lb2", or for the same director after an interval with no
 * holder (it left and came back, or restarted) "lb1 again, after an outage".
 * @param {{ kind?: string, oldMaster: string, newMaster: string }} f
 */
const fromTo = (f) => (f.kind === 'outage' ? `${f.newMaster} again, after an outage` : `${f.oldMaster} → ${f.newMaster}`);

const WINDOWS = /** @type {Record<string, number>} */ ({ '5m': 5 * 60_000, '15m': 15 * 60_000, '1h': 3600_000, '6h': 6 * 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000 });
const WINDOW_TEXT = /** @type {Record<string, string>} */ ({ '5m': 'last 5 minutes', '15m': 'last 15 minutes', '1h': 'last hour', '6h': 'last 6 hours', '24h': 'last 24 hours', '7d': 'last 7 days' });
const TICKS = [10_000, 30_000, 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000, 30 * 60_000, 3600_000, 3 * 3600_000, 6 * 3600_000, 12 * 3600_000, 24 * 3600_000];
const LABEL_W = 240;
const LANE_H = 26;
const TOP = 40;

/** @param {string} text @param {HTMLElement} control */
const labelled = (text, control) => h('label', { for: control.id }, text, ' ', control);

/** @type {import('../types.js').View} */
export function timelineView(main, app) {
  let site = app.params.get('site') ?? '';
  let cluster = app.params.get('cluster') ?? '';
  let win = WINDOWS[app.params.get('window') ?? ''] ? /** @type {string} */ (app.params.get('window')) : '1h';
  /** @type {any} */
  let data = null;
  let disposed = false;
  let seq = 0;

  /** @type {HTMLSelectElement} */
  const siteSel = h('select', { id: 'tl-site' }, h('option', { value: '' }, 'All sites'));
  /** @type {HTMLSelectElement} */
  const clusterSel = h('select', { id: 'tl-cluster' }, h('option', { value: '' }, 'All clusters'));
  /** @type {HTMLSelectElement} */
  const winSel = h('select', { id: 'tl-window' }, Object.keys(WINDOWS).map((k) => h('option', { value: k, selected: k === win }, WINDOW_TEXT[k] ?? k)));
  const figure = h('figure', { class: 'timeline' });
  const failoverWrap = h('div', { class: 'table-wrap' });
  const changesWrap = h('div', { class: 'table-wrap' });
  const truncated = h('p', { class: 'muted' });
  main.append(
    h('h1', null, 'Failover timeline'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Timeline scope', on: { submit: (/** @type {Event} */ e) => e.preventDefault() } },
      labelled('Site', siteSel), labelled('Cluster', clusterSel), labelled('Window', winSel)),
    figure, truncated,
    h('h2', { id: 'failovers-title' }, 'Failovers'), failoverWrap,
    h('h2', { id: 'changes-title' }, 'Changes and operator actions'), changesWrap);

  siteSel.addEventListener('change', () => { site = siteSel.value; cluster = ''; app.setParams({ site, cluster: null }); void loadClusters(); void load(); });
  clusterSel.addEventListener('change', () => { cluster = clusterSel.value; app.setParams({ cluster }); void load(); });
  winSel.addEventListener('change', () => { win = winSel.value; app.setParams({ window: win === '1h' ? null : win }); void load(); });

  async function loadSites() {
    try {
      const r = await get('v1/sites');
      fill(siteSel, h('option', { value: '' }, 'All sites'), r.items.map((/** @type {any} */ x) => h('option', { value: x.name, selected: x.name === site }, x.name)));
    } catch (e) {
      app.fail(e, 'Loading the sites');
    }
  }
  async function loadClusters() {
    fill(clusterSel, h('option', { value: '' }, 'All clusters'));
    if (!site) return;
    try {
      const r = await get(`v1/sites/${seg(site)}/clusters`);
      fill(clusterSel, h('option', { value: '' }, 'All clusters'), r.items.map((/** @type {any} */ x) => h('option', { value: x.id, selected: x.id === cluster }, x.name)));
    } catch (e) {
      app.fail(e, 'Loading the clusters');
    }
  }

  async function load() {
    const mine = ++seq;
    try {
      const until = Date.now();
      const d = await get('v1/timeline', { site, cluster, since: new Date(until - (WINDOWS[win] ?? 3600_000)).toISOString(), until: new Date(until).toISOString(), lanes: 100 });
      if (disposed || mine !== seq) return;
      data = d;
      render();
    } catch (e) {
      if (!disposed) app.fail(e, 'Loading the timeline');
    }
  }

  function render() {
    const d = data;
    const since = Date.parse(d.since);
    const until = Date.parse(d.until);
    const width = Math.max(720, figure.clientWidth - 18);
    const plotW = width - LABEL_W - 12;
    const x = (/** @type {number} */ t) => LABEL_W + ((t - since) / (until - since)) * plotW;
    const lanes = /** @type {any[]} */ (d.lanes);
    const height = TOP + Math.max(1, lanes.length) * LANE_H + 8;
    const step = TICKS.find((t) => (until - since) / t <= 8) ?? 24 * 3600_000;
    const ticks = [];
    for (let t = Math.ceil(since / step) * step; t <= until; t += step) ticks.push(t);
    const hhmm = (/** @type {number} */ t) => { const w = when(t); return step >= 24 * 3600_000 ? w.slice(5, 10) : step < 60_000 ? w.slice(11, 19) : w.slice(11, 16); };
    const laneY = new Map(lanes.map((l, i) => [`${l.clusterId}/${l.instance}`, TOP + i * LANE_H]));

    const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'tl-svg-title' },
      s('title', { id: 'tl-svg-title' }, `Who held each instance from ${when(since)} to ${when(until)}: ${lanes.length} instances, ${d.failovers.length} failovers, ${d.markers.length} changes. The tables below list them.`),
      s('g', { class: 'axis' }, ticks.map((t) => s('g', null,
        s('line', { x1: x(t), x2: x(t), y1: 14, y2: height - 4 }),
        x(t) + 40 < width ? s('text', { x: x(t) + 3, y: 11 }, hhmm(t)) : null))),
      lanes.length === 0 ? s('text', { x: LABEL_W, y: TOP + 16 }, 'No VRRP transition in this window or before it.') : null,
      lanes.map((l) => {
        const y = /** @type {number} */ (laneY.get(`${l.clusterId}/${l.instance}`));
        const name = `${l.site}/${l.cluster} ${l.instance}`;
        return s('g', { class: 'lane', 'data-lane': `${l.cluster}/${l.instance}` },
          s('rect', { class: 'lane-bg', x: LABEL_W, y: y + 2, width: plotW, height: LANE_H - 4 }),
          s('text', { x: 4, y: y + LANE_H / 2 + 4 }, name.length > 34 ? `${name.slice(0, 33)}…` : name, s('title', null, name)),
          l.segments.map((/** @type {any} */ g) => {
            const a = x(Date.parse(g.from));
            const b = x(Date.parse(g.to));
            const w = Math.max(g.kind === 'outage' || g.kind === 'split' ? 3 : 1, b - a);
            const span = `${when(g.from)} to ${when(g.to)} (${duration(Date.parse(g.to) - Date.parse(g.from))})`;
            const title = g.kind === 'held' ? `${g.holder} was MASTER of ${l.instance}, ${span}`
              : g.kind === 'outage' ? `Outage: no master of ${l.instance}, ${span}`
                : g.kind === 'split' ? `Split brain: ${g.holder} all MASTER of ${l.instance}, ${span}` : `Unknown: no fresh report about ${l.instance}, ${span}`;
            return s('g', { class: `seg seg-${g.kind}`, 'data-holder': g.holder ?? '' },
              s('rect', { class: g.kind === 'held' ? colour(g.holder) : `seg-${g.kind}`, x: a, y: y + 4, width: w, height: LANE_H - 8, rx: 2 }, s('title', null, title)),
              (g.kind === 'held' || g.kind === 'split') && w > 36 ? s('text', { class: 'seg-label', x: a + 4, y: y + LANE_H / 2 + 4 }, g.kind === 'split' ? `split: ${g.holder}` : g.holder) : null);
          }),
          l.failovers.map((/** @type {any} */ f) => s('path', { class: 'takeover', d: `M${x(Date.parse(f.at)) - 5},${y} l5,6 l5,-6 z` },
            s('title', null, `${f.kind === 'outage' ? 'Outage ended' : 'Failover'} at ${when(f.at)}: ${fromTo(f)}, ${CAUSES[f.cause] ?? f.cause}, gap ${duration(f.gapMs)}`))));
      }),
      d.markers.map((/** @type {any} */ m) => {
        const mx = x(Date.parse(m.at));
        const ys = lanes.filter((l) => l.clusterId === m.clusterId && (!m.instance || m.kind.startsWith('spec.') || l.instance === m.instance)).map((l) => /** @type {number} */ (laneY.get(`${l.clusterId}/${l.instance}`)));
        // From the marker row down through the lanes it concerns (all of them for a site-wide change).
        const y2 = ys.length ? Math.max(...ys) + LANE_H : height - 4;
        return s('g', { class: `marker ${markerClass(m.kind)}`, 'data-kind': m.kind },
          s('line', { x1: mx, x2: mx, y1: 28, y2 }),
          s('path', { d: `M${mx - 5},${TOP - 14} l5,8 l5,-8 z` }, s('title', null, `${when(m.at)} ${m.site ?? ''}/${m.cluster ?? ''}: ${describeEvent(m)} (by ${m.actor})`)));
      }),
      s('g', { class: 'now' }, s('line', { x1: x(until), x2: x(until), y1: 14, y2: height - 4 })));
    fill(figure, svg, h('figcaption', { class: 'legend' },
      h('span', null, 'Bars: the MASTER, in its colour'),
      h('span', null, h('span', { class: 'key outage' }), 'outage (no master)'),
      h('span', null, h('span', { class: 'key split' }), 'split brain (several masters)'),
      h('span', null, h('span', { class: 'key unknown' }), 'unknown'),
      h('span', null, '▼ failover'),
      h('span', null, h('span', { class: 'key spec' }), 'spec revision'),
      h('span', null, h('span', { class: 'key action' }), 'operator action'),
      h('span', null, h('span', { class: 'key problem' }), 'rejected config / split brain')));
    truncated.textContent = d.truncated.lanes ? `${d.truncated.lanes} more instances not drawn: narrow the scope to a site or cluster.` : d.truncated.transitions ? 'Too many transitions in this window: only the first 50,000 are used. Narrow the window.' : '';

    fill(failoverWrap, d.failovers.length === 0 ? h('p', { class: 'muted' }, 'No failover in this window.') : h('table', { class: 'failovers', 'aria-labelledby': 'failovers-title' },
      h('thead', null, h('tr', null, ['When', 'Site / cluster', 'Instance', 'From → to', 'Cause', 'Gap (no master)'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, d.failovers.map((/** @type {any} */ f) => h('tr', { 'data-kind': f.kind, 'data-event-id': String(f.eventId), 'data-old-master': f.oldMaster, 'data-new-master': f.newMaster, 'data-cause': f.cause },
        h('td', null, h('time', { datetime: f.at }, when(f.at))),
        h('td', null, h('a', { href: `#/clusters/${encodeURIComponent(f.clusterId)}` }, `${f.site} / ${f.cluster}`)),
        h('td', null, f.instance),
        h('td', null, fromTo(f)),
        h('td', { title: `agent reason: ${f.reason}` }, CAUSES[f.cause] ?? f.cause),
        h('td', { class: 'num' }, duration(f.gapMs)))))));

    const changes = [...d.markers].sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id);
    fill(changesWrap, changes.length === 0 ? h('p', { class: 'muted' }, 'No spec change or operator action in this window.') : h('table', { class: 'changes', 'aria-labelledby': 'changes-title' },
      h('thead', null, h('tr', null, ['When', 'What', 'Who', 'Where'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, changes.map((/** @type {any} */ m) => h('tr', { 'data-kind': m.kind },
        h('td', null, h('time', { datetime: m.at }, when(m.at))),
        h('td', null, describeEvent(m)),
        h('td', null, m.actor),
        h('td', null, m.clusterId ? h('a', { href: `#/clusters/${encodeURIComponent(m.clusterId)}` }, `${m.site ?? ''} / ${m.cluster ?? ''}`) : (m.site ?? '')))))));
  }

  const refresh = coalesce(() => void load(), 100);
  const unsubscribe = app.live.subscribe((e) => { if (/^(vrrp\.|spec\.|director\.maintenance|instance\.move_master|config\.rejected)/.test(e.kind)) refresh(); });
  // The window ends now: slide it along.
  const slide = setInterval(() => void load(), 10_000);
  const onResize = coalesce(() => { if (data) render(); }, 200);
  window.addEventListener('resize', onResize);
  void loadSites();
  void loadClusters();
  void load();
  return () => {
    disposed = true;
    unsubscribe();
    clearInterval(slide);
    window.removeEventListener('resize', onResize);
  };
}
