/**
 * The receive-path fuzz scenarios: one VRRP instance each, run by Vigil and by keepalived from
 * the same keepalived.conf, with the addresses the corpus and the oracle need.
 *
 * Lab (test/support/netns.ts, 2 hosts): h1 is the target (192.0.2.1, 2001:db8:0:1::1), h2 the
 * fuzzer (192.0.2.2). Fake routers that exist only as packet sources: the keeper / restorer at
 * priority 250 (192.0.2.250, fe80::250, or the listed unicast peer 192.0.2.61), and
 * 192.0.2.60, a unicast peer allowed TTL 60..64.
 */
import type { InstanceConf } from '#test/support/director.ts';

export type Family = 4 | 6;

export interface Scenario {
  name: string;
  family: Family;
  version: 2 | 3;
  vrid: number;
  /** The target's priority (the same in both phases). */
  priority: number;
  advertIntervalMs: number;
  authPass?: string;
  /** VIPs carried in adverts, canonical, config order. */
  vips: string[];
  /** Multicast instance: its group. */
  group?: string;
  /** Unicast instance: the listed peers. */
  unicastPeers?: Array<{ address: string; minTtl?: number; maxTtl?: number }>;
  /** Unicast instance: its unicast_src_ip (where peers send). */
  unicastAddress?: string;
  /** Source of the keeper's and restorer's adverts (no corpus packet uses it). */
  keeper: string;
  /** What both implementations read. */
  instance: InstanceConf;
}

export const TARGET = { ipv4: '192.0.2.1', ipv6: '2001:db8:0:1::1' } as const;
export const FUZZER = { ipv4: '192.0.2.2', ipv6: '2001:db8:0:1::2' } as const;
/** Keeper / restorer: a fake master on the segment. */
export const KEEPER = { ipv4: '192.0.2.250', ipv6: 'fe80::250', unicast: '192.0.2.61', priority: 250 } as const;
export const RANGED_PEER = '192.0.2.60';
export const OFFLINK = { ipv4: '203.0.113.7', ipv6: '2001:db8:ff::7' } as const;
export const ONLINK_OTHER = { ipv4: '192.0.2.77', ipv6: 'fe80::77' } as const;

export const SCENARIOS: Scenario[] = [
  {
    name: 'VRRPv2 IPv4 PASS auth, 1 s',
    family: 4, version: 2, vrid: 51, priority: 200, advertIntervalMs: 1000, authPass: 'secret12',
    vips: ['192.0.2.100', '192.0.2.101'], group: '224.0.0.18', keeper: KEEPER.ipv4,
    instance: { version: 2, vrid: 51, priority: 200, advertInt: 1, authPass: 'secret12', vips: ['192.0.2.100/24', '192.0.2.101/24'] },
  },
  {
    name: 'VRRPv3 IPv4, 0.1 s',
    family: 4, version: 3, vrid: 52, priority: 200, advertIntervalMs: 100,
    vips: ['192.0.2.110', '192.0.2.111'], group: '224.0.0.18', keeper: KEEPER.ipv4,
    instance: { version: 3, vrid: 52, priority: 200, advertInt: 0.1, vips: ['192.0.2.110/24', '192.0.2.111/24'] },
  },
  {
    name: 'VRRPv3 IPv6, 1 s',
    family: 6, version: 3, vrid: 53, priority: 200, advertIntervalMs: 1000,
    vips: ['fe80::53', '2001:db8:0:1::53'], group: 'ff02::12', keeper: KEEPER.ipv6,
    instance: { version: 3, vrid: 53, priority: 200, advertInt: 1, vips: ['fe80::53/64', '2001:db8:0:1::53/64'] },
  },
  {
    name: 'VRRPv3 IPv4 unicast peers, 1 s',
    family: 4, version: 3, vrid: 54, priority: 200, advertIntervalMs: 1000,
    vips: ['192.0.2.120', '192.0.2.121'],
    unicastPeers: [{ address: FUZZER.ipv4 }, { address: RANGED_PEER, minTtl: 60, maxTtl: 64 }, { address: KEEPER.unicast }],
    unicastAddress: TARGET.ipv4,
    keeper: KEEPER.unicast,
    instance: {
      version: 3, vrid: 54, priority: 200, advertInt: 1, vips: ['192.0.2.120/24', '192.0.2.121/24'],
      unicast: { src: TARGET.ipv4, peers: [FUZZER.ipv4, `${RANGED_PEER} min_ttl 60 max_ttl 64`, KEEPER.unicast] },
      // keepalived 2.2.7 otherwise switches, on the first unicast advert whose pseudo-header
      // carries the group (pre-1.3.6 peers), to that form for good; Vigil never uses it.
      extra: ['old_unicast_checksum never'],
    },
  },
];
