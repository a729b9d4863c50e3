// The Gantt chart of a project's plan (dhtmlx-gantt Community, MIT; loaded only with the project
// page). It draws what the engine computed — nothing is scheduled in the browser (the
// auto-scheduling and critical-path extensions are not used):
//   - two swimlanes (municipality = public stream, developer = private stream) as parent rows;
//   - each step a bar from its early (or actual) start to its early (or actual) finish, a
//     milestone a diamond; class bs-critical from the engine's `critical` flag, bs-knelpunt for
//     negative total float, bs-done for realised steps;
//   - layers of our own: the actual start–finish (a dark strip under the bar), the total float
//     (a thin bar from the finish up to the late finish) and each milestone's P50–P80 band of
//     the forecast, all positioned with gantt.posFromDate and redrawn with every render;
//   - dependency links by type (FS/SS/FF/SF) with their lag in the link's title;
//   - a today line and the data-date line (marker extension);
//   - with a baseline (the what-if planner): each step's dates in the current plan as an outline
//     under the changed plan's bar, so the chart shows the changed plan over the current one.
// Dates are inclusive civil dates: a step finishing on D ends at the start of D + 1 day.
import 'dhtmlx-gantt/codebase/dhtmlxgantt.css';
import { gantt } from 'dhtmlx-gantt';
import { useEffect, useRef } from 'preact/hooks';
import { lang, strings } from '../lib/i18n';
import type { Forecast, Schedule, Step } from './projectTypes';

const S = strings({
  nl: {
    lanePublic: 'Gemeente (publieke stroom)',
    lanePrivate: 'Ontwikkelaar (private stroom)',
    step: 'Stap',
    start: 'Begin',
    finish: 'Einde',
    float: 'Speling',
    today: 'Vandaag',
    dataDate: 'Peildatum',
    critical: 'kritiek',
    knelpunt: 'knelpunt',
    done: 'gereed',
    band: 'Prognose P50–P80',
    lag: 'wachttijd',
    actual: 'Werkelijk',
    floatTitle: 'Speling (werkdagen)',
    baseline: 'huidig plan',
    months: ['jan', 'feb', 'mrt', 'apr', 'mei', 'jun', 'jul', 'aug', 'sep', 'okt', 'nov', 'dec'],
  },
  en: {
    lanePublic: 'Municipality (public stream)',
    lanePrivate: 'Developer (private stream)',
    step: 'Step',
    start: 'Start',
    finish: 'Finish',
    float: 'Float',
    today: 'Today',
    dataDate: 'Data date',
    critical: 'critical',
    knelpunt: 'bottleneck',
    done: 'done',
    band: 'Forecast P50–P80',
    lag: 'lag',
    actual: 'Actual',
    floatTitle: 'Float (working days)',
    baseline: 'current plan',
    months: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  },
});

/** "YYYY-MM-DD" → local midnight of that day (the chart works in local time). */
export function day(d: string): Date {
  const [y, m, dd] = d.slice(0, 10).split('-').map(Number);
  return new Date(y, m - 1, dd);
}
function nextDay(d: string): Date {
  const x = day(d);
  x.setDate(x.getDate() + 1);
  return x;
}
function iso(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

const LINK_TYPE: Record<string, string> = { FS: '0', SS: '1', FF: '2', SF: '3' };

function stepStart(s: Step): string | null {
  return s.actual_start ?? s.early_start ?? s.actual_finish ?? null;
}
function stepFinish(s: Step): string | null {
  return s.actual_finish ?? s.early_finish ?? null;
}

function taskData(schedule: Schedule, steps: Step[]) {
  const s = S();
  const lanes = (['public', 'private'] as const).filter((st) => steps.some((x) => x.stream === st));
  const data: Record<string, unknown>[] = lanes.map((st) => ({
    id: `lane:${st}`,
    text: st === 'public' ? s.lanePublic : s.lanePrivate,
    type: 'project',
    open: true,
    bs_lane: true,
  }));
  for (const st of steps) {
    const start = stepStart(st);
    const finish = stepFinish(st);
    const common = { id: st.key, text: st.name, parent: `lane:${st.stream}`, bs: st };
    if (!start) data.push({ ...common, unscheduled: true });
    else if (st.milestone) data.push({ ...common, type: 'milestone', start_date: day(finish ?? start), duration: 0 });
    else data.push({ ...common, start_date: day(start), end_date: nextDay(finish ?? start) });
  }
  const keys = new Set(steps.map((x) => x.key));
  const links = (schedule.links ?? [])
    .filter((l) => keys.has(l.pred) && keys.has(l.succ))
    .map((l, i) => ({ id: `l${i}`, source: l.pred, target: l.succ, type: LINK_TYPE[l.type] ?? '0', bs: l }));
  return { data, links };
}

function el(cls: string, left: number, top: number, width: number, height: number, title?: string): HTMLElement {
  const d = document.createElement('div');
  d.className = cls;
  d.style.left = `${left}px`;
  d.style.top = `${top}px`;
  d.style.width = `${Math.max(width, 2)}px`;
  d.style.height = `${height}px`;
  if (title) d.title = title;
  return d;
}

let configured = false;
let bands: Map<string, { p50: string; p80: string }> = new Map();
/** the current plan's dates per step when the chart shows a changed plan (what-if), else empty */
let baselines: Map<string, Step> = new Map();

function configure() {
  if (configured) return;
  configured = true;
  gantt.plugins({ keyboard_navigation: true });
  const c = gantt.config as any;
  c.readonly = true;
  c.drag_move = c.drag_resize = c.drag_progress = c.drag_links = false;
  c.details_on_dblclick = false;
  c.show_errors = false;
  c.smart_rendering = false; // every bar is in the DOM (screen readers, tests)
  c.autosize = 'y';
  c.open_tree_initially = true;
  c.row_height = 30;
  c.bar_height = 18;
  c.scale_height = 48;
  c.min_column_width = 34;
  c.grid_width = 400;
  c.keyboard_navigation = true;
  c.keyboard_navigation_cells = false;
  c.wai_aria_attributes = true;
  c.show_unscheduled = true;
  c.work_time = false;
  c.fit_tasks = true;
  c.show_task_cells = false; // month lines are drawn in our layer (drawLayer)

  const t = gantt.templates as any;
  t.task_class = (_s: Date, _e: Date, task: any) => {
    if (task.bs_lane) return 'bs-lane';
    const st: Step = task.bs;
    const cls = ['bs-step', `bs-stream-${st.stream}`];
    if (st.critical) cls.push('bs-critical');
    if (st.total_float !== null && st.total_float < 0) cls.push('bs-knelpunt');
    if (st.status === 'done') cls.push('bs-done');
    if (st.actual_start && !st.actual_finish) cls.push('bs-started');
    return cls.join(' ');
  };
  t.grid_row_class = (_s: Date, _e: Date, task: any) => (task.bs_lane ? 'bs-lane-row' : task.bs?.critical ? 'bs-critical-row' : '');
  t.task_text = () => ''; // the names are in the grid beside the bars
  t.link_class = (link: any) => `bs-link bs-link-${link.bs?.type ?? 'FS'}`;
  // dhtmlx reads a link's aria-label from drag_link (dragging links is off)
  t.drag_link = (from: string, _fs: boolean, to: string) => {
    const l = gantt.getLinks().find((x: any) => String(x.source) === String(from) && String(x.target) === String(to)) as any;
    return l ? linkText(l) : `${from} → ${to}`;
  };
  // dhtmlx puts this text in each bar's aria-label (role img); the tooltip extension is not on
  t.tooltip_text = (_s: Date, _e: Date, task: any) => {
    const st: Step | undefined = task.bs;
    const s = S();
    if (!st) return task.text;
    const parts = [st.name, `${stepStart(st) ?? ''} – ${stepFinish(st) ?? ''}`];
    if (st.status === 'done') parts.push(s.done);
    if (st.critical) parts.push(s.critical);
    if (st.total_float !== null) parts.push(`${s.float} ${st.total_float}${st.total_float < 0 ? ` (${s.knelpunt})` : ''}`);
    const b = bands.get(st.key);
    if (b) parts.push(`${s.band} ${b.p50} – ${b.p80}`);
    const base = baselines.get(st.key);
    if (base && stepFinish(base)) parts.push(`${s.baseline} ${stepStart(base) ?? ''} – ${stepFinish(base)}`);
    return parts.join('; ');
  };

}

/** "Principeakkoord → Intentieovereenkomst (FS, lag 14 calendar days)" */
function linkText(l: any): string {
  const s = S();
  const name = (id: string) => (gantt.isTaskExists(id) ? gantt.getTask(id).text : id);
  const lag = l.bs?.lag ? `, ${s.lag} ${l.bs.lag} ${String(l.bs.lag_unit).replace(/_/g, ' ')}` : '';
  return `${name(l.source)} → ${name(l.target)} (${l.bs?.type ?? 'FS'}${lag})`;
}

/** Our own layer (actuals, float, P50–P80 bands): one absolutely positioned element inside the
 * timeline's data area (so it scrolls with the bars), filled with gantt.posFromDate and
 * gantt.getTaskPosition, redrawn after every render, data render and scroll. dhtmlx's
 * addTaskLayer is not in the Community build. */
function drawLayer(root: HTMLElement) {
  const area = root.querySelector('.gantt_data_area') as HTMLElement | null;
  if (!area) return;
  let layer = area.querySelector(':scope > .bs-layer') as HTMLElement | null;
  if (!layer) {
    layer = document.createElement('div');
    layer.className = 'bs-layer';
    layer.setAttribute('aria-hidden', 'true');
    area.appendChild(layer);
  }
  const s = S();
  const out: HTMLElement[] = [];
  gantt.eachTask((task: any) => {
    const st: Step | undefined = task.bs;
    if (!st || task.unscheduled) return;
    const pos = gantt.getTaskPosition(task, task.start_date, task.end_date);
    // the actual dates: a dark strip along the bottom of the bar
    if (st.actual_start && !st.milestone) {
      const from = gantt.posFromDate(day(st.actual_start));
      const to = gantt.posFromDate(nextDay(st.actual_finish ?? currentDataDate));
      out.push(el('bs-actual', from, pos.top + pos.height - 4, to - from, 4, `${s.actual}: ${st.actual_start} – ${st.actual_finish ?? '…'}`));
    }
    // total float: a thin bar from the finish to the late finish
    if (st.total_float !== null && st.total_float > 0 && st.late_finish && st.early_finish) {
      const from = st.milestone ? gantt.posFromDate(day(st.early_finish)) : gantt.posFromDate(nextDay(st.early_finish));
      const to = st.milestone ? gantt.posFromDate(day(st.late_finish)) : gantt.posFromDate(nextDay(st.late_finish));
      const d = el('bs-float', from, pos.top + Math.round(pos.height / 2) - 1, to - from, 3, `${s.floatTitle}: ${st.total_float}`);
      d.dataset.key = st.key;
      out.push(d);
    }
    // the current plan under a changed one: an outline at the step's current dates
    const base = baselines.get(st.key);
    const bs = base && stepStart(base);
    const bf = base && stepFinish(base);
    if (base && bs && bf) {
      const from = gantt.posFromDate(day(base.milestone ? bf : bs));
      const to = base.milestone ? from : gantt.posFromDate(nextDay(bf));
      const d = base.milestone
        ? el('bs-baseline bs-baseline-milestone', from - 7, pos.top + Math.round(pos.height / 2) - 7, 14, 14, `${s.baseline}: ${bf}`)
        : el('bs-baseline', from, pos.top + 1, to - from, pos.height - 2, `${s.baseline}: ${bs} – ${bf}`);
      d.dataset.key = st.key;
      d.dataset.start = bs;
      d.dataset.finish = bf;
      out.push(d);
    }
    // each milestone's forecast P50–P80 band
    const b = bands.get(st.key);
    if (b) {
      const left = gantt.posFromDate(day(b.p50));
      const right = gantt.posFromDate(day(b.p80));
      const d = el('bs-band', left, pos.top + 2, right - left, pos.height - 4, `${s.band}: ${b.p50} – ${b.p80}`);
      d.dataset.key = st.key;
      d.dataset.p50 = b.p50;
      d.dataset.p80 = b.p80;
      out.push(d);
    }
  });
  const height = Math.max(area.scrollHeight, area.offsetHeight);
  // a line at every month, drawn by the rows' CSS from the month's width: dhtmlx's own grid cells
  // are off (show_task_cells), they were three quarters of the chart's DOM and most of its layout
  // time (docs/performance.md); the month scale's columns are all one width
  const scale = (gantt as any).getScale?.();
  if (scale?.col_width) root.style.setProperty('--bs-month', `${scale.col_width}px`);
  // the today line and the data-date line, over the whole height
  for (const [cls, d, label] of [
    ['bs-marker bs-marker-today', iso(new Date()), s.today],
    ['bs-marker bs-marker-datadate', currentDataDate, s.dataDate],
  ]) {
    const x = gantt.posFromDate(day(d));
    const m = el(cls, x, 0, 2, height, `${label}: ${d}`);
    const t = document.createElement('span');
    t.className = 'bs-marker-label';
    t.textContent = label;
    m.appendChild(t);
    out.push(m);
  }
  layer.replaceChildren(...out);
  // how many times the layer was drawn: the journeys and the benchmark wait for it
  root.dataset.drawn = String(Number(root.dataset.drawn ?? 0) + 1);
  // the last draw's time only (a long session draws the layer at every scroll)
  performance.clearMarks('bs:layer');
  performance.mark('bs:layer');
  // the links' type and lag as a tooltip
  root.querySelectorAll<HTMLElement>('.gantt_task_link[link_id]').forEach((e) => {
    const id = e.getAttribute('link_id')!;
    if (gantt.isLinkExists(id)) e.title = linkText(gantt.getLink(id));
  });
}

let currentDataDate = iso(new Date());

export interface GanttProps {
  schedule: Schedule;
  steps: Step[];
  forecast: Forecast | null;
  /** the current plan, drawn under a changed one (the what-if planner) */
  baseline?: Schedule | null;
  selected?: string;
  onSelect: (key: string) => void;
}

export default function ProjectGantt({ schedule, steps, forecast, baseline, selected, onSelect }: GanttProps) {
  const ref = useRef<HTMLDivElement>(null);
  const selectRef = useRef(onSelect);
  selectRef.current = onSelect;

  useEffect(() => {
    configure();
    const s = S();
    const c = gantt.config as any;
    c.columns = [
      { name: 'text', label: s.step, tree: true, width: 220 },
      { name: 'start', label: s.start, width: 100, align: 'center', template: (t: any) => (t.bs_lane || !t.start_date ? '' : iso(t.start_date)) },
      {
        name: 'float',
        label: s.float,
        width: 80,
        align: 'right',
        template: (t: any) => {
          const st: Step | undefined = t.bs;
          if (!st) return '';
          if (st.status === 'done') return s.done;
          if (st.total_float === null) return '';
          return st.total_float < 0 ? `${st.total_float} ${s.knelpunt}` : String(st.total_float);
        },
      },
    ];
    c.scales = [
      { unit: 'year', step: 1, format: '%Y' },
      { unit: 'month', step: 1, format: (d: Date) => s.months[d.getMonth()] },
    ];
    (gantt as any).i18n?.setLocale?.(lang.get() === 'nl' ? 'nl' : 'en');
    const t0 = performance.now();
    gantt.init(ref.current!);
    performance.clearMeasures('bs:gantt-init');
    performance.measure('bs:gantt-init', { start: t0 });
    // one layer draw per frame, however many render events dhtmlx fires in it
    let pending = 0;
    const redraw = () => {
      if (!pending)
        pending = requestAnimationFrame(() => {
          pending = 0;
          if (ref.current) drawLayer(ref.current);
        });
    };
    // The chart's keyboard navigation focuses its active row again after a redraw or a
    // selection (in a timeout of its own): it may do so only while the focus is in the chart,
    // never take it from a control elsewhere or from nowhere (WCAG 2.1 SC 3.2.1/3.2.2: no change
    // of context the user did not ask for; a what-if run redraws the chart while the user is in
    // its form).
    const nav = (gantt as any).ext?.keyboardNavigation;
    const focusGuard = nav?.attachEvent?.('onBeforeFocus', () => {
      const a = document.activeElement;
      return !!a && a !== document.body && !!ref.current?.contains(a);
    });
    const ids = [
      gantt.attachEvent('onTaskClick', (id: string) => {
        if (!String(id).startsWith('lane:')) selectRef.current(String(id));
        return true;
      }),
      gantt.attachEvent('onTaskDblClick', () => false),
      gantt.attachEvent('onBeforeLightbox', () => false),
      gantt.attachEvent('onGanttRender', redraw),
      gantt.attachEvent('onDataRender', redraw),
      gantt.attachEvent('onGanttScroll', redraw),
    ];
    gantt.addShortcut(
      'enter',
      (e: any) => {
        const id = (gantt as any).locate(e) ?? gantt.getSelectedId();
        if (id && !String(id).startsWith('lane:')) selectRef.current(String(id));
      },
      'taskRow',
    );
    (window as any).bsGantt = gantt; // the journeys compare the bands with gantt.posFromDate
    return () => {
      if (pending) cancelAnimationFrame(pending);
      ids.forEach((i) => gantt.detachEvent(i));
      if (focusGuard) nav.detachEvent(focusGuard);
      gantt.clearAll();
    };
  }, [lang.get()]);

  useEffect(() => {
    currentDataDate = schedule.data_date;
    bands = new Map((forecast?.milestones ?? []).filter((m) => m.p50 && m.p80).map((m) => [m.key, { p50: m.p50!, p80: m.p80! }]));
    baselines = new Map((baseline?.steps ?? []).map((b) => [b.key, b]));
    const { data, links } = taskData(schedule, steps);
    gantt.clearAll();
    const dates = steps.flatMap((s) => [stepStart(s), stepFinish(s), s.late_finish]).filter(Boolean) as string[];
    for (const b of baselines.values()) dates.push(...([stepStart(b), stepFinish(b)].filter(Boolean) as string[]));
    for (const b of bands.values()) dates.push(b.p80);
    dates.push(schedule.data_date);
    dates.sort();
    if (dates.length) {
      const from = day(dates[0]);
      from.setMonth(from.getMonth() - 1, 1);
      const to = day(dates[dates.length - 1]);
      to.setMonth(to.getMonth() + 2, 1);
      (gantt.config as any).start_date = from;
      (gantt.config as any).end_date = to;
    }
    const t1 = performance.now();
    gantt.parse({ data, links }); // parse renders the initialised chart (and fires onDataRender)
    performance.clearMeasures('bs:gantt-parse');
    performance.measure('bs:gantt-parse', { start: t1 });
  }, [schedule, steps, forecast, baseline, lang.get()]);

  useEffect(() => {
    if (selected && gantt.isTaskExists(selected)) gantt.selectTask(selected);
  }, [selected, schedule]);

  return <div ref={ref} class="bs-gantt" />;
}
