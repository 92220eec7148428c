/**
 * A whole director on the in-memory OS, for unit tests: the fake host's VRRP sockets,
 * addresses, links, announcer and routes (os/fake), a fake clock, hooks that record instead of
 * running (and say which programs are missing), health checks on the calling thread with a
 * probe the test controls, and the real nftables controller over the in-memory `nft`. The same
 * DirectorHost runs on Linux with linux.ts; netns tests prove the real ports.
 */
import type { CheckOutcome } from '../checks/checker-state.ts';
import { InProcessHealth } from '../checks/in-process.ts';
import { dataPlaneSupport } from '../lb/support.ts';
import type { VirtualServerTable } from '../lb/model.ts';
import type { FakeClock } from '../os/fake/clock.ts';
import { FakeRouteManager } from '../os/fake/route-manager.ts';
import type { FakeHost } from '../os/fake/segment.ts';
import { NftController } from '../os/nft/controller.ts';
import { FakeNft } from '../os/nft/fake-nft.ts';
import type { AddressManager, Announcer } from '../os/ports.ts';
import type { HookRunner } from '../runtime/hooks.ts';
import type { HostPorts } from './director-host.ts';

export interface FakeDirectorOs {
  ports: HostPorts;
  /** Every address add/remove and announcement the director made, in order, with the fake clock's time. */
  addressLog: Array<{ at: number; op: 'add' | 'remove' | 'garp'; address: string }>;
  /** Address changes take this many event-loop turns (a netlink round trip), 0 by default. */
  kernelTurns: number;
  /** Every hook run ("cmd arg..."), in order. */
  hookCalls: string[];
  /** Commands whose program "does not exist" (check fails). */
  missing: Set<string>;
  /** Exit code per vrrp_script command (default 0). */
  scriptCode: Map<string, number>;
  /** Real servers ("addr:port") whose checks fail. */
  down: Set<string>;
  /** Probe attempts ("addr:port"), in order. */
  probes: string[];
  /** Every table handed to the data plane. */
  tables: VirtualServerTable[];
  nft: FakeNft;
  routes: FakeRouteManager;
  /** `open` fails with this (a host without a usable data plane). */
  dataPlaneMissing?: string;
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

export function fakeDirectorOs(host: FakeHost, clock: FakeClock): FakeDirectorOs {
  const os: Omit<FakeDirectorOs, 'ports'> = {
    addressLog: [], kernelTurns: 0, hookCalls: [], missing: new Set(), scriptCode: new Map(), down: new Set(), probes: [], tables: [],
    nft: new FakeNft(), routes: new FakeRouteManager(),
  };
  const addresses: AddressManager = {
    list: (ifname) => host.addresses.list(ifname),
    add: async (spec) => {
      await turns(os.kernelTurns);
      os.addressLog.push({ at: clock.now(), op: 'add', address: spec.address });
      return host.addresses.add(spec);
    },
    remove: async (spec) => {
      await turns(os.kernelTurns);
      os.addressLog.push({ at: clock.now(), op: 'remove', address: spec.address });
      return host.addresses.remove(spec);
    },
    close: () => {},
  };
  const hooks: HookRunner = {
    check: (command) => (os.missing.has(command) ? `${command.split(' ')[0]} is not an executable file` : undefined),
    async run(command, args) {
      os.hookCalls.push([command, ...args].join(' '));
      return { code: os.scriptCode.get(command) ?? 0, timedOut: false };
    },
  };
  const probe = async (_c: unknown, target: { address: string; port: number }): Promise<CheckOutcome> => {
    const k = `${target.address}:${target.port}`;
    os.probes.push(k);
    return os.down.has(k) ? { ok: false, reason: 'connect ECONNREFUSED' } : { ok: true };
  };
  const announcer: Announcer = {
    garp: (ifname, ip, o) => {
      os.addressLog.push({ at: clock.now(), op: 'garp', address: ip });
      return host.announcer.garp(ifname, ip, o);
    },
    unsolicitedNa: (ifname, ip, o) => {
      os.addressLog.push({ at: clock.now(), op: 'garp', address: ip });
      return host.announcer.unsolicitedNa(ifname, ip, o);
    },
    burst: (items) => {
      for (const it of items) os.addressLog.push({ at: clock.now(), op: 'garp', address: it.ip });
      return host.announcer.burst(items);
    },
    close: () => {},
  };
  const full = os as FakeDirectorOs;
  full.ports = {
    sockets: host.vrrpSockets,
    addresses,
    announcer,
    routes: os.routes,
    links: host.links,
    clock,
    hooks,
    async openDataPlane() {
      if (full.dataPlaneMissing) return { ok: false, code: 'ENOENT', message: full.dataPlaneMissing };
      const nft = new NftController(os.nft.exec, { approximateLeastConnection: true });
      return {
        ok: true,
        value: {
          name: 'nftables',
          reason: 'fake',
          controller: {
            apply: (t: VirtualServerTable) => {
              os.tables.push(t);
              return nft.apply(t);
            },
            get lastTable() { return nft.lastTable; },
            stop: () => nft.stop(),
          },
          check: (lb) => dataPlaneSupport('nftables', lb),
        },
      };
    },
    health: () => new InProcessHealth(clock, probe),
  };
  return full;
}
