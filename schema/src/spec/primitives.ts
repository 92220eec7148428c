/**
 * Reusable zod building blocks of the cluster spec: names, addresses, ports, durations.
 *
 * Conventions (see spec/README in the JSDoc of ClusterSpec):
 * - Every duration is an integer number of milliseconds and its field name ends in `Ms`.
 *   keepalived writes seconds (fractional allowed, resolved to µs); the importer multiplies by
 *   1000 and rounds. Where the kernel or keepalived only keeps whole seconds the schema says so.
 * - Addresses are text; validity is checked here and equality is compared on the canonical
 *   form (`canonicalIp`) by the fleet rules.
 */
import { z } from 'zod';
import { parseIp, parseIpPrefix } from './ip.ts';

/** Object schema that rejects unknown keys (a typo never silently disappears). */
export const strict = z.strictObject;

/**
 * Names become object keys and map keys everywhere (spec records, reported state, the
 * dashboard). A name that is also a member of Object.prototype ("__proto__", "constructor",
 * "toString", "hasOwnProperty", ...) is refused by every identifier grammar, so no lookup can
 * ever confuse a name with an inherited member, whatever the code reading it does.
 */
export function isPrototypeKey(s: string): boolean {
  return s === '__proto__' || s === 'prototype' || Object.hasOwn(Object.prototype, s);
}
export const RESERVED_NAME_MESSAGE = 'this name is reserved (it is a member of JavaScript objects, e.g. "__proto__", "constructor", "toString"): choose another';

/**
 * Name of a keepalived object (vrrp_instance, vrrp_script, sync group, track_file, ...).
 * keepalived accepts almost any token; we accept what real configs use: letters, digits,
 * `_ . : -`, starting with a letter/digit/underscore, at most 64 characters.
 */
export const ObjectName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/, 'use 1-64 characters: letters, digits, "_", ".", ":", "-" (no spaces)')
  .refine((s) => !isPrototypeKey(s), { message: RESERVED_NAME_MESSAGE, params: { specCode: 'SHAPE_RESERVED_NAME' } });


/**
 * Sites, clusters and directors as the control plane registers them: DNS-label-like handles
 * (they appear in URLs, CLI flags, file names and install commands).
 */
export const ResourceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lowercase letters, digits and inner hyphens (like a DNS label)')
  .refine((s) => !isPrototypeKey(s), { message: RESERVED_NAME_MESSAGE });
export type ResourceName = z.infer<typeof ResourceName>;

/** The value of `record[key]` only if it is an own property (never a prototype member). */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
export type ObjectName = z.infer<typeof ObjectName>;

/** Director (node) name: a host-name label, as registered with the control plane. */
export const DirectorName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,62})$/, 'use a host name: 1-63 letters, digits, "_", ".", "-", starting with a letter or digit')
  .refine((s) => !isPrototypeKey(s), { message: RESERVED_NAME_MESSAGE, params: { specCode: 'SHAPE_RESERVED_NAME' } });
export type DirectorName = z.infer<typeof DirectorName>;

/** Linux interface name (IFNAMSIZ - 1 = 15 bytes, no "/", ":" or whitespace). */
export const InterfaceName = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,15}$/, 'a Linux interface name is 1-15 characters without "/", ":" or spaces (e.g. "eth0", "bond0.100")');
export type InterfaceName = z.infer<typeof InterfaceName>;

/** An interface label as `ip addr add ... label` wants it: "<ifname>" or "<ifname>:<tag>". */
export const InterfaceLabel = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,15}(:[A-Za-z0-9_.-]{1,14})?$/, 'a label is "<ifname>:<tag>", e.g. "eth0:1", at most 15 characters')
  .refine((s) => s.length <= 15, 'a label is at most 15 characters (IFNAMSIZ)');

/** A bare IPv4 or IPv6 address (no prefix). */
export const IpAddress = z.string().refine((s) => parseIp(s) !== undefined, {
  message: 'expected an IPv4 (192.0.2.10) or IPv6 (2001:db8::10) address without prefix length',
  params: { specCode: 'SHAPE_INVALID_ADDRESS' },
});
export type IpAddress = z.infer<typeof IpAddress>;

/** An IPv4 or IPv6 address with optional "/prefix-length" (as in keepalived virtual_ipaddress). */
export const IpPrefix = z.string().refine((s) => parseIpPrefix(s) !== undefined, {
  message: 'expected "IP" or "IP/len" (IPv4 len 0-32, IPv6 len 0-128), e.g. "192.0.2.10/24"',
  params: { specCode: 'SHAPE_INVALID_ADDRESS' },
});
export type IpPrefix = z.infer<typeof IpPrefix>;

/** A CIDR prefix with mandatory "/len" (routes, virtual_server_group ranges). */
export const Cidr = z.string().refine((s) => parseIpPrefix(s)?.prefixLength !== undefined, {
  message: 'expected "IP/len", e.g. "10.0.0.0/24" or "2001:db8::/64"',
  params: { specCode: 'SHAPE_INVALID_ADDRESS' },
});

/** TCP/UDP/SCTP port 1..65535. */
export const Port = z.number().int().min(1).max(65535);

/** Integer milliseconds >= 0. */
export const DurationMs = z.number().int().min(0);

/** Integer milliseconds that must be whole seconds (fields keepalived/kernel keep in seconds). */
export const WholeSecondsMs = DurationMs.refine((v) => v % 1000 === 0, {
  message: 'this value is kept in whole seconds by keepalived/the kernel: use a multiple of 1000 ms',
  params: { specCode: 'SHAPE_WHOLE_SECONDS' },
});

/**
 * Tracking weight -253..253 (keepalived `weight W`): added to priority on success (positive) or
 * subtracted on failure (negative); 0 means "FAULT on failure". The result is clamped to 1..254.
 */
export const TrackWeight = z.number().int().min(-253).max(253);

/** A shell command line as keepalived runs it (script, notify_*, misc_path). */
export const Command = z.string().min(1, 'an empty command').max(4096);

/** `user[:group]` to run a script as (keepalived `script_user`, `user`). */
export const RunAs = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*(:[A-Za-z_][A-Za-z0-9_.-]*)?$/, 'expected "user" or "user:group"');

/** Absolute file path. */
export const FilePath = z.string().regex(/^\/\S*$/, 'expected an absolute path ("/...") without spaces');

/** Free-form `key: value` labels on registered objects (directors): bounded, no reserved keys. */
export const Labels = z
  .record(
    z.string().regex(/^[A-Za-z0-9_./-]{1,63}$/, 'a label key is 1-63 of A-Z a-z 0-9 _ . / -').refine((k) => !isPrototypeKey(k), RESERVED_NAME_MESSAGE),
    z.string().max(255).refine((v) => !v.includes('\u0000') && (v as unknown as { isWellFormed(): boolean }).isWellFormed(), 'a label value is text without NUL characters or lone surrogates'),
  )
  .refine((l) => Object.keys(l).length <= 64, 'at most 64 labels');
