import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { THEME_TOKEN } from './src/theme-token.js';

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

const PRECOMPUTED_THEME = 'virtual:oa-antd-theme';

/**
 * `virtual:oa-antd-theme` (src/theme.ts): antd's default algorithm applied at build time to the console's seed (antd's
 * default seed with THEME_TOKEN), which src/theme.ts hands to antd instead of deriving it in the browser.
 */
function precomputedTheme(): Plugin {
  const resolved = `\0${PRECOMPUTED_THEME}`;
  return {
    name: 'oa-precomputed-theme',
    resolveId: (id) => (id === PRECOMPUTED_THEME ? resolved : undefined),
    load(id) {
      if (id !== resolved) return undefined;
      // antd's CommonJS build, which Node loads as it is. (Typed here by hand: antd's types would bring the DOM's
      // into the Node program that type-checks this file.)
      const { theme } = createRequire(import.meta.url)('antd') as { theme: { defaultSeed: object; defaultAlgorithm(seed: object): object } };
      const seed = { ...theme.defaultSeed, ...THEME_TOKEN };
      return `export default ${JSON.stringify({ seed, map: theme.defaultAlgorithm(seed) })};`;
    },
  };
}

/**
 * antd's prebuilt stylesheet (antd/dist/antd.css, which zeroRuntime draws with) also carries its default theme's CSS
 * variables, in blocks under the class names a server render gives (`.css-var-_R_0_`). In the browser React names
 * that class `css-var-_r_…`, so those blocks never apply (antd writes the console's own variables at run time); they
 * were 80 KB of the stylesheet that every page parses before its first paint.
 */
function dropServerRenderedVariables(): Plugin {
  return {
    name: 'oa-antd-css',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('/antd/dist/antd.css')) return undefined;
      return { code: code.replace(/\.css-var-_R_[^{}]*\{[^{}]*\}/g, ''), map: null };
    },
  };
}

export default defineConfig({
  root: WEB_DIR,
  base: '/',
  plugins: [react(), precomputedTheme(), dropServerRenderedVariables(), precompress()],
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
