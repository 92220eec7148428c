/**
 * `vigil genhash -s SERVER -p PORT -u URL [-S] [-I] [-V VHOST] [-P 1.0|1.0C|1.1] [-t SECONDS] [-v]`:
 * prints the MD5 of a page body for HTTP_GET/SSL_GET `digest`, with keepalived genhash's
 * options (short and long, getopt style: `-s ADDR`, `-sADDR`, `--server ADDR`, `--server=ADDR`,
 * clustered flags `-Sv`). Exit 0 with the hash on stdout, 1 when the page could not be fetched,
 * 2 on a usage error.
 */
import { isIP } from 'node:net';
import { genhash } from '../checks/genhash.ts';
import type { HttpProtocol } from '../checks/http-message.ts';

const USAGE = `usage: vigil genhash -s SERVER -p PORT -u URL [options]

Prints the MD5 of the body of http(s)://SERVER:PORT/URL, the value of an HTTP_GET/SSL_GET
url's "digest" (the same as keepalived's genhash).

  -s, --server ADDR           IP address of the server (required)
  -p, --port PORT             TCP port (required)
  -u, --url PATH              path to fetch, starting with "/" (required)
  -S, --use-ssl               use TLS (SSL_GET)
  -I, --use-sni               send SNI (the virtualhost) in the TLS handshake
  -V, --use-virtualhost HOST  Host header (default SERVER:PORT)
  -P, --protocol VERSION      HTTP version: 1.0 (default), 1.0C (1.0 + Connection: close) or 1.1
  -t, --timeout SECONDS       give up after this long (default 30)
  -v, --verbose               also print the request, the response header and the body length
  -h, --help                  this help
`;

const LONG: Record<string, string> = {
  server: 's', port: 'p', url: 'u', 'use-ssl': 'S', 'use-sni': 'I', 'use-virtualhost': 'V',
  protocol: 'P', timeout: 't', verbose: 'v', help: 'h', fwmark: 'm',
};
const TAKES_VALUE = new Set(['s', 'p', 'u', 'V', 'P', 't', 'm']);

class UsageError extends Error {}

interface Parsed {
  values: Map<string, string>;
  flags: Set<string>;
}

function parseArgs(argv: string[]): Parsed {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const take = (opt: string, shown: string, inline: string | undefined, next: () => string | undefined) => {
    if (!TAKES_VALUE.has(opt)) {
      if (inline !== undefined) throw new UsageError(`option ${shown} takes no value`);
      flags.add(opt);
      return;
    }
    const v = inline ?? next();
    if (v === undefined) throw new UsageError(`option ${shown} needs a value`);
    values.set(opt, v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const opt = LONG[name];
      if (!opt) throw new UsageError(`unknown option "--${name}"`);
      take(opt, `--${name}`, inline, next);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const opt = a[j]!;
        if (!Object.values(LONG).includes(opt)) throw new UsageError(`unknown option "-${opt}"`);
        if (TAKES_VALUE.has(opt)) {
          take(opt, `-${opt}`, j + 1 < a.length ? a.slice(j + 1) : undefined, next);
          break;
        }
        take(opt, `-${opt}`, undefined, next);
      }
    } else {
      throw new UsageError(`unexpected argument "${a}"`);
    }
  }
  return { values, flags };
}

interface GenhashArgs {
  server: string;
  port: number;
  path: string;
  ssl: boolean;
  sni: boolean;
  verbose: boolean;
  virtualhost?: string;
  protocol: HttpProtocol;
  timeoutMs: number;
}

function validate(p: Parsed): GenhashArgs {
  const missing = [['s', '-s SERVER'], ['p', '-p PORT'], ['u', '-u URL']].filter(([o]) => !p.values.has(o!)).map(([, m]) => m);
  if (missing.length) throw new UsageError(`missing ${missing.join(', ')}`);
  const server = p.values.get('s')!;
  if (!isIP(server)) throw new UsageError(`server should be an IP address, not "${server}"`);
  const portText = p.values.get('p')!;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`invalid port number "${portText}" (1-65535)`);
  const path = p.values.get('u')!;
  if (!path.startsWith('/') || /\s/.test(path)) throw new UsageError(`invalid url "${path}": a path starts with "/" and has no spaces`);
  const proto = (p.values.get('P') ?? '1.0').toUpperCase();
  if (proto !== '1.0' && proto !== '1.0C' && proto !== '1.1') throw new UsageError(`invalid HTTP protocol version "${p.values.get('P')}" (1.0, 1.0C or 1.1)`);
  const timeoutText = p.values.get('t') ?? '30';
  const timeout = Number(timeoutText);
  if (!/^\d+(\.\d+)?$/.test(timeoutText) || timeout <= 0) throw new UsageError(`invalid timeout "${timeoutText}" (seconds, > 0)`);
  if (p.values.has('m')) throw new UsageError('--fwmark is not supported by vigil genhash (Node cannot set SO_MARK on a TCP socket)');
  if (p.flags.has('I') && !p.flags.has('S')) throw new UsageError('-I (SNI) needs -S (SSL)');
  const virtualhost = p.values.get('V');
  return {
    server, port, path, protocol: proto, timeoutMs: Math.round(timeout * 1000),
    ssl: p.flags.has('S'), sni: p.flags.has('I'), verbose: p.flags.has('v'),
    ...(virtualhost !== undefined ? { virtualhost } : {}),
  };
}

/**
 * Runs `vigil genhash` and returns the exit code.
 *
 * @example
 * process.exitCode = await runGenhash(['-s', '192.0.2.10', '-p', '80', '-u', '/health']);
 */
export async function runGenhash(argv: string[]): Promise<number> {
  let args: GenhashArgs;
  try {
    const parsed = parseArgs(argv);
    if (parsed.flags.has('h')) {
      process.stdout.write(USAGE);
      return 0;
    }
    args = validate(parsed);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`vigil genhash: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const r = await genhash(args);
  if (!r.ok) {
    process.stderr.write(`vigil genhash: ${args.ssl ? 'https' : 'http'}://${args.server}:${args.port}${args.path}: ${r.reason}\n`);
    return 1;
  }
  if (args.verbose) {
    const res = r.response;
    process.stdout.write(
      `${args.ssl ? 'https' : 'http'}://${args.server}:${args.port}${args.path}\n` +
        `----- HTTP header -----\n${res.header.replace(/\r\n/g, '\n')}` +
        `----- body: ${res.bodyBytes} bytes${res.contentLength !== undefined ? ` (Content-Length ${res.contentLength})` : ''} -----\n` +
        `MD5SUM = ${r.md5}\n`,
    );
  } else {
    process.stdout.write(`${r.md5}\n`);
  }
  return 0;
}
