/**
 * Control-plane configuration: flags, then env, parsed once by zod and frozen. Nothing else in
 * the control plane reads process.env.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const ControlPlaneConfig = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  bootstrapToken: z.string().regex(/^vgl_[A-Za-z0-9_-]{16,}$/, 'must look like vgl_ followed by at least 16 URL-safe characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  migrate: z.boolean(),
});
export type ControlPlaneConfig = z.infer<typeof ControlPlaneConfig>;

export const usage = `usage: vigil control-plane [--port 8080] [--host 0.0.0.0] [--data-dir ./data] [--database-url URL] [--no-migrate]

  Without --database-url (or DATABASE_URL) the control plane runs on an embedded PostgreSQL
  (PGlite) stored under --data-dir. PORT, DATABASE_URL, VIGIL_BOOTSTRAP_TOKEN, VIGIL_DATA_DIR and
  LOG_LEVEL are read from the environment.
`;

export class ConfigError extends Error {}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ControlPlaneConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        'no-migrate': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${usage}`);
  }
  if (values.help) throw new ConfigError(usage);
  const parsed = ControlPlaneConfig.safeParse({
    port: values.port ?? env.PORT ?? 8080,
    host: values.host ?? env.HOST ?? '0.0.0.0',
    dataDir: values['data-dir'] ?? env.VIGIL_DATA_DIR ?? './data',
    databaseUrl: values['database-url'] ?? (env.DATABASE_URL || undefined),
    bootstrapToken: env.VIGIL_BOOTSTRAP_TOKEN || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    migrate: !values['no-migrate'],
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}\n\n${usage}`);
  }
  return Object.freeze(parsed.data);
}
