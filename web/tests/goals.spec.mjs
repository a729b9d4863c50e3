// Journey, by keyboard only: beleidsdoelen (policy goals, issue 18 item 5). A management member of
// Voorbeeldstad (fx.viewer, a policy adviser: the API lets beheerder and management write goals)
// opens Doelen from the header and creates a goal: a target that is no number is refused at its
// field with the server's message, then the goal is made as the API stores it. Its page shows the
// progress once computed (the first computation forecasts every contributing project: waited for
// with a generous deadline): the probability that it is met as a percentage with its explanation
// (Monte Carlo, projects independent), homes planned and P50/P80 by the deadline, and the projects
// that matter most — every number equal to the API's answer. The dashboard lists the goal with the
// same probability. A council member (fx.raad; the sample plans at their levels, fx.levels) opens
// the same goal: the same totals, the projects they may not read as anonymous entries, and no name
// or id of such a project in the DOM or in any response the page received. The goal is changed
// and deleted (after the confirmation) by the adviser. The page in English. axe: no serious or
// critical violation.
import { execFileSync } from 'node:child_process';
import { journey, check, eq, fx, apiLogin, axe, shot, tabTo, typeInto, recordResponses, becomes } from './lib.mjs';
import { pageFetch } from './lib-project.mjs';

const psql = (sql) => execFileSync('psql', [fx.db, '-XAtq', '-c', sql]).toString().trim();
const LOC = { nl: 'nl-NL', en: 'en-GB' };
const num = (n, l = 'nl') => n.toLocaleString(LOC[l], { maximumFractionDigits: 1 });
const pct = (p, l = 'nl') => (p === null ? '—' : `${(p * 100).toLocaleString(LOC[l], { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`);
const pp = (p) => (p === null ? '—' : `${(p * 100).toLocaleString('nl-NL', { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' })} procentpunt`);

async function answerOf(page, method, path, act) {
  const [resp] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === method, { timeout: 60000 }), act()]);
  let body = null;
  try {
    body = await resp.json();
  } catch {
    /* 204 */
  }
  return { status: resp.status(), body };
}
const reason = (body, name) => body?.invalid_params?.find((p) => p.name === name)?.reason;
const text = async (page, sel) => (await page.locator(sel).innerText()).trim();
const newPage = async (browser) => {
  const ctx = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  return { ctx, page: await ctx.newPage() };
};

/** The progress the page shows, against the API's answer (rows in order, every number). */
async function compareProgress(page, pr, who, hiddenText) {
  eq(await text(page, '[data-testid=goal-probability]'), pct(pr.probability_met), `${who}: the probability met is the API's, as a percentage`);
  const explain = await text(page, '[data-testid=goal-explain]');
  check(/Monte-Carlo/.test(explain) && /onafhankelijk/.test(explain) && explain.includes(num(pr.samples)), `${who}: one sentence explains it (Monte Carlo, independent projects, the samples)`, explain);
  const windows = await page.locator('[data-testid=goal-windows] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  eq(windows, pr.windows.map((w) => [String(w.year), num(w.planned), num(w.p50), num(w.p80), pct(w.probability_met)]), `${who}: homes planned, P50, P80 and the probability per deadline are the API's`);
  const rows = await page.locator('[data-testid=goal-projects] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  eq(rows, pr.projects.slice(0, 15).map((p) => [p.name ?? hiddenText, p.gemeente ?? '—', num(p.planned), pct(p.p_late), pct(p.p_late_given_missed), pp(p.importance)]),
    `${who}: the projects that matter most, in the API's order with its figures`);
}

await journey('goals', async ({ page, context, browser }) => {
  const adviser = fx.viewer;
  const seenAdviser = recordResponses(page);
  await apiLogin(context, adviser);
  await page.goto('/projects');
  await tabTo(page, 'header a[href="/goals"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/goals');
  await page.locator('.bs-goal-add').waitFor();
  await axe(page, 'goals, none yet');

  // ---- create a goal: a bad target refused at its field, then made
  await tabTo(page, '.bs-goal-add');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=goal-form]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'goal-form-title'), 'the form takes the focus');
  await typeInto(page, '#goal-name', 'Woningbouwopgave 2030');
  await typeInto(page, '#goal-target', 'veel');
  await typeInto(page, '#goal-to', '2030');
  await tabTo(page, '[data-testid=goal-form] button[type=submit]');
  let a = await answerOf(page, 'POST', '/api/v1/goals', () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a target that is no number: 422');
  await page.locator('#goal-target-error').waitFor();
  eq(await text(page, '#goal-target-error'), reason(a.body, 'target'), 'the server\'s message at the target field');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  await axe(page, 'goal refused');
  await shot(page, 'goals-refused');
  await typeInto(page, '#goal-target', '400');
  await tabTo(page, '[data-testid=goal-form] button[type=submit]');
  a = await answerOf(page, 'POST', '/api/v1/goals', () => page.keyboard.press('Enter'));
  eq(a.status, 201, 'the goal is made');
  const goal = a.body;
  eq([goal.name, goal.target, goal.year_to, goal.period, goal.direction, goal.measure], ['Woningbouwopgave 2030', 400, 2030, 'by_year', 'minimum', 'homes'], 'the API stores what the form said');
  await page.locator(`[data-testid=goals] tr[data-id="${goal.id}"]`).waitFor();
  eq(await text(page, `[data-testid=goals] tr[data-id="${goal.id}"] td:nth-child(2)`), 'Minstens 400 woningen opgeleverd vóór 31 december 2030', 'the list says the goal in words');

  // ---- its progress
  await tabTo(page, `a[href="/goals/${goal.id}"]`);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === `/goals/${goal.id}`);
  await page.locator('[data-testid=goal-progress]').waitFor({ timeout: 240000 });
  const got = seenAdviser.filter((r) => new URL(r.url).pathname === `/api/v1/goals/${goal.id}/progress` && r.status === 200);
  for (let i = 0; i < 50 && !(got.length && got[0].body); i++) await page.waitForTimeout(100);
  const pr = JSON.parse(got[0].body);
  check(pr.projects.length > 0 && pr.windows.length === 1, 'the goal has contributing projects and one deadline', pr.forecasts);
  await compareProgress(page, pr, 'adviser', 'Vertrouwelijk project (u hebt geen inzage)');
  const again = (await pageFetch(page, 'GET', `/api/v1/goals/${goal.id}/progress`)).body;
  eq([again.probability_met, again.windows], [pr.probability_met, pr.windows], 'the API answers the same again (cached, seeded per project)');
  await axe(page, 'goal progress');
  await shot(page, 'goals-progress');
  await page.locator('[data-testid=goal-projects]').scrollIntoViewIfNeeded();
  await shot(page, 'goals-progress-projects');

  // ---- the dashboard lists it with its probability
  await tabTo(page, 'header a[href="/dashboard"]');
  await page.keyboard.press('Enter');
  const cell = `[data-testid=dash-goals] tr[data-id="${goal.id}"] td[data-col=probability]`;
  await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent.trim() === want, [cell, pct(pr.probability_met)], { timeout: 240000 });
  const dashRow = await page.locator(`[data-testid=dash-goals] tr[data-id="${goal.id}"]`).evaluate((tr) => [...tr.children].map((c) => c.textContent.trim()));
  const w = pr.windows[0];
  eq(dashRow.slice(2), ['2030', num(w.planned), num(w.p50), num(w.p80), pct(pr.probability_met)], 'the dashboard: the goal\'s figures are the API\'s');
  await page.locator('[data-testid=dash-goals]').scrollIntoViewIfNeeded();
  await axe(page, 'dashboard with goals');
  await shot(page, 'goals-dashboard');

  // ---- a council member: the same totals, confidential projects anonymous, no name anywhere
  const raad = await newPage(browser);
  const seen = recordResponses(raad.page);
  await apiLogin(raad.ctx, fx.raad);
  const uid = psql(`SELECT id FROM users WHERE email = '${fx.raad.email}'`);
  const hidden = psql(
    `SELECT p.id || '|' || p.name FROM projects p WHERE NOT EXISTS (SELECT 1 FROM bs_project_access('${uid}'::uuid) a ` +
      `WHERE a.project_id = p.id AND a.access IN ('public', 'read', 'write', 'lead'))`,
  )
    .split('\n')
    .filter(Boolean)
    .map((r) => {
      const [id, ...name] = r.split('|');
      return { id, name: name.join('|') };
    });
  check(hidden.length >= 5, 'fixture: the council member may not read at least 5 projects', hidden.length);
  const rp = raad.page;
  await rp.goto('/projects');
  await tabTo(rp, 'header a[href="/goals"]');
  await rp.keyboard.press('Enter');
  await rp.locator(`a[href="/goals/${goal.id}"]`).waitFor();
  eq(await rp.locator('.bs-goal-add, .bs-goal-edit, .bs-goal-delete').count(), 0, 'a council member reads goals but gets no write controls');
  await tabTo(rp, `a[href="/goals/${goal.id}"]`);
  await rp.keyboard.press('Enter');
  await rp.locator('[data-testid=goal-progress]').waitFor({ timeout: 240000 });
  const raadPr = (await pageFetch(rp, 'GET', `/api/v1/goals/${goal.id}/progress`)).body;
  eq([raadPr.probability_met, raadPr.windows], [pr.probability_met, pr.windows], 'the council member gets the same totals');
  await compareProgress(rp, raadPr, 'council member', 'Vertrouwelijk project (u hebt geen inzage)');
  const anon = raadPr.projects.filter((p) => p.id === null).length;
  check(anon > 0, 'some contributing projects are anonymous to the council member', raadPr.projects.length);
  eq(await rp.locator('[data-testid=goal-projects] tr[data-hidden=true]').count(), Math.min(anon, raadPr.projects.slice(0, 15).filter((p) => p.id === null).length), 'each anonymous entry shown as such');
  await tabTo(rp, 'header a[href="/dashboard"]');
  await rp.keyboard.press('Enter');
  await rp.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent.trim() === want, [cell, pct(pr.probability_met)], { timeout: 240000 });
  await tabTo(rp, `[data-testid=dash-goals] a[href="/goals/${goal.id}"]`);
  await rp.keyboard.press('Enter');
  await rp.locator('[data-testid=goal-progress]').waitFor({ timeout: 240000 });
  const html = await rp.content();
  eq(hidden.filter((h) => html.includes(h.name) || html.includes(h.id)).map((h) => h.name), [], 'council member: no confidential project\'s name or id in the DOM');
  for (let i = 0; i < 50 && seen.some((r) => r.status === 200 && !r.body && r.url.includes('/api/')); i++) await rp.waitForTimeout(100);
  const leaks = [];
  for (const r of seen) for (const h of hidden) if (r.body && (r.body.includes(h.name) || r.body.includes(h.id))) leaks.push(`${h.name} in ${new URL(r.url).pathname}`);
  eq(leaks, [], 'council member: no confidential project\'s name or id in any response the page received');
  check(seen.some((r) => new URL(r.url).pathname === `/api/v1/goals/${goal.id}/progress`), 'the progress responses were recorded');
  await axe(rp, 'goal progress, council member');
  await rp.locator('[data-testid=goal-projects]').scrollIntoViewIfNeeded();
  await shot(rp, 'goals-raad');
  // in English
  await tabTo(rp, 'header button[lang="en"]');
  await rp.keyboard.press('Enter');
  await rp.locator('h2', { hasText: 'Probability that the goal is met' }).waitFor();
  eq(await text(rp, '[data-testid=goal-probability]'), pct(pr.probability_met, 'en'), 'English: the probability as a percentage');
  check(/independent/.test(await text(rp, '[data-testid=goal-explain]')), 'English: the explanation');
  await axe(rp, 'goal progress in English');
  await shot(rp, 'goals-raad-en');
  await raad.ctx.close();

  // ---- the adviser changes the goal, then deletes it after the confirmation
  await page.goto('/goals');
  await tabTo(page, `[data-testid=goals] tr[data-id="${goal.id}"] .bs-goal-edit`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=goal-form]').waitFor();
  eq(await page.locator('#goal-target').inputValue(), '400', 'the form holds the goal\'s target');
  await typeInto(page, '#goal-target', '350');
  await tabTo(page, '[data-testid=goal-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `/api/v1/goals/${goal.id}`, () => page.keyboard.press('Enter'));
  eq([a.status, a.body && a.body.target], [200, 350], 'the goal is changed');
  await page.locator(`[data-testid=goals] tr[data-id="${goal.id}"] td`, { hasText: 'Minstens 350 woningen' }).waitFor();
  await tabTo(page, `[data-testid=goals] tr[data-id="${goal.id}"] .bs-goal-delete`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=goal-confirm]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'goal-del-title'), 'the confirmation takes the focus');
  await axe(page, 'goal delete confirmation');
  await tabTo(page, '.bs-goal-confirm');
  a = await answerOf(page, 'DELETE', `/api/v1/goals/${goal.id}`, () => page.keyboard.press('Enter'));
  eq(a.status, 204, 'the goal is deleted');
  await page.locator(`[data-testid=goals] tr[data-id="${goal.id}"]`).waitFor({ state: 'detached' });
  eq((await pageFetch(page, 'GET', `/api/v1/goals/${goal.id}`)).status, 404, 'the API no longer has it');
});
