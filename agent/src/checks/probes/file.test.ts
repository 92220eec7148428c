import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileProbe, fileSystemTrackFileReader, type TrackFileState } from './file.ts';

const opts = { timeoutMs: 1000, signal: new AbortController().signal };
const target = { address: '127.0.0.1', port: 80 };

describe('FILE_CHECK', () => {
  const states: Record<string, TrackFileState> = {};
  const probe = createFileProbe((name) => states[name]);

  it('weight 0 (track_file default 1 overridden): 0 up, non-zero down', async () => {
    states.f = { value: 0, weight: 1, reverse: false };
    expect(await probe({ type: 'FILE_CHECK', trackFile: 'f', weight: 0 }, target, opts)).toEqual({ ok: true });
    states.f = { value: 1, weight: 1, reverse: false };
    expect(await probe({ type: 'FILE_CHECK', trackFile: 'f', weight: 0 }, target, opts)).toEqual({ ok: false, reason: 'track_file value 1' });
  });

  it('inherits weight and reverse from the track_file when the checker has no weight', async () => {
    states.g = { value: 4, weight: 2, reverse: true };
    expect(await probe({ type: 'FILE_CHECK', trackFile: 'g' }, target, opts)).toEqual({ ok: true, weightOffset: -8 });
    // The checker's own weight comes with its own reverse (default off).
    expect(await probe({ type: 'FILE_CHECK', trackFile: 'g', weight: 3 }, target, opts)).toEqual({ ok: true, weightOffset: 12 });
  });

  it('fails when the track_file is unknown', async () => {
    expect(await probe({ type: 'FILE_CHECK', trackFile: 'nope' }, target, opts)).toEqual({ ok: false, reason: 'track_file "nope" has no value' });
  });

  describe('reading the files of the spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-file-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'rs1');
    const fsProbe = createFileProbe(fileSystemTrackFileReader({ rs1: { file, weight: 0, reverse: false } }));
    const check = { type: 'FILE_CHECK' as const, trackFile: 'rs1' };

    it('a missing file is 0 (up), a non-zero value is down, back to 0 is up', async () => {
      expect(await fsProbe(check, target, opts)).toEqual({ ok: true });
      writeFileSync(file, '1\n');
      expect(await fsProbe(check, target, opts)).toEqual({ ok: false, reason: 'track_file value 1' });
      writeFileSync(file, '0\n');
      expect(await fsProbe(check, target, opts)).toEqual({ ok: true });
    });

    it('an out-of-range number has no value', async () => {
      writeFileSync(file, '99999999999\n');
      expect(await fsProbe(check, target, opts)).toEqual({ ok: false, reason: 'track_file "rs1" has no value' });
    });
  });
});
