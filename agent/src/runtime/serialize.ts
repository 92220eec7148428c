/**
 * One rtnetlink socket answers one request at a time: two instances adding VIPs at once get
 * EBUSY from the `netlink` package. Every address operation of the agent goes through this
 * queue, in submission order.
 */
import type { AddressManager, RouteManager } from '../os/ports.ts';

function queue(): <T>(op: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(op: () => Promise<T>): Promise<T> => {
    const p = tail.then(op, op);
    tail = p.catch(() => {});
    return p;
  };
}

export function serializeAddresses(inner: AddressManager): AddressManager {
  const queued = queue();
  return {
    list: (ifname) => queued(() => inner.list(ifname)),
    add: (spec) => queued(() => inner.add(spec)),
    remove: (spec) => queued(() => inner.remove(spec)),
    close: () => inner.close(),
  };
}

export function serializeRoutes(inner: RouteManager): RouteManager {
  const queued = queue();
  return { add: (r) => queued(() => inner.add(r)), remove: (r) => queued(() => inner.remove(r)), close: () => inner.close() };
}
