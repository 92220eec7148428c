/**
 * Replaces a small file atomically (write a sibling, then rename over it): a crash mid-write
 * leaves the old content, never half of the new. For the state dir's records: VIPs, outbox
 * position, cached config, IPVS ownership.
 */
import { renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
