// Helpers of the dashboard and public journeys (web/tests/dashboard.spec.mjs, public.spec.mjs):
// read a figure's table and chart from the page and compare them with the API's answer.
import { check, eq } from './lib.mjs';

/** The columns each view's table shows after its key column (components/dashboard.tsx), as the
 * API's members, and which of them the chart draws. publicOnly: no aggregate_only column. */
export function columnsOf(view, by, publicOnly) {
  const counts = publicOnly ? ['projects'] : ['projects', 'aggregate_only'];
  if (view === 'homes' && by === 'year') return { cols: ['homes_planned', 'homes_p50', 'homes_p80', ...counts], drawn: ['homes_planned', 'homes_p50', 'homes_p80'] };
  if (view === 'homes') return { cols: ['homes', ...counts], drawn: ['homes'] };
  if (view === 'knelpunten') return { cols: counts, drawn: ['projects'] };
  return { cols: ['median_calendar_days', 'p80_calendar_days', 'realised', 'open', ...counts.slice(1)], drawn: ['median_calendar_days', 'p80_calendar_days'] };
}

/** A figure of the API as the page writes it (nl-NL or en-GB; quantiles with at most one decimal). */
export function fmt(v, member, locale) {
  if (v === null || v === undefined) return '—';
  return v.toLocaleString(locale, { maximumFractionDigits: /calendar_days/.test(member) ? 1 : 0 });
}

/** The table of the figure section #id: rows of {key, label, cells: [text]}, and its chart's canvas. */
export async function readFigure(page, id) {
  return page.evaluate((fid) => {
    const sec = document.getElementById(`${fid}-title`)?.closest('section');
    const table = document.getElementById(`${fid}-table`);
    const canvas = sec?.querySelector('canvas');
    return {
      view: sec?.getAttribute('data-view') ?? null,
      withheld: !!sec?.querySelector('.bs-withheld'),
      rows: table
        ? Array.from(table.tBodies[0].rows).map((r) => ({
            key: r.getAttribute('data-key'),
            label: r.cells[0].textContent.trim(),
            cells: Array.from(r.cells).slice(1).map((c) => c.textContent.trim()),
          }))
        : [],
      canvas: canvas
        ? {
            role: canvas.getAttribute('role'),
            label: canvas.getAttribute('aria-label'),
            describedBy: canvas.getAttribute('aria-describedby'),
            drawn: canvas.dataset.drawn === '1',
            series: JSON.parse(canvas.dataset.series || '[]'),
            labels: JSON.parse(canvas.dataset.labels || '[]'),
            caption: document.getElementById(canvas.getAttribute('aria-describedby') || '')?.textContent?.trim() ?? null,
          }
        : null,
    };
  }, id);
}

/** Waits until the figure #id shows view:by (its answer arrived and was drawn). */
export async function figureShows(page, id, view, by) {
  await page.waitForFunction(
    ([fid, want]) => {
      const sec = document.getElementById(`${fid}-title`)?.closest('section');
      if (!sec || sec.getAttribute('data-view') !== want) return false;
      const c = sec.querySelector('canvas');
      return !c || c.dataset.drawn === '1';
    },
    [id, `${view}:${by}`],
    { timeout: 30000 },
  );
}

/** Checks the figure #id against doc (the API's answer of view/group_by): every row's key and
 * figures in the API's order, the merged row named as such, the chart's series = the table's
 * drawn columns, the canvas an image labelled and described by the table's caption. */
export function compareFigure(fig, doc, { what, publicOnly, locale = 'nl-NL' }) {
  const { cols, drawn } = columnsOf(doc.view, doc.group_by, publicOnly);
  eq(fig.view, `${doc.view}:${doc.group_by}`, `${what}: the figure shows view ${doc.view} by ${doc.group_by}`);
  eq(fig.withheld, !!doc.confidential_withheld, `${what}: the withheld notice is shown exactly when the API says confidential_withheld`);
  eq(
    fig.rows.map((r) => r.key),
    doc.cells.map((c) => (c.merged ? '(merged)' : c.key ?? '(null)')),
    `${what}: the table's rows are the API's cells, in its order`,
  );
  eq(
    fig.rows.map((r) => r.cells),
    doc.cells.map((c) => cols.map((m) => fmt(c[m], m, locale))),
    `${what}: the table's figures equal the API's (${cols.join(', ')})`,
  );
  for (const r of fig.rows.filter((x) => x.key === '(merged)'))
    check(/samengevoegd|merged/i.test(r.label), `${what}: the merged cell is named as such`, r.label);
  if (doc.cells.length === 0) return;
  check(fig.canvas && fig.canvas.drawn, `${what}: the chart is drawn`);
  if (!fig.canvas) return;
  eq(fig.canvas.series, drawn.map((m) => doc.cells.map((c) => c[m] ?? null)), `${what}: the chart draws the API's figures (${drawn.join(', ')})`);
  eq(fig.canvas.labels, fig.rows.map((r) => r.label), `${what}: the chart's bars have the table's row names`);
  eq(fig.canvas.role, 'img', `${what}: the canvas is an image for assistive technology`);
  check(!!fig.canvas.label && !!fig.canvas.caption, `${what}: the canvas is labelled and described by its table's caption`, fig.canvas);
}

/** The last answer the page received for path with these query parameters (its body parsed). */
export async function received(page, seen, path, params) {
  const match = (e) => {
    const u = new URL(e.url);
    return u.pathname === path && e.status === 200 && Object.entries(params).every(([k, v]) => u.searchParams.get(k) === v);
  };
  // the body is read asynchronously after the response event: wait for it (30 s at most)
  for (let i = 0; i < 300; i++) {
    const hit = seen.filter(match).pop();
    if (hit && hit.body) return JSON.parse(hit.body);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer of ${path} ${JSON.stringify(params)} received by the page`);
}
