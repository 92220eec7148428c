/**
 * Pieces every route file uses: the OpenAPIHono factory with the one validation hook, common
 * parameter schemas, error responses, and the service context of the current request.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../db.ts';
import type { IngestGate } from '../services/agents/ingest-gate.ts';
import type { ReportCommitter } from '../services/agents/commit.ts';
import type { ApiTokenRow } from '../services/tokens/authenticate.ts';
import type { TokenCache } from '../services/tokens/token-cache.ts';
import type { SessionRegistry } from '../sessions.ts';
import type { InstallSettings } from '../install/serve.ts';
import type { AuditSigner } from '../audit/signer.ts';
import { describeZodError, errorResponse, zodDetails } from '../http/errors.ts';
import type { AppEnv } from '../http/env.ts';
import type { ServiceContext } from '../services/context.ts';

export interface RouteDeps {
  db: Db;
  /** Backpressure for agent reports (shared with the WebSocket). */
  ingest: IngestGate;
  /** Group commit of agent reports (shared with the WebSocket). */
  committer: ReportCommitter;
  /** Long-lived sessions (SSE), closed when their credential ends. */
  sessions: SessionRegistry;
  /** API tokens authenticated in the last second (token-cache.ts): a revoke here drops its entry. */
  tokenCache?: TokenCache<ApiTokenRow>;
  /** The audit log's signing key (checkpoints, verification against them). */
  audit?: AuditSigner;
  /** What the installer embeds (enrollment responses carry the install command). */
  install: InstallSettings;
  /** An agent sent an event the control plane refused (logged, never stored). */
  onRefusedEvent?: (seq: number, kind: unknown, reason: string) => void;
}

/** A sub-app whose request validation failures all become the standard VALIDATION error. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const where = (result as { target?: string }).target ?? 'request';
        const prefix = where === 'json' ? ['body'] : where === 'query' ? ['query'] : where === 'param' ? ['path'] : [where];
        return errorResponse(c as Context<AppEnv>, 'VALIDATION', describeZodError(result.error, where === 'json' ? 'body' : where), zodDetails(result.error, prefix));
      }
      return undefined;
    },
  });
}

export const ctxOf = (c: Context<AppEnv>, deps: RouteDeps): ServiceContext => ({ db: deps.db, actor: c.get('actor'), requestId: c.get('requestId') });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(['VALIDATION', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PRECONDITION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL']),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** The error responses every authenticated route can give. */
export const errorResponses = {
  400: err('invalid input: the message and details name the field path'),
  401: err('missing, unknown, expired or revoked token'),
  403: err('the token lacks the role or the site scope for this'),
  404: err('not found'),
  409: err('conflicts with existing state'),
  413: err('request body too large'),
  415: err('the body is not application/json'),
  500: err('internal error (opaque; quote the request id)'),
};

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

export const security = [{ bearer: [] }];

export const SiteParam = z.object({ site: z.string().min(1).max(100).openapi({ param: { name: 'site', in: 'path' }, description: 'site name or id' }) });
export const ClusterParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, description: 'cluster id' }) });

/** Loose object schema for responses whose exact shape is documented in prose. */
export const AnyObject = z.record(z.string(), z.unknown());
