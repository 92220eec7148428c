/**
 * The fuzzer's host (served by test/support/netns-child.ts inside a lab namespace): sends whole
 * IP packets in Ethernet frames to a chosen MAC through AF_PACKET SOCK_DGRAM sockets, so a
 * packet's TTL, source, destination, options and fragments are exactly what the test built.
 *
 * It also runs the "keeper": a fake master on the segment that sends one valid advert every
 * period, so a Vigil or keepalived instance under test stays BACKUP. The keeper can be paused
 * around a counter read, and reports how many adverts it sent, so the test can tell the
 * keeper's accepted adverts from the fuzz corpus's.
 */
import { SOCKET_KIND, loadNative, type NativeSocket } from '#agent/os/native.ts';
import { ifIndex } from '#agent/os/interfaces.ts';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

export interface Frame {
  family: 4 | 6;
  mac: string;
  hex: string;
}

export function serve() {
  let ifindex = 0;
  const sockets = new Map<4 | 6, NativeSocket>();
  let keeper: { frame: Frame; periodMs: number; timer: NodeJS.Timeout | undefined; sent: number } | undefined;

  const sendOne = (f: Frame): number => {
    const s = sockets.get(f.family);
    if (!s) throw new Error('attacker: open() first');
    return s.send(Buffer.from(f.hex, 'hex'), f.mac, ifindex);
  };

  const pause = (): number => {
    if (keeper?.timer) clearTimeout(keeper.timer);
    if (keeper) keeper.timer = undefined;
    return keeper?.sent ?? 0;
  };

  const tick = () => {
    if (!keeper) return;
    if (sendOne(keeper.frame) > 0) keeper.sent++;
    keeper.timer = setTimeout(tick, keeper.periodMs);
  };

  return {
    open(ifname: string) {
      ifindex = ifIndex(ifname);
      if (ifindex === 0) throw new Error(`attacker: no interface ${ifname}`);
      const { Socket } = loadNative();
      for (const [family, proto] of [[4, ETH_P_IP], [6, ETH_P_IPV6]] as const) {
        const s = new Socket(SOCKET_KIND.packet, proto, ifindex, null, [], 0, false);
        // Received frames are not wanted; reading them keeps the socket's queue from filling.
        s.start(() => {});
        sockets.set(family, s);
      }
      return true;
    },
    /** Sends every frame in order, `gapMs` apart (0: back to back). */
    async send(frames: Frame[], gapMs = 0) {
      let sent = 0;
      const errors: number[] = [];
      for (const f of frames) {
        const n = sendOne(f);
        if (n > 0) sent++;
        else errors.push(n);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      return { sent, errors };
    },
    keeperStart(frame: Frame, periodMs: number) {
      if (keeper?.timer) clearTimeout(keeper.timer);
      keeper = { frame, periodMs, timer: undefined, sent: 0 };
      tick();
      return true;
    },
    /** Stops sending; returns how many adverts went out in total. */
    keeperPause: pause,
    keeperResume() {
      if (keeper && !keeper.timer) tick();
      return keeper?.sent ?? 0;
    },
    keeperStop() {
      const n = pause();
      keeper = undefined;
      return n;
    },
    shutdown() {
      if (keeper?.timer) clearTimeout(keeper.timer);
      keeper = undefined;
      for (const s of sockets.values()) s.close();
      sockets.clear();
    },
  };
}
