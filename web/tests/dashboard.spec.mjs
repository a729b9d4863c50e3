// Journey, by keyboard only: the dashboard of a council member (issue 18 item 5). The fixture puts
// the sample plans at their levels (fx.levels: three openbaar, two intern raad, seven intern
// ambtelijk) and a raad member of Voorbeeldstad (fx.raad), who reads the first five and sees the
// seven others only as aggregates under the k = 5 rule (docs/security.md §3b). The council member
// logs in with the keyboard, opens the dashboard from the header: every figure's table equals the
// API's answer the page received (rows in order, every figure, the merged cell named, the withheld
// notice exactly where the API withholds), each chart draws the same figures and is an image
// described by its table; every grouping of the homes, chosen with the keyboard; the page in
// English. No name (nor id) of a project the council member may not read is in the DOM at any
// point, nor in any response body the page received. axe: no serious or critical violation.
import { execFileSync } from 'node:child_process';
import { journey, check, eq, fx, axe, shot, tabTo, typeInto, selectByKeyboard, recordResponses, freshTotp, becomes } from './lib.mjs';
import { compareFigure, figureShows, readFigure, received } from './lib-dashboard.mjs';

const psql = (sql) => execFileSync('psql', [fx.db, '-XAtq', '-c', sql]).toString().trim();

const FIGURES = [
  ['dash-year', 'homes', 'year'],
  ['dash-group', 'homes', 'planstatus'],
  ['dash-knelpunten', 'knelpunten', 'step'],
  ['dash-lead-times', 'lead_times', 'step'],
];

await journey('dashboard', async ({ page }) => {
  const raad = fx.raad;
  const seen = recordResponses(page);
  const uid = psql(`SELECT id FROM users WHERE email = '${raad.email}'`);
  // the projects the council member may not read one by one (bs_project_access, the one policy):
  // only as an aggregate, or not at all
  const hidden = psql(
    `SELECT p.id || '|' || p.name FROM projects p WHERE NOT EXISTS (SELECT 1 FROM bs_project_access('${uid}'::uuid) a ` +
      `WHERE a.project_id = p.id AND (a.access IN ('public', 'read', 'write', 'lead') OR a.stream))`,
  )
    .split('\n')
    .filter(Boolean)
    .map((r) => {
      const [id, ...name] = r.split('|');
      return { id, name: name.join('|') };
    });
  const readable = psql(
    `SELECT p.name FROM projects p JOIN bs_project_access('${uid}'::uuid) a ON a.project_id = p.id WHERE a.access IN ('public', 'read')`,
  ).split('\n');
  check(hidden.length >= 5, 'fixture: the council member may not read at least 5 projects (intern ambtelijk)', hidden.length);
  for (const n of fx.levels.intern_ambtelijk) check(hidden.some((h) => h.name === n), `fixture: ${n} is confidential for the council member`);
  for (const n of [...fx.levels.openbaar, ...fx.levels.intern_raad]) check(readable.includes(n), `fixture: the council member reads ${n}`);

  const noHiddenInDom = async (what) => {
    const html = await page.content();
    const leaked = hidden.filter((h) => html.includes(h.name) || html.includes(h.id));
    eq(leaked.map((h) => h.name), [], `${what}: no confidential project's name or id in the DOM`);
  };

  // ---- log in, keyboard only (password, then the code)
  await page.goto('/login');
  await page.locator('#login-email').waitFor();
  await typeInto(page, '#login-email', raad.email);
  await typeInto(page, '#login-password', raad.password);
  await page.keyboard.press('Enter');
  await page.locator('#login-code').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'login-code'), 'login: the code field has the focus');
  await page.keyboard.type(freshTotp(raad));
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 30000 });

  // ---- the dashboard from the header's navigation
  await tabTo(page, 'header a[href="/dashboard"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/dashboard', { timeout: 30000 });
  for (const [id, view, by] of FIGURES) await figureShows(page, id, view, by);
  check(await becomes(page, () => document.activeElement?.id === 'main'), 'dashboard: the focus is at the start of main');
  check(/k = 5/.test(await page.locator('#k-rule').innerText()), 'dashboard: the k = 5 rule is explained');
  const docs = {};
  for (const [id, view, by] of FIGURES) {
    const doc = await received(page, seen, '/api/v1/dashboard', { view, group_by: by });
    docs[`${view}:${by}`] = doc;
    check(doc.public === false, `${view}/${by}: the user's dashboard, not the public one`);
    compareFigure(await readFigure(page, id), doc, { what: `dashboard ${view} by ${by}`, publicOnly: false });
  }
  // the fixture reaches every case: figures of hidden projects shown somewhere, and a view withholding them
  check(Object.values(docs).some((d) => d.cells.some((c) => c.aggregate_only >= 5)), 'dashboard: some cell holds >= 5 projects seen only as a total');
  check(Object.values(docs).some((d) => d.cells.length > 0 && d.cells.some((c) => c.projects > 0)), 'dashboard: figures are shown');
  check(Object.values(docs).some((d) => d.cells.some((c) => c.merged)), 'dashboard: some view merges small groups of hidden projects (the fixture reaches rule 2)');
  check(Object.values(docs).some((d) => d.confidential_withheld), 'dashboard: some view withholds the hidden projects (the fixture reaches rule 3: three hidden knelpunten)');
  // the page's answers are the API's now (no data changed in between: same data_version, same cells)
  const fresh = await page.evaluate(async () => (await fetch('/api/v1/dashboard?view=homes&group_by=year')).json());
  if (fresh.data_version === docs['homes:year'].data_version)
    eq(fresh.cells, docs['homes:year'].cells, 'dashboard: the answer the page received is the API\'s current one');
  await noHiddenInDom('dashboard');
  await axe(page, 'dashboard');
  await shot(page, 'dashboard');
  await page.locator('#dash-lead-times-title').scrollIntoViewIfNeeded();
  await shot(page, 'dashboard-lead-times');

  // ---- every grouping of the homes, chosen with the keyboard
  for (const by of ['plantype', 'phase', 'home_type', 'tenure', 'planstatus']) {
    await selectByKeyboard(page, '#dash-group-by', by);
    await figureShows(page, 'dash-group', 'homes', by);
    eq(new URL(page.url()).searchParams.get('group_by'), by, `group ${by}: the page's query names the grouping`);
    const doc = await received(page, seen, '/api/v1/dashboard', { view: 'homes', group_by: by });
    const fig = await readFigure(page, 'dash-group');
    compareFigure(fig, doc, { what: `dashboard homes by ${by}`, publicOnly: false });
    const word = { planstatus: 'planstatus', plantype: 'plantype', phase: 'fase', home_type: 'woningtype', tenure: 'eigendom' }[by];
    check(fig.canvas === null || fig.canvas.caption.includes(word), `group ${by}: the table's caption names the grouping`, fig.canvas?.caption);
    await noHiddenInDom(`homes by ${by}`);
  }
  check(await becomes(page, () => document.activeElement?.id === 'dash-group-by'), 'grouping: the focus stays on the choice');
  await selectByKeyboard(page, '#dash-group-by', 'phase');
  await figureShows(page, 'dash-group', 'homes', 'phase');
  await axe(page, 'dashboard by phase');

  // ---- in English
  await tabTo(page, 'header button[lang="en"]');
  await page.keyboard.press('Enter');
  await page.locator('h2', { hasText: 'Homes per year' }).waitFor();
  const docYear = await received(page, seen, '/api/v1/dashboard', { view: 'homes', group_by: 'year' });
  compareFigure(await readFigure(page, 'dash-year'), docYear, { what: 'dashboard in English, homes by year', publicOnly: false, locale: 'en-GB' });
  check(/k = 5 rule/.test(await page.locator('#k-rule').innerText()), 'English: the k = 5 rule is explained');
  await noHiddenInDom('dashboard in English');
  await axe(page, 'dashboard in English');
  await shot(page, 'dashboard-en');

  // ---- no confidential name or id in any response the page received
  await page.waitForLoadState('networkidle');
  const api = seen.filter((e) => new URL(e.url).pathname.startsWith('/api/'));
  check(api.some((e) => e.url.includes('/api/v1/dashboard')), 'responses: the dashboard answers were recorded');
  const leaks = [];
  for (const e of seen) for (const h of hidden) if (e.body.includes(h.name) || e.body.includes(h.id)) leaks.push(`${h.name} in ${e.url}`);
  eq(leaks, [], `responses: no confidential project's name or id in any of the ${seen.length} response bodies`);
});
