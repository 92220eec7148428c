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
      responses: { 200: json(AnyObject, 'the config and its revision'), 304: { description: 'unchanged' }, ...errorResponses },
    }),
    async (c) => {
      const ctx = ctxOf(c, deps);
      const known = versionOfEtag(c.req.header('if-none-match'));
      const wait = c.req.valid('query').wait ?? 0;
      const r = await agentConfig(ctx, known, wait * 1000);
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
      description: 'State, applied revision and a batch of outbox events. Idempotent: events are stored once per (director, seq).',
      request: { body: jsonBody(ReportInput) },
      responses: { 200: json(z.object({ acked: z.number().nullable(), stored: z.number(), duplicates: z.number() }), 'stored'), ...errorResponses },
    }),
    async (c) => c.json(await ingestReport(ctxOf(c, deps), c.req.valid('json')), 200),
  );
  return app;
}
