/**
 * Messages between the control plane's main thread and the thread that owns the embedded
 * database (PGlite is Postgres compiled to WebAssembly: every statement runs synchronously on
 * the thread that owns it, so on the main thread a 1,000-row insert or a chain verification
 * would stall every request; see worker.ts).
 */
export type Request =
  | { id: number; op: 'open'; dataDir: string | undefined }
  | { id: number; op: 'query'; sql: string; params: unknown[]; rowMode: 'array' | 'object' | undefined; rawOids: number[]; tx: number | undefined }
  | { id: number; op: 'exec'; sql: string; tx: number | undefined }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; channel: string }
  | { id: number; op: 'close' };

/** A database error as plain data (Error objects lose `code` and friends across threads). */
export interface WireError {
  message: string;
  name?: string;
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
  severity?: string;
}

export type Reply =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: WireError }
  | { op: 'notify'; channel: string; payload: string };
