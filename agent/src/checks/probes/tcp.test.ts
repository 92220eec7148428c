import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, tcpServer, type TestServer } from '#test/support/probe-servers.ts';
import { probeTcp } from './tcp.ts';

const opts = { timeoutMs: 1000, signal: new AbortController().signal };
const servers: TestServer[] = [];
afterEach(async () => Promise.all(servers.splice(0).map((s) => s.close())));

describe('TCP_CHECK on loopback', () => {
  it('is up when the connection completes, and closes it', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    expect(await probeTcp({ type: 'TCP_CHECK' }, { address: '127.0.0.1', port: s.port }, opts)).toEqual({ ok: true });
    expect(s.connections).toBe(1);
  });

  it('uses connect_ip/connect_port over the real server address', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    const r = await probeTcp({ type: 'TCP_CHECK', connectIp: '127.0.0.1', connectPort: s.port }, { address: '192.0.2.1', port: 1 }, opts);
    expect(r).toEqual({ ok: true });
  });

  it('binds to bindto/bind_port', async () => {
    let peer = '';
    const s = await tcpServer((sock) => (peer = `${sock.remoteAddress}:${sock.remotePort}`));
    servers.push(s);
    const bindPort = await closedPort();
    const r = await probeTcp({ type: 'TCP_CHECK', bindTo: '127.0.0.2', bindPort }, { address: '127.0.0.1', port: s.port }, opts);
    expect(r).toEqual({ ok: true });
    await new Promise((res) => setTimeout(res, 20));
    expect(peer).toBe(`127.0.0.2:${bindPort}`);
  });

  it('fails with "connect ECONNREFUSED" on a closed port', async () => {
    expect(await probeTcp({ type: 'TCP_CHECK' }, { address: '127.0.0.1', port: await closedPort() }, opts)).toEqual({
      ok: false,
      reason: 'connect ECONNREFUSED',
    });
  });

  it('fails with "aborted" when the caller aborts', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await probeTcp({ type: 'TCP_CHECK' }, { address: '127.0.0.1', port: 1 }, { timeoutMs: 1000, signal: ac.signal })).toEqual({ ok: false, reason: 'aborted' });
  });
});
