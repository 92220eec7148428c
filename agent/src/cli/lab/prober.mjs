#!/usr/bin/env node
// A lab client for `vigil lab chaos`: requests URL every INTERVAL ms, one request at a time with a
// TIMEOUT ms deadline and a new connection each (a connection is what a failover breaks), and
// writes one JSON line per request, {"at":<ms since the epoch>,"ok":<bool>}: the outages a fault
// caused, as a client in the lab saw them.
import { get } from 'node:http';

const [url, interval, timeout] = process.argv.slice(2);
if (!url || !/^\d+$/.test(interval ?? '') || !/^\d+$/.test(timeout ?? '')) {
  process.stderr.write('usage: prober.mjs URL INTERVAL_MS TIMEOUT_MS\n');
  process.exit(2);
}
const every = Number(interval);
const deadline = Number(timeout);

function once() {
  const at = Date.now();
  let settled = false;
  const done = (ok) => {
    if (settled) return;
    settled = true;
    process.stdout.write(`${JSON.stringify({ at, ok })}\n`);
    setTimeout(once, Math.max(0, at + every - Date.now()));
  };
  const req = get(url, { agent: false, timeout: deadline }, (res) => {
    res.resume();
    res.on('end', () => done(res.statusCode === 200));
    res.on('error', () => done(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => done(false));
}
once();
process.on('SIGTERM', () => process.exit(0));
