// Shared helpers of the browser journeys (web/tests/*.spec.mjs). A journey is run by
// tests/web/run.py, which sets up the server and data and passes the fixture file:
//
//   import { journey, check, eq, login, axe, shot } from './lib.mjs';
//   await journey('projects', async ({ page, fx, responses }) => { ... });
//
// check/eq record a failure and go on; journey() exits 1 when any check failed or the body
// threw (a screenshot of the moment is kept as FAILED-<name>.png).
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const fx = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

let checks = 0;
const failures = [];

/** Records one check; cond falsy = failure with what and detail. */
export function check(cond, what, detail) {
  checks++;
  if (!cond) {
    failures.push(`${what}${detail === undefined ? '' : ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail))}`);
    console.log(`FAIL ${what}`, detail ?? '');
  }
  return !!cond;
}

export function eq(got, want, what) {
  return check(JSON.stringify(got) === JSON.stringify(want), what, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) of a base32 secret for one time step. */
export function totpAt(secretB32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const lastStep = new Map();
/** A TOTP code the server has not seen yet for this user (RFC 6238 §5.2 replay guard): the
 * current step, or the next one (inside the server's window) when the current one was used. */
export function freshTotp(user) {
  const last = lastStep.get(user.email) ?? user.totp_last_step ?? -1;
  const now = Math.floor(Date.now() / 1000 / 30);
  const step = Math.max(now, last + 1);
  if (step > now + 1) throw new Error('no fresh TOTP step inside the window; wait 30 s');
  lastStep.set(user.email, step);
  return totpAt(user.totp_secret, step);
}

/** Logs in through the login page (password, then TOTP when the user has a secret). */
export async function login(page, user) {
  await page.goto('/login');
  await page.getByLabel(/e-mail/i).fill(user.email);
  await page.getByLabel(/wachtwoord|password/i).first().fill(user.password);
  await page.getByRole('button', { name: /inloggen|log in/i }).click();
  if (user.totp_secret) {
    const code = page.getByLabel(/code/i);
    await code.waitFor();
    await code.fill(freshTotp(user));
    await page.getByRole('button', { name: /inloggen|log in|bevestig|confirm/i }).click();
  }
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** Logs in over the API in the page's browser context (the session cookie lands in the
 * context's cookie jar) — for journeys whose subject is not the login page. */
export async function apiLogin(context, user) {
  const data = { email: user.email, password: user.password };
  if (user.totp_secret) data.totp_code = freshTotp(user);
  const r = await context.request.post('/api/v1/login', { data });
  if (r.status() !== 200) throw new Error(`apiLogin ${user.email}: ${r.status()} ${await r.text()}`);
}

/** axe-core on the page as it is (WCAG 2.1 A/AA rules): no violation of impact serious or
 * critical. Returns the violations. */
export async function axe(page, name) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe on ${name}: no serious or critical violation`,
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('; '));
  return r.violations;
}

/** A screenshot of the page at the viewport (1366x768) into the screenshot directory. */
export async function shot(page, name) {
  fs.mkdirSync(fx.screenshots, { recursive: true });
  await page.screenshot({ path: path.join(fx.screenshots, `${name}.png`) });
}

/** Every response the page receives, with its body text (for "not in any response" checks). */
export function recordResponses(page) {
  const seen = [];
  page.on('response', async (r) => {
    const entry = { url: r.url(), status: r.status(), body: '' };
    seen.push(entry);
    try {
      entry.body = await r.text();
    } catch {
      /* redirects and aborted requests have no body */
    }
  });
  return seen;
}

/** Same-origin API call with the operator's token (set-up and checking what the server stored). */
export async function operatorApi(method, p, body) {
  const r = await fetch(fx.base + p, {
    method,
    headers: { Authorization: `Bearer ${fx.operator.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** Runs a journey in a fresh browser context (1366x768, nl-NL, Europe/Amsterdam). */
export async function journey(name, body) {
  const browser = await chromium.launch({
    executablePath: fx.chromium,
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });
  const context = await browser.newContext({ baseURL: fx.base, viewport: { width: 1366, height: 768 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  try {
    await body({ page, context, browser, fx, consoleErrors });
    check(consoleErrors.filter((e) => /Content Security Policy|Uncaught|TypeError|ReferenceError/.test(e)).length === 0,
      `${name}: no script error or CSP violation in the console`, consoleErrors.join(' | '));
  } catch (e) {
    check(false, `${name}: the journey ran to its end`, String(e && e.stack ? e.stack : e));
    try {
      await shot(page, `FAILED-${name}`);
    } catch {
      /* the page may be gone */
    }
  } finally {
    await browser.close();
  }
  console.log(`${checks} checks, ${failures.length} failed`);
  for (const f of failures) console.log('FAILED: ' + f);
  process.exit(failures.length || checks === 0 ? 1 : 0);
}

/** Keyboard only: presses Tab — or Shift+Tab when the element lies before the focus (or back
 * is true) — until the focused element matches the CSS selector; when it is not reached, tries
 * the other direction (focus can fall to the body when a focused control leaves the page).
 * Throws when neither reaches it. Returns the number of presses. */
export async function tabTo(page, selector, { max = 80, back } = {}) {
  const at = () => page.evaluate((sel) => !!document.activeElement && document.activeElement.matches(sel), selector);
  if (back === undefined)
    back = await page.evaluate((sel) => {
      const t = document.querySelector(sel);
      const a = document.activeElement;
      if (!t || !a || a === document.body) return false;
      return !!(a.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_PRECEDING);
    }, selector);
  let n = 0;
  for (const dir of [back, !back]) {
    for (let i = 0; i <= max; i++, n++) {
      if (await at()) return n;
      await page.keyboard.press(dir ? 'Shift+Tab' : 'Tab');
    }
  }
  throw new Error(`tabTo: ${selector} not reached by Tab or Shift+Tab`);
}

/** Tabs to a control and types text into it (keyboard only; the control is emptied first). */
export async function typeInto(page, selector, text) {
  await tabTo(page, selector);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  if (text) await page.keyboard.type(text);
}

/** Nothing that looks like a credential in the page's storage: only the language choice is
 * kept (docs/web.md "Sessions"). secrets: strings that must appear nowhere. */
export async function checkNoTokenInStorage(page, secrets, what) {
  const st = await page.evaluate(() => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => s.key(i)).map((k) => [k, s.getItem(k)]));
    return { local: dump(localStorage), session: dump(sessionStorage) };
  });
  const text = JSON.stringify(st);
  check(Object.keys(st.local).every((k) => k === 'bs-lang') && Object.keys(st.session).length === 0,
    `${what}: storage holds nothing but the language choice`, st);
  for (const s of secrets.filter(Boolean)) check(!text.includes(s), `${what}: no token or secret in localStorage/sessionStorage`);
}

/** The session cookie of the context (HttpOnly, SameSite=Strict), or undefined. */
export async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'bs_session');
}

/** GET path with exactly this session cookie (not the browser's): {status, body}. */
export async function withSession(token, p) {
  const r = await fetch(fx.base + p, { headers: { Cookie: `bs_session=${token}` } });
  const text = await r.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: r.status, body };
}

/** Waits (up to 10 s, far above the expected few ms) until fn(arg) is true in the page — a focus
 * moved by an effect after render — and returns whether it became true. */
export async function becomes(page, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

/** Keyboard only: tabs to a <select> and presses ArrowDown/ArrowUp until its value is value.
 * Each press waits until the value has moved (the page may render between two presses on a
 * loaded machine), and focus taken by a re-render is tabbed back to before the next press. */
export async function selectByKeyboard(page, selector, value) {
  await tabTo(page, selector);
  const state = () =>
    page.evaluate((sel) => {
      const el = document.querySelector(sel);
      const a = document.activeElement;
      return {
        values: el ? Array.from(el.options).map((o) => o.value) : [],
        value: el ? el.value : null,
        focused: !!el && a === el,
        active: a ? `${a.tagName.toLowerCase()}#${a.id}` : 'none',
      };
    }, selector);
  let st = await state();
  const want = st.values.indexOf(value);
  if (want < 0) throw new Error(`selectByKeyboard: ${selector} has no option ${value}`);
  for (let i = 0; i < 2 * st.values.length + 4; i++) {
    const cur = st.values.indexOf(st.value);
    if (cur === want) return;
    if (!st.focused) await tabTo(page, selector);
    await page.keyboard.press(cur < want ? 'ArrowDown' : 'ArrowUp');
    const before = st.value;
    for (let t = 0; t < 50; t++) {
      st = await state();
      if (st.value !== before || !st.focused) break;
      await page.waitForTimeout(100);
    }
  }
  throw new Error(`selectByKeyboard: ${selector} did not reach ${value} (value ${st.value}, focus on ${st.active}, options ${st.values.join(',')})`);
}
