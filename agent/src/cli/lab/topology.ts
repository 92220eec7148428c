/**
 * The lab's layout: the seed articles' LVS-NAT pair with a sync group (lab5), on one machine.
 *
 *   client 192.0.2.100 ┐                       ┌ rs1 198.51.100.21:8080
 *   cp     192.0.2.2   ┼─ outside ─ lb1 / lb2 ─┼ rs2 198.51.100.22:8080
 *   (VIP 192.0.2.10)   ┘  .11 / .12   (.11/.12)┘ (gateway VIP 198.51.100.1)
 *
 * Every host is a network namespace named `<name>-<host>`; the two segments are bridges in the
 * switch namespace `<name>-sw`. The control plane runs on this machine's loopback (for the CLI)
 * and is reached from the lab at 192.0.2.2:8080 through a relay in the `cp` namespace. Both
 * directors are installed by install.sh, each in its own root (an overlay of this machine's
 * root filesystem in a private mount namespace), and enrolled with a token minted for it.
 */
export const OUTSIDE = '192.0.2';
export const INSIDE = '198.51.100';
export const VIP = `${OUTSIDE}.10`;
export const GATEWAY_VIP = `${INSIDE}.1`;
export const CP_ADDRESS = `${OUTSIDE}.2`;
export const CP_PORT_IN_LAB = 8080;
export const METRICS_PORT = 9650;
export const SITE = 'lab';
export const CLUSTER = 'web';
export const DIRECTORS = ['lb1', 'lb2'] as const;
/** The spec's advert interval and each director's priority (labSpec). */
export const ADVERT_MS = 200;
export const PRIORITY = { lb1: 150, lb2: 100 } as const;
export const INSTANCES = ['VI_OUT', 'VI_IN'] as const;
export const REAL_SERVERS = ['rs1', 'rs2'] as const;

export interface LabHostSpec {
  host: string;
  /** Interfaces: name -> [segment, address/len]. */
  links: { ifname: string; segment: 'out' | 'in'; address: string }[];
  gateway?: string;
}

export const HOSTS: LabHostSpec[] = [
  { host: 'cp', links: [{ ifname: 'eth0', segment: 'out', address: `${CP_ADDRESS}/24` }] },
  { host: 'client', links: [{ ifname: 'eth0', segment: 'out', address: `${OUTSIDE}.100/24` }] },
  { host: 'lb1', links: [{ ifname: 'eth0', segment: 'out', address: `${OUTSIDE}.11/24` }, { ifname: 'eth1', segment: 'in', address: `${INSIDE}.11/24` }] },
  { host: 'lb2', links: [{ ifname: 'eth0', segment: 'out', address: `${OUTSIDE}.12/24` }, { ifname: 'eth1', segment: 'in', address: `${INSIDE}.12/24` }] },
  { host: 'rs1', links: [{ ifname: 'eth0', segment: 'in', address: `${INSIDE}.21/24` }], gateway: GATEWAY_VIP },
  { host: 'rs2', links: [{ ifname: 'eth0', segment: 'in', address: `${INSIDE}.22/24` }], gateway: GATEWAY_VIP },
];

/**
 * The cluster spec the lab applies: two instances in a sync group (the outside VIP and the inside
 * gateway fail over together, as LVS-NAT needs), nopreempt so a failover sticks, VRRPv3 at 0.2 s
 * so the demo fails over in under a second, and the web service balanced over both real servers
 * with HTTP checks.
 */
export function labSpec(): Record<string, unknown> {
  const inst = (iface: string, vrid: number, vip: string) => ({
    interface: iface, virtualRouterId: vrid, version: 3, advertIntervalMs: ADVERT_MS, state: 'BACKUP', nopreempt: true, priority: PRIORITY.lb1,
    virtualIpAddresses: [vip], directors: { lb2: { priority: PRIORITY.lb2 } },
    // A tracked vrrp_script, as most keepalived setups have (the exporters' dashboards chart
    // keepalived_script_status): a director whose agent settings vanished goes FAULT and gives
    // up its VIPs (weight 0; the sync group follows).
    trackScripts: [{ name: 'chk_agent_conf' }],
  });
  return {
    version: 1,
    directors: { lb1: {}, lb2: {} },
    vrrpScripts: { chk_agent_conf: { script: '/usr/bin/test -s /etc/vigil/agent.json', intervalMs: 2000, fall: 2, rise: 1 } },
    vrrpInstances: { VI_OUT: inst('eth0', 51, `${VIP}/24`), VI_IN: inst('eth1', 52, `${GATEWAY_VIP}/24`) },
    syncGroups: { VG_LAB: { group: ['VI_OUT', 'VI_IN'] } },
    virtualServers: [{
      address: VIP, port: 80, protocol: 'TCP', scheduler: 'rr', method: 'NAT', delayLoopMs: 2000,
      realServers: REAL_SERVERS.map((rs, i) => ({
        address: `${INSIDE}.${21 + i}`, port: 8080, weight: 1,
        checkers: [{ type: 'HTTP_GET', connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500, urls: [{ path: '/', statusCodes: [200] }] }],
      })),
    }],
  };
}
