/**
 * `vigil` command dispatcher. Each subcommand lives in its own module and is loaded lazily, so
 * `vigil check` never pays for the control plane's imports and vice versa.
 */
type Command = (argv: string[]) => Promise<number>;

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
  'control-plane': {
    summary: 'run the API, dashboard and agent endpoints (embedded Postgres without --database-url)',
    load: async () => (await import('../../../control-plane/src/main.ts')).runControlPlane,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return `usage: vigil <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
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
  return (await command.load())(rest);
}
