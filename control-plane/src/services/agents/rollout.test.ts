import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { resolveDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { HOLD_MAX_MS, planRollout, SYNC_DELAY_MS, type RolloutPeer } from './rollout.ts';

const spec = (over: { advertIntervalMs?: number; vip?: string; notify?: string } = {}) => ClusterSpec.parse({
  version: 1,
  directors: { lb1: {}, lb2: {}, lb3: {} },
  vrrpInstances: {
    VI_1: {
      interface: 'eth0', virtualRouterId: 51, advertIntervalMs: over.advertIntervalMs ?? 1000,
      virtualIpAddresses: [over.vip ?? '192.0.2.100/24'],
      ...(over.notify ? { notify: { master: over.notify } } : {}),
      directors: { lb1: { priority: 150 }, lb2: { priority: 100 }, lb3: { priority: 50 } },
    },
  },
});
const cfg = (s: ReturnType<typeof spec>, d = 'lb1') => resolveDirectorConfig(s, d);
const now = 1_000_000;
const peer = (name: string, state: string, appliedRevision: number, seenAgo = 1000): RolloutPeer => ({ name, appliedRevision, state: { instances: [{ name: 'VI_1', state }] }, lastSeenAt: now - seenAgo });
const base = { director: 'lb1', targetRevision: 2, revisionCreatedAt: now - 1000, now };

describe('planRollout (backups first, master last; advert changes at one instant)', () => {
  it('an advert parameter change is applied by everyone at revision time + SYNC_DELAY_MS', () => {
    for (const over of [{ advertIntervalMs: 2000 }, { vip: '192.0.2.101/24' }]) {
      const p = planRollout({ ...base, current: cfg(spec()), target: cfg(spec(over)), peers: [peer('lb1', 'MASTER', 1)] });
      expect(p).toEqual({ kind: 'at', applyAt: base.revisionCreatedAt + SYNC_DELAY_MS });
    }
    // Once the instant has passed, at once.
    expect(planRollout({ ...base, revisionCreatedAt: now - SYNC_DELAY_MS - 1, current: cfg(spec()), target: cfg(spec({ advertIntervalMs: 2000 })), peers: [] })).toEqual({ kind: 'now' });
  });

  it('any other change: the master waits for the fresh backups; backups go at once', () => {
    const current = cfg(spec());
    const target = cfg(spec({ notify: '/bin/new-hook' }));
    const peers = [peer('lb1', 'MASTER', 1), peer('lb2', 'BACKUP', 1), peer('lb3', 'BACKUP', 2), peer('lb4', 'BACKUP', 1, 60_000)];
    expect(planRollout({ ...base, current, target, peers })).toEqual({ kind: 'hold', waitingFor: ['lb2'] });
    expect(planRollout({ ...base, director: 'lb2', current: cfg(spec(), 'lb2'), target: cfg(spec({ notify: '/bin/new-hook' }), 'lb2'), peers })).toEqual({ kind: 'now' });
    const done = peers.map((p) => (p.name === 'lb2' ? { ...p, appliedRevision: 2 } : p));
    expect(planRollout({ ...base, current, target, peers: done })).toEqual({ kind: 'now' });
    // Never held for longer than HOLD_MAX_MS.
    expect(planRollout({ ...base, revisionCreatedAt: now - HOLD_MAX_MS, current, target, peers })).toEqual({ kind: 'now' });
  });

  it('no change to the instances (or a director not master): at once', () => {
    expect(planRollout({ ...base, current: cfg(spec()), target: cfg(spec()), peers: [peer('lb1', 'MASTER', 1), peer('lb2', 'BACKUP', 1)] })).toEqual({ kind: 'now' });
    expect(planRollout({ ...base, current: cfg(spec()), target: cfg(spec({ notify: '/x' })), peers: [peer('lb1', 'BACKUP', 1), peer('lb2', 'MASTER', 1)] })).toEqual({ kind: 'now' });
  });
});
