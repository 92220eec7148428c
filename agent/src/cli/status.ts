/**
 * `vigil status [--state-dir DIR] [--json]`: what the local agent is doing, read from its
 * control socket. The JSON shape is documented in agent/src/runtime/status.ts.
 */
import { parseArgs } from 'node:util';
import { requestControl } from '../runtime/control.ts';
import { StateDir } from '../runtime/state-dir.ts';
import type { AgentStatus } from '../runtime/status.ts';

const USAGE = 'usage: vigil status [--state-dir DIR] [--json]\n';

export async function runStatus(argv: string[]): Promise<number> {
  let values: { 'state-dir'?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'state-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`vigil status: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = new StateDir(values['state-dir'] ?? '/var/lib/vigil');
  let status: AgentStatus;
  try {
    status = (await requestControl(dir.socketPath, 'status')) as AgentStatus;
  } catch (e) {
    process.stderr.write(`vigil status: no agent answers on ${dir.socketPath} (${(e as Error).message}); is \`vigil agent --state-dir ${dir.dir}\` running?\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`agent pid ${status.pid}${status.director ? `, director ${status.director}` : ''}\n\n`);
  for (const i of status.instances) {
    const drops = Object.entries(i.counters.drops as Record<string, number>).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
    process.stdout.write(
      `${i.name}  vrid ${i.vrid} v${i.version} ${i.family} on ${i.interface}\n` +
      `  state ${i.state}  priority ${i.priority} (base ${i.basePriority})  master ${i.masterSeen ? `${i.masterSeen.address} prio ${i.masterSeen.priority}` : 'unknown'}\n` +
      `  vips ${i.vips.join(' ') || '-'}${i.vipsHeld ? ' (held)' : ''}\n` +
      `  tracked ${i.tracked.map((t) => `${t.name}:${t.up ? 'up' : 'DOWN'}(${t.weight})`).join(' ') || '-'}\n` +
      `  adverts in ${i.counters.advertsRx} out ${i.counters.advertsTx}  transitions ${i.counters.transitions}  drops ${drops}\n\n`,
    );
  }
  const lb = (status as AgentStatus & { loadBalancer?: { backend: string; reason?: string; realServers: Array<{ virtualServer: string; address: string; port: number; up: boolean; weight: number; drained: boolean; reason: string }> } }).loadBalancer;
  if (lb) {
    process.stdout.write(`load balancer: ${lb.backend}${lb.reason ? ` (${lb.reason})` : ''}\n`);
    let current = '';
    for (const r of lb.realServers) {
      if (r.virtualServer !== current) process.stdout.write(`  ${(current = r.virtualServer)}\n`);
      process.stdout.write(`    ${`${r.address}:${r.port}`.padEnd(24)} ${r.up ? 'UP  ' : 'DOWN'} weight ${r.weight}${r.drained ? ' (drained)' : ''}${r.up ? '' : `  ${r.reason}`}\n`);
    }
  }
  return 0;
}
