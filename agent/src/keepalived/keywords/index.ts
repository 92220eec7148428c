/**
 * The keyword tables, joined: the top level of a keepalived.conf and every block table by
 * name. `lookupBlock(name)` is what the validator walks with.
 *
 * The tables are written as object literals; every lookup by a name read from a config goes
 * through Maps built from them (`keywordOf`), so `constructor`, `__proto__` or `valueOf` in a
 * config is an unknown keyword like any other word, never a member of Object.prototype.
 */
import { globalDefs, notificationEmail, rootGlobals, ssl } from './global.ts';
import { checkerBlocks, realServer, virtualServer, virtualServerGroup } from './lvs.ts';
import type { BlockSpec, KeywordSpec } from './types.ts';
import { U, word } from './types.ts';
import { authentication, listBlocks, trackFile, vrrpInstance, vrrpScript, vrrpSyncGroup, vrrpTrackProcess } from './vrrp.ts';

export type { Arg, BlockSpec, KeywordSpec, ListKind, Rest } from './types.ts';

const named = { args: [word] } as const;

export const rootBlock: BlockSpec = {
  name: 'top level',
  keywords: {
    global_defs: { block: 'global_defs' },
    vrrp_instance: { ...named, block: 'vrrp_instance' },
    vrrp_script: { ...named, block: 'vrrp_script' },
    vrrp_sync_group: { ...named, block: 'vrrp_sync_group' },
    vrrp_track_process: { ...named, block: 'vrrp_track_process' },
    track_file: { ...named, block: 'track_file' },
    vrrp_track_file: { ...named, block: 'track_file', aliasOf: 'track_file', aliasSeverity: 'info' },
    // `virtual_server IP [port] | fwmark N | group NAME`: checked by validate.ts.
    virtual_server: { args: [word], rest: 'free', block: 'virtual_server' },
    virtual_server_group: { ...named, block: 'virtual_server_group' },
    SSL: { block: 'SSL' },
    static_ipaddress: { block: 'static_ipaddress', ...U },
    static_routes: { block: 'static_routes', ...U },
    static_rules: { block: 'free', ...U },
    garp_group: { block: 'free', ...U },
    linkbeat_interfaces: { block: 'free', ...U },
    interface_up_down_delays: { block: 'free', ...U },
    track_group: { ...named, block: 'free', ...U },
    bfd_instance: { ...named, block: 'free', ...U },
    ...rootGlobals,
  },
};

const blockTable: Record<string, BlockSpec> = {
  global_defs: globalDefs,
  notification_email: notificationEmail,
  SSL: ssl,
  vrrp_instance: vrrpInstance,
  authentication,
  vrrp_script: vrrpScript,
  vrrp_sync_group: vrrpSyncGroup,
  vrrp_track_process: vrrpTrackProcess,
  track_file: trackFile,
  virtual_server: virtualServer,
  real_server: realServer,
  virtual_server_group: virtualServerGroup,
  ...checkerBlocks,
  ...listBlocks,
};

const blocks = new Map(Object.entries(blockTable));

/** The table for a block name used in a `block:` field. Throws on a table bug. */
export function lookupBlock(name: string): BlockSpec {
  const b = blocks.get(name);
  if (!b) throw new Error(`keepalived keyword tables: no block table "${name}"`);
  return b;
}

/** Every block table (for the table self-test). */
export function allBlocks(): Record<string, BlockSpec> {
  return { root: rootBlock, ...blockTable };
}

const keywordMaps = new Map<BlockSpec, ReadonlyMap<string, KeywordSpec>>();

/** The keywords of a block as a Map (built once per table). */
export function keywordMap(block: BlockSpec): ReadonlyMap<string, KeywordSpec> {
  let m = keywordMaps.get(block);
  if (!m) {
    m = new Map(Object.entries(block.keywords ?? {}));
    keywordMaps.set(block, m);
  }
  return m;
}

/** The keyword `name` of `block`, if it has one. */
export function keywordOf(block: BlockSpec, name: string): KeywordSpec | undefined {
  return keywordMap(block).get(name);
}

/** The first block (top level first) that has the keyword `name`. */
export function blockHaving(name: string): BlockSpec | undefined {
  if (keywordOf(rootBlock, name)) return rootBlock;
  for (const b of blocks.values()) if (keywordOf(b, name)) return b;
  return undefined;
}

/** Names keepalived takes only once per block (`firstWins`), whatever the block. */
export const FIRST_WINS: ReadonlySet<string> = new Set(
  [rootBlock, ...blocks.values()].flatMap((b) => [...keywordMap(b)].filter(([, spec]) => spec.firstWins).map(([name]) => name)),
);
