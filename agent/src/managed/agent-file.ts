/**
 * `/etc/vigil/agent.json`: what a managed agent needs to find its control plane. Written by
 * install.sh (or by hand); every field is checked with a message that says what to fix.
 *
 *   { "controlPlane": "https://cp.example:8080", "credential": "vga_…", "director": "lb1",
 *     "cluster": "web", "site": "dc1", "lbBackend": "auto", "metricsListen": "127.0.0.1:9650" }
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
  /** Serve Prometheus metrics at http://ADDR:PORT/metrics (as `--metrics-listen`; the flag wins). */
  metricsListen: z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'metricsListen is "ADDR:PORT", e.g. "127.0.0.1:9650"').optional(),
  /** Also export the keepalived exporters' metric names (default true; `--keepalived-metrics`). */
  keepalivedMetrics: z.boolean().optional(),
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

/** "ADDR:PORT" / "[v6]:PORT" -> listen options, or undefined when malformed. */
export function listenAddress(s: string | undefined): { host: string; port: number } | undefined {
  const m = s === undefined ? null : /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { host: m[1] ?? m[2]!, port } : undefined;
}
