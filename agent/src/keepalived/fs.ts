/**
 * The file-system port the keepalived reader needs (read a file, list a directory, test for a
 * regular file). `nodeConfigFs` is the real one; tests may pass an in-memory map instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface ConfigFs {
  readFile(path: string): string;
  readdir(dir: string): string[];
  isFile(path: string): boolean;
}

export const nodeConfigFs: ConfigFs = {
  readFile: (path) => readFileSync(path, 'utf8'),
  readdir: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  isFile: (path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
};

/** An in-memory file system keyed by absolute path, for tests and for text-only parsing. */
export function memoryConfigFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file '${path}'`), { code: 'ENOENT' });
      return text;
    },
    readdir: (dir) => {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const names = new Set<string>();
      for (const p of Object.keys(files)) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
      return [...names];
    },
    isFile: (path) => files[path] !== undefined,
  };
}
