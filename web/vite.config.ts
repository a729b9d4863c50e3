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

// The files of the project page (its chunk, the chart's chunk, their imports and CSS) by name,
// for main.tsx: a project URL opened directly asks for them at boot as <link rel=modulepreload>
// (fetched and compiled, not run, while /api/v1/me is on its way; docs/performance.md). The
// placeholder __BS_PROJECT_PAGE_FILES__ in the app's code becomes "/assets/a.js,/assets/b.css,…".
function projectPageFiles(): Plugin {
  return {
    name: 'bouwstroom-project-page-files',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = new Set<string>();
      for (const c of Object.values(bundle)) {
        if (c.type !== 'chunk' || !/[\\/]pages[\\/](Project|ProjectGantt)\.tsx$/.test(c.facadeModuleId ?? '')) continue;
        for (const f of [c.fileName, ...c.imports, ...((c as any).viteMetadata?.importedCss ?? [])]) files.add(f);
        for (const i of c.imports) for (const css of ((bundle[i] as any)?.viteMetadata?.importedCss ?? [])) files.add(css);
      }
      const list = [...files].filter((f) => !/^assets\/index-/.test(f)).map((f) => `/${f}`).join(',');
      for (const c of Object.values(bundle))
        if (c.type === 'chunk' && c.code.includes('__BS_PROJECT_PAGE_FILES__')) c.code = c.code.replaceAll('__BS_PROJECT_PAGE_FILES__', list);
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [ganttCssForCsp(), projectPageFiles()],
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
