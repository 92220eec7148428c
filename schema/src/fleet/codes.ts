/**
 * Fleet rule codes: rules that no single keepalived node can check because they span the
 * directors of a cluster or the clusters of a site. Each code has a default severity and a
 * hint (what to do); the rule that raises it writes the message (what and where).
 */
import type { SpecIssue } from '../spec/parse.ts';

interface FleetRule { severity: 'error' | 'warning'; summary: string; hint: string }

export const FLEET_RULES = {
  // Peers of one instance disagree (each director would advertise something else).
  FLEET_VRID_MISMATCH: { severity: 'error', summary: 'members of an instance use different virtual_router_id', hint: 'use one virtualRouterId for the instance on every director: drop the per-director override' },
  FLEET_VERSION_MISMATCH: { severity: 'error', summary: 'members of an instance use different VRRP versions', hint: 'set one version for the instance (or none, to follow global.vrrpVersion) and drop per-director overrides' },
  FLEET_ADVERT_INT_MISMATCH: { severity: 'error', summary: 'members of an instance use different advert_int', hint: 'peers drop adverts with another interval (RFC 3768 §7.1; RFC 5798 logs it): use one advertIntervalMs everywhere' },
  FLEET_AUTH_MISMATCH: { severity: 'error', summary: 'members of an instance use different authentication', hint: 'peers with different auth drop each other\'s adverts and both become MASTER: use one auth block for the instance' },
  FLEET_VIP_SET_MISMATCH: { severity: 'error', summary: 'members of an instance advertise different VIP sets', hint: 'every director must carry the same addresses (dev/label may differ): fix the per-director virtualIpAddresses override' },
  // Election.
  FLEET_PRIORITY_TIE: { severity: 'error', summary: 'two members of an instance have the same priority', hint: 'give each director a distinct priority (directors.<name>.priority) so the intended MASTER wins; ties are broken by the highest IP address (RFC 5798 §6.4.3), which is rarely what was meant' },
  FLEET_MULTIPLE_OWNERS: { severity: 'error', summary: 'more than one member has priority 255 (address owner)', hint: 'priority 255 means "owns the address" and only one director can; give the others 1..254' },
  FLEET_NOPREEMPT_WITH_MASTER: { severity: 'error', summary: 'nopreempt with start state MASTER', hint: 'keepalived ignores nopreempt unless the start state is BACKUP: set state BACKUP on every director of a nopreempt instance' },
  FLEET_V2_WITH_IPV6: { severity: 'error', summary: 'VRRPv2 with IPv6 addresses', hint: 'VRRPv2 is IPv4-only; use version 3 (or leave version unset: IPv6 instances default to 3)' },
  FLEET_AUTH_AH_UNSUPPORTED: { severity: 'error', summary: 'auth_type AH is not supported', hint: 'IPsec AH (RFC 2338 §5.3.6.2, removed by RFC 3768) authenticates in an IP header Vigil does not process, so an AH instance would accept no advert and keepalived peers none of its: use auth_type PASS, or no authentication' },
  FLEET_AUTH_WITH_V3: { severity: 'warning', summary: 'authentication on a VRRPv3 instance', hint: 'RFC 5798 has no authentication; keepalived ignores it with version 3: remove auth or use version 2' },
  FLEET_VIP_FAMILY_MIXED: { severity: 'error', summary: 'IPv4 and IPv6 VIPs in one instance', hint: 'an advert carries one family: move the other family to virtualIpAddressesExcluded or to a second instance' },
  FLEET_NO_INTERFACE: { severity: 'error', summary: 'a multicast instance has no interface on a director', hint: 'set interface on the instance, on directors.<name> of the instance, or a default (directors.<name>.defaultInterface / global.defaultInterface)' },
  FLEET_STRICT_MODE_VIOLATION: { severity: 'error', summary: 'vrrp_strict forbids this', hint: 'vrrp_strict allows no unicast, no auth, no preempt_delay, MASTER only with priority 255, and needs at least one VIP: change the instance or turn strict mode off' },
  // Unicast.
  FLEET_UNICAST_PEER_NOT_MEMBER: { severity: 'error', summary: 'a unicast peer is not a member of the cluster', hint: 'unicastPeers must list exactly the members\' unicastSrcIp addresses: remove the stray address or add the director (with its unicastSrcIp)' },
  FLEET_UNICAST_MEMBER_NOT_PEER: { severity: 'error', summary: 'a member is missing from the unicast peers', hint: 'the other directors never send adverts to it, so it becomes MASTER too (split brain): add its unicastSrcIp to unicastPeers' },
  FLEET_UNICAST_TTL_DROPPED: { severity: 'error', summary: 'unicast adverts are sent with a TTL their receivers drop', hint: 'Vigil accepts an advert only with TTL / hop limit 255 (RFC 5798 §7.1: it proves the sender is on-link) unless the sender\'s unicast_peer line gives a range: add min_ttl/max_ttl covering the TTL the adverts arrive with (e.g. "192.0.2.12 min_ttl 250 max_ttl 255"), or remove unicast_ttl' },
  FLEET_UNICAST_TTL_RANGE_EMPTY: { severity: 'error', summary: 'a unicast peer\'s min_ttl is above its max_ttl', hint: 'no TTL fits the range, so every advert from this peer is dropped (keepalived: "all packets will be discarded"): fix the range' },
  FLEET_UNICAST_IPV6_HOP_LIMIT: { severity: 'warning', summary: 'IPv6 unicast without unicast_ttl: keepalived peers send hop limit 64', hint: 'keepalived 2.2 sends IPv6 unicast adverts with the kernel\'s default hop limit (64) unless unicast_ttl is set, and Vigil accepts only 255 (RFC 5798 §7.1). If a peer runs keepalived, set "unicast_ttl 255" in the instance (both read it), or allow that peer explicitly: "ADDR min_ttl 64 max_ttl 64" on its unicast_peer line' },
  FLEET_UNICAST_SRC_UNKNOWN: { severity: 'warning', summary: 'a member of a unicast instance has no unicastSrcIp', hint: 'set directors.<name>.unicastSrcIp so peers can be checked against members (keepalived uses the interface\'s primary address)' },
  // Site-wide.
  FLEET_VRID_CONFLICT_ON_SEGMENT: { severity: 'error', summary: 'the same VRID twice on one L2 segment', hint: 'two virtual routers with one VRID on one segment share a virtual MAC and fight: pick a VRID unused on this segment, or set distinct instance segment names if they really are separate L2s' },
  FLEET_VIP_IN_TWO_CLUSTERS: { severity: 'error', summary: 'a VIP is also held by another cluster of the site', hint: 'two clusters would both answer ARP/ND for it: remove it from one of them' },
  FLEET_VIP_IN_TWO_INSTANCES: { severity: 'error', summary: 'a VIP is in two instances of the cluster', hint: 'each address belongs to one instance; two instances on different masters would flap it: keep it in one' },
  // References.
  FLEET_UNKNOWN_DIRECTOR: { severity: 'error', summary: 'reference to a director the spec does not declare', hint: 'declare it under "directors" or fix the name' },
  FLEET_OVERRIDE_NOT_MEMBER: { severity: 'warning', summary: 'override for a director that does not run the instance', hint: 'the override is ignored: add the director to members or remove the override' },
  FLEET_SYNC_GROUP_UNKNOWN_INSTANCE: { severity: 'error', summary: 'a sync group names an unknown instance', hint: 'list names of vrrpInstances in the group (names are case-sensitive)' },
  FLEET_SYNC_GROUP_OVERLAP: { severity: 'error', summary: 'an instance is in two sync groups', hint: 'keepalived allows one sync group per instance: remove it from one group' },
  FLEET_SYNC_GROUP_SINGLE: { severity: 'warning', summary: 'a sync group with one instance', hint: 'a sync group of one has no effect (keepalived removes it): add the instances that must fail over together, or drop the group' },
  FLEET_SYNC_GROUP_TRACKER_WEIGHT_IGNORED: { severity: 'warning', summary: 'a weighted tracker on a sync group member is ignored', hint: 'keepalived (and Vigil) ignore trackers with a non-zero weight on sync group members: use weight 0 (failure = FAULT, and the group follows) or set sync_group_tracking_weight on the group' },
  FLEET_SYNC_GROUP_MEMBERS_DIFFER: { severity: 'error', summary: 'instances of a sync group run on different directors', hint: 'instances that fail over together must run on the same directors: align their members' },
  FLEET_UNKNOWN_TRACK_SCRIPT: { severity: 'error', summary: 'track_script names an unknown vrrp_script', hint: 'define it under vrrpScripts or fix the name' },
  FLEET_UNKNOWN_TRACK_FILE: { severity: 'error', summary: 'a track_file reference names an unknown track_file', hint: 'define it under trackFiles or fix the name' },
  FLEET_UNKNOWN_TRACK_PROCESS: { severity: 'error', summary: 'track_process names an unknown vrrp_track_process', hint: 'define it under trackProcesses or fix the name' },
  FLEET_UNKNOWN_INSTANCE: { severity: 'error', summary: 'reference to an unknown vrrp instance', hint: 'use a name of vrrpInstances' },
  FLEET_UNKNOWN_VS_GROUP: { severity: 'error', summary: 'a virtual server names an unknown virtual_server_group', hint: 'define it under virtualServerGroups or fix the name' },
  FLEET_DUPLICATE_VIRTUAL_SERVER: { severity: 'error', summary: 'the same virtual server twice', hint: 'IPVS has one service per address:port/protocol (or fwmark): merge the two entries' },
  FLEET_VS_ADDRESS_NOT_VIP: { severity: 'warning', summary: 'a virtual server address is not a VIP of the cluster', hint: 'no VRRP instance moves this address, so the service only works where it is configured statically: add it to an instance\'s virtualIpAddresses if it should fail over' },
  FLEET_NO_DIRECTORS: { severity: 'warning', summary: 'the spec declares no directors', hint: 'add every director of the cluster under "directors"; instances run on them' },
  FLEET_SITE_SPEC_UNREADABLE: { severity: 'warning', summary: 'another cluster\'s spec could not be read', hint: 'site-wide rules skipped that cluster: re-apply its spec so it validates against the current schema' },
} as const satisfies Record<string, FleetRule>;

export type FleetCode = keyof typeof FLEET_RULES;

/** Builds the issue for `code` with the rule's severity and hint. */
export function fleetIssue(
  code: FleetCode,
  path: (string | number)[],
  message: string,
  severity: 'error' | 'warning' = FLEET_RULES[code].severity,
): SpecIssue {
  return { code, path, message, hint: FLEET_RULES[code].hint, severity };
}
