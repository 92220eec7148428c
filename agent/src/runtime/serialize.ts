/**
 * One rtnetlink socket answers one request at a time: two instances adding VIPs at once get
 * EBUSY from the `netlink` package. Every address operation of the agent goes through this
 * queue, in submission order.
 */
import type { AddressManager, RouteManager } from '../os/ports.ts';

/**
 * Runs operations one at a time in submission order. An operation submitted while the queue is
 * idle starts synchronously: a takeover's VIP request goes to the kernel before the code that
 * follows it (advert, logs, hooks) runs, instead of a microtask later.
 */
function queue(): <T>(op: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  let busy = 0;
  return <T>(op: () => Promise<T>): Promise<T> => {
    const run = () => op().finally(() => void busy--);
    busy++;
    const p = busy === 1 ? run() : tail.then(run, run);
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
