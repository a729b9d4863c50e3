// Journey, by keyboard only: a project moves to another version of its process schema (issue 19,
// item 4). The operator deploys version 2 of the shipped ppm-woningbouw schema over the API (a
// step added, a step removed, aanbesteding 30 days longer, a step before the one the operator
// completes in Marktveld — actual dates — which the migration marks realised). The project leader opens Marktveld, follows "Naar een andere versie", chooses
// version 2 and previews: the milestones table (before, after, difference in working days), the
// steps without counterpart and the steps to be realised are the API's dry-run answer, and nothing
// is stored (the project is still on version 1). Dropping the completed step is refused by the
// server and the refusal is shown at that step's mapping field. With the mapping back, the real
// migration (after its confirmation) moves the project: version 2 in the API, the actual date
// kept. An external developer of the project does not get the link. The result in English.
import { journey, check, eq, apiLogin, axe, shot, operatorApi, tabTo, selectByKeyboard, becomes } from './lib.mjs';
import { openProject, pageFetch, fieldError } from './lib-project.mjs';

const KEY = 'ppm-woningbouw';
const ADDED = 'welstandstoets';
const REMOVED = 'intentieovereenkomst_voorbereid';
const EARLIER = 'vooroverleg';

/** Version 2: a step before the ter-inzage-legging, intentieovereenkomst_voorbereid removed (its
 * successor follows principeakkoord), aanbesteding 30 days longer (the milestones after it move). */
function versionTwo(v1, before) {
  const doc = JSON.parse(JSON.stringify(v1));
  delete doc.version;
  // a new step before the step the project has realised: the migration marks it realised
  const b = doc.steps.find((s) => s.key === before);
  doc.steps.splice(doc.steps.indexOf(b), 0, { key: EARLIER, name: 'Vooroverleg', stream: b.stream, duration: { value: 5, unit: 'working_days' }, source: 'journey web_migrate' });
  b.depends_on = [...(b.depends_on ?? []), { step: EARLIER }];
  const at = doc.steps.findIndex((s) => s.key === 'omgevingsplan_ontwerp_ter_inzage');
  doc.steps.splice(at, 0, {
    key: ADDED, name: 'Welstandstoets', stream: 'public', duration: { value: 20, unit: 'working_days' },
    source: 'journey web_migrate', depends_on: [{ step: 'omgevingsplan_ontwerp_opgesteld' }],
  });
  doc.steps[at + 1].depends_on.push({ step: ADDED });
  doc.steps.find((s) => s.key === 'aanbesteding').duration.value += 30;
  doc.steps = doc.steps.filter((s) => s.key !== REMOVED);
  for (const s of doc.steps) if ((s.depends_on ?? []).some((d) => d.step === REMOVED)) s.depends_on = s.depends_on.filter((d) => d.step !== REMOVED).concat([{ step: 'principeakkoord' }]);
  return doc;
}

/** What the page shows of one answer (preview or result): milestone rows, dropped and realised keys. */
function shown(page, testid) {
  return page.evaluate((t) => {
    const root = document.querySelector(`[data-testid=${t}]`);
    return {
      milestones: [...root.querySelectorAll(`[data-testid=${t}-milestones] tbody tr`)].map((tr) => [tr.dataset.key, tr.dataset.before || null, tr.dataset.after || null, tr.dataset.delta === '' ? null : Number(tr.dataset.delta)]),
      deltaText: [...root.querySelectorAll(`[data-testid=${t}-milestones] tbody tr td:last-child`)].map((td) => td.textContent.trim()),
      unmapped: [...root.querySelectorAll(`[data-testid=${t}-unmapped] li`)].map((li) => li.dataset.key),
      realised: [...root.querySelectorAll(`[data-testid=${t}-realised] li`)].map((li) => li.dataset.key),
    };
  }, testid);
}

function wanted(a) {
  return {
    milestones: a.milestones.map((m) => [m.key, m.before, m.after, m.delta_working_days]),
    deltaText: a.milestones.map((m) => (m.delta_working_days === null ? 'onbekend' : m.delta_working_days > 0 ? `+${m.delta_working_days.toLocaleString('nl-NL')}` : m.delta_working_days.toLocaleString('nl-NL'))),
    unmapped: a.unmapped_steps.map((u) => u.key),
    realised: a.realised_steps,
  };
}

async function submitForm(page) {
  await tabTo(page, '[data-testid=mig-form] button[type=submit]');
  await page.keyboard.press('Enter');
}

await journey('migrate', async ({ page, context, browser, fx }) => {
  const pid = fx.projects.marktveld;
  const P = `/api/v1/projects/${pid}`;
  const v1 = (await operatorApi('GET', `/api/v1/process-schemas/${KEY}/versions/1`)).body;
  const sched = (await operatorApi('GET', `${P}/schedule`)).body;
  // a step of version 1 and 2 with actual dates: the open step that comes first is done today
  const open = sched.steps.filter((s) => s.status === 'open' && s.key !== REMOVED && s.early_start).sort((a, b) => a.early_start.localeCompare(b.early_start));
  const started = open[0].key;
  const st = await operatorApi('POST', `${P}/steps/${started}/start`, { date: fx.today });
  eq(st.status, 200, `step ${started} started`);
  const co = await operatorApi('POST', `${P}/steps/${started}/complete`, { date: fx.today });
  eq(co.status, 200, `step ${started} completed`);
  const dep = await operatorApi('POST', '/api/v1/process-schemas', { organisation_id: null, schema: versionTwo(v1, started) });
  eq([dep.status, dep.body?.version], [201, 2], 'version 2 is deployed');
  const actualBefore = (await operatorApi('GET', `${P}/schedule`)).body.steps.find((s) => s.key === started);
  check(actualBefore.actual_start && actualBefore.actual_finish, 'the realised step has actual dates', actualBefore);

  // an external developer of the project does not get the link (the API answers them 403)
  {
    const ctx = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    await apiLogin(ctx, fx.developer);
    const dp = await ctx.newPage();
    await openProject(dp, pid);
    eq(await dp.locator('[data-testid=migrate-link]').count(), 0, 'the developer has no link to the migration');
    await dp.goto(`/projects/${pid}/migrate`);
    await dp.locator('[data-testid=mig-not-allowed]').waitFor();
    eq(await dp.locator('[data-testid=mig-form]').count(), 0, 'the address typed in: no form, only the projectleider may');
    eq((await pageFetch(dp, 'POST', `${P}/migrate`, { version: 2, dry_run: true })).status, 403, 'and the API refuses the developer');
    await ctx.close();
  }

  await apiLogin(context, fx.leader);
  await openProject(page, pid);
  await tabTo(page, '[data-testid=migrate-link]');
  await page.keyboard.press('Enter');
  await page.locator('#mig-version').waitFor();
  await page.locator(`#mig-map-${started}`).waitFor({ state: 'attached' });
  eq(await page.locator('#mig-version option').evaluateAll((os) => os.map((o) => o.value)), ['2'], 'the versions offered: version 2 only (not the one it is on)');
  eq(await page.locator(`#mig-map-${started}`).inputValue(), started, 'the mapping is prefilled with the same key');
  eq(await page.locator(`#mig-map-${REMOVED}`).inputValue(), '-', 'a step version 2 lacks is prefilled as dropped');
  eq(await page.locator('[data-testid=mig-diff]').getAttribute('href'), `/schemas/${KEY}/diff?from=1&to=2`, 'the link to the diff of the two versions');
  await axe(page, 'migration form');
  await shot(page, 'migrate-form');

  // (1) the preview is the API's dry run; nothing stored
  await selectByKeyboard(page, '#mig-version', '2');
  await submitForm(page);
  await page.locator('[data-testid=mig-preview]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'mig-preview-title'), 'the preview takes the focus');
  const dry = await pageFetch(page, 'POST', `${P}/migrate`, { version: 2, mapping: {}, dry_run: true });
  eq(dry.status, 200, 'the API\'s dry run');
  const got = await shown(page, 'mig-preview');
  eq(got, wanted(dry.body), 'the preview shows the API\'s dry-run answer (milestones, dropped, realised)');
  check(dry.body.unmapped_steps.some((u) => u.key === REMOVED), 'the removed step is without counterpart', dry.body.unmapped_steps);
  check(dry.body.realised_steps.includes(EARLIER), 'the new step before the realised one would be realised', dry.body.realised_steps);
  check(dry.body.milestones.some((m) => m.delta_working_days), 'a milestone moves (a step less, aanbesteding longer)', dry.body.milestones);
  eq((await operatorApi('GET', P)).body.process_schema_version, 1, 'after the preview the project is still on version 1');
  await axe(page, 'migration preview');
  await page.locator('[data-testid=mig-preview]').scrollIntoViewIfNeeded();
  await shot(page, 'migrate-preview');

  // (2) dropping the started step: refused at its field (the mapping is opened by keyboard first)
  check(!(await page.locator('[data-testid=mig-mapping]').evaluate((d) => d.open)), 'the mapping starts folded away');
  await tabTo(page, '[data-testid=mig-mapping] summary');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.querySelector('[data-testid=mig-mapping]').open), 'Enter opens the mapping');
  await selectByKeyboard(page, `#mig-map-${started}`, '-');
  check(await becomes(page, () => !document.querySelector('[data-testid=mig-preview]')), 'a changed mapping takes the old preview away');
  check(/1 stap anders gekoppeld/.test(await page.locator('[data-testid=mig-mapping] summary').innerText()), 'the summary counts the changed mapping');
  // folded away again before the preview: the refusal opens it at the step it names
  await tabTo(page, '[data-testid=mig-mapping] summary');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => !document.querySelector('[data-testid=mig-mapping]').open), 'Enter folds the mapping');
  await submitForm(page);
  await page.locator(`#mig-map-${started}-error`).waitFor();
  check(await page.locator('[data-testid=mig-mapping]').evaluate((d) => d.open), 'the refusal of a mapping opens the mapping');
  const refused = await pageFetch(page, 'POST', `${P}/migrate`, { version: 2, mapping: { [started]: null }, dry_run: true });
  eq(refused.status, 409, 'the API refuses to drop a step with an actual date');
  const reason = (refused.body?.invalid_params ?? []).find((p) => p.name === `mapping.${started}`)?.reason;
  check(reason, 'the refusal names the step', refused.body);
  eq(await fieldError(page, `mig-map-${started}`), reason, 'the server\'s reason is shown at the step\'s mapping field');
  eq(await page.locator(`#mig-map-${started}`).getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  await axe(page, 'migration refused');
  await shot(page, 'migrate-refused');

  // (3) the mapping back, preview, then migrate for real after the confirmation
  await selectByKeyboard(page, `#mig-map-${started}`, started);
  await submitForm(page);
  await page.locator('[data-testid=mig-preview]').waitFor();
  await tabTo(page, '[data-testid=mig-migrate]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=mig-confirm]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'mig-confirm-title'), 'the confirmation takes the focus');
  const says = await page.locator('#mig-confirm-text').innerText();
  check(/geschiedenis/.test(says) && /opnieuw gepland/.test(says), 'the confirmation says what happens (history kept, re-planned)', says);
  await axe(page, 'migration confirmation');
  await shot(page, 'migrate-confirm');
  eq((await operatorApi('GET', P)).body.process_schema_version, 1, 'before the confirmation nothing is stored');
  await tabTo(page, '[data-testid=mig-confirm] button[type=submit]');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === `${P}/migrate` && r.request().method() === 'POST', { timeout: 60000 }),
    page.keyboard.press('Enter'),
  ]);
  const real = await resp.json();
  eq([resp.status(), real.dry_run, real.to_version], [200, false, 2], 'the real run is sent and accepted');
  await page.locator('[data-testid=mig-result]').waitFor({ timeout: 60000 });
  check(await becomes(page, () => document.activeElement?.id === 'mig-result-title'), 'the result takes the focus');
  const after = (await operatorApi('GET', P)).body;
  eq(after.process_schema_version, 2, 'the project is on version 2 in the API');
  await page.locator('[data-testid=mig-current]', { hasText: 'versie 2' }).waitFor();
  check(/versie 2/.test(await page.locator('[data-testid=mig-now-on]').innerText()), 'the page says the new version');
  eq(await shown(page, 'mig-result'), wanted(real), 'the result shows the API\'s answer of the real run');
  eq(real.unmapped_steps.map((u) => u.key), wanted(dry.body).unmapped, 'the real run drops the steps the preview said');
  eq(await page.locator('[data-testid=mig-form]').count(), 0, 'after the move the form is gone (the result and the way back stay)');
  const sched2 = (await operatorApi('GET', `${P}/schedule`)).body;
  const actualAfter = sched2.steps.find((s) => s.key === started);
  eq([actualAfter?.status, actualAfter?.actual_start, actualAfter?.actual_finish], [actualBefore.status, actualBefore.actual_start, actualBefore.actual_finish], 'the actual dates are kept');
  check(sched2.steps.some((s) => s.key === ADDED) && !sched2.steps.some((s) => s.key === REMOVED), 'the plan has the steps of version 2');
  await axe(page, 'migration result');
  await shot(page, 'migrate-result');
  await page.locator('[data-testid=mig-result-realised]').scrollIntoViewIfNeeded();
  await shot(page, 'migrate-result-steps');

  // (4) in English
  await tabTo(page, 'header button[lang=en]');
  await page.keyboard.press('Enter');
  await page.locator('#mig-result-title', { hasText: 'Moved: version 1 → 2' }).waitFor();
  check(/version 2/.test(await page.locator('[data-testid=mig-now-on]').innerText()), 'the result in English');
  await shot(page, 'migrate-result-en');
});
