/**
 * PING_CHECK (keepalived check_ping.c): one ICMP / ICMPv6 echo request to connect_ip (default:
 * the real server); up when the matching echo reply comes back before the deadline.
 *
 * Node has no ICMP sockets; the vigil_net addon provides two:
 * - an ICMP datagram ("ping") socket, preferred: unprivileged, the kernel owns the identifier and
 *   delivers only our replies. It needs the process's group inside net.ipv4.ping_group_range
 *   (a per-namespace sysctl; the default "1 0" allows nobody). keepalived rewrites that sysctl;
 *   Vigil does not touch system settings and instead
 * - falls back to a raw ICMP socket (needs CAP_NET_RAW, which the agent has), matching replies
 *   by identifier, sequence number and data.
 * bindto, bind_if (SO_BINDTODEVICE) and fwmark (SO_MARK) are honoured on both.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { PingCheck } from '#schema';
import { ipBytes, ipString } from '../../os/ip-text.ts';
import { SOCKET_KIND, errnoResult, loadNative, type NativeAddon, type NativeSocket } from '../../os/native.ts';
import { ECHO_DATA_BYTES, decodeEchoReply, encodeEchoRequest, type IcmpFamily } from '../icmp-echo.ts';
import { fail, ok, runProbe, type Probe, type ProbeScope } from '../probe.ts';
import { ProbeError } from './connect.ts';

export type EchoSocketKind = 'ping-socket' | 'raw-socket';

export interface EchoSocket {
  socket: NativeSocket;
  kind: EchoSocketKind;
}

export interface EchoSocketOptions {
  bindTo?: string | undefined;
  bindIf?: string | undefined;
  fwmark?: number | undefined;
}

const ICMP_PROTOCOL = { 4: 1, 6: 58 } as const;

/** Opens the socket PING_CHECK uses: a ping socket, else a raw one; throws a ProbeError. */
export function openEchoSocket(family: IcmpFamily, o: EchoSocketOptions, native: NativeAddon = loadNative()): EchoSocket {
  const ifindex = o.bindIf ? native.ifIndex(o.bindIf) : 0;
  if (o.bindIf && ifindex === 0) throw new ProbeError(`bind_if ${o.bindIf}: no such interface`);
  const args: [number, string | null, string[], number, boolean, string | null, number] = [ifindex, o.bindIf ?? null, [], 64, false, o.bindTo ?? null, o.fwmark ?? 0];
  try {
    return { socket: new native.Socket(family === 4 ? SOCKET_KIND.ping4 : SOCKET_KIND.ping6, 0, ...args), kind: 'ping-socket' };
  } catch (err) {
    const code = (err as { code?: string }).code;
    // EACCES: our gid is outside net.ipv4.ping_group_range; anything else is a real error.
    if (code !== 'EACCES' && code !== 'EPERM') throw new ProbeError(`ping socket ${code ?? (err as Error).message}`);
    try {
      return { socket: new native.Socket(family === 4 ? SOCKET_KIND.ip4 : SOCKET_KIND.ip6, ICMP_PROTOCOL[family], ...args), kind: 'raw-socket' };
    } catch (rawErr) {
      const rawCode = (rawErr as { code?: string }).code ?? (rawErr as Error).message;
      throw new ProbeError(`ping socket ${code} (gid ${process.getgid?.()} outside net.ipv4.ping_group_range) and raw ICMP socket ${rawCode}`);
    }
  }
}

export const probePing: Probe<PingCheck> = (checker, target, opts) =>
  runProbe(opts, opts.timeoutMs, async (scope) => {
    // Canonical text, so a raw socket can compare it with the reply's source as the kernel prints it.
    const dst = ipString(ipBytes((checker.connectIp ?? target.address).split('%')[0]!));
    const family: IcmpFamily = isIPv6(dst) ? 6 : 4;
    let native: NativeAddon;
    try {
      native = loadNative();
    } catch (err) {
      return fail(`PING_CHECK needs the vigil_net addon: ${(err as Error).message}`);
    }
    const echo = openEchoSocket(family, checker, native);
    scope.defer(() => echo.socket.close());
    return echoOnce(scope, echo, family, dst, checker.bindIf ? native.ifIndex(checker.bindIf) : 0);
  });

function echoOnce(scope: ProbeScope, echo: EchoSocket, family: IcmpFamily, dst: string, ifindex: number) {
  const id = randomInt(0, 0x10000);
  const seq = randomInt(0, 0x10000);
  const data = Buffer.concat([randomBytes(16), Buffer.alloc(ECHO_DATA_BYTES - 16, 'keepalived check - ')]);
  return new Promise<ReturnType<typeof ok>>((resolve, reject) => {
    echo.socket.start((err, payload, src) => {
      if (err) return reject(new ProbeError(`recv ${err.code ?? err.message}`));
      const reply = decodeEchoReply(family, payload);
      if (!reply || reply.seq !== seq || !reply.data.equals(data)) return;
      // A ping socket's identifier is the kernel's (it only hands us our own replies); a raw
      // socket sees every ICMP message of the host, so it checks the identifier and the source.
      if (echo.kind === 'raw-socket' && (reply.id !== id || src !== dst)) return;
      resolve(ok());
    });
    const sent = echo.socket.send(encodeEchoRequest(family, id, seq, data), dst, ifindex);
    if (sent < 0) return reject(new ProbeError(`send ${errnoResult(sent, 'send').code}`));
    scope.phase('waiting for the echo reply');
  });
}
