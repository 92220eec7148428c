/** Types of agent/bin/compiled.mjs (plain JavaScript: it runs before any TypeScript can). */
export function fingerprint(): string;
export const distRoot: string;
export function entryOf(fp: string): string;
export function compiledEntry(fp?: string): string | undefined;
export function buildCompiled(): Promise<string>;
export const FAST_SCRIPT: string;
export function runCached(entry: string, argv: string[]): Promise<number> | undefined;
