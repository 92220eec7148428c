/**
 * The `vigil` command as installed on a director by install.sh: the agent and its local tools
 * only (no control plane, no embedded database), bundled into one file with its dependencies.
 */
type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  agent: async () => (await import('./agent.ts')).runAgent,
  status: async () => (await import('./status.ts')).runStatus,
  drain: async () => (await import('./drain.ts')).runDrain,
  check: async () => (await import('./check.ts')).runCheck,
  genhash: async () => (await import('./genhash.ts')).runGenhash,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name === undefined ? undefined : commands[name];
  if (!load) {
    process.stderr.write(`usage: vigil <${Object.keys(commands).join('|')}> [options]   (director install; the control plane is not part of it)\n`);
    return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
  }
  return (await load())(rest);
}

process.exitCode = await main(process.argv.slice(2));
