/**
 * Runs inside the health worker thread: one {@link HealthEngine} over the real probes, talking
 * to the main thread by messages (see health-worker.ts for the protocol). Nothing here touches
 * VRRP: the thread that sends adverts never waits on a check.
 */
import { parentPort } from 'node:worker_threads';
import type { ClusterSpec } from '#schema';
import { timerClock } from '../os/clock.ts';
import { startHeapGc } from '../os/heap-gc.ts';
import { HealthEngine, noStats } from './engine.ts';
import { checkerPlans } from './plan.ts';
import { createProber, fileSystemTrackFileReader } from './probes/index.ts';
import type { HealthRequest, HealthReply } from './health-worker.ts';

const port = parentPort;
if (!port) throw new Error('checks/worker-thread.ts runs only as a worker thread');
// This isolate allocates little, so V8 alone would let its garbage pile up in old space for
// tens of minutes (os/heap-gc.ts).
startHeapGc();

let engine: HealthEngine | undefined;
let trackFiles: ClusterSpec['trackFiles'] = {};
const send = (m: HealthReply) => port.postMessage(m);
// Reads the current revision's track_files (an update may change them).
const readTrackFile = (name: string) => fileSystemTrackFileReader(trackFiles)(name);

port.on('message', (m: HealthRequest) => {
  switch (m.type) {
    case 'start': {
      engine?.stop();
      trackFiles = m.trackFiles as ClusterSpec['trackFiles'];
      const probe = createProber({ readTrackFile });
      engine = new HealthEngine(checkerPlans(m.virtualServers as ClusterSpec['virtualServers']), { probe, clock: timerClock, onChange: (h) => send({ type: 'health', health: h }) });
      for (const [v, s] of m.suspended) engine.suspend(v, s);
      send({ type: 'started', initial: engine.initial() });
      engine.start();
      break;
    }
    case 'update':
      trackFiles = m.trackFiles as ClusterSpec['trackFiles'];
      send({ type: 'updated', id: m.id, health: engine?.update(checkerPlans(m.virtualServers as ClusterSpec['virtualServers'])) ?? [] });
      break;
    case 'suspend':
      engine?.suspend(m.vsKey, m.suspended);
      break;
    case 'stats':
      send({ type: 'stats', id: m.id, stats: engine ? { ...engine.stats } : noStats() });
      break;
    case 'stop':
      engine?.stop();
      engine = undefined;
      send({ type: 'stopped' });
      break;
  }
});
