import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedPort, httpServer, httpsServer, type TestServer } from '#test/support/probe-servers.ts';
import { runGenhash } from '../cli/genhash.ts';
import { genhash } from './genhash.ts';
import { probeHttpGet, probeSslGet } from './probes/http.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const page = '<html><body>status: ok</body></html>\n';
let http: TestServer;
let https: TestServer;
beforeAll(async () => {
  const answer = (req: string) => (req.startsWith('GET /missing') ? { status: 404, body: 'gone' } : { status: 200, body: page });
  http = await httpServer(answer);
  https = await httpsServer(answer);
});
afterAll(async () => Promise.all([http.close(), https.close()]));

/** Runs the CLI in-process, capturing stdout/stderr. */
async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await runGenhash(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('genhash', () => {
  it('prints the MD5 of the body over HTTP, the digest HTTP_GET then accepts', async () => {
    const r = await cli(['-s', '127.0.0.1', '-p', String(http.port), '-u', '/index.html']);
    expect(r).toEqual({ code: 0, stdout: `${md5(page)}\n`, stderr: '' });
    const check = await probeHttpGet({ type: 'HTTP_GET', urls: [{ path: '/index.html', digest: md5(page) }] }, { address: '127.0.0.1', port: http.port }, { timeoutMs: 1000, signal: new AbortController().signal });
    expect(check).toEqual({ ok: true });
  });

  it('over HTTPS (-S) with SNI (-I), virtualhost and protocol, long and attached options', async () => {
    const r = await cli(['--use-ssl', '-I', `--server=127.0.0.1`, `-p${https.port}`, '--url', '/', '-V', 'www.example', '-P', '1.1']);
    expect(r).toEqual({ code: 0, stdout: `${md5(page)}\n`, stderr: '' });
    expect(https.servernames.at(-1)).toBe('www.example');
    expect(https.received.at(-1)).toBe('GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example\r\n\r\n');
    const check = await probeSslGet({ type: 'SSL_GET', urls: [{ path: '/', digest: md5(page) }] }, { address: '127.0.0.1', port: https.port }, { timeoutMs: 1000, signal: new AbortController().signal });
    expect(check).toEqual({ ok: true });
  });

  it('hashes whatever the status (as keepalived\'s genhash); -v shows the header', async () => {
    const r = await cli(['-Sv', '-s', '127.0.0.1', '-p', String(https.port), '-u', '/missing']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('HTTP/1.1 404 X\n');
    expect(r.stdout).toContain('body: 4 bytes (Content-Length 4)');
    expect(r.stdout).toContain(`MD5SUM = ${md5('gone')}`);
  });

  it('exits 1 with the reason when the page cannot be fetched', async () => {
    const port = await closedPort();
    const r = await cli(['-s', '127.0.0.1', '-p', String(port), '-u', '/']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `vigil genhash: http://127.0.0.1:${port}/: connect ECONNREFUSED\n` });
    expect(await genhash({ server: '127.0.0.1', port, path: '/', timeoutMs: 500 })).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
  });

  it.each([
    [['-s', '127.0.0.1', '-p', '80'], 'missing -u URL'],
    [['-s', 'localhost', '-p', '80', '-u', '/'], 'server should be an IP address, not "localhost"'],
    [['-s', '127.0.0.1', '-p', '99999', '-u', '/'], 'invalid port number "99999" (1-65535)'],
    [['-s', '127.0.0.1', '-p', '80', '-u', 'index.html'], 'invalid url "index.html"'],
    [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-P', '2'], 'invalid HTTP protocol version "2"'],
    [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-t', 'soon'], 'invalid timeout "soon"'],
    [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-x'], 'unknown option "-x"'],
    [['-s', '127.0.0.1', '-p', '80', '-u', '/', '--bogus'], 'unknown option "--bogus"'],
    [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-m', '5'], '--fwmark is not supported'],
    [['-s', '127.0.0.1', '-p', '80', '-u', '/', 'extra'], 'unexpected argument "extra"'],
    [['-s'], 'option -s needs a value'],
    [['--use-ssl=yes'], 'option --use-ssl takes no value'],
  ])('usage error %j -> exit 2', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`vigil genhash: ${message}`);
    expect(r.stderr).toContain('usage: vigil genhash');
  });

  it('is a `vigil` subcommand', async () => {
    const bin = fileURLToPath(new URL('../../bin/vigil.mjs', import.meta.url));
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
      });
    expect(await run(['genhash', '-s', '127.0.0.1', '-p', String(http.port), '-u', '/'])).toEqual({ code: 0, stdout: `${md5(page)}\n`, stderr: '' });
    const bad = await run(['genhash', '--nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option "--nope"');
  }, 30_000);
});
