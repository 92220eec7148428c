/**
 * The file-system port the keepalived reader needs: what a path is (without opening it), read a
 * regular file up to a size, list a directory up to a count. `nodeConfigFs` is the real one;
 * tests pass `memoryConfigFs`.
 *
 * A config path is hostile input (`include /dev/*`, `include /proc/kmsg`): nothing but a
 * regular file is ever opened, so a device, FIFO or socket cannot block the reader or act on
 * being opened (a watchdog device reboots the host when opened). Kernel pseudo-files under /proc
 * and /sys claim to be regular files but are not configuration: reading /proc/kmsg blocks and
 * drains the kernel log. They are refused by their real path.
 */
import { closeSync, constants, fstatSync, opendirSync, openSync, readSync, realpathSync, statSync } from 'node:fs';

export type FileKind = 'file' | 'directory' | 'other' | 'missing';

export interface FileInfo {
  kind: FileKind;
  /** Bytes, for a regular file. */
  size: number;
  /** Any execute bit set: keepalived skips such files ("not a regular non-executable file"). */
  executable: boolean;
  /** Why a path that exists is not readable as a configuration file (pseudo-file, ...). */
  refused?: string;
}

export interface ConfigFs {
  /** What `path` is, following symbolic links (stat(2), as keepalived's glob does). */
  stat(path: string): FileInfo;
  /** The text of a regular file of at most `maxBytes`; throws with a message saying why not. */
  readFile(path: string, maxBytes: number): string;
  /** Up to `maxEntries` names in `dir`, or undefined when it cannot be listed. */
  readdir(dir: string, maxEntries: number): string[] | undefined;
}

const PSEUDO_ROOTS = ['/proc/', '/sys/'];

function pseudoFile(path: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  return PSEUDO_ROOTS.some((r) => real.startsWith(r)) ? `${real} is a kernel pseudo-file, not a configuration file` : undefined;
}

function describeKind(mode: number): string {
  const t = mode & constants.S_IFMT;
  if (t === constants.S_IFDIR) return 'a directory';
  if (t === constants.S_IFCHR) return 'a character device';
  if (t === constants.S_IFBLK) return 'a block device';
  if (t === constants.S_IFIFO) return 'a FIFO';
  if (t === constants.S_IFSOCK) return 'a socket';
  return 'not a regular file';
}

export const nodeConfigFs: ConfigFs = {
  stat: (path) => {
    try {
      const st = statSync(path);
      const kind: FileKind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
      const info: FileInfo = { kind, size: st.size, executable: (st.mode & 0o111) !== 0 };
      const refused = kind === 'file' ? pseudoFile(path) : undefined;
      if (refused) info.refused = refused;
      return info;
    } catch {
      return { kind: 'missing', size: 0, executable: false };
    }
  },
  readFile: (path, maxBytes) => {
    const refused = pseudoFile(path);
    if (refused) throw new Error(refused);
    // O_NONBLOCK: should the path have been swapped for a FIFO since it was checked, open and
    // read return at once instead of waiting for a writer.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error(`${path} is ${describeKind(st.mode)}`);
      if (st.size > maxBytes) throw new Error(`${path} is ${st.size} bytes; the limit is ${maxBytes}`);
      // Read what the file says it holds, never more: a file growing while it is read cannot
      // push the reader past the limit.
      const buf = Buffer.alloc(st.size);
      let off = 0;
      while (off < st.size) {
        const n = readSync(fd, buf, off, st.size - off, off);
        if (n === 0) break;
        off += n;
      }
      return buf.subarray(0, off).toString('utf8');
    } finally {
      closeSync(fd);
    }
  },
  readdir: (dir, maxEntries) => {
    let d;
    try {
      d = opendirSync(dir);
    } catch {
      return undefined;
    }
    const names: string[] = [];
    try {
      for (let e = d.readSync(); e && names.length < maxEntries; e = d.readSync()) names.push(e.name);
    } catch {
      /* a directory that fails mid-listing keeps what was read */
    } finally {
      d.closeSync();
    }
    return names;
  },
};

/**
 * An in-memory file system keyed by absolute path, for tests and for text-only parsing. Values
 * are file contents; `{ kind: 'other' }` stands for a device or FIFO, `{ mode: 0o755, text }`
 * for an executable file.
 */
export function memoryConfigFs(files: Record<string, string | { kind: 'other' } | { mode: number; text: string }>): ConfigFs {
  const table = new Map(Object.entries(files));
  const dirs = new Set<string>(['/']);
  for (const p of table.keys()) {
    const parts = p.split('/');
    for (let i = 2; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return {
    stat: (path) => {
      const f = table.get(path);
      if (f === undefined) return { kind: dirs.has(path.replace(/\/$/, '') || '/') ? 'directory' : 'missing', size: 0, executable: false };
      if (typeof f === 'string') return { kind: 'file', size: Buffer.byteLength(f), executable: false };
      if ('kind' in f) return { kind: 'other', size: 0, executable: false };
      return { kind: 'file', size: Buffer.byteLength(f.text), executable: (f.mode & 0o111) !== 0 };
    },
    readFile: (path, maxBytes) => {
      const f = table.get(path);
      if (f === undefined) throw Object.assign(new Error(`ENOENT: no such file '${path}'`), { code: 'ENOENT' });
      if (typeof f !== 'string' && 'kind' in f) throw new Error(`${path} is not a regular file`);
      const text = typeof f === 'string' ? f : f.text;
      if (Buffer.byteLength(text) > maxBytes) throw new Error(`${path} is ${Buffer.byteLength(text)} bytes; the limit is ${maxBytes}`);
      return text;
    },
    readdir: (dir, maxEntries) => {
      const base = dir.replace(/\/$/, '') || '/';
      if (!dirs.has(base)) return undefined;
      const prefix = base === '/' ? '/' : `${base}/`;
      const names = new Set<string>();
      for (const p of [...table.keys(), ...dirs]) if (p.startsWith(prefix) && p.length > prefix.length) names.add(p.slice(prefix.length).split('/')[0]!);
      return [...names].slice(0, maxEntries);
    },
  };
}
