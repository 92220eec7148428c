/**
 * Parsed specs by (cluster, revision). Revisions are immutable, and parsing a stored spec (zod)
 * is most of the cost of both serving an agent its config and checking a new spec against the
 * rest of its site, so each revision is parsed once per process: by the first reader, or not at
 * all in the replica that wrote it (`rememberParsed`: the writer validated it, and its agents'
 * configs and the next site document's checks would otherwise parse it again at once).
 */
import { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { RevisionCache } from './revision-cache.ts';

/** The newest three revisions of each cluster (revision-cache.ts), 5,000 in all. */
const cache = new RevisionCache<ClusterSpec | null>(3, 5000);

/** The parsed spec, or null when a stored spec no longer parses with today's schema. */
export function parsedSpec(clusterId: string, revision: number, raw: unknown): ClusterSpec | null {
  const hit = cache.get(clusterId, revision);
  if (hit !== undefined) return hit;
  const r = ClusterSpec.safeParse(raw);
  const value = r.success ? r.data : null;
  cache.set(clusterId, revision, value);
  return value;
}

/**
 * A revision this process just wrote, with the spec it validated (what was stored). Called only
 * after the transaction committed: a rolled-back number can be taken again by another spec.
 */
export function rememberParsed(clusterId: string, revision: number, spec: ClusterSpec): void {
  cache.set(clusterId, revision, spec);
}
