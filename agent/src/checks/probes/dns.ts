/**
 * DNS_CHECK (keepalived check_dns.c): one UDP query for `name`/`type` (default "." SOA) with a
 * random id; the first reply with that id and QR set decides: RCODE NOERROR is up, any other
 * RCODE is down. Short datagrams, other ids and queries are ignored (the probe keeps waiting
 * until its deadline). An ICMP unreachable for the query is a failure.
 */
import { randomInt } from 'node:crypto';
import type { DnsCheck } from '#schema';
import { encodeQuery, judgeReply } from '../dns-packet.ts';
import { fail, ok, runProbe, type Probe } from '../probe.ts';
import { endpoint } from './connect.ts';
import { nextDatagram, sendDatagram, udpConnect } from './udp-socket.ts';

export const probeDns: Probe<DnsCheck> = (checker, target, opts) =>
  runProbe(opts, opts.timeoutMs, async (scope) => {
    const id = randomInt(0, 0x10000);
    const query = encodeQuery(id, checker.name ?? '.', checker.queryType ?? 'SOA');
    if (typeof query === 'string') return fail(query);
    const socket = await udpConnect(scope, endpoint(checker, target));
    await sendDatagram(socket, query);
    scope.phase('waiting for the reply');
    for (;;) {
      const verdict = judgeReply(await nextDatagram(socket), id);
      if (verdict.kind === 'ok') return ok();
      if (verdict.kind === 'fail') return fail(verdict.reason);
    }
  });
