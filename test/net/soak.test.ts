/**
 * The chaos soak, short: the whole fleet lab (infra/soak: control plane on a Postgres primary
 * with a synchronous replica, six directors installed the real way, keepalived peers, client
 * traffic) under 5 minutes of seeded faults, and every invariant asserted: no event lost or
 * stored twice, the audit chain verifies, no failover the lab did not cause, every master it
 * took away recorded, split brain detected within 2 report intervals and cleared, no agent that
 * died on its own, the lab steady after every fault, memory and file descriptors flat within
 * the bound below. `npm run soak -- --minutes=N` is the same for as long as wanted.
 */
import { describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { runSoak } from '../../infra/soak/soak.ts';
import { REPORT_INTERVAL_MS } from '../../infra/soak/topology.ts';
import { DB_CONNS_MAX, FD_GROWTH } from '../../infra/soak/main.ts';

const run = requireCapabilities('soak lab', ['root', 'netns', 'keepalived', 'debootstrap', 'postgres', 'iptables', 'faketime']);
const MINUTES = Number(process.env.VIGIL_SOAK_MINUTES ?? 5);
/**
 * Memory bound for a run this short: a process's RSS may not grow by more than this between its
 * first sample after warm-up and its last (a leak of one object per advert, ~10 KB/s, would be
 * 3 MB a minute). The hourly slope (< 5 MB/h) is judged on long runs, where it is not noise.
 */
const GROWTH_MB = 20;

describe.skipIf(!run)('soak: the fleet lab under faults', () => {
  it(`${MINUTES} minutes of seeded faults: no event lost, no false failover, split brain seen and cleared, flat memory`, async () => {
    const r = await runSoak({ minutes: MINUTES, seed: Number(process.env.VIGIL_SOAK_SEED ?? 16), log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${r.table}\n`);
    expect(r.faults.length).toBeGreaterThanOrEqual(Math.floor(MINUTES * 1.2));
    expect(r.faults.filter((f) => f.error).map((f) => `${f.kind}: ${f.error}`)).toEqual([]);
    expect(r.events.lost).toBe(0);
    expect(r.events.duplicates).toBe(0);
    expect(r.events.undelivered).toBe(0);
    expect(r.events.chain).toMatchObject({ ok: true });
    expect(r.failovers.false).toEqual([]);
    expect(r.failovers.missing).toEqual([]);
    expect(r.failovers.duplicates).toBe(0);
    expect(r.failovers.wrongCause).toEqual([]);
    expect(r.splitBrain.detected).toBe(r.splitBrain.partitions);
    expect(r.splitBrain.resolved).toBe(r.splitBrain.partitions);
    for (const ms of r.splitBrain.detectMs) expect(ms).toBeLessThanOrEqual(2 * REPORT_INTERVAL_MS);
    expect(r.splitBrain.repeated).toBe(0);
    // Two masters with no fault that could make them (a stray split brain) is a defect, not noise.
    expect(r.splitBrain.spurious).toBe(0);
    expect(r.unexpectedRestarts).toEqual([]);
    expect(r.notSteady).toEqual([]);
    for (const m of r.memory.filter((x) => x.spanMin >= 2)) {
      expect(m.growthMb, `${m.proc} RSS growth`).toBeLessThan(GROWTH_MB);
      expect(m.otherFdsLast - m.otherFdsFirst, `${m.proc} fds other than database connections`).toBeLessThanOrEqual(FD_GROWTH);
      expect(m.dbConnsMax, `${m.proc} database connections`).toBeLessThanOrEqual(DB_CONNS_MAX);
    }
  }, (MINUTES + 12) * 60_000);
});
