/**
 * A small typed client of the control plane's public API (`/v1`, the routes in
 * control-plane/src/routes, described by /openapi.json). Every answer is parsed with a schema
 * before a field is read; unknown fields are kept (a newer control plane may add some).
 * Clusters are named `site/cluster` (or by id) on the command line: `cluster()` resolves them.
 */
import { z } from 'zod';
import { CliError, EXIT } from './errors.ts';
import type { Http } from './http.ts';

const Text = z.string().max(10_000);
const Id = z.string().max(64);
const Time = z.string().max(64).nullable();

export const Site = z.looseObject({ id: Id, name: Text, description: Text.optional(), createdAt: Time.optional() });
export const Cluster = z.looseObject({
  id: Id, siteId: Id, name: Text, segment: Text.nullable().optional(), description: Text.optional(),
  currentRevision: z.number().int().nullable(), createdAt: Time.optional(), siteName: Text.optional(),
});
export const Director = z.looseObject({
  id: Id, clusterId: Id, name: Text, labels: z.record(z.string(), z.string()).optional(), enrolled: z.boolean(),
  appliedRevision: z.number().int().nullable(), lastSeenAt: Time, reportedState: z.unknown().optional(), maintenance: z.boolean(), createdAt: Time.optional(),
});
export const Revision = z.looseObject({
  number: z.number().int(), spec: z.unknown(), specHash: Text, message: Text, rollbackOf: z.number().int().nullable(), createdBy: Text, createdAt: Time,
});
export const Issue = z.looseObject({ code: Text, path: z.array(z.union([z.string(), z.number()])).max(64), message: Text, hint: Text.optional() });
export const PutResult = z.looseObject({ revision: Revision, unchanged: z.boolean(), warnings: z.array(Issue).max(10_000) });
const FleetDirector = z.looseObject({ name: Text, enrolled: z.boolean(), lastSeenAt: Time, appliedRevision: z.number().int().nullable(), drift: z.boolean(), instances: z.array(z.looseObject({ name: Text, state: Text, priority: z.number().optional() })).max(512) });
export const Fleet = z.looseObject({
  generatedAt: Text,
  sites: z.array(z.looseObject({
    id: Id, name: Text,
    clusters: z.array(z.looseObject({
      id: Id, name: Text, segment: Text.nullable().optional(), desiredRevision: z.number().int().nullable(),
      directors: z.array(FleetDirector).max(10_000),
      instances: z.array(z.looseObject({ name: Text, master: Text.nullable(), masters: z.array(Text).max(1000), splitBrain: z.boolean() })).max(10_000),
    })).max(10_000),
  })).max(10_000),
});
export const Failover = z.looseObject({
  site: Text, cluster: Text, clusterId: Id, instance: Text, oldMaster: Text.nullable(), newMaster: Text, cause: Text, at: Text, gapMs: z.number().nullable(), eventId: z.number(),
});
export const Event = z.looseObject({
  id: z.number(), siteId: Id.nullable().optional(), clusterId: Id.nullable().optional(), directorId: Id.nullable().optional(), instance: Text.nullable().optional(),
  kind: Text, actor: Text, details: z.record(z.string(), z.unknown()).optional(), agentTime: Time.optional(), receivedAt: Text,
});
export const ApiToken = z.looseObject({ id: Id, name: Text, role: Text, site: Text.nullable().optional(), expiresAt: Time.optional(), revokedAt: Time.optional(), lastUsedAt: Time.optional(), createdAt: Time.optional() });
export const EnrollmentToken = z.looseObject({
  id: Id, clusterName: Text.nullable().optional(), directorName: Text.nullable().optional(), description: Text.optional(), maxUses: z.number(), uses: z.number(),
  expiresAt: Time, revokedAt: Time.optional(), createdAt: Time.optional(),
});
export const InstallCommand = z.looseObject({ command: Text, scriptSha256: Text, bundleSha256: Text, tlsPin: Text.optional(), note: Text });

export type Site = z.infer<typeof Site>;
export type Cluster = z.infer<typeof Cluster>;
export type Director = z.infer<typeof Director>;
export type Revision = z.infer<typeof Revision>;
export type Fleet = z.infer<typeof Fleet>;
export type Failover = z.infer<typeof Failover>;
export type Event = z.infer<typeof Event>;

const items = <T extends z.ZodType>(t: T) => z.looseObject({ items: z.array(t).max(100_000) });

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CliError(`the control plane's answer for ${what} is not what this CLI understands (${i.path.join('.') || '(root)'}: ${i.message}); is the CLI older than the control plane?`, EXIT.UNAVAILABLE);
  }
  return r.data;
}

const enc = encodeURIComponent;

function query(q: Record<string, string | number | undefined>): string {
  const parts = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ApiClient {
  constructor(readonly http: Http) {}

  async sites(): Promise<Site[]> {
    return parse(items(Site), await this.http.json('GET', '/v1/sites'), 'sites').items;
  }
  async createSite(name: string, description?: string): Promise<Site> {
    return parse(Site, await this.http.json('POST', '/v1/sites', { name, ...(description && { description }) }), 'the new site');
  }
  async deleteSite(site: string): Promise<Site> {
    return parse(Site, await this.http.json('DELETE', `/v1/sites/${enc(site)}`), 'the deleted site');
  }
  async clusters(site: string): Promise<Cluster[]> {
    return parse(items(Cluster), await this.http.json('GET', `/v1/sites/${enc(site)}/clusters`), 'clusters').items;
  }
  async createCluster(site: string, name: string, segment?: string): Promise<Cluster> {
    return parse(Cluster, await this.http.json('POST', `/v1/sites/${enc(site)}/clusters`, { name, ...(segment && { segment }) }), 'the new cluster');
  }
  async deleteCluster(id: string): Promise<Cluster> {
    return parse(Cluster, await this.http.json('DELETE', `/v1/clusters/${enc(id)}`), 'the deleted cluster');
  }
  async directors(clusterId: string): Promise<Director[]> {
    return parse(items(Director), await this.http.json('GET', `/v1/clusters/${enc(clusterId)}/directors`), 'directors').items;
  }
  async createDirector(clusterId: string, name: string): Promise<Director> {
    return parse(Director, await this.http.json('POST', `/v1/clusters/${enc(clusterId)}/directors`, { name }), 'the new director');
  }
  async deleteDirector(clusterId: string, name: string): Promise<Director> {
    return parse(Director, await this.http.json('DELETE', `/v1/clusters/${enc(clusterId)}/directors/${enc(name)}`), 'the deleted director');
  }
  async resetCredential(clusterId: string, name: string): Promise<Director> {
    return parse(Director, await this.http.json('DELETE', `/v1/clusters/${enc(clusterId)}/directors/${enc(name)}/credential`), 'the director');
  }
  /** The current revision, or undefined when the cluster has no spec yet. */
  async spec(clusterId: string): Promise<Revision | undefined> {
    try {
      return parse(Revision, await this.http.json('GET', `/v1/clusters/${enc(clusterId)}/spec`), 'the current spec');
    } catch (e) {
      if (e instanceof CliError && e.exitCode === EXIT.NOT_FOUND && /spec|revision/i.test(e.message)) return undefined;
      throw e;
    }
  }
  async putSpec(clusterId: string, spec: unknown, message?: string, ifRevision?: number): Promise<z.infer<typeof PutResult>> {
    const body = { spec, ...(message && { message }), ...(ifRevision !== undefined && { ifRevision }) };
    return parse(PutResult, await this.http.json('PUT', `/v1/clusters/${enc(clusterId)}/spec`, body), 'the stored revision');
  }
  async revisions(clusterId: string): Promise<Revision[]> {
    return parse(items(Revision.partial({ spec: true })), await this.http.json('GET', `/v1/clusters/${enc(clusterId)}/revisions`), 'revisions').items as Revision[];
  }
  async revision(clusterId: string, n: number): Promise<Revision> {
    return parse(Revision, await this.http.json('GET', `/v1/clusters/${enc(clusterId)}/revisions/${n}`), `revision ${n}`);
  }
  async diff(clusterId: string, from: number, to: number): Promise<unknown> {
    return this.http.json('GET', `/v1/clusters/${enc(clusterId)}/revisions/diff${query({ from, to })}`);
  }
  async rollback(clusterId: string, revision: number, message?: string): Promise<z.infer<typeof PutResult>> {
    return parse(PutResult, await this.http.json('POST', `/v1/clusters/${enc(clusterId)}/rollback`, { revision, ...(message && { message }) }), 'the rollback');
  }
  async maintenance(clusterId: string, director: string, on: boolean): Promise<unknown> {
    return this.http.json('PUT', `/v1/clusters/${enc(clusterId)}/directors/${enc(director)}/maintenance`, { on });
  }
  async moveMaster(clusterId: string, instance: string, director: string | null): Promise<unknown> {
    return this.http.json('PUT', `/v1/clusters/${enc(clusterId)}/instances/${enc(instance)}/master`, { director });
  }
  async fleet(): Promise<Fleet> {
    return parse(Fleet, await this.http.json('GET', '/v1/fleet'), 'the fleet');
  }
  async failovers(q: { site?: string | undefined; cluster?: string | undefined; instance?: string | undefined; since?: string | undefined; limit?: number | undefined }): Promise<Failover[]> {
    return parse(items(Failover), await this.http.json('GET', `/v1/failovers${query(q)}`), 'failovers').items;
  }
  async events(q: Record<string, string | number | undefined>): Promise<{ items: Event[]; nextCursor: string | null }> {
    return parse(z.looseObject({ items: z.array(Event).max(1000), nextCursor: z.string().max(200).nullable() }), await this.http.json('GET', `/v1/events${query(q)}`), 'events');
  }
  /**
   * The audit chain checked against its newest signed checkpoint (GET /v1/events/verify), or
   * every row from the first (`full`: admins, once a minute).
   */
  async verifyEvents(full = false): Promise<{ ok: boolean; mode?: string | undefined; checked: number; problem?: string | undefined }> {
    return parse(z.looseObject({ ok: z.boolean(), mode: Text.optional(), checked: z.number().int().min(0), problem: Text.optional() }), await this.http.json('GET', `/v1/events/verify${full ? '?full=true' : ''}`), 'events/verify');
  }
  /** Live events until `signal` aborts (SSE, resumed after a drop). */
  followEvents(q: Record<string, string | undefined>, onEvent: (e: Event) => void, signal: AbortSignal): Promise<void> {
    return this.http.stream(`/v1/events/stream${query(q)}`, (m) => {
      if (m.event === 'end') throw new CliError(`the event stream was ended by the control plane: ${m.data.slice(0, 200)}`, EXIT.AUTH);
      if (m.event !== 'vigil') return;
      let data: unknown;
      try { data = JSON.parse(m.data); } catch { return; }
      const r = Event.safeParse(data);
      if (r.success) onEvent(r.data);
    }, signal);
  }
  async tokens(): Promise<z.infer<typeof ApiToken>[]> {
    return parse(items(ApiToken), await this.http.json('GET', '/v1/tokens'), 'tokens').items;
  }
  async createToken(body: { name: string; role: string; site?: string | undefined; expiresInSeconds?: number | undefined }): Promise<{ token: z.infer<typeof ApiToken>; secret: string }> {
    return parse(z.looseObject({ token: ApiToken, secret: Text }), await this.http.json('POST', '/v1/tokens', body), 'the new token');
  }
  async revokeToken(id: string): Promise<z.infer<typeof ApiToken>> {
    return parse(ApiToken, await this.http.json('DELETE', `/v1/tokens/${enc(id)}`), 'the revoked token');
  }
  async enrollmentTokens(site: string): Promise<z.infer<typeof EnrollmentToken>[]> {
    return parse(items(EnrollmentToken), await this.http.json('GET', `/v1/sites/${enc(site)}/enrollment-tokens`), 'enrollment tokens').items;
  }
  async createEnrollmentToken(site: string, body: { cluster?: string | undefined; director?: string | undefined; maxUses?: number | undefined; expiresInSeconds?: number | undefined; description?: string | undefined }): Promise<{ token: z.infer<typeof EnrollmentToken>; secret: string; install: z.infer<typeof InstallCommand> }> {
    return parse(z.looseObject({ token: EnrollmentToken, secret: Text, install: InstallCommand }), await this.http.json('POST', `/v1/sites/${enc(site)}/enrollment-tokens`, body), 'the enrollment token');
  }
  async revokeEnrollmentToken(site: string, id: string): Promise<z.infer<typeof EnrollmentToken>> {
    return parse(EnrollmentToken, await this.http.json('DELETE', `/v1/sites/${enc(site)}/enrollment-tokens/${enc(id)}`), 'the revoked enrollment token');
  }

  /**
   * A cluster named `site/cluster`, `cluster` with `site`, `cluster` alone (unique across the
   * sites the token sees), or its id.
   */
  async cluster(ref: string, site?: string): Promise<Cluster> {
    if (UUID.test(ref)) return parse(Cluster, await this.http.json('GET', `/v1/clusters/${enc(ref)}`), 'the cluster');
    const slash = ref.indexOf('/');
    const siteName = slash === -1 ? site : ref.slice(0, slash);
    const name = slash === -1 ? ref : ref.slice(slash + 1);
    const sites = siteName ? [siteName] : (await this.sites()).map((s) => s.name);
    const found: Cluster[] = [];
    for (const s of sites) {
      const list = await this.clusters(s);
      found.push(...list.filter((c) => c.name === name).map((c) => ({ ...c, siteName: c.siteName ?? s })));
    }
    if (found.length === 1) return found[0]!;
    if (!found.length) throw new CliError(`no cluster "${name}"${siteName ? ` in site ${siteName}` : ' in any site'}: see "vigil clusters"`, EXIT.NOT_FOUND);
    throw new CliError(`cluster "${name}" is in several sites (${found.map((c) => c.siteName).join(', ')}): name it SITE/${name} or give --site`, EXIT.USAGE);
  }
}
