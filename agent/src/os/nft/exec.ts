/**
 * Runs the `nft` command line (nftables 0.9.3+): the one way Vigil talks to nf_tables. A script
 * goes in on stdin (`nft -f -`), so one invocation is one kernel transaction. Failures come back
 * as {@link OsResult} codes: ENOENT (no such table/chain), EPERM (no CAP_NET_ADMIN), ENOEXEC
 * (nft not installed), ETIMEDOUT, else EINVAL with nft's own message (syntax, kernel refusal).
 */
import { spawn } from 'node:child_process';
import type { OsResult } from '../ports.ts';

/** One nft invocation: arguments, optional stdin; resolves with stdout. */
export type NftExec = (args: string[], stdin?: string) => Promise<OsResult<string>>;

export interface NftExecOptions {
  /** argv prefix instead of `nft`, e.g. `['ip', 'netns', 'exec', 'ns1', 'nft']`. */
  command?: string[];
  timeoutMs?: number;
}

export function execNft(options: NftExecOptions = {}): NftExec {
  const [cmd, ...pre] = options.command ?? ['nft'];
  const timeoutMs = options.timeoutMs ?? 30_000;
  return (args, stdin) => new Promise((resolve) => {
    const what = `nft ${args.join(' ')}`;
    const proc = spawn(cmd!, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let done = false;
    const finish = (r: OsResult<string>) => { if (!done) { done = true; clearTimeout(timer); resolve(r); } };
    const timer = setTimeout(() => { proc.kill('SIGKILL'); finish({ ok: false, code: 'ETIMEDOUT', message: `${what}: no answer within ${timeoutMs} ms` }); }, timeoutMs);
    proc.stdout.on('data', (d: Buffer) => out.push(d));
    proc.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-16_384); });
    proc.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, code: 'ENOEXEC', message: `cannot run ${cmd}: ${e.message} (is nftables installed?)` }));
    proc.once('close', (code) => {
      if (code === 0) return finish({ ok: true, value: Buffer.concat(out).toString() });
      const text = err.trim() || `exit ${code}`;
      finish({ ok: false, code: errnoOf(text), message: `${what}: ${text}` });
    });
    proc.stdin.on('error', () => undefined); // nft may exit before reading all of stdin
    proc.stdin.end(stdin ?? '');
  });
}

function errnoOf(stderr: string): string {
  if (/No such file or directory/.test(stderr)) return 'ENOENT';
  if (/Operation not permitted/.test(stderr)) return 'EPERM';
  return 'EINVAL';
}
