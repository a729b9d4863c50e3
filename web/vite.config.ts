// Builds the browser app into BOUWSTROOM_WEB_OUT (default ../build/web): hashed names under
// assets/ (served immutable by the C server), index.html and public/ files at the top
// (served no-cache). docs/web.md.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // development only (`npx vite` in web/): the API of a running `bouwstroom serve`
  server: { proxy: { '/api': process.env.BOUWSTROOM_API ?? 'http://127.0.0.1:8080' } },
  build: {
    outDir: process.env.BOUWSTROOM_WEB_OUT ?? resolve(import.meta.dirname, '../build/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
    // no inline script or data: module preloads: the CSP is script-src 'self'
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
