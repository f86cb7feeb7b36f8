import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_WEB_DIST_DIR } from '../shared/package-dir';
import type { Mode } from '../mode';

/** Paths that belong to the API, never to the single-page app: unknown ones stay JSON 404s. */
const API_PREFIXES = [
  '/api',
  '/auth',
  '/daraja',
  '/transactions',
  '/socket.io',
  '/health',
  '/ready',
  '/metrics',
  '/docs',
];

/** Hashed file names never change content, so phones may keep them for a year. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

export interface WebRoutesOptions {
  distDir?: string;
  /**
   * How the server runs: in the demo the dashboard offers the demo top-up and the emulator's
   * virtual phone; whenever the emulator serves payments every page says so.
   */
  mode: Pick<Mode, 'name' | 'demo' | 'payments'>;
  /** The emulator's virtual phone page, in demo mode with the built-in emulator; else null. */
  virtualPhoneUrl?: () => string | null;
  /** The Africa's Talking emulator's SMS inbox and USSD dialer page, in demo mode; else null. */
  smsPhoneUrl?: () => string | null;
  /** Whether friendly hours are on now, and until when (issue 5 §4). */
  friendlyHours?: () => PublicConfig['friendlyHours'];
  /** The largest STK push this server takes (`STK_PUSH_MAX_KES`), for the Buy panel's check. */
  stkMaxKes?: number;
}

/** What the dashboard needs to know about this server before it can offer everything. */
export const publicConfigResponse = z.strictObject({
  /** demo, staging, production or development (the server's mode) */
  mode: z.enum(['demo', 'staging', 'production', 'development']),
  /** the demo: demo accounts, the demo top-up (`POST /daraja/simulate`), the virtual phone */
  demo: z.boolean(),
  /** payments go to the built-in Daraja emulator: no real money moves (every page shows a banner) */
  paymentsEmulator: z.boolean(),
  virtualPhoneUrl: z.string().nullable(),
  /** the demo's feature phone: SMS received and a USSD dialer (the Africa's Talking emulator) */
  smsPhoneUrl: z.string().nullable(),
  /** friendly hours: the load is not cut now; use is repaid from the next purchase */
  friendlyHours: z.strictObject({
    active: z.boolean(),
    /** when the current state ends (ISO), null when it never does */
    until: z.string().nullable(),
    /** the same instant as local "HH:MM" */
    untilLocalTime: z.string().nullable(),
  }),
  /** the largest STK push in whole KES (STK_PUSH_MAX_KES); null when payments are not offered */
  stkMaxKes: z.number().int().nullable(),
});
export type PublicConfig = z.infer<typeof publicConfigResponse>;

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Umeme</title></head>
<body>
<h1>Umeme</h1>
<p>The web dashboard has not been built yet. Run <code>npm run build:web</code> and reload this page.</p>
<p>For development with hot reload, run <code>npm run dev</code> and open the address it prints.</p>
</body></html>`;

function isApiPath(pathname: string): boolean {
  return API_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/**
 * Serves the built dashboard (`packages/web/dist`) at `/`: files as they are (pre-compressed
 * siblings when the browser accepts them), and `index.html` for any other page path so that
 * links like `/meters/KE-001` open the app.
 */
export const webRoutes =
  (opts: WebRoutesOptions): FastifyPluginAsync =>
  async (app) => {
    const distDir = opts.distDir ?? DEFAULT_WEB_DIST_DIR;
    const indexPath = join(distDir, 'index.html');
    let cachedIndex: { mtimeMs: number; html: string } | null = null;

    await app.register(fastifyStatic, {
      root: distDir,
      serve: false,
      preCompressed: true,
      index: false,
      suppressWarning: true,
    });

    async function indexHtml(): Promise<string | null> {
      const info = await stat(indexPath).catch(() => null);
      if (!info) return null;
      if (cachedIndex?.mtimeMs !== info.mtimeMs) {
        cachedIndex = { mtimeMs: info.mtimeMs, html: await readFile(indexPath, 'utf8') };
      }
      return cachedIndex.html;
    }

    async function serve(request: FastifyRequest, reply: FastifyReply) {
      const pathname = request.url.split('?')[0] ?? '/';
      if (isApiPath(pathname)) return reply.callNotFound();
      const lastSegment = pathname.slice(pathname.lastIndexOf('/') + 1);
      if (lastSegment.includes('.')) {
        if (!existsSync(distDir)) return reply.callNotFound();
        let file: string;
        try {
          file = decodeURIComponent(pathname.slice(1));
        } catch {
          return reply.callNotFound();
        }
        const isHashedAsset = pathname.startsWith('/assets/');
        return reply.sendFile(file, {
          maxAge: isHashedAsset ? ASSET_MAX_AGE_MS : 0,
          immutable: isHashedAsset,
        });
      }
      const html = await indexHtml();
      // The page itself is always revalidated, so a new build reaches phones on their next visit.
      reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8');
      return reply.send(html ?? NOT_BUILT_HTML);
    }

    app
      .withTypeProvider<ZodTypeProvider>()
      .get(
        '/api/config',
        { config: { auth: 'public' }, schema: { response: { 200: publicConfigResponse } } },
        async () => {
          const demo = opts.mode.demo;
          return {
            mode: opts.mode.name,
            demo,
            paymentsEmulator: opts.mode.payments === 'emulator',
            virtualPhoneUrl: demo ? (opts.virtualPhoneUrl?.() ?? null) : null,
            smsPhoneUrl: demo ? (opts.smsPhoneUrl?.() ?? null) : null,
            friendlyHours: opts.friendlyHours?.() ?? { active: false, until: null, untilLocalTime: null },
            stkMaxKes: opts.stkMaxKes ?? null,
          };
        },
      );

    const route = { config: { auth: 'public' as const }, schema: { hide: true } };
    app.get('/', route, serve);
    app.get('/*', route, serve);
  };
