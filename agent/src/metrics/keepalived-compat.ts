/**
 * The metric names of the two common keepalived exporters, from the agent's own status, so
 * Grafana dashboards and alert rules written for keepalived work unchanged on Vigil. Pure.
 *
 * mehdy/keepalived-exporter (labels iname, intf, vrid):
 *   keepalived_up, keepalived_vrrp_state{iname,intf,vrid,ip_address} (0 INIT, 1 BACKUP, 2 MASTER,
 *   3 FAULT; one series per VIP), keepalived_*_total counters (adverts, become/release master,
 *   the receive-error counters, priority zero), keepalived_gratuitous_arp_delay_total (the GARP
 *   master delay in seconds, as keepalived's data dump gives it), keepalived_script_status{name}
 *   (1 GOOD, 0 BAD), keepalived_script_state{name} (0 idle: Vigil runs each check in a worker and
 *   reports between runs), keepalived_exporter_check_script_status and its older name
 *   keepalived_check_script_status per VIP (1 when every tracked object of the instance is up).
 * gen2brain/keepalived_exporter (labels name, intf, vrid, state as INIT/BACKUP/MASTER/FAULT):
 *   keepalived_vrrp_{advert_rcvd,advert_sent,become_master,release_master,packet_len_err,
 *   advert_interval_err,ip_ttl_err,invalid_type_rcvd,addr_list_err,invalid_authtype,
 *   authtype_mismatch,auth_failure,pri_zero_rcvd,pri_zero_sent}, and from the data plane
 *   keepalived_lvs_{vip,rs}_{in_packets,out_packets,in_bytes,out_bytes,conn}{addr,proto}.
 *
 * keepalived's counters map to the agent's: a receive drop reason (vrrp/RECEIVE.md) counts under
 * the keepalived error it corresponds to (length, interval, ttl, type/version, addr_list/count,
 * auth); become_master and release_master count the state machine's transitions into and out of
 * MASTER. Drops keepalived keeps no statistic for (checksum, vrid, destination, owner, unicast
 * source) are in vigil_vrrp_dropped_total only.
 */
import type { ActualTable } from '../lb/model.ts';
import type { AgentStatus, InstanceStatus } from '../runtime/status.ts';

export interface CompatSample { name: string; labels: Record<string, string>; value: number }
export interface CompatMetrics {
  samples: CompatSample[];
  help: Record<string, string>;
  types: Record<string, 'counter' | 'gauge'>;
}

/** keepalived's numeric VRRP states (vrrp.h: VRRP_STATE_INIT 0, BACK 1, MAST 2, FAULT 3). */
const STATE_NUMBER: Record<string, number> = { INITIALIZE: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOPPED: 0 };
const STATE_WORD: Record<string, string> = { INITIALIZE: 'INIT', BACKUP: 'BACKUP', MASTER: 'MASTER', FAULT: 'FAULT', STOPPED: 'INIT' };

/**
 * keepalived's per-instance statistics from the agent's counters. Receive drops are grouped the
 * way keepalived counts them (vrrp.c vrrp_check_packet): a wrong length, TTL, type, address list
 * or authentication is counted by keepalived under that error.
 */
export function keepalivedStats(c: Record<string, unknown>): Record<string, number> {
  const n = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : 0);
  const drops = (c.drops && typeof c.drops === 'object' ? c.drops : {}) as Record<string, number>;
  const d = (...keys: string[]) => keys.reduce((sum, k) => sum + (typeof drops[k] === 'number' ? drops[k]! : 0), 0);
  return {
    advert_rcvd: n('advertsRx'),
    advert_sent: n('advertsTx'),
    become_master: n('becomeMaster'),
    release_master: n('releaseMaster'),
    packet_len_err: d('length'),
    advert_interval_err: d('interval'),
    ip_ttl_err: d('ttl'),
    invalid_type_rcvd: d('type', 'version'),
    addr_list_err: d('addr_list', 'addr_count'),
    // The agent checks the auth type and the password as one step (RECEIVE.md): both count here.
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: d('auth'),
    pri_zero_rcvd: n('priorityZeroRx'),
    pri_zero_sent: n('priorityZeroTx'),
  };
}

/** mehdy's metric name for each statistic. */
const MEHDY: Record<string, [string, string]> = {
  advert_rcvd: ['keepalived_advertisements_received_total', 'Advertisements received'],
  advert_sent: ['keepalived_advertisements_sent_total', 'Advertisements sent'],
  become_master: ['keepalived_become_master_total', 'Became master'],
  release_master: ['keepalived_release_master_total', 'Released master'],
  packet_len_err: ['keepalived_packet_length_errors_total', 'Packet length errors'],
  advert_interval_err: ['keepalived_advertisements_interval_errors_total', 'Advertisement interval errors'],
  ip_ttl_err: ['keepalived_ip_ttl_errors_total', 'TTL errors'],
  invalid_type_rcvd: ['keepalived_invalid_type_received_total', 'Invalid type errors'],
  addr_list_err: ['keepalived_address_list_errors_total', 'Address list errors'],
  invalid_authtype: ['keepalived_authentication_invalid_total', 'Authentication invalid'],
  authtype_mismatch: ['keepalived_authentication_mismatch_total', 'Authentication mismatch'],
  auth_failure: ['keepalived_authentication_failure_total', 'Authentication failure'],
  pri_zero_rcvd: ['keepalived_priority_zero_received_total', 'Priority zero received'],
  pri_zero_sent: ['keepalived_priority_zero_sent_total', 'Priority zero sent'],
};

/** gen2brain's metric name for each statistic. */
const GEN2BRAIN: Record<string, string> = {
  advert_rcvd: 'Advertisements received', advert_sent: 'Advertisements sent', become_master: 'Became master', release_master: 'Released master',
  packet_len_err: 'Packet length errors', advert_interval_err: 'Advertisement interval errors', ip_ttl_err: 'TTL errors', invalid_type_rcvd: 'Invalid type errors',
  addr_list_err: 'Address list errors', invalid_authtype: 'Authentication invalid', authtype_mismatch: 'Authentication mismatch', auth_failure: 'Authentication failure',
  pri_zero_rcvd: 'Priority zero received', pri_zero_sent: 'Priority zero sent',
};

/** IANA protocol numbers, as the exporter prints the IPVS service protocol. */
const PROTO: Record<string, string> = { TCP: '6', UDP: '17', SCTP: '132' };

function allTrackedUp(i: InstanceStatus): boolean {
  return i.tracked.every((t) => t.up);
}

export function keepalivedCompatMetrics(status: AgentStatus, table?: ActualTable): CompatMetrics {
  const samples: CompatSample[] = [];
  const help: Record<string, string> = {
    keepalived_up: 'Status (1: the agent runs; keepalived exporter compatible)',
    keepalived_vrrp_state: 'State of vrrp (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT)',
    keepalived_gratuitous_arp_delay_total: 'Gratuitous ARP delay',
    keepalived_script_status: 'Tracker Script Status (1 GOOD, 0 BAD)',
    keepalived_script_state: 'Tracker Script State (0 idle, 1 running)',
    keepalived_exporter_check_script_status: 'Check Script status for each VIP (1: every tracked object of the instance is up)',
    keepalived_check_script_status: 'Check Script status for each VIP (older name)',
  };
  const types: Record<string, 'counter' | 'gauge'> = {
    keepalived_up: 'gauge', keepalived_vrrp_state: 'gauge', keepalived_gratuitous_arp_delay_total: 'counter', keepalived_script_status: 'gauge', keepalived_script_state: 'gauge',
    keepalived_exporter_check_script_status: 'gauge', keepalived_check_script_status: 'gauge',
  };
  for (const [, [name, text]] of Object.entries(MEHDY)) {
    help[name] = text;
    types[name] = 'counter';
  }
  for (const [stat, text] of Object.entries(GEN2BRAIN)) {
    help[`keepalived_vrrp_${stat}`] = text;
    types[`keepalived_vrrp_${stat}`] = 'counter';
  }
  samples.push({ name: 'keepalived_up', labels: {}, value: 1 });
  const scripts = new Map<string, boolean>();
  for (const i of status.instances) {
    const base = { iname: i.name, intf: i.interface, vrid: String(i.vrid) };
    const stats = keepalivedStats(i.counters);
    for (const [stat, [name]] of Object.entries(MEHDY)) samples.push({ name, labels: base, value: stats[stat] ?? 0 });
    samples.push({ name: 'keepalived_gratuitous_arp_delay_total', labels: base, value: (i.garpMasterDelayMs ?? 0) / 1000 });
    for (const vip of i.vips) {
      const labels = { ...base, ip_address: vip };
      samples.push({ name: 'keepalived_vrrp_state', labels, value: STATE_NUMBER[i.state] ?? 0 });
      samples.push({ name: 'keepalived_exporter_check_script_status', labels, value: allTrackedUp(i) ? 1 : 0 });
      samples.push({ name: 'keepalived_check_script_status', labels, value: allTrackedUp(i) ? 1 : 0 });
    }
    const g2 = { name: i.name, intf: i.interface, vrid: String(i.vrid), state: STATE_WORD[i.state] ?? 'INIT' };
    for (const stat of Object.keys(GEN2BRAIN)) samples.push({ name: `keepalived_vrrp_${stat}`, labels: g2, value: stats[stat] ?? 0 });
    for (const t of i.tracked) if (t.name.startsWith('script:')) scripts.set(t.name.slice('script:'.length), t.up);
  }
  for (const [name, up] of scripts) {
    samples.push({ name: 'keepalived_script_status', labels: { name }, value: up ? 1 : 0 });
    samples.push({ name: 'keepalived_script_state', labels: { name }, value: 0 });
  }
  for (const s of table?.services ?? []) {
    const addr = s.key.kind === 'fwmark' ? `fwm:${s.key.fwmark}` : s.key.family === 'inet6' ? `[${s.key.address}]:${s.key.port}` : `${s.key.address}:${s.key.port}`;
    const proto = s.key.kind === 'fwmark' ? '0' : PROTO[s.key.protocol] ?? '0';
    const put = (kind: 'vip' | 'rs', labels: Record<string, string>, st: { inPkts: number; outPkts: number; inBytes: number; outBytes: number; conns: number }) => {
      for (const [field, suffix] of [['inPkts', 'in_packets'], ['outPkts', 'out_packets'], ['inBytes', 'in_bytes'], ['outBytes', 'out_bytes'], ['conns', 'conn']] as const) {
        const name = `keepalived_lvs_${kind}_${suffix}`;
        help[name] ??= `${kind === 'vip' ? 'VIP' : 'RS'} ${suffix.replace('_', ' ')}`;
        types[name] = 'counter';
        samples.push({ name, labels, value: st[field] });
      }
    };
    put('vip', { addr, proto }, s.stats);
    for (const d of s.destinations) put('rs', { addr: d.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`, proto }, d.stats);
  }
  // Samples of one metric together, as the exposition format wants.
  const order = [...new Set(samples.map((s) => s.name))];
  samples.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { samples, help, types };
}
