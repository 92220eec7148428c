import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpGetCheck, SslGetCheck } from '#schema';
import { closedPort, httpServer, httpsServer, tcpServer, type HttpAnswer, type TestServer } from '#test/support/probe-servers.ts';
import { probeHttpGet, probeSslGet, withVirtualhost } from './http.ts';

const opts = { timeoutMs: 1000, signal: new AbortController().signal };
const servers: TestServer[] = [];
afterEach(async () => Promise.all(servers.splice(0).map((s) => s.close())));
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

async function serve(answer: (req: string) => HttpAnswer | 'silent', tls = false) {
  const s = tls ? await httpsServer(answer) : await httpServer(answer);
  servers.push(s);
  return s;
}
const get = (urls: HttpGetCheck['urls'], extra: Partial<HttpGetCheck> = {}): HttpGetCheck => ({ type: 'HTTP_GET', urls, ...extra });
const target = (s: TestServer) => ({ address: '127.0.0.1', port: s.port });

describe('HTTP_GET on loopback', () => {
  it('is up on 200 and sends keepalived\'s request', async () => {
    const s = await serve(() => ({ status: 200, body: 'hello' }));
    expect(await probeHttpGet(get([{ path: '/health' }]), target(s), opts)).toEqual({ ok: true });
    expect(s.received[0]).toBe(`GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
  });

  it('fails on a status outside the default 200-299', async () => {
    const s = await serve(() => ({ status: 503 }));
    expect(await probeHttpGet(get([{ path: '/' }]), target(s), opts)).toEqual({ ok: false, reason: 'status 503 not in 200-299' });
  });

  it('accepts configured codes and ranges, and never follows a redirect', async () => {
    const s = await serve(() => ({ status: 302, headers: { Location: 'http://127.0.0.1:1/' } }));
    expect(await probeHttpGet(get([{ path: '/', statusCodes: [200, { from: 301, to: 302 }] }]), target(s), opts)).toEqual({ ok: true });
    expect(await probeHttpGet(get([{ path: '/' }]), target(s), opts)).toEqual({ ok: false, reason: 'status 302 not in 200-299' });
    expect(s.connections).toBe(2);
  });

  it('checks the MD5 digest of the body', async () => {
    const s = await serve(() => ({ status: 200, body: 'expected body' }));
    expect(await probeHttpGet(get([{ path: '/', digest: md5('expected body') }]), target(s), opts)).toEqual({ ok: true });
    expect(await probeHttpGet(get([{ path: '/', digest: md5('other body').toUpperCase() }]), target(s), opts)).toEqual({ ok: false, reason: 'digest mismatch' });
  });

  it('hashes the raw body up to Content-Length, not de-chunked (as keepalived\'s genhash)', async () => {
    const chunked = '5\r\nhello\r\n0\r\n\r\n';
    const s = await serve(() => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`);
    expect(await probeHttpGet(get([{ path: '/', digest: md5(chunked) }]), target(s), opts)).toEqual({ ok: true });
    const t = await serve(() => 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef');
    expect(await probeHttpGet(get([{ path: '/', digest: md5('abc') }]), target(t), opts)).toEqual({ ok: true });
  });

  it('checks regex, regex_no_match and offsets', async () => {
    const s = await serve(() => ({ status: 200, body: 'state=RUNNING; load=3' }));
    const url = (extra: object) => get([{ path: '/', regex: 'RUNNING', ...extra }]);
    expect(await probeHttpGet(url({}), target(s), opts)).toEqual({ ok: true });
    expect(await probeHttpGet(get([{ path: '/', regex: 'STOPPED' }]), target(s), opts)).toEqual({ ok: false, reason: 'regex mismatch' });
    expect(await probeHttpGet(url({ regexNoMatch: true }), target(s), opts)).toEqual({ ok: false, reason: 'regex matched (regex_no_match)' });
    expect(await probeHttpGet(url({ regexMaxOffset: 3 }), target(s), opts)).toEqual({ ok: false, reason: 'regex mismatch' });
    expect(await probeHttpGet(get([{ path: '/', regex: 'running', regexOptions: ['caseless'] }]), target(s), opts)).toEqual({ ok: true });
  });

  it('uses the virtualhost (url over checker over real server) and HTTP/1.1', async () => {
    const s = await serve(() => ({ status: 200 }));
    const checker = withVirtualhost(get([{ path: '/a' }, { path: '/b', virtualhost: 'b.example' }], { httpProtocol: '1.1' }), { virtualhost: 'rs.example' });
    expect(await probeHttpGet(checker, target(s), opts)).toEqual({ ok: true });
    expect(s.received[0]).toBe('GET /a HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: rs.example\r\n\r\n');
    expect(s.received[1]).toContain('Host: b.example\r\n');
  });

  it('fails the check when any url fails, naming it', async () => {
    const s = await serve((req) => (req.startsWith('GET /bad') ? { status: 500 } : { status: 200 }));
    expect(await probeHttpGet(get([{ path: '/ok' }, { path: '/bad' }]), target(s), opts)).toEqual({ ok: false, reason: 'url 2 /bad: status 500 not in 200-299' });
  });

  it('fails on refused connections, silent servers, and non-HTTP answers', async () => {
    expect(await probeHttpGet(get([{ path: '/' }]), { address: '127.0.0.1', port: await closedPort() }, opts)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
    const silent = await serve(() => 'silent');
    const t0 = Date.now();
    expect(await probeHttpGet(get([{ path: '/' }]), target(silent), { ...opts, timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout after 300 ms waiting for the response' });
    expect(Date.now() - t0).toBeLessThan(1000);
    const closer = await serve(() => '');
    expect(await probeHttpGet(get([{ path: '/' }]), target(closer), opts)).toEqual({ ok: false, reason: 'no data received' });
    const junk = await serve(() => 'SSH-2.0-OpenSSH_9.2\r\n');
    expect(await probeHttpGet(get([{ path: '/' }]), target(junk), opts)).toEqual({ ok: false, reason: 'no complete HTTP response header' });
  });

  it('times out a server that sends the header and stalls mid-body', async () => {
    const s = await serve(() => ({ status: 200, body: 'x', headers: { 'Content-Length': '100' }, close: false }));
    expect(await probeHttpGet(get([{ path: '/' }]), target(s), { ...opts, timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout after 300 ms reading the response' });
  });

  it('fails an url whose regex cannot run here, without connecting', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    const r = await probeHttpGet(get([{ path: '/', regex: 'x', regexOptions: ['ungreedy'] }]), target(s), opts);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/regex_options "ungreedy"/) });
    expect(s.connections).toBe(0);
  });
});

describe('SSL_GET on loopback', () => {
  const ssl = (urls: SslGetCheck['urls'], extra: Partial<SslGetCheck> = {}): SslGetCheck => ({ type: 'SSL_GET', urls, ...extra });

  it('is up over TLS with a self-signed certificate, without SNI by default', async () => {
    const s = await serve(() => ({ status: 200, body: 'secure' }), true);
    expect(await probeSslGet(ssl([{ path: '/', digest: md5('secure') }], { virtualhost: 'www.example' }), target(s), opts)).toEqual({ ok: true });
    expect(s.servernames).toEqual([undefined]);
  });

  it('sends SNI with enable_sni: sni_name, else the virtualhost', async () => {
    const s = await serve(() => ({ status: 200 }), true);
    await probeSslGet(ssl([{ path: '/' }], { enableSni: true, virtualhost: 'vh.example' }), target(s), opts);
    await probeSslGet(ssl([{ path: '/' }], { enableSni: true, virtualhost: 'vh.example', sniName: 'sni.example' }), target(s), opts);
    await probeSslGet(ssl([{ path: '/' }], { enableSni: true, tlsCompliant: true, urls: [{ path: '/', virtualhost: 'url.example' }] }), target(s), opts);
    // An IP address is never sent as SNI (RFC 6066 §3).
    await probeSslGet(ssl([{ path: '/' }], { enableSni: true, virtualhost: '127.0.0.1' }), target(s), opts);
    expect(s.servernames).toEqual(['vh.example', 'sni.example', 'url.example', undefined]);
  });

  it('fails on status, digest, and a server that is not TLS', async () => {
    const s = await serve(() => ({ status: 404, body: 'nope' }), true);
    expect(await probeSslGet(ssl([{ path: '/' }]), target(s), opts)).toEqual({ ok: false, reason: 'status 404 not in 200-299' });
    expect(await probeSslGet(ssl([{ path: '/', statusCodes: [404], digest: md5('yes') }]), target(s), opts)).toEqual({ ok: false, reason: 'digest mismatch' });
    // A plain-HTTP server answering the ClientHello with an HTTP error, as real ones do.
    const plain = await tcpServer((sock) => sock.once('data', () => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    servers.push(plain);
    expect(await probeSslGet(ssl([{ path: '/' }]), target(plain), opts)).toMatchObject({ ok: false, reason: expect.stringMatching(/^TLS handshake/) });
  });

  it('times out a TCP server that never speaks TLS', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    expect(await probeSslGet(ssl([{ path: '/' }]), target(s), { ...opts, timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout after 300 ms in TLS handshake' });
  });
});
