/**
 * `vigil agent --config /etc/vigil/agent.json`: the managed agent as a process. Reads the agent
 * file, builds the director on Linux (host/linux.ts) and the managed loops (agent.ts) over the
 * real HTTP client and WebSocket, and leaves gracefully on SIGTERM/SIGINT.
 */
import { join } from 'node:path';
import { DirectorHost } from '../host/director-host.ts';
import { linuxHostPorts } from '../host/linux.ts';
import { jsonLog } from '../host/log.ts';
import type { LbBackendMode } from '../os/lb-backend.ts';
import { listenAddress, readAgentFile } from './agent-file.ts';
import { ManagedAgent } from './agent.ts';
import { AgentChannel } from './channel.ts';
import { ControlPlaneClient } from './client.ts';
import { Outbox } from './outbox.ts';

export { toOutbox } from './agent.ts';

export interface ManagedOptions {
  configFile: string;
  stateDir: string;
  lbMode: LbBackendMode;
  metricsAt?: { host: string; port: number };
  /** PATH that scripts and hooks are looked up in. */
  path: string;
  keepalivedMetrics?: boolean;
}

export async function runManaged(o: ManagedOptions): Promise<number> {
  const file = readAgentFile(o.configFile);
  if (!file.ok) {
    process.stderr.write(`${file.message}\nvigil agent: ${o.configFile} is invalid; nothing was started\n`);
    return 1;
  }
  const cfg = file.value;
  const log = jsonLog({ component: 'agent', director: cfg.director, managed: true });
  const outbox = new Outbox(join(o.stateDir, 'outbox'), {
    // The agent keeps electing with a full or read-only disk; it says so, and the outbox
    // writes what memory holds once the disk takes writes again.
    onDisk: (problem, inMemory) => {
      if (problem) log('error', `the state disk refuses writes (${problem}): events are held in memory and still delivered; any not delivered are lost if the agent stops before the disk recovers`, { stateDir: o.stateDir, inMemory });
      else log('info', 'the state disk takes writes again: the outbox is on disk', { stateDir: o.stateDir });
      events.to?.diskProblem(problem, inMemory);
    },
  });
  // The host's events go to the managed agent, built next (it needs the host).
  const events: { to?: ManagedAgent } = {};
  const host = await DirectorHost.open(linuxHostPorts({ stateDir: o.stateDir, lbMode: cfg.lbBackend ?? o.lbMode, log, path: o.path }), {
    stateDir: o.stateDir,
    log,
    ...((o.metricsAt ?? listenAddress(cfg.metricsListen)) ? { metricsAt: (o.metricsAt ?? listenAddress(cfg.metricsListen))! } : {}),
    ...((o.keepalivedMetrics ?? cfg.keepalivedMetrics) !== undefined ? { keepalivedMetrics: (o.keepalivedMetrics ?? cfg.keepalivedMetrics)! } : {}),
    onEvent: (e) => events.to?.event(e),
    onEventAhead: (e) => events.to?.eventAhead(e),
  });
  const managed = new ManagedAgent({
    host,
    client: new ControlPlaneClient(cfg.controlPlane, cfg.credential),
    channel: new AgentChannel(cfg.controlPlane, cfg.credential),
    outbox,
    cachePath: join(o.stateDir, 'config.json'),
    pollWaitSeconds: cfg.pollWaitSeconds,
    log,
  });
  events.to = managed;
  await managed.start();
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log('info', 'stopping');
  await managed.close(signal);
  outbox.close();
  log('info', 'agent stopped');
  setTimeout(() => process.exit(0), 50).unref();
  return 0;
}
