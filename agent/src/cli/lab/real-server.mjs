#!/usr/bin/env node
// A lab real server: answers every HTTP request with its name (what `vigil lab status` and the
// client's curl show), so which real server took a connection is visible.
import { createServer } from 'node:http';

const [name, port] = process.argv.slice(2);
if (!name || !/^\d+$/.test(port ?? '')) {
  process.stderr.write('usage: real-server.mjs NAME PORT\n');
  process.exit(2);
}
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${name}\n`);
}).listen(Number(port), () => process.stdout.write(`${name} listening on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
