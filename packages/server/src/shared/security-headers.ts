import { createHash } from 'node:crypto';
import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';
import { RECEIPT_STYLE } from '@umeme/protocol';
import { STATEMENT_STYLE } from './statement-style';

/** A CSP source allowing exactly one inline style block. */
export const styleHash = (css: string): string =>
  `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;

/** The HTML statement: nothing runs, nothing loads, only its own style block applies. */
export const STATEMENT_CSP = [
  `default-src 'none'`,
  `style-src ${styleHash(STATEMENT_STYLE)}`,
  `base-uri 'none'`,
  `form-action 'none'`,
  `frame-ancestors 'none'`,
].join('; ');

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Security headers on every response (SEC-11). The dashboard is Vite's output: module scripts
 * and stylesheets from this origin, no inline script or style, the socket on this origin, a
 * data: favicon. The receipt and statement pages the dashboard opens from blobs or a print frame
 * live under this policy too, hence their style blocks' hashes. Nothing may frame any of it (the
 * console's relay buttons); the emulator's virtual phone is linked, never framed. HSTS only when
 * the server is reached over HTTPS: PUBLIC_URL says so, or a trusted proxy does.
 *
 * helmet's middleware is built once, here. @fastify/helmet rebuilt it (parsing the whole policy)
 * on every request: 4 % of the server's CPU under the payments benchmark, where every callback
 * and every STK Query answer carries these headers.
 */
export function registerSecurityHeaders(
  http: FastifyInstance,
  opts: { publicUrl: string | undefined },
): void {
  const httpsPublicUrl = opts.publicUrl?.startsWith('https:') ?? false;
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", styleHash(RECEIPT_STYLE), styleHash(STATEMENT_STYLE)],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(httpsPublicUrl ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  http.addHook('onRequest', (request, reply, done) => {
    try {
      headers(request.raw, reply.raw, () => {});
    } catch (err) {
      done(err as Error);
      return;
    }
    if (httpsPublicUrl || request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    done();
  });
}
