import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Where `npm run build:web` puts the dashboard. */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

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
  /** Development servers offer the demo top-up (`POST /daraja/simulate`) in the dashboard. */
  demoTopUp: boolean;
  /** Demo mode (`DEMO`): the dashboard may point at the Daraja emulator's virtual phone. */
  demo?: boolean;
  /** The emulator's virtual phone page, in demo mode with the built-in emulator; else null. */
  virtualPhoneUrl?: () => string | null;
  /** Whether friendly hours are on now, and until when (issue 5 §4). */
  friendlyHours?: () => PublicConfig['friendlyHours'];
}

/** What the dashboard needs to know about this server before it can offer everything. */
export const publicConfigResponse = z.strictObject({
  demo: z.boolean(),
  virtualPhoneUrl: z.string().nullable(),
  /** friendly hours: the load is not cut now; use is repaid from the next purchase */
  friendlyHours: z.strictObject({
    active: z.boolean(),
    /** when the current state ends (ISO), null when it never does */
    until: z.string().nullable(),
    /** the same instant as local "HH:MM" */
    untilLocalTime: z.string().nullable(),
  }),
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
        const html = await readFile(indexPath, 'utf8');
        const marker = opts.demoTopUp ? '<meta name="umeme-demo-top-up" content="on">' : '';
        cachedIndex = { mtimeMs: info.mtimeMs, html: html.replace('</head>', `${marker}</head>`) };
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
          const demo = opts.demo ?? false;
          return {
            demo,
            virtualPhoneUrl: demo ? (opts.virtualPhoneUrl?.() ?? null) : null,
            friendlyHours: opts.friendlyHours?.() ?? { active: false, until: null, untilLocalTime: null },
          };
        },
      );

    const route = { config: { auth: 'public' as const }, schema: { hide: true } };
    app.get('/', route, serve);
    app.get('/*', route, serve);
  };
