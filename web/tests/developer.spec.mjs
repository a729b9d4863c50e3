// Journey: an external developer (admitted to Marktveld, not openbaar, for its private stream)
// sees only their project and only their private stream — asserted on the DOM and on every
// network response the page received — updates a private step with the keyboard, and a forged
// request from the page to a public-stream step is refused by the server.
import { journey, check, eq, apiLogin, axe, shot, operatorApi, recordResponses } from './lib.mjs';
import { openProject, ganttFacts, pageFetch } from './lib-project.mjs';

await journey('developer', async ({ page, context, fx }) => {
  const id = fx.projects.marktveld;
  const seen = recordResponses(page);
  const full = (await operatorApi('GET', `/api/v1/projects/${id}/schedule`)).body;
  const publicSteps = full.steps.filter((s) => s.stream === 'public');
  // security.md §5: stream access reads the private stream and the milestones it depends on;
  // the public stream's work (every public step that is not a milestone) is never sent
  const publicWork = publicSteps.filter((s) => !s.milestone);
  check(publicWork.length > 5, 'the plan has public-stream work steps to hide', publicWork.length);
  const privateSteps = full.steps.filter((s) => s.stream === 'private');

  await apiLogin(context, fx.developer);
  await page.goto('/projects');
  const others = Object.keys(fx.projects).filter((k) => k !== 'marktveld');
  const list = await pageFetch(page, 'GET', '/api/v1/projects');
  eq(list.body.results.map((p) => p.id), [id], 'the developer\'s project list holds only Marktveld');

  await openProject(page, id);
  const g = await ganttFacts(page);
  const privDated = privateSteps.filter((s) => s.early_start || s.actual_start || s.actual_finish).map((s) => s.key).sort();
  eq(g.bars.map((b) => b.key).sort(), privDated, 'the chart shows exactly the private stream\'s steps');
  const html = await page.content();
  const leaked = publicSteps.filter((s) => html.includes(`"${s.key}"`) || html.includes(s.name));
  eq(leaked.map((s) => s.key), [], 'no public-stream step in the page');
  check(!html.includes('Gemeente (publieke stroom)'), 'no public swimlane');
  await axe(page, 'project (developer)');
  await shot(page, 'developer-project');

  // update a private step by keyboard
  const key = 'initiatief_ingediend';
  await openProject(page, id, key);
  await page.locator('[data-testid=form-complete]').waitFor();
  await page.locator('#complete-date').focus();
  await page.keyboard.type(fx.today);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=step-status]')?.textContent === 'gereed');
  const after = (await operatorApi('GET', `/api/v1/projects/${id}/schedule`)).body;
  eq(after.steps.find((s) => s.key === key).actual_finish, fx.today, 'the developer\'s completion is stored');
  await axe(page, 'step panel (developer)');
  await shot(page, 'developer-step');

  // a public milestone is not in the page and cannot be opened
  await page.goto(`/projects/${id}/steps/principeverzoek_beoordeeld`);
  await page.locator('.bs-gantt .gantt_task_line').first().waitFor();
  eq(await page.locator('.bs-step-panel').count(), 0, 'a public step\'s URL opens no panel');
  check(await page.locator('[data-testid=step-unknown]').isVisible(), 'the page says the step is not in the visible plan');

  // forged requests from the page to public-stream steps
  const target = publicWork[0].key;
  const before = (await operatorApi('GET', `/api/v1/projects/${id}/history`)).body.count;
  for (const [m, p, b] of [
    ['POST', `/api/v1/projects/${id}/steps/${target}/start`, { date: fx.today }],
    ['POST', `/api/v1/projects/${id}/steps/${target}/complete`, { date: fx.today }],
    ['PATCH', `/api/v1/projects/${id}/steps/principeakkoord`, { actual_finish: fx.today, reason: 'vervalst' }],
    ['GET', `/api/v1/projects/${id}/history`],
    ['GET', `/api/v1/projects/${fx.projects.stationskwartier}/schedule`],
  ]) {
    const r = await pageFetch(page, m, p, b);
    check((r.status === 403 || r.status === 404) && /problem\+json/.test(r.type), `forged ${m} ${p}: refused with a problem document`, r);
  }
  eq((await operatorApi('GET', `/api/v1/projects/${id}/history`)).body.count, before, 'the forged requests changed nothing');

  // every response the page received: no public-stream work step, no other project
  await page.waitForTimeout(300);
  const bodies = seen.filter((r) => r.url.includes('/api/'));
  check(bodies.length >= 4, 'the page received API responses', bodies.length);
  for (const r of bodies) {
    const bad = publicWork.filter((s) => r.body.includes(`"${s.key}"`) || r.body.includes(s.name));
    check(bad.length === 0, `response ${r.url} holds no public-stream work step`, bad.map((s) => s.key));
    if (!others.some((k) => r.url.includes(fx.projects[k]))) check(!others.some((k) => r.body.includes(fx.projects[k])), `response ${r.url} names no other project`);
  }
  const refused = bodies.filter((r) => r.status === 403 || r.status === 401);
  check(refused.length === 3 + 1, 'the page itself asked for nothing it may not read (only the forged requests were refused)', refused.map((r) => `${r.status} ${r.url}`));
});
