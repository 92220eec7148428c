/**
 * Validation and defaults of an {@link AddressSpec}, shared by the kernel and fake managers.
 */
import { familyOf, ipv4Broadcast, ipv6Bytes } from './ip-text.ts';
import type { AddressScope, AddressSpec } from './ports.ts';

const IFNAMSIZ = 16;

/** RT_SCOPE_* values (include/uapi/linux/rtnetlink.h). */
export const SCOPE_VALUES: Record<AddressScope, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export function scopeName(n: number | undefined): AddressScope {
  const found = (Object.keys(SCOPE_VALUES) as AddressScope[]).find((k) => SCOPE_VALUES[k] === (n ?? 0));
  return found ?? 'global';
}

/** Checks a spec and fills defaults; malformed input is a programmer error and throws. */
export function normalizeSpec(spec: AddressSpec): Required<Pick<AddressSpec, 'ifname' | 'address' | 'prefixLength' | 'scope'>> & AddressSpec {
  const family = familyOf(spec.address);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > max) {
    throw new RangeError(`address ${spec.address}: prefix length must be 0..${max}, got ${spec.prefixLength}`);
  }
  if (spec.label !== undefined) {
    if (family !== 4) throw new TypeError(`address ${spec.address}: labels exist only for IPv4`);
    if (spec.label.length >= IFNAMSIZ) throw new RangeError(`label '${spec.label}' is longer than ${IFNAMSIZ - 1} characters`);
  }
  if (spec.brd !== undefined && family !== 4) throw new TypeError(`address ${spec.address}: broadcast exists only for IPv4`);
  const brd = spec.brd === '+' ? ipv4Broadcast(spec.address, spec.prefixLength) : spec.brd;
  if (brd !== undefined) familyOf(brd);
  // The kernel derives an IPv6 address's scope from the address itself and ignores ifa_scope.
  const scope = family === 6 ? ipv6Scope(spec.address) : spec.scope ?? 'global';
  return { ...spec, brd, scope };
}

/** RFC 4291 scope of an IPv6 address, as the kernel reports it. */
export function ipv6Scope(ip: string): AddressScope {
  const b = ipv6Bytes(ip);
  if (b.every((x, i) => x === (i === 15 ? 1 : 0))) return 'host';
  if (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80) return 'link';
  if (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0xc0) return 'site';
  return 'global';
}
