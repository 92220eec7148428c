/**
 * What every command that talks to the control plane shares: the connection flags, the client
 * built from them, and the one place errors become messages and exit codes.
 */
import { bool, parseArgs, str, type OptionSpecs, type Parsed } from './args.ts';
import { ApiClient } from './client.ts';
import { resolveSettings } from './config.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { Http } from './http.ts';
import { formatOf } from './output.ts';

export const CONNECTION_OPTIONS: OptionSpecs = {
  api: { value: true },
  token: { value: true },
  'token-file': { value: true },
  ca: { value: true },
  output: { value: true, short: 'o' },
  help: { short: 'h' },
};

export const CONNECTION_HELP = `connection (flags, else VIGIL_API / VIGIL_TOKEN / VIGIL_CA, else ~/.config/vigil/config):
  --api URL           the control plane, e.g. http://localhost:8080
  --token TOKEN       an API token (shows in "ps": prefer VIGIL_TOKEN, --token-file or the config file)
  --token-file FILE   read the token from FILE
  --ca FILE           the control plane's CA or self-signed certificate (PEM)
  -o, --output FMT    table (default) or json
exit codes: 0 ok, 1 invalid input (nothing changed), 2 usage, 3 not found, 4 not allowed,
            5 conflict (state moved, name taken), 6 control plane unreachable or failing
`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Aborted by SIGINT/SIGTERM: `--follow` ends cleanly. */
  signal: AbortSignal;
  /** Reads all of stdin (for secrets given with "-"). */
  stdin(): Promise<string>;
}

export function processIo(): Io {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    signal: ac.signal,
    stdin: async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of process.stdin) {
        size += (c as Buffer).length;
        if (size > 64 * 1024) throw new UsageError('stdin: more than 64 KiB');
        chunks.push(c as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export interface Ctx {
  args: Parsed;
  io: Io;
  format: string;
  client(): ApiClient;
}

export function makeCtx(argv: string[], options: OptionSpecs, command: string, io: Io, formats: readonly string[] | null = ['table', 'json']): Ctx {
  const args = parseArgs(argv, { ...CONNECTION_OPTIONS, ...options }, command);
  // null: -o is not a format for this command (export: -o FILE).
  const format = formats ? formatOf(str(args, 'output'), formats) : '';
  let client: ApiClient | undefined;
  return {
    args,
    io,
    format,
    client: () => {
      client ??= new ApiClient(new Http(resolveSettings({ api: str(args, 'api'), token: str(args, 'token'), tokenFile: str(args, 'token-file'), ca: str(args, 'ca') }, io.env)));
      return client;
    },
  };
}

/** Runs a command body: usage errors print the usage (exit 2), CliErrors their message and code. */
export async function run(io: Io, usage: string, argv: string[], body: () => Promise<number>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(usage);
    return EXIT.OK;
  }
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${usage}`);
      return EXIT.USAGE;
    }
    if (e instanceof CliError) {
      io.err(`vigil: ${e.message}\n`);
      const details = e.details as { hint?: unknown; issues?: unknown } | undefined;
      if (details && typeof details.hint === 'string') io.err(`hint: ${details.hint}\n`);
      if (details && Array.isArray(details.issues)) {
        for (const i of details.issues.slice(0, 200) as Array<{ code?: unknown; path?: unknown; message?: unknown; hint?: unknown }>) {
          io.err(`  ${Array.isArray(i.path) ? i.path.join('.') : ''}: ${String(i.message)} [${String(i.code)}]${typeof i.hint === 'string' ? ` hint: ${i.hint}` : ''}\n`);
        }
      }
      return e.exitCode;
    }
    throw e;
  }
}

export const wantsHelp = (args: Parsed) => bool(args, 'help');
