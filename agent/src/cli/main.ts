/**
 * `vigil` command dispatcher. Each subcommand lives in its own module and is loaded lazily, so
 * `vigil check` never pays for the control plane's imports and vice versa.
 */
import type { Io } from './fleet/context.ts';

type Command = (argv: string[]) => Promise<number>;

/** Commands that take the process's stdio and signals as their `Io` (fleet, import, plan). */
const withIo = async <T extends (argv: string[], io: Io) => Promise<number>>(f: () => Promise<T>): Promise<Command> => {
  const [run, { processIo }] = await Promise.all([f(), import('./fleet/context.ts')]);
  return (argv) => run(argv, processIo());
};

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  check: {
    summary: 'validate a keepalived.conf: every problem with file:line:col and a hint (exit 0 valid, 1 invalid)',
    load: async () => (await import('./check.ts')).runCheck,
  },
  agent: {
    summary: 'run the agent: standalone from a keepalived.conf (--keepalived FILE)',
    load: async () => (await import('./agent.ts')).runAgent,
  },
  genhash: {
    summary: 'print the MD5 of a web page body, for an HTTP_GET/SSL_GET digest (keepalived genhash options)',
    load: async () => (await import('./genhash.ts')).runGenhash,
  },
  drain: {
    summary: 'drain a real server (weight 0: no new connections, established ones finish); --undo restores it',
    load: async () => (await import('./drain.ts')).runDrain,
  },
  status: {
    summary: 'what the local agent is doing: instances, states, priorities, VIPs, counters, real servers',
    load: async () => (await import('./status.ts')).runStatus,
  },
  import: {
    summary: 'keepalived.conf of each director (or ldirectord.cf + haresources) -> one cluster spec, stored or printed',
    load: () => withIo(async () => (await import('./import/command.ts')).runImport),
  },
  export: {
    summary: 'the keepalived.conf a director runs, from the control plane (or a spec file)',
    load: () => withIo(async () => (await import('./export/command.ts')).runExport),
  },
  plan: {
    summary: 'diff a spec against a cluster and predict every election (who is master now and after)',
    load: () => withIo(async () => (await import('./plan/command.ts')).runPlan),
  },
  apply: {
    summary: 'store a spec as the cluster\'s next revision (--if-revision N: only if still at N)',
    load: () => withIo(async () => (await import('./plan/command.ts')).runApply),
  },
  sites: { summary: 'list, create or delete sites', load: () => withIo(async () => (await import('./fleet/resources.ts')).runSites) },
  clusters: { summary: 'list, create or delete clusters', load: () => withIo(async () => (await import('./fleet/resources.ts')).runClusters) },
  directors: { summary: 'list, create, delete directors of a cluster, reset a credential', load: () => withIo(async () => (await import('./fleet/resources.ts')).runDirectors) },
  fleet: { summary: 'every cluster: directors, drift, masters, split brain', load: () => withIo(async () => (await import('./fleet/observe.ts')).runFleet) },
  failovers: { summary: 'failovers with their gap (--follow: as they happen)', load: () => withIo(async () => (await import('./fleet/observe.ts')).runFailovers) },
  events: { summary: 'the audit log (--follow: stream it)', load: () => withIo(async () => (await import('./fleet/observe.ts')).runEvents) },
  revisions: { summary: 'a cluster\'s spec revisions: list, show N, diff A B', load: () => withIo(async () => (await import('./fleet/resources.ts')).runRevisions) },
  rollback: { summary: 're-apply an old revision as a new one', load: () => withIo(async () => (await import('./fleet/resources.ts')).runRollback) },
  maintenance: { summary: 'take a director out of (or back into) every instance', load: () => withIo(async () => (await import('./fleet/resources.ts')).runMaintenance) },
  'move-master': { summary: 'move mastership of an instance to a director (or --release)', load: () => withIo(async () => (await import('./fleet/resources.ts')).runMoveMaster) },
  tokens: { summary: 'API tokens: list, create, revoke', load: () => withIo(async () => (await import('./fleet/resources.ts')).runTokens) },
  'enroll-token': { summary: 'mint an enrollment token and print the install command for a director', load: () => withIo(async () => (await import('./fleet/resources.ts')).runEnrollToken) },
  lab: { summary: 'the seed articles\' demo on this machine (root): up, status, failover, down', load: () => withIo(async () => (await import('./lab/command.ts')).runLab) },
  config: { summary: 'the CLI\'s settings: control plane URL, token, CA (~/.config/vigil/config)', load: () => withIo(async () => (await import('./fleet/config-command.ts')).runConfig) },
  'control-plane': {
    summary: 'run the API, dashboard and agent endpoints (embedded Postgres without --database-url)',
    load: async () => {
      const [{ runControlPlane }, { startHeapGc }] = await Promise.all([import('../../../control-plane/src/main.ts'), import('../os/heap-gc.ts')]);
      return (argv: string[]) => {
        // It runs for months, mostly lightly loaded: garbage is collected even when V8 would
        // not yet (os/heap-gc.ts), as in the agent.
        startHeapGc();
        return runControlPlane(argv);
      };
    },
  },
};

/** Whether `name` is a `vigil` command (the code cache keeps one cache per command: compiled.mjs). */
export const isCommand = (name: string): boolean => Object.hasOwn(commands, name);

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return `usage: vigil <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

/**
 * zod compiles an object schema into a parser function the first time it parses with it: worth it
 * in the control plane, which parses the same schemas all day; a loss of ~15 ms in a command that
 * parses one file and exits (and in the agent's start). The switch is zod's `z.config({ jitless:
 * true })`, set here through the global it reads when it loads (`__zod_globalConfig`), so that a
 * command that never parses does not load zod to turn it off.
 */
export function zodWithoutJit(): void {
  const g = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
  g.__zod_globalConfig ??= {};
  g.__zod_globalConfig.jitless = true;
}

/** Runs one `vigil` invocation and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`vigil: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (name !== 'control-plane') zodWithoutJit();
  return (await command.load())(rest);
}
