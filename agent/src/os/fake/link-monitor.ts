/** In-memory link monitor over a {@link FakeHost}'s interfaces; changes via setLinkUp/setCarrier. */
import type { LinkMonitor, LinkState, OsResult } from '../ports.ts';
import type { FakeHost, FakeInterface } from './segment.ts';

function stateOf(i: FakeInterface): LinkState {
  const s: LinkState = { ifname: i.ifname, ifindex: i.ifindex, up: i.up, running: i.running };
  if (i.ifname !== 'lo') s.mac = i.mac;
  return s;
}

export class FakeLinkMonitor implements LinkMonitor {
  private readonly listeners = new Set<(link: LinkState) => void>();

  constructor(private readonly host: FakeHost) {}

  async list(): Promise<OsResult<LinkState[]>> {
    return { ok: true, value: this.host.interfaces.map(stateOf) };
  }

  onChange(cb: (link: LinkState) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  close(): void {
    this.listeners.clear();
  }

  /** @internal Notifications arrive asynchronously, like RTM_NEWLINK on a netlink socket. */
  notify(iface: FakeInterface): void {
    const state = stateOf(iface);
    queueMicrotask(() => {
      for (const cb of this.listeners) cb(state);
    });
  }
}
