/**
 * VRRP blocks (keepalived 2.2.7 keepalived/vrrp/vrrp_parser.c): vrrp_instance, vrrp_script,
 * vrrp_sync_group, vrrp_track_process, track_file, and the list blocks they open.
 */
import { bool, command, firstCommand, flag, int, ip, one, oneOf, secs, U, unsupportedFree, word, type BlockSpec, type KeywordSpec } from './types.ts';

// keepalived keeps the first of each ("notify_master script already specified - ignoring").
const notify: Record<string, KeywordSpec> = {
  notify_master: firstCommand,
  notify_backup: firstCommand,
  notify_fault: firstCommand,
  notify_stop: firstCommand,
  notify: firstCommand,
};

export const vrrpInstance: BlockSpec = {
  name: 'vrrp_instance',
  keywords: {
    state: one(oneOf('MASTER', 'BACKUP')),
    interface: one(word),
    virtual_router_id: one(int(1, 255)),
    priority: one(int(1, 255)),
    advert_int: one(secs(0.01, 255)),
    version: one(int(2, 3)),
    nopreempt: flag,
    preempt: flag,
    preempt_delay: one(secs(0, 1000)),
    accept: flag,
    no_accept: flag,
    strict_mode: { optional: [bool] },
    skip_check_adv_addr: { optional: [bool] },
    lower_prio_no_advert: { optional: [bool] },
    higher_prio_send_advert: { optional: [bool] },
    down_timer_adverts: one(int(1, 100)),
    dont_track_primary: flag,
    mcast_src_ip: one(ip),
    unicast_src_ip: one(ip),
    mcast_dst_ip: one(ip),
    unicast_ttl: one(int(1, 255)),
    unicast_peer: { block: 'unicast_peer' },
    // Vigil always checks a unicast advert's source against unicast_peer (see vrrp/RECEIVE.md).
    check_unicast_src: flag,
    // keepalived ≥ 2.2.8 (per instance as well as in global_defs).
    v3_checksum_as_v2: { optional: [bool] },
    unicast_fault_no_peer: flag,
    authentication: { block: 'authentication' },
    virtual_ipaddress: { block: 'virtual_ipaddress' },
    virtual_ipaddress_excluded: { block: 'virtual_ipaddress' },
    virtual_routes: { block: 'virtual_routes' },
    track_interface: { block: 'track_interface' },
    track_script: { block: 'track_script' },
    track_file: { block: 'track_names' },
    track_process: { block: 'track_names' },
    promote_secondaries: flag,
    use_vmac: { optional: [word], rest: 'free' },
    vmac_xmit_base: flag,
    garp_master_delay: one(secs(0)),
    garp_master_repeat: one(int(1)),
    garp_master_refresh: one(secs(0)),
    garp_master_refresh_repeat: one(int(1)),
    garp_lower_prio_delay: one(secs(0)),
    garp_lower_prio_repeat: one(int(0)),
    notify_priority_changes: { optional: [bool] },
    ...notify,
    // Known to keepalived, not implemented by Vigil.
    notify_deleted: { ...command, ...U },
    notify_master_rx_lower_pri: { ...command, ...U },
    smtp_alert: unsupportedFree,
    lvs_sync_daemon_interface: {
      args: [word],
      unsupported: 'deprecated in keepalived too: use global_defs "lvs_sync_daemon IFACE inst INSTANCE"',
    },
    use_vmac_addr: unsupportedFree,
    use_ipvlan: unsupportedFree,
    vrf: unsupportedFree,
    track_bfd: { block: 'track_names', unsupported: true },
    track_src_ip: unsupportedFree,
    // `never` (no pre-1.3.6 checksum, no auto-detection) is what Vigil always does; the bare
    // keyword (send the old form) is refused in validate.ts.
    old_unicast_checksum: { optional: [oneOf('never')] },
    native_ipv6: unsupportedFree,
    linkbeat_use_polling: unsupportedFree,
    virtual_rules: { block: 'free', unsupported: true },
    garp_extra_if: unsupportedFree,
    vmac_garp_intvl: unsupportedFree,
    kernel_rx_buf_size: unsupportedFree,
    debug: unsupportedFree,
  },
};

export const authentication: BlockSpec = {
  name: 'authentication',
  keywords: {
    auth_type: one({ type: 'enum', values: ['PASS', 'AH'], caseInsensitive: true }),
    auth_pass: one(word),
  },
};

export const vrrpScript: BlockSpec = {
  name: 'vrrp_script',
  keywords: {
    script: command,
    interval: one(secs(0.000001)),
    timeout: one(secs(0.000001)),
    weight: { args: [int(-253, 253)], optional: [oneOf('reverse', 'noreverse')], rest: 'error' },
    rise: one(int(1)),
    fall: one(int(1)),
    user: { args: [word], optional: [word] },
    init_fail: flag,
  },
};

export const vrrpSyncGroup: BlockSpec = {
  name: 'vrrp_sync_group',
  keywords: {
    group: { block: 'group' },
    track_interface: { block: 'track_interface' },
    track_script: { block: 'track_script' },
    track_file: { block: 'track_names' },
    track_process: { block: 'track_names' },
    track_bfd: { block: 'track_names', unsupported: true },
    ...notify,
    notify_priority_changes: { optional: [bool] },
    smtp_alert: unsupportedFree,
    global_tracking: { ...flag, unsupported: 'deprecated in keepalived: use sync_group_tracking_weight' },
    sync_group_tracking_weight: flag,
  },
};

export const vrrpTrackProcess: BlockSpec = {
  name: 'vrrp_track_process',
  keywords: {
    process: { args: [word], rest: 'free' },
    param_match: one(oneOf('initial', 'partial', 'exact')),
    weight: { args: [int(-253, 253)], optional: [oneOf('reverse', 'noreverse')], rest: 'error' },
    quorum: one(int(1)),
    quorum_max: one(int(1)),
    delay: one(secs(0)),
    terminate_delay: one(secs(0)),
    fork_delay: one(secs(0)),
    full_command: flag,
  },
};

export const trackFile: BlockSpec = {
  name: 'track_file',
  keywords: {
    file: one(word),
    weight: { args: [int(-254, 254)], optional: [oneOf('reverse', 'noreverse')], rest: 'error' },
    init_file: { optional: [word, word] },
  },
};

export const listBlocks: Record<string, BlockSpec> = {
  virtual_ipaddress: { name: 'virtual_ipaddress', list: 'address' },
  static_ipaddress: { name: 'static_ipaddress', list: 'address' },
  virtual_routes: { name: 'virtual_routes', list: 'route' },
  static_routes: { name: 'static_routes', list: 'route' },
  track_interface: { name: 'track_interface', list: 'tracked' },
  track_script: { name: 'track_script', list: 'tracked' },
  track_names: { name: 'track list', list: 'tracked' },
  group: { name: 'group', list: 'names' },
  unicast_peer: { name: 'unicast_peer', list: 'peer' },
  free: { name: 'block', list: 'free' },
};
