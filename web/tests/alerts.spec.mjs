// Journey: a project leader follows a project and sees her upcoming alerts with their reasons
// (what each is about, why she gets it, the rule that planned it: equal to the API's answer),
// changes a rule (a refused value shows the server's message at its field), turns on the
// morning digest, and from the project page subscribes to the project's calendar: the link she
// copies returns a calendar that Debian's python3-icalendar parses, with the project's events. A
// stream link and an "all my projects" link are made too, each saying what it contains; the
// project link is revoked (the feed answers 404), and she stops following (no alert waits any
// more). Keyboard only.
import { execFileSync } from 'node:child_process';
import { journey, check, eq, apiLogin, axe, shot, operatorApi, tabTo, typeInto, selectByKeyboard } from './lib.mjs';

/** Parses an iCalendar text with Debian's python3-icalendar (tests/ical uses it too). */
const PY = `import sys, json, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
ev = cal.walk("VEVENT")
print(json.dumps({"name": str(cal.get("X-WR-CALNAME", "")), "events": len(ev),
                  "summaries": [str(e.get("SUMMARY")) for e in ev], "uids": [str(e.get("UID")) for e in ev]}))`;
function icalendar(text) {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { input: text }).toString());
}

/** The feed's text once the notifier has written the project's dates (it does after the link is made). */
async function feed(url, what) {
  const until = Date.now() + 30000;
  for (;;) {
    const r = await fetch(url);
    const text = await r.text();
    if ((r.status === 200 && text.includes('BEGIN:VEVENT')) || Date.now() > until) {
      eq(r.status, 200, `${what}: the link answers 200`);
      return text;
    }
    await new Promise((res) => setTimeout(res, 300));
  }
}

async function pageJson(page, path) {
  return page.evaluate(async (p) => (await fetch(p)).json(), path);
}

await journey('alerts', async ({ page, context, fx }) => {
  const id = fx.projects.marktveld;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.base });
  await apiLogin(context, fx.leader);
  await page.goto('/projects');
  await page.locator('.bs-nav a[href="/settings/alerts"]').waitFor();
  await tabTo(page, '.bs-nav a[href="/settings/alerts"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=no-upcoming]').waitFor();
  const me = await pageJson(page, '/api/v1/me');

  // follow Marktveld: find it, follow it
  await typeInto(page, '#st-q', 'Marktveld');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=found] li').first().waitFor();
  await tabTo(page, '[aria-label="Volgen: Marktveld"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=follows] li').waitFor();
  eq((await pageJson(page, '/api/v1/follows')).results.map((f) => f.project_id), [id], 'she follows Marktveld (API)');

  // the notifier plans her alerts; the page lists them with their reasons
  let up;
  for (const until = Date.now() + 120000; Date.now() < until; await page.waitForTimeout(300)) {
    up = await pageJson(page, '/api/v1/alerts/upcoming?page_size=20');
    if (up.count > 0) break;
  }
  check(up.count > 0, 'following planned alerts', up.count);
  await page.reload();
  await page.locator('[data-testid=upcoming] tbody tr').first().waitFor();
  up = await pageJson(page, '/api/v1/alerts/upcoming?page_size=20');
  const rows = await page.$$eval('[data-testid=upcoming] tbody tr', (trs) => trs.map((tr) => ({ id: tr.dataset.id, kind: tr.dataset.kind, reason: tr.querySelector('[data-col=reason]').textContent })));
  eq(rows.map((r) => [r.id, r.kind]), up.results.map((a) => [a.id, a.kind]), 'the page lists the API\'s upcoming alerts, soonest first');
  const upcoming = up.results.find((a) => a.kind === 'milestone_upcoming');
  const row = rows.find((r) => r.id === upcoming?.id);
  check(row && row.reason.includes(`${upcoming.rule.days} werkdagen vooraf`) && row.reason.includes('de standaardregel') && row.reason.includes('u volgt het project'),
    'an upcoming milestone\'s reason: its rule (days, source) and why she gets it', row);
  await axe(page, 'alerts');
  await shot(page, 'alerts');

  // a rule: a refused value shows the server's message at the field; 15 working days is saved
  const days = '#rule-milestone_upcoming-days';
  await typeInto(page, days, '400');
  await page.keyboard.press('Enter');
  await page.locator(`${days}-error`).waitFor();
  const opId = (await operatorApi('GET', '/api/v1/me')).body.id;
  const bad = (await operatorApi('PUT', '/api/v1/alert-rules', { user_id: opId, kind: 'milestone_upcoming', days: 400 })).body;
  eq((await page.locator(`${days}-error`).innerText()).trim(), bad.invalid_params[0].reason, 'days 400: the server\'s message at the field');
  await typeInto(page, days, '15');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=rule-milestone_upcoming-source]')?.textContent.includes('uw eigen regel'));
  const st = await pageJson(page, `/api/v1/users/${me.id}/alert-settings`);
  eq([st.rules[0].days, st.rules[0].source], [15, 'user'], 'the rule is hers now: 15 working days (API)');

  // the morning digest
  await tabTo(page, '#st-digest');
  await page.keyboard.press('Space');
  await tabTo(page, '[data-testid=delivery] button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=upcoming] tbody tr td')].some((td) => td.textContent === 'in de ochtendsamenvatting'));
  check((await pageJson(page, `/api/v1/users/${me.id}/alert-settings`)).digest === true, 'digest on (API)');
  await shot(page, 'alerts-rules');

  // from the project page to its calendar link
  await page.goto(`/projects/${id}`);
  await page.locator('.bs-gantt .gantt_task_line').first().waitFor();
  await tabTo(page, `a[href="/settings/calendar?project_id=${id}"]`);
  await page.keyboard.press('Enter');
  await page.locator('#feed-project').waitFor();
  eq(await page.locator('#feed-scope').inputValue(), 'project', 'a project link is proposed');
  eq(await page.locator('#feed-project').inputValue(), id, 'for this project');
  check((await page.locator('[data-testid=feed-contains]').innerText()).includes('beide stromen van Marktveld'), 'it says what the link contains');
  await typeInto(page, '#feed-label', 'Agenda Marktveld');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=feed-made]').waitFor();
  await tabTo(page, '[data-testid=feed-made] button');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=copied]', { hasText: 'gekopieerd' }).waitFor();
  const url = await page.evaluate(() => navigator.clipboard.readText());
  eq(url, await page.locator('#feed-url').inputValue(), 'the copied link is the one shown');
  check(/^http:\/\/127\.0\.0\.1:\d+\/calendar\/[0-9a-f]{64}\.ics$/.test(url), 'a calendar link of this server', url);
  const cal = icalendar(await feed(url, 'project link'));
  check(cal.events > 0, 'python3-icalendar parses the calendar, with events', cal);
  eq(cal.events, (await (await fetch(url)).text()).split('BEGIN:VEVENT').length - 1, 'every event parsed');
  check(cal.summaries.every((x) => x.includes('Marktveld')), 'every event names the project', cal.summaries.slice(0, 3));
  eq(new Set(cal.uids).size, cal.uids.length, 'UIDs unique');
  await axe(page, 'calendar');
  await shot(page, 'calendar');

  // a stream link and an "all my projects" link, each saying what it contains
  await selectByKeyboard(page, '#feed-scope', 'stream');
  await selectByKeyboard(page, '#feed-stream', 'private');
  await tabTo(page, '[data-testid=new-feed] button[type=submit]');
  await page.keyboard.press('Enter');
  await page.locator('#feed-url').waitFor();
  const streamCal = icalendar(await feed(await page.locator('#feed-url').inputValue(), 'stream link'));
  check(streamCal.events > 0 && streamCal.events < cal.events, 'the private stream\'s link holds part of the project\'s events', [streamCal.events, cal.events]);
  await selectByKeyboard(page, '#feed-scope', 'user');
  await tabTo(page, '[data-testid=new-feed] button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=feeds] tbody tr').length === 3);
  const feeds = await page.$$eval('[data-testid=feeds] tbody tr', (trs) => trs.map((tr) => [tr.dataset.scope, tr.querySelector('td').textContent]));
  eq(feeds.map((f) => f[0]), ['project', 'stream', 'user'], 'three links listed');
  check(feeds[0][1].includes('beide stromen van Marktveld') && feeds[1][1].includes('ontwikkelaar (private stroom) van Marktveld') && feeds[2][1].includes('alle projecten die u volgt (nu 1)'),
    'each says what it contains', feeds);
  eq((await pageJson(page, '/api/v1/feed-tokens')).results.map((t) => [t.scope, t.project_name]), [['project', 'Marktveld'], ['stream', 'Marktveld'], ['user', null]], 'the API lists the same');

  // revoke the project link: the feed is gone
  await tabTo(page, '[data-testid=feeds] tr[data-scope=project] button');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=feeds] tr[data-scope=project] [data-col=status]')?.textContent.startsWith('ingetrokken'));
  eq((await fetch(url)).status, 404, 'the revoked link answers 404');
  await shot(page, 'calendar-revoked');

  // stop following: no alert of the project waits any more
  await tabTo(page, '.bs-tabs a[href="/settings/alerts"]');
  await page.keyboard.press('Enter');
  await page.locator('[aria-label="Niet meer volgen: Marktveld"]').waitFor();
  await tabTo(page, '[aria-label="Niet meer volgen: Marktveld"]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=no-upcoming]').waitFor();
  eq((await pageJson(page, '/api/v1/alerts/upcoming')).count, 0, 'after unfollowing nothing waits (API)');
  eq((await pageJson(page, '/api/v1/follows')).count, 0, 'she follows nothing (API)');

  // in English
  await tabTo(page, '.bs-header-end button[lang=en]');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Alerts and calendar', level: 1 }).waitFor();
  await shot(page, 'alerts-en');
});
