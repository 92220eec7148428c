/**
 * Control-plane configuration: flags, then env, parsed once by zod and frozen. Nothing else in
 * the control plane reads process.env.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseIpPrefix } from '../../schema/src/spec/ip.ts';
import { checkPublicUrl } from './install/public-url.ts';

export const ControlPlaneConfig = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  bootstrapToken: z.string().regex(/^vgl_[A-Za-z0-9_-]{16,}$/, 'must look like vgl_ followed by at least 16 URL-safe characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  migrate: z.boolean(),
  /** The URL directors reach the control plane at (goes into install.sh). */
  publicUrl: z.string().transform((s, ctx) => {
    const r = checkPublicUrl(s);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.message });
      return z.NEVER;
    }
    return r.url;
  }).optional(),
  /** Proxies whose X-Forwarded-Host/-Proto are believed. */
  trustedProxies: z.array(z.string().refine((s) => parseIpPrefix(s) !== undefined, 'a trusted proxy is an address or CIDR, e.g. 10.0.0.0/8')),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Ed25519 key file for audit checkpoints (created 0600 if missing). */
  auditKeyFile: z.string().min(1),
  /** The key itself, as a secret (every replica must sign with the same key). */
  auditKey: z.string().min(1).optional(),
  checkpointIntervalSeconds: z.coerce.number().int().min(1).max(3600),
  /** Days of audit log kept (whole daily partitions are dropped after); 0 keeps everything. */
  eventRetentionDays: z.coerce.number({ message: 'a whole number of days' }).int('a whole number of days').min(0).max(36500),
  /** VIGIL_AGENT_WS=off refuses the agents' WebSocket (they work over HTTP then). */
  agentWebSocket: z.boolean(),
}).refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), { message: '--tls-cert and --tls-key go together', path: ['tlsCert'] });
export type ControlPlaneConfig = z.infer<typeof ControlPlaneConfig>;

export const usage = `usage: vigil control-plane [--port 8080] [--host 0.0.0.0] [--data-dir ./data] [--database-url URL] [--no-migrate]
                         [--public-url https://vigil.example.net] [--trusted-proxy CIDR ...]
                         [--tls-cert FILE --tls-key FILE] [--audit-key FILE] [--checkpoint-interval SECONDS]
                         [--event-retention-days DAYS]

  Without --database-url (or DATABASE_URL) the control plane runs on an embedded PostgreSQL
  (PGlite) stored under --data-dir (0700, files 0600).

  --public-url        the URL directors use to reach this control plane; it goes into the install
                      script. Without it, the request's Host is used (validated), and
                      X-Forwarded-Host/-Proto only from a --trusted-proxy.
  --trusted-proxy     address or CIDR of a reverse proxy whose forwarded headers are believed
                      (repeatable).
  --tls-cert/--tls-key  serve HTTPS with this certificate chain and key (PEM). With a self-signed
                      certificate, install commands pin its public key.
  --audit-key         Ed25519 key that signs audit-log checkpoints (default DATA_DIR/audit-signing-key.pem,
                      created 0600). VIGIL_AUDIT_KEY (a PEM) overrides it: give every replica the same key.
  --checkpoint-interval  seconds between signed checkpoints of the audit chain (default 10).
  --event-retention-days  keep this many days of the audit log (default 0: keep everything). Older
                      days are dropped whole, hourly, once a signed checkpoint follows them; the
                      full verification then starts from the last dropped event.

  PORT, DATABASE_URL, VIGIL_BOOTSTRAP_TOKEN, VIGIL_DATA_DIR, VIGIL_PUBLIC_URL,
  VIGIL_TRUSTED_PROXIES (comma-separated), VIGIL_TLS_CERT, VIGIL_TLS_KEY, VIGIL_AUDIT_KEY,
  VIGIL_EVENT_RETENTION_DAYS, VIGIL_AGENT_WS (off: no agent WebSocket) and LOG_LEVEL are read from the environment;
  VIGIL_CP_NODE_FLAGS=off keeps node's heap as started (by default the control plane restarts
  itself once, same pid, with --min-semi-space-size=16).
`;

export class ConfigError extends Error {}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ControlPlaneConfig {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        'no-migrate': { type: 'boolean' },
        'public-url': { type: 'string' },
        'trusted-proxy': { type: 'string', multiple: true },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'audit-key': { type: 'string' },
        'checkpoint-interval': { type: 'string' },
        'event-retention-days': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${usage}`);
  }
  if (values.help) throw new ConfigError(usage);
  const dataDir = (values['data-dir'] as string | undefined) ?? env.VIGIL_DATA_DIR ?? './data';
  const parsed = ControlPlaneConfig.safeParse({
    port: values.port ?? env.PORT ?? 8080,
    host: values.host ?? env.HOST ?? '0.0.0.0',
    dataDir,
    databaseUrl: values['database-url'] ?? (env.DATABASE_URL || undefined),
    bootstrapToken: env.VIGIL_BOOTSTRAP_TOKEN || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    migrate: !values['no-migrate'],
    publicUrl: values['public-url'] ?? (env.VIGIL_PUBLIC_URL || undefined),
    trustedProxies: (values['trusted-proxy'] as string[] | undefined) ?? (env.VIGIL_TRUSTED_PROXIES ? env.VIGIL_TRUSTED_PROXIES.split(',').map((s) => s.trim()).filter(Boolean) : []),
    tlsCert: values['tls-cert'] ?? (env.VIGIL_TLS_CERT || undefined),
    tlsKey: values['tls-key'] ?? (env.VIGIL_TLS_KEY || undefined),
    auditKeyFile: values['audit-key'] ?? join(dataDir, 'audit-signing-key.pem'),
    auditKey: env.VIGIL_AUDIT_KEY || undefined,
    checkpointIntervalSeconds: values['checkpoint-interval'] ?? 10,
    eventRetentionDays: values['event-retention-days'] ?? (env.VIGIL_EVENT_RETENTION_DAYS || 0),
    agentWebSocket: env.VIGIL_AGENT_WS !== 'off',
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}\n\n${usage}`);
  }
  return Object.freeze(parsed.data);
}
