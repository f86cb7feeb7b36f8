import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const apiTarget = process.env.UMEME_API ?? 'http://127.0.0.1:3000';
const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;
/** Below this size compression costs more than it saves. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * Writes `.gz` and `.br` siblings of the built assets: the server sends them with
 * @fastify/static's `preCompressed`, so phones download the compressed bytes without the
 * server compressing on every request.
 */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'umeme-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const path of walk(outDir)) {
        if (!COMPRESSIBLE.test(path)) continue;
        const raw = readFileSync(path);
        if (raw.length < MIN_COMPRESS_BYTES) continue;
        writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    /** the licences of the npm packages in the bundle, served beside it (README: Deploy) */
    license: { fileName: 'licenses.md' },
  },
  server: {
    host: true,
    proxy: {
      '/api': apiTarget,
      '/auth': apiTarget,
      '/daraja': apiTarget,
      '/socket.io': { target: apiTarget, ws: true },
    },
  },
});
