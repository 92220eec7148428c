/**
 * `vigil agent --keepalived FILE [--state-dir DIR] [--director NAME]`: the standalone agent.
 * Reads a keepalived.conf (errors are printed like `vigil check`, exit 1), removes VIPs a
 * crashed predecessor left behind, runs every instance, and answers `vigil status` on the
 * control socket. SIGHUP reloads the file as a diff; SIGTERM/SIGINT leave gracefully.
 */
import { closeSync, constants, openSync, statSync, writeSync, appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
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

const USAGE = `usage: vigil agent --keepalived FILE [--state-dir DIR] [--director NAME]
       vigil agent --config FILE [--state-dir DIR]     (managed by a control plane)

  --keepalived FILE  run standalone from a keepalived.conf (SIGHUP reloads it)
  --state-dir DIR    pid file, control socket, VIP record (default /var/lib/vigil)
  --director NAME    this director's name (default: router_id, else the host name)
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

export async function runAgent(argv: string[]): Promise<number> {
  let values: { keepalived?: string; config?: string; 'state-dir'?: string; director?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { keepalived: { type: 'string' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, director: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
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
  const file = values.keepalived;
  const loaded = loadKeepalived(file, values.director);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.report}\nvigil agent: ${file} is invalid; nothing was started\n`);
    return 1;
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
    ...(loaded.config.global.notifyFifo ? { fifo: fifoWriter(loaded.config.global.notifyFifo) } : {}),
  });
  const control = await serveControl(state.socketPath, ({ command }) => {
    if (command === 'status') return { ...agent.status(), director: loaded.config.director };
    throw new Error(`unknown command "${command}"`);
  });
  try {
    await agent.start(loaded.config);
  } catch (e) {
    log.error({ err: (e as Error).message }, 'start failed');
    await agent.stop();
    control.close();
    state.release();
    return 1;
  }
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
      log.info(d, 'reloaded');
    });
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await busy;
  await agent.stop();
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
