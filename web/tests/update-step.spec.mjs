// Journey: the project leader logs in (password + TOTP), updates steps in the step panel with
// the keyboard: bad input in every form shows the server's own message at the field and changes
// nothing (checked over the API); completing a step and correcting a date move the plan (dates
// from the API before and after, and the bars); the out-of-sequence warning is confirmed.
import { journey, check, eq, login, axe, shot, operatorApi } from './lib.mjs';
import { openProject, fieldError, ganttFacts } from './lib-project.mjs';

await journey('update-step', async ({ page, fx }) => {
  const id = fx.projects.marktveld;
  const sched = async () => (await operatorApi('GET', `/api/v1/projects/${id}/schedule`)).body;
  const histCount = async () => (await operatorApi('GET', `/api/v1/projects/${id}/history`)).body.count;
  const step = (sc, key) => sc.steps.find((s) => s.key === key);
  /** the server's message for a bad request (a refused request changes nothing) */
  const serverSays = async (method, path, body, field) => {
    const r = await operatorApi(method, `/api/v1/projects/${id}${path}`, body);
    check(r.status >= 400 && r.status < 500, `the server refuses ${JSON.stringify(body)}`, r);
    return (r.body.invalid_params || []).find((p) => p.name === field)?.reason;
  };
  /** fills a form's controls by keyboard and submits it with Enter in its first text field */
  const submit = async (fields, enterIn) => {
    for (const [sel, value] of fields) {
      await page.locator(sel).focus();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      if (value) await page.keyboard.type(value);
    }
    await page.locator(enterIn).focus();
    await page.keyboard.press('Enter');
  };

  await login(page, fx.leader);
  const before = await sched();
  const h0 = await histCount();

  // 1. complete: bad input, then a good completion
  await openProject(page, id, 'initiatief_ingediend');
  await page.locator('[data-testid=form-complete]').waitFor();
  for (const date of ['', '2099-01-01', '2026-02-30']) {
    await submit([['#complete-date', date]], '#complete-date');
    const want = await serverSays('POST', '/steps/initiatief_ingediend/complete', { date }, 'date');
    await page.locator('#complete-date-error').waitFor();
    eq(await fieldError(page, 'complete-date'), want, `complete with date "${date}": the server's message at the date field`);
  }
  await axe(page, 'step panel with errors');
  await shot(page, 'update-step-errors');
  eq(step(await sched(), 'initiatief_ingediend').status, before.steps.find((s) => s.key === 'initiatief_ingediend').status, 'refused completions changed nothing (status)');
  eq(await histCount(), h0, 'refused completions changed nothing (history)');

  await submit([['#complete-reason', 'Brief ontvangen'], ['#complete-date', fx.today]], '#complete-date');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-status]')?.textContent === 'gereed');
  const afterComplete = await sched();
  eq(step(afterComplete, 'initiatief_ingediend').actual_finish, fx.today, 'the completion is stored');
  eq(afterComplete.progress_date, fx.today, 'the progress date moved to today');
  eq(await page.locator('[data-testid=progress-date]').innerText(), '29 nov 2026', 'the header shows the new progress date');

  // 2. correct a date: a constraint on a critical step moves the plan
  const key = 'principeverzoek_beoordeeld';
  await openProject(page, id, key);
  await page.locator('[data-testid=form-correct]').waitFor();
  const g0 = await ganttFacts(page);
  eq(await page.locator('#corr-field').inputValue(), 'start_no_earlier_than', 'an open step\'s correction starts at its start constraint');
  for (const reason of ['', '   ']) {
    await submit([['#corr-date', '2027-06-01'], ['#corr-reason', reason]], '#corr-date');
    const want = await serverSays('PATCH', `/steps/${key}`, { start_no_earlier_than: '2027-06-01', reason }, 'reason');
    await page.locator('#corr-reason-error').waitFor();
    eq(await fieldError(page, 'corr-reason'), want, `correction with reason "${reason}": the server's message at the reason field`);
  }
  await submit([['#corr-date', '2027-13-01'], ['#corr-reason', 'Raadsbesluit later']], '#corr-date');
  const wantDate = await serverSays('PATCH', `/steps/${key}`, { start_no_earlier_than: '2027-13-01', reason: 'Raadsbesluit later' }, 'start_no_earlier_than');
  await page.locator('#corr-date-error').waitFor();
  eq(await fieldError(page, 'corr-date'), wantDate, 'correction with a bad date: the server\'s message at the date field');
  const unchanged = await sched();
  eq(step(unchanged, key).start_no_earlier_than, null, 'refused corrections changed nothing (constraint)');
  eq(unchanged.project_finish, afterComplete.project_finish, 'refused corrections changed nothing (finish)');

  const finishText = await page.locator('[data-testid=project-finish]').innerText();
  await submit([['#corr-date', '2027-06-01'], ['#corr-reason', 'Raadsbesluit later']], '#corr-date');
  await page.waitForFunction(() => document.querySelector('[data-testid=history]')?.textContent.includes('Raadsbesluit later'));
  const moved = await sched();
  // the panel re-renders from the reloaded schedule: wait (up to 10 s) for it, then check
  await page
    .waitForFunction((v) => document.querySelector('[data-testid=step-start]')?.innerText === v, step(moved, key).early_start, { timeout: 10000 })
    .catch(() => {});
  eq(await page.locator('[data-testid=step-start]').innerText(), step(moved, key).early_start, 'the panel shows the new start from the API');
  eq(step(moved, key).early_start, '2027-06-01', 'the API: the step starts on its new constraint');
  check(moved.project_finish > afterComplete.project_finish, 'the API: the project finish moved later', [afterComplete.project_finish, moved.project_finish]);
  await page
    .waitForFunction((t) => document.querySelector('[data-testid=project-finish]')?.innerText !== t, finishText, { timeout: 10000 })
    .catch(() => {});
  check(finishText !== (await page.locator('[data-testid=project-finish]').innerText()), 'the header shows the new planned completion', finishText);
  const g1 = await page.evaluate((k) => {
    const bar = document.querySelector(`.bs-gantt .gantt_task_line[data-task-id="${k}"]`);
    const area = document.querySelector('.bs-gantt .gantt_data_area').getBoundingClientRect();
    const [y, m, d] = '2027-06-01'.split('-').map(Number);
    return { left: bar.getBoundingClientRect().left - area.left, want: window.bsGantt.posFromDate(new Date(y, m - 1, d)) };
  }, key);
  check(Math.abs(g1.left - g1.want) <= 2, 'the bar moved to the new start (posFromDate)', g1);
  check(g0.bars.length > 0, 'the chart was drawn before the change');
  await shot(page, 'update-step-moved');

  // 3. start: a future date is refused at the field
  const startKey = 'programma_van_eisen';
  await openProject(page, id, startKey);
  await page.locator('[data-testid=form-start]').waitFor();
  const hs = await histCount();
  if (await page.locator('#start-confirm').count()) await page.locator('#start-confirm').check();
  await submit([['#start-date', '2099-05-05']], '#start-date');
  const wantStart = await serverSays('POST', `/steps/${startKey}/start`, { date: '2099-05-05' }, 'date');
  await page.locator('#start-date-error').waitFor();
  eq(await fieldError(page, 'start-date'), wantStart, 'start with a future date: the server\'s message at the field');
  eq(await histCount(), hs, 'the refused start changed nothing');

  // 4. out of sequence: principeakkoord waits for principeverzoek_beoordeeld
  const oos = 'principeakkoord';
  await openProject(page, id, oos);
  await page.locator('[data-testid=oos-warning-complete]').waitFor();
  check((await page.locator('[data-testid=oos-warning-complete]').innerText()).includes('Principeverzoek beoordeeld'), 'the warning names the step it waits for');
  await submit([['#complete-date', fx.today]], '#complete-date');
  await page.locator('#complete-confirm-error').waitFor();
  check((await fieldError(page, 'complete-confirm')).length > 0, 'without confirmation: the message at the confirmation');
  eq(step(await sched(), oos).status, 'open', 'nothing sent without confirmation');
  await page.locator('#complete-confirm').focus();
  await page.keyboard.press('Space');
  await page.locator('#complete-date').focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=oos-server]').waitFor();
  const after = await sched();
  check(after.out_of_sequence.includes(oos) && step(after, oos).out_of_sequence, 'the server recorded the step out of sequence', after.out_of_sequence);
  check(/buiten volgorde/.test(await page.locator('[role=status]').innerText()), 'the server\'s out-of-sequence answer is announced');
  await axe(page, 'step panel out of sequence');
  await shot(page, 'update-step-out-of-sequence');
});
