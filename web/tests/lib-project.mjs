// Helpers of the project-page journeys (project, update-step, developer). See lib.mjs for the rest.
import { check } from './lib.mjs';

/** Opens a project page (optionally with a step) and waits until the plan is drawn. */
export async function openProject(page, id, step) {
  await page.goto(`/projects/${id}${step ? `/steps/${step}` : ''}`);
  await page.locator('.bs-gantt[data-drawn] .gantt_task_line, .bs-plan-table').first().waitFor();
}

/** What the chart drew: bars (step keys and classes, lanes left out) and P50–P80 bands with
 * their ends in the chart's coordinates next to gantt.posFromDate of their dates. */
export async function ganttFacts(page) {
  return page.evaluate(() => {
    const g = window.bsGantt;
    const day = (d) => {
      const [y, m, dd] = d.split('-').map(Number);
      return new Date(y, m - 1, dd);
    };
    const area = document.querySelector('.bs-gantt .gantt_data_area').getBoundingClientRect();
    const bars = [...document.querySelectorAll('.bs-gantt .gantt_task_line[data-task-id]')]
      .filter((e) => !e.getAttribute('data-task-id').startsWith('lane:'))
      .map((e) => ({ key: e.getAttribute('data-task-id'), critical: e.classList.contains('bs-critical'), knelpunt: e.classList.contains('bs-knelpunt') }));
    const bands = [...document.querySelectorAll('.bs-gantt .bs-band')].map((b) => {
      const r = b.getBoundingClientRect();
      return {
        key: b.dataset.key, p50: b.dataset.p50, p80: b.dataset.p80,
        left: r.left - area.left, right: r.right - area.left,
        want_left: g.posFromDate(day(b.dataset.p50)), want_right: g.posFromDate(day(b.dataset.p80)),
      };
    });
    return { bars, bands, links: document.querySelectorAll('.bs-gantt .gantt_task_link').length,
      markers: [...document.querySelectorAll('.bs-gantt .bs-marker')].map((m) => m.className),
      rows: [...document.querySelectorAll('.bs-gantt .gantt_grid_data .gantt_row[data-task-id]')].map((r) => r.getAttribute('data-task-id')).filter((k) => !k.startsWith('lane:')) };
  });
}

/** Presses Tab until the focused element matches pred (evaluated in the page on
 * document.activeElement); at most max presses. Returns whether it got there. */
export async function tabTo(page, pred, what, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(pred)) return true;
  }
  return check(false, `keyboard: Tab reaches ${what}`);
}

/** A fetch from inside the page (the user's session cookie): {status, type, body}. */
export async function pageFetch(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const r = await fetch(p, { method: m, headers: b ? { 'Content-Type': 'application/json' } : {}, body: b ? JSON.stringify(b) : undefined });
    const t = await r.text();
    return { status: r.status, type: r.headers.get('content-type'), body: t ? JSON.parse(t) : null };
  }, [method, path, body]);
}

/** The text of the error message tied to a control (aria-describedby → *-error). */
export async function fieldError(page, id) {
  const loc = page.locator(`#${id}-error`);
  return (await loc.count()) ? (await loc.innerText()).trim() : '';
}
