/**
 * `vigil export --cluster C --director D [-o FILE]`: the keepalived.conf a director runs, from
 * the control plane's current (or a given) revision, or from a spec file with `-f`.
 */
import { writeFileSync } from 'node:fs';
import { parseClusterSpec } from '#schema';
import { int, str } from '../fleet/args.ts';
import { makeCtx, run, CONNECTION_HELP, type Io } from '../fleet/context.ts';
import { CliError, EXIT, UsageError } from '../fleet/errors.ts';
import { readSpecFile } from '../fleet/spec-file.ts';
import { exportKeepalivedConf } from './keepalived-conf.ts';

export const EXPORT_USAGE = `usage: vigil export --cluster C --director D [--revision N] [-o FILE]
       vigil export -f SPEC --director D [-o FILE]

The keepalived.conf director D runs: keepalived 2.2 syntax ("keepalived -t" accepts it) that
"vigil import" reads back to the same spec. Writes to stdout, or to FILE with -o.

  --cluster C      SITE/CLUSTER (or a cluster id); --site S names the site separately
  --revision N     that revision instead of the current one
  -f SPEC          a spec file (JSON or YAML) instead of the control plane
${CONNECTION_HELP.replace(/ {2}-o, --output FMT.*\n/, '')}`;

export async function runExport(argv: string[], io: Io): Promise<number> {
  return run(io, EXPORT_USAGE, argv, async () => {
    const ctx = makeCtx(argv, { cluster: { value: true }, site: { value: true }, director: { value: true }, revision: { value: true }, file: { value: true, short: 'f' } }, 'vigil export', io, null);
    const a = ctx.args;
    const director = str(a, 'director');
    if (!director) throw new UsageError('vigil export: give --director NAME');
    if (a.positionals.length) throw new UsageError(`vigil export: unexpected argument "${a.positionals[0]}"`);
    let raw: unknown;
    let source: string;
    const file = str(a, 'file');
    if (file) {
      raw = await readSpecFile(file, io);
      source = file;
    } else {
      const ref = str(a, 'cluster');
      if (!ref) throw new UsageError('vigil export: give --cluster SITE/CLUSTER (or -f SPEC)');
      const api = ctx.client();
      const cluster = await api.cluster(ref, str(a, 'site'));
      const n = int(a, 'revision', 'vigil export');
      const rev = n !== undefined ? await api.revision(cluster.id, n) : await api.spec(cluster.id);
      if (!rev) throw new CliError(`cluster ${ref} has no spec yet`, EXIT.NOT_FOUND, { hint: 'vigil import ... or vigil apply -f SPEC' });
      raw = rev.spec;
      source = `cluster ${cluster.siteName ? `${cluster.siteName}/` : ''}${cluster.name} revision ${rev.number}`;
    }
    const parsed = parseClusterSpec(raw);
    if (!parsed.ok) {
      for (const i of parsed.issues.slice(0, 50)) io.err(`${i.path.join('.')}: ${i.message} [${i.code}]\n`);
      throw new CliError(`${source}: not a valid cluster spec`, EXIT.INVALID);
    }
    if (!Object.hasOwn(parsed.spec.directors, director)) {
      throw new CliError(`director "${director}" is not in ${source} (directors: ${Object.keys(parsed.spec.directors).join(', ') || 'none'})`, EXIT.NOT_FOUND);
    }
    const { text, problems } = exportKeepalivedConf(parsed.spec, director, `keepalived.conf of director ${director}, exported by vigil from ${source}`);
    for (const p of problems) io.err(`warning: ${p}\n`);
    const out = str(a, 'output');
    if (out && out !== '-') {
      writeFileSync(out, text, { mode: 0o600 });
      io.err(`wrote ${out}\n`);
    } else io.out(text);
    return EXIT.OK;
  });
}
