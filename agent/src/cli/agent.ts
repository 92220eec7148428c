/**
 * `vigil agent --keepalived FILE [--state-dir DIR] [--director NAME]`: the standalone agent.
 * Reads a keepalived.conf (errors are printed like `vigil check`, exit 1), removes VIPs a
 * crashed predecessor left behind, runs every instance, and answers `vigil status` on the
 * control socket. SIGHUP reloads the file as a diff; SIGTERM/SIGINT leave gracefully.
 */
import { closeSync, constants, openSync, statSync, writeSync, appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { renderMetrics } from '../runtime/metrics.ts';
import pino from 'pino';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { convertToSpec } from '../keepalived/convert.ts';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../keepalived/diagnostics.ts';
import { parseKeepalivedConf } from '../keepalived/parser.ts';
import { createLinuxAddressManager } from '../os/address-manager.ts';
import { createLinuxAnnouncer } from '../os/announcer.ts';
import { systemClock } from '../os/clock.ts';
import { createLinuxLinkMonitor } from '../os/link-monitor.ts';
import { createLinuxRouteManager } from '../os/route-manager.ts';
import { linuxVrrpSockets } from '../os/vrrp-socket.ts';
import { Agent } from '../runtime/agent.ts';
import { serveControl } from '../runtime/control.ts';
import { processHookRunner } from '../runtime/hooks.ts';
import { StateDir } from '../runtime/state-dir.ts';
import { HealthWorker } from '../checks/health-worker.ts';
import { HookQueue } from '../runtime/hooks.ts';
import { LbRuntime } from '../runtime/lb.ts';
import { drainCommand, lbStatus, openDataPlane, type OpenedDataPlane } from './agent-lb.ts';

const USAGE = `usage: vigil agent --keepalived FILE [--state-dir DIR] [--director NAME] [--lb-backend auto|ipvs|nftables]
       vigil agent --config FILE [--state-dir DIR]     (managed by a control plane)

  --keepalived FILE  run standalone from a keepalived.conf (SIGHUP reloads it)
  --state-dir DIR    pid file, control socket, VIP record (default /var/lib/vigil)
  --director NAME    this director's name (default: router_id, else the host name)
  --metrics-listen ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics
  --lb-backend MODE  what programs virtual_servers: ipvs, nftables, or auto (IPVS when the
                     kernel has it, else nftables; default)
`;

type Loaded = { ok: true; config: ResolvedDirectorConfig } | { ok: false; report: string };

/** keepalived.conf → this director's effective config, or every diagnostic as text. */
export function loadKeepalived(file: string, director?: string): Loaded {
  const parsed = parseKeepalivedConf({ path: file });
  if (parsed.files.length === 0) return { ok: false, report: parsed.diagnostics.map(formatDiagnostic).join('\n') };
  const converted = convertToSpec(parsed.tree, { file, ...(director ? { director } : {}) });
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...converted.diagnostics]);
  if (hasErrors(diagnostics) || !converted.validSpec) {
    return { ok: false, report: diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n') || `${file}: invalid` };
  }
  return { ok: true, config: resolveDirectorConfig(converted.validSpec, converted.director) };
}

/** keepalived's notify_fifo: one line per transition; a FIFO without a reader is skipped. */
function fifoWriter(path: string): (line: string) => void {
  return (line) => {
    try {
      if (statSync(path).isFIFO()) {
        const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        try { writeSync(fd, `${line}\n`); } finally { closeSync(fd); }
      } else appendFileSync(path, `${line}\n`);
    } catch {
      /* no reader yet (ENXIO) or the file went away: keepalived drops the line too */
    }
  };
}

/** "ADDR:PORT" / "[v6]:PORT" -> listen options, or null when malformed. */
function parseListen(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { host: m[1] ?? m[2]!, port } : null;
}

function serveMetrics(at: { host: string; port: number }, render: () => Promise<string>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      render().then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text), () => res.writeHead(500).end());
    });
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve(server));
  });
}

export async function runAgent(argv: string[]): Promise<number> {
  let values: { keepalived?: string; config?: string; 'state-dir'?: string; director?: string; 'lb-backend'?: string; 'metrics-listen'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { keepalived: { type: 'string' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, director: { type: 'string' }, 'lb-backend': { type: 'string' }, 'metrics-listen': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`vigil agent: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.config) {
    process.stderr.write('vigil agent: managed mode (--config) is not available in this build yet; run standalone with --keepalived FILE\n');
    return 2;
  }
  if (!values.keepalived) {
    process.stderr.write(`vigil agent: give --keepalived FILE\n\n${USAGE}`);
    return 2;
  }
  const lbMode = values['lb-backend'] ?? 'auto';
  if (lbMode !== 'auto' && lbMode !== 'ipvs' && lbMode !== 'nftables') {
    process.stderr.write(`vigil agent: --lb-backend must be auto, ipvs or nftables, got "${lbMode}"\n\n${USAGE}`);
    return 2;
  }
  const metricsAt = values['metrics-listen'] !== undefined ? parseListen(values['metrics-listen']) : undefined;
  if (metricsAt === null) {
    process.stderr.write(`vigil agent: --metrics-listen must be ADDR:PORT (e.g. 127.0.0.1:9650 or [::1]:9650), got "${values['metrics-listen']}"\n`);
    return 2;
  }
  const file = values.keepalived;
  const loaded = loadKeepalived(file, values.director);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.report}\nvigil agent: ${file} is invalid; nothing was started\n`);
    return 1;
  }
  // The data plane is chosen and the virtual servers checked against it before anything starts:
  // a config this host cannot program is an error now, not a half-running director.
  let dataPlane: OpenedDataPlane | undefined;
  if (loaded.config.virtualServers.length > 0) {
    const dp = await openDataPlane(lbMode as 'auto' | 'ipvs' | 'nftables', loaded.config, values['state-dir'] ?? '/var/lib/vigil');
    if (!dp.ok) {
      process.stderr.write(`vigil agent: ${dp.message}\nvigil agent: nothing was started\n`);
      return 1;
    }
    dataPlane = dp.value;
  }
  const log = pino({ base: { component: 'agent', director: loaded.config.director } });
  const state = new StateDir(values['state-dir'] ?? '/var/lib/vigil');
  state.claim();
  const addresses = createLinuxAddressManager();
  const leftovers = await state.cleanLeftovers(addresses);
  if (leftovers.length) log.warn({ vips: leftovers.map((v) => `${v.address}/${v.prefixLength} dev ${v.ifname}`) }, 'removed VIPs left by a previous agent that did not stop cleanly');
  const announcer = createLinuxAnnouncer();
  const links = createLinuxLinkMonitor();
  const routes = createLinuxRouteManager();
  const agent = new Agent({
    sockets: linuxVrrpSockets,
    addresses,
    announcer,
    routes,
    links,
    clock: systemClock,
    hooks: processHookRunner,
    log: (level, message, fields) => log[level](fields ?? {}, message),
    onEvent: (e) => log.info({ event: e }, 'event'),
    recordVips: (v) => state.recordVips(v),
    onHeldVips: (v) => lb?.setHeldVips(v.map((x) => x.address)),
    ...(loaded.config.global.notifyFifo ? { fifo: fifoWriter(loaded.config.global.notifyFifo) } : {}),
  });
  if (dataPlane) {
    log.info({ backend: dataPlane.name, reason: dataPlane.reason }, 'load balancer data plane');
    for (const w of dataPlane.warnings) log.warn(w);
  }
  const lbHooks = new HookQueue(processHookRunner, (cmd, args, r) => {
    if (r.code !== 0) log.warn({ args }, `notify "${cmd}" ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.error}`}`);
  });
  let lb: LbRuntime | undefined = dataPlane
    ? new LbRuntime({
      dataPlane,
      health: new HealthWorker((m) => log.warn(m)),
      notify: lbHooks,
      log: (level, message, fields) => log[level](fields ?? {}, message),
      onEvent: (e) => log.info({ event: e }, 'event'),
      ...(loaded.config.global.scriptUser ? { scriptUser: loaded.config.global.scriptUser } : {}),
    })
    : undefined;
  const control = await serveControl(state.socketPath, async ({ command, args }) => {
    if (command === 'status') return { ...agent.status(), director: loaded.config.director, ...(lb && dataPlane ? { loadBalancer: await lbStatus(lb, dataPlane) } : {}) };
    if (command === 'drain') return drainCommand(lb, args);
    throw new Error(`unknown command "${command}"`);
  });
  try {
    if (lb) await lb.start(loaded.config);
    await agent.start(loaded.config);
  } catch (e) {
    log.error({ err: (e as Error).message }, 'start failed');
    await agent.stop();
    await lb?.stop();
    control.close();
    state.release();
    return 1;
  }
  const metricsServer = metricsAt
    ? await serveMetrics(metricsAt, async () => {
      await lb?.refreshTable();
      return renderMetrics(agent.status(), lb ? { realServers: lb.status(), table: lb.table() } : undefined);
    }).catch((e: Error) => {
      log.error({ err: e.message }, `metrics listener on ${values['metrics-listen']} failed; running without it`);
      return undefined;
    })
    : undefined;
  log.info({ instances: [...agent.instances.keys()] }, 'agent running');
  let busy: Promise<unknown> = Promise.resolve();
  process.on('SIGHUP', () => {
    busy = busy.then(async () => {
      const next = loadKeepalived(file, values.director);
      if (!next.ok) {
        log.error({ diagnostics: next.report }, 'reload rejected: the running config stays');
        return;
      }
      const d = await agent.reload(next.config);
      if (lb) await lb.reload(next.config);
      else if (next.config.virtualServers.length > 0) log.warn('virtual_servers appeared on reload: restart the agent to start load balancing');
      log.info(d, 'reloaded');
    });
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await busy;
  await agent.stop();
  await lb?.stop();
  lb = undefined;
  await lbHooks.drain();
  metricsServer?.close();
  control.close();
  addresses.close();
  announcer.close();
  routes.close();
  links.close();
  state.release();
  log.info('agent stopped');
  // Whatever handle is still open (a hook still running, a watcher) must not keep a stopped agent alive.
  setTimeout(() => process.exit(0), 50).unref();
  return 0;
}
