// Journey: the project leader finds a project, by keyboard only. Name search, each filter,
// sort by column header and paging: after each, the table's rows are exactly what the API
// returns for the same query (asked with the leader's own session), and the query is in the
// URL (the back button returns to the previous list). The map draws one outline per project
// with a geometry on the page, each leading to its project. The security headers of the page
// are asserted over HTTP, the console has no CSP violation, and no token is in storage.
import zlib from 'node:zlib';
import { journey, check, eq, fx, apiLogin, axe, shot, tabTo, typeInto, selectByKeyboard, checkNoTokenInStorage, sessionCookie } from './lib.mjs';

await journey('projects', async ({ page, context }) => {
  // ---- the first page's JavaScript (the login page): ≤ 350 KB gzipped
  const js = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('.js')) js.push(r.body().then((b) => zlib.gzipSync(b, { level: 9 }).length).catch(() => 0));
  });
  await page.goto('/login');
  await page.locator('#login-email').waitFor();
  await page.waitForLoadState('networkidle');
  const gz = (await Promise.all(js)).reduce((a, b) => a + b, 0);
  check(gz > 0 && gz <= 350 * 1024, `the login page's JavaScript is ≤ 350 KB gzipped (${(gz / 1024).toFixed(1)} KB)`, gz);
  check(!(await page.evaluate(() => typeof window.L !== 'undefined')), 'Leaflet is not loaded on the login page');

  // ---- the security headers of the app's HTML, over HTTP
  const h = (await fetch(fx.base + '/projects?q=x')).headers;
  const csp = h.get('content-security-policy') ?? '';
  for (const d of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"])
    check(csp.includes(d), `CSP has ${d}`, csp);
  check(!/script-src[^;]*'unsafe-inline'|'unsafe-eval'/.test(csp), 'CSP allows no inline or eval script', csp);
  eq(h.get('x-content-type-options'), 'nosniff', 'X-Content-Type-Options: nosniff');
  check(!!h.get('referrer-policy'), 'a Referrer-Policy', h.get('referrer-policy'));

  await apiLogin(context, fx.leader);
  const ask = async (q) => {
    const r = await context.request.get(`/api/v1/projects${q}`);
    check(r.status() === 200, `API ${q}: 200`, r.status());
    return r.json();
  };
  const table = async () =>
    page.evaluate(() => Array.from(document.querySelectorAll('.bs-table tbody tr')).map((tr) => ({ id: tr.dataset.id, name: tr.querySelector('th a').textContent, href: tr.querySelector('th a').getAttribute('href') })));
  const settled = async () => {
    await page.waitForFunction(() => !document.querySelector('.bs-table[aria-busy="true"]') && !/Laden|Loading/.test(document.querySelector('[data-testid="count"]')?.textContent ?? 'Laden'));
  };
  /** the table equals the API's answer for the API query q (filters as in the page's URL) */
  const same = async (q, what) => {
    await settled();
    const want = await ask(q);
    const got = await table();
    eq(got.map((r) => r.id), want.results.map((r) => r.id), `${what}: the rows are the API's (${q})`);
    eq(got.map((r) => r.name), want.results.map((r) => r.name), `${what}: the names are the API's`);
    check(got.every((r) => r.href === `/projects/${r.id}`), `${what}: each name links to its project`);
    return want;
  };
  const fmt = (n) => n.toLocaleString('nl-NL');
  const countText = async () => (await page.locator('[data-testid="count"]').innerText()).trim();

  // ---- the list, within a second
  await page.goto('/projects');
  // the browser's own clock: from the start of the navigation to the rows in the table
  const ms = await (await page.waitForFunction(() => document.querySelector('.bs-table tbody tr') && performance.now())).jsonValue();
  // the budget is 1 s with 4,348 projects on an idle machine (make bench-web measures it); the
  // journeys run beside each other, so this guard is looser: it catches a page that waits for
  // something it should not (a chunk, a second round trip), not a few busy milliseconds
  console.log(`/projects: rows in the table ${Math.round(ms)} ms after the navigation started`);
  check(ms <= 2000, `the projects page shows its table within 2 s of the navigation (${Math.round(ms)} ms)`);
  let all = await same('?page_size=25&geometry=wgs84', 'the first page');
  eq(await countText(), `1–${Math.min(25, all.count)} van ${fmt(all.count)}`, 'the count line');
  check(all.count >= 10, 'the sample plans are listed', all.count);
  const coded = all.results.find((r) => r.planstatus && r.planstatus !== 'onbekend');
  if (check(!!coded, 'a project with a planstatus code on the first page')) {
    const cell = (await page.locator(`tr[data-id="${coded.id}"] td`).nth(2).innerText()).trim();
    check(cell.startsWith(coded.planstatus + ' ') && cell.length > coded.planstatus.length + 3, 'planstatus: the code with the provinces\' label', cell);
  }

  // the map: one outline per project with a geometry on the page; wait for Leaflet
  await page.locator('[data-testid="projects-map"]').waitFor();
  const withGeom = all.results.filter((r) => r.geometry_wgs84);
  check(withGeom.length > 0, 'the API gives WGS84 geometries (geometry=wgs84)', all.results[0]);
  await page.waitForFunction((n) => document.querySelectorAll('path.bs-outline').length === n, withGeom.length, { timeout: 10000 }).catch(() => {});
  const outlines = await page.evaluate(() => Array.from(document.querySelectorAll('path.bs-outline')).map((p) => p.getAttribute('data-project-id')));
  eq(outlines.length, withGeom.length, 'the map draws one outline per project with a geometry on the page');
  eq([...outlines].sort(), withGeom.map((r) => r.id).sort(), 'the outlines are those projects');
  eq(await page.locator('.leaflet-tile').count(), 0, 'no tiles (the tests run without): vector outlines only');
  await axe(page, 'projects (table and map)');
  await shot(page, 'projects');

  // ---- find a project by name (keyboard: the search field, Enter)
  await typeInto(page, '#f-q', 'markt');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('q') === 'markt');
  const found = await same('?q=markt&page_size=25&geometry=wgs84', 'name search');
  check(found.results.some((r) => r.id === fx.projects.marktveld), 'name search finds Marktveld');
  await shot(page, 'projects-search');

  // ---- filters: clear, then provincie + planstatus of Marktveld, then plan type, knelpunt, mine
  await tabTo(page, 'a.utrecht-button-link[href="/projects"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.search === '');
  await settled();
  const mv = (await (await context.request.get(`/api/v1/projects/${fx.projects.marktveld}`)).json());
  await typeInto(page, '#f-provincie', mv.provincie);
  await selectByKeyboard(page, '#f-planstatus', mv.planstatus);
  await tabTo(page, '.bs-filters button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('planstatus') === mv.planstatus);
  const byStatus = await same(`?provincie=${encodeURIComponent(mv.provincie)}&planstatus=${mv.planstatus}&page_size=25&geometry=wgs84`, 'provincie + planstatus');
  check(byStatus.results.some((r) => r.id === mv.id), 'the filter keeps Marktveld');
  check(byStatus.count < all.count || all.results.every((r) => r.planstatus === mv.planstatus), 'the planstatus filter narrows the list');
  const mvCell = await page.locator(`tr[data-id="${mv.id}"] td`).nth(2).innerText();
  check(mvCell.includes(mv.planstatus === 'onbekend' ? 'Onbekend' : mv.planstatus), 'Marktveld\'s planstatus in its row', mvCell);
  await axe(page, 'projects filtered');
  await shot(page, 'projects-filtered');

  await tabTo(page, 'a.utrecht-button-link[href="/projects"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.search === '');
  await settled();
  const types = [...new Set(all.results.map((r) => r.plantype).filter(Boolean))];
  await selectByKeyboard(page, '#f-plantype', types[0]);
  await selectByKeyboard(page, '#f-knelpunt', 'false');
  await tabTo(page, '.bs-filters button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('knelpunt') === 'false');
  await same(`?plantype=${types[0]}&knelpunt=false&page_size=25&geometry=wgs84`, 'plan type + knelpunt no');
  await selectByKeyboard(page, '#f-knelpunt', 'true');
  await tabTo(page, '.bs-filters button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('knelpunt') === 'true');
  await same(`?plantype=${types[0]}&knelpunt=true&page_size=25&geometry=wgs84`, 'plan type + knelpunt yes');

  await tabTo(page, 'a.utrecht-button-link[href="/projects"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.search === '');
  await settled();
  await tabTo(page, '#f-mine');
  await page.keyboard.press('Space');
  await tabTo(page, '.bs-filters button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('mine') === 'true');
  const mine = await same('?mine=true&page_size=25&geometry=wgs84', 'mine');
  check(mine.results.some((r) => r.id === fx.projects.marktveld) && mine.count < all.count, 'mine: the leader\'s projects (Marktveld), not all', mine.count);

  // ---- sort by column header (aria-sort), ascending then descending
  await tabTo(page, 'a.utrecht-button-link[href="/projects"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.search === '');
  await settled();
  eq(await page.locator('th[aria-sort="ascending"]').innerText().then((t) => t.split('\n')[0].replace(/[▲▼↕]/g, '').trim()), 'Naam', 'sorted by name by default');
  const homesBtn = 'th:nth-of-type(6) button.bs-sort';
  await tabTo(page, homesBtn);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('sort') === 'homes');
  eq(await page.locator('thead th').nth(5).getAttribute('aria-sort'), 'ascending', 'homes ascending: aria-sort');
  await same('?sort=homes&page_size=25&geometry=wgs84', 'sort homes ascending');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('sort') === '-homes');
  eq(await page.locator('thead th').nth(5).getAttribute('aria-sort'), 'descending', 'homes descending: aria-sort');
  eq(await page.locator('thead th').first().getAttribute('aria-sort'), 'none', 'name no longer sorted');
  await same('?sort=-homes&page_size=25&geometry=wgs84', 'sort homes descending');
  await shot(page, 'projects-sorted');

  // ---- paging: 10 per page, the next page, the back button
  await selectByKeyboard(page, '#f-page-size', '10');
  await page.waitForURL((u) => u.searchParams.get('page_size') === '10');
  all = await same('?sort=-homes&page_size=10&geometry=wgs84', 'page 1 of 10');
  eq(await countText(), `1–${Math.min(10, all.count)} van ${fmt(all.count)}`, 'page 1: the count line');
  check(all.count > 10, 'more than one page of 10', all.count);
  await tabTo(page, '.bs-pagination a[rel="next"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('page') === '2');
  const p2 = await same('?sort=-homes&page=2&page_size=10&geometry=wgs84', 'page 2 of 10');
  eq(await countText(), `11–${10 + p2.results.length} van ${fmt(p2.count)}`, 'page 2: the count line');
  eq(await page.locator('.bs-pagination a[aria-current="page"]').innerText(), '2', 'page 2 is the current page');
  const p2outlines = await page.evaluate(() => document.querySelectorAll('path.bs-outline').length);
  eq(p2outlines, p2.results.filter((r) => r.geometry_wgs84).length, 'page 2: the map shows only this page\'s outlines');
  await axe(page, 'projects page 2');
  await shot(page, 'projects-page-2');
  await page.goBack();
  await page.waitForURL((u) => !u.searchParams.get('page'));
  await same('?sort=-homes&page_size=10&geometry=wgs84', 'back button: page 1 again');
  await page.goBack();
  await page.waitForURL((u) => !u.searchParams.get('page_size'));
  await same('?sort=-homes&page_size=25&geometry=wgs84', 'back button: 25 per page again');

  // ---- an outline on the map leads to its project
  const target = (await page.evaluate(() => document.querySelector('path.bs-outline')?.getAttribute('data-project-id')));
  await page.locator(`path.bs-outline[data-project-id="${target}"]`).click({ force: true });
  await page.waitForURL((u) => u.pathname === `/projects/${target}`);
  await page.goBack();
  await page.waitForURL((u) => u.pathname === '/projects');
  await settled();

  // ---- open Marktveld by keyboard from a name search
  await typeInto(page, '#f-q', 'Marktveld');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('q') === 'Marktveld');
  await settled();
  await tabTo(page, `a[href="/projects/${fx.projects.marktveld}"]`);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === `/projects/${fx.projects.marktveld}`);

  const cookie = await sessionCookie(context);
  await checkNoTokenInStorage(page, [cookie?.value], 'projects journey');
});
