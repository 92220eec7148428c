/**
 * Shared rtnetlink plumbing: one request socket, kernel errors as results.
 * The `netlink` package rejects with `Error('Request rejected: EEXIST')`; this turns those into
 * {@link OsResult} failures and rethrows everything else (programmer errors, broken sockets).
 */
import { createRtNetlink, type RtNetlinkSocket } from 'netlink/dist/rt/rt.js'; // not the index: it loads every family (nl80211, WireGuard) at start
import type { OsResult } from './ports.ts';

export type { RtNetlinkSocket };

/** A request socket that does not keep the event loop alive between requests. */
export function openRtNetlink(): RtNetlinkSocket {
  return createRtNetlink();
}

/** The errno name of a rejected netlink request, or undefined when `err` is something else. */
export function netlinkErrno(err: unknown): string | undefined {
  const m = /^Request rejected: (E[A-Z0-9]+|-?\d+)$/.exec((err as Error)?.message ?? '');
  return m?.[1];
}

/** Runs a request; kernel rejections become results, with `tolerate` codes counted as success. */
export async function kernelResult<T>(what: string, run: () => Promise<T>, tolerate: string[] = []): Promise<OsResult<T | undefined>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const code = netlinkErrno(err);
    if (code === undefined) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    if (tolerate.includes(code)) return { ok: true, value: undefined };
    return { ok: false, code, message: `${what}: ${code}` };
  }
}
