// Journey, by keyboard only: plusvelden (issue 18 item 5). An administrator of the installation
// (fx.admin, beheerder of Voorbeeldstad) opens Beheer and defines a text field on projects with a
// validation pattern: first a pattern that does not compile, refused at the pattern field with the
// server's message (PCRE2's, naming the offset), then a good one; the list shows it as the API
// stores it. The project leader of Marktveld (owned by Voorbeeldstad) opens the project: a value
// that does not match the pattern is refused at its field with the server's message, then one that
// matches is stored (the page shows it, the API answers it); the labels follow the language. The
// administrator retires the field after the confirmation that says what happens: it is gone from
// the list (shown as retired on the toggle) and from the project's form and values, while the
// project's history keeps its value. Block plusvelden: a block's values in the blocks list (a
// retired block field not), its form by keyboard (a value out of range and a missing required
// field refused at their fields, nothing stored; then stored and listed). axe: no serious or
// critical violation.
import { execFileSync } from 'node:child_process';
import { journey, check, eq, fx, apiLogin, axe, shot, operatorApi, tabTo, typeInto, selectByKeyboard, becomes } from './lib.mjs';
import { openProject, pageFetch } from './lib-project.mjs';

const psql = (sql) => execFileSync('psql', [fx.db, '-XAtq', '-c', sql]).toString().trim();

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

await journey('plusvelden', async ({ page, context, browser }) => {
  const pid = fx.projects.marktveld;
  const oid = psql("SELECT id FROM organisations WHERE name = 'Voorbeeldstad'");
  eq(psql(`SELECT owner_organisation_id FROM projects WHERE id = '${pid}'`), oid, 'fixture: Marktveld is owned by Voorbeeldstad');
  const D = `/api/v1/organisations/${oid}/plusvelden`;
  // a second field, so that the project's form stays when the first one is retired
  const amb = await operatorApi('POST', D, { key: 'ambitie', type: 'category', label: { nl: 'Ambitie', en: 'Ambition' }, categories: ['laag', 'midden', 'hoog'] });
  eq(amb.status, 201, 'set-up: a category field defined over the API');

  // ---- the administrator defines a field with a pattern
  await apiLogin(context, fx.admin);
  await page.goto('/projects');
  await tabTo(page, 'header a[href="/admin"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=organisation]').waitFor();
  if ((await page.locator('#org-choice option').count()) > 1) await selectByKeyboard(page, '#org-choice', oid);
  await page.locator('[data-testid=pd-list] tr[data-key=ambitie]').waitFor();
  await tabTo(page, '.bs-pd-add');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=pd-form]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'pd-form-title'), 'the new field\'s form takes the focus');
  await typeInto(page, '#pd-key', 'dossiercode');
  await selectByKeyboard(page, '#pd-type', 'text');
  await typeInto(page, '#pd-label-nl', 'Dossiercode');
  await typeInto(page, '#pd-label-en', 'File code');
  await typeInto(page, '#pd-pattern', '[A-Z]{2}-(\\d{4}');
  await tabTo(page, '[data-testid=pd-form] button[type=submit]');
  let a = await answerOf(page, 'POST', D, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a pattern that does not compile: 422');
  await page.locator('#pd-pattern-error').waitFor();
  eq(await text(page, '#pd-pattern-error'), reason(a.body, 'pattern'), 'the server\'s message at the pattern field');
  check(/offset \d+/.test(await text(page, '#pd-pattern-error')), 'the message names the offset', await text(page, '#pd-pattern-error'));
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  eq((await operatorApi('GET', `${D}?retired=all&page_size=100`)).body.results.map((d) => d.key), ['ambitie'], 'nothing was defined');
  await axe(page, 'plusveld refused');
  await shot(page, 'plusvelden-refused');
  await typeInto(page, '#pd-pattern', '[A-Z]{2}-\\d{4}');
  await tabTo(page, '#pd-public');
  await page.keyboard.press('Space');
  await tabTo(page, '[data-testid=pd-form] button[type=submit]');
  a = await answerOf(page, 'POST', D, () => page.keyboard.press('Enter'));
  eq(a.status, 201, 'the field is defined');
  await page.locator('[data-testid=pd-list] tr[data-key=dossiercode]').waitFor();
  const def = (await operatorApi('GET', `${D}?page_size=100`)).body.results.find((d) => d.key === 'dossiercode');
  eq(def && [def.type, def.applies_to, def.pattern, def.public, def.label], ['text', 'project', '[A-Z]{2}-\\d{4}', true, { nl: 'Dossiercode', en: 'File code' }], 'the API stores what the form said');
  const row = await page.locator('[data-testid=pd-list] tr[data-key=dossiercode] td').allInnerTexts();
  check(row.includes('Dossiercode') && row.some((c) => c.includes('[A-Z]{2}-\\d{4}')) && row.includes('actief'), 'the list shows the field, its pattern and that it is active', row);
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-pd-add')), 'after saving the focus is on “Veld toevoegen”');
  await axe(page, 'plusvelden list');
  await page.locator('[data-testid=plusvelden]').scrollIntoViewIfNeeded();
  await shot(page, 'plusvelden-admin');

  // ---- the project leader fills it in on the project page
  const ctxL = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  await apiLogin(ctxL, fx.leader);
  const lp = await ctxL.newPage();
  await openProject(lp, pid);
  await lp.locator('[data-testid=pv-form] #pv-dossiercode').waitFor();
  const P = `/api/v1/projects/${pid}/plusvelden`;
  await typeInto(lp, '#pv-dossiercode', 'bs-20');
  await tabTo(lp, '[data-testid=pv-form] button[type=submit]');
  a = await answerOf(lp, 'PATCH', P, () => lp.keyboard.press('Enter'));
  eq(a.status, 422, 'a value that does not match the pattern: 422');
  await lp.locator('#pv-dossiercode-error').waitFor();
  eq(await text(lp, '#pv-dossiercode-error'), reason(a.body, 'plusvelden.dossiercode'), 'the server\'s message at the field (plusvelden.dossiercode)');
  check(await becomes(lp, () => document.activeElement?.classList.contains('bs-error-summary')), 'project: the error summary takes the focus');
  eq((await pageFetch(lp, 'GET', P)).body.plusvelden.dossiercode ?? null, null, 'nothing stored');
  await lp.locator('[data-testid=project-plusvelden]').scrollIntoViewIfNeeded();
  await axe(lp, 'project plusvelden refused');
  await shot(lp, 'plusvelden-project-refused');
  await typeInto(lp, '#pv-dossiercode', 'BS-2026');
  await selectByKeyboard(lp, '#pv-ambitie', 'hoog');
  await tabTo(lp, '[data-testid=pv-form] button[type=submit]');
  a = await answerOf(lp, 'PATCH', P, () => lp.keyboard.press('Enter'));
  eq(a.status, 200, 'a matching value is stored');
  await lp.locator('[data-testid=pv-values] [data-key=dossiercode] dd', { hasText: 'BS-2026' }).waitFor();
  const stored = (await pageFetch(lp, 'GET', P)).body;
  eq([stored.plusvelden.dossiercode, stored.plusvelden.ambitie], ['BS-2026', 'hoog'], 'the API answers the stored values');
  eq(await text(lp, '[data-testid=pv-saved]'), 'De plusvelden zijn opgeslagen.', 'the form says it saved');
  eq(await lp.locator('#pv-dossiercode').inputValue(), 'BS-2026', 'the form holds the stored value');
  check(await becomes(lp, () => document.activeElement?.id === 'bs-pv-form-title'), 'after saving the focus is on the form\'s heading, not lost');
  await axe(lp, 'project plusvelden');
  await shot(lp, 'plusvelden-project');
  // in English: the labels in English
  await tabTo(lp, 'header button[lang="en"]');
  await lp.keyboard.press('Enter');
  await lp.locator('[data-testid=pv-values] [data-key=dossiercode] dt', { hasText: 'File code' }).waitFor();
  check((await text(lp, 'label[for=pv-ambitie]')).startsWith('Ambition'), 'English: the form\'s labels in English');
  await tabTo(lp, 'header button[lang="nl"]');
  await lp.keyboard.press('Enter');
  await lp.locator('[data-testid=pv-values] [data-key=dossiercode] dt', { hasText: 'Dossiercode' }).waitFor();

  // ---- the administrator changes the category field: required from a step chosen from the
  // process's steps, one more category (PATCH; the version goes up)
  await tabTo(page, '[data-key=ambitie] .bs-pd-edit');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=pd-form]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'pd-form-title'), 'the change form takes the focus');
  eq(await page.locator('#pd-key').count(), 0, 'key, type and kind are not offered for change');
  eq(await page.locator('#pd-categories').inputValue(), 'laag\nmidden\nhoog', 'the form holds the categories');
  await selectByKeyboard(page, '#pd-required', 'step');
  await page.locator('#pd-step').waitFor();
  await selectByKeyboard(page, '#pd-step', 'omgevingsplan_vastgesteld');
  await tabTo(page, '#pd-categories');
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('zeer hoog');
  await tabTo(page, '[data-testid=pd-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `${D}/ambitie`, () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'the field is changed');
  const ambAfter = (await operatorApi('GET', `${D}?page_size=100`)).body.results.find((d) => d.key === 'ambitie');
  eq([ambAfter.required, ambAfter.required_from_step, ambAfter.categories, ambAfter.version], [true, 'omgevingsplan_vastgesteld', ['laag', 'midden', 'hoog', 'zeer hoog'], 2], 'the API stores the change, version 2');
  await page.locator('[data-testid=pd-list] tr[data-key=ambitie] td', { hasText: 'zeer hoog' }).waitFor();
  check(/verplicht vanaf/.test(await text(page, '[data-testid=pd-list] tr[data-key=ambitie] .bs-pd-rules')), 'the list says from which step it is required', await text(page, '[data-testid=pd-list] tr[data-key=ambitie] .bs-pd-rules'));

  // ---- the administrator retires the pattern field
  await tabTo(page, '[data-key=dossiercode] .bs-pd-retire');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=pd-confirm]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'pd-confirm-title'), 'the confirmation takes the focus');
  check(/nooit meer in formulieren/.test(await text(page, '[data-testid=pd-confirm]')) && /geschiedenis/.test(await text(page, '[data-testid=pd-confirm]')), 'the confirmation says what happens');
  await axe(page, 'plusveld retire confirmation');
  await shot(page, 'plusvelden-confirm');
  await tabTo(page, '.bs-pd-confirm');
  a = await answerOf(page, 'DELETE', `${D}/dossiercode`, () => page.keyboard.press('Enter'));
  eq([a.status, a.body && a.body.retired], [200, true], 'a field with a value is retired, not deleted');
  await page.locator('[data-testid=pd-list] tr[data-key=dossiercode]').waitFor({ state: 'detached' });
  check(/ingetrokken/.test(await text(page, '[data-testid=pd-notice]')), 'the page says it was retired', await text(page, '[data-testid=pd-notice]'));
  await tabTo(page, '#pd-show-retired');
  await page.keyboard.press('Space');
  await page.locator('[data-testid=pd-list] tr[data-key=dossiercode][data-retired=true]').waitFor();
  eq(await text(page, '[data-testid=pd-list] tr[data-key=dossiercode] td[data-col=status]'), 'ingetrokken', 'on the toggle it is listed as retired');
  eq(await page.locator('[data-testid=pd-list] tr[data-key=dossiercode] button').count(), 0, 'a retired field cannot be changed again');
  await axe(page, 'plusvelden with retired');

  // ---- gone from the project's form and values, kept in its history
  await openProject(lp, pid);
  await lp.locator('[data-testid=pv-form] #pv-ambitie').waitFor();
  eq(await lp.locator('#pv-dossiercode').count(), 0, 'the retired field is not in the project\'s form');
  check(!(await text(lp, '[data-testid=project-plusvelden]')).includes('Dossiercode'), 'nor among the project\'s values');
  const after = (await pageFetch(lp, 'GET', P)).body;
  check(!('dossiercode' in after.plusvelden) && !after.definitions.some((d) => d.key === 'dossiercode'), 'the API leaves it out of values and form', after);
  const hist = (await pageFetch(lp, 'GET', `${P}/history`)).body;
  const rows = hist.results ?? hist.history ?? hist;
  check(JSON.stringify(rows).includes('BS-2026'), 'the history keeps its value', hist);
  await lp.locator('[data-testid=project-plusvelden]').scrollIntoViewIfNeeded();
  await shot(lp, 'plusvelden-project-after-retire');

  // ---- block plusvelden (issue 18 items 2 and 5): set up over the API (the leader's block and
  // values, the administrator's definitions) a block of Marktveld, an integer block field (1–30)
  // with a value, a text block field with a value that is then retired, and a category block
  // field required always
  const B = `/api/v1/projects/${pid}/blocks`;
  const blk = await pageFetch(lp, 'POST', B, { homes: 18, tenure: 'huur' });
  eq(blk.status, 201, 'set-up: a block of Marktveld');
  const bid = blk.body.id;
  const BP = `${B}/${bid}/plusvelden`;
  eq((await operatorApi('POST', D, { key: 'bouwlagen', applies_to: 'block', type: 'integer', label: { nl: 'Bouwlagen', en: 'Storeys' }, min: 1, max: 30 })).status, 201, 'set-up: an integer block field');
  eq((await operatorApi('POST', D, { key: 'oudveld', applies_to: 'block', type: 'text', label: { nl: 'Oud veld', en: 'Old field' } })).status, 201, 'set-up: a text block field');
  eq((await pageFetch(lp, 'PATCH', BP, { plusvelden: { bouwlagen: 4, oudveld: 'weg ermee' } })).status, 200, 'set-up: the block\'s values');
  eq((await operatorApi('DELETE', `${D}/oudveld`)).body?.retired, true, 'set-up: the text block field retired (it had a value)');
  eq((await operatorApi('POST', D, { key: 'bouwwijze', applies_to: 'block', type: 'category', label: { nl: 'Bouwwijze', en: 'Construction' }, categories: ['traditioneel', 'modulair'], required: true })).status, 201, 'set-up: a required category block field');

  await openProject(lp, pid);
  // the block's values: the row under the block's row
  const cell = `[data-testid=blocks-table] tr[data-pv-for="${bid}"] td[data-col=plusvelden]`;
  const items = () => lp.locator(`${cell} li`).allInnerTexts();
  await lp.locator(`${cell} li[data-key=bouwlagen]`).waitFor();
  const listed = (await pageFetch(lp, 'GET', `${B}?page_size=500`)).body.results.find((x) => x.id === bid);
  eq(listed.plusvelden, { bouwlagen: 4 }, 'the blocks list carries the block\'s current values, not the retired one');
  eq(await items(), ['Bouwlagen: 4'], 'the list shows the block\'s value with its label, the retired field not');
  await lp.locator('[data-testid=blocks]').scrollIntoViewIfNeeded();
  await shot(lp, 'plusvelden-blocks-list');
  const fit = await lp.locator('[data-testid=blocks-wrap]').evaluate((w) => ({ scroll: w.scrollWidth, client: w.clientWidth, right: w.getBoundingClientRect().right }));
  check(fit.scroll <= fit.client && fit.right <= 1366, 'the blocks table with its values fits the 1366-wide window (nothing scrolled off)', fit);
  const del = await lp.locator(`tr[data-id="${bid}"] .bs-blk-delete`).boundingBox();
  check(del && del.x + del.width <= 1366, 'the row\'s actions stay on screen', del);
  await tabTo(lp, `tr[data-pv-for="${bid}"] .bs-blk-pv`);
  check(/Plusvelden van blok wijzigen: 18 woningen/.test(await lp.evaluate(() => document.activeElement.getAttribute('aria-label'))), 'the button names its block');
  await lp.keyboard.press('Enter');
  await lp.locator('[data-testid=bpv-form]').waitFor();
  check(await becomes(lp, () => document.activeElement?.id === 'bpv-form-title'), 'the block\'s plusvelden form takes the focus');
  eq(await lp.locator('#bpv-oudveld').count(), 0, 'the retired block field is not in the form');
  eq(await lp.locator('#bpv-bouwlagen').inputValue(), '4', 'the form holds the block\'s value');
  check((await text(lp, 'label[for=bpv-bouwwijze]')).includes('(verplicht)'), 'the required field is marked');
  check((await text(lp, '[data-testid=bpv-missing]')).includes('Bouwwijze'), 'the server\'s required check is said in the form', await text(lp, '[data-testid=bpv-missing]'));
  // a value out of range: refused at its field, nothing stored
  await typeInto(lp, '#bpv-bouwlagen', '99');
  await selectByKeyboard(lp, '#bpv-bouwwijze', 'modulair');
  await tabTo(lp, '[data-testid=bpv-form] button[type=submit]');
  a = await answerOf(lp, 'PATCH', BP, () => lp.keyboard.press('Enter'));
  eq(a.status, 422, 'a block value out of range: 422');
  await lp.locator('#bpv-bouwlagen-error').waitFor();
  eq(await text(lp, '#bpv-bouwlagen-error'), reason(a.body, 'plusvelden.bouwlagen'), 'the server\'s message at the block field (plusvelden.bouwlagen)');
  check(await becomes(lp, () => document.activeElement?.classList.contains('bs-error-summary')), 'block: the error summary takes the focus');
  let bv = (await pageFetch(lp, 'GET', BP)).body.plusvelden;
  eq([bv.bouwlagen, bv.bouwwijze ?? null], [4, null], 'nothing stored');
  await axe(lp, 'block plusvelden refused');
  await shot(lp, 'plusvelden-block-refused');
  // the required field cleared: the server's required rule, at its field
  await selectByKeyboard(lp, '#bpv-bouwwijze', '');
  await typeInto(lp, '#bpv-bouwlagen', '6');
  await tabTo(lp, '[data-testid=bpv-form] button[type=submit]');
  a = await answerOf(lp, 'PATCH', BP, () => lp.keyboard.press('Enter'));
  eq(a.status, 422, 'without the required field: 422');
  await lp.locator('#bpv-bouwwijze-error').waitFor();
  eq(await text(lp, '#bpv-bouwwijze-error'), reason(a.body, 'plusvelden.bouwwijze'), 'the server\'s required message at that field');
  eq((await pageFetch(lp, 'GET', BP)).body.plusvelden.bouwlagen, 4, 'still nothing stored');
  // both good: stored, the list shows them
  await selectByKeyboard(lp, '#bpv-bouwwijze', 'modulair');
  await tabTo(lp, '[data-testid=bpv-form] button[type=submit]');
  a = await answerOf(lp, 'PATCH', BP, () => lp.keyboard.press('Enter'));
  eq(a.status, 200, 'the block\'s values are stored');
  await lp.locator(`${cell} li[data-key=bouwwijze]`).waitFor();
  bv = (await pageFetch(lp, 'GET', BP)).body.plusvelden;
  eq([bv.bouwlagen, bv.bouwwijze], [6, 'modulair'], 'the API answers the stored block values');
  eq(await items(), ['Bouwlagen: 6', 'Bouwwijze: modulair'], 'the list shows them');
  eq(await lp.locator('[data-testid=bpv-form]').count(), 0, 'the form is closed after saving');
  check((await text(lp, '[data-testid=blocks-notice]')).includes('opgeslagen'), 'the page says the values were saved');
  check(await becomes(lp, () => document.activeElement?.dataset?.testid === 'blocks-wrap'), 'after saving the focus is on the table, not lost');
  await axe(lp, 'block plusvelden');
  await shot(lp, 'plusvelden-blocks-saved');
  // in English: the labels in English
  await tabTo(lp, 'header button[lang="en"]');
  await lp.keyboard.press('Enter');
  await lp.locator(`${cell} li[data-key=bouwlagen]`, { hasText: 'Storeys' }).waitFor();
  await tabTo(lp, 'header button[lang="nl"]');
  await lp.keyboard.press('Enter');
  await lp.locator(`${cell} li[data-key=bouwlagen]`, { hasText: 'Bouwlagen' }).waitFor();
  await ctxL.close();
});
