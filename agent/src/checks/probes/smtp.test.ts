import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, tcpServer, type TestServer } from '#test/support/probe-servers.ts';
import { DEFAULT_HELO_NAME, probeSmtp } from './smtp.ts';

const opts = { timeoutMs: 1000, signal: new AbortController().signal };
const servers: TestServer[] = [];
afterEach(async () => Promise.all(servers.splice(0).map((s) => s.close())));

/** A scripted SMTP server: `greeting` on connect, then `onLine(line)` answers per line. */
async function smtp(greeting: string | undefined, onLine: (line: string, sock: Socket) => void) {
  const s = await tcpServer((sock, t) => {
    if (greeting !== undefined) sock.write(greeting);
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\r\n'); nl >= 0; nl = buf.indexOf('\r\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        t.received.push(line);
        onLine(line, sock);
      }
    });
  });
  servers.push(s);
  return { s, target: { address: '127.0.0.1', port: s.port } };
}

const polite = (line: string, sock: Socket) => {
  if (line.startsWith('HELO')) sock.write('250 mail.example Hello\r\n');
  if (line === 'QUIT') sock.end('221 Bye\r\n');
};

describe('SMTP_CHECK on loopback', () => {
  it('is up after 220, HELO/250, QUIT/221, with keepalived\'s default HELO name', async () => {
    const { s, target } = await smtp('220 mail.example ESMTP\r\n', polite);
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, target, opts)).toEqual({ ok: true });
    expect(s.received).toEqual([`HELO ${DEFAULT_HELO_NAME}`, 'QUIT']);
  });

  it('sends helo_name and reads multi-line replies to their end', async () => {
    const { s, target } = await smtp('220-mail.example ESMTP\r\n220-second line\r\n220 ready\r\n', (line, sock) => {
      if (line.startsWith('HELO')) sock.write('250-mail.example\r\n250 OK\r\n');
      if (line === 'QUIT') sock.end('221 Bye\r\n');
    });
    expect(await probeSmtp({ type: 'SMTP_CHECK', heloName: 'director1.example' }, target, opts)).toEqual({ ok: true });
    expect(s.received[0]).toBe('HELO director1.example');
  });

  it('fails on a bad banner', async () => {
    const { target } = await smtp('554 no service here\r\n', polite);
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, target, opts)).toEqual({ ok: false, reason: 'greeting 554 not 220' });
    const { target: t2 } = await smtp('SSH-2.0-OpenSSH_9.2\r\n', polite);
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, t2, opts)).toEqual({ ok: false, reason: 'greeting "SSH-2.0-OpenSSH_9.2" not 220' });
  });

  it('fails when HELO is refused', async () => {
    const { target } = await smtp('220 ok\r\n', (line, sock) => line.startsWith('HELO') && sock.write('501 Syntax\r\n'));
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, target, opts)).toEqual({ ok: false, reason: 'HELO reply 501 not 250' });
  });

  it('fails when the server closes instead of answering', async () => {
    const { target } = await smtp('220 ok\r\n', (line, sock) => line.startsWith('HELO') && sock.end());
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, target, opts)).toEqual({ ok: false, reason: 'connection closed by the server' });
  });

  it('times out against a server that accepts but never greets', async () => {
    const { target } = await smtp(undefined, () => undefined);
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, target, { ...opts, timeoutMs: 300 })).toEqual({ ok: false, reason: 'timeout after 300 ms waiting for the greeting' });
  });

  it('fails on a refused connection', async () => {
    expect(await probeSmtp({ type: 'SMTP_CHECK' }, { address: '127.0.0.1', port: await closedPort() }, opts)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
  });
});
