/**
 * Parsed specs by (cluster, revision). Revisions are immutable, and parsing a stored spec (zod)
 * is most of the cost of both serving an agent its config and checking a new spec against the
 * rest of its site, so each revision is parsed once per process: by the first reader, or not at
 * all in the replica that wrote it (`rememberParsed`: the writer validated it, and its agents'
 * configs and the next site document's checks would otherwise parse it again at once).
 */
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';

const MAX = 5000;
const cache = new Map<string, ClusterSpec | null>();

/** The parsed spec, or null when a stored spec no longer parses with today's schema. */
export function parsedSpec(clusterId: string, revision: number, raw: unknown): ClusterSpec | null {
  const key = `${clusterId}:${revision}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const r = ClusterSpec.safeParse(raw);
  const value = r.success ? r.data : null;
  store(key, value);
  return value;
}

/**
 * A revision this process just wrote, with the spec it validated (what was stored). Called only
 * after the transaction committed: a rolled-back number can be taken again by another spec.
 */
export function rememberParsed(clusterId: string, revision: number, spec: ClusterSpec): void {
  store(`${clusterId}:${revision}`, spec);
}

/** Caches a parse, the oldest out once MAX are held. */
function store(key: string, value: ClusterSpec | null): void {
  if (cache.size >= MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}
