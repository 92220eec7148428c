/**
 * The agent endpoints (`/v1/agent/*`): enroll (bearer: an enrollment token), fetch the rendered
 * config (bearer: the agent credential; ETag = revision, `?wait=` long-polls until it changes),
 * and report state and events (idempotent by the outbox sequence number).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { agentConfig } from '../services/agents/config.ts';
import { enrollAgent } from '../services/agents/enroll.ts';
import { ingestReport } from '../services/agents/report.ts';
import { EnrollInput, ReportInput } from '../services/agents/schemas.ts';
import { AgentConfigView, ReportAck } from '../../../schema/src/wire/index.ts';
import { rateLimited } from '../errors.ts';
import { AnyObject, ctxOf, errorResponses, json, jsonBody, router, security, type RouteDeps } from './shared.ts';

const ConfigQuery = z.strictObject({
  wait: z.coerce.number().int().min(0).max(60).optional().describe('long-poll: seconds to wait for a revision other than If-None-Match'),
});

const etagOf = (version: string | null) => (version === null ? '"none"' : `"${version}"`);
const versionOfEtag = (etag: string | undefined): string | null | undefined => {
  if (!etag) return undefined;
  const m = /^(?:W\/)?"(rev-\d+(?:\.a-\d+)?|none)"$/.exec(etag.trim());
  if (!m) return undefined;
  return m[1] === 'none' ? null : m[1];
};

export function agentRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'post', path: '/agent/enroll', tags: ['agent'], security,
      description: 'Trade an enrollment token (the bearer) for this director\'s own credential, returned once.',
      request: { body: jsonBody(EnrollInput) },
      responses: { 201: json(AnyObject, 'enrolled; keep the credential (only its hash is stored)'), ...errorResponses },
    }),
    async (c) => c.json(await enrollAgent(ctxOf(c, deps), c.req.valid('json')) as never, 201),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/agent/config', tags: ['agent'], security,
      description: 'This director\'s config at the cluster\'s current revision. ETag "rev-N"; with If-None-Match and ?wait=S the request waits up to S seconds for another revision (304 if none).',
      request: { query: ConfigQuery },
      responses: { 200: json(AgentConfigView, 'the config and its revision'), 304: { description: 'unchanged' }, ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      const known = versionOfEtag(c.req.header('if-none-match'));
      const wait = c.req.valid('query').wait ?? 0;
      // The request's signal aborts when the agent goes away: its long-poll stops at once.
      const r = await agentConfig(ctx, known, wait * 1000, c.req.raw.signal);
      if (r.unchanged) {
        c.header('ETag', etagOf(r.version));
        return c.body(null, 304) as never;
      }
      c.header('ETag', etagOf(r.view.version));
      return c.json(r.view as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post', path: '/agent/reports', tags: ['agent'], security,
      description: 'State, applied revision and a batch of outbox events. Idempotent: events are stored once per (director, seq). Events of kinds agents may not report are refused (listed in `refused`, stored nowhere). 429 with Retry-After while this director has a report being stored or the server is saturated; the agent retries from its outbox.',
      request: { body: jsonBody(ReportInput) },
      responses: { 200: json(ReportAck, 'stored'), 429: { description: 'busy: retry after the Retry-After seconds' }, ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      const actor = ctx.actor;
      const release = actor.type === 'agent' ? deps.ingest.tryEnter(actor.directorId) : () => {};
      if (!release) throw rateLimited('a report from this director is still being stored, or the server is saturated: retry later', 1);
      try {
        return c.json(await ingestReport(ctx, c.req.valid('json'), deps.onRefusedEvent, deps.committer), 200);
      } finally {
        release();
      }
    },
  );
  return app;
}
