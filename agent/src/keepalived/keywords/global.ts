/**
 * `global_defs { ... }` and the other top-level keywords, per keepalived 2.2.7
 * keepalived/core/global_parser.c. Email/SNMP/DBus/process tuning/namespaces/firewall
 * integration are keepalived features Vigil does not implement: they are named as unsupported.
 */
import { bool, firstCommand, flag, int, ip, one, secs, U, unsupportedFree, word, type BlockSpec, type KeywordSpec } from './types.ts';

const unsupportedNames = [
  'smtp_server', 'smtp_helo_name', 'smtp_connect_timeout', 'smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker',
  'notification_email_from', 'no_email_faults', 'no_checker_emails', 'checker_log_all_failures',
  'enable_traps', 'snmp_socket', 'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_rfc', 'enable_snmp_rfcv2',
  'enable_snmp_rfcv3', 'enable_snmp_checker', 'enable_dbus', 'dbus_service_name',
  'process_names', 'process_name', 'vrrp_process_name', 'checker_process_name', 'lvs_process_name', 'bfd_process_name',
  'vrrp_priority', 'vrrp_no_swap', 'vrrp_rt_priority', 'vrrp_cpu_affinity', 'vrrp_rlimit_rttime', 'vrrp_rlimit_rtime',
  'checker_priority', 'checker_no_swap', 'checker_rt_priority', 'checker_cpu_affinity', 'checker_rlimit_rttime',
  'checker_rlimit_rtime', 'bfd_priority', 'bfd_no_swap', 'bfd_rt_priority', 'bfd_cpu_affinity', 'bfd_rlimit_rttime',
  'bfd_rlimit_rtime', 'max_auto_priority', 'min_auto_priority_delay', 'child_wait_time',
  'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance',
  'vrrp_iptables', 'vrrp_ipsets', 'nftables', 'nftables_priority', 'nftables_ifindex', 'nftables_ipvs',
  'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark', 'nftables_counters', 'disable_local_igmp',
  'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force', 'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs_force', 'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force',
  'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force', 'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier', 'rs_init_notifies',
  'log_unknown_vrids', 'vmac_prefix', 'vmac_addr_prefix', 'umask', 'random_seed', 'reload_check_config',
  'reload_time_file', 'reload_repeat', 'reload_file', 'config_save_dir', 'tmp_config_directory',
  'data_use_instance', 'vrrp_notify_priority_changes', 'fifo_write_vrrp_states_on_reload', 'linkbeat_use_polling',
  'vrrp_vmac_garp_intvl', 'vrrp_garp_extra_if',
];

const supported: Record<string, KeywordSpec> = {
  router_id: one(word),
  vrrp_version: one(int(2, 3)),
  vrrp_mcast_group4: one(ip),
  vrrp_mcast_group6: one(ip),
  default_interface: one(word),
  vrrp_strict: flag,
  vrrp_skip_check_adv_addr: { optional: [bool] },
  vrrp_check_unicast_src: flag,
  v3_checksum_as_v2: { optional: [bool] },
  vrrp_lower_prio_no_advert: { optional: [bool] },
  vrrp_higher_prio_send_advert: { optional: [bool] },
  vrrp_down_timer_adverts: one(int(1, 100)),
  vrrp_startup_delay: one(secs(0)),
  vrrp_garp_master_delay: one(secs(0)),
  vrrp_garp_master_repeat: one(int(1)),
  vrrp_garp_master_refresh: one(secs(0)),
  vrrp_garp_master_refresh_repeat: one(int(1)),
  vrrp_garp_lower_prio_delay: one(secs(0)),
  vrrp_garp_lower_prio_repeat: one(int(0)),
  vrrp_garp_interval: one(secs(0)),
  vrrp_gna_interval: one(secs(0)),
  vrrp_min_garp: { optional: [bool] },
  dynamic_interfaces: { optional: [word] },
  script_user: { args: [word], optional: [word] },
  enable_script_security: flag,
  startup_script: firstCommand,
  startup_script_timeout: one(secs(1, 1000)),
  shutdown_script: firstCommand,
  shutdown_script_timeout: one(secs(1, 1000)),
  lvs_timeouts: { rest: 'free' },
  lvs_flush: flag,
  lvs_flush_on_stop: { optional: [word] },
  lvs_flush_onstop: { optional: [word], aliasOf: 'lvs_flush_on_stop', aliasSeverity: 'info' },
  lvs_sync_daemon: { args: [word], rest: 'free' },
  notify_fifo: { args: [word], rest: 'free', firstWins: true },
  notify_fifo_script: firstCommand,
  vrrp_notify_fifo: { args: [word], rest: 'free', firstWins: true },
  vrrp_notify_fifo_script: firstCommand,
  lvs_notify_fifo: { args: [word], rest: 'free', firstWins: true },
  lvs_notify_fifo_script: firstCommand,
  // Read by the line reader (include.ts): changes which include problems are errors.
  include_check: { rest: 'free' },
  notification_email: { block: 'notification_email', unsupported: true },
};

export const globalDefs: BlockSpec = {
  name: 'global_defs',
  keywords: { ...supported, ...Object.fromEntries(unsupportedNames.map((n) => [n, unsupportedFree])) },
};

export const notificationEmail: BlockSpec = { name: 'notification_email', list: 'free' };

export const ssl: BlockSpec = {
  name: 'SSL',
  keywords: { password: one(word), ca: one(word), certificate: one(word), key: one(word) },
};

/** Top-level keywords outside any block that keepalived accepts (global_parser.c). */
export const rootGlobals: Record<string, KeywordSpec> = {
  linkbeat_use_polling: { ...U, rest: 'free' },
  net_namespace: { ...U, rest: 'free' },
  net_namespace_ipvs: { ...U, rest: 'free' },
  namespace_with_ipsets: { ...U, rest: 'free' },
  use_pid_dir: { ...U, rest: 'free' },
  instance: { ...U, rest: 'free' },
  child_wait_time: { ...U, rest: 'free' },
};
