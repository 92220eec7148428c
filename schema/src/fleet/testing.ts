/**
 * Test fixtures for the fleet rules (and for anyone testing code that consumes specs): a valid
 * two-director cluster that each test bends in one place.
 */
import type { ClusterSpec } from '../spec/cluster.ts';
import { parseClusterSpec } from '../spec/parse.ts';

/** Plain JSON input: lb1 (192.0.2.11, priority 150, MASTER) and lb2 (192.0.2.12, 100, BACKUP). */
export function twoDirectorInput(): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    version: 1,
    directors: { lb1: { unicastSrcIp: '192.0.2.11' }, lb2: { unicastSrcIp: '192.0.2.12' } },
    vrrpScripts: { chk_web: { script: '/usr/bin/pgrep nginx', weight: -20 } },
    trackFiles: { maint: { file: '/run/vigil/maint' } },
    trackProcesses: { haproxy: { process: 'haproxy' } },
    vrrpInstances: {
      VI_1: {
        interface: 'eth0',
        virtualRouterId: 51,
        virtualIpAddresses: ['192.0.2.100/24'],
        trackScripts: [{ name: 'chk_web' }],
        directors: { lb1: { priority: 150, state: 'MASTER' }, lb2: { priority: 100 } },
      },
    },
    virtualServers: [{ address: '192.0.2.100', port: 80, method: 'DR', realServers: [{ address: '192.0.2.21', port: 80 }] }],
  };
}

/** Parses `input` (after `mutate`), throwing with the shape issues if it is not shape-valid. */
export function specFrom(mutate: (input: Record<string, any>) => void = () => {}): ClusterSpec { // eslint-disable-line @typescript-eslint/no-explicit-any
  const input = twoDirectorInput();
  mutate(input);
  const r = parseClusterSpec(input);
  if (!r.ok) throw new Error(`fixture is not shape-valid: ${JSON.stringify(r.issues)}`);
  return r.spec;
}
