/** `--metrics-listen`: GET /metrics on a plain HTTP listener, nothing else. */
import { createServer, type Server } from 'node:http';

export function serveMetrics(at: { host: string; port: number }, render: () => Promise<string>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      render().then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text), () => res.writeHead(500).end());
    });
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve(server));
  });
}
