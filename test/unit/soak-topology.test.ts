/** The soak lab's cluster specs: what the control plane is given for each cluster of the lab. */
import { describe, expect, it } from 'vitest';
import { CLUSTERS, clusterSpec } from '../../infra/soak/topology.ts';
import { ClusterSpec } from '#schema/spec/cluster.ts';

const byName = (name: string) => CLUSTERS.find((c) => c.cluster === name)!;
type Inst = { virtualIpAddresses: string[]; virtualIpAddressesExcluded?: string[] };

describe('soak topology', () => {
  it('an added VIP is advertised in an all-Vigil cluster, and excluded from adverts where a keepalived peer would drop them', () => {
    const web = clusterSpec(byName('web'), { VI_OUT: ['10.1.0.55/24'] }) as { vrrpInstances: Record<string, Inst> };
    expect(web.vrrpInstances.VI_OUT!.virtualIpAddresses).toEqual(['10.1.0.10/24', '10.1.0.55/24']);
    expect(web.vrrpInstances.VI_OUT!.virtualIpAddressesExcluded).toBeUndefined();

    const edge = clusterSpec(byName('edge'), { VI_A: ['10.3.0.55/24'] }) as { vrrpInstances: Record<string, Inst> };
    // keepalived 2.2.7 logs "(VI_A) received an unexpected ip number count 2, expected 1!" and
    // drops every advert: ka3 timed out and took 10.3.0.10 while lb5 held it (a 3 s client outage).
    expect(edge.vrrpInstances.VI_A!.virtualIpAddresses).toEqual(['10.3.0.10/24']);
    expect(edge.vrrpInstances.VI_A!.virtualIpAddressesExcluded).toEqual(['10.3.0.55/24']);
    expect(edge.vrrpInstances.VI_B!.virtualIpAddressesExcluded).toBeUndefined();
  });

  it('every cluster spec, before and after a change, is a valid cluster spec', () => {
    for (const c of CLUSTERS) {
      const first = Object.keys(c.instances)[0]!;
      for (const spec of [clusterSpec(c), clusterSpec(c, { [first]: [`10.${c.segment.slice(1)}.0.60/24`] })]) {
        const r = ClusterSpec.safeParse(spec);
        expect(r.success, `${c.cluster}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
      }
    }
  });
});
