/**
 * The control plane's own URL, as a director must reach it: it ends up inside the install
 * script that runs as root on every director, so it is never taken on trust.
 *
 * - `--public-url` (configuration) wins, always.
 * - Otherwise the request's Host, which must be a plain host[:port]; X-Forwarded-Host,
 *   X-Forwarded-Proto and X-Forwarded-Prefix (the path a proxy serves the control plane under)
 *   are honoured only when the connection comes from a configured trusted proxy
 *   (`--trusted-proxy CIDR`), since anyone can send them.
 * Whatever is used must match a strict URL grammar (scheme, host, port, a plain path), and is
 * shell-quoted as well where it lands in the script.
 */
import { parseIp, parseIpPrefix } from '../../../schema/src/spec/ip.ts';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const PATH = /^(?:\/[A-Za-z0-9._~-]+)*\/?$/;

/** A normalised base URL (no trailing slash), or an error message. */
export function checkPublicUrl(text: string): { ok: true; url: string } | { ok: false; message: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, message: `"${text.slice(0, 100)}" is not a URL (e.g. https://vigil.example.net)` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, message: 'the public URL must be http:// or https://' };
  if (u.username || u.password || u.search || u.hash) return { ok: false, message: 'the public URL must not carry credentials, a query or a fragment' };
  if (!HOST.test(u.host)) return { ok: false, message: `"${u.host}" is not a plain host[:port]` };
  if (!PATH.test(u.pathname)) return { ok: false, message: 'the public URL path may hold only letters, digits and . _ ~ - between slashes' };
  return { ok: true, url: `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}` };
}

export interface UrlPolicy {
  publicUrl?: string;
  /** CIDRs whose connections may set X-Forwarded-Host / X-Forwarded-Proto. */
  trustedProxies: string[];
  /** The scheme this server speaks itself (https when it has a certificate). */
  scheme: 'http' | 'https';
}

export function isTrustedProxy(address: string | undefined, cidrs: string[]): boolean {
  if (!address) return false;
  const ip = parseIp(address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ''));
  if (!ip) return false;
  return cidrs.some((c) => {
    const p = parseIpPrefix(c);
    if (!p || p.family !== ip.family) return false;
    const len = p.prefixLength ?? p.bytes.length * 8;
    for (let bit = 0; bit < len; bit++) {
      const mask = 0x80 >> (bit % 8);
      if ((p.bytes[bit >> 3]! & mask) !== (ip.bytes[bit >> 3]! & mask)) return false;
    }
    return true;
  });
}

/** The base URL to put in a script served for this request, or an error to answer with 400. */
export function baseUrlFor(policy: UrlPolicy, req: { host?: string; forwardedHost?: string; forwardedProto?: string; forwardedPrefix?: string; peer?: string }): { ok: true; url: string } | { ok: false; message: string } {
  if (policy.publicUrl) return { ok: true, url: policy.publicUrl };
  const trusted = isTrustedProxy(req.peer, policy.trustedProxies);
  const host = (trusted && req.forwardedHost ? req.forwardedHost.split(',')[0]!.trim() : req.host) ?? '';
  const proto = trusted && req.forwardedProto ? req.forwardedProto.split(',')[0]!.trim().toLowerCase() : policy.scheme;
  // A proxy that serves the control plane under a path (and strips it) says so in X-Forwarded-Prefix.
  const prefix = trusted && req.forwardedPrefix ? req.forwardedPrefix.trim().replace(/\/+$/, '') : '';
  if (proto !== 'http' && proto !== 'https') return { ok: false, message: 'X-Forwarded-Proto must be http or https' };
  if (!HOST.test(host)) return { ok: false, message: 'the Host header is not a plain host[:port]; set --public-url on the control plane' };
  if (prefix && (!PATH.test(prefix) || /(^|\/)\.+(\/|$)/.test(prefix))) return { ok: false, message: 'X-Forwarded-Prefix must be a plain path such as /vigil' };
  return checkPublicUrl(`${proto}://${host}${prefix}`);
}

/** One argument for a POSIX shell: single-quoted, with embedded single quotes closed and escaped. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
