/**
 * VIPs through rtnetlink (RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR), idempotent:
 * - add: an identical address is success; one that differs in label, scope or broadcast is
 *   replaced (deleted and re-added: NLM_F_REPLACE keeps the old label and scope on IPv4);
 * - remove: an absent address (EADDRNOTAVAIL) is success.
 * Note: deleting a primary IPv4 address also deletes its secondaries unless the
 * `promote_secondaries` sysctl is set (keepalived documents the same).
 */
import { FlagsNew } from 'netlink/dist/constants.js';
import { ifIndex } from './interfaces.ts';
import { SCOPE_VALUES, normalizeSpec, scopeName } from './address-spec.ts';
import { familyOf, ipBytes, ipString } from './ip-text.ts';
import type { AddressManager, AddressSpec, InterfaceAddress, OsResult } from './ports.ts';
import { kernelResult, openRtNetlink, type RtNetlinkSocket } from './rtnetlink.ts';

const AF_INET = 2;
const AF_INET6 = 10;
export function createLinuxAddressManager(socket: RtNetlinkSocket = openRtNetlink()): AddressManager {
  async function links(): Promise<Map<number, string>> {
    const all = await socket.getLinks();
    return new Map(all.map((l) => [l.data.index ?? 0, l.attrs.ifname ?? '']));
  }

  async function list(ifname?: string): Promise<OsResult<InterfaceAddress[]>> {
    let index = 0;
    if (ifname !== undefined) {
      index = ifIndex(ifname);
      if (index === 0) return { ok: false, code: 'ENODEV', message: `interface ${ifname} does not exist` };
    }
    const r = await kernelResult('list addresses', async () => {
      const names = await links();
      const msgs = await socket.getAddresses();
      return msgs
        .filter((m) => index === 0 || m.data.index === index)
        .map((m): InterfaceAddress => {
          const family = m.data.family === AF_INET ? 4 : 6;
          const bytes = m.attrs.local ?? m.attrs.address;
          const name = names.get(m.data.index ?? 0) ?? '';
          const out: InterfaceAddress = {
            ifname: name,
            ifindex: m.data.index ?? 0,
            family,
            address: bytes ? ipString(bytes) : '',
            prefixLength: m.data.prefixlen ?? 0,
            scope: scopeName(m.data.scope),
          };
          if (m.attrs.broadcast) out.brd = ipString(m.attrs.broadcast);
          if (family === 4) out.label = m.attrs.label ?? name;
          return out;
        });
    });
    return r.ok ? { ok: true, value: r.value ?? [] } : r;
  }

  async function remove(spec: Pick<AddressSpec, 'ifname' | 'address' | 'prefixLength'>): Promise<OsResult> {
    const family = familyOf(spec.address);
    const index = ifIndex(spec.ifname);
    // The link being gone means the address is gone too.
    if (index === 0) return { ok: true, value: undefined };
    const bytes = Buffer.from(ipBytes(spec.address));
    const r = await kernelResult(
      `remove ${spec.address}/${spec.prefixLength} from ${spec.ifname}`,
      () => socket.delAddress({ family: family === 4 ? AF_INET : AF_INET6, prefixlen: spec.prefixLength, index }, { local: bytes, address: bytes }),
      ['EADDRNOTAVAIL', 'ENODEV'],
    );
    return r.ok ? { ok: true, value: undefined } : r;
  }

  async function add(input: AddressSpec): Promise<OsResult> {
    const spec = normalizeSpec(input);
    const family = familyOf(spec.address);
    const index = ifIndex(spec.ifname);
    if (index === 0) return { ok: false, code: 'ENODEV', message: `interface ${spec.ifname} does not exist` };
    const what = `add ${spec.address}/${spec.prefixLength} to ${spec.ifname}`;

    const bytes = Buffer.from(ipBytes(spec.address));
    const attrs: Parameters<RtNetlinkSocket['newAddress']>[1] = { local: bytes, address: bytes };
    if (spec.brd !== undefined) attrs.broadcast = Buffer.from(ipBytes(spec.brd));
    if (spec.label !== undefined) attrs.label = spec.label;
    if (family === 6 && spec.nodad) attrs.flags = { nodad: true };
    const create = () => kernelResult(
      what,
      () => socket.newAddress(
        { family: family === 4 ? AF_INET : AF_INET6, prefixlen: spec.prefixLength, index, scope: SCOPE_VALUES[spec.scope] },
        attrs,
        { flags: FlagsNew.CREATE | FlagsNew.REPLACE },
      ),
      ['EEXIST'],
    );
    // The VIP first (a takeover is timed until it answers), the attribute check after: one
    // request instead of two dumps and a request on the takeover path.
    const r = await create();
    if (!r.ok) return r;
    const present = await list(spec.ifname);
    if (!present.ok) return present;
    const same = present.value.find((a) => a.address === ipString(ipBytes(spec.address)) && a.prefixLength === spec.prefixLength);
    const wantLabel = spec.label ?? spec.ifname;
    // REPLACE keeps an existing address's label and broadcast: when they differ, re-create it.
    const differs = same && (same.scope !== spec.scope || (family === 4 && (same.label !== wantLabel || (spec.brd !== undefined && same.brd !== spec.brd))));
    if (!differs) return { ok: true, value: undefined };
    const removed = await remove(spec);
    if (!removed.ok) return removed;
    const again = await create();
    return again.ok ? { ok: true, value: undefined } : again;
  }

  return { list, add, remove, close: () => socket.socket.socket.close() };
}
