// Journey, by keyboard only: an administrator of the installation (beheerder of Voorbeeldstad)
// opens Beheer: their roles per organisation equal /me; Stationskwartier's members equal the API's.
// They invite an external developer to Stationskwartier's private stream (a bad address first: the
// server's message at the field); the developer opens the invitation link shown once, sets a
// password and sees only that project and only its private stream. An API token with an expiry:
// a past date refused at the field, then made (shown once, works with Bearer, its expiry listed as
// the API's) and revoked (401). The developer's data is erased after the confirmation step (their
// session ends, the members list shows the pseudonym). The organisation's settings: a stale
// threshold of 0 refused at its field, then 9 months, Goede Vrijdag and Bevrijdingsdag every year,
// as the API then answers; its users as the API lists them, and a project leader's sessions ended
// (their browser's next call answers 401). The page in English. Last, my sessions as the API lists
// them, this browser's marked, and logging out everywhere: this browser's session then answers 401.
import { journey, check, eq, apiLogin, axe, shot, operatorApi, tabTo, typeInto, selectByKeyboard, becomes } from './lib.mjs';
import { openProject, ganttFacts, pageFetch } from './lib-project.mjs';

async function answerOf(page, method, path, act) {
  const [resp] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === method), act()]);
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

await journey('admin', async ({ page, context, browser, fx }) => {
  const t0 = Date.now();
  const pid = fx.projects.stationskwartier;
  await apiLogin(context, fx.admin);
  // a project leader logged in in a browser of their own: their session is ended below
  const ctx3 = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  await apiLogin(ctx3, fx.leader);
  const leaderMe = async () => (await ctx3.request.get('/api/v1/me')).status();
  eq(await leaderMe(), 200, 'the project leader\'s session works');
  await page.goto('/projects');
  await tabTo(page, 'a[href="/admin"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=roles]').waitFor();

  // (1) roles per organisation, members with their roles
  const me = await pageFetch(page, 'GET', '/api/v1/me');
  const roles = await page.locator('[data-testid=roles] td[data-role]').evaluateAll((tds) => tds.map((td) => td.dataset.role));
  eq(roles, me.body.organisations.map((o) => o.role), 'my roles per organisation are the API\'s');
  check(roles.includes('beheerder'), 'the administrator is beheerder of Voorbeeldstad', roles);
  await selectByKeyboard(page, '#adm-project', pid);
  await page.locator('[data-testid=invite]').waitFor();
  const membersBefore = (await pageFetch(page, 'GET', `/api/v1/projects/${pid}/members`)).body.results;
  eq(await page.locator('[data-testid=members] tbody tr').count(), membersBefore.length, 'the members list has the API\'s members');
  await axe(page, 'administration');
  await shot(page, 'admin');

  // (1b) the organisation's settings: a bad threshold refused at its field, then a change the API shows
  const oid = me.body.organisations.find((o) => o.role === 'beheerder').organisation_id;
  const opath = `/api/v1/organisations/${oid}`;
  await selectByKeyboard(page, '#org-choice', oid);
  await page.locator('[data-testid=org-settings]').waitFor();
  const orgBefore = (await pageFetch(page, 'GET', opath)).body;
  eq(await page.locator('#org-stale').inputValue(), String(orgBefore.stale_after_months), 'the form shows the API\'s threshold');
  eq(await page.locator('#org-bevr').inputValue(), orgBefore.calendar.bevrijdingsdag, 'and its Bevrijdingsdag rule');
  await typeInto(page, '#org-stale', '0');
  let a = await answerOf(page, 'PATCH', opath, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a threshold of 0 months: 422');
  await page.locator('#org-stale-error').waitFor();
  eq(await text(page, '#org-stale-error'), reason(a.body, 'stale_after_months'), 'the server\'s message at the threshold field');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  eq((await pageFetch(page, 'GET', opath)).body, orgBefore, 'the refused change changed nothing');
  await axe(page, 'organisation settings refused');
  await shot(page, 'admin-org-refused');
  await typeInto(page, '#org-stale', '9');
  await tabTo(page, '#org-gv');
  const gvBefore = await page.locator('#org-gv').isChecked();
  await page.keyboard.press('Space');
  check(await becomes(page, (w) => document.querySelector('#org-gv')?.checked === w, !gvBefore), 'Space toggles Goede Vrijdag');
  await selectByKeyboard(page, '#org-bevr', 'yearly');
  await tabTo(page, '[data-testid=org-settings] button[type=submit]');
  a = await answerOf(page, 'PATCH', opath, () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'the settings are saved');
  const orgAfter = (await pageFetch(page, 'GET', opath)).body;
  eq([orgAfter.stale_after_months, orgAfter.calendar], [9, { goede_vrijdag: !gvBefore, bevrijdingsdag: 'yearly' }], 'the API shows the new settings');
  await page.waitForFunction(() => !document.querySelector('#org-stale-error'));
  await page.locator('[data-testid=org-saved]:not([hidden])').waitFor();

  // (1c) the organisation's users; the project leader's sessions ended
  const users = (await pageFetch(page, 'GET', `/api/v1/users?organisation_id=${oid}&page_size=20`)).body;
  const shown = await page.locator('[data-testid=org-users] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
  eq(shown, users.results.map((u) => u.id), 'the users list is the API\'s, in its order');
  const lotte = users.results.find((u) => u.email === fx.leader.email);
  check(lotte && lotte.active_sessions >= 1, 'the API counts the leader\'s session', lotte);
  const cell = `[data-testid=org-users] tr[data-id="${lotte.id}"] [data-col=sessions]`;
  eq(await text(page, cell), String(lotte.active_sessions), 'the list shows the leader\'s active sessions');
  await axe(page, 'organisation settings and users');
  await shot(page, 'admin-org');
  await tabTo(page, `[data-testid=org-users] tr[data-id="${lotte.id}"] .bs-end-sessions`);
  a = await answerOf(page, 'DELETE', `/api/v1/users/${lotte.id}/sessions`, () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.revoked], [200, lotte.active_sessions], 'the leader\'s sessions are ended');
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.trim() === '0', cell);
  eq(await leaderMe(), 401, 'the ended session answers 401 on its next call');
  check(await becomes(page, () => document.activeElement?.dataset.testid === 'org-users-wrap'), 'the focus goes to the users list, not to the page');
  await page.locator('[data-testid=org-ended]:not([hidden])').waitFor();
  check((await text(page, '[data-testid=org-ended]')).includes(lotte.name || lotte.email), 'the page says whose sessions ended');
  await axe(page, 'sessions ended');
  await shot(page, 'admin-sessions-ended');
  await ctx3.close();

  // (2) the invitation: a bad address first
  await typeInto(page, '#inv-email', 'geen-adres');
  await typeInto(page, '#inv-org', 'Ontwikkelaar C');
  a = await answerOf(page, 'POST', `/api/v1/projects/${pid}/invitations`, () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a bad address: 422');
  await page.locator('#inv-email-error').waitFor();
  eq(await text(page, '#inv-email-error'), reason(a.body, 'email'), 'the server\'s message at the e-mail field');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'the error summary takes the focus');
  await axe(page, 'invitation refused');
  await shot(page, 'admin-invite-refused');
  const email = 'fenna@ontwikkelaar-c.test';
  await typeInto(page, '#inv-email', email);
  await typeInto(page, '#inv-name', 'Fenna Fijn');
  await tabTo(page, '[data-testid=invite] button[type=submit]');
  a = await answerOf(page, 'POST', `/api/v1/projects/${pid}/invitations`, () => page.keyboard.press('Enter'));
  eq(a.status, 201, 'the invitation is made');
  await page.locator('#inv-link').waitFor();
  const link = await page.locator('#inv-link').inputValue();
  eq(link, a.body.accept_url, 'the invitation link shown is the API\'s accept_url');
  await page.locator(`[data-testid=members] tbody tr td[data-role=extern]`).first().waitFor();
  const members = (await pageFetch(page, 'GET', `/api/v1/projects/${pid}/members`)).body.results;
  const fenna = members.find((m) => m.email === email);
  check(fenna && fenna.role === 'extern', 'the developer is an extern member', members);
  eq(await page.locator('[data-testid=members] tbody tr').count(), members.length, 'the members list shows the new member');
  await shot(page, 'admin-invited');

  // the developer accepts in their own browser and sees only the project's private stream
  const ctx2 = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  const dev = await ctx2.newPage();
  const u = new URL(link);
  await dev.goto(u.pathname + u.hash);
  await dev.locator('#inv-password').waitFor();
  const pw = 'Fenna-haar-lange-wachtwoord-2026';
  await typeInto(dev, '#inv-password', pw);
  await typeInto(dev, '#inv-repeat', pw);
  a = await answerOf(dev, 'POST', '/api/v1/invitations/accept', () => dev.keyboard.press('Enter'));
  eq(a.status, 200, 'the developer accepts the invitation');
  await dev.waitForURL((x) => x.pathname === '/projects');
  const list = await pageFetch(dev, 'GET', '/api/v1/projects');
  eq(list.body.results.map((p) => p.id), [pid], 'the developer\'s project list holds only Stationskwartier');
  const full = (await operatorApi('GET', `/api/v1/projects/${pid}/schedule`)).body;
  await openProject(dev, pid);
  const g = await ganttFacts(dev);
  const priv = new Set(full.steps.filter((s) => s.stream === 'private').map((s) => s.key));
  check(g.bars.length > 0 && g.bars.every((b) => priv.has(b.key)), 'the developer\'s chart shows only private-stream steps', g.bars.map((b) => b.key));
  await shot(dev, 'admin-developer-project');

  // (3) an API token with an expiry
  await typeInto(page, '#tok-name', 'Koppeling provincie');
  await typeInto(page, '#tok-expires', '2001-01-01');
  a = await answerOf(page, 'POST', '/api/v1/api-tokens', () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'a past expiry: 422');
  await page.locator('#tok-expires-error').waitFor();
  eq(await text(page, '#tok-expires-error'), reason(a.body, 'expires_at'), 'the server\'s message at the expiry field');
  const until = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  await typeInto(page, '#tok-expires', until);
  await tabTo(page, '[data-testid=new-token] button[type=submit]');
  a = await answerOf(page, 'POST', '/api/v1/api-tokens', () => page.keyboard.press('Enter'));
  eq(a.status, 201, 'the token is made');
  await page.locator('#tok-secret').waitFor();
  const secret = await page.locator('#tok-secret').inputValue();
  eq(secret, a.body.token, 'the token shown is the API\'s');
  const bearer = async () => (await fetch(fx.base + '/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } })).status;
  eq(await bearer(), 200, 'the new token works');
  const tid = a.body.id;
  const row = page.locator(`[data-testid=tokens] tr[data-id="${tid}"]`);
  await row.waitFor();
  const listed = (await pageFetch(page, 'GET', '/api/v1/api-tokens')).body.results.find((t) => t.id === tid);
  check(listed && listed.expires_at, 'the API lists the expiry', listed);
  check((await row.innerText()).includes('Koppeling provincie'), 'the list shows the token\'s name');
  await axe(page, 'token made');
  await shot(page, 'admin-token');
  await tabTo(page, `[data-testid=tokens] tr[data-id="${tid}"] .bs-revoke`);
  a = await answerOf(page, 'DELETE', `/api/v1/api-tokens/${tid}`, () => page.keyboard.press('Enter'));
  check(a.status === 200 || a.status === 204, 'the token is revoked', a.status);
  await page.waitForFunction((id) => /ingetrokken/.test(document.querySelector(`[data-testid=tokens] tr[data-id="${id}"] [data-col=status]`)?.textContent ?? ''), tid);
  eq(await bearer(), 401, 'the revoked token answers 401');

  // (4) the developer's data erased after the confirmation
  await tabTo(page, `[data-testid=members] tr[data-id="${fenna.user_id}"] .bs-erase`);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=erase-confirm]').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'adm-erase-title'), 'the confirmation takes the focus');
  eq((await operatorApi('GET', `/api/v1/users/${fenna.user_id}`)).body?.email, email, 'nothing is erased before the confirmation');
  await axe(page, 'erase confirmation');
  await shot(page, 'admin-erase-confirm');
  await tabTo(page, '#adm-erase-yes');
  a = await answerOf(page, 'POST', `/api/v1/users/${fenna.user_id}/erase`, () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'the person is erased');
  await page.locator('[data-testid=notice]:not([hidden])').waitFor();
  check((await text(page, '[data-testid=notice]')).includes(a.body.pseudonym), 'the page says the pseudonym');
  const devMe = await pageFetch(dev, 'GET', '/api/v1/me');
  eq(devMe.status, 401, 'the erased developer\'s session has ended');
  await page.waitForFunction((e) => !document.querySelector('[data-testid=members]')?.textContent?.includes(e), email);
  await shot(page, 'admin-erased');
  await ctx2.close();

  // English
  await tabTo(page, '.bs-header-end button[lang]', { back: true });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#adm-title')?.textContent === 'Administration');
  check((await text(page, '#adm-invite-title')) === 'Invite an external developer', 'the page in English');
  check((await text(page, '#org-settings-title')) === 'Settings' && (await text(page, 'label[for=org-gv]')) === 'Good Friday is a day off', 'the organisation\'s settings in English');
  await axe(page, 'administration (en)');
  await shot(page, 'admin-en');

  // (5) my sessions, this browser's marked; logging out everywhere ends this one too
  const mine = (await pageFetch(page, 'GET', `/api/v1/users/${me.body.id}/sessions`)).body;
  const sessionRows = await page.locator('[data-testid=my-sessions] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.current === 'true']));
  eq(sessionRows, mine.results.map((x) => [x.id, x.current]), 'my sessions are the API\'s, this browser\'s marked');
  check(mine.results.filter((x) => x.current).length === 1, 'exactly one is this browser\'s', mine.results);
  await tabTo(page, '.bs-everywhere');
  await shot(page, 'admin-my-sessions');
  a = await answerOf(page, 'DELETE', `/api/v1/users/${me.body.id}/sessions`, () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.revoked], [200, mine.count], 'every session of mine is ended');
  await page.waitForURL((x) => x.pathname === '/login');
  eq((await pageFetch(page, 'GET', '/api/v1/me')).status, 401, 'this browser\'s session then answers 401');
  const secs = (Date.now() - t0) / 1000;
  check(secs < 90, 'the journey takes under a minute and a half', secs);
});
