/**
 * A two-director LVS-DR cluster, as an operator would write it (defaults left out). Used in
 * tests and docs; it passes both validation layers.
 *
 * lb1 is the preferred MASTER (priority 150), lb2 the BACKUP (100). One VRRPv3 instance holds
 * the web VIP on eth0; nginx is tracked by a script; the VIP's port 80 and 443 are balanced
 * with DR over two real servers checked by HTTP_GET and TCP_CHECK.
 */
import { ClusterSpec, type ClusterSpecInput } from './cluster.ts';

export const exampleClusterSpecInput = {
  version: 1,
  global: { vrrpVersion: 3, garp: { masterRefreshMs: 60_000 } },
  directors: {
    lb1: { routerId: 'lb1', unicastSrcIp: '192.0.2.11' },
    lb2: { routerId: 'lb2', unicastSrcIp: '192.0.2.12' },
  },
  vrrpScripts: {
    chk_nginx: { script: '/usr/bin/pgrep -x nginx', intervalMs: 2000, weight: -20, fall: 2, rise: 2 },
  },
  vrrpInstances: {
    VI_WEB: {
      interface: 'eth0',
      virtualRouterId: 51,
      advertIntervalMs: 1000,
      virtualIpAddresses: [{ address: '192.0.2.100/24', dev: 'eth0', label: 'eth0:web' }],
      trackScripts: [{ name: 'chk_nginx' }],
      trackInterfaces: [{ interface: 'eth0' }],
      notify: { master: '/etc/vigil/notify.sh master', backup: '/etc/vigil/notify.sh backup' },
      directors: {
        lb1: { priority: 150, state: 'MASTER' },
        lb2: { priority: 100, state: 'BACKUP' },
      },
    },
  },
  virtualServers: [
    {
      address: '192.0.2.100',
      port: 80,
      protocol: 'TCP',
      scheduler: 'wrr',
      method: 'DR',
      persistenceTimeoutMs: 300_000,
      delayLoopMs: 6000,
      sorryServer: { address: '192.0.2.50', port: 80 },
      realServers: [
        {
          address: '192.0.2.21', port: 80, weight: 2,
          checkers: [{ type: 'HTTP_GET', connectTimeoutMs: 3000, retry: 3, delayBeforeRetryMs: 1000, urls: [{ path: '/healthz', statusCodes: [200, { from: 301, to: 302 }] }] }],
        },
        {
          address: '192.0.2.22', port: 80, weight: 1,
          checkers: [{ type: 'TCP_CHECK', connectTimeoutMs: 2000 }],
        },
      ],
    },
    {
      address: '192.0.2.100',
      port: 443,
      scheduler: 'wlc',
      method: 'DR',
      quorum: 1,
      inhibitOnFailure: true,
      realServers: [
        { address: '192.0.2.21', port: 443, checkers: [{ type: 'TCP_CHECK' }] },
        { address: '192.0.2.22', port: 443, checkers: [{ type: 'TCP_CHECK' }] },
      ],
    },
  ],
} satisfies ClusterSpecInput;

/**
 * The example with every default applied (the form stored and run). Marked pure so that a build
 * that never uses it drops it: parsed at load, it cost every `vigil` start (the agent's too) a
 * full schema parse.
 */
export const exampleClusterSpec: ClusterSpec = /* @__PURE__ */ ClusterSpec.parse(exampleClusterSpecInput);
