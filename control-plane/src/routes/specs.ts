import { createRoute, z } from '@hono/zod-openapi';
import { diffRevisions, getRevision, getSpec, listRevisions, putSiteSpecs, putSpec, rollbackSpec } from '../services/specs/index.ts';
import { PutSiteSpecsInput, PutSpecInput, RollbackInput } from '../services/specs/schemas.ts';
import { AnyObject, ClusterParam, SiteParam, ctxOf, errorResponses, json, jsonBody, router, security, type RouteDeps } from './shared.ts';

const RevisionParam = ClusterParam.extend({ n: z.coerce.number().int().positive().openapi({ param: { name: 'n', in: 'path' } }) });
const DiffQuery = z.strictObject({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() });

const Revision = z
  .object({ number: z.number(), spec: AnyObject, specHash: z.string(), message: z.string(), rollbackOf: z.number().nullable(), createdBy: z.string(), createdAt: z.string() })
  .openapi('SpecRevision');

/** Strips the row's internal columns for the API. */
const view = (r: { number: number; spec: unknown; specHash: string; message: string; rollbackOf: number | null; createdBy: string; createdAt: Date }) => ({
  number: r.number,
  spec: r.spec,
  specHash: r.specHash,
  message: r.message,
  rollbackOf: r.rollbackOf,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
});

export function specsRoutes(deps: RouteDeps) {
  const app = router();
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}/spec', tags: ['specs'], security, request: { params: ClusterParam }, responses: { 200: json(Revision, 'the current spec revision'), ...errorResponses } }),
    async (c) => {
      const rev = await getSpec(ctxOf(c, deps), c.req.valid('param').id);
      c.header('ETag', `"${rev.specHash}"`);
      return c.json(view(rev) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/clusters/{id}/spec',
      tags: ['specs'],
      security,
      description: 'Validates the spec (shape, then fleet rules across the site) and stores it as a new immutable revision. A rejected spec creates nothing; the error details list every issue with its code and path.',
      request: { params: ClusterParam, body: jsonBody(PutSpecInput) },
      responses: { 200: json(z.object({ revision: Revision, unchanged: z.boolean(), warnings: z.array(AnyObject) }), 'stored (or unchanged)'), ...errorResponses },
    }),
    async (c) => {
      const r = await putSpec(ctxOf(c, deps), c.req.valid('param').id, c.req.valid('json'));
      return c.json({ revision: view(r.revision), unchanged: r.unchanged, warnings: r.warnings } as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/sites/{site}/specs',
      tags: ['specs'],
      security,
      description: 'A site document: the specs of many clusters of the site (by name) applied as one change. Every spec is validated against the site as it will be afterwards; either every changed cluster gets its new revision (in one transaction, its agents nudged) or nothing changes and every issue is listed with its path. `ifRevision` per cluster makes the write conditional.',
      request: { params: SiteParam, body: jsonBody(PutSiteSpecsInput) },
      responses: { 200: json(z.object({ site: z.string(), clusters: z.record(z.string(), z.object({ revision: z.number(), unchanged: z.boolean(), warnings: z.number() })) }), 'applied (per cluster: its revision, and whether it was unchanged)'), ...errorResponses },
    }),
    async (c) => c.json(await putSiteSpecs(ctxOf(c, deps), c.req.valid('param').site, c.req.valid('json')), 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}/revisions', tags: ['specs'], security, request: { params: ClusterParam }, responses: { 200: json(z.object({ items: z.array(AnyObject) }), 'revisions, newest first'), ...errorResponses } }),
    async (c) => c.json({ items: await listRevisions(ctxOf(c, deps), c.req.valid('param').id) } as never, 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}/revisions/diff', tags: ['specs'], security, request: { params: ClusterParam, query: DiffQuery }, responses: { 200: json(AnyObject, 'changes from one revision to another'), ...errorResponses } }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json((await diffRevisions(ctxOf(c, deps), c.req.valid('param').id, q.from, q.to)) as never, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/clusters/{id}/revisions/{n}', tags: ['specs'], security, request: { params: RevisionParam }, responses: { 200: json(Revision, 'one revision'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(view(await getRevision(ctxOf(c, deps), p.id, p.n)) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/clusters/{id}/rollback',
      tags: ['specs'],
      security,
      description: 'Re-applies an old revision as a new revision (validated against the site as it is now).',
      request: { params: ClusterParam, body: jsonBody(RollbackInput) },
      responses: { 200: json(z.object({ revision: Revision, unchanged: z.boolean(), warnings: z.array(AnyObject) }), 'stored'), ...errorResponses },
    }),
    async (c) => {
      const r = await rollbackSpec(ctxOf(c, deps), c.req.valid('param').id, c.req.valid('json'));
      return c.json({ revision: view(r.revision), unchanged: r.unchanged, warnings: r.warnings } as never, 200);
    },
  );
  return app;
}
