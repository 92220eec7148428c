// @ts-check
/**
 * One cluster: how it runs (GET /v1/clusters/{id}/status: directors with freshness, rollout
 * progress and maintenance; instances with their master; the real servers as each director's
 * checks see them), what it should be (the current spec, drawn as tables, the raw document one
 * click away), and its history (revisions, a diff between any two). Operators get the actions,
 * each behind a confirmation saying what will happen: maintenance on/off, move mastership,
 * roll back to a revision. Viewers see no action controls (the API refuses them anyway).
 */
import { ApiError, get, send, seg } from '../api.js';
import { ago, age, colour, fill, h, when } from '../dom.js';
import { confirmAction } from '../confirm.js';
import { describeEvent } from '../describe.js';
import { coalesce } from '../live.js';

/** @param {unknown} v */
const show = (v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
/** @param {any} vip */
const vipText = (vip) => (typeof vip === 'string' ? vip : `${vip.address}${vip.dev ? ` dev ${vip.dev}` : ''}${vip.label ? ` label ${vip.label}` : ''}`);
/** keepalived's name for a virtual server, as the agents report it ("TCP 192.0.2.100:80"). @param {any} vs */
export const vsName = (vs) => (vs.fwmark !== undefined ? `FWM ${vs.fwmark}` : vs.group !== undefined ? `group ${vs.group}` : `${vs.protocol} ${String(vs.address ?? '').includes(':') ? `[${vs.address}]` : vs.address}:${vs.port ?? 0}`);
/** The spec with secrets masked for display (VRRP auth passwords). @param {unknown} v @returns {unknown} */
function masked(v) {
  if (Array.isArray(v)) return v.map(masked);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'password' ? '••••••' : masked(x)]));
  return v;
}

/** @type {import('../types.js').View} */
export function clusterView(main, app, id) {
  if (!id) {
    main.append(h('h1', null, 'Cluster'), h('p', null, 'No cluster given. ', h('a', { href: '#/fleet' }, 'Pick one on the fleet map.')));
    return;
  }
  const clusterId = id;
  /** @type {any} */
  let status = null;
  /** @type {any} */
  let spec = null;
  /** @type {any[]} */
  let revisions = [];
  let disposed = false;
  let seq = 0;
  let diffFrom = 0;
  let diffTo = 0;

  const title = h('h1', null, 'Cluster');
  const meta = h('p', { class: 'muted' });
  const banners = h('div', { class: 'banners' });
  const dirWrap = h('div', { class: 'table-wrap' });
  const instWrap = h('div', { class: 'table-wrap' });
  const rsWrap = h('div', { class: 'table-wrap' });
  const specWrap = h('div');
  const revWrap = h('div');
  const diffWrap = h('div', { 'aria-live': 'polite' });
  const recentWrap = h('div', { class: 'table-wrap' });
  main.append(title, meta, banners,
    h('h2', null, 'Directors'), dirWrap,
    h('h2', null, 'VRRP instances'), instWrap,
    h('h2', null, 'Real servers'), rsWrap,
    h('h2', { id: 'spec-title' }, 'Spec'), specWrap,
    h('h2', null, 'Revisions'), revWrap, diffWrap,
    h('h2', null, 'Recent events'), recentWrap);

  async function load(withHistory = true) {
    const mine = ++seq;
    try {
      const [st, sp, rv, recent] = await Promise.all([
        get(`v1/clusters/${seg(clusterId)}/status`),
        withHistory ? get(`v1/clusters/${seg(clusterId)}/spec`).catch((e) => { if (e instanceof ApiError && e.status === 404) return null; throw e; }) : Promise.resolve(spec),
        withHistory ? get(`v1/clusters/${seg(clusterId)}/revisions`) : Promise.resolve({ items: revisions }),
        get('v1/events', { cluster: clusterId, order: 'desc', limit: 15 }),
      ]);
      if (disposed || mine !== seq) return;
      status = st;
      spec = sp;
      revisions = rv.items;
      render(recent.items);
    } catch (e) {
      if (disposed) return;
      if (e instanceof ApiError && e.status === 404) {
        fill(main, h('h1', null, 'Cluster not found'), h('p', null, e.message, ' ', h('a', { href: '#/fleet' }, 'Back to the fleet map.')));
        disposed = true;
      } else app.fail(e, 'Loading the cluster');
    }
  }

  /** @param {any[]} recent */
  function render(recent) {
    const st = status;
    const c = st.cluster;
    const operate = app.canOperate(c.site.id);
    document.title = `${c.site.name} / ${c.name} · Vigil`;
    fill(title, h('span', { class: 'muted' }, `${c.site.name} / `), c.name);
    fill(meta, st.desiredRevision === null ? 'No spec yet.' : `Desired revision r${st.desiredRevision}`, c.segment ? ` · segment ${c.segment}` : '', c.description ? ` · ${c.description}` : '');
    fill(banners, st.instances.filter((/** @type {any} */ i) => i.splitBrain).map((/** @type {any} */ i) => h('div', { class: 'banner danger', role: 'alert' },
      h('strong', null, 'Split brain: '), `instance ${i.name}: ${i.masters.join(' and ')} all report MASTER.`)));

    // Directors: freshness, rollout progress, maintenance.
    const masterOf = (/** @type {string} */ name) => st.instances.filter((/** @type {any} */ i) => i.master === name).map((/** @type {any} */ i) => i.name);
    fill(dirWrap, st.directors.length === 0 ? h('p', { class: 'muted' }, 'No directors yet.') : h('table', { class: 'directors' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Director'), h('th', { scope: 'col' }, 'Last report'), h('th', { scope: 'col' }, 'Rollout'), h('th', { scope: 'col' }, 'Instances'), h('th', { scope: 'col' }, 'Maintenance'), operate ? h('th', { scope: 'col' }, 'Actions') : null)),
      h('tbody', null, st.directors.map((/** @type {any} */ d) => h('tr', { 'data-director': d.name },
        h('th', { scope: 'row' }, h('span', { class: `swatch ${colour(d.name)}`, 'aria-hidden': 'true' }), d.name),
        h('td', { class: d.fresh ? '' : 'state stale' }, d.lastSeenAt ? [d.fresh ? 'fresh · ' : 'STALE · ', h('time', { datetime: d.lastSeenAt, title: when(d.lastSeenAt) }, `${age(d.ageMs)} ago`)] : d.enrolled ? 'never reported' : 'not enrolled'),
        h('td', { class: `rollout ${d.rollout.status}` }, rolloutText(d, st.desiredRevision)),
        h('td', null, d.instances.length ? d.instances.map((/** @type {any} */ i) => h('div', null, `${i.name} `, h('span', { class: `state ${d.fresh ? i.state : 'stale'}` }, d.fresh ? i.state : `${i.state} (stale)`), ` ${i.priority ?? '?'}/${i.basePriority ?? '?'}`)) : h('span', { class: 'muted' }, '–')),
        h('td', null, d.maintenance ? h('span', { class: 'badge maint' }, 'in maintenance') : 'no'),
        operate ? h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small', 'data-action': 'maintenance', on: { click: () => void maintenance(d.name, !d.maintenance, masterOf(d.name)) } }, d.maintenance ? `End maintenance of ${d.name}` : `Maintenance for ${d.name}…`)) : null)))));

    // Instances: VIPs, master, per-director priorities; move mastership.
    const specInstances = /** @type {Record<string, any>} */ (spec?.spec?.vrrpInstances ?? {});
    const names = [...new Set([...Object.keys(specInstances), ...st.instances.map((/** @type {any} */ i) => i.name)])].sort();
    fill(instWrap, names.length === 0 ? h('p', { class: 'muted' }, 'No VRRP instance.') : h('table', { class: 'instances' },
      h('thead', null, h('tr', null, ['Instance', 'Virtual IPs', 'Master', 'Since', 'Preferred master'].map((t) => h('th', { scope: 'col' }, t)), operate ? h('th', { scope: 'col' }, 'Move mastership') : null)),
      h('tbody', null, names.map((name) => {
        const live = st.instances.find((/** @type {any} */ i) => i.name === name);
        const conf = specInstances[name];
        const members = conf ? (conf.members ?? Object.keys(spec?.spec?.directors ?? {})) : [];
        const vips = conf ? conf.virtualIpAddresses.map(vipText) : [];
        /** @type {HTMLSelectElement} */
        const pick = h('select', { id: `move-${name}`, 'aria-label': `New master of ${name}` }, members.map((/** @type {string} */ m) => h('option', { value: m, selected: m !== live?.master }, m)));
        return h('tr', { 'data-instance': name },
          h('th', { scope: 'row' }, name),
          h('td', { class: 'mono' }, vips.join(', ') || '–'),
          h('td', { class: live?.splitBrain ? 'master-cell split' : live?.master ? 'master-cell master' : 'master-cell none' },
            live?.splitBrain ? `split brain: ${live.masters.join(' + ')}` : live?.master ? h('span', { class: 'director-name' }, live.master) : 'no fresh master',
            live?.staleMasters?.length ? h('div', { class: 'stale-claim' }, `${live.staleMasters.join(', ')}: stale MASTER report`) : null,
            live?.supersededMasters?.length ? h('div', { class: 'stale-claim' }, `${live.supersededMasters.join(', ')}: said MASTER before ${live.master ?? 'another director'} took over`) : null),
          h('td', null, live?.since ? ago(live.since) : '–'),
          h('td', null, live?.preferredMaster ?? h('span', { class: 'muted' }, 'spec priorities')),
          operate && conf ? h('td', { class: 'actions' }, pick,
            h('button', { type: 'button', class: 'small', 'data-action': 'move-master', on: { click: () => void moveMaster(name, pick.value, live?.master ?? null) } }, 'Move…'),
            live?.preferredMaster ? h('button', { type: 'button', class: 'small', 'data-action': 'clear-master', on: { click: () => void moveMaster(name, null, live?.master ?? null) } }, 'Back to spec priorities…') : null) : operate ? h('td', null) : null);
      }))));

    renderRealServers();
    renderSpec(operate);
    renderRevisions(operate);
    fill(recentWrap, recent.length === 0 ? h('p', { class: 'muted' }, 'None yet.') : h('table', null,
      h('thead', null, h('tr', null, ['When', 'What', 'Who'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, recent.map((/** @type {any} */ e) => h('tr', { 'data-kind': e.kind },
        h('td', null, h('time', { datetime: e.receivedAt }, when(e.agentTime && e.agentTime < e.receivedAt ? e.agentTime : e.receivedAt))),
        h('td', null, describeEvent(e)),
        h('td', null, e.actor))))),
      h('p', null, h('a', { href: `#/audit?cluster=${encodeURIComponent(clusterId)}&site=${encodeURIComponent(status.cluster.site.name)}` }, 'All events of this cluster in the audit log')));
  }

  /** @param {any} d @param {number | null} desired */
  function rolloutText(d, desired) {
    switch (d.rollout.status) {
      case 'unenrolled': return 'not enrolled';
      case 'unreported': return 'enrolled, never reported';
      case 'rejected': return [h('span', { class: 'badge rejected' }, `rejected r${d.rollout.revision}`), ` ${d.rollout.reason}`, d.appliedRevision ? ` (runs r${d.appliedRevision})` : ''];
      case 'behind': return [h('span', { class: 'badge drift' }, `r${d.appliedRevision ?? '–'} → r${desired}`), ' pending'];
      default: return [`r${d.appliedRevision} `, h('span', { class: 'muted' }, 'current'), d.rollout.at ? h('span', { class: 'muted' }, ` · applied ${when(d.rollout.at)}`) : ''];
    }
  }

  function renderRealServers() {
    const st = status;
    const vss = /** @type {any[]} */ (spec?.spec?.virtualServers ?? []);
    if (st.realServers.length === 0 && vss.length === 0) {
      fill(rsWrap, h('p', { class: 'muted' }, 'This cluster balances no virtual server.'));
      return;
    }
    const rows = [...st.realServers].sort((/** @type {any} */ a, /** @type {any} */ b) => a.virtualServer.localeCompare(b.virtualServer) || `${a.address}:${a.port}`.localeCompare(`${b.address}:${b.port}`) || a.director.localeCompare(b.director));
    fill(rsWrap,
      h('table', { class: 'realservers' },
        h('caption', null, 'As each director\'s health checks see them (stale directors greyed).'),
        h('thead', null, h('tr', null, ['Virtual server', 'Real server', 'Director', 'State', 'Weight', 'Last check', 'Since'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows.length === 0 ? h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No director has reported its real servers yet.')) : rows.map((/** @type {any} */ r) => h('tr', { class: r.fresh ? '' : 'state stale', 'data-realserver': `${r.address}:${r.port}` },
          h('td', { class: 'mono' }, r.virtualServer),
          h('td', { class: 'mono' }, `${r.address}:${r.port}`),
          h('td', null, r.director, r.fresh ? '' : ' (stale)'),
          h('td', { class: r.up ? 'rs-up' : 'rs-down' }, r.drained ? 'drained' : r.up ? 'up' : 'down'),
          h('td', { class: 'num' }, String(r.weight)),
          h('td', null, r.reason || (r.up ? 'passing' : '')),
          h('td', null, r.since ? ago(r.since) : '–'))))),
      vss.length ? h('table', { class: 'quorum' },
        h('caption', null, 'Quorum and sorry server per virtual server'),
        h('thead', null, h('tr', null, ['Virtual server', 'Quorum', 'Up now (per director)', 'Sorry server'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, vss.map((vs) => {
          const name = vsName(vs);
          const perDirector = st.directors.map((/** @type {any} */ d) => {
            const mine = st.realServers.filter((/** @type {any} */ r) => r.director === d.name && r.virtualServer === name);
            if (mine.length === 0) return null;
            const up = mine.filter((/** @type {any} */ r) => r.up && !r.drained).reduce((/** @type {number} */ n, /** @type {any} */ r) => n + (r.weight || 0), 0);
            const q = st.quorum.find((/** @type {any} */ x) => x.director === d.name && x.virtualServer === name);
            const lost = q ? !q.up : up < vs.quorum;
            return h('div', null, `${d.name}: weight ${up} up, quorum ${lost ? 'LOST' : 'held'}`, q ? [' since ', ago(q.since)] : '', lost && vs.sorryServer ? ' · sorry server in use' : '');
          });
          return h('tr', null,
            h('td', { class: 'mono' }, name),
            h('td', { class: 'num' }, `${vs.quorum}${vs.hysteresis ? ` ±${vs.hysteresis}` : ''}`),
            h('td', null, perDirector.filter(Boolean).length ? perDirector : h('span', { class: 'muted' }, 'not reported')),
            h('td', { class: 'mono' }, vs.sorryServer ? `${vs.sorryServer.address}:${vs.sorryServer.port ?? vs.port ?? ''}${vs.sorryServer.inhibit ? ' (inhibit)' : ''}` : '–'));
        }))) : null);
  }

  /** @param {boolean} _operate */
  function renderSpec(_operate) {
    if (!spec) {
      fill(specWrap, h('p', { class: 'muted' }, 'No spec revision yet: PUT one to /v1/clusters/{id}/spec (or import a keepalived.conf).'));
      return;
    }
    const sp = spec.spec;
    const insts = Object.entries(/** @type {Record<string, any>} */ (sp.vrrpInstances ?? {}));
    const directors = Object.entries(/** @type {Record<string, any>} */ (sp.directors ?? {}));
    fill(specWrap,
      h('p', { class: 'muted' }, `Revision r${spec.number}, by ${spec.createdBy}, ${when(spec.createdAt)}${spec.message ? ` — ${spec.message}` : ''}`),
      h('table', { class: 'spec-instances', 'aria-label': 'VRRP instances in the spec' },
        h('thead', null, h('tr', null, ['Instance', 'Interface', 'VRID', 'Version', 'Advert', 'Virtual IPs', 'Priorities', 'Preempt', 'Tracking'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, insts.map(([name, i]) => h('tr', null,
          h('th', { scope: 'row' }, name),
          h('td', null, i.interface ?? '–'),
          h('td', { class: 'num' }, String(i.virtualRouterId)),
          h('td', null, i.version ? `v${i.version}` : `v${sp.global?.vrrpVersion ?? 2} (global)`),
          h('td', null, `${i.advertIntervalMs} ms`),
          h('td', { class: 'mono' }, (i.virtualIpAddresses ?? []).map(vipText).join(', ')),
          h('td', null, Object.entries(i.directors ?? {}).map(([d, o]) => h('div', null, `${d}: ${/** @type {any} */ (o).priority ?? i.priority}${/** @type {any} */ (o).state ? ` (${/** @type {any} */ (o).state})` : ''}`)), Object.keys(i.directors ?? {}).length ? null : `all ${i.priority}`),
          h('td', null, i.nopreempt ? 'nopreempt' : i.preemptDelayMs ? `after ${i.preemptDelayMs} ms` : 'yes'),
          h('td', null, [...(i.trackScripts ?? []).map((/** @type {any} */ t) => `script ${t.name}`), ...(i.trackInterfaces ?? []).map((/** @type {any} */ t) => `interface ${t.interface}`), ...(i.trackFiles ?? []).map((/** @type {any} */ t) => `file ${t.name}`), ...(i.trackProcesses ?? []).map((/** @type {any} */ t) => `process ${t.name}`)].join(', ') || '–'))))),
      (sp.virtualServers ?? []).length ? h('table', { class: 'spec-vs', 'aria-label': 'Virtual servers in the spec' },
        h('thead', null, h('tr', null, ['Virtual server', 'Scheduler', 'Method', 'Persistence', 'Quorum', 'Sorry server', 'Real servers'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, sp.virtualServers.map((/** @type {any} */ vs) => h('tr', null,
          h('th', { scope: 'row', class: 'mono' }, vsName(vs)),
          h('td', null, vs.scheduler),
          h('td', null, vs.method),
          h('td', null, vs.persistenceTimeoutMs ? `${vs.persistenceTimeoutMs / 1000} s` : '–'),
          h('td', { class: 'num' }, String(vs.quorum)),
          h('td', { class: 'mono' }, vs.sorryServer ? `${vs.sorryServer.address}:${vs.sorryServer.port ?? vs.port ?? ''}` : '–'),
          h('td', null, (vs.realServers ?? []).map((/** @type {any} */ r) => h('div', { class: 'mono' }, `${r.address}:${r.port ?? vs.port ?? ''} weight ${r.weight}`, (r.checkers ?? []).length ? ` · ${r.checkers.map((/** @type {any} */ k) => k.type).join(', ')}` : ''))))))) : null,
      directors.length ? h('p', null, 'Directors: ', directors.map(([d, o], n) => [n ? ', ' : '', h('strong', null, d), Object.keys(o).length ? ` (${Object.entries(o).map(([k, v]) => `${k} ${show(v)}`).join(', ')})` : ''])) : null,
      h('details', null, h('summary', null, 'The spec document (JSON, passwords masked)'), h('pre', { class: 'raw' }, JSON.stringify(masked(sp), null, 2))));
  }

  /** @param {boolean} operate */
  function renderRevisions(operate) {
    if (revisions.length === 0) {
      fill(revWrap, h('p', { class: 'muted' }, 'No revision yet.'));
      return;
    }
    const current = status.desiredRevision;
    if (!diffTo || !revisions.some((r) => r.number === diffTo)) diffTo = current ?? revisions[0].number;
    if (!diffFrom || !revisions.some((r) => r.number === diffFrom)) diffFrom = revisions.find((r) => r.number < diffTo)?.number ?? diffTo;
    const options = (/** @type {number} */ sel) => revisions.map((r) => h('option', { value: String(r.number), selected: r.number === sel }, `r${r.number}`));
    /** @type {HTMLSelectElement} */
    const fromSel = h('select', { id: 'diff-from' }, options(diffFrom));
    /** @type {HTMLSelectElement} */
    const toSel = h('select', { id: 'diff-to' }, options(diffTo));
    fill(revWrap,
      h('table', { class: 'revisions' },
        h('thead', null, h('tr', null, ['Revision', 'When', 'By', 'Message'].map((t) => h('th', { scope: 'col' }, t)), operate ? h('th', { scope: 'col' }, 'Action') : null)),
        h('tbody', null, revisions.map((r) => h('tr', { 'data-revision': String(r.number) },
          h('th', { scope: 'row' }, `r${r.number}`, r.number === current ? h('span', { class: 'badge' }, 'desired') : null),
          h('td', null, when(r.createdAt)),
          h('td', null, r.createdBy),
          h('td', null, r.message, r.rollbackOf ? h('span', { class: 'muted' }, ` (rollback to r${r.rollbackOf})`) : ''),
          operate ? h('td', null, r.number === current ? '' : h('button', { type: 'button', class: 'small', 'data-action': 'rollback', on: { click: () => void rollback(r.number) } }, `Roll back to r${r.number}…`)) : null)))),
      h('form', { class: 'filters', 'aria-label': 'Compare revisions', on: { submit: (/** @type {Event} */ e) => { e.preventDefault(); diffFrom = Number(fromSel.value); diffTo = Number(toSel.value); void showDiff(); } } },
        h('label', { for: 'diff-from' }, 'From', fromSel), h('label', { for: 'diff-to' }, 'To', toSel), h('button', { type: 'submit' }, 'Show changes')));
  }

  async function showDiff() {
    try {
      const d = await get(`v1/clusters/${seg(clusterId)}/revisions/diff`, { from: diffFrom, to: diffTo });
      fill(diffWrap, h('table', { class: 'diff' },
        h('caption', null, `Changes from r${d.from} to r${d.to}: ${d.changes.length}`),
        h('thead', null, h('tr', null, ['', 'Path', 'From', 'To'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, d.changes.length === 0 ? h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'The two revisions are the same.')) : d.changes.map((/** @type {any} */ x) => h('tr', { class: `diff-${x.op}` },
          h('td', { class: 'op' }, x.op === 'add' ? 'added' : x.op === 'remove' ? 'removed' : 'changed'),
          h('td', { class: 'mono' }, x.path.join('.')),
          h('td', { class: 'mono' }, show(masked(x.from))),
          h('td', { class: 'mono' }, show(masked(x.to))))))));
    } catch (e) {
      app.fail(e, 'Comparing revisions');
    }
  }

  /**
   * @param {string} director
   * @param {boolean} on
   * @param {string[]} masterOf
   */
  async function maintenance(director, on, masterOf) {
    const c = status.cluster;
    const peers = status.directors.filter((/** @type {any} */ d) => d.name !== director && d.fresh && !d.maintenance).map((/** @type {any} */ d) => d.name);
    const ok = await confirmAction(on
      ? {
        title: `Put ${director} in maintenance?`,
        body: [
          `${director} leaves every VRRP instance of ${c.site.name} / ${c.name} gracefully (a priority-0 advert, its virtual IPs removed) and stays out until maintenance ends.`,
          masterOf.length ? `It is MASTER of ${masterOf.join(', ')} now: ${peers.length ? `${peers.join(' or ')} takes over` : 'no other fresh director can take over: those virtual IPs will have no holder'}.` : 'It is master of nothing now: no virtual IP moves.',
          `Recorded in the audit log as token:${app.session.name}.`,
        ],
        confirm: `Put ${director} in maintenance`,
        danger: masterOf.length > 0 && peers.length === 0,
      }
      : {
        title: `End maintenance of ${director}?`,
        body: [`${director} rejoins every VRRP instance with the spec's priorities; where it has the highest priority (and preempts), it takes mastership back.`, `Recorded in the audit log as token:${app.session.name}.`],
        confirm: `End maintenance of ${director}`,
      });
    if (!ok) return;
    try {
      const r = await send('PUT', `v1/clusters/${seg(clusterId)}/directors/${seg(director)}/maintenance`, { on });
      app.notify(`Recorded: maintenance ${on ? 'on' : 'off'} for ${director} (audit event #${r.eventId}). The director applies it on its next config fetch.`);
      void load(false);
    } catch (e) {
      app.fail(e, `Maintenance for ${director}`);
    }
  }

  /**
   * @param {string} instance
   * @param {string | null} to
   * @param {string | null} current
   */
  async function moveMaster(instance, to, current) {
    const ok = await confirmAction(to
      ? {
        title: `Move mastership of ${instance} to ${to}?`,
        body: [
          `${to} runs ${instance} at priority 254 and preempts${current && current !== to ? ` ${current}` : ''}: the virtual IPs of ${instance} move to ${to}.`,
          `It stays the preferred master until you return ${instance} to the spec's priorities.`,
          `Recorded in the audit log as token:${app.session.name}.`,
        ],
        confirm: `Move ${instance} to ${to}`,
      }
      : {
        title: `Return ${instance} to the spec's priorities?`,
        body: [`The preferred master of ${instance} is cleared; the director with the highest configured priority becomes master (if it preempts).`, `Recorded in the audit log as token:${app.session.name}.`],
        confirm: 'Return to spec priorities',
      });
    if (!ok) return;
    try {
      const r = await send('PUT', `v1/clusters/${seg(clusterId)}/instances/${seg(instance)}/master`, { director: to });
      app.notify(`Recorded: ${to ? `${instance} moves to ${to}` : `${instance} back to the spec's priorities`} (audit event #${r.eventId}).`);
      void load(false);
    } catch (e) {
      app.fail(e, `Moving ${instance}`);
    }
  }

  /** @param {number} revision */
  async function rollback(revision) {
    const c = status.cluster;
    let changes = '';
    try {
      const d = await get(`v1/clusters/${seg(clusterId)}/revisions/diff`, { from: status.desiredRevision, to: revision });
      changes = d.changes.length === 0 ? 'It is identical to the desired spec.' : `It changes ${d.changes.length} setting${d.changes.length === 1 ? '' : 's'} of the desired spec: ${d.changes.slice(0, 4).map((/** @type {any} */ x) => x.path.join('.')).join(', ')}${d.changes.length > 4 ? ', …' : ''}.`;
    } catch {
      changes = '';
    }
    const ok = await confirmAction({
      title: `Roll ${c.site.name} / ${c.name} back to r${revision}?`,
      body: [
        `The spec of revision r${revision} is stored as a new revision (validated against the site as it is now) and rolled out to every director of the cluster: backups first, the master last; changes peers must agree on (VRID, advert interval, addresses) switch on every director at one instant.`,
        changes,
        `Recorded in the audit log as token:${app.session.name}.`,
      ].filter(Boolean),
      confirm: `Roll back to r${revision}`,
      danger: true,
    });
    if (!ok) return;
    try {
      const r = await send('POST', `v1/clusters/${seg(clusterId)}/rollback`, { revision });
      app.notify(`Rolled back: r${r.revision.number} is the spec of r${revision}.`);
      void load(true);
    } catch (e) {
      app.fail(e, `Rolling back to r${revision}`);
    }
  }

  const refresh = coalesce(() => void load(true), 150);
  const unsubscribe = app.live.subscribe((e) => { if (e.clusterId === clusterId) refresh(); });
  const poller = setInterval(() => void load(false), 5000);
  void load(true);
  return () => {
    disposed = true;
    unsubscribe();
    clearInterval(poller);
  };
}
