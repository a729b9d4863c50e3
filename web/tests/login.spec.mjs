// Journey: logging in, by keyboard only. The project leader logs in with password and TOTP
// (a wrong password and a wrong code first: the server's message at the field, nothing
// changes), the session cookie is the only credential (nothing in storage), logout ends the
// session on the server; the leader not yet enrolled enrols with the secret the page shows;
// the external developer comes back to the page asked for; a locked login says when to retry
// (429 Retry-After); the invited developer accepts the invitation from the mailed link; the
// password reset pages (request, the 429 after three requests, an unknown secret). axe and a
// screenshot on every page.
import { journey, check, eq, fx, login, totpAt, freshTotp, axe, shot, tabTo, typeInto, checkNoTokenInStorage, sessionCookie, withSession, operatorApi, becomes } from './lib.mjs';

/** The problem document of the next answer to POST path, while act() runs. */
async function answerOf(page, path, act) {
  const [resp] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'POST'), act()]);
  let body = null;
  try {
    body = await resp.json();
  } catch {
    /* 204 */
  }
  return { status: resp.status(), body, headers: resp.headers() };
}

const reason = (doc, name) => (doc?.invalid_params ?? []).find((p) => p.name === name)?.reason;
const text = async (page, sel) => ((await page.locator(sel).count()) ? (await page.locator(sel).first().innerText()).trim() : null);

await journey('login', async ({ page, context }) => {
  const leader = fx.leader;

  // ---- the login page, keyboard only: the skip link comes first
  await page.goto('/login');
  await page.locator('#login-email').waitFor();
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.classList.contains('bs-skip-link')), 'the first Tab reaches the skip link');
  await axe(page, 'login');
  await shot(page, 'login');

  // ---- wrong password: the server's message at the password field; no session
  await typeInto(page, '#login-email', leader.email);
  await typeInto(page, '#login-password', leader.password + 'x');
  let a = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  eq(a.status, 401, 'wrong password: 401');
  await page.locator('#login-password-error').waitFor();
  eq(await text(page, '#login-password-error'), reason(a.body, 'password'), 'wrong password: the server message at the password field');
  eq(await page.locator('#login-password').getAttribute('aria-invalid'), 'true', 'wrong password: the field is marked invalid');
  check(await becomes(page, () => document.activeElement?.classList.contains('bs-error-summary')), 'wrong password: the error summary takes the focus');
  check((await text(page, '.bs-error-summary')).includes(reason(a.body, 'password')), 'wrong password: the message is in the error summary');
  eq(new URL(page.url()).pathname, '/login', 'wrong password: still on the login page');
  check(!(await sessionCookie(context)), 'wrong password: no session cookie');
  await axe(page, 'login with an error');
  await shot(page, 'login-error');

  // ---- right password: the code step
  await typeInto(page, '#login-password', leader.password);
  a = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.code], [401, 'totp_required'], 'password right: the server asks for the code');
  await page.locator('#login-code').waitFor();
  check(await becomes(page, () => document.activeElement?.id === 'login-code'), 'code step: the code field has the focus');
  eq(await page.locator('.bs-error-summary').count(), 0, 'code step: no error shown');
  await axe(page, 'login code step');
  await shot(page, 'login-code');

  // ---- a wrong code (none of the codes inside the server's window)
  const now = Math.floor(Date.now() / 30000);
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpAt(leader.totp_secret, now + d)));
  let wrong = '000000';
  while (valid.has(wrong)) wrong = String((Number(wrong) + 111111) % 1000000).padStart(6, '0');
  await typeInto(page, '#login-code', wrong);
  a = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  eq(a.status, 401, 'wrong code: 401');
  await page.locator('#login-code-error').waitFor();
  const named = a.body?.invalid_params?.[0]?.name;
  eq(await text(page, '#login-code-error'), reason(a.body, named), 'wrong code: the server message at the code field');
  check(!(await sessionCookie(context)), 'wrong code: no session cookie');
  eq((await withSession('none', '/api/v1/me')).status, 401, 'wrong code: nobody is logged in');

  // ---- the right code (a step later than the last one used: RFC 6238 replay guard)
  await typeInto(page, '#login-code', freshTotp(leader));
  a = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'right code: 200');
  await page.waitForURL((u) => u.pathname === '/projects');
  await page.locator('.bs-table').waitFor();
  const cookie = await sessionCookie(context);
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'the session is an HttpOnly SameSite=Strict cookie', cookie);
  await page.locator('.bs-user').waitFor();
  eq(await text(page, '.bs-user'), leader.name, 'the header names the user');
  const me = await withSession(cookie.value, '/api/v1/me');
  eq([me.status, me.body?.email], [200, leader.email], 'the cookie is a session of the leader');
  await checkNoTokenInStorage(page, [cookie.value, leader.totp_secret, leader.password], 'after login');
  check(!(await page.content()).includes(cookie.value), 'the session token is not in the page');

  // ---- English and back
  await tabTo(page, 'button[lang="en"]');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
  eq(await page.evaluate(() => document.documentElement.lang), 'en', 'English: <html lang="en">');
  await tabTo(page, 'button[lang="nl"]', { back: true });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Projecten' }).waitFor();

  // ---- logout (keyboard): the server ends the session
  await tabTo(page, '.bs-header-end .utrecht-button--secondary-action', { back: true });
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/login');
  eq((await withSession(cookie.value, '/api/v1/me')).status, 401, 'after logout: /api/v1/me with the old session cookie is 401');
  check(!(await sessionCookie(context)), 'after logout: the cookie is gone');
  await page.goto('/projects');
  await page.waitForURL((u) => u.pathname === '/login');
  eq(new URL(page.url()).searchParams.get('next'), '/projects', 'after logout: /projects sends to login with the return path');

  // ---- enrolment: the leader not yet enrolled sees the secret and the QR code
  const fresh = fx.fresh_leader;
  await page.goto('/login');
  await typeInto(page, '#login-email', fresh.email);
  await typeInto(page, '#login-password', fresh.password);
  a = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  eq([a.status, a.body?.code], [401, 'totp_enrolment_required'], 'not enrolled: the server asks to enrol');
  await page.locator('[data-testid="totp-secret"]').waitFor();
  const shown = (await text(page, '[data-testid="totp-secret"]')).replace(/\s+/g, '');
  eq(shown, a.body?.secret, 'enrolment: the secret shown is the server\'s');
  const qr = page.locator('img.bs-qr');
  await qr.waitFor();
  check((await qr.getAttribute('src')).startsWith('data:image/png;base64,'), 'enrolment: a QR code image is drawn');
  check(/authenticator/i.test(await qr.getAttribute('alt')), 'enrolment: the QR code has a text alternative');
  check(decodeURIComponent(a.body?.otpauth_uri ?? '').includes(`secret=${shown}`), 'enrolment: the otpauth URI holds the same secret');
  await axe(page, 'login enrolment');
  await shot(page, 'login-enrol');
  const step = Math.floor(Date.now() / 30000);
  await typeInto(page, '#login-code', totpAt(shown, step));
  a = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'enrolment: the first code logs in');
  await page.waitForURL((u) => u.pathname === '/projects');
  const freshMe = await operatorApi('GET', '/api/v1/users?page_size=500');
  const stored = (freshMe.body?.results ?? []).find((u) => u.email === fresh.email);
  if (stored && 'totp_confirmed' in stored) eq(stored.totp_confirmed, true, 'enrolment: the server has the second factor confirmed');
  await tabTo(page, '.bs-header-end .utrecht-button--secondary-action', { back: true });
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/login');

  // ---- the return path: the developer asked for a filtered list, logs in, lands on it
  const dev = fx.developer;
  await page.goto('/projects?q=markt');
  await page.waitForURL((u) => u.pathname === '/login');
  await typeInto(page, '#login-email', dev.email);
  await typeInto(page, '#login-password', dev.password);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/projects');
  eq(new URL(page.url()).search, '?q=markt', 'after login: the page asked for (return path)');
  await page.locator('.bs-table tbody tr').first().waitFor();
  await tabTo(page, '.bs-header-end .utrecht-button--secondary-action', { back: true });
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/login');

  // ---- a locked login: 429 with Retry-After, said at the field
  const nobody = 'niemand@voorbeeldstad.test';
  let last = null;
  for (let i = 0; i < 6 && (!last || last.status !== 429); i++) {
    await typeInto(page, '#login-email', nobody);
    await typeInto(page, '#login-password', 'geen-goed-wachtwoord');
    last = await answerOf(page, '/api/v1/login', () => page.keyboard.press('Enter'));
  }
  eq(last.status, 429, 'repeated failures: 429');
  check(Number(last.headers['retry-after']) > 0, 'repeated failures: Retry-After', last.headers);
  await page.locator('#login-email-error').waitFor();
  const lockMsg = await text(page, '#login-email-error');
  check(lockMsg.includes(last.body.detail) && /seconden|minuten/.test(lockMsg), 'locked: the server message and when to try again at the e-mail field', lockMsg);
  await shot(page, 'login-locked');

  // ---- the invitation (the mailed link opens the app), bad input first
  const inv = fx.invitation;
  await page.goto(`/invitation#token=${inv.token}`);
  await page.locator('#inv-password').waitFor();
  await axe(page, 'invitation');
  await shot(page, 'invitation');
  await typeInto(page, '#inv-password', 'te-kort');
  await typeInto(page, '#inv-repeat', 'te-kort');
  a = await answerOf(page, '/api/v1/invitations/accept', () => page.keyboard.press('Enter'));
  eq(a.status, 422, 'invitation with a short password: 422');
  await page.locator('#inv-password-error').waitFor();
  eq(await text(page, '#inv-password-error'), reason(a.body, 'password'), 'invitation: the server message at the password field');
  const pw = 'Een-ander-lang-wachtwoord-2026';
  await typeInto(page, '#inv-password', pw);
  await typeInto(page, '#inv-repeat', pw);
  a = await answerOf(page, '/api/v1/invitations/accept', () => page.keyboard.press('Enter'));
  eq(a.status, 200, 'invitation accepted');
  await page.waitForURL((u) => u.pathname === '/projects');
  const evaCookie = await sessionCookie(context);
  const evaMe = await withSession(evaCookie?.value ?? 'none', '/api/v1/me');
  eq(evaMe.body?.email, inv.email, 'invitation: the invited developer is logged in');
  await page.waitForFunction(() => !document.querySelector('.bs-table[aria-busy="true"]') && !/Laden/.test(document.querySelector('[data-testid="count"]')?.textContent ?? 'Laden'));
  const rows = await page.locator('.bs-table tbody tr').count();
  const api = await withSession(evaCookie.value, '/api/v1/projects?page_size=100');
  eq(rows, api.body.count, 'invitation: the developer sees the projects the API gives them');
  await checkNoTokenInStorage(page, [evaCookie.value, inv.token], 'after the invitation');
  await tabTo(page, '.bs-header-end .utrecht-button--secondary-action', { back: true });
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/login');
  await page.goto(`/invitation#token=${inv.token}`);
  await typeInto(page, '#inv-password', pw);
  await typeInto(page, '#inv-repeat', pw);
  a = await answerOf(page, '/api/v1/invitations/accept', () => page.keyboard.press('Enter'));
  eq(a.status, 404, 'an accepted invitation cannot be used again');
  await page.locator('.bs-error-summary').waitFor();
  check((await text(page, '.bs-error-summary')).includes(a.body.detail), 'used invitation: the server message in the summary');

  // ---- password reset: the request page (keyboard from the login page's link)
  await page.goto('/login');
  await tabTo(page, 'a[href="/password-reset"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/password-reset');
  await page.locator('#reset-email').waitFor();
  await axe(page, 'password reset request');
  await shot(page, 'password-reset');
  await typeInto(page, '#reset-email', leader.email);
  a = await answerOf(page, '/api/v1/password-reset', () => page.keyboard.press('Enter'));
  eq(a.status, 202, 'reset requested: 202');
  await page.locator('.bs-notice').waitFor();
  await shot(page, 'password-reset-sent');
  // three per address in 15 minutes: the fourth says when to try again
  for (let i = 0; i < 3; i++) {
    await page.goto('/password-reset');
    await typeInto(page, '#reset-email', leader.email);
    a = await answerOf(page, '/api/v1/password-reset', () => page.keyboard.press('Enter'));
  }
  eq(a.status, 429, 'a fourth reset request: 429');
  await page.locator('#reset-email-error').waitFor();
  check((await text(page, '#reset-email-error')).includes(a.body.detail), 'reset 429: the server message at the e-mail field');

  // the mailed link with a secret that is not (or no longer) valid
  await page.goto('/password-reset#token=onbekend-geheim');
  await page.locator('#reset-password').waitFor();
  await axe(page, 'password reset: new password');
  await shot(page, 'password-reset-new');
  await typeInto(page, '#reset-password', 'Nog-een-lang-wachtwoord-1');
  await typeInto(page, '#reset-repeat', 'Nog-een-lang-wachtwoord-1');
  a = await answerOf(page, '/api/v1/password-reset/confirm', () => page.keyboard.press('Enter'));
  eq(a.status, 404, 'unknown reset secret: 404');
  await page.locator('.bs-error-summary').waitFor();
  check((await text(page, '.bs-error-summary')).includes(reason(a.body, 'secret')), 'unknown reset secret: the server message');
  // the leader's password did not change: it still logs in (over the API)
  const still = await fetch(fx.base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: leader.email, password: leader.password, totp_code: freshTotp(leader) }) });
  eq(still.status, 200, 'the leader\'s password is unchanged');

  // the shared helper other journeys log in with (lib.mjs login) works on this page
  await login(page, fx.developer);
  eq(new URL(page.url()).pathname, '/projects', 'lib.mjs login(): lands on /projects');
});
