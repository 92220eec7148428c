/**
 * Real-server probes between two hosts of a namespace lab (root): PING_CHECK through both ICMP
 * sockets, and the failures that need a real network rather than loopback (a host that does not
 * answer, ICMP from another host). The other probes' success and failure modes are proven on
 * loopback in agent/src/checks/probes/*.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checker } from '#schema';
import { requireCapabilities } from '#test/support/capabilities.ts';
import { createLab, type NetnsLab, type RpcChild } from '#test/support/netns.ts';

const enabled = requireCapabilities('checks-probes (health probes in netns)', ['root', 'netns']);

describe.skipIf(!enabled)('health probes between namespaces', () => {
  let lab: NetnsLab;
  let prober: RpcChild;
  const h2 = () => lab.hosts[1]!;
  /** An address on the segment that no host has: nothing answers ARP for it. */
  const nobody = '192.0.2.99';
  const probe = (checker: Checker, address: string, port = 0, timeoutMs = 1000) => prober.call('probe', checker, { address, port }, timeoutMs);
  const sysctl = (ns: string, kv: string) => lab.exec(ns, 'sysctl', ['-qw', kv]);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    prober = await lab.serve(lab.hosts[0]!.ns, 'test/net/checks-child.ts');
  });
  afterAll(async () => lab?.destroy());

  describe('PING_CHECK', () => {
    it('uses a raw ICMP socket when ping_group_range excludes us (the namespace default "1 0")', async () => {
      await sysctl(lab.hosts[0]!.ns, 'net.ipv4.ping_group_range=1 0');
      expect(await prober.call('echoSocketKind', 4)).toBe('raw-socket');
      expect(await probe({ type: 'PING_CHECK' }, h2().ipv4)).toEqual({ ok: true });
      expect(await probe({ type: 'PING_CHECK' }, h2().ipv6)).toEqual({ ok: true });
    });

    it('uses an ICMP datagram socket when ping_group_range includes our gid', async () => {
      await sysctl(lab.hosts[0]!.ns, 'net.ipv4.ping_group_range=0 2147483647');
      expect(await prober.call('echoSocketKind', 4)).toBe('ping-socket');
      expect(await prober.call('echoSocketKind', 6)).toBe('ping-socket');
      expect(await probe({ type: 'PING_CHECK' }, h2().ipv4)).toEqual({ ok: true });
      expect(await probe({ type: 'PING_CHECK' }, h2().ipv6)).toEqual({ ok: true });
    });

    it('honours connect_ip, bindto and bind_if', async () => {
      const h1 = lab.hosts[0]!;
      expect(await probe({ type: 'PING_CHECK', connectIp: h2().ipv4 }, nobody)).toEqual({ ok: true });
      expect(await probe({ type: 'PING_CHECK', bindTo: h1.ipv4, bindIf: 'eth0' }, h2().ipv4)).toEqual({ ok: true });
      expect(await probe({ type: 'PING_CHECK', bindIf: 'nosuch0' }, h2().ipv4)).toEqual({ ok: false, reason: 'bind_if nosuch0: no such interface' });
    });

    for (const kind of ['ping-socket', 'raw-socket'] as const) {
      it(`times out on an address that does not answer (${kind})`, async () => {
        await sysctl(lab.hosts[0]!.ns, kind === 'ping-socket' ? 'net.ipv4.ping_group_range=0 2147483647' : 'net.ipv4.ping_group_range=1 0');
        expect(await probe({ type: 'PING_CHECK' }, nobody, 0, 500)).toEqual({ ok: false, reason: 'timeout after 500 ms waiting for the echo reply' });
      });

      it(`times out on a host that ignores echo requests (${kind})`, async () => {
        await sysctl(lab.hosts[0]!.ns, kind === 'ping-socket' ? 'net.ipv4.ping_group_range=0 2147483647' : 'net.ipv4.ping_group_range=1 0');
        await sysctl(h2().ns, 'net.ipv4.icmp_echo_ignore_all=1');
        try {
          expect(await probe({ type: 'PING_CHECK' }, h2().ipv4, 0, 500)).toEqual({ ok: false, reason: 'timeout after 500 ms waiting for the echo reply' });
        } finally {
          await sysctl(h2().ns, 'net.ipv4.icmp_echo_ignore_all=0');
        }
      });
    }
  });

  describe('fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE) on TCP, HTTP, SSL and UDP checkers', () => {
    // 198.51.100.2 is on h2 but routed only in table 100, which only marked packets use: a
    // probe reaches it (and h2 refuses the closed port) only when its socket carries the mark.
    beforeAll(async () => {
      const h1 = lab.hosts[0]!.ns;
      await lab.ip(h2().ns, 'addr', 'add', '198.51.100.2/32', 'dev', 'eth0');
      await lab.ip(h1, 'route', 'add', '198.51.100.2/32', 'dev', 'eth0', 'table', '100');
      await lab.ip(h1, 'rule', 'add', 'fwmark', '0x42', 'lookup', '100');
      await lab.ip(h1, 'link', 'add', 'side0', 'type', 'veth', 'peer', 'name', 'side1');
      await lab.ip(h1, 'link', 'set', 'side0', 'up');
      await lab.ip(h1, 'link', 'set', 'side1', 'up');
    });

    it('fwmark: without it there is no route; with it the probe reaches the host', async () => {
      const far = '198.51.100.2';
      expect(await probe({ type: 'TCP_CHECK' }, far, 80)).toEqual({ ok: false, reason: 'connect ENETUNREACH' });
      expect(await probe({ type: 'TCP_CHECK', fwmark: 0x42 }, far, 80)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
      expect(await probe({ type: 'HTTP_GET', fwmark: 0x42, urls: [{ path: '/' }] }, far, 80)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
      expect(await probe({ type: 'SSL_GET', fwmark: 0x42, urls: [{ path: '/' }] }, far, 443)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
      expect(await probe({ type: 'UDP_CHECK' }, far, 9999)).toEqual({ ok: false, reason: 'connect ENETUNREACH' });
      expect(await probe({ type: 'UDP_CHECK', fwmark: 0x42 }, far, 9999)).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
    });

    it('bind_if: the probe leaves through that interface only', async () => {
      expect(await probe({ type: 'TCP_CHECK', bindIf: 'eth0' }, h2().ipv4, 80)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
      expect(await probe({ type: 'TCP_CHECK', bindIf: 'side0' }, h2().ipv4, 80)).toMatchObject({ ok: false, reason: expect.stringMatching(/ENETUNREACH|EHOSTUNREACH|timeout/) });
      expect(await probe({ type: 'UDP_CHECK', bindIf: 'eth0' }, h2().ipv4, 9999)).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
      expect(await probe({ type: 'TCP_CHECK', bindIf: 'nosuch0' }, h2().ipv4, 80)).toEqual({ ok: false, reason: 'socket ENODEV' });
    });
  });

  describe('failures that need another host', () => {
    it('TCP_CHECK: a connect that is never answered times out; a closed port is refused by the host', async () => {
      // A fresh address: the PING_CHECK above left `nobody`'s neighbour entry resolving, and once
      // it has failed (3 s later) the kernel answers EHOSTUNREACH at once (CI saw exactly that).
      expect(await probe({ type: 'TCP_CHECK' }, '192.0.2.95', 80, 500)).toEqual({ ok: false, reason: 'timeout after 500 ms connecting' });
      expect(await probe({ type: 'TCP_CHECK' }, h2().ipv4, 80)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
      expect(await probe({ type: 'TCP_CHECK' }, h2().ipv6, 80)).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
    });

    it('UDP_CHECK: the other host\'s ICMP port unreachable fails the check', async () => {
      expect(await probe({ type: 'UDP_CHECK' }, h2().ipv4, 9999)).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
      expect(await probe({ type: 'UDP_CHECK', requireReply: true }, h2().ipv6, 9999)).toEqual({ ok: false, reason: 'recv ECONNREFUSED' });
    });

    it('HTTP_GET and DNS_CHECK time out against an address that does not answer', async () => {
      // Fresh addresses: once ARP for one has failed, the kernel answers EHOSTUNREACH at once.
      expect(await probe({ type: 'HTTP_GET', urls: [{ path: '/' }] }, '192.0.2.98', 80, 500)).toEqual({ ok: false, reason: 'timeout after 500 ms connecting' });
      expect(await probe({ type: 'DNS_CHECK', queryType: 'SOA', name: '.' }, '192.0.2.97', 53, 500)).toEqual({ ok: false, reason: 'timeout after 500 ms waiting for the reply' });
    });
  });
});
