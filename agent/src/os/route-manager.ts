/**
 * `virtual_routes` through rtnetlink: RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE (so a route
 * left by a crash is simply taken over) and RTM_DELROUTE, tagged with keepalived's protocol
 * number so `ip route` shows who owns them.
 */
import { FlagsNew } from 'netlink/dist/constants.js';
import type { RtNetlinkSocket } from 'netlink/dist/rt/rt.js';
import { ifIndex } from './interfaces.ts';
import { familyOf, ipBytes } from './ip-text.ts';
import type { OsResult, RouteManager, RouteSpec } from './ports.ts';
import { SCOPE_VALUES } from './address-spec.ts';
import { kernelResult, openRtNetlink } from './rtnetlink.ts';

const AF_INET = 2;
const AF_INET6 = 10;
/** RTPROT_KEEPALIVED (include/uapi/linux/rtnetlink.h): routes a VRRP daemon installed. */
const RTPROT_KEEPALIVED = 18;
const RT_TABLE_MAIN = 254;
const TYPES = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8 } as const;

function message(r: RouteSpec): { data: Parameters<RtNetlinkSocket['newRoute']>[0]; attrs: NonNullable<Parameters<RtNetlinkSocket['newRoute']>[1]> } | { error: string } {
  const isDefault = r.to === 'default';
  const [dst = '', len] = isDefault ? [] : r.to.split('/');
  const family = isDefault ? (r.via ? familyOf(r.via) : 4) : familyOf(dst);
  const attrs: NonNullable<Parameters<RtNetlinkSocket['newRoute']>[1]> = {};
  if (!isDefault) attrs.dst = Buffer.from(ipBytes(dst));
  if (r.via) attrs.gateway = Buffer.from(ipBytes(r.via));
  if (r.src) attrs.prefsrc = Buffer.from(ipBytes(r.src));
  if (r.metric !== undefined) attrs.priority = r.metric;
  if (r.dev) {
    const oif = ifIndex(r.dev);
    if (oif === 0) return { error: `interface ${r.dev} does not exist` };
    attrs.oif = oif;
  }
  const table = r.table ?? RT_TABLE_MAIN;
  if (table > 255) attrs.table = table;
  const type = r.type ?? 'unicast';
  // Without a gateway a unicast route is on-link (scope link), like `ip route add P dev IF`.
  const scope = r.scope !== undefined ? SCOPE_VALUES[r.scope] : type === 'unicast' && !r.via ? SCOPE_VALUES.link : SCOPE_VALUES.global;
  return {
    data: { family: family === 4 ? AF_INET : AF_INET6, dstLen: isDefault ? 0 : Number(len ?? (family === 4 ? 32 : 128)), table: table > 255 ? 252 : table, protocol: RTPROT_KEEPALIVED as never, scope, type: TYPES[type] },
    attrs,
  };
}

export function createLinuxRouteManager(socket: RtNetlinkSocket = openRtNetlink()): RouteManager {
  return {
    async add(r): Promise<OsResult> {
      const m = message(r);
      if ('error' in m) return { ok: false, code: 'ENODEV', message: `route ${r.to}: ${m.error}` };
      const res = await kernelResult(`add route ${r.to}`, () => socket.newRoute(m.data, m.attrs, { flags: FlagsNew.CREATE | FlagsNew.REPLACE }));
      return res.ok ? { ok: true, value: undefined } : res;
    },
    async remove(r): Promise<OsResult> {
      const m = message(r);
      if ('error' in m) return { ok: true, value: undefined }; // the device is gone, so is the route
      const res = await kernelResult(`remove route ${r.to}`, () => socket.delRoute(m.data, m.attrs), ['ESRCH', 'ENOENT']);
      return res.ok ? { ok: true, value: undefined } : res;
    },
    close: () => socket.socket.socket.close(),
  };
}
