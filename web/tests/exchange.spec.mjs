// Journey: an administrator checks the Planmonitor export — the page shows the API's report:
// how many plans go out, per check how many stay behind, and per plan left out what is wrong —
// and downloads the workbook; imports an Excel list with two bad rows (and one good one): both
// rows' errors are shown as the API gives them and nothing is imported; the corrected list is
// imported; a GeoJSON file with a bad feature is refused the same way; a given-up ZGW event is
// shown with its last error and retried. Keyboard only (files are chosen in the file chooser
// opened with the keyboard).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { journey, check, eq, apiLogin, axe, shot, operatorApi, tabTo, typeInto, selectByKeyboard } from './lib.mjs';

const XLSX_CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-exchange-'));

/** An Excel project list written by Debian's python3-openpyxl: a header and the rows. */
function workbook(name, rows) {
  const file = path.join(dir, name);
  const py = `import json, sys, openpyxl
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Projecten"
ws.append(["Projectnummer", "Projectnaam", "Gemeente", "Provincie", "Planstatus", "Woningen", "Peildatum"])
for r in json.loads(sys.argv[2]): ws.append(r)
wb.save(sys.argv[1])`;
  execFileSync('/usr/bin/python3', ['-c', py, file, JSON.stringify(rows)]);
  return file;
}

// File choosers, caught by a listener set when the journey starts: Playwright turns the
// interception on without waiting for the browser's answer, so a listener set in the same breath
// as the key press can lose the race on a loaded machine (the dialog then opens uncaught).
const choosers = [];
let chooserWanted = null;
function watchFileChoosers(page) {
  page.on('filechooser', (c) => {
    if (chooserWanted) {
      const w = chooserWanted;
      chooserWanted = null;
      w(c);
    } else choosers.push(c);
  });
}

/** Chooses a file for the file input by keyboard: Tab to it, Space opens the chooser. */
async function chooseFile(page, selector, file) {
  await tabTo(page, selector);
  const next = choosers.length
    ? Promise.resolve(choosers.shift())
    : new Promise((resolve, reject) => {
        chooserWanted = resolve;
        setTimeout(() => reject(new Error(`chooseFile: no file chooser for ${selector} within 20 s`)), 20000);
      });
  await page.keyboard.press('Space');
  const chooser = await next;
  await chooser.setFiles(file);
}

async function upload(p, file, ct) {
  const r = await fetch(fx_base + p, { method: 'POST', headers: { Authorization: `Bearer ${fx_token}`, 'Content-Type': ct }, body: fs.readFileSync(file) });
  return { status: r.status, body: await r.json() };
}

let fx_base = '';
let fx_token = '';

await journey('exchange', async ({ page, context, fx }) => {
  fx_base = fx.base;
  fx_token = fx.operator.token;
  watchFileChoosers(page);
  const count = async () => (await operatorApi('GET', '/api/v1/projects?page_size=1')).body.count;
  await apiLogin(context, fx.admin);
  await page.goto('/projects');
  await page.locator('.bs-nav a[href="/exchange"]').waitFor();
  await tabTo(page, '.bs-nav a[href="/exchange"]');
  await page.keyboard.press('Enter');
  await page.locator('#ex-key').waitFor();

  // the Planmonitor export's quality report
  await selectByKeyboard(page, '#ex-key', 'excel');
  await tabTo(page, '.bs-export-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=report]').waitFor();
  const rep = (await operatorApi('GET', '/api/v1/exports/excel?part=report')).body;
  eq([await page.locator('[data-testid=included]').innerText(), await page.locator('[data-testid=left-out]').innerText()], [String(rep.included), String(rep.left_out)], 'exported and left out = the API\'s report');
  const left = await page.$$eval('[data-testid=left-out-plans] tbody tr', (trs) => trs.map((tr) => ({ id: tr.dataset.id, issues: [...tr.querySelectorAll('li')].map((li) => [li.dataset.check, li.textContent.split(': ').slice(1).join(': ')]) })));
  eq(left, rep.left_out_plans.map((p) => ({ id: p.id, issues: p.issues.map((i) => [i.check, i.text]) })), 'every plan left out with what fails and why, as the API says');
  check(rep.left_out > 0, 'set-up: the sample has plans left out', rep.left_out);
  const dl = await page.locator('[data-testid=downloads] a').first().getAttribute('href');
  const got = await page.evaluate(async (h) => {
    const r = await fetch(h);
    return { status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength };
  }, dl);
  check(got.status === 200 && got.type === XLSX_CT && got.size > 1000, 'the workbook downloads', got);
  const tpl = await page.evaluate(async () => {
    const r = await fetch(document.querySelector('[data-testid=template]').getAttribute('href'));
    return { status: r.status, type: r.headers.get('content-type') };
  });
  eq(tpl, { status: 200, type: XLSX_CT }, 'the empty Excel template downloads');
  await axe(page, 'exchange');
  await shot(page, 'exchange');

  // an Excel list with two bad rows: both errors, nothing imported
  const before = await count();
  const bad = workbook('bad.xlsx', [
    ['W-1', 'Wijkpark Noord', 'Voorbeeldstad', 'Utrecht', '1A', 20, '2026-01-15'],
    ['W-2', 'Stationsstraat', 'Voorbeeldstad', 'Utrecht', '9Z', 12, '2026-01-15'],
    ['W-3', 'Havenkwartier', 'Voorbeeldstad', 'Utrecht', '3', 'veel', '2026-01-15'],
  ]);
  await chooseFile(page, '#imp-xlsx-file', bad);
  await typeInto(page, '#imp-xlsx-source', 'journey');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=errors-xlsx]').waitFor();
  const api = await upload('/api/v1/exchange/xlsx?source=journey', bad, XLSX_CT);
  eq(api.status, 422, 'API: the list is refused');
  const rows = await page.$$eval('[data-testid=errors-xlsx] tbody tr', (trs) => trs.map((tr) => [tr.dataset.row, tr.querySelector('[data-col=message]').textContent]));
  eq(rows, api.body.errors.map((e) => [String(e.row), e.message]), 'every error the API gives, at its row');
  eq([...new Set(rows.map((r) => r[0]))], ['3', '4'], 'both bad rows are shown');
  eq(await count(), before, 'nothing was imported');
  eq((await operatorApi('GET', '/api/v1/projects?q=Wijkpark')).body.count, 0, 'not even the good row');
  check((await page.locator('.bs-error-summary').innerText()).includes(api.body.detail), 'the summary says why', api.body.detail);
  await axe(page, 'exchange (import refused)');
  await page.evaluate(() => document.querySelector('[data-testid=import-xlsx]').scrollIntoView({ block: 'start' }));
  await shot(page, 'exchange-import-errors');

  // the corrected list is imported
  const good = workbook('good.xlsx', [['W-1', 'Wijkpark Noord', 'Voorbeeldstad', 'Utrecht', '1A', 20, '2026-01-15']]);
  await chooseFile(page, '#imp-xlsx-file', good);
  await tabTo(page, '[data-testid=import-xlsx] button[type=submit]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=imported-xlsx]').waitFor();
  check((await page.locator('[data-testid=imported-xlsx]').innerText()).includes('1 nieuw'), 'the page says one project is new');
  eq(await count(), before + 1, 'one project more');
  eq((await operatorApi('GET', '/api/v1/projects?q=Wijkpark')).body.results.map((p) => p.name), ['Wijkpark Noord'], 'the good row is a project now');

  // a GeoJSON file with a bad feature: refused the same way
  const gj = path.join(dir, 'bad.geojson');
  fs.writeFileSync(gj, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'Zonder sleutel' }, geometry: null }] }));
  await chooseFile(page, '#imp-geojson-file', gj);
  await tabTo(page, '[data-testid=import-geojson] button[type=submit]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=errors-geojson]').waitFor();
  const gapi = await upload('/api/v1/exchange/geojson', gj, 'application/geo+json');
  eq(await page.$$eval('[data-testid=errors-geojson] [data-col=message]', (tds) => tds.map((t) => t.textContent)), gapi.body.errors.map((e) => e.message), 'the GeoJSON errors as the API gives them');
  eq(await count(), before + 1, 'the GeoJSON file changed nothing');

  // a given-up ZGW event: its last error, and a retry
  const id = execFileSync('psql', [fx.db, '-XAtq', '-c',
    `INSERT INTO adapter_events (adapter, project_id, kind, status, attempts, next_attempt_at, last_error) VALUES ('zgw', '${fx.projects.marktveld}', 'project_created', 'failed', 8, NULL, 'HTTP 503 from the Zaken API') RETURNING id`]).toString().trim().split('\n')[0];
  await page.reload();
  await page.locator(`[data-testid=adapter-events] tr[data-id="${id}"]`).waitFor();
  eq(await page.locator(`tr[data-id="${id}"] [data-col=error]`).innerText(), 'HTTP 503 from the Zaken API', 'the event\'s last error');
  eq(await page.locator(`tr[data-id="${id}"] [data-col=status]`).innerText(), 'opgegeven', 'given up');
  await tabTo(page, `[aria-label="Opnieuw proberen: ${id}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((i) => document.querySelector(`tr[data-id="${i}"] [data-col=status]`)?.textContent !== 'opgegeven', id);
  const ev = (await operatorApi('GET', '/api/v1/adapters/events')).body.events.find((e) => String(e.id) === id);
  check(ev && !(ev.status === 'failed' && !ev.next_attempt_at), 'the event is due again (API)', ev);
  await page.evaluate(() => document.querySelector('#ex-adapters-title').scrollIntoView({ block: 'start' }));
  await shot(page, 'exchange-adapters');
  fs.rmSync(dir, { recursive: true, force: true });
});
