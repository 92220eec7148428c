/**
 * The keepalived exporters' metric names on the agent's /metrics: names, labels and values as
 * mehdy/keepalived-exporter and gen2brain/keepalived_exporter give them, and the switch.
 */
import { describe, expect, it } from 'vitest';
import type { ActualTable } from '../lb/model.ts';
import { renderMetrics } from '../runtime/metrics.ts';
import type { AgentStatus } from '../runtime/status.ts';
import { createInstance, DEFAULT_GARP } from '../vrrp/state.ts';
import { step } from '../vrrp/fsm.ts';
import { keepalivedCompatMetrics } from './keepalived-compat.ts';

const drops = { ttl: 2, dst: 0, version: 1, type: 0, length: 3, checksum: 5, vrid: 0, auth: 4, addr_count: 1, addr_list: 0, interval: 6, owner: 0, unicast_src: 0 };
const status: AgentStatus = {
  pid: 1,
  instances: [
    {
      name: 'VI_1', vrid: 51, version: 2, family: 'ipv4', interface: 'eth0', state: 'MASTER', priority: 150, basePriority: 150, masterSeen: null,
      vips: ['192.0.2.100/24', '192.0.2.101/32'], vipsHeld: true, tracked: [{ name: 'script:chk_nginx', up: true, weight: -30 }, { name: 'interface:eth1', up: true, weight: 0 }],
      lastTransition: null, garpMasterDelayMs: 5000,
      counters: { advertsRx: 10, advertsTx: 200, priorityZeroRx: 1, priorityZeroTx: 2, garpBurstsTx: 3, transitions: 4, becomeMaster: 2, releaseMaster: 1, drops },
    },
    {
      name: 'VI_2', vrid: 52, version: 3, family: 'ipv4', interface: 'eth1', state: 'FAULT', priority: 100, basePriority: 100, masterSeen: null,
      vips: ['198.51.100.1/24'], vipsHeld: false, tracked: [{ name: 'script:chk_db', up: false, weight: 0 }], lastTransition: null,
      counters: { advertsRx: 0, advertsTx: 0, priorityZeroRx: 0, priorityZeroTx: 0, garpBurstsTx: 0, transitions: 1, becomeMaster: 0, releaseMaster: 0, drops: {} },
    },
  ],
};
const stats = { conns: 7, inPkts: 70, outPkts: 60, inBytes: 7000, outBytes: 6000, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const table: ActualTable = {
  services: [{
    key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '192.0.2.100', port: 80 }, scheduler: 'wrr', flags: { onePacket: false, sched1: false, sched2: false, sched3: false },
    timeoutSec: 0, netmask: 32, stats,
    destinations: [{ address: '10.0.0.21', family: 'inet', port: 80, method: 'DR', weight: 1, upperThreshold: 0, lowerThreshold: 0, activeConns: 1, inactiveConns: 0, persistentConns: 0, stats: { ...stats, conns: 3 } }],
  }],
} as unknown as ActualTable;

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('keepalived exporter names on /metrics', () => {
  const text = renderMetrics(status, { realServers: [], table });

  it('mehdy: state per VIP (2 MASTER, 3 FAULT), counters labelled iname/intf/vrid', () => {
    expect(value(text, 'keepalived_up{}')).toBe(1);
    expect(value(text, 'keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="192.0.2.100/24"}')).toBe(2);
    expect(value(text, 'keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="192.0.2.101/32"}')).toBe(2);
    expect(value(text, 'keepalived_vrrp_state{iname="VI_2",intf="eth1",vrid="52",ip_address="198.51.100.1/24"}')).toBe(3);
    const l = '{iname="VI_1",intf="eth0",vrid="51"}';
    expect(value(text, `keepalived_advertisements_received_total${l}`)).toBe(10);
    expect(value(text, `keepalived_advertisements_sent_total${l}`)).toBe(200);
    expect(value(text, `keepalived_become_master_total${l}`)).toBe(2);
    expect(value(text, `keepalived_release_master_total${l}`)).toBe(1);
    expect(value(text, `keepalived_packet_length_errors_total${l}`)).toBe(3);
    expect(value(text, `keepalived_advertisements_interval_errors_total${l}`)).toBe(6);
    expect(value(text, `keepalived_ip_ttl_errors_total${l}`)).toBe(2);
    expect(value(text, `keepalived_invalid_type_received_total${l}`)).toBe(1);
    expect(value(text, `keepalived_address_list_errors_total${l}`)).toBe(1);
    expect(value(text, `keepalived_authentication_failure_total${l}`)).toBe(4);
    expect(value(text, `keepalived_authentication_invalid_total${l}`)).toBe(0);
    expect(value(text, `keepalived_authentication_mismatch_total${l}`)).toBe(0);
    expect(value(text, `keepalived_priority_zero_received_total${l}`)).toBe(1);
    expect(value(text, `keepalived_priority_zero_sent_total${l}`)).toBe(2);
    expect(value(text, `keepalived_gratuitous_arp_delay_total${l}`)).toBe(5);
    expect(value(text, 'keepalived_script_status{name="chk_nginx"}')).toBe(1);
    expect(value(text, 'keepalived_script_status{name="chk_db"}')).toBe(0);
    expect(value(text, 'keepalived_script_state{name="chk_db"}')).toBe(0);
    expect(value(text, 'keepalived_exporter_check_script_status{iname="VI_2",intf="eth1",vrid="52",ip_address="198.51.100.1/24"}')).toBe(0);
    expect(text).toContain('# TYPE keepalived_become_master_total counter');
    expect(text).toContain('# TYPE keepalived_vrrp_state gauge');
  });

  it('gen2brain: counters labelled name/intf/vrid/state with the state word; LVS by addr and protocol number', () => {
    const l = '{name="VI_1",intf="eth0",vrid="51",state="MASTER"}';
    expect(value(text, `keepalived_vrrp_advert_rcvd${l}`)).toBe(10);
    expect(value(text, `keepalived_vrrp_advert_sent${l}`)).toBe(200);
    expect(value(text, `keepalived_vrrp_become_master${l}`)).toBe(2);
    expect(value(text, `keepalived_vrrp_release_master${l}`)).toBe(1);
    expect(value(text, `keepalived_vrrp_packet_len_err${l}`)).toBe(3);
    expect(value(text, `keepalived_vrrp_pri_zero_sent${l}`)).toBe(2);
    expect(value(text, 'keepalived_vrrp_advert_rcvd{name="VI_2",intf="eth1",vrid="52",state="FAULT"}')).toBe(0);
    for (const stat of ['advert_interval_err', 'ip_ttl_err', 'invalid_type_rcvd', 'addr_list_err', 'invalid_authtype', 'authtype_mismatch', 'auth_failure', 'pri_zero_rcvd']) {
      expect(value(text, `keepalived_vrrp_${stat}${l}`), stat).toBeDefined();
    }
    expect(text).toContain('# TYPE keepalived_vrrp_advert_rcvd counter');
    expect(value(text, 'keepalived_lvs_vip_in_packets{addr="192.0.2.100:80",proto="6"}')).toBe(70);
    expect(value(text, 'keepalived_lvs_vip_out_bytes{addr="192.0.2.100:80",proto="6"}')).toBe(6000);
    expect(value(text, 'keepalived_lvs_vip_conn{addr="192.0.2.100:80",proto="6"}')).toBe(7);
    expect(value(text, 'keepalived_lvs_rs_conn{addr="10.0.0.21:80",proto="6"}')).toBe(3);
    expect(value(text, 'keepalived_lvs_rs_in_bytes{addr="10.0.0.21:80",proto="6"}')).toBe(7000);
  });

  it('every metric is one block (HELP, TYPE, then its samples), Vigil\'s own names unchanged', () => {
    const names = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(new Set(names).size).toBe(names.length);
    expect(value(text, 'vigil_vrrp_priority{instance="VI_1",vrid="51"}')).toBe(150);
    // Takeovers and releases under Vigil's own names too (the fleet dashboard charts them).
    expect(value(text, 'vigil_vrrp_become_master_total{instance="VI_1",vrid="51"}')).toBe(2);
    expect(value(text, 'vigil_vrrp_release_master_total{instance="VI_1",vrid="51"}')).toBe(1);
    expect(text).toContain('# TYPE vigil_vrrp_become_master_total counter');
  });

  it('the switch turns them off', () => {
    const off = renderMetrics(status, { realServers: [], table }, { keepalivedNames: false });
    expect(off).not.toMatch(/^keepalived_/m);
    expect(off).toMatch(/^vigil_vrrp_state/m);
    expect(keepalivedCompatMetrics({ pid: 1, instances: [] }).samples.map((s) => s.name)).toEqual(['keepalived_up']);
  });

  it('become_master / release_master are the state machine\'s own counts', () => {
    const cfg = { name: 'VI_1', version: 3 as const, family: 'ipv4' as const, vrid: 1, priority: 100, advertIntervalMs: 1000, primaryAddress: '10.0.0.5', preempt: true, preemptDelayMs: 0, lowerPrioNoAdvert: false, higherPrioSendAdvert: false, downTimerAdverts: 3, garp: { ...DEFAULT_GARP } };
    let s = step(createInstance(cfg), { type: 'startup' }, 0).state;
    s = step(s, { type: 'masterDownTimerFired' }, s.masterDownTimerAt!).state;
    s = step(s, { type: 'advertReceived', advert: { priority: 200, advertIntervalMs: 1000 }, srcAddress: '10.0.0.9' }, 5000).state;
    s = step(s, { type: 'masterDownTimerFired' }, s.masterDownTimerAt!).state;
    expect(s.state).toBe('master');
    expect([s.counters.becomeMaster, s.counters.releaseMaster]).toEqual([2, 1]);
  });
});
