/**
 * The fleet's resources from a terminal, one noun/verb shape: `vigil NOUN [VERB] [ARGS] [flags]`,
 * the verb defaulting to `list`. sites, clusters, directors, revisions (+ rollback), tokens,
 * enroll-token, maintenance, move-master.
 */
import { ResourceName } from '#schema/spec/primitives.ts'; // not the index: a fleet command would build every spec schema
import { bool, int, str } from './args.ts';
import { makeCtx, run, CONNECTION_HELP, type Ctx, type Io } from './context.ts';
import { EXIT, UsageError } from './errors.ts';
import { ago, json, table } from './output.ts';

const name = (v: string | undefined, what: string, command: string): string => {
  if (!v) throw new UsageError(`${command}: give the ${what} name`);
  if (!ResourceName.safeParse(v).success) throw new UsageError(`${command}: ${what} "${v}" must be lowercase letters, digits and inner hyphens`);
  return v;
};

function verbOf(ctx: Ctx, verbs: string[], command: string): { verb: string; rest: string[] } {
  const [first, ...rest] = ctx.args.positionals;
  if (first === undefined) return { verb: 'list', rest: [] };
  if (!verbs.includes(first)) throw new UsageError(`${command}: unknown verb "${first}" (expected ${verbs.join(', ')})`);
  return { verb: first, rest };
}

async function clusterOf(ctx: Ctx, command: string) {
  const ref = str(ctx.args, 'cluster');
  if (!ref) throw new UsageError(`${command}: give --cluster SITE/CLUSTER`);
  return ctx.client().cluster(ref, str(ctx.args, 'site'));
}

const done = (ctx: Ctx, text: string, value: unknown) => {
  ctx.io.out(ctx.format === 'json' ? json(value) : `${text}\n`);
  return EXIT.OK;
};

// ---- sites
export const SITES_USAGE = `usage: vigil sites [list]
       vigil sites create NAME [--description TEXT]
       vigil sites delete NAME            (only an empty site)
${CONNECTION_HELP}`;
export const runSites = (argv: string[], io: Io) => run(io, SITES_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { description: { value: true } }, 'vigil sites', io);
  const { verb, rest } = verbOf(ctx, ['list', 'create', 'delete'], 'vigil sites');
  const api = ctx.client();
  if (verb === 'create') {
    const s = await api.createSite(name(rest[0], 'site', 'vigil sites create'), str(ctx.args, 'description'));
    return done(ctx, `created site ${s.name}`, s);
  }
  if (verb === 'delete') {
    const s = await api.deleteSite(name(rest[0], 'site', 'vigil sites delete'));
    return done(ctx, `deleted site ${s.name}`, s);
  }
  const sites = await api.sites();
  if (ctx.format === 'json') return done(ctx, '', sites);
  io.out(table(sites, [{ title: 'NAME', value: (s) => s.name }, { title: 'DESCRIPTION', value: (s) => s.description }, { title: 'CREATED', value: (s) => ago(s.createdAt) }]));
  return EXIT.OK;
});

// ---- clusters
export const CLUSTERS_USAGE = `usage: vigil clusters [list] [--site S]
       vigil clusters create NAME --site S [--segment SEG]
       vigil clusters delete SITE/NAME    (only without directors and spec history)
${CONNECTION_HELP}`;
export const runClusters = (argv: string[], io: Io) => run(io, CLUSTERS_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { site: { value: true }, segment: { value: true } }, 'vigil clusters', io);
  const { verb, rest } = verbOf(ctx, ['list', 'create', 'delete'], 'vigil clusters');
  const api = ctx.client();
  if (verb === 'create') {
    const site = str(ctx.args, 'site');
    if (!site) throw new UsageError('vigil clusters create: give --site S');
    const segment = str(ctx.args, 'segment');
    const c = await api.createCluster(site, name(rest[0], 'cluster', 'vigil clusters create'), segment && name(segment, 'segment', 'vigil clusters create'));
    return done(ctx, `created cluster ${site}/${c.name}`, c);
  }
  if (verb === 'delete') {
    if (!rest[0]) throw new UsageError('vigil clusters delete: give SITE/NAME');
    const c = await api.cluster(rest[0], str(ctx.args, 'site'));
    await api.deleteCluster(c.id);
    return done(ctx, `deleted cluster ${c.siteName}/${c.name}`, c);
  }
  const site = str(ctx.args, 'site');
  const sites = site ? [site] : (await api.sites()).map((s) => s.name);
  const rows = [];
  for (const s of sites) for (const c of await api.clusters(s)) rows.push({ ...c, siteName: c.siteName ?? s });
  if (ctx.format === 'json') return done(ctx, '', rows);
  io.out(table(rows, [
    { title: 'SITE', value: (c) => c.siteName }, { title: 'NAME', value: (c) => c.name }, { title: 'SEGMENT', value: (c) => c.segment ?? c.name },
    { title: 'REVISION', value: (c) => c.currentRevision ?? '-' }, { title: 'ID', value: (c) => c.id },
  ]));
  return EXIT.OK;
});

// ---- directors
export const DIRECTORS_USAGE = `usage: vigil directors [list] --cluster SITE/CLUSTER
       vigil directors create NAME... --cluster SITE/CLUSTER
       vigil directors delete NAME --cluster SITE/CLUSTER
       vigil directors reset-credential NAME --cluster SITE/CLUSTER   (cuts the agent off; it may enroll again)
${CONNECTION_HELP}`;
export const runDirectors = (argv: string[], io: Io) => run(io, DIRECTORS_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { cluster: { value: true }, site: { value: true } }, 'vigil directors', io);
  const { verb, rest } = verbOf(ctx, ['list', 'create', 'delete', 'reset-credential'], 'vigil directors');
  const c = await clusterOf(ctx, 'vigil directors');
  const api = ctx.client();
  if (verb === 'create') {
    if (!rest.length) throw new UsageError('vigil directors create: give one or more director names');
    const made = [];
    for (const n of rest) made.push(await api.createDirector(c.id, name(n, 'director', 'vigil directors create')));
    return done(ctx, made.map((d) => `created director ${d.name}`).join('\n'), made);
  }
  if (verb === 'delete') return done(ctx, `deleted director ${rest[0]}`, await api.deleteDirector(c.id, name(rest[0], 'director', 'vigil directors delete')));
  if (verb === 'reset-credential') {
    const d = await api.resetCredential(c.id, name(rest[0], 'director', 'vigil directors reset-credential'));
    return done(ctx, `reset the credential of director ${d.name}: its agent is cut off; enroll it again with "vigil enroll-token --site ${c.siteName} --cluster ${c.name} --director ${d.name}"`, d);
  }
  const list = await api.directors(c.id);
  if (ctx.format === 'json') return done(ctx, '', list);
  io.out(table(list, [
    { title: 'NAME', value: (d) => d.name }, { title: 'ENROLLED', value: (d) => (d.enrolled ? 'yes' : 'no') }, { title: 'LAST SEEN', value: (d) => ago(d.lastSeenAt) },
    { title: 'APPLIED', value: (d) => d.appliedRevision ?? '-' }, { title: 'DESIRED', value: () => c.currentRevision ?? '-' }, { title: 'MAINTENANCE', value: (d) => (d.maintenance ? 'on' : 'off') },
  ]));
  return EXIT.OK;
});

// ---- revisions / rollback
export const REVISIONS_USAGE = `usage: vigil revisions [list] --cluster SITE/CLUSTER
       vigil revisions show N --cluster SITE/CLUSTER       (the spec of revision N; -o json)
       vigil revisions diff FROM TO --cluster SITE/CLUSTER
${CONNECTION_HELP}`;
export const runRevisions = (argv: string[], io: Io) => run(io, REVISIONS_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { cluster: { value: true }, site: { value: true } }, 'vigil revisions', io);
  const { verb, rest } = verbOf(ctx, ['list', 'show', 'diff'], 'vigil revisions');
  const c = await clusterOf(ctx, 'vigil revisions');
  const api = ctx.client();
  const num = (v: string | undefined, what: string) => {
    if (!v || !/^\d{1,9}$/.test(v) || Number(v) < 1) throw new UsageError(`vigil revisions ${verb}: ${what} must be a revision number`);
    return Number(v);
  };
  if (verb === 'show') {
    const r = await api.revision(c.id, num(rest[0], 'N'));
    if (ctx.format === 'json') return done(ctx, '', r);
    const { toYaml } = await import('./spec-file.ts');
    io.out(`# revision ${r.number} by ${r.createdBy} at ${r.createdAt}${r.message ? `: ${r.message.replace(/\n/g, ' ')}` : ''}\n${await toYaml(r.spec)}`);
    return EXIT.OK;
  }
  if (verb === 'diff') {
    const d = await api.diff(c.id, num(rest[0], 'FROM'), num(rest[1], 'TO'));
    return done(ctx, JSON.stringify(d, null, 2), d);
  }
  const list = await api.revisions(c.id);
  if (ctx.format === 'json') return done(ctx, '', list);
  io.out(table(list, [
    { title: 'REVISION', value: (r) => `${r.number}${r.number === c.currentRevision ? ' *' : ''}` }, { title: 'CREATED', value: (r) => r.createdAt }, { title: 'BY', value: (r) => r.createdBy },
    { title: 'ROLLBACK OF', value: (r) => r.rollbackOf ?? '-' }, { title: 'MESSAGE', value: (r) => r.message },
  ]));
  return EXIT.OK;
});

export const ROLLBACK_USAGE = `usage: vigil rollback N --cluster SITE/CLUSTER [--message M]

Re-applies revision N as a new revision (validated against the site as it is now).
${CONNECTION_HELP}`;
export const runRollback = (argv: string[], io: Io) => run(io, ROLLBACK_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { cluster: { value: true }, site: { value: true }, message: { value: true } }, 'vigil rollback', io);
  const [n] = ctx.args.positionals;
  if (!n || !/^\d{1,9}$/.test(n) || Number(n) < 1) throw new UsageError('vigil rollback: give the revision number N');
  const c = await clusterOf(ctx, 'vigil rollback');
  const r = await ctx.client().rollback(c.id, Number(n), str(ctx.args, 'message'));
  return done(ctx, `rolled back: cluster ${c.siteName}/${c.name} revision ${r.revision.number} (the spec of revision ${n})`, { revision: r.revision.number, rollbackOf: Number(n), warnings: r.warnings });
});

// ---- maintenance / move-master
export const MAINTENANCE_USAGE = `usage: vigil maintenance on|off DIRECTOR --cluster SITE/CLUSTER

on: the director leaves every instance gracefully (priority-0 advert, VIPs removed) and stays out;
off: it rejoins. Recorded in the audit log.
${CONNECTION_HELP}`;
export const runMaintenance = (argv: string[], io: Io) => run(io, MAINTENANCE_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { cluster: { value: true }, site: { value: true } }, 'vigil maintenance', io);
  const [mode, director] = ctx.args.positionals;
  if (mode !== 'on' && mode !== 'off') throw new UsageError('vigil maintenance: on or off first');
  const d = name(director, 'director', 'vigil maintenance');
  const c = await clusterOf(ctx, 'vigil maintenance');
  const r = await ctx.client().maintenance(c.id, d, mode === 'on');
  return done(ctx, `maintenance ${mode}: director ${d} of ${c.siteName}/${c.name}${mode === 'on' ? ' leaves its instances at its next config fetch' : ' rejoins'}`, r);
});

export const MOVE_MASTER_USAGE = `usage: vigil move-master INSTANCE DIRECTOR --cluster SITE/CLUSTER
       vigil move-master INSTANCE --release --cluster SITE/CLUSTER

Moves mastership of INSTANCE to DIRECTOR (it runs the instance at priority 254 and preempts);
--release returns to the spec's priorities. Recorded in the audit log.
${CONNECTION_HELP}`;
export const runMoveMaster = (argv: string[], io: Io) => run(io, MOVE_MASTER_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { cluster: { value: true }, site: { value: true }, release: {} }, 'vigil move-master', io);
  const [instance, director] = ctx.args.positionals;
  if (!instance) throw new UsageError('vigil move-master: give the INSTANCE');
  const release = bool(ctx.args, 'release');
  if (release === (director !== undefined)) throw new UsageError('vigil move-master: give a DIRECTOR, or --release');
  const c = await clusterOf(ctx, 'vigil move-master');
  const r = await ctx.client().moveMaster(c.id, instance, release ? null : name(director, 'director', 'vigil move-master'));
  return done(ctx, release ? `released ${instance}: the spec's priorities decide again` : `${instance} moves to ${director} (priority 254, preempting)`, r);
});

// ---- tokens
export const TOKENS_USAGE = `usage: vigil tokens [list]
       vigil tokens create NAME --role viewer|operator|admin [--site S] [--expires-in SECONDS]
       vigil tokens revoke ID
The secret of a new token is printed once (stdout), on its own line.
${CONNECTION_HELP}`;
export const runTokens = (argv: string[], io: Io) => run(io, TOKENS_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { role: { value: true }, site: { value: true }, 'expires-in': { value: true } }, 'vigil tokens', io);
  const { verb, rest } = verbOf(ctx, ['list', 'create', 'revoke'], 'vigil tokens');
  const api = ctx.client();
  if (verb === 'create') {
    const role = str(ctx.args, 'role');
    if (!rest[0]) throw new UsageError('vigil tokens create: give a NAME');
    if (!role || !['viewer', 'operator', 'admin'].includes(role)) throw new UsageError('vigil tokens create: --role viewer, operator or admin');
    const r = await api.createToken({ name: rest[0], role, site: str(ctx.args, 'site'), expiresInSeconds: int(ctx.args, 'expires-in', 'vigil tokens create') });
    if (ctx.format === 'json') return done(ctx, '', r);
    io.err(`created token ${r.token.name} (${r.token.role}${r.token.site ? `, site ${r.token.site}` : ''}), id ${r.token.id}; its secret, shown once:\n`);
    io.out(`${r.secret}\n`);
    return EXIT.OK;
  }
  if (verb === 'revoke') {
    if (!rest[0]) throw new UsageError('vigil tokens revoke: give the token ID');
    const t = await api.revokeToken(rest[0]);
    return done(ctx, `revoked token ${t.name} (${t.id})`, t);
  }
  const list = await api.tokens();
  if (ctx.format === 'json') return done(ctx, '', list);
  io.out(table(list, [
    { title: 'ID', value: (t) => t.id }, { title: 'NAME', value: (t) => t.name }, { title: 'ROLE', value: (t) => t.role }, { title: 'SITE', value: (t) => t.site ?? '*' },
    { title: 'EXPIRES', value: (t) => t.expiresAt ?? 'never' }, { title: 'STATE', value: (t) => (t.revokedAt ? 'revoked' : 'active') },
  ]));
  return EXIT.OK;
});

// ---- enrollment tokens
export const ENROLL_TOKEN_USAGE = `usage: vigil enroll-token --site S [--cluster C --director D] [--max-uses N] [--expires-in SECONDS]
       vigil enroll-token list --site S
       vigil enroll-token revoke ID --site S

Mints an enrollment token and prints the install command to paste on the director (root): it
downloads the installer, checks its SHA-256, and passes the token on stdin. A token for one
director (--cluster and --director) may also re-install an enrolled director; a site-wide token
enrolls only new names.
${CONNECTION_HELP}`;
export const runEnrollToken = (argv: string[], io: Io) => run(io, ENROLL_TOKEN_USAGE, argv, async () => {
  const ctx = makeCtx(argv, { site: { value: true }, cluster: { value: true }, director: { value: true }, 'max-uses': { value: true }, 'expires-in': { value: true }, description: { value: true } }, 'vigil enroll-token', io);
  const site = str(ctx.args, 'site');
  if (!site) throw new UsageError('vigil enroll-token: give --site S');
  const api = ctx.client();
  const [first, second] = ctx.args.positionals;
  if (first === 'list') {
    const list = await api.enrollmentTokens(site);
    if (ctx.format === 'json') return done(ctx, '', list);
    io.out(table(list, [
      { title: 'ID', value: (t) => t.id }, { title: 'FOR', value: (t) => (t.directorName ? `${t.clusterName}/${t.directorName}` : 'any new director') },
      { title: 'USES', value: (t) => `${t.uses}/${t.maxUses}` }, { title: 'EXPIRES', value: (t) => t.expiresAt }, { title: 'STATE', value: (t) => (t.revokedAt ? 'revoked' : 'active') },
    ]));
    return EXIT.OK;
  }
  if (first === 'revoke') {
    if (!second) throw new UsageError('vigil enroll-token revoke: give the token ID');
    return done(ctx, `revoked enrollment token ${second}`, await api.revokeEnrollmentToken(site, second));
  }
  if (first !== undefined) throw new UsageError(`vigil enroll-token: unexpected "${first}" (list, revoke, or flags only)`);
  const cluster = str(ctx.args, 'cluster');
  const director = str(ctx.args, 'director');
  if ((cluster === undefined) !== (director === undefined)) throw new UsageError('vigil enroll-token: --cluster and --director go together');
  const clusterName = cluster?.includes('/') ? cluster.slice(cluster.indexOf('/') + 1) : cluster;
  const r = await api.createEnrollmentToken(site, {
    ...(clusterName && { cluster: name(clusterName, 'cluster', 'vigil enroll-token') }), ...(director && { director: name(director, 'director', 'vigil enroll-token') }),
    maxUses: int(ctx.args, 'max-uses', 'vigil enroll-token'), expiresInSeconds: int(ctx.args, 'expires-in', 'vigil enroll-token'), description: str(ctx.args, 'description'),
  });
  if (ctx.format === 'json') return done(ctx, '', r);
  io.err(`enrollment token ${r.token.id} for ${director ? `${clusterName}/${director}` : `any new director of site ${site}`}, ${r.token.maxUses} use(s), expires ${r.token.expiresAt}. ${r.install.note}\nOn the director, as root:\n`);
  io.out(`${r.install.command}\n`);
  return EXIT.OK;
});

