import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Where `npm run dev:web` sends API calls: the API of `npm start` unless API_URL says otherwise. */
const API_URL = process.env.API_URL ?? 'http://127.0.0.1:3000';
const API_PREFIXES = ['/v1', '/client', '/cgi-bin', '/datacube', '/docs', '/media', '/q/', '/healthz', '/readyz'];

/**
 * Writes .gz and .br beside each text file of the build: the API serves them as they are (@fastify/static's
 * preCompressed), so no request pays for compression.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'oa-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const full = path.join(dir, name);
          return statSync(full).isDirectory() ? walk(full) : [full];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file) || statSync(file).size < 1024) continue;
        const body = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

export default defineConfig({
  root: WEB_DIR,
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir: path.join(WEB_DIR, 'dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The largest chunk (Ant Design's components) is loaded once and cached for a year.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: API_URL, changeOrigin: false }])),
  },
});
