import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Whether an Authorization header carries exactly `Bearer <token>`, compared in constant time. */
export function metricsTokenMatches(header: string | undefined, token: string): boolean {
  const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
  // Same-length digests: the comparison time says nothing about the token or its length.
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * Prometheus metrics on a listener of their own (`METRICS_PORT` on `METRICS_HOST`, loopback by
 * default), apart from the public one: `GET /metrics` and nothing else. With `METRICS_TOKEN` set
 * the token is asked for here too.
 */
export async function startMetricsListener(opts: {
  host: string;
  port: number;
  registry: Registry;
  token: string | null;
  logger: Logger;
}): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.\n');
      return;
    }
    if (opts.token !== null && !metricsTokenMatches(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized.\n');
      return;
    }
    opts.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
      (err: unknown) => {
        opts.logger.error({ err }, 'metrics could not be collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable.\n');
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
