/**
 * An in-memory `nft` for unit tests of the code around the nftables data plane. It understands
 * exactly the scripts lb/nft/render.ts writes (add table/chain, flush/delete chain/set/map,
 * delete table, the `table { }` block), all-or-nothing like the kernel's transaction, and
 * answers `-j list table` in nft's JSON shape, so the controller runs its real read-back path. The real nft and kernel are proven by test/net/nft-lb.test.ts.
 */
import type { OsResult } from '../ports.ts';
import type { NftExec } from './exec.ts';

interface FakeTable {
  chains: Map<string, { comment?: string; dnat?: { family: string; addr: string; port?: number }; packets: number }[]>;
  sets: Map<string, { key: string; expires: number }[]>;
}

export class FakeNft {
  readonly tables = new Map<string, FakeTable>();
  /** Every invocation's arguments (and stdin), in order. */
  readonly log: { args: string[]; stdin?: string }[] = [];
  /** Results the next `-f` invocations fail with, in order. */
  readonly failApplies: OsResult<string>[] = [];

  readonly exec: NftExec = async (args, stdin) => {
    this.log.push({ args, ...(stdin !== undefined ? { stdin } : {}) });
    const cmd = args.join(' ');
    let m: RegExpMatchArray | null;
    if ((m = /^-j list table inet (\S+)$/.exec(cmd))) {
      const t = this.tables.get(m[1]!);
      return t ? { ok: true, value: this.json(m[1]!, t) } : enoent(cmd);
    }
    if ((m = /^delete table inet (\S+)$/.exec(cmd))) return this.tables.delete(m[1]!) ? { ok: true, value: '' } : enoent(cmd);
    if (cmd === 'list tables') return { ok: true, value: [...this.tables.keys()].map((n) => `table inet ${n}\n`).join('') };
    if (cmd === '-f -') {
      const failure = this.failApplies.shift();
      if (failure) return failure;
      return this.load(stdin ?? '');
    }
    return { ok: false, code: 'EINVAL', message: `fake nft: unsupported "${cmd}"` };
  };

  /** Simulates traffic: `n` new flows through the DNAT rule of `chain`. */
  count(table: string, chain: string, n: number): void {
    for (const r of this.tables.get(table)?.chains.get(chain) ?? []) if (r.dnat) r.packets += n;
  }

  /** Runs a script as one transaction: on any error nothing changes. */
  private load(script: string): OsResult<string> {
    const tables = new Map([...this.tables].map(([k, t]) => [k, structuredClone(t)]));
    const fail = (line: string): OsResult<string> => ({ ok: false, code: 'ENOENT', message: `nft -f -: Error: Could not process rule: No such file or directory\n${line}` });
    let current: FakeTable | undefined;
    let chain: string | undefined;
    for (const line of script.split('\n')) {
      let m: RegExpMatchArray | null;
      if ((m = /^add table inet (\S+)/.exec(line))) {
        if (!tables.has(m[1]!)) tables.set(m[1]!, { chains: new Map(), sets: new Map() });
      } else if ((m = /^delete table inet (\S+)$/.exec(line))) {
        if (!tables.delete(m[1]!)) return fail(line);
      } else if ((m = /^add chain inet (\S+) (\S+) \{/.exec(line))) {
        const t = tables.get(m[1]!);
        if (!t) return fail(line);
        if (!t.chains.has(m[2]!)) t.chains.set(m[2]!, []);
      } else if ((m = /^(flush|delete) (chain|set|map) inet (\S+) (\S+)$/.exec(line))) {
        const t = tables.get(m[3]!);
        const coll: Map<string, unknown[]> | undefined = m[2] === 'chain' ? t?.chains : t?.sets;
        if (!coll?.has(m[4]!)) return fail(line);
        if (m[1] === 'flush') coll.set(m[4]!, []);
        else coll.delete(m[4]!);
      } else if ((m = /^table inet (\S+) \{$/.exec(line))) {
        current = tables.get(m[1]!) ?? { chains: new Map(), sets: new Map() };
        tables.set(m[1]!, current);
      } else if ((m = /^\tchain (\S+) \{$/.exec(line))) {
        chain = m[1]!;
        if (!current!.chains.has(chain)) current!.chains.set(chain, []);
      } else if ((m = /^\tset (\S+) \{$/.exec(line))) {
        if (!current!.sets.has(m[1]!)) current!.sets.set(m[1]!, []);
      } else if (line === '\t}') chain = undefined;
      else if (chain && line.startsWith('\t\t') && !/^\t\t(type|comment) /.test(line)) {
        const comment = /comment "([^"]*)"$/.exec(line)?.[1];
        const d = /dnat (ip6?) to (\[[^\]]+\]|[^\s:]+)(?::(\d+))?/.exec(line);
        current!.chains.get(chain)!.push({
          ...(comment !== undefined ? { comment } : {}),
          ...(d ? { dnat: { family: d[1]!, addr: d[2]!.replace(/[[\]]/g, ''), ...(d[3] ? { port: Number(d[3]) } : {}) } } : {}),
          packets: 0,
        });
      }
    }
    this.tables.clear();
    for (const [k, t] of tables) this.tables.set(k, t);
    return { ok: true, value: '' };
  }

  private json(name: string, t: FakeTable): string {
    const items: unknown[] = [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, { table: { family: 'inet', name, handle: 1 } }];
    for (const [s, elems] of t.sets) items.push({ set: { family: 'inet', name: s, table: name, type: 'ipv4_addr', flags: ['timeout'], ...(elems.length ? { elem: elems.map((e) => ({ elem: { val: e.key, expires: e.expires } })) } : {}) } });
    for (const c of t.chains.keys()) items.push({ chain: { family: 'inet', table: name, name: c } });
    for (const [c, rules] of t.chains) {
      for (const r of rules) {
        const expr: unknown[] = [{ counter: { packets: r.packets, bytes: r.packets * 60 } }];
        if (r.dnat) expr.push({ dnat: r.dnat });
        items.push({ rule: { family: 'inet', table: name, chain: c, ...(r.comment !== undefined ? { comment: r.comment } : {}), expr } });
      }
    }
    return JSON.stringify({ nftables: items });
  }
}

function enoent(cmd: string): OsResult<string> {
  return { ok: false, code: 'ENOENT', message: `nft ${cmd}: Error: No such file or directory` };
}
