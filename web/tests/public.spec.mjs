// Journey, by keyboard only: the public page (issue 18 item 5), anonymous. The fixture puts the
// sample plans at their levels (fx.levels: three openbaar, the others intern). From the login page's
// link: the public figures' tables equal the answers of GET /api/v1/public/dashboard the page
// received and each chart draws them; every grouping of the homes; the list of projects is exactly
// the openbaar projects (by name, as GET /api/v1/public/projects and the database say), paged
// (page_size 2: the second page by keyboard); no other project's name or id and no person (name,
// e-mail address) in the DOM or in any response body the page received; the page in English.
// axe: no serious or critical violation.
import { execFileSync } from 'node:child_process';
import { journey, check, eq, fx, axe, shot, tabTo, selectByKeyboard, recordResponses, becomes } from './lib.mjs';
import { compareFigure, figureShows, readFigure, received } from './lib-dashboard.mjs';

const psql = (sql) => execFileSync('psql', [fx.db, '-XAtq', '-c', sql]).toString().trim();

const FIGURES = [
  ['pub-year', 'homes', 'year'],
  ['pub-group', 'homes', 'planstatus'],
  ['pub-knelpunten', 'knelpunten', 'step'],
  ['pub-lead-times', 'lead_times', 'step'],
];

/** The list as the page shows it: per row the project's id and name. */
const listed = (page) =>
  page.locator('#public-projects tbody tr').evaluateAll((trs) => trs.map((tr) => ({ id: tr.dataset.id, name: tr.cells[0].textContent.trim() })));

await journey('public', async ({ page }) => {
  const seen = recordResponses(page);
  const rows = (sql) =>
    psql(sql)
      .split('\n')
      .filter(Boolean)
      .map((r) => {
        const [id, ...name] = r.split('|');
        return { id, name: name.join('|') };
      });
  const openbaar = rows("SELECT id || '|' || name FROM projects WHERE confidentiality = 'openbaar' ORDER BY name, id");
  const others = rows("SELECT id || '|' || name FROM projects WHERE confidentiality <> 'openbaar'");
  eq(openbaar.map((p) => p.name).sort(), [...fx.levels.openbaar].sort(), 'fixture: the openbaar projects');
  check(others.length >= 5, 'fixture: projects that are not openbaar', others.length);
  const persons = psql("SELECT name || '|' || email FROM users").split(/[\n|]/).filter((x) => x.length > 3);
  check(persons.length >= 4, 'fixture: users whose names and addresses must not show', persons.length);

  const nothingPrivate = (text, what) => {
    eq(others.filter((p) => text.includes(p.name) || text.includes(p.id)).map((p) => p.name), [], `${what}: no project that is not openbaar`);
    eq(persons.filter((x) => text.includes(x)), [], `${what}: no person's name or e-mail address`);
  };

  // ---- from the login page, keyboard only
  await page.goto('/login');
  await page.locator('#login-email').waitFor();
  await tabTo(page, '.bs-public-link a');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/public', { timeout: 30000 });
  check(await page.locator('header a[href="/public"]').count() === 1, 'header: the public page is in the navigation of an anonymous visitor');
  for (const [id, view, by] of FIGURES) await figureShows(page, id, view, by);
  for (const [id, view, by] of FIGURES) {
    const doc = await received(page, seen, '/api/v1/public/dashboard', { view, group_by: by });
    eq([doc.public, doc.data_version], [true, null], `public ${view}/${by}: the public figures (no data version)`);
    check(doc.cells.every((c) => c.aggregate_only === 0 && !c.merged), `public ${view}/${by}: openbaar projects only, nothing merged`);
    compareFigure(await readFigure(page, id), doc, { what: `public ${view} by ${by}`, publicOnly: true });
  }
  const homes = await received(page, seen, '/api/v1/public/dashboard', { view: 'homes', group_by: 'planstatus' });
  eq(homes.cells.reduce((n, c) => n + c.projects, 0), openbaar.length, 'public homes by planstatus: the openbaar projects are counted, no other');

  // ---- the list: the openbaar projects, by name (one page of 25)
  await page.locator('#public-projects').waitFor();
  eq(await listed(page), openbaar, 'list: exactly the openbaar projects, by name, as the database holds them');
  const api = await received(page, seen, '/api/v1/public/projects', {});
  eq(api.results.map((p) => ({ id: p.id, name: p.name })), await listed(page), 'list: the rows are the answer of GET /api/v1/public/projects');
  eq(api.count, openbaar.length, 'list: the count is the number of openbaar projects');
  nothingPrivate(await page.content(), 'public page');
  await axe(page, 'public');
  await shot(page, 'public');
  await page.locator('#public-list-title').scrollIntoViewIfNeeded();
  await shot(page, 'public-list');

  // ---- every grouping of the homes, chosen with the keyboard
  for (const by of ['plantype', 'phase', 'home_type', 'tenure']) {
    await selectByKeyboard(page, '#pub-group-by', by);
    await figureShows(page, 'pub-group', 'homes', by);
    const doc = await received(page, seen, '/api/v1/public/dashboard', { view: 'homes', group_by: by });
    compareFigure(await readFigure(page, 'pub-group'), doc, { what: `public homes by ${by}`, publicOnly: true });
  }

  // ---- paged: two per page, the second page by keyboard
  await page.goto('/public?page_size=2');
  await page.locator('#public-projects[data-page="1"]').waitFor();
  eq(await listed(page), openbaar.slice(0, 2), 'paged: the first page holds the first two');
  await tabTo(page, '.bs-pager button:last-of-type');
  await page.keyboard.press('Enter');
  await page.locator('#public-projects[data-page="2"]').waitFor();
  eq(await listed(page), openbaar.slice(2, 4), 'paged: the second page holds the rest');
  const page2 = await received(page, seen, '/api/v1/public/projects', { page: '2', page_size: '2' });
  eq(page2.results.map((p) => ({ id: p.id, name: p.name })), openbaar.slice(2, 4), 'paged: the API\'s second page');
  check(/3–3/.test(await page.locator('.bs-pager').innerText()), 'paged: the pager says which rows', await page.locator('.bs-pager').innerText());
  await axe(page, 'public, second page');

  // ---- in English
  await tabTo(page, 'header button[lang="en"]');
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'Public figures' }).waitFor();
  check(await becomes(page, () => document.documentElement.lang === 'en'), 'English: <html lang> is en');
  const docYear = await received(page, seen, '/api/v1/public/dashboard', { view: 'homes', group_by: 'year' });
  compareFigure(await readFigure(page, 'pub-year'), docYear, { what: 'public in English, homes by year', publicOnly: true, locale: 'en-GB' });
  await axe(page, 'public in English');
  await shot(page, 'public-en');
  nothingPrivate(await page.content(), 'public page in English');

  // ---- nothing private in any response the page received
  await page.waitForLoadState('networkidle');
  check(seen.some((e) => e.url.includes('/api/v1/public/projects')), 'responses: the list answers were recorded');
  nothingPrivate(seen.map((e) => e.body).join('\n'), `every one of the ${seen.length} responses`);
});
