// Benchmark of the browser app on the real 2020 plans (not a test): Debian's chromium through
// playwright-core against a running `bouwstroom serve`. Run by scripts/bench_web.sh (make
// bench-web), which imports the plans and starts the server.
//
// Measures, each over RUNS fresh page loads (median and worst):
//   1. JavaScript of the first page (/login): bytes of every script the page loads, gzipped here
//      (zlib level 6, as a server or proxy would send them) — the budget is 350 KB;
//   2. /projects with every imported project visible to the user: navigation start → the first
//      page of rows is in the table and the search box takes input ("interactive");
//   3. the project page of an imported project: first contentful paint (Chromium's paint
//      timing) and navigation start → every bar of the Gantt chart drawn.
//
// Usage: node bench/bench_web.mjs BASE EMAIL PASSWORD PROJECT_ID [RUNS]
// BENCH_WEB_TRACE=1 also prints each project-page run's resource timings and the chart's own
// performance entries (measures bs:gantt-init and bs:gantt-parse, mark bs:layer of the last layer draw).
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [base, email, password, projectId, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);

function totp(secretB32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], worst: s[s.length - 1] };
};
const ms = (x) => `${x.toFixed(0)} ms`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
try {
  // 1. JavaScript of the first page
  {
    const ctx = await browser.newContext({ baseURL: base, viewport: { width: 1366, height: 768 } });
    const page = await ctx.newPage();
    const scripts = [];
    page.on('response', async (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r);
    });
    await page.goto('/login', { waitUntil: 'networkidle' });
    let raw = 0,
      gz = 0;
    for (const r of scripts) {
      const body = await r.body();
      raw += body.length;
      gz += zlib.gzipSync(body, { level: 6 }).length;
    }
    console.log(`first page (/login): ${scripts.length} scripts, ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (budget 350 KB)`);
    await ctx.close();
  }

  // a session for the rest (TOTP enrolment when the role asks for it)
  const ctx = await browser.newContext({ baseURL: base, viewport: { width: 1366, height: 768 } });
  let r = await ctx.request.post('/api/v1/login', { data: { email, password } });
  if (r.status() === 401) {
    const doc = await r.json();
    if (!doc.secret) throw new Error(`login: ${JSON.stringify(doc)}`);
    const step = Math.floor(Date.now() / 30000) - 1;
    r = await ctx.request.post('/api/v1/login', { data: { email, password, totp_code: totp(doc.secret, step) } });
  }
  if (r.status() !== 200) throw new Error(`login: ${r.status()} ${await r.text()}`);
  const count = (await (await ctx.request.get('/api/v1/projects?page_size=1')).json()).count;
  // the chart draws one bar per step with dates (as web/tests/project.spec.mjs counts them)
  const steps = (await (await ctx.request.get(`/api/v1/projects/${projectId}/schedule`)).json()).steps
    .filter((s) => s.early_start || s.actual_start || s.actual_finish).length;

  // 2. /projects
  const interactive = [];
  for (let i = 0; i < runs; i++) {
    const page = await ctx.newPage();
    await page.goto('/projects', { waitUntil: 'commit' });
    const t = await page.waitForFunction(() => {
      const rows = document.querySelectorAll('main table tbody tr');
      const search = document.querySelector('main input[type="search"], main input[name="q"]');
      return rows.length > 0 && search && !search.disabled ? performance.now() : false;
    }, null, { polling: 'raf', timeout: 30000 });
    interactive.push(await t.jsonValue());
    await page.close();
  }
  const pi = stats(interactive);
  console.log(`/projects with ${count} projects: interactive median ${ms(pi.median)}, worst ${ms(pi.worst)} (budget 1000 ms)`);

  // 3. the project page
  const fcp = [],
    drawn = [],
    work = [];
  for (let i = 0; i < runs; i++) {
    const page = await ctx.newPage();
    // the renderer's own counters (CDP Performance domain): main-thread time spent, less
    // sensitive to the machine's load than the wall-clock figures (see docs/performance.md)
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`/projects/${projectId}`, { waitUntil: 'commit' });
    const t = await page.waitForFunction((n) => {
      const bars = document.querySelectorAll('.bs-gantt[data-drawn] .gantt_task_line');
      return bars.length >= n && n > 0 ? performance.now() : false;
    }, steps, { polling: 'raf', timeout: 30000 });
    drawn.push(await t.jsonValue());
    work.push(Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value])));
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
    fcp.push(paint);
    if (process.env.BENCH_WEB_TRACE) {
      // resources (start-end) and the page's own marks and measures (bs:…, web/src/pages)
      const res = await page.evaluate(() => [
        ...performance.getEntriesByType('resource').map((e) => `${e.name.replace(location.origin, '')} ${e.startTime.toFixed(0)}-${e.responseEnd.toFixed(0)}`),
        ...performance.getEntriesByType('mark').map((e) => `mark ${e.name} ${e.startTime.toFixed(0)}`),
        ...performance.getEntriesByType('measure').map((e) => `measure ${e.name} ${e.startTime.toFixed(0)}+${e.duration.toFixed(0)}`),
      ]);
      console.log(`  run ${i}: drawn ${drawn[i].toFixed(0)} ms\n    ${res.join('\n    ')}`);
    }
    await page.close();
  }
  const pf = stats(fcp),
    pd = stats(drawn);
  console.log(`project page (${steps} steps): first contentful paint median ${ms(pf.median)}, worst ${ms(pf.worst)} (budget 500 ms)`);
  console.log(`project page: chart drawn median ${ms(pd.median)}, worst ${ms(pd.worst)} (budget 1000 ms)`);
  const med = (k) => stats(work.map((w) => w[k])).median;
  console.log(`project page: main thread up to the drawn chart (medians): tasks ${ms(med('TaskDuration') * 1000)}, script ${ms(med('ScriptDuration') * 1000)}, ` +
    `layout ${ms(med('LayoutDuration') * 1000)} in ${med('LayoutCount')} passes, style ${ms(med('RecalcStyleDuration') * 1000)} in ${med('RecalcStyleCount')} passes`);
  await ctx.close();
} finally {
  await browser.close();
}
