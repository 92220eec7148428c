/**
 * One rtnetlink socket answers one request at a time: two instances adding VIPs at once get
 * EBUSY from the `netlink` package. Every address operation of the agent goes through this
 * queue, in submission order.
 */
import type { AddressManager } from '../os/ports.ts';

export function serializeAddresses(inner: AddressManager): AddressManager {
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(op: () => Promise<T>): Promise<T> => {
    const p = tail.then(op, op);
    tail = p.catch(() => {});
    return p;
  };
  return {
    list: (ifname) => queued(() => inner.list(ifname)),
    add: (spec) => queued(() => inner.add(spec)),
    remove: (spec) => queued(() => inner.remove(spec)),
    close: () => inner.close(),
  };
}
