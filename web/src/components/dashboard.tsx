// The dashboard's figures, shared by the dashboard page (signed-in users: GET /api/v1/dashboard)
// and the public page (anyone: GET /api/v1/public/dashboard). Every chart (Chart.js, drawn on a
// canvas) has its data table beside it: the table is the accessible form of the chart (the
// canvas is role="img" with a label that points to the table's caption). The page computes
// nothing: every figure is the API's (docs/homes-and-goals.md "Dashboards and the public rule").
// Chart.js is imported here only, so it loads with these two pages alone (their own chunk).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, qs } from '../lib/api';
import { lang, strings } from '../lib/i18n';
import { useSignal } from '../lib/signal';
import { DataTable } from './table';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** One cell of a dashboard view (docs/api.md): the members present depend on the view. */
export interface Cell {
  key: string | null;
  merged?: boolean;
  projects: number;
  aggregate_only: number;
  homes?: number;
  homes_planned?: number;
  homes_p50?: number;
  homes_p80?: number;
  realised?: number;
  open?: number;
  median_calendar_days?: number | null;
  p80_calendar_days?: number | null;
}

export interface DashboardDoc {
  view: string;
  group_by: string;
  public: boolean;
  data_version: number | null;
  confidential_withheld: boolean;
  cells: Cell[];
}

export const HOME_GROUPS = ['planstatus', 'plantype', 'phase', 'home_type', 'tenure'] as const;

const S = strings({
  nl: {
    loading: 'Laden…',
    failed: 'De cijfers konden niet worden geladen:',
    none: 'Geen gegevens.',
    projects: 'Projecten',
    aggregateOnly: 'Waarvan alleen als totaal',
    merged: 'Samengevoegd (vertrouwelijk)',
    unknown: 'onbekend',
    noStep: 'geen stap met een gemiste termijn',
    yearUnknown: 'jaar onbekend',
    withheld: 'Vertrouwelijke projecten zijn hier weggelaten: u mag er minder dan 5 alleen als totaal zien, en zo weinig kunnen niet worden getoond zonder dat één project herkenbaar wordt.',
    chartOf: (t: string) => `Staafdiagram: ${t}. De cijfers staan in de tabel ernaast.`,
    year: 'Jaar (oplevering)',
    planned: 'Gepland',
    p50: 'P50-prognose',
    p80: 'P80-prognose',
    homes: 'Woningen (netto)',
    step: 'Processtap',
    knelpuntProjects: 'Knelpuntprojecten',
    realised: 'Gerealiseerd',
    open: 'Lopend',
    median: 'Mediaan (dagen)',
    p80days: 'P80 (dagen)',
    groups: { planstatus: 'planstatus', plantype: 'plantype', phase: 'fase', home_type: 'woningtype', tenure: 'eigendom (koop/huur)' } as Record<string, string>,
    homesBy: (g: string) => `Woningen naar ${g}`,
  },
  en: {
    loading: 'Loading…',
    failed: 'The figures could not be loaded:',
    none: 'No data.',
    projects: 'Projects',
    aggregateOnly: 'Of which only as a total',
    merged: 'Merged (confidential)',
    unknown: 'unknown',
    noStep: 'no step with a missed deadline',
    yearUnknown: 'year unknown',
    withheld: 'Confidential projects are left out here: you may see fewer than 5 of them only as a total, and so few cannot be shown without one project becoming recognisable.',
    chartOf: (t: string) => `Bar chart: ${t}. The figures are in the table beside it.`,
    year: 'Year (delivery)',
    planned: 'Planned',
    p50: 'P50 forecast',
    p80: 'P80 forecast',
    homes: 'Homes (net)',
    step: 'Process step',
    knelpuntProjects: 'Knelpunt projects',
    realised: 'Realised',
    open: 'Running',
    median: 'Median (days)',
    p80days: 'P80 (days)',
    groups: { planstatus: 'planstatus', plantype: 'plan type', phase: 'phase', home_type: 'home type', tenure: 'tenure (owner/rent)' } as Record<string, string>,
    homesBy: (g: string) => `Homes by ${g}`,
  },
});

export function groupLabel(by: string): string {
  return S().groups[by] ?? by;
}

/** The API's answer of one view: GET /api/v1/dashboard (or …/public/dashboard) ?view=&group_by=. */
export function useDashboard(publicOnly: boolean, view: string, by: string): { doc: DashboardDoc | null; error: string | null } {
  const [state, setState] = useState<{ doc: DashboardDoc | null; error: string | null; of: string }>({ doc: null, error: null, of: '' });
  const of = `${publicOnly}|${view}|${by}`;
  useEffect(() => {
    let live = true;
    api<DashboardDoc>('GET', `/api/v1/${publicOnly ? 'public/' : ''}dashboard${qs({ view, group_by: by })}`, undefined, { quiet401: publicOnly })
      .then((doc) => live && setState({ doc, error: null, of }))
      .catch((e: Error) => live && setState({ doc: null, error: e.message, of }));
    return () => {
      live = false;
    };
  }, [of]);
  return state.of === of ? state : { doc: null, error: null };
}

/** A number as the user reads it; quantiles of days with at most one decimal. */
function fmt(n: number | null | undefined, decimals = 0): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB', { maximumFractionDigits: decimals });
}

interface Column {
  label: string;
  value: (c: Cell) => number | null | undefined;
  decimals?: number;
  /** drawn in the chart (else only in the table) */
  series?: string;
}

interface Series {
  label: string;
  data: (number | null)[];
  color: string;
}

/** A bar chart on a canvas (Chart.js), role="img", labelled, described by its table's caption. */
function BarChart({ labels, series, label, describedBy }: { labels: string[]; series: Series[]; label: string; describedBy: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = new Chart(ref.current, {
      type: 'bar',
      data: { labels, datasets: series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.color, borderColor: s.color, maxBarThickness: 56 })) },
      options: {
        locale: lang.get() === 'nl' ? 'nl-NL' : 'en-GB',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: series.length > 1, labels: { color: '#1a1a1a' } } },
        scales: { x: { ticks: { color: '#1a1a1a' } }, y: { beginAtZero: true, ticks: { color: '#1a1a1a', precision: 0 } } },
      },
    });
    ref.current.dataset.drawn = '1';
    return () => chart.destroy();
  }, [JSON.stringify([labels, series, lang.get()])]);
  return (
    <div class="bs-chart">
      <canvas ref={ref} role="img" aria-label={label} aria-describedby={describedBy} data-series={JSON.stringify(series.map((s) => s.data))} data-labels={JSON.stringify(labels)}>
        {label}
      </canvas>
    </div>
  );
}

const COLORS = ['#154273', '#01689b', '#b35a00'];

/** One figure: its heading, a chart of the series columns and the table of every column. */
export function Figure({ id, title, caption, doc, error, columns, keyLabel, note, controls }: {
  id: string;
  title: string;
  /** the table's caption when it says more than the title (the grouping chosen) */
  caption?: string;
  doc: DashboardDoc | null;
  error: string | null;
  columns: Column[];
  keyLabel: { header: string; of: (c: Cell) => string };
  note?: string;
  controls?: preact.ComponentChildren;
}) {
  useSignal(lang);
  const s = S();
  const cells = doc?.cells ?? [];
  const labelOf = (c: Cell) => (c.merged ? s.merged : keyLabel.of(c));
  const drawn = columns.filter((c) => c.series);
  const captionId = `${id}-caption`;
  return (
    <section class="bs-figure" aria-labelledby={`${id}-title`} data-view={doc ? `${doc.view}:${doc.group_by}` : undefined}>
      <h2 class="utrecht-heading-2" id={`${id}-title`}>
        {title}
      </h2>
      {controls}
      {note ? <p class="utrecht-paragraph bs-muted">{note}</p> : null}
      {error ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {s.failed} {error}
        </p>
      ) : !doc ? (
        <p class="utrecht-paragraph" aria-live="polite">
          {s.loading}
        </p>
      ) : (
        <>
          {doc.confidential_withheld ? <p class="utrecht-paragraph bs-notice bs-withheld">{s.withheld}</p> : null}
          {cells.length === 0 ? (
            <p class="utrecht-paragraph">{s.none}</p>
          ) : (
            <div class="bs-figure-body">
              <BarChart
                labels={cells.map(labelOf)}
                series={drawn.map((c, i) => ({ label: c.label, data: cells.map((cell) => c.value(cell) ?? null), color: COLORS[i % COLORS.length] }))}
                label={s.chartOf(caption ?? title)}
                describedBy={captionId}
              />
              <DataTable
                labelledBy={captionId}
                caption={caption ?? title}
                captionClass="utrecht-table__caption bs-figure-caption"
                class="utrecht-table utrecht-table--html-table bs-table bs-figure-table"
                id={`${id}-table`}
                heads={[keyLabel.header, ...columns.map((c) => c.label)]}
                numeric={(i) => i > 0}
              >
                {cells.map((c) => (
                  <tr class={`utrecht-table__row${c.merged ? ' bs-merged' : ''}`} data-key={c.merged ? '(merged)' : c.key ?? '(null)'}>
                    <th scope="row" class="utrecht-table__cell bs-cell-name">
                      {labelOf(c)}
                    </th>
                    {columns.map((col) => (
                      <td class="utrecht-table__cell utrecht-table__cell--numeric bs-num">{fmt(col.value(c), col.decimals)}</td>
                    ))}
                  </tr>
                ))}
              </DataTable>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** The columns every view shares: projects and those seen only as a total (not on the public page). */
export function countColumns(publicOnly: boolean): Column[] {
  const s = S();
  const cols: Column[] = [{ label: s.projects, value: (c) => c.projects }];
  if (!publicOnly) cols.push({ label: s.aggregateOnly, value: (c) => c.aggregate_only });
  return cols;
}

/** Homes per year: planned vs P50/P80 (view homes, group_by year). */
export function YearFigure({ id, title, publicOnly, note }: { id: string; title: string; publicOnly: boolean; note: string }) {
  const { doc, error } = useDashboard(publicOnly, 'homes', 'year');
  const s = S();
  return (
    <Figure
      id={id}
      title={title}
      doc={doc}
      error={error}
      note={note}
      keyLabel={{ header: s.year, of: (c) => c.key ?? s.yearUnknown }}
      columns={[
        { label: s.planned, value: (c) => c.homes_planned, series: 'planned' },
        { label: s.p50, value: (c) => c.homes_p50, series: 'p50' },
        { label: s.p80, value: (c) => c.homes_p80, series: 'p80' },
        ...countColumns(publicOnly),
      ]}
    />
  );
}

/** A readable name of a key of the API (a phase, a tenure, …): "grondgebonden", "Initiatief". */
export function plainKey(k: string | null): string {
  if (k === null) return S().unknown;
  return k.replace(/_/g, ' ');
}

/** Homes by a switchable grouping (view homes, group_by planstatus, plantype, phase, home_type, tenure). */
export function GroupFigure({ id, title, publicOnly, by, controls }: { id: string; title: string; publicOnly: boolean; by: string; controls: preact.ComponentChildren }) {
  const { doc, error } = useDashboard(publicOnly, 'homes', by);
  const s = S();
  return (
    <Figure
      id={id}
      title={title}
      caption={s.homesBy(groupLabel(by))}
      doc={doc}
      error={error}
      controls={controls}
      keyLabel={{ header: groupLabel(by).replace(/^./, (ch) => ch.toUpperCase()), of: (c) => plainKey(c.key) }}
      columns={[{ label: s.homes, value: (c) => c.homes, series: 'homes' }, ...countColumns(publicOnly)]}
    />
  );
}

/** Knelpunt projects per process step (view knelpunten). stepName: key → the schema's name. */
export function KnelpuntFigure({ id, title, publicOnly, note, stepName }: { id: string; title: string; publicOnly: boolean; note: string; stepName: (k: string) => string }) {
  const { doc, error } = useDashboard(publicOnly, 'knelpunten', 'step');
  const s = S();
  const cols = countColumns(publicOnly);
  cols[0] = { label: s.knelpuntProjects, value: (c) => c.projects, series: 'projects' };
  return <Figure id={id} title={title} doc={doc} error={error} note={note} keyLabel={{ header: s.step, of: (c) => (c.key === null ? s.noStep : stepName(c.key)) }} columns={cols} />;
}

/** Lead times per step in calendar days (view lead_times): realised, median, P80, still open. */
export function LeadTimeFigure({ id, title, publicOnly, note, stepName }: { id: string; title: string; publicOnly: boolean; note: string; stepName: (k: string) => string }) {
  const { doc, error } = useDashboard(publicOnly, 'lead_times', 'step');
  const s = S();
  return (
    <Figure
      id={id}
      title={title}
      doc={doc}
      error={error}
      note={note}
      keyLabel={{ header: s.step, of: (c) => (c.key === null ? s.unknown : stepName(c.key)) }}
      columns={[
        { label: s.median, value: (c) => c.median_calendar_days, decimals: 1, series: 'median' },
        { label: s.p80days, value: (c) => c.p80_calendar_days, decimals: 1, series: 'p80' },
        { label: s.realised, value: (c) => c.realised },
        { label: s.open, value: (c) => c.open },
        ...countColumns(publicOnly).slice(1),
      ]}
    />
  );
}

/** key → name of every step of the loaded process schemas (signed-in users only; the public page
 * shows the keys in words). */
export function useStepNames(enabled: boolean): (k: string) => string {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    (async () => {
      const list = await api<{ key: string }[] | { results: { key: string }[] }>('GET', '/api/v1/process-schemas');
      const keys = (Array.isArray(list) ? list : list.results).map((r) => r.key);
      const out: Record<string, string> = {};
      for (const k of keys) {
        const doc = await api<{ steps: { key: string; name: string }[] }>('GET', `/api/v1/process-schemas/${encodeURIComponent(k)}`);
        for (const st of doc.steps ?? []) out[st.key] ??= st.name;
      }
      if (live) setNames(out);
    })().catch(() => undefined); // without names the keys are shown in words
    return () => {
      live = false;
    };
  }, [enabled]);
  return (k) => names[k] ?? plainKey(k).replace(/^./, (ch) => ch.toUpperCase());
}
