// Builds the browser app into BOUWSTROOM_WEB_OUT (default ../build/web): hashed names under
// assets/ (served immutable by the C server), index.html and public/ files at the top
// (served no-cache). docs/web.md.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';

// dhtmlx-gantt's CSS declares Inter from fonts.gstatic.com and its icon font as a data: URL;
// the CSP (font-src 'self') refuses both. This drops the remote @font-face rules (the app uses
// the system font stack) and writes each data: font to its own file under /assets/.
function ganttCssForCsp(): Plugin {
  const fonts = new Map<string, Buffer>();
  return {
    name: 'bouwstroom-gantt-css-csp',
    enforce: 'pre',
    transform(code, id) {
      if (!/dhtmlx-gantt[\\/].*\.css($|\?)/.test(id)) return null;
      let out = code.replace(/@font-face\s*\{[^}]*url\(\s*['"]?https?:[^}]*\}/g, '');
      out = out.replace(/url\(\s*['"]?data:font\/(woff2?|ttf|otf);base64,([A-Za-z0-9+/=]+)['"]?\s*\)/g, (_m, ext: string, b64: string) => {
        const buf = Buffer.from(b64, 'base64');
        const name = `assets/dhx-gantt-icons-${createHash('sha256').update(buf).digest('hex').slice(0, 10)}.${ext}`;
        fonts.set(name, buf);
        return `url(/${name})`;
      });
      return { code: out, map: null };
    },
    generateBundle() {
      for (const [fileName, source] of fonts) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [ganttCssForCsp()],
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
