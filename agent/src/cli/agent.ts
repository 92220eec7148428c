/**
 * `vigil agent --keepalived FILE [--state-dir DIR] [--director NAME]`: the standalone agent.
 * Reads a keepalived.conf (errors are printed like `vigil check`, exit 1), removes VIPs a
 * crashed predecessor left behind, runs every instance, and answers `vigil status` on the
 * control socket. SIGHUP reloads the file as a diff; SIGTERM/SIGINT leave gracefully.
 */
import { parseArgs } from 'node:util';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { convertToSpec } from '../keepalived/convert.ts';
import { formatDiagnostic, hasErrors, mergeDiagnostics } from '../keepalived/diagnostics.ts';
import { parseKeepalivedConf } from '../keepalived/parser.ts';
import { DirectorHost } from '../host/director-host.ts';
import { linuxHostPorts } from '../host/linux.ts';
import { jsonLog } from '../host/log.ts';
import { startHeapGc } from '../os/heap-gc.ts';
import { nativeIfBuilt, startMallocTrim } from '../os/malloc-trim.ts';

const USAGE = `usage: vigil agent --keepalived FILE [--config-id ID] [--state-dir DIR] [--director NAME] [--lb-backend auto|ipvs|nftables]
       vigil agent --config FILE [--state-dir DIR]     (managed by a control plane)

  --keepalived FILE  run standalone from a keepalived.conf (SIGHUP reloads it)
  --config-id ID, -i ID  keepalived's -i: which "@ID" conditional lines of FILE apply
                     (default: the host name up to its first dot)
  --state-dir DIR    pid file, control socket, VIP record (default /var/lib/vigil)
  --director NAME    this director's name (default: router_id, else the host name)
  --metrics-listen ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics
  --keepalived-metrics on|off  also export the keepalived exporters' metric names (mehdy's and
                     gen2brain's keepalived_*), so existing dashboards work (default on)
  --lb-backend MODE  what programs virtual_servers: ipvs, nftables, or auto (IPVS when the
                     kernel has it, else nftables; default)
`;

/** Where scripts and hooks are looked up when the agent runs without a PATH (systemd gives one). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Loaded = { ok: true; config: ResolvedDirectorConfig } | { ok: false; report: string };

/** keepalived.conf → this director's effective config, or every diagnostic as text. */
export function loadKeepalived(file: string, director?: string, configId?: string): Loaded {
  const parsed = parseKeepalivedConf({ path: file }, configId !== undefined ? { configId } : {});
  if (parsed.files.length === 0) return { ok: false, report: parsed.diagnostics.map(formatDiagnostic).join('\n') };
  const converted = convertToSpec(parsed.tree, { file, ...(director ? { director } : {}) });
  const diagnostics = mergeDiagnostics(parsed.diagnostics, converted.diagnostics);
  if (hasErrors(diagnostics) || !converted.validSpec) {
    return { ok: false, report: diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n') || `${file}: invalid` };
  }
  return { ok: true, config: resolveDirectorConfig(converted.validSpec, converted.director) };
}

/** "ADDR:PORT" / "[v6]:PORT" -> listen options, or null when malformed. */
export function parseListen(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { host: m[1] ?? m[2]!, port } : null;
}

export async function runAgent(argv: string[]): Promise<number> {
  let values: { keepalived?: string; config?: string; 'config-id'?: string; 'state-dir'?: string; director?: string; 'lb-backend'?: string; 'metrics-listen'?: string; 'keepalived-metrics'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { keepalived: { type: 'string' }, config: { type: 'string' }, 'config-id': { type: 'string', short: 'i' }, 'state-dir': { type: 'string' }, director: { type: 'string' }, 'lb-backend': { type: 'string' }, 'metrics-listen': { type: 'string' }, 'keepalived-metrics': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`vigil agent: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.keepalived === !values.config) {
    process.stderr.write(`vigil agent: give either --keepalived FILE (standalone) or --config FILE (managed)\n\n${USAGE}`);
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
  if (values['config-id'] !== undefined && values.config) {
    process.stderr.write(`vigil agent: --config-id applies to --keepalived FILE only\n\n${USAGE}`);
    return 2;
  }
  const compat = values['keepalived-metrics'] ?? 'on';
  if (compat !== 'on' && compat !== 'off') {
    process.stderr.write(`vigil agent: --keepalived-metrics must be on or off, got "${compat}"\n\n${USAGE}`);
    return 2;
  }
  // Unset: agent.json decides (managed), else on.
  const keepalivedMetrics = values['keepalived-metrics'] === undefined ? undefined : compat === 'on';
  const stateDir = values['state-dir'] ?? '/var/lib/vigil';
  // Both modes run for months: garbage is collected even when V8 would not yet (os/heap-gc.ts),
  // and freed malloc memory goes back to the kernel (os/malloc-trim.ts).
  startHeapGc();
  startMallocTrim(await nativeIfBuilt());
  if (values.config) {
    // Loaded only when managed: a standalone agent's start does not pay for the control-plane client.
    const { runManaged } = await import('../managed/run.ts');
    return runManaged({ configFile: values.config, stateDir, lbMode, path: process.env.PATH ?? DEFAULT_PATH, ...(keepalivedMetrics !== undefined ? { keepalivedMetrics } : {}), ...(metricsAt ? { metricsAt } : {}) });
  }
  const file = values.keepalived!;
  const loaded = loadKeepalived(file, values.director, values['config-id']);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.report}\nvigil agent: ${file} is invalid; nothing was started\n`);
    return 1;
  }
  const hostLog = jsonLog({ component: 'agent', director: loaded.config.director });
  const host = await DirectorHost.open(linuxHostPorts({ stateDir, lbMode, log: hostLog, path: process.env.PATH ?? DEFAULT_PATH }), { stateDir, log: hostLog, keepalivedMetrics: keepalivedMetrics ?? true, ...(metricsAt ? { metricsAt } : {}) });
  const started = await host.apply(loaded.config);
  if (!started.ok) {
    process.stderr.write(`vigil agent: ${started.message}\nvigil agent: nothing was started\n`);
    await host.close();
    return 1;
  }
  let busy: Promise<unknown> = Promise.resolve();
  process.on('SIGHUP', () => {
    busy = busy.then(async () => {
      const next = loadKeepalived(file, values.director, values['config-id']);
      if (!next.ok) {
        hostLog('error', 'reload rejected: the running config stays', { diagnostics: next.report });
        return;
      }
      const r = await host.apply(next.config);
      if (!r.ok) hostLog('error', 'reload rejected: the running config stays', { err: r.message });
    });
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await busy;
  await host.close();
  hostLog('info', 'agent stopped');
  // Whatever handle is still open (a hook still running, a watcher) must not keep a stopped agent alive.
  setTimeout(() => process.exit(0), 50).unref();
  return 0;
}
