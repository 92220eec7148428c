/**
 * `/etc/vigil/agent.json`: what a managed agent needs to find its control plane. Written by
 * install.sh (or by hand); every field is checked with a message that says what to fix.
 *
 *   { "controlPlane": "https://cp.example:8080", "credential": "vga_…", "director": "lb1",
 *     "cluster": "web", "site": "dc1", "lbBackend": "auto" }
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const AgentFile = z.strictObject({
  controlPlane: z.url({ protocol: /^https?$/, message: 'controlPlane must be an http(s) URL, e.g. "https://cp.example:8080"' }),
  credential: z.string().regex(/^vga_[A-Za-z0-9_-]{20,}$/, 'credential must be the "vga_…" secret the enrollment returned'),
  director: z.string().min(1).max(63),
  cluster: z.string().min(1).max(63).optional(),
  site: z.string().min(1).max(63).optional(),
  lbBackend: z.enum(['auto', 'ipvs', 'nftables']).default('auto'),
  /** Seconds a config request may wait for a change (long-poll). */
  pollWaitSeconds: z.number().int().min(1).max(60).default(25),
});
export type AgentFile = z.infer<typeof AgentFile>;

export function readAgentFile(path: string): { ok: true; value: AgentFile } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { ok: false, message: `${path}: ${(e as Error).message}` };
  }
  const r = AgentFile.safeParse(raw);
  if (!r.success) return { ok: false, message: r.error.issues.map((i) => `${path}: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n') };
  return { ok: true, value: r.data };
}
