// Journey, by keyboard only: woningblokken on the project page (issue 18, item 5). A project leader
// (write access) opens Stationskwartier: the blocks table is the API's blocks, row by row, and its
// totals row their sums. Adding a block: 0 homes refused at the homes field, then a koop price class
// with tenure huur refused at the price class field (the server's messages; nothing stored); then a
// valid block (24 homes, koop, class 2, starters, a milestone of the plan, 2027–2028) is stored as
// typed and shown, the totals move with it. Changing it (30 homes, no target group) and deleting it
// after the confirmation step: the API shows each change. Negative homes: refused outside a
// correction block, stored in one (net homes negative, in the totals). The section in English. A management
// user (read access, no write) sees the same table and no way to change it. The spread over years:
// two rows added by keyboard to the block, a percentage of 0 refused at that row's percentage
// field, percentages summing to 90 refused at the spread, then 40/60 stored and shown in the list
// as "2027 40% · 2028 60%"; removing a row and saving clears the spread back to one year.
import { journey, check, eq, apiLogin, axe, shot, tabTo, typeInto, selectByKeyboard, becomes } from './lib.mjs';
import { openProject, pageFetch } from './lib-project.mjs';

async function answerOf(page, method, path, act) {
  const [resp] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname.startsWith(path) && r.request().method() === method), act()]);
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
const nl = (n) => n.toLocaleString('nl-NL');

/** The table as the page shows it: per row the block's id and its cells' codes and texts. */
async function shown(page) {
  return page.locator('[data-testid=blocks-table] tbody tr[data-id]').evaluateAll((trs) =>
    trs.map((tr) => {
      const c = (k) => tr.querySelector(`[data-col=${k}]`);
      return {
        id: tr.dataset.id,
        homes: c('homes').textContent.trim(),
        kind: c('kind').dataset.value,
        home_type: c('home_type').dataset.value,
        tenure: c('tenure').dataset.value,
        price_class: c('price_class').dataset.value,
        target_group: c('target_group').textContent.trim(),
        milestone: c('milestone').dataset.value,
        period: c('period').textContent.trim(),
        spread: c('spread').textContent.trim(),
        correction: c('correction').textContent.trim(),
        net_homes: c('net_homes').textContent.trim(),
      };
    }),
  );
}

/** What the table should show of the API's blocks. */
function want(blocks) {
  return blocks.map((b) => ({
    id: b.id,
    homes: nl(b.homes),
    kind: b.kind,
    home_type: b.home_type,
    tenure: b.tenure,
    price_class: b.price_class,
    target_group: b.target_group ?? '—',
    milestone: b.milestone,
    period: b.period_from === null && b.period_to === null ? '—' : b.period_from === b.period_to ? String(b.period_from) : `${b.period_from ?? '…'}–${b.period_to ?? '…'}`,
    spread: b.spread?.length ? b.spread.map((e) => `${e.year} ${e.percent}%`).join(' · ') : '—',
    correction: b.correction ? 'ja' : 'nee',
    net_homes: nl(b.net_homes),
  }));
}

async function checkTable(page, path, what) {
  const api = (await pageFetch(page, 'GET', `${path}?page_size=500`)).body.results;
  eq(await shown(page), want(api), `${what}: the table is the API's blocks, row by row`);
  const total = await page.locator('[data-testid=blocks-total]').evaluate((tr) => [tr.querySelector('[data-col=homes]').textContent.trim(), tr.querySelector('[data-col=net_homes]').textContent.trim()]);
  eq(total, [nl(api.reduce((k, b) => k + b.homes, 0)), nl(api.reduce((k, b) => k + b.net_homes, 0))], `${what}: the totals row is the sums of the API's blocks`);
  return api;
}

await journey('blocks', async ({ page, context, browser, fx }) => {
  const pid = fx.projects.stationskwartier;
  const path = `/api/v1/projects/${pid}/blocks`;
  await apiLogin(context, fx.leader);
  await openProject(page, pid);
  await page.locator('[data-testid=blocks-table]').waitFor();
  const before = await checkTable(page, path, 'at first');
  check(before.length > 0, 'the imported plan has blocks', before.length);
  await page.locator('[data-testid=blocks]').scrollIntoViewIfNeeded();
  await axe(page, 'project page with blocks');
  await shot(page, 'blocks');

  // (1) 0 homes: the server's message at the homes field, nothing stored
  await tabTo(page, '#blk-add');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-homes'), 'the new block form takes the focus at its first field');
  await typeInto(page, '#blk-homes', '0');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  let a = await answerOf(page, 'POST', path, () => page.keyboard.press('Enter'));
  eq(a.status, 422, '0 homes: 422');
  await page.locator('#blk-homes-error').waitFor();
  eq(await text(page, '#blk-homes-error'), reason(a.body, 'homes'), 'the server\'s message at the homes field');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  await axe(page, 'block refused');
  await shot(page, 'blocks-refused');

  // (2) a koop price class with tenure huur: at the price class field
  await typeInto(page, '#blk-homes', '24');
  await selectByKeyboard(page, '#blk-tenure', 'huur');
  await selectByKeyboard(page, '#blk-price', 'koop2');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'POST', path, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a koop class with tenure huur: 422');
  await page.locator('#blk-price-error').waitFor();
  eq(await text(page, '#blk-price-error'), reason(a.body, 'price_class'), 'the server\'s message at the price class field');
  check(!(await page.locator('#blk-homes-error').count()), 'the earlier message is gone');
  eq((await pageFetch(page, 'GET', `${path}?page_size=500`)).body.count, before.length, 'the refused blocks were not stored');

  // (3) a valid block
  const sched = (await pageFetch(page, 'GET', `/api/v1/projects/${pid}/schedule`)).body;
  const ms = (sched.steps.find((s) => s.key === 'start_bouw') ?? sched.steps.find((s) => s.milestone && s.key !== 'laatste_oplevering')).key;
  await selectByKeyboard(page, '#blk-tenure', 'koop');
  await typeInto(page, '#blk-target', 'starters');
  await selectByKeyboard(page, '#blk-milestone', ms);
  await typeInto(page, '#blk-from', '2027');
  await typeInto(page, '#blk-to', '2028');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'POST', path, () => page.keyboard.press('Enter'));
  eq(a.status, 201, 'the block is added');
  const id = a.body?.id;
  eq([a.body?.homes, a.body?.tenure, a.body?.price_class, a.body?.target_group, a.body?.milestone, a.body?.period_from, a.body?.period_to, a.body?.correction],
    [24, 'koop', 'koop2', 'starters', ms, 2027, 2028, false], 'the API stored the block as typed');
  await page.locator(`[data-testid=blocks-table] tr[data-id="${id}"]`).waitFor();
  await page.locator('[data-testid=blocks-notice] .bs-notice').waitFor();
  check(await becomes(page, () => document.activeElement?.dataset.testid === 'blocks-wrap'), 'the focus goes to the table, not to the page');
  await checkTable(page, path, 'after the addition');
  await shot(page, 'blocks-added');

  // (4) change it: 30 homes, no target group
  await tabTo(page, `tr[data-id="${id}"] .bs-blk-edit`);
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-homes'), 'the change form takes the focus');
  eq(await page.locator('#blk-homes').inputValue(), '24', 'the form holds the block\'s homes');
  eq(await page.locator('#blk-price').inputValue(), 'koop2', 'and its price class');
  await typeInto(page, '#blk-homes', '30');
  await typeInto(page, '#blk-target', '');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `${path}/${id}`, () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'the block is changed');
  await page.waitForFunction((i) => document.querySelector(`tr[data-id="${i}"] [data-col=homes]`)?.textContent?.trim() === '30', id);
  const changed = (await pageFetch(page, 'GET', `${path}?page_size=500`)).body.results.find((b) => b.id === id);
  eq([changed?.homes, changed?.target_group, changed?.price_class], [30, null, 'koop2'], 'the API shows the change, the target group cleared');
  await checkTable(page, path, 'after the change');
  await axe(page, 'block changed');

  // (4b) the spread over years: rows added by keyboard, each refusal at the field the server names
  await tabTo(page, `tr[data-id="${id}"] .bs-blk-edit`);
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-homes'), 'the change form takes the focus again');
  await tabTo(page, '#blk-spread-add');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-spread-0-year'), 'a new spread row takes the focus at its year');
  await typeInto(page, '#blk-spread-0-year', '2027');
  await typeInto(page, '#blk-spread-0-percent', '40');
  await tabTo(page, '#blk-spread-add');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-spread-1-year'), 'the second row takes the focus at its year');
  await typeInto(page, '#blk-spread-1-year', '2028');
  await typeInto(page, '#blk-spread-1-percent', '0');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `${path}/${id}`, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a spread percentage of 0: 422');
  check(!!reason(a.body, 'spread[1].percent'), 'the server names spread[1].percent', a.body);
  await page.locator('#blk-spread-1-percent-error').waitFor();
  eq(await text(page, '#blk-spread-1-percent-error'), reason(a.body, 'spread[1].percent'), 'the server\'s message at the second row\'s percentage');
  eq(await page.locator('#blk-spread-1-percent').getAttribute('aria-invalid'), 'true', 'that field is marked invalid');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  await page.locator('[data-testid=block-spread]').scrollIntoViewIfNeeded();
  await axe(page, 'spread refused');
  await shot(page, 'blocks-spread-refused');
  await typeInto(page, '#blk-spread-1-percent', '50');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `${path}/${id}`, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'spread percentages summing to 90: 422');
  await page.locator('#blk-spread-error').waitFor();
  eq(await text(page, '#blk-spread-error'), reason(a.body, 'spread'), 'the server\'s message at the spread');
  check(!(await page.locator('#blk-spread-1-percent-error').count()), 'the earlier message is gone');
  await typeInto(page, '#blk-spread-1-percent', '60');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `${path}/${id}`, () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.spread], [200, [{ year: 2027, percent: 40 }, { year: 2028, percent: 60 }]], 'the spread is stored as typed');
  await page.waitForFunction((i) => document.querySelector(`tr[data-id="${i}"] [data-col=spread]`)?.textContent?.trim() === '2027 40% · 2028 60%', id);
  await checkTable(page, path, 'with a spread');
  await shot(page, 'blocks-spread');
  // the form holds the spread; removing a row by keyboard and saving stores the rest
  await tabTo(page, `tr[data-id="${id}"] .bs-blk-edit`);
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-homes'), 'the change form once more');
  eq([await page.locator('#blk-spread-0-year').inputValue(), await page.locator('#blk-spread-1-percent').inputValue()], ['2027', '60'], 'the form holds the spread');
  await tabTo(page, '[data-row="1"] .bs-spread-remove');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.id === 'blk-spread-add' && !document.querySelector('#blk-spread-1-year')), 'the row is removed, the focus at the add button');
  await typeInto(page, '#blk-spread-0-percent', '100');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'PATCH', `${path}/${id}`, () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.spread], [200, [{ year: 2027, percent: 100 }]], 'the spread of one year is stored');
  await page.waitForFunction((i) => document.querySelector(`tr[data-id="${i}"] [data-col=spread]`)?.textContent?.trim() === '2027 100%', id);
  await axe(page, 'block with a spread');

  // (5) the section in English
  await tabTo(page, 'button[lang=en]');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.querySelector('#bs-blocks-title')?.textContent === 'Blocks of homes'), 'the section in English');
  await page.locator('[data-testid=blocks]').scrollIntoViewIfNeeded();
  await shot(page, 'blocks-en');
  await tabTo(page, 'button[lang=nl]');
  await page.keyboard.press('Enter');
  await becomes(page, () => document.querySelector('#bs-blocks-title')?.textContent === 'Woningblokken');

  // (6) delete it after the confirmation
  await tabTo(page, `tr[data-id="${id}"] .bs-blk-delete`);
  await page.keyboard.press('Enter');
  check(await becomes(page, () => document.activeElement?.dataset.testid === 'blocks-confirm'), 'the confirmation takes the focus');
  await axe(page, 'delete confirmation');
  await shot(page, 'blocks-confirm');
  await tabTo(page, '.bs-blk-confirm');
  a = await answerOf(page, 'DELETE', `${path}/${id}`, () => page.keyboard.press('Enter'));
  eq(a.status, 204, 'the block is deleted');
  await page.waitForFunction((i) => !document.querySelector(`tr[data-id="${i}"]`), id);
  const after = await checkTable(page, path, 'after the deletion');
  eq(after.map((b) => b.id), before.map((b) => b.id), 'the blocks are those of the start again');

  // (6b) negative homes: refused outside a correction block, stored in one (net negative)
  await tabTo(page, '#blk-add');
  await page.keyboard.press('Enter');
  await typeInto(page, '#blk-homes', '-5');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'POST', path, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'negative homes without the correction flag: 422');
  await page.locator('#blk-homes-error').waitFor();
  eq(await text(page, '#blk-homes-error'), reason(a.body, 'homes'), 'the server\'s message at the homes field');
  await tabTo(page, '#blk-correction');
  await page.keyboard.press('Space');
  check(await becomes(page, () => document.querySelector('#blk-correction')?.checked === true), 'Space flags the correction');
  await tabTo(page, '[data-testid=block-form] button[type=submit]');
  a = await answerOf(page, 'POST', path, () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.homes, a.body?.net_homes, a.body?.correction], [201, -5, -5, true], 'a correction block of -5 homes is stored');
  await page.locator(`[data-testid=blocks-table] tr[data-id="${a.body?.id}"]`).waitFor();
  await checkTable(page, path, 'with a correction block');

  // (7) a read-only user: the table, no way to change it
  const ctx2 = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  await apiLogin(ctx2, fx.viewer);
  const viewer = await ctx2.newPage();
  const proj = (await pageFetch(page, 'GET', `/api/v1/projects/${pid}`)).body;
  check(proj.access === 'lead', 'the leader leads the project', proj.access);
  eq(await page.locator('[data-testid=schema-link]').getAttribute('href'), `/schemas/${proj.process_schema_key}/versions/${proj.process_schema_version}`,
    'the project page links to the version of the process schema the project is planned with');
  await openProject(viewer, pid);
  await viewer.locator('[data-testid=blocks-table]').waitFor();
  eq((await pageFetch(viewer, 'GET', `/api/v1/projects/${pid}`)).body.access, 'read', 'the management user reads the project');
  await checkTable(viewer, path, 'read-only');
  eq(await viewer.locator('[data-testid=blocks] button, [data-testid=block-form]').count(), 0, 'a read-only user has no button or form in the blocks section');
  eq((await pageFetch(viewer, 'POST', path, { homes: 5 })).status, 403, 'and the server refuses their write (403)');
  await viewer.locator('[data-testid=blocks]').scrollIntoViewIfNeeded();
  await axe(viewer, 'blocks read-only');
  await shot(viewer, 'blocks-readonly');
  await ctx2.close();
});
