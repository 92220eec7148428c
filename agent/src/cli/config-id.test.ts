/**
 * `--config-id` (keepalived's `-i`) on `vigil check` and `vigil agent --keepalived`: which `@id`
 * lines of one shared keepalived.conf apply. `vigil check` runs as the real CLI (a child
 * process); the agent's loader is the function `vigil agent --keepalived` starts from.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadKeepalived } from './agent.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shared = resolve(repo, 'test/fixtures/keepalived-compat/params.conf');

function vigilCheck(...args: string[]) {
  const r = spawnSync(process.execPath, [resolve(repo, 'agent/bin/vigil.mjs'), 'check', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--config-id', () => {
  it('vigil check --config-id ID / -i ID / --config-id=ID select the @ID lines', () => {
    for (const [args, director] of [[['--config-id', 'lb1'], 'lb1'], [['-i', 'lb2'], 'lb2'], [['--config-id=lb2'], 'lb2']] as const) {
      const r = vigilCheck(...args, '--json', shared);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, director });
    }
  }, 120_000);

  it('vigil check --config-id without a value is a usage error', () => {
    const r = vigilCheck(shared, '--config-id');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--config-id needs a value');
  }, 60_000);

  it('vigil agent --keepalived loads the file for its config id', () => {
    const lb1 = loadKeepalived(shared, undefined, 'lb1');
    const lb2 = loadKeepalived(shared, undefined, 'lb2');
    if (!lb1.ok || !lb2.ok) throw new Error(`not loaded: ${JSON.stringify([lb1, lb2])}`);
    expect([lb1.config.director, lb1.config.instances.VI_70!.priority]).toEqual(['lb1', 150]);
    expect([lb2.config.director, lb2.config.instances.VI_70!.priority]).toEqual(['lb2', 100]);
  });
});
