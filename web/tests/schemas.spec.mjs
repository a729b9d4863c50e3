// Journey, by keyboard only: process schemas and their versions (issue 19, item 4). The operator
// deploys version 2 of the shipped ppm-woningbouw schema over the API — one step added, one
// duration changed, one link's lag changed, one step's key renamed. A project leader opens
// *Processen* in the header: the schemas are the API's; the key's versions are the API's; version 1
// shows every step of the API's document in the table of its stream, in the document's order, with
// its duration, the duration's source and its links (a link moves the focus to the predecessor's
// row). Comparing 1 → 2 with a rename the server refuses shows the server's message at the rename
// field; with the right rename the diff page shows every change the API's diff lists, per kind, and
// the renamed step as renamed (not removed and added). Version 2's page shows the added step. The
// diff in English.
import { journey, check, eq, apiLogin, axe, shot, operatorApi, tabTo, typeInto, selectByKeyboard, becomes } from './lib.mjs';
import { pageFetch } from './lib-project.mjs';

const KEY = 'ppm-woningbouw';
const base = `/api/v1/process-schemas/${KEY}`;

async function answerOf(page, path, act) {
  const [resp] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'GET'), act()]);
  let body = null;
  try {
    body = await resp.json();
  } catch {
    /* no body */
  }
  return { status: resp.status(), body };
}

/** Version 2: v1 with a step added after the first milestone with dependants, a duration changed,
 * a lag changed and a step renamed (every reference to it too). Returns what was changed. */
function nextVersion(v1) {
  const doc = JSON.parse(JSON.stringify(v1));
  delete doc.version;
  const work = doc.steps.find((s) => !s.milestone && s.duration && s.duration.value > 5 && !s.statutory);
  work.duration = { value: work.duration.value + 7, unit: work.duration.unit };
  const withDep = doc.steps.find((s) => s !== work && (s.depends_on ?? []).length > 0 && !s.depends_on[0].lag);
  withDep.depends_on[0].lag = { value: 10, unit: 'calendar_days' };
  const renamed = doc.steps.find((s) => s !== work && s !== withDep && !s.milestone && doc.steps.some((t) => (t.depends_on ?? []).some((d) => d.step === s.key)));
  const oldKey = renamed.key;
  renamed.key = `${oldKey}_nieuw`;
  for (const s of doc.steps) for (const d of s.depends_on ?? []) if (d.step === oldKey) d.step = renamed.key;
  doc.steps.push({
    key: 'extra_toets_welstand',
    name: 'Extra toets welstand',
    stream: 'private',
    phase: 'ontwerp',
    duration: { value: 15, unit: 'working_days' },
    source: 'journey: a step measured by the municipality',
    depends_on: [{ step: doc.steps.find((s) => s.stream === 'private' && !s.milestone).key }],
  });
  return { doc, work: work.key, lagStep: withDep.key, oldKey, newKey: renamed.key };
}

await journey('schemas', async ({ page, context, fx }) => {
  const v1 = (await operatorApi('GET', `${base}/versions/1`)).body;
  check(v1 && Array.isArray(v1.steps), 'version 1 of the shipped schema is served', v1);
  const ch = nextVersion(v1);
  const dep = await operatorApi('POST', '/api/v1/process-schemas', { organisation_id: null, schema: ch.doc });
  eq([dep.status, dep.body?.version], [201, 2], 'version 2 is deployed');

  await apiLogin(context, fx.leader);
  await page.goto('/projects');
  await tabTo(page, 'a[href="/schemas"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=schemas] tbody tr').first().waitFor();

  // (1) the schemas, as the API lists them
  const list = (await pageFetch(page, 'GET', '/api/v1/process-schemas')).body;
  const listRows = Array.isArray(list) ? list : list.results;
  eq(await page.locator('[data-testid=schemas] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.key)), listRows.map((r) => r.key), 'the schemas are the API\'s');
  await axe(page, 'process schemas');
  await shot(page, 'schemas');

  // (2) the key's versions
  await tabTo(page, `[data-testid=schemas] a[href="/schemas/${KEY}"]`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=versions] tbody tr').first().waitFor();
  const versions = (await pageFetch(page, 'GET', `${base}/versions`)).body.results;
  eq(
    await page.locator('[data-testid=versions] tbody tr').evaluateAll((trs) => trs.map((tr) => [Number(tr.dataset.version), tr.querySelector('[data-col=in-use]').textContent.trim()])),
    versions.map((v) => [v.version, v.in_use ? 'ja' : 'nee']),
    'the versions and whether a project uses them are the API\'s',
  );
  check(versions.length === 2, 'the API lists two versions', versions);
  check(await becomes(page, () => document.activeElement?.id === 'main'), 'a new page moves the focus to the start of main');
  await axe(page, 'versions');

  // (3) version 1: every step in its stream's table, in the document's order, with its facts
  await tabTo(page, `[data-testid=versions] a[href="/schemas/${KEY}/versions/1"]`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=stream-public] tbody tr').first().waitFor();
  const doc1 = (await pageFetch(page, 'GET', `${base}/versions/1`)).body;
  const unit = (a) => `${a.value} ${a.unit === 'calendar_days' ? (a.value === 1 ? 'kalenderdag' : 'kalenderdagen') : a.value === 1 ? 'werkdag' : 'werkdagen'}`;
  for (const stream of ['public', 'private']) {
    const rows = await page.locator(`[data-testid=stream-${stream}] tbody tr`).evaluateAll((trs) =>
      trs.map((tr) => ({
        key: tr.dataset.key,
        duration: tr.querySelector('[data-col=duration]').textContent.trim(),
        source: tr.querySelector('[data-col=source]').textContent.trim(),
        preds: [...tr.querySelectorAll('[data-col=depends] li')].map((li) => `${li.dataset.pred}/${li.dataset.type}`),
      })),
    );
    const want = doc1.steps.filter((s) => s.stream === stream);
    eq(rows.map((r) => r.key), want.map((s) => s.key), `the ${stream} stream's steps are the document's, in its order`);
    eq(rows.map((r) => r.duration), want.map((s) => (s.milestone ? '—' : unit(s.duration))), `the ${stream} stream's durations are the document's`);
    eq(rows.filter((r, i) => want[i]?.source).map((r) => r.source), want.filter((s) => s.source).map((s) => s.source), `the ${stream} stream's sources are the document's`);
    eq(rows.map((r) => r.preds), want.map((s) => (s.depends_on ?? []).map((d) => `${d.step}/${d.type ?? 'FS'}`)), `the ${stream} stream's links are the document's`);
  }
  eq(await page.locator('[data-testid=n-steps]').innerText(), String(doc1.steps.length), 'the step count is the document\'s');
  // a link leads to its predecessor's row
  const linked = doc1.steps.find((s) => (s.depends_on ?? []).length);
  await tabTo(page, `tr[data-key="${linked.key}"] [data-col=depends] li[data-pred="${linked.depends_on[0].step}"] a`);
  await page.keyboard.press('Enter');
  check(await becomes(page, (k) => document.activeElement?.id === `step-${k}`, linked.depends_on[0].step), 'a link moves the focus to the predecessor\'s row');
  await axe(page, 'version 1');
  await shot(page, 'schema-version');

  // (4) compare 1 → 2: a rename the server refuses, at its field
  await tabTo(page, `a[href="/schemas/${KEY}"]`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=compare]').waitFor();
  await selectByKeyboard(page, '#diff-from', '1');
  await selectByKeyboard(page, '#diff-to', '2');
  await typeInto(page, '#diff-rename', 'bestaat_niet:ook_niet');
  let a = await answerOf(page, `${base}/diff`, () => page.keyboard.press('Enter'));
  check(a.status >= 400 && a.status < 500, 'a rename of an unknown step is refused', a);
  await page.locator('#diff-rename-error').waitFor();
  eq((await page.locator('#diff-rename-error').innerText()).trim(), a.body?.invalid_params?.find((p) => p.name === 'rename')?.reason, 'the server\'s message at the rename field');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  await axe(page, 'diff refused');
  await shot(page, 'schema-diff-refused');

  // (5) the right rename: every change of the API's diff, per kind
  await typeInto(page, '#diff-rename', `${ch.oldKey}:${ch.newKey}`);
  a = await answerOf(page, `${base}/diff`, () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'the diff is computed');
  await page.locator('[data-testid=diff-total]').waitFor();
  check(await becomes(page, () => document.activeElement?.dataset.testid === 'diff-total'), 'the focus goes to the result, not to the page');
  const diff = a.body;
  const parts = ['steps_added', 'steps_removed', 'steps_renamed', 'durations_changed', 'links_added', 'links_removed', 'links_changed', 'constraints_changed'];
  const counts = {};
  for (const p of parts) counts[p] = Number(await page.locator(`[data-testid=diff-${p}]`).getAttribute('data-count'));
  eq(counts, Object.fromEntries(parts.map((p) => [p, diff[p].length])), 'every kind of change has the API\'s number of rows');
  eq(diff.steps_renamed, [{ from: ch.oldKey, to: ch.newKey }], 'the API names the renamed step');
  check(diff.steps_added.some((s) => s.key === 'extra_toets_welstand') && diff.durations_changed.some((d) => d.step === ch.work) && diff.links_changed.some((l) => l.step === ch.lagStep),
    'the API lists the added step, the changed duration and the changed lag', diff);
  for (const p of parts) eq(await page.locator(`[data-testid=diff-${p}] tbody tr`).count(), diff[p].length, `the ${p} table has a row per change`);
  const dur = diff.durations_changed.find((d) => d.step === ch.work);
  const durRow = (await page.locator('[data-testid=diff-durations_changed] tbody tr').allInnerTexts()).find((t) => t.includes(ch.work));
  check(durRow && durRow.includes(unit(dur.from)) && durRow.includes(unit(dur.to)), 'the duration row says both durations', durRow);
  await axe(page, 'diff');
  await shot(page, 'schema-diff');
  await page.locator('[data-testid=diff-links_changed]').scrollIntoViewIfNeeded();
  await shot(page, 'schema-diff-changes');

  // (6) the diff in English
  await tabTo(page, 'button[lang=en]');
  await page.keyboard.press('Enter');
  check(await becomes(page, () => /version 1 → 2/.test(document.querySelector('#diff-title')?.textContent ?? '')), 'the page in English', await page.locator('#diff-title').innerText());
  await axe(page, 'diff in English');
  await shot(page, 'schema-diff-en');
  await tabTo(page, 'button[lang=nl]');
  await page.keyboard.press('Enter');

  // (7) version 2 has the added step in its stream
  await page.goto(`/schemas/${KEY}/versions/2`);
  await page.locator('[data-testid=stream-private] tbody tr').first().waitFor();
  check(await page.locator('[data-testid=stream-private] tr[data-key=extra_toets_welstand]').count() === 1, 'version 2 shows the added step in the private stream');
  eq(await page.locator(`tr[data-key=${ch.work}] [data-col=duration]`).innerText(), unit(ch.doc.steps.find((s) => s.key === ch.work).duration), 'version 2 shows the changed duration');
});
