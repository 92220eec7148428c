/**
 * The fields of a resolved instance its peers see in every advert (VRID, version, advert_int,
 * family, authentication, the advertised VIPs, unicast transport). Peers compare them in every
 * advert (RFC 5798 §6.4.2/§6.4.3, RFC 3768 §7.1), so a change to any of them must reach every
 * director at one instant: the control plane's rollout rule and `vigil plan`'s prediction both
 * decide "coordinated" with this one key.
 */
import type { ResolvedVrrpInstance } from './resolve.ts';

export function advertKey(i: ResolvedVrrpInstance | undefined): string {
  if (!i) return '';
  // The advertised address list: VIPs outside virtual_ipaddress_excluded (RFC 5798 §5.2.9).
  const advertised = i.virtualIpAddresses.map((v) => v.address);
  return JSON.stringify([i.virtualRouterId, i.version, i.advertIntervalMs, i.family, i.auth ?? null, advertised, i.transport]);
}
