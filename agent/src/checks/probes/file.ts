/**
 * FILE_CHECK: the real server follows the number in a track_file (see track-file-value.ts for
 * the rules). The probe does not watch files itself: whoever owns the track_files (and their
 * inotify watches) gives it a reader, so the value is the same one VRRP tracking sees.
 */
import type { FileCheck, TrackFile } from '#schema';
import { fileCheckVerdict, parseTrackFileValue } from '../track-file-value.ts';
import { fail, runProbe, type Probe } from '../probe.ts';
import { readFile } from 'node:fs/promises';

/** The current value of a named track_file; undefined when it is unknown or unreadable. */
export type TrackFileReader = (name: string) => Promise<TrackFileState | undefined> | TrackFileState | undefined;

export interface TrackFileState {
  /** The file's integer value (0 when empty or missing, as keepalived). */
  value: number;
  /** The track_file's own weight and reverse, the defaults of the FILE_CHECK's. */
  weight: number;
  reverse: boolean;
}

/** A FILE_CHECK probe reading values through `read`. */
export function createFileProbe(read: TrackFileReader): Probe<FileCheck> {
  return (checker, _target, opts) =>
    runProbe(opts, opts.timeoutMs, async () => {
      const state = await read(checker.trackFile);
      if (!state) return fail(`track_file "${checker.trackFile}" has no value`);
      // keepalived: a FILE_CHECK without its own weight takes the track_file's weight and reverse.
      const weight = checker.weight ?? state.weight;
      const reverse = checker.weight !== undefined ? Boolean(checker.reverse) : state.reverse;
      const v = fileCheckVerdict(state.value, weight, reverse);
      if (!v.up) return fail(v.reason);
      return v.weightOffset === undefined ? { ok: true } : { ok: true, weightOffset: v.weightOffset };
    });
}

/**
 * A reader straight from the files of the spec's `trackFiles` (no caching, no inotify): enough
 * for tools and tests; the agent passes its tracker's values instead.
 */
export function fileSystemTrackFileReader(trackFiles: Record<string, TrackFile>): TrackFileReader {
  return async (name) => {
    const tf = Object.hasOwn(trackFiles, name) ? trackFiles[name] : undefined;
    if (!tf) return undefined;
    // keepalived reads at most 127 bytes; a missing file is 0.
    const text = await readFile(tf.file, 'latin1').then((t) => t.slice(0, 127), () => '');
    const value = parseTrackFileValue(text);
    return value === undefined ? undefined : { value, weight: tf.weight, reverse: tf.reverse };
  };
}
