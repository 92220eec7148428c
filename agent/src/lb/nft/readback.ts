/**
 * `nft -j list table inet vigil_lb` -> what Vigil's table holds, checked against the layout
 * render.ts produced, and turned into the same {@link ActualTable} the IPVS read-back gives
 * (so `vigil status` and metrics do not care which data plane runs). Pure.
 *
 * Counters: the DNAT rule of each destination counts the first packet of every flow it sent
 * there (nat chains see only a flow's first packet), so `stats.conns` is connections scheduled
 * since the last replace; byte/packet rates and active/inactive connection counts are not known
 * to nftables and read 0. `persistentConns` is the number of clients in the destination's
 * persistence set (IPVS: persistence templates).
 */
import { parseIp } from '#schema';
import { destinationId, type ActualDestination, type ActualTable, type LbStats, type VirtualServerTable } from '../model.ts';
import { FINGERPRINT_PREFIX, type NftExisting, type NftLayout } from './render.ts';

export interface NftDnat {
  family: 'ip' | 'ip6';
  addr: string;
  port?: number;
}

export interface NftRuleInfo {
  comment?: string;
  /** Packets of the rule's counter, if it has one. */
  packets?: number;
  dnat?: NftDnat;
}

export interface NftReadback {
  /** From the prerouting rule comment; undefined when the table has none (not Vigil's render). */
  fingerprint?: string;
  /** Packets through nat prerouting since the replace (new flows seen by the director). */
  flowsSeen: number;
  rules: Map<string, NftRuleInfo[]>;
  chains: Set<string>;
  /** Set name -> elements (key, seconds until expiry). */
  sets: Map<string, { key: string; expiresSec: number }[]>;
  /** Named maps (Vigil makes none; someone else's would be removed by the next rewrite). */
  maps: Set<string>;
}

type Json = Record<string, unknown>;

/** Parses nft's JSON listing of one table. Throws on text that is not nft JSON. */
export function parseNftJson(text: string): NftReadback {
  const doc = JSON.parse(text) as { nftables?: Json[] };
  if (!Array.isArray(doc.nftables)) throw new Error('nft JSON: no "nftables" array');
  const out: NftReadback = { flowsSeen: 0, rules: new Map(), chains: new Set(), sets: new Map(), maps: new Set() };
  for (const item of doc.nftables) {
    if (item.chain) out.chains.add(String((item.chain as Json).name));
    if (item.map) out.maps.add(String((item.map as Json).name));
    if (item.set) {
      const s = item.set as Json;
      out.sets.set(String(s.name), (Array.isArray(s.elem) ? s.elem : []).flatMap(setElement));
    }
    if (item.rule) {
      const r = item.rule as Json;
      const info = ruleInfo(r);
      const chain = String(r.chain);
      const list = out.rules.get(chain) ?? [];
      list.push(info);
      out.rules.set(chain, list);
      if (chain === 'prerouting' && info.comment?.startsWith(FINGERPRINT_PREFIX)) {
        out.fingerprint = info.comment.slice(FINGERPRINT_PREFIX.length);
        out.flowsSeen = info.packets ?? 0;
      }
    }
  }
  return out;
}

function setElement(e: unknown): { key: string; expiresSec: number }[] {
  if (typeof e === 'string') return [{ key: e, expiresSec: 0 }];
  const inner = (e as Json)?.elem as Json | undefined;
  if (inner && typeof inner.val === 'string') return [{ key: inner.val, expiresSec: typeof inner.expires === 'number' ? inner.expires : 0 }];
  return [];
}

function ruleInfo(r: Json): NftRuleInfo {
  const info: NftRuleInfo = {};
  if (typeof r.comment === 'string') info.comment = r.comment;
  for (const x of Array.isArray(r.expr) ? (r.expr as Json[]) : []) {
    if (x.counter && typeof (x.counter as Json).packets === 'number') info.packets = (x.counter as Json).packets as number;
    if (x.dnat) {
      const d = x.dnat as Json;
      info.dnat = { family: d.family === 'ip6' ? 'ip6' : 'ip', addr: String(d.addr), ...(typeof d.port === 'number' ? { port: d.port } : {}) };
    }
  }
  return info;
}

/** Differences between what render.ts laid out and what the kernel holds; empty = as rendered. */
export function verifyReadback(layout: NftLayout, fingerprint: string, read: NftReadback | undefined): string[] {
  if (!read) return [`table ${layout.table} is absent`];
  const drift: string[] = [];
  if (read.fingerprint !== fingerprint) drift.push(`table ${layout.table} holds ruleset ${read.fingerprint ?? '(none)'}, expected ${fingerprint}`);
  for (const svc of layout.services) {
    if (svc.live.length && !read.chains.has(svc.chain)) drift.push(`${svc.id}: chain ${svc.chain} is missing`);
    for (const d of svc.live) {
      const dnats = (read.rules.get(d.chain) ?? []).flatMap((r) => (r.dnat ? [r.dnat] : []));
      if (!dnats.length) drift.push(`${svc.id} -> ${d.id}: chain ${d.chain} has no DNAT`);
      const want = { family: d.family === 'inet' ? 'ip' : 'ip6', addr: d.address, port: d.port || undefined };
      for (const dnat of dnats) {
        if (dnat.family !== want.family || parseIp(dnat.addr)?.canonical !== want.addr || dnat.port !== want.port) {
          drift.push(`${svc.id} -> ${d.id}: chain ${d.chain} DNATs to ${dnat.addr}${dnat.port ? `:${dnat.port}` : ''}`);
        }
      }
      if (d.set && !read.sets.has(d.set)) drift.push(`${svc.id} -> ${d.id}: persistence set ${d.set} is missing`);
    }
  }
  return drift;
}

/** What the next rewrite must clean up; undefined when there is no table. */
export function existingOf(read: NftReadback | undefined): NftExisting | undefined {
  return read && { chains: [...read.chains], sets: [...read.sets.keys()], maps: [...read.maps] };
}

const ZERO: LbStats = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

/**
 * The table in the IPVS read-back shape: the desired services, each destination with the
 * connections its DNAT rule scheduled and the clients its persistence set holds. Weight-0
 * destinations are listed (IPVS lists them too) with zero counters: nftables holds no rule for them.
 */
export function actualTable(desired: VirtualServerTable, layout: NftLayout, read: NftReadback | undefined): ActualTable {
  return {
    services: desired.services.map((svc, i) => {
      // render.ts lays services out in table order.
      const lay = layout.services[i];
      const destinations: ActualDestination[] = svc.destinations.map((d) => {
        const l = lay?.live.find((x) => x.id === destinationId(d));
        const conns = l ? (read?.rules.get(l.chain) ?? []).reduce((n, r) => n + (r.dnat ? (r.packets ?? 0) : 0), 0) : 0;
        const persistentConns = l?.set ? (read?.sets.get(l.set)?.length ?? 0) : 0;
        return { ...structuredClone(d), activeConns: 0, inactiveConns: 0, persistentConns, stats: { ...ZERO, conns } };
      });
      return { ...structuredClone({ key: svc.key, scheduler: svc.scheduler, flags: svc.flags, ...(svc.persistence ? { persistence: svc.persistence } : {}) }), destinations, stats: { ...ZERO, conns: destinations.reduce((n, d) => n + d.stats.conns, 0) } };
    }),
  };
}
