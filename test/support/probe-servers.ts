/**
 * Small loopback servers for the health-probe tests: each listens on 127.0.0.1 on a free port,
 * records what it received and closes everything it opened (listener and connections).
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

export interface TestServer {
  port: number;
  /** Raw bytes each connection sent, in order of arrival. */
  received: string[];
  /** SNI names seen by a TLS server (undefined = none sent). */
  servernames: (string | undefined)[];
  connections: number;
  close(): Promise<void>;
}

function track(server: Server, received: string[], servernames: (string | undefined)[]): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const t: TestServer = {
    port: 0,
    received,
    servernames,
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (s: Socket) => {
    t.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    t.port = (server.address() as AddressInfo).port;
    resolve(t);
  }));
}

/** A TCP server running `handler` for each connection (a handler doing nothing = never answers). */
export function tcpServer(handler: (socket: Socket, t: { received: string[] }) => void): Promise<TestServer> {
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    handler(socket, { received });
  });
  return track(server, received, []);
}

/** What an HTTP test server answers: raw bytes, or a status/body pair. */
export type HttpAnswer = string | Buffer | { status: number; body?: string | Buffer; headers?: Record<string, string>; close?: boolean };

function httpHandler(answer: (request: string) => HttpAnswer | 'silent', received: string[]) {
  return (socket: Socket) => {
    socket.on('error', () => undefined);
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      buf += d;
      if (!buf.includes('\r\n\r\n')) return;
      const request = buf;
      buf = '';
      received.push(request);
      const a = answer(request);
      if (a === 'silent') return;
      if (typeof a === 'string' || Buffer.isBuffer(a)) {
        socket.end(a);
        return;
      }
      const body = a.body === undefined ? Buffer.alloc(0) : Buffer.from(a.body);
      const headers = { 'Content-Length': String(body.length), ...a.headers };
      const head = `HTTP/1.1 ${a.status} X\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      socket.write(head, 'latin1');
      if (a.close === false) socket.write(body);
      else socket.end(body);
    });
  };
}

export function httpServer(answer: (request: string) => HttpAnswer | 'silent'): Promise<TestServer> {
  const received: string[] = [];
  return track(createServer(httpHandler(answer, received)), received, []);
}

export interface TestCert {
  key: Buffer;
  cert: Buffer;
}

let cachedCert: TestCert | undefined;

/** A throw-away self-signed certificate made with openssl. */
export function selfSignedCert(): TestCert {
  if (cachedCert) return cachedCert;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=vigil-test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cachedCert = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    return cachedCert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function httpsServer(answer: (request: string) => HttpAnswer | 'silent'): Promise<TestServer> {
  const received: string[] = [];
  const servernames: (string | undefined)[] = [];
  const handler = httpHandler(answer, received);
  const server = createTlsServer(selfSignedCert(), (socket) => {
    servernames.push((socket as TLSSocket & { servername?: string | false }).servername || undefined);
    handler(socket);
  });
  server.on('tlsClientError', () => undefined);
  return track(server as unknown as Server, received, servernames);
}

export interface UdpServer {
  port: number;
  received: Buffer[];
  close(): Promise<void>;
}

/** A UDP server answering each datagram with `reply(msg)` (undefined = stay silent). */
export function udpServer(reply: (msg: Buffer, from: RemoteInfo) => Buffer | Buffer[] | undefined): Promise<UdpServer> {
  const socket: UdpSocket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg, from) => {
    received.push(msg);
    const r = reply(msg, from);
    for (const out of r === undefined ? [] : Array.isArray(r) ? r : [r]) socket.send(out, from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => {
    resolve({ port: socket.address().port, received, close: () => new Promise((r) => socket.close(() => r())) });
  }));
}

/** A port on 127.0.0.1 that nothing listens on (TCP and UDP), found by binding and closing. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
