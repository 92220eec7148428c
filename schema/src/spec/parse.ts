/**
 * The shape layer: zod parse of a ClusterSpec with every issue mapped to a `SpecIssue`
 * (stable code + field path + message + hint), the one error shape the API, CLI and importer
 * show to users.
 */
import type { z } from 'zod';
import { ClusterSpec } from './cluster.ts';

/** One validation finding, from either layer. `path` is the field path inside the spec. */
export type SpecIssue = {
  code: string;
  path: (string | number)[];
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
};

export type ParseClusterSpecResult = { ok: true; spec: ClusterSpec } | { ok: false; issues: SpecIssue[] };

/**
 * Shape codes: `SHAPE_` + the zod issue code upper-cased (SHAPE_INVALID_TYPE, SHAPE_TOO_SMALL,
 * SHAPE_TOO_BIG, SHAPE_UNRECOGNIZED_KEYS, SHAPE_INVALID_VALUE, SHAPE_INVALID_UNION,
 * SHAPE_INVALID_FORMAT, SHAPE_INVALID_KEY, ...), or the specific code a refinement names
 * (SHAPE_INVALID_ADDRESS, SHAPE_ADVERT_INTERVAL, SHAPE_VS_IDENTITY, ...).
 */
export const SHAPE_CODE_PREFIX = 'SHAPE_';

const HINTS: Record<string, string> = {
  SHAPE_UNRECOGNIZED_KEYS: 'remove the key or fix its spelling; field names are camelCase keepalived keywords (e.g. virtualRouterId, advertIntervalMs)',
  SHAPE_INVALID_TYPE: 'check the value type; durations are integer milliseconds, booleans are true/false',
  SHAPE_TOO_SMALL: 'raise the value to the allowed minimum',
  SHAPE_TOO_BIG: 'lower the value to the allowed maximum',
  SHAPE_INVALID_VALUE: 'use one of the listed values (keepalived keywords are upper-case where keepalived uses upper case, e.g. MASTER, NAT)',
  SHAPE_INVALID_ADDRESS: 'write addresses as text: "192.0.2.10", "2001:db8::10", with "/len" where a prefix is allowed',
  SHAPE_INVALID_UNION: 'the value matches none of the accepted forms; see the message for each form',
};

function codeOf(issue: z.core.$ZodIssue): string {
  const specCode = (issue as { params?: { specCode?: unknown } }).params?.specCode;
  if (typeof specCode === 'string') return specCode;
  return SHAPE_CODE_PREFIX + issue.code.toUpperCase();
}

function pathOf(issue: z.core.$ZodIssue): (string | number)[] {
  return issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
}

/** Maps zod issues to SpecIssues (one per unknown key, so each gets its own path). */
export function zodIssuesToSpecIssues(issues: readonly z.core.$ZodIssue[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) {
    const code = codeOf(issue);
    const path = pathOf(issue);
    const paramHint = (issue as { params?: { hint?: unknown } }).params?.hint;
    const hint = typeof paramHint === 'string' ? paramHint : HINTS[code];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ code, path: [...path, key], message: `unknown key "${key}"`, severity: 'error', ...(hint ? { hint } : {}) });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // A record key that failed its own schema (a reserved or malformed name): say why, on
      // the key's path, with the key schema's own code.
      const first = ((issue as { issues?: z.core.$ZodIssue[] }).issues ?? [])[0];
      out.push({ code, path, message: `invalid name "${String(path.at(-1))}": ${first?.message ?? issue.message}`, severity: 'error', ...(hint ? { hint } : {}) });
      continue;
    }
    out.push({ code, path, message: issue.message, severity: 'error', ...(hint ? { hint } : {}) });
  }
  return out;
}

/**
 * Validates the shape of a cluster spec and applies keepalived's defaults. Does not check
 * cross-object references or fleet rules: see `checkFleetRules` / `validateClusterSpec`.
 */
export function parseClusterSpec(input: unknown): ParseClusterSpecResult {
  // zod drops a "__proto__" key silently (it cannot be assigned as a key); refuse it instead,
  // so a spec never means less than what was written.
  const proto = protoKeyPath(input, [], 0);
  if (proto) return { ok: false, issues: [{ code: 'SHAPE_RESERVED_NAME', path: proto, message: 'a key named "__proto__" is reserved', severity: 'error', hint: 'rename it' }] };
  const result = ClusterSpec.safeParse(input);
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, issues: zodIssuesToSpecIssues(result.error.issues) };
}

function protoKeyPath(v: unknown, path: (string | number)[], depth: number): (string | number)[] | undefined {
  if (depth > 64 || v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = protoKeyPath(v[i], [...path, i], depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k === '__proto__') return [...path, k];
    const p = protoKeyPath(x, [...path, k], depth + 1);
    if (p) return p;
  }
  return undefined;
}

/** Renders a path the way the API and CLI show it: `vrrpInstances.VI_1.directors.lb1.priority`, `virtualServers[0].port`. */
export function formatSpecPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}
