/**
 * TCP_CHECK: the real server is up when a TCP connection completes (keepalived check_tcp.c:
 * connect, then close). No data is sent.
 */
import type { TcpCheck } from '#schema';
import { ok, runProbe, type Probe } from '../probe.ts';
import { endpoint, tcpConnect } from './connect.ts';

export const probeTcp: Probe<TcpCheck> = (checker, target, opts) =>
  runProbe(opts, opts.timeoutMs, async (scope) => {
    const socket = await tcpConnect(scope, endpoint(checker, target));
    socket.end();
    return ok();
  });
