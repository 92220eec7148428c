/**
 * The nftables data plane, the counterpart of {@link ../ipvs/controller.ts}: `apply(desired)`
 * makes the kernel hold the table, passes never overlap, and `lastReport` / `lastTable` carry
 * what the last pass did and read back (the same {@link ActualTable} shape IPVS gives).
 *
 * Ownership is simpler than IPVS's: Vigil owns exactly one table (`inet vigil_lb`) and every
 * apply replaces it whole in one transaction (lb/nft/render.ts), so there is nothing to persist
 * about what it created and no other table is ever named. `stop()` deletes that table.
 *
 * Idempotent: each pass reads the table first; when it holds the same ruleset fingerprint and
 * every chain/DNAT the render lays out, nothing is written (counters keep running, also across
 * an agent restart). Otherwise the read-back says what the rewrite must flush and delete.
 * Persistence sets that stay are never rewritten, so their clients survive every change.
 * Edits inside the table that keep the fingerprint and the DNAT targets (an added rule, a
 * changed map) are not detected.
 */
import { checkNftSupport } from '../../lb/nft/support.ts';
import { actualTable, existingOf, parseNftJson, verifyReadback, type NftReadback } from '../../lb/nft/readback.ts';
import { DEFAULT_TABLE, renderNft, type NftRenderOptions } from '../../lb/nft/render.ts';
import type { ActualTable, VirtualServerTable } from '../../lb/model.ts';
import type { OsResult } from '../ports.ts';
import type { NftExec } from './exec.ts';

export interface NftReport {
  /** False when the kernel already held this ruleset (nothing written). */
  applied: boolean;
  fingerprint: string;
  /** Why the table was rewritten (what the read-back before the pass differed in). */
  reasons: string[];
  /**
   * `in-place`: the one atomic rewrite. `recreate`: the in-place rewrite failed (a table someone
   * altered beyond what it cleans up), so the table was deleted and re-created in one transaction.
   */
  mode?: 'in-place' | 'recreate';
}

export class NftController {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly table: string;
  lastReport: NftReport | undefined;
  lastTable: ActualTable | undefined;

  constructor(private readonly nft: NftExec, private readonly options: NftRenderOptions = {}) {
    this.table = options.tableName ?? DEFAULT_TABLE;
  }

  /** One pass; passes never overlap (a second call waits for the first). */
  apply(desired: VirtualServerTable): Promise<OsResult<NftReport>> {
    return this.serial(() => this.pass(desired));
  }

  /** Deletes Vigil's table (and only it). Succeeds when it is already gone. */
  stop(): Promise<OsResult> {
    return this.serial(async () => {
      const r = await this.nft(['delete', 'table', 'inet', this.table]);
      this.lastTable = undefined;
      if (!r.ok && r.code !== 'ENOENT') return r;
      return { ok: true, value: undefined };
    });
  }

  /** The table as the kernel holds it; `undefined` when it does not exist. */
  async read(): Promise<OsResult<NftReadback | undefined>> {
    const r = await this.nft(['-j', 'list', 'table', 'inet', this.table]);
    if (!r.ok) return r.code === 'ENOENT' ? { ok: true, value: undefined } : r;
    try {
      return { ok: true, value: parseNftJson(r.value) };
    } catch (err) {
      return { ok: false, code: 'EPROTO', message: `nft -j list table inet ${this.table}: ${(err as Error).message}` };
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async pass(desired: VirtualServerTable): Promise<OsResult<NftReport>> {
    const problems = checkNftSupport(desired, this.options);
    if (problems.length) {
      return { ok: false, code: 'EOPNOTSUPP', message: `the nftables data plane cannot program this table (the kernel is left as it was):\n  ${problems.join('\n  ')}` };
    }
    const before = await this.read();
    if (!before.ok) return before;
    let rendered = renderNft(desired, this.options, existingOf(before.value));
    const reasons = verifyReadback(rendered.layout, rendered.fingerprint, before.value);
    if (reasons.length === 0) {
      this.lastReport = { applied: false, fingerprint: rendered.fingerprint, reasons };
      this.lastTable = actualTable(desired, rendered.layout, before.value);
      return { ok: true, value: this.lastReport };
    }
    let w = await this.nft(['-f', '-'], rendered.script);
    if (!w.ok && rendered.mode === 'in-place' && before.value) {
      // E.g. a base chain someone redefined: start the table over (still one transaction).
      rendered = renderNft(desired, this.options, existingOf(before.value), true);
      const again = await this.nft(['-f', '-'], rendered.script);
      if (again.ok) w = again;
      else w = { ok: false, code: again.code, message: `${w.message}; re-creating the table failed too: ${again.message}` };
    }
    if (!w.ok) return { ok: false, code: w.code, message: `rewriting table inet ${this.table} failed, the old table stays: ${w.message}` };
    const after = await this.read();
    if (!after.ok) return after;
    const drift = verifyReadback(rendered.layout, rendered.fingerprint, after.value);
    this.lastReport = { applied: true, fingerprint: rendered.fingerprint, reasons, mode: rendered.mode };
    this.lastTable = actualTable(desired, rendered.layout, after.value);
    if (drift.length) return { ok: false, code: 'EIO', message: `table inet ${this.table} differs from what was just applied (modified concurrently?): ${drift.join('; ')}` };
    return { ok: true, value: this.lastReport };
  }
}
