/**
 * The soak lab's layout: two sites, three clusters, six managed directors, two keepalived peers,
 * two real servers, a control plane on a Postgres primary with a streaming replica behind a
 * proxy, and one client. Every host is a network namespace `<prefix>-<host>`; every segment is a
 * bridge in the switch namespace `<prefix>-sw`, so deleting the namespaces removes everything.
 *
 *   mgmt   10.99.0.0/24  cp .2 · lb1..lb6 .11-.16        (agents <-> control plane)
 *   db     10.98.0.0/24  cp .2 · pg1 .11 · pg2 .12       (control plane <-> Postgres, via the proxy in cp)
 *   c1     10.1.0.0/24   lb1 .11 · lb2 .12 · client .100 VIP 10.1.0.10 -> LVS-NAT (nftables) -> rs1, rs2
 *   c1in   10.1.1.0/24   lb1 .11 · lb2 .12 · rs1 .21 · rs2 .22   gateway VIP 10.1.1.1 (sync group with the VIP)
 *   c2     10.2.0.0/24   lb3 .11 · lb4 .12 · ka2 .13 (keepalived 2.2.7) · client .100  VIP 10.2.0.10
 *   c3     10.3.0.0/24   lb5 .11 · lb6 .12 · ka3 .13 (keepalived) · client .100  VIPs 10.3.0.10 (lb5), 10.3.0.20 (lb6)
 *
 * The VRRP segments (c1, c2, c3) carry no control-plane traffic: a partition of a segment splits
 * the VRRP peers (split brain by construction) while every agent still reports to the control
 * plane, which must see both masters. Clusters c2 and c3 serve their VIPs from a small HTTP
 * responder on every director (it answers with its host name, so the client sees who holds the
 * VIP); c1 balances over the real servers.
 *
 * Timers: VRRPv3 at 1 s adverts (master-down 3 x 1 s + skew, about 3.4-3.6 s). Generous on
 * purpose: the lab shares two cores with other work, and a soak that false-fails over because
 * the machine is loaded proves nothing.
 */
export const ADVERT_MS = 1000;
/** RFC 5798 §6.1: Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time, Skew = ((256 − Priority) × Advertisement_Interval) / 256. */
export const masterDownMs = (priority: number) => 3 * ADVERT_MS + ((256 - priority) * ADVERT_MS) / 256;
/** How often an agent reports its state without events (agent/src/managed/agent.ts stateEveryMs). */
export const REPORT_INTERVAL_MS = 5000;

export type SegmentName = 'mgmt' | 'db' | 'c1' | 'c1in' | 'c2' | 'c3';
export interface LinkSpec { ifname: string; segment: SegmentName; address: string }
export interface HostSpec { host: string; links: LinkSpec[]; gateway?: string }

export interface ClusterLayout {
  site: string;
  cluster: string;
  /** The segment its VRRP runs on (the one partitions, flaps and netem act on). */
  segment: 'c1' | 'c2' | 'c3';
  directors: string[];
  /** keepalived peers on the segment (not managed: they elect, they do not report). */
  keepalived: string[];
  /** instance -> { vrid, vip, priorities by host (managed and keepalived) } */
  instances: Record<string, { vrid: number; iface: string; vip: string; priorities: Record<string, number> }>;
  syncGroup?: { name: string; members: string[] };
  /** Client traffic targets: the VIPs served over HTTP on port 80. */
  serves: string[];
}

export const CLUSTERS: ClusterLayout[] = [
  {
    site: 'dc1', cluster: 'web', segment: 'c1', directors: ['lb1', 'lb2'], keepalived: [],
    instances: {
      VI_OUT: { vrid: 11, iface: 'eth0', vip: '10.1.0.10/24', priorities: { lb1: 150, lb2: 100 } },
      VI_IN: { vrid: 12, iface: 'eth1', vip: '10.1.1.1/24', priorities: { lb1: 150, lb2: 100 } },
    },
    syncGroup: { name: 'VG_WEB', members: ['VI_OUT', 'VI_IN'] },
    serves: ['10.1.0.10'],
  },
  {
    site: 'dc1', cluster: 'api', segment: 'c2', directors: ['lb3', 'lb4'], keepalived: ['ka2'],
    instances: { VI_API: { vrid: 21, iface: 'eth0', vip: '10.2.0.10/24', priorities: { lb3: 150, lb4: 100, ka2: 50 } } },
    serves: ['10.2.0.10'],
  },
  {
    site: 'dc2', cluster: 'edge', segment: 'c3', directors: ['lb5', 'lb6'], keepalived: ['ka3'],
    instances: {
      VI_A: { vrid: 31, iface: 'eth0', vip: '10.3.0.10/24', priorities: { lb5: 150, lb6: 100, ka3: 50 } },
      VI_B: { vrid: 32, iface: 'eth0', vip: '10.3.0.20/24', priorities: { lb6: 150, lb5: 100, ka3: 50 } },
    },
    serves: ['10.3.0.10', '10.3.0.20'],
  },
];

export const DIRECTORS = CLUSTERS.flatMap((c) => c.directors);
export const KEEPALIVED = CLUSTERS.flatMap((c) => c.keepalived);
/** The director whose agent runs under libfaketime (clock steps). */
export const CLOCK_DIRECTOR = 'lb6';

export const CP_MGMT = '10.99.0.2';
export const CP_PORT = 8080;
export const CP_URL = `http://${CP_MGMT}:${CP_PORT}`;
export const PG_PORT = 5432;
export const PG_PROXY_PORT = 6432;
export const PG_HOSTS = { pg1: '10.98.0.11', pg2: '10.98.0.12' } as const;

export const clusterOf = (host: string) => CLUSTERS.find((c) => c.directors.includes(host) || c.keepalived.includes(host));

export const HOSTS: HostSpec[] = [
  { host: 'cp', links: [{ ifname: 'mgmt0', segment: 'mgmt', address: `${CP_MGMT}/24` }, { ifname: 'db0', segment: 'db', address: '10.98.0.2/24' }] },
  { host: 'pg1', links: [{ ifname: 'db0', segment: 'db', address: `${PG_HOSTS.pg1}/24` }] },
  { host: 'pg2', links: [{ ifname: 'db0', segment: 'db', address: `${PG_HOSTS.pg2}/24` }] },
  { host: 'client', links: [1, 2, 3].map((c) => ({ ifname: `eth${c}`, segment: `c${c}` as SegmentName, address: `10.${c}.0.100/24` })) },
  ...['lb1', 'lb2'].map((h, i) => ({ host: h, links: [
    { ifname: 'eth0', segment: 'c1' as const, address: `10.1.0.${11 + i}/24` },
    { ifname: 'eth1', segment: 'c1in' as const, address: `10.1.1.${11 + i}/24` },
    { ifname: 'mgmt0', segment: 'mgmt' as const, address: `10.99.0.${11 + i}/24` },
  ] })),
  ...['lb3', 'lb4', 'lb5', 'lb6'].map((h, i) => ({ host: h, links: [
    { ifname: 'eth0', segment: (i < 2 ? 'c2' : 'c3') as SegmentName, address: `10.${i < 2 ? 2 : 3}.0.${11 + (i % 2)}/24` },
    { ifname: 'mgmt0', segment: 'mgmt' as const, address: `10.99.0.${13 + i}/24` },
  ] })),
  { host: 'ka2', links: [{ ifname: 'eth0', segment: 'c2', address: '10.2.0.13/24' }] },
  { host: 'ka3', links: [{ ifname: 'eth0', segment: 'c3', address: '10.3.0.13/24' }] },
  ...['rs1', 'rs2'].map((h, i) => ({ host: h, links: [{ ifname: 'eth0', segment: 'c1in' as const, address: `10.1.1.${21 + i}/24` }], gateway: '10.1.1.1' })),
];

/** The cluster spec the control plane holds for a cluster (revision 1, before any change). */
export function clusterSpec(c: ClusterLayout, extraVips: Record<string, string[]> = {}): Record<string, unknown> {
  // A keepalived peer's config is not Vigil's to change, and keepalived drops an advert whose
  // address list differs from its own ("received an unexpected ip number count"; RFC 3768 §7.1:
  // a non-owner MUST drop it): it would time out and take the VIP. So in a cluster with a
  // keepalived peer an added VIP is an excluded one (not carried in adverts, RFC 5798 §5.2.9), as
  // an operator mixing the two would add it until the peer's config catches up.
  const excluded = c.keepalived.length > 0;
  const instances = Object.fromEntries(Object.entries(c.instances).map(([name, i]) => [name, {
    interface: i.iface, virtualRouterId: i.vrid, version: 3, advertIntervalMs: ADVERT_MS,
    virtualIpAddresses: [i.vip, ...(excluded ? [] : extraVips[name] ?? [])],
    ...(excluded && extraVips[name]?.length ? { virtualIpAddressesExcluded: extraVips[name] } : {}),
    directors: Object.fromEntries(c.directors.map((d) => [d, { priority: i.priorities[d]! }])),
    // Split-brain healing as an operator of a segment that can split sets it up: a master that
    // yields to a higher priority first sends one advert of its own, so the winner hears a lower
    // priority and re-announces its VIPs at once (garp_lower_prio_repeat) to the clients that
    // followed the loser; otherwise they keep sending to a MAC that dropped the VIP until their
    // neighbour entry goes stale (15-45 s).
    higherPrioSendAdvert: true,
  }]));
  return {
    version: 1,
    directors: Object.fromEntries(c.directors.map((d) => [d, {}])),
    vrrpInstances: instances,
    ...(c.syncGroup ? { syncGroups: { [c.syncGroup.name]: { group: c.syncGroup.members } } } : {}),
    ...(c.segment === 'c1' ? {
      virtualServers: [{
        address: '10.1.0.10', port: 80, protocol: 'TCP', scheduler: 'rr', method: 'NAT', delayLoopMs: 2000,
        realServers: ['10.1.1.21', '10.1.1.22'].map((address) => ({
          address, port: 8080, weight: 1,
          checkers: [{ type: 'TCP_CHECK', connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 }],
        })),
      }],
    } : {}),
  };
}

/** keepalived.conf for a keepalived peer: the same instances, VRRPv3 at the same interval. */
export function keepalivedConf(host: string): string {
  const c = clusterOf(host)!;
  const blocks = Object.entries(c.instances).map(([name, i]) => `vrrp_instance ${name} {
    state BACKUP
    interface ${i.iface}
    virtual_router_id ${i.vrid}
    priority ${i.priorities[host]}
    advert_int ${ADVERT_MS / 1000}
    higher_prio_send_advert
    virtual_ipaddress {
        ${i.vip}
    }
}`);
  return `global_defs {
    router_id ${host}
    vrrp_version 3
    script_user root
    enable_script_security
}
${blocks.join('\n')}
`;
}
