/** In-memory addresses over a {@link FakeHost}'s interfaces; same idempotency as the kernel one. */
import { normalizeSpec } from '../address-spec.ts';
import { familyOf, ipBytes, ipString } from '../ip-text.ts';
import type { AddressManager, AddressSpec, InterfaceAddress, OsResult } from '../ports.ts';
import type { FakeHost } from './segment.ts';

const canonical = (ip: string) => ipString(ipBytes(ip));

export class FakeAddressManager implements AddressManager {
  constructor(private readonly host: FakeHost) {}

  async list(ifname?: string): Promise<OsResult<InterfaceAddress[]>> {
    if (ifname !== undefined && !this.host.iface(ifname)) return { ok: false, code: 'ENODEV', message: `interface ${ifname} does not exist` };
    const ifaces = this.host.interfaces.filter((i) => ifname === undefined || i.ifname === ifname);
    return { ok: true, value: ifaces.flatMap((i) => i.addresses.map((a) => ({ ...a }))) };
  }

  async add(input: AddressSpec): Promise<OsResult> {
    const spec = normalizeSpec(input);
    const iface = this.host.iface(spec.ifname);
    if (!iface) return { ok: false, code: 'ENODEV', message: `interface ${spec.ifname} does not exist` };
    const family = familyOf(spec.address);
    const address = canonical(spec.address);
    const entry: InterfaceAddress = { ifname: iface.ifname, ifindex: iface.ifindex, family, address, prefixLength: spec.prefixLength, scope: spec.scope };
    if (family === 4) entry.label = spec.label ?? iface.ifname;
    if (spec.brd !== undefined) entry.brd = spec.brd;
    const i = iface.addresses.findIndex((a) => a.address === address && a.prefixLength === spec.prefixLength);
    if (i >= 0) iface.addresses[i] = entry;
    else iface.addresses.push(entry);
    return { ok: true, value: undefined };
  }

  async remove(spec: Pick<AddressSpec, 'ifname' | 'address' | 'prefixLength'>): Promise<OsResult> {
    const iface = this.host.iface(spec.ifname);
    if (!iface) return { ok: true, value: undefined };
    const address = canonical(spec.address);
    iface.addresses = iface.addresses.filter((a) => !(a.address === address && a.prefixLength === spec.prefixLength));
    return { ok: true, value: undefined };
  }

  close(): void {}
}
