/**
 * `vigil import --ldirectord FILE [--haresources FILE] [--ha-cf FILE]`: a Heartbeat +
 * ldirectord pair -> one cluster spec (VRRP from Heartbeat, LVS from ldirectord), validated as
 * the control plane will validate it, every finding at its file:line.
 */
import { formatSpecPath, validateClusterSpec } from '#schema';
import type { Location } from '../../keepalived/diagnostics.ts';
import { sortFindings, type Finding } from './findings.ts';
import { readHeartbeat, type HeartbeatOptions } from './heartbeat.ts';
import type { ImportResult } from './keepalived.ts';
import { readLdirectord } from './ldirectord.ts';

type Obj = Record<string, unknown>;

export interface LegacyInput {
  ldirectord?: { file: string; text: string };
  /** haresources, ha.cf and authkeys, in any combination (one file or several). */
  heartbeat: { file: string; text: string }[];
}

export function importLegacy(input: LegacyInput, options: HeartbeatOptions = {}): ImportResult {
  const findings: Finding[] = [];
  const hb = input.heartbeat.length ? readHeartbeat(input.heartbeat, options) : undefined;
  const ld = input.ldirectord ? readLdirectord(input.ldirectord) : undefined;
  if (hb) findings.push(...hb.findings);
  else if (input.ldirectord) {
    findings.push({
      severity: 'warning', code: 'heartbeat-no-resources', locations: [{ file: input.ldirectord.file, line: 1, column: 1 }],
      message: 'ldirectord.cf alone has no VIPs and no directors: the spec holds the virtual servers only',
      hint: 'give Heartbeat\'s haresources (and ha.cf) too: --haresources FILE --ha-cf FILE',
    });
  }
  if (ld) findings.push(...ld.findings);
  const spec: Obj = {
    version: 1,
    global: {},
    directors: {},
    vrrpScripts: {},
    vrrpInstances: {},
    ...(hb?.spec ?? {}),
    virtualServers: (ld?.spec.virtualServers as Obj[] | undefined) ?? [],
  };
  const fallback: Location = { file: input.ldirectord?.file ?? input.heartbeat[0]?.file ?? '-', line: 1, column: 1 };
  const locate = (path: (string | number)[]): Location => (path[0] === 'virtualServers' ? ld?.locate(path) : hb?.locate(path)) ?? fallback;
  const validated = validateClusterSpec(spec);
  for (const issue of validated.issues) {
    const where = formatSpecPath(issue.path);
    findings.push({
      severity: issue.severity,
      code: issue.code,
      message: `${where ? `${where}: ` : ''}${issue.message}`,
      ...(issue.hint !== undefined && { hint: issue.hint }),
      locations: [locate(issue.path)],
    });
  }
  const sorted = sortFindings(findings);
  return {
    spec,
    ...(validated.spec && { validSpec: validated.spec }),
    directors: hb?.directors ?? [],
    findings: sorted,
    ok: !sorted.some((f) => f.severity === 'error'),
  };
}
