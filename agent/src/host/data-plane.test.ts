import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileOwnershipStore } from './data-plane.ts';

describe('IPVS ownership record', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const at = () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-own-'));
    dirs.push(d);
    return join(d, 'ipvs-services.json');
  };

  it('round-trips; a missing file is nothing owned, silently', async () => {
    const path = at();
    const warnings: string[] = [];
    const store = fileOwnershipStore(path, (m) => warnings.push(m));
    expect(await store.load()).toEqual([]);
    await store.save(['TCP 10.0.0.1:80']);
    expect(await store.load()).toEqual(['TCP 10.0.0.1:80']);
    expect(warnings).toEqual([]);
  });

  for (const [what, text] of [['torn JSON', '["TCP 10.0.0.1:80"'], ['not a list of ids', '{"a":1}'], ['ids that are not strings', '[1,2]']] as const) {
    it(`a corrupt record (${what}) is reported, set aside, and nothing is owned`, async () => {
      const path = at();
      writeFileSync(path, text);
      const warnings: string[] = [];
      expect(await fileOwnershipStore(path, (m) => warnings.push(m)).load()).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/IPVS ownership record .* is corrupt .*moved to .*\.corrupt.*left alone/);
      expect(readFileSync(`${path}.corrupt`, 'utf8')).toBe(text);
      expect(existsSync(path)).toBe(false);
    });
  }
});
