/**
 * Watching the fleet: `vigil fleet` (every cluster, its directors, drift and masters),
 * `vigil failovers [--follow]` and `vigil events [--follow]` (the audit log; --follow streams it
 * over Server-Sent Events until interrupted, resuming after a dropped connection).
 */
import { bool, int, str } from './args.ts';
import type { Event, Failover } from './client.ts';
import { makeCtx, run, CONNECTION_HELP, type Ctx, type Io } from './context.ts';
import { EXIT, UsageError } from './errors.ts';
import { ago, cell, json, table } from './output.ts';

export const FLEET_USAGE = `usage: vigil fleet [--site S]

Every cluster: its directors (enrolled, last report, applied vs desired revision), and the master
of each instance by the directors' fresh reports (SPLIT BRAIN when two claim it).
exit code 0 even when something is wrong: read the columns, or -o json.
${CONNECTION_HELP}`;

export const runFleet = (argv: string[], io: Io) => run(io, FLEET_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { site: { value: true } }, 'vigil fleet', io);
  const fleet = await ctx.client().fleet();
  const site = str(ctx.args, 'site');
  const sites = site ? fleet.sites.filter((s) => s.name === site || s.id === site) : fleet.sites;
  if (ctx.format === 'json') {
    io.out(json({ ...fleet, sites }));
    return EXIT.OK;
  }
  const rows: Record<string, string>[] = [];
  for (const s of sites) {
    for (const c of s.clusters) {
      const masters = c.instances.map((i) => `${i.name}=${i.splitBrain ? `SPLIT BRAIN(${i.masters.join('+')})` : i.master ?? 'none'}`).join(' ');
      if (!c.directors.length) rows.push({ site: s.name, cluster: c.name, director: '-', seen: '-', revision: `-/${c.desiredRevision ?? '-'}`, masters });
      c.directors.forEach((d, i) => rows.push({
        site: s.name, cluster: c.name, director: `${d.name}${d.enrolled ? '' : ' (not enrolled)'}`, seen: ago(d.lastSeenAt),
        revision: `${d.appliedRevision ?? '-'}/${c.desiredRevision ?? '-'}${d.drift ? ' DRIFT' : ''}`,
        states: d.instances.map((x) => `${x.name}:${x.state}`).join(' '), masters: i === 0 ? masters : '',
      }));
    }
  }
  io.out(table(rows, [
    { title: 'SITE', value: (r) => r.site }, { title: 'CLUSTER', value: (r) => r.cluster }, { title: 'DIRECTOR', value: (r) => r.director }, { title: 'LAST SEEN', value: (r) => r.seen },
    { title: 'APPLIED/DESIRED', value: (r) => r.revision }, { title: 'STATES', value: (r) => r.states }, { title: 'MASTERS', value: (r) => r.masters },
  ]));
  return EXIT.OK;
});

const FILTERS = { site: { value: true }, cluster: { value: true }, instance: { value: true }, since: { value: true }, limit: { value: true }, follow: { short: 'f' } } as const;

async function clusterFilter(ctx: Ctx): Promise<string | undefined> {
  const ref = str(ctx.args, 'cluster');
  return ref ? (await ctx.client().cluster(ref, str(ctx.args, 'site'))).id : undefined;
}

function since(ctx: Ctx): string | undefined {
  const s = str(ctx.args, 'since');
  if (s === undefined) return undefined;
  const rel = /^(\d{1,6})(s|m|h|d)$/.exec(s);
  if (rel) return new Date(Date.now() - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's']).toISOString();
  if (Number.isNaN(Date.parse(s))) throw new UsageError(`--since ${s}: expected an ISO time (2024-05-01T10:00:00Z) or an age (30s, 10m, 2h, 7d)`);
  return new Date(s).toISOString();
}

const failoverLine = (f: Failover) => `${f.at}  ${f.site}/${f.cluster}  ${f.instance}: ${f.oldMaster ?? '?'} -> ${f.newMaster} (${f.cause}${f.gapMs !== null ? `, gap ${f.gapMs} ms` : ''})`;

export const FAILOVERS_USAGE = `usage: vigil failovers [--site S] [--cluster SITE/CLUSTER] [--instance I] [--since 2h|ISO] [--limit N] [--follow]

Each failover: old master, new master, cause, and the gap between the old master's last advert
(or exit) and the takeover. Newest first; --follow prints each new one as it happens until
interrupted (Ctrl-C).
${CONNECTION_HELP}`;

export const runFailovers = (argv: string[], io: Io) => run(io, FAILOVERS_USAGE, argv, async () => {
  const ctx = makeCtx(argv, FILTERS, 'vigil failovers', io);
  const api = ctx.client();
  const cluster = await clusterFilter(ctx);
  const q = { site: str(ctx.args, 'site'), cluster, instance: str(ctx.args, 'instance'), since: since(ctx), limit: int(ctx.args, 'limit', 'vigil failovers') };
  if (!bool(ctx.args, 'follow')) {
    const list = await api.failovers(q);
    if (ctx.format === 'json') io.out(json(list));
    else io.out(table(list, [
      { title: 'AT', value: (f) => f.at }, { title: 'SITE', value: (f) => f.site }, { title: 'CLUSTER', value: (f) => f.cluster }, { title: 'INSTANCE', value: (f) => f.instance },
      { title: 'FROM', value: (f) => f.oldMaster ?? '?' }, { title: 'TO', value: (f) => f.newMaster }, { title: 'CAUSE', value: (f) => f.cause }, { title: 'GAP MS', value: (f) => f.gapMs ?? '-' },
    ]));
    return EXIT.OK;
  }
  // A failover is completed by the new master's transition to MASTER: follow those and read
  // the paired record (gap, old master) from /v1/failovers.
  const seen = new Set<number>();
  await api.followEvents({ kind: 'vrrp.transition', site: q.site, cluster, instance: q.instance }, (e) => {
    const to = String(e.details?.to ?? '').toUpperCase();
    if (to !== 'MASTER') return;
    void (async () => {
      // A takeover is dated by the earlier of the agent's clock and the receive time.
      const at = Math.min(Date.parse(e.agentTime ?? e.receivedAt) || Infinity, Date.parse(e.receivedAt));
      const around = new Date(at - 1000).toISOString();
      const list = await api.failovers({ cluster: e.clusterId ?? undefined, instance: e.instance ?? undefined, since: around, limit: 20 }).catch(() => []);
      const f = list.find((x) => x.eventId === e.id);
      if (!f || seen.has(f.eventId)) return;
      seen.add(f.eventId);
      io.out(ctx.format === 'json' ? `${JSON.stringify(f)}\n` : `${cell(failoverLine(f))}\n`);
    })();
  }, io.signal);
  return EXIT.OK;
});

const eventLine = (e: Event) => {
  const d = e.details ?? {};
  const what = e.kind === 'vrrp.transition' ? `${String(d.from ?? '?')} -> ${String(d.to ?? '?')} (${String(d.reason ?? '')})` : Object.keys(d).length ? JSON.stringify(d) : '';
  return cell(`${e.receivedAt}  #${e.id}  ${e.kind}  ${e.actor}${e.instance ? `  ${e.instance}` : ''}  ${what}`).slice(0, 400);
};

export const EVENTS_USAGE = `usage: vigil events [--site S] [--cluster SITE/CLUSTER] [--director D] [--instance I] [--kind K] [--since 2h|ISO] [--limit N] [--follow]

The append-only audit log: every VRRP transition, real-server change, config applied or
rejected, and operator action. Newest first (--limit, default 50); --follow streams new events
as they are appended until interrupted (Ctrl-C); -o json prints one JSON object per line then.
${CONNECTION_HELP}`;

export const runEvents = (argv: string[], io: Io) => run(io, EVENTS_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { ...FILTERS, director: { value: true }, kind: { value: true } }, 'vigil events', io);
  const api = ctx.client();
  const cluster = await clusterFilter(ctx);
  const director = str(ctx.args, 'director');
  if (director && !cluster) throw new UsageError('vigil events: --director needs --cluster');
  const q = { site: str(ctx.args, 'site'), cluster, director, instance: str(ctx.args, 'instance'), kind: str(ctx.args, 'kind'), since: since(ctx) };
  if (bool(ctx.args, 'follow')) {
    await api.followEvents(q, (e) => io.out(ctx.format === 'json' ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`), io.signal);
    return EXIT.OK;
  }
  const page = await api.events({ ...q, order: 'desc', limit: int(ctx.args, 'limit', 'vigil events') ?? 50 });
  if (ctx.format === 'json') io.out(json(page));
  else for (const e of page.items) io.out(`${eventLine(e)}\n`);
  return EXIT.OK;
});
