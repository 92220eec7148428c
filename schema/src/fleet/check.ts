/**
 * The fleet layer and the two-layer entry point.
 */
import { ClusterSpec } from '../spec/cluster.ts';
import { parseClusterSpec, type SpecIssue } from '../spec/parse.ts';
import { fleetIssue } from './codes.ts';
import { checkInstanceRules } from './instance-rules.ts';
import { checkReferenceRules } from './reference-rules.ts';
import { checkSiteRules, type FleetSite } from './site-rules.ts';

/**
 * Rules no single keepalived node can check, on a shape-valid spec. `site.clusters` are the
 * OTHER clusters of the same site (their specs are re-read with the current schema; one that
 * no longer parses is skipped with a FLEET_SITE_SPEC_UNREADABLE warning). Issues come in a
 * stable order: references, instances, site.
 */
export function checkFleetRules(spec: ClusterSpec, site?: FleetSite): SpecIssue[] {
  const issues: SpecIssue[] = [];
  let readable: FleetSite | undefined = site?.index ? site : undefined;
  if (site && !site.index) {
    const clusters: FleetSite['clusters'] = [];
    for (const c of site.clusters) {
      const parsed = ClusterSpec.safeParse(c.spec);
      if (parsed.success) clusters.push({ ...c, spec: parsed.data });
      else issues.push(fleetIssue('FLEET_SITE_SPEC_UNREADABLE', [], `the spec of cluster ${c.name} does not parse (${parsed.error.issues.length} issue(s)); site-wide rules skipped it`));
    }
    readable = { ...site, clusters };
  }
  issues.push(...checkReferenceRules(spec), ...checkInstanceRules(spec), ...checkSiteRules(spec, readable));
  return issues;
}

export type ValidateClusterSpecResult = { ok: boolean; spec?: ClusterSpec; issues: SpecIssue[] };

/**
 * Both layers: shape (with defaults applied) then fleet rules. `ok` means no error-severity
 * issue; warnings are returned either way. `spec` is set whenever the shape is valid.
 */
export function validateClusterSpec(input: unknown, site?: FleetSite): ValidateClusterSpecResult {
  const parsed = parseClusterSpec(input);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const issues = checkFleetRules(parsed.spec, site);
  return { ok: !issues.some((i) => i.severity === 'error'), spec: parsed.spec, issues };
}
