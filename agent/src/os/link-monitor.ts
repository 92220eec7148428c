/**
 * Link state through rtnetlink: a dump (RTM_GETLINK) for list(), and RTNLGRP_LINK notifications
 * (RTM_NEWLINK / RTM_DELLINK) for changes. No polling. keepalived's interface tracking and
 * FRR's zebra interface events work the same way.
 */
import { createRtNetlink } from 'netlink/dist/rt/rt.js';
import * as rt from 'netlink/dist/rt/structs.js';
import { macString } from './announce-packets.ts';
import type { LinkMonitor, LinkState, OsResult } from './ports.ts';
import { kernelResult, openRtNetlink, type RtNetlinkSocket } from './rtnetlink.ts';

type LinkMessage = Awaited<ReturnType<RtNetlinkSocket['getLinks']>>[number];

/** Our view of one RTM_NEWLINK / RTM_DELLINK message. */
export function linkState(msg: LinkMessage, deleted = false): LinkState {
  const state: LinkState = {
    ifname: msg.attrs.ifname ?? '',
    ifindex: msg.data.index ?? 0,
    up: !deleted && msg.data.flags?.up === true,
    running: !deleted && msg.data.flags?.running === true,
  };
  if (msg.attrs.address && msg.attrs.address.length === 6) state.mac = macString(msg.attrs.address);
  return state;
}

export function createLinuxLinkMonitor(): LinkMonitor {
  const requests = openRtNetlink();
  const listeners = new Set<(link: LinkState) => void>();
  let events: RtNetlinkSocket | undefined;

  function subscribe(): void {
    // A separate socket for notifications, so dump replies and events never interleave.
    // ref: the agent stays alive while it watches links (close() releases it).
    // (netlink 0.3.0's typings wrongly require recvBufferSize/sendBufferSize; they are optional.)
    events = createRtNetlink({ ref: true } as Parameters<typeof createRtNetlink>[0]);
    events.addMembership('LINK');
    events.socket.on('message', (msgs) => {
      for (const m of msgs) {
        if (m.type !== rt.MessageType.NEWLINK && m.type !== rt.MessageType.DELLINK) continue;
        let parsed: LinkMessage;
        try {
          parsed = rt.parseLinkMessage(m.data) as LinkMessage;
        } catch (err) {
          process.emitWarning(`unparseable link notification: ${(err as Error).message}`, { code: 'VIGIL_NETLINK' });
          continue;
        }
        const state = linkState(parsed, m.type === rt.MessageType.DELLINK);
        for (const cb of listeners) cb(state);
      }
    });
  }

  return {
    async list(): Promise<OsResult<LinkState[]>> {
      const r = await kernelResult('list links', () => requests.getLinks());
      return r.ok ? { ok: true, value: (r.value ?? []).map((l) => linkState(l)) } : r;
    },
    onChange(cb) {
      if (!events) subscribe();
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close() {
      listeners.clear();
      events?.socket.socket.close();
      events = undefined;
      requests.socket.socket.close();
    },
  };
}
