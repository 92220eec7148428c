#!/usr/bin/env node
// The lab's relay: plain TCP <-> UNIX-socket byte pipes, so the control plane on this machine's
// loopback is reachable from inside the lab's network namespaces (a UNIX socket path is shared
// across network namespaces; a loopback address is not).
//
//   node relay.mjs unix-to-tcp SOCKET 127.0.0.1:PORT   (this machine: the socket -> the control plane)
//   node relay.mjs tcp-to-unix ADDR:PORT SOCKET         (inside a namespace: ADDR:PORT -> the socket)
import { createConnection, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [mode, from, to] = process.argv.slice(2);
const hostPort = (s) => {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
};
if (!['unix-to-tcp', 'tcp-to-unix'].includes(mode) || !from || !to) {
  process.stderr.write('usage: relay.mjs unix-to-tcp SOCKET HOST:PORT | tcp-to-unix HOST:PORT SOCKET\n');
  process.exit(2);
}
const connect = () => (mode === 'unix-to-tcp' ? createConnection(hostPort(to)) : createConnection({ path: to }));
const server = createServer((client) => {
  const upstream = connect();
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
});
if (mode === 'unix-to-tcp') {
  rmSync(from, { force: true });
  server.listen({ path: from }, () => process.stdout.write(`relay ${from} -> ${to}\n`));
} else {
  server.listen(hostPort(from), () => process.stdout.write(`relay ${from} -> ${to}\n`));
}
process.on('SIGTERM', () => process.exit(0));
