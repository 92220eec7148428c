/**
 * The lab's client (runs in the client namespace): a new TCP connection and one HTTP GET to
 * every VIP every `everyMs`, each with a hard timeout, as a user's traffic would be. Every
 * result is kept as (time, ok, who answered); `take()` hands over what accumulated since the last
 * call, so the orchestrator holds the whole record and this process stays small.
 */
import { request } from 'node:http';
import type { Emit } from '../../../test/support/netns-child.ts';

export interface Probe { vip: string; at: number; ok: boolean; by?: string; err?: string }

export function serve(_emit: Emit) {
  let timers: NodeJS.Timeout[] = [];
  let buf: Probe[] = [];

  const once = (vip: string, timeoutMs: number) => new Promise<Probe>((resolve) => {
    const at = Date.now();
    let done = false;
    const finish = (p: Omit<Probe, 'vip' | 'at'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ vip, at, ...p });
    };
    const req = request({ host: vip, port: 80, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 200) body += d; });
      res.on('end', () => finish(res.statusCode === 200 ? { ok: true, by: body.trim().slice(0, 32) } : { ok: false, err: `status ${res.statusCode}` }));
      res.on('error', (e) => finish({ ok: false, err: e.message }));
    });
    const timer = setTimeout(() => { req.destroy(); finish({ ok: false, err: 'timeout' }); }, timeoutMs);
    req.on('error', (e) => finish({ ok: false, err: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end();
  });

  return {
    start(vips: string[], everyMs: number, timeoutMs: number) {
      for (const vip of vips) {
        let busy = false;
        timers.push(setInterval(() => {
          // One request in flight per VIP: a hung one counts once, by its timeout.
          if (busy) return;
          busy = true;
          void once(vip, timeoutMs).then((p) => { buf.push(p); busy = false; });
        }, everyMs));
      }
    },
    take(): Probe[] {
      const out = buf;
      buf = [];
      return out;
    },
    stop() {
      for (const t of timers) clearInterval(t);
      timers = [];
    },
  };
}
