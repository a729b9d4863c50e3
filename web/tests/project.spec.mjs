// Journey: a project leader reads a project's plan: the Gantt chart draws exactly what the engine
// computed (one bar per step, the critical steps, the P50–P80 bands at gantt.posFromDate), the
// table view equals the API, the step panel shows the history, and known_on shows the plan as
// it was. Done with the keyboard only.
import { journey, check, eq, apiLogin, axe, shot, operatorApi } from './lib.mjs';
import { openProject, ganttFacts, tabTo } from './lib-project.mjs';

await journey('project', async ({ page, context, fx }) => {
  const id = fx.projects.marktveld;
  // a fact with a reason, so the step has a history (recorded on the server's today)
  const done = await operatorApi('POST', `/api/v1/projects/${id}/steps/initiatief_ingediend/complete`, { date: fx.today, reason: 'Principeverzoek ontvangen per brief' });
  eq(done.status, 200, 'set-up: a step completed over the API');
  const sched = (await operatorApi('GET', `/api/v1/projects/${id}/schedule`)).body;
  const fc = (await operatorApi('GET', `/api/v1/projects/${id}/forecast`)).body;

  await apiLogin(context, fx.leader);
  await openProject(page, id);
  await page.locator('.bs-gantt .bs-band').first().waitFor();
  let g = await ganttFacts(page);
  // every step is a row; every step with dates a bar (a skipped optional step has no dates)
  const dated = sched.steps.filter((s) => s.early_start || s.actual_start || s.actual_finish);
  check(dated.length >= sched.steps.length - 2, 'nearly every step of the plan has dates', sched.steps.length - dated.length);
  eq(g.rows.sort(), sched.steps.map((s) => s.key).sort(), 'one chart row per step the API returned');
  eq(g.bars.length, dated.length, 'one bar per dated step the API returned');
  eq(g.bars.map((b) => b.key).sort(), dated.map((s) => s.key).sort(), 'the bars are the steps');
  eq(g.bars.filter((b) => b.critical).map((b) => b.key).sort(), sched.steps.filter((s) => s.critical).map((s) => s.key).sort(), 'critical bars are exactly the engine\'s critical steps');
  eq(g.bars.filter((b) => b.knelpunt).map((b) => b.key).sort(), sched.steps.filter((s) => s.total_float !== null && s.total_float < 0).map((s) => s.key).sort(), 'knelpunt bars are the steps with negative float');
  const datedKeys = new Set(dated.map((s) => s.key));
  const drawable = sched.links.filter((l) => datedKeys.has(l.pred) && datedKeys.has(l.succ));
  check(g.links === drawable.length && drawable.length > 30, 'one arrow per link between dated steps', { drawn: g.links, links: drawable.length });
  const want = fc.milestones.filter((m) => m.p50 && m.p80 && sched.steps.some((s) => s.key === m.key));
  eq(g.bands.map((b) => b.key).sort(), want.map((m) => m.key).sort(), 'a P50–P80 band for every milestone of the forecast');
  for (const b of g.bands) {
    const m = want.find((x) => x.key === b.key);
    check(m && m.p50 === b.p50 && m.p80 === b.p80, `band ${b.key} carries the forecast's P50/P80`, { b, m });
    check(Math.abs(b.left - b.want_left) <= 2 && Math.abs(b.right - Math.max(b.want_right, b.want_left + 2)) <= 2, `band ${b.key} ends within 2 px of posFromDate(P50/P80)`, b);
  }
  const lagged = sched.links.find((l) => l.lag && datedKeys.has(l.pred) && datedKeys.has(l.succ));
  if (lagged) {
    const label = await page.evaluate((l) => [...document.querySelectorAll('.bs-gantt .gantt_task_link')].map((e) => e.getAttribute('aria-label') || '').find((t) => t.includes(`${l.type}, wachttijd ${l.lag}`)), lagged);
    check(!!label, 'a link with a lag names its type and lag in its aria-label', lagged);
  }
  check(g.markers.some((c) => c.includes('bs-marker-today')) && g.markers.some((c) => c.includes('bs-marker-datadate')), 'today and data-date lines drawn', g.markers);
  check(await page.getByText('Marktveld', { exact: true }).first().isVisible(), 'the header names the project');
  await axe(page, 'project (chart)');
  await shot(page, 'project-chart');

  // scrolling the chart keeps the bands where posFromDate says
  await page.evaluate(() => window.bsGantt.scrollTo(600, null));
  // the chart redraws on its scroll event: wait (up to 10 s) for the bands to settle, then check
  for (const until = Date.now() + 10000; ; await page.waitForTimeout(100)) {
    g = await ganttFacts(page);
    if (g.bands.every((b) => Math.abs(b.left - b.want_left) <= 2) || Date.now() > until) break;
  }
  check(g.bands.every((b) => Math.abs(b.left - b.want_left) <= 2), 'after a horizontal scroll the bands still sit at posFromDate', g.bands.slice(0, 3));

  // keyboard only: the chart takes focus and Enter on a task opens its step panel
  await page.keyboard.press('Home');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const inChart = await tabTo(page, () => !!document.activeElement && !!document.activeElement.closest('.bs-gantt'), 'the chart');
  if (inChart) {
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/steps\//);
    check(/\/steps\/[a-z_]+$/.test(page.url()), 'Enter on a chart row opens the step', page.url());
  }

  // the table view, reached by keyboard
  await page.goto(`/projects/${id}`);
  await page.locator('.bs-gantt .gantt_task_line').first().waitFor();
  await tabTo(page, () => document.activeElement?.textContent === 'Tabel', 'the table toggle');
  await page.keyboard.press('Enter');
  await page.locator('.bs-plan-table').waitFor();
  const rows = await page.$$eval('.bs-plan-table tbody tr', (trs) => trs.map((tr) => ({
    key: tr.dataset.key,
    start: tr.querySelector('[data-col=start]').textContent,
    finish: tr.querySelector('[data-col=finish]').textContent,
    critical: tr.querySelector('[data-col=critical]').textContent === 'ja',
    band: tr.querySelector('[data-col=band]').textContent,
  })));
  eq(rows, sched.steps.map((s) => {
    const m = fc.milestones.find((x) => x.key === s.key);
    return { key: s.key, start: s.actual_start ?? s.early_start ?? '', finish: s.actual_finish ?? s.early_finish ?? '', critical: s.critical, band: m && m.p50 ? `${m.p50} – ${m.p80}` : '' };
  }), 'the table view equals the API (keys, dates, critical, P50–P80)');
  await axe(page, 'project (table)');
  await shot(page, 'project-table');

  // open the completed step from the table by keyboard: its history with who, when, why
  await tabTo(page, () => document.activeElement?.getAttribute('href')?.endsWith('/steps/initiatief_ingediend'), 'the step link');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=history]').waitFor();
  check(await page.locator('.bs-plan-table').isVisible(), 'opening a step keeps the page and its table view');
  const hist = (await operatorApi('GET', `/api/v1/projects/${id}/history?step=initiatief_ingediend`)).body;
  const histRows = await page.$$eval('[data-testid=history] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  eq(histRows.length, hist.count, 'the panel lists every history entry of the step');
  check(histRows.some((r) => r[1] === hist.results[0].changed_by && r[3] === 'Principeverzoek ontvangen per brief'), 'history shows who and why', histRows);
  eq(await page.locator('[data-testid=step-status]').innerText(), 'gereed', 'the step is done now');
  await axe(page, 'project (step panel)');
  await shot(page, 'project-step');

  // the plan as known the day before: the step was still open
  const before = new Date(Date.parse(fx.today) - 86400000).toISOString().slice(0, 10);
  const known = (await operatorApi('GET', `/api/v1/projects/${id}/schedule?known_on=${before}`)).body;
  await page.locator('#known-on').focus();
  await page.keyboard.type(before);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=as-of]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=step-status]')?.textContent === 'open');
  eq(await page.locator('[data-testid=step-status]').innerText(), known.steps.find((s) => s.key === 'initiatief_ingediend').status, `known_on ${before}: the step as it was`);
  eq(await page.locator('[data-testid=data-date]').innerText() !== '', true, 'data date shown');
  check(await page.locator('[data-testid=form-complete]').count() === 0, 'no change forms in a past plan');
  // a date before anything was known: the server's message at the field
  await page.locator('#known-on').fill('2001-01-01');
  await page.locator('#known-on').press('Enter');
  await page.locator('#known-on-error').waitFor();
  const bad = await operatorApi('GET', `/api/v1/projects/${id}/schedule?known_on=2001-01-01`);
  eq(await page.locator('#known-on-error').innerText(), bad.body.invalid_params[0].reason, 'known_on refused: the server\'s message at the field');
  await shot(page, 'project-known-on');
});
