// Journey: a manager (the project leader of an imported plan) opens the what-if planner and runs
// a what-if FS → SS between two steps ("run the preliminary design and the studies in
// parallel"): the finish moves earlier by exactly the amount the API's what-if returns (fetched
// here), the milestone table equals the API's shifts and P50/P80, and the chart draws the
// changed plan over the current one (bars at the what-if dates, outlines at the current ones,
// both at gantt.posFromDate). A refused change shows the server's message at its field and adds
// nothing. The change is saved as a scenario, a second scenario is saved and compared with it,
// the first is applied with a reason (the plan and the history show it), the second deleted.
// Keyboard only, from the project page on. axe runs on the result (form, chart, table) and once
// more at the end, when the comparison, the apply form and the history are on the page too.
import { journey, check, eq, apiLogin, axe, shot, operatorApi, tabTo, typeInto, selectByKeyboard } from './lib.mjs';

const PARALLEL = 'Ontwerp en onderzoeken parallel';
const SHORTER = 'Kortere bouw';
const REASON = 'Onderzoeken starten met het voorlopig ontwerp (overleg met de ontwikkelaar)';

/** What the chart drew for step key: its bar and its current-plan outline, each next to
 * gantt.posFromDate of the dates it stands for. */
async function drawn(page, key) {
  return page.evaluate((k) => {
    const g = window.bsGantt;
    const day = (d) => {
      const [y, m, dd] = d.split('-').map(Number);
      return new Date(y, m - 1, dd);
    };
    const area = document.querySelector('.bs-gantt .gantt_data_area').getBoundingClientRect();
    const bar = document.querySelector(`.bs-gantt .gantt_task_line[data-task-id="${k}"]`).getBoundingClientRect();
    const base = document.querySelector(`.bs-gantt .bs-baseline[data-key="${k}"]`);
    const br = base.getBoundingClientRect();
    const t = g.getTask(k);
    return {
      bar_center: (bar.left + bar.right) / 2 - area.left,
      bar_date: `${t.start_date.getFullYear()}-${String(t.start_date.getMonth() + 1).padStart(2, '0')}-${String(t.start_date.getDate()).padStart(2, '0')}`,
      base_center: (br.left + br.right) / 2 - area.left,
      base_finish: base.dataset.finish,
      want_base: g.posFromDate(day(base.dataset.finish)),
    };
  }, key);
}

/** Scrolls the element to the top of the viewport (for the screenshot). */
async function scrollTo(page, selector) {
  await page.evaluate((sel) => document.querySelector(sel).scrollIntoView({ block: 'start' }), selector);
}

async function posFromDate(page, d) {
  return page.evaluate((x) => {
    const [y, m, dd] = x.split('-').map(Number);
    return window.bsGantt.posFromDate(new Date(y, m - 1, dd));
  }, d);
}

await journey('whatif', async ({ page, context, fx }) => {
  const id = fx.projects.marktveld;
  const P = `/api/v1/projects/${id}`;
  const change = { op: 'set_link', pred: 'voorlopig_ontwerp', succ: 'onderzoeken_uitgevoerd', current_type: 'FS', type: 'SS', lag: 0, lag_unit: 'working_days' };
  const want = (await operatorApi('POST', `${P}/what-if`, { changes: [change] })).body;
  check(want.project_finish_shift_working_days < 0, 'set-up: FS → SS moves the finish earlier (API)', want.project_finish_shift_working_days);
  const before = (await operatorApi('GET', `${P}/schedule`)).body;

  await apiLogin(context, fx.leader);
  await page.goto(`/projects/${id}`);
  await page.locator('.bs-gantt .gantt_task_line').first().waitFor();
  await tabTo(page, `a[href="/projects/${id}/what-if"]`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/what-if$/);
  await page.locator('.bs-gantt[data-drawn] .gantt_task_line').first().waitFor();
  await shot(page, 'whatif');

  // pick the preliminary design in the chart (Tab into it, arrows, Enter): the form proposes its link
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, '.bs-gantt [data-task-id], .bs-gantt [task_id]');
  const focusedTask = () => page.evaluate(() => {
    const e = document.activeElement?.closest('[data-task-id], [task_id]');
    return e ? e.getAttribute('data-task-id') ?? e.getAttribute('task_id') : null;
  });
  for (let i = 0; i < 80 && (await focusedTask()) !== 'voorlopig_ontwerp'; i++) await page.keyboard.press('ArrowDown');
  eq(await focusedTask(), 'voorlopig_ontwerp', 'keyboard: the chart\'s row of the preliminary design');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#wi-link')?.value === 'voorlopig_ontwerp|onderzoeken_uitgevoerd|FS');
  // the chart has drawn its selection (two frames after it) before the keyboard moves on to the form
  await page.waitForFunction(() => window.bsGantt?.getSelectedId() === 'voorlopig_ontwerp');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  // a refused change: the server's message at the lag field, and nothing added
  await selectByKeyboard(page, '#wi-type', 'SS');
  await typeInto(page, '#wi-lag', 'twee');
  await page.keyboard.press('Enter');
  await page.locator('#wi-lag-error').waitFor();
  const bad = (await operatorApi('POST', `${P}/what-if`, { changes: [{ ...change, lag: 'twee' }] })).body;
  eq(bad.invalid_params?.[0]?.name, 'changes[0].lag', 'API: a bad lag names changes[0].lag');
  eq((await page.locator('#wi-lag-error').innerText()).trim(), bad.invalid_params[0].reason, 'the server\'s message at the lag field');
  eq(await page.locator('[data-testid=changes]').count(), 0, 'a refused change is not added');

  // FS → SS: the finish moves earlier by the API's amount
  await typeInto(page, '#wi-lag', '0');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=finish-shift]').waitFor();
  eq(await page.locator('[data-testid=finish-shift]').getAttribute('data-value'), String(want.project_finish_shift_working_days), 'the finish moves by the API\'s working days');
  eq(await page.locator('[data-testid=finish-before]').getAttribute('data-date'), want.project_finish_before, 'finish before = API');
  eq(await page.locator('[data-testid=finish-after]').getAttribute('data-date'), want.project_finish_after, 'finish after = API');
  check((await page.locator('[data-testid=finish-shift]').innerText()).includes(`${-want.project_finish_shift_working_days} werkdagen eerder`), 'said in words: N werkdagen eerder');
  const rows = await page.$$eval('[data-testid=shift-table] tbody tr', (trs) =>
    trs.map((tr) => ['before', 'after', 'shift', 'p50', 'p80'].reduce((o, c) => ({ ...o, [c]: tr.querySelector(`[data-col=${c}]`).textContent }), { key: tr.dataset.key })));
  const fc = new Map(want.forecast_shifts.milestones.map((m) => [m.key, m]));
  const sg = (n) => (n === null ? '—' : n > 0 ? `+${n}` : String(n));
  eq(rows, want.milestone_shifts.map((m) => {
    const f = fc.get(m.step);
    return { key: m.step, before: m.before ?? '', after: m.after ?? '', shift: sg(m.shift_working_days), p50: f?.p50 ? `${f.p50} → ${f.what_if_p50}` : '', p80: f?.p80 ? `${f.p80} → ${f.what_if_p80}` : '' };
  }), 'the milestone table equals the API (dates, working-day shifts, P50/P80 before → after)');

  // the chart: the changed plan (bars at the what-if dates) over the current one (outlines)
  await page.waitForFunction(() => document.querySelectorAll('.bs-gantt .bs-baseline').length > 0);
  const moved = want.milestone_shifts.find((m) => m.step === 'laatste_oplevering');
  const d = await drawn(page, 'laatste_oplevering');
  eq(d.bar_date, moved.after, 'the last delivery\'s bar stands at its what-if date');
  check(Math.abs(d.bar_center - (await posFromDate(page, moved.after))) <= 10, 'its diamond at gantt.posFromDate(after)', d);
  eq(d.base_finish, moved.before, 'its outline stands for the current date');
  check(Math.abs(d.base_center - d.want_base) <= 2, 'the outline at gantt.posFromDate(before), within 2 px', d);
  const wiSteps = new Map(want.schedule.steps.map((x) => [x.key, x]));
  const bars = await page.$$eval('.bs-gantt .gantt_task_line[data-task-id]', (es) => es.map((e) => ({ key: e.getAttribute('data-task-id'), critical: e.classList.contains('bs-critical') })).filter((b) => !b.key.startsWith('lane:')));
  eq(bars.filter((b) => b.critical).map((b) => b.key).sort(), want.schedule.steps.filter((x) => x.critical && (x.early_start || x.actual_start)).map((x) => x.key).sort(), 'critical bars = the what-if\'s critical steps');
  check(bars.every((b) => wiSteps.has(b.key)), 'every bar is a step of the what-if schedule');
  eq(await page.locator('.bs-gantt .bs-baseline').count(), before.steps.filter((x) => (x.actual_start || x.early_start || x.actual_finish) && (x.actual_finish || x.early_finish)).length, 'one outline per dated step of the current plan');
  await axe(page, 'what-if (result)');
  await scrollTo(page, '#wi-effects-title');
  await shot(page, 'whatif-result');

  // save it; a second scenario (a shorter construction) saved beside it
  await typeInto(page, '#sc-name', PARALLEL);
  await page.keyboard.press('Enter');
  await page.locator(`[data-testid=scenarios] tr[data-name="${PARALLEL}"]`).waitFor();
  await tabTo(page, '[aria-label="Wijziging 1 verwijderen"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=changes]').waitFor({ state: 'detached' });
  await selectByKeyboard(page, '#wi-kind', 'set_duration');
  await selectByKeyboard(page, '#wi-step', 'bouw_tot_eerste_oplevering');
  await typeInto(page, '#wi-duration', '300');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=changes] li').waitFor();
  // the same name again: the server's refusal at the name field
  await typeInto(page, '#sc-name', PARALLEL);
  await page.keyboard.press('Enter');
  await page.locator('#sc-name-error').waitFor();
  const dup = (await operatorApi('POST', `${P}/scenarios`, { name: PARALLEL, changes: [] })).body;
  eq((await page.locator('#sc-name-error').innerText()).trim(), dup.invalid_params[0].reason, 'a taken name: the server\'s message at the name field');
  await typeInto(page, '#sc-name', SHORTER);
  await page.keyboard.press('Enter');
  await page.locator(`[data-testid=scenarios] tr[data-name="${SHORTER}"]`).waitFor();
  const list = (await operatorApi('GET', `${P}/scenarios`)).body.results;
  eq(list.map((x) => x.name), [PARALLEL, SHORTER], 'both scenarios are saved (API)');
  const [A, B] = list;

  // compare the two
  await selectByKeyboard(page, '#cmp-a', A.id);
  await selectByKeyboard(page, '#cmp-b', B.id);
  await tabTo(page, '.bs-compare button[type=submit]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=compare-table]').waitFor();
  const [ca, cb] = [(await operatorApi('GET', `${P}/scenarios/${A.id}/compare`)).body, (await operatorApi('GET', `${P}/scenarios/${B.id}/compare`)).body];
  const fin = await page.$$eval('[data-testid=compare-table] tr[data-key=project_finish] td', (tds) => tds.map((t) => t.textContent));
  eq(fin.slice(1, 3), [`${ca.project_finish_after} (${sg(ca.project_finish_shift_working_days)})`, `${cb.project_finish_after} (${sg(cb.project_finish_shift_working_days)})`], 'the comparison\'s finish row = the API\'s compare of each');
  eq(ca.project_finish_shift_working_days, want.project_finish_shift_working_days, 'the saved scenario computes as the what-if did');
  const rowB = await page.$$eval('[data-testid=compare-table] tr[data-key=eerste_oplevering] [data-col=b]', (tds) => tds.map((t) => t.textContent));
  const mB = cb.milestone_shifts.find((m) => m.step === 'eerste_oplevering');
  eq(rowB, [`${mB.after} (${sg(mB.shift_working_days)})`], 'scenario B\'s milestone = the API');
  await scrollTo(page, '.bs-compare');
  await shot(page, 'whatif-compare');

  // apply the first with a reason: the plan and the history show it
  await selectByKeyboard(page, '#ap-scenario', A.id);
  await typeInto(page, '#ap-reason', REASON);
  await tabTo(page, '.bs-apply-form button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForFunction((r) => [...document.querySelectorAll('[data-testid=wi-history] td')].some((td) => td.textContent === r), REASON);
  const after = (await operatorApi('GET', `${P}/schedule`)).body;
  eq(after.project_finish, want.project_finish_after, 'applied: the project\'s plan finishes on the what-if\'s date');
  const link = after.links.find((l) => l.pred === 'voorlopig_ontwerp' && l.succ === 'onderzoeken_uitgevoerd');
  eq(link?.type, 'SS', 'applied: the link is SS now');
  const hist = (await operatorApi('GET', `${P}/history`)).body.results.filter((h) => h.reason === REASON);
  check(hist.length > 0 && hist.every((h) => h.changed_by === fx.leader.email), 'history rows with the reason and the manager', hist.slice(0, 2));
  const histRows = await page.$$eval('[data-testid=wi-history] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  check(histRows.filter((r) => r[3] === REASON).length === Math.min(hist.length, 20) && histRows.some((r) => r[1] === fx.leader.email && r[3] === REASON), 'the page lists them', histRows.slice(0, 3));
  check((await page.locator('[data-testid=announce]').innerText()).includes(PARALLEL), 'the page says it was applied');
  check(!!(await operatorApi('GET', `${P}/scenarios`)).body.results.find((x) => x.id === A.id).applied_at, 'the scenario is marked applied');
  check((await page.locator(`tr[data-id="${A.id}"] [data-col=applied]`).innerText()).trim() !== '—', 'the list says when it was applied');

  // delete the second (confirm first)
  await tabTo(page, `[aria-label="Verwijderen: ${SHORTER}"]`);
  await page.keyboard.press('Enter');
  await tabTo(page, `[aria-label="Ja, verwijderen: ${SHORTER}"]`);
  await page.keyboard.press('Enter');
  await page.locator(`tr[data-name="${SHORTER}"]`).waitFor({ state: 'detached' });
  eq((await operatorApi('GET', `${P}/scenarios`)).body.results.map((x) => x.name), [PARALLEL], 'deleted (API)');
  // axe on the page as it is now: change form, chart, scenarios, comparison, apply form, history
  await axe(page, 'what-if (compared, applied)');
  await scrollTo(page, '#wi-history-title');
  await shot(page, 'whatif-applied');

  // in English
  await tabTo(page, '.bs-header-end button[lang=en]');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'What-if planning: Marktveld' }).waitFor();
  eq(await page.evaluate(() => document.documentElement.lang), 'en', 'English: <html lang="en">');
});
