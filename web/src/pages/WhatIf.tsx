// What-if planner (/projects/{id}/what-if): a manager changes a link (type, lag), a duration or a
// constraint, and sees what the engine computes — each milestone's shift in working days, its
// P50/P80 forecast before and after, the project finish — as a table and as the Gantt chart of
// the changed plan over the current one. Saved as a named scenario, two scenarios are compared
// side by side, one is applied with a reason (the project's history records it), one is deleted.
//
// Nothing is computed here: every change is sent to POST …/what-if (all changes so far, in
// order), and the page draws the answer. A refused change is shown at the control of the field
// the server names (invalid_params "changes[i].lag" → the lag field) and is not added.
import './project.css';
import './whatif.css';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { api, ApiError, type Page } from '../lib/api';
import { fmtDate, lang, strings } from '../lib/i18n';
import { linkClick } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit, type FormError } from '../components/form';
import type { Change, Forecast, HistoryEntry, Link, Project, Scenario, Schedule, Step, WhatIfResult } from './projectTypes';
import type { GanttProps } from './ProjectGantt';
import { DataTable } from '../components/table';

const S = strings({
  nl: {
    loading: 'Laden…',
    back: 'Terug naar het project',
    title: (n: string) => `Wat-als-planning: ${n}`,
    intro: 'Wijzig een koppeling, een duur of een beperking en zie wat de planning ervan maakt. De server rekent elke wijziging door; er verandert niets aan het project tot een scenario wordt toegepast.',
    notFound: 'Dit project bestaat niet of u heeft er geen toegang toe.',
    changes: 'Wijzigingen',
    noChanges: 'Nog geen wijzigingen: u ziet het huidige plan.',
    add: 'Wijziging toevoegen',
    kind: 'Soort wijziging',
    kinds: { set_link: 'Koppeling (type of wachttijd)', set_duration: 'Duur van een stap', set_constraint: 'Beperking van een stap' } as Record<string, string>,
    link: 'Koppeling',
    type: 'Nieuw type',
    types: {
      FS: 'FS — einde → begin (na elkaar)',
      SS: 'SS — begin → begin (tegelijk beginnen)',
      FF: 'FF — einde → einde (tegelijk klaar)',
      SF: 'SF — begin → einde',
    } as Record<string, string>,
    lag: 'Wachttijd',
    lagHint: 'Hele dagen; negatief is een voorsprong',
    lagUnit: 'Eenheid van de wachttijd',
    units: { working_days: 'werkdagen', calendar_days: 'kalenderdagen' } as Record<string, string>,
    step: 'Stap',
    duration: 'Nieuwe duur',
    durationHint: (d: string) => `Nu: ${d}`,
    snet: 'Niet eerder beginnen dan',
    fnlt: 'Uiterlijk klaar op',
    dateHint: 'JJJJ-MM-DD; leeg: geen',
    compute: 'Doorrekenen',
    pickedStep: (n: string) => `Gekozen in het diagram: ${n}. Het formulier stelt deze stap voor.`,
    pickHint: 'Tip: kies een stap in het diagram (klik of Enter); het formulier stelt hem dan voor.',
    computing: 'Bezig met doorrekenen…',
    remove: 'Verwijderen',
    removeChange: (n: number) => `Wijziging ${n} verwijderen`,
    errors: 'De wijziging is niet doorgerekend',
    effects: 'Gevolgen',
    effectsOf: (n: string) => `Gevolgen van scenario ‘${n}’`,
    finish: 'Einde project',
    current: 'Huidig plan',
    whatIf: 'Wat-als',
    shift: 'Verschil (werkdagen)',
    earlier: (n: number) => `${n} werkdagen eerder`,
    later: (n: number) => `${n} werkdagen later`,
    same: 'gelijk',
    p50: 'Prognose P50',
    p80: 'Prognose P80',
    daysShift: 'verschil (kalenderdagen)',
    calDays: (n: number | null) => `${signed(n)} kalenderdagen`,
    forecastError: 'De prognose kon niet worden berekend:',
    milestone: 'Mijlpaal',
    milestones: 'Mijlpalen: huidig plan en wat-als',
    chart: 'Gantt-diagram: wat-als over het huidige plan',
    legend: 'Legenda',
    legendItems: ['wat-als (balk)', 'huidig plan (gestippelde omtrek)', 'prognose P50–P80 wat-als', 'kritieke stap'],
    scenarios: 'Scenario’s',
    save: 'Opslaan als scenario',
    name: 'Naam van het scenario',
    scenarioName: 'Naam',
    saved: (n: string) => `Scenario ‘${n}’ is opgeslagen.`,
    saveErrors: 'Het scenario is niet opgeslagen',
    none: 'Nog geen scenario’s.',
    createdBy: 'Gemaakt door',
    createdAt: 'Gemaakt op',
    appliedAt: 'Toegepast op',
    actions: 'Acties',
    view: 'Bekijken',
    viewing: (n: string) => `Scenario ‘${n}’ doorgerekend.`,
    del: 'Verwijderen',
    confirmDel: 'Ja, verwijderen',
    cancel: 'Annuleren',
    deleted: (n: string) => `Scenario ‘${n}’ is verwijderd.`,
    compare: 'Twee scenario’s vergelijken',
    a: 'Scenario A',
    b: 'Scenario B',
    compareBtn: 'Vergelijken',
    comparison: (a: string, b: string) => `Vergelijking: ‘${a}’ en ‘${b}’`,
    cmpDate: 'datum (verschil in werkdagen)',
    cmpP50: 'prognose P50 (verschil in kalenderdagen)',
    apply: 'Scenario toepassen',
    applyHint: 'De wijzigingen van het scenario worden de planning van het project, met de reden in de geschiedenis.',
    applyScenario: 'Scenario',
    reason: 'Reden',
    reasonHint: 'Waarom; komt in de geschiedenis (leeg: “scenario … applied”)',
    applyBtn: 'Toepassen',
    applied: (n: string) => `Scenario ‘${n}’ is toegepast; de planning is bijgewerkt.`,
    applyErrors: 'Het scenario is niet toegepast',
    leadOnly: 'Alleen een projectleider kan een scenario toepassen.',
    history: 'Geschiedenis van de planning',
    historyHint: 'De laatste wijzigingen, nieuwste eerst.',
    noHistory: 'Nog geen wijzigingen.',
    when: 'Wanneer',
    who: 'Wie',
    what: 'Wat',
    why: 'Reden',
    busy: 'Bezig…',
    yes: 'ja',
  },
  en: {
    loading: 'Loading…',
    back: 'Back to the project',
    title: (n: string) => `What-if planning: ${n}`,
    intro: 'Change a link, a duration or a constraint and see what the schedule makes of it. The server computes every change; nothing changes in the project until a scenario is applied.',
    notFound: 'This project does not exist or you have no access to it.',
    changes: 'Changes',
    noChanges: 'No changes yet: you see the current plan.',
    add: 'Add a change',
    kind: 'Kind of change',
    kinds: { set_link: 'Link (type or lag)', set_duration: 'Duration of a step', set_constraint: 'Constraint of a step' } as Record<string, string>,
    link: 'Link',
    type: 'New type',
    types: {
      FS: 'FS — finish → start (one after the other)',
      SS: 'SS — start → start (start together)',
      FF: 'FF — finish → finish (finish together)',
      SF: 'SF — start → finish',
    } as Record<string, string>,
    lag: 'Lag',
    lagHint: 'Whole days; negative is a lead',
    lagUnit: 'Unit of the lag',
    units: { working_days: 'working days', calendar_days: 'calendar days' } as Record<string, string>,
    step: 'Step',
    duration: 'New duration',
    durationHint: (d: string) => `Now: ${d}`,
    snet: 'Start no earlier than',
    fnlt: 'Finish no later than',
    dateHint: 'YYYY-MM-DD; empty: none',
    compute: 'Compute',
    pickedStep: (n: string) => `Picked in the chart: ${n}. The form proposes this step.`,
    pickHint: 'Tip: pick a step in the chart (click or Enter); the form then proposes it.',
    computing: 'Computing…',
    remove: 'Remove',
    removeChange: (n: number) => `Remove change ${n}`,
    errors: 'The change was not computed',
    effects: 'Effects',
    effectsOf: (n: string) => `Effects of scenario ‘${n}’`,
    finish: 'Project finish',
    current: 'Current plan',
    whatIf: 'What-if',
    shift: 'Shift (working days)',
    earlier: (n: number) => `${n} working days earlier`,
    later: (n: number) => `${n} working days later`,
    same: 'unchanged',
    p50: 'Forecast P50',
    p80: 'Forecast P80',
    daysShift: 'shift (calendar days)',
    calDays: (n: number | null) => `${signed(n)} calendar days`,
    forecastError: 'The forecast could not be computed:',
    milestone: 'Milestone',
    milestones: 'Milestones: current plan and what-if',
    chart: 'Gantt chart: what-if over the current plan',
    legend: 'Legend',
    legendItems: ['what-if (bar)', 'current plan (dashed outline)', 'forecast P50–P80 what-if', 'critical step'],
    scenarios: 'Scenarios',
    save: 'Save as scenario',
    name: 'Name of the scenario',
    scenarioName: 'Name',
    saved: (n: string) => `Scenario ‘${n}’ has been saved.`,
    saveErrors: 'The scenario was not saved',
    none: 'No scenarios yet.',
    createdBy: 'Created by',
    createdAt: 'Created on',
    appliedAt: 'Applied on',
    actions: 'Actions',
    view: 'View',
    viewing: (n: string) => `Scenario ‘${n}’ computed.`,
    del: 'Delete',
    confirmDel: 'Yes, delete',
    cancel: 'Cancel',
    deleted: (n: string) => `Scenario ‘${n}’ has been deleted.`,
    compare: 'Compare two scenarios',
    a: 'Scenario A',
    b: 'Scenario B',
    compareBtn: 'Compare',
    comparison: (a: string, b: string) => `Comparison: ‘${a}’ and ‘${b}’`,
    cmpDate: 'date (shift in working days)',
    cmpP50: 'forecast P50 (shift in calendar days)',
    apply: 'Apply a scenario',
    applyHint: 'The scenario’s changes become the project’s plan, with the reason in the history.',
    applyScenario: 'Scenario',
    reason: 'Reason',
    reasonHint: 'Why; kept in the history (empty: “scenario … applied”)',
    applyBtn: 'Apply',
    applied: (n: string) => `Scenario ‘${n}’ has been applied; the plan is updated.`,
    applyErrors: 'The scenario was not applied',
    leadOnly: 'Only a project leader can apply a scenario.',
    history: 'History of the plan',
    historyHint: 'The latest changes, newest first.',
    noHistory: 'No changes yet.',
    when: 'When',
    who: 'Who',
    what: 'What',
    why: 'Reason',
    busy: 'Busy…',
    yes: 'yes',
  },
});

type GanttC = ComponentType<GanttProps>;
let ganttModule: Promise<GanttC> | null = null;
function loadGantt(): Promise<GanttC> {
  ganttModule ??= import('./ProjectGantt').then((m) => m.default);
  return ganttModule;
}

const base = (id: string) => `/api/v1/projects/${encodeURIComponent(id)}`;

/** The change's fields → the form control that edits them (a refusal of changes[i].FIELD). */
const CONTROL: Record<string, string> = {
  op: 'wi-kind',
  pred: 'wi-link',
  succ: 'wi-link',
  current_type: 'wi-link',
  type: 'wi-type',
  lag: 'wi-lag',
  lag_unit: 'wi-lag-unit',
  step: 'wi-step',
  duration: 'wi-duration',
  start_no_earlier_than: 'wi-snet',
  finish_no_later_than: 'wi-fnlt',
};

/** A number when the text is an integer, else the text itself (the server says what is wrong). */
function num(v: string): number | string {
  return /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
}

function signed(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n > 0 ? `+${n}` : String(n);
}

interface Data {
  project: Project;
  schedule: Schedule;
  forecast: Forecast | null;
}

export default function WhatIf({ params }: { params: Record<string, string> }) {
  const user = useRequireLogin();
  useSignal(lang);
  const s = S();
  const id = params.id;
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [changes, setChanges] = useState<Change[]>([]);
  const [result, setResult] = useState<WhatIfResult | null>(null);
  const [viewing, setViewing] = useState<Scenario | null>(null);
  const [scenarios, setScenarios] = useState<Scenario[] | null>(null);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [Gantt, setGantt] = useState<GanttC | null>(null);
  const [announce, setAnnounce] = useState('');
  const [version, setVersion] = useState(0);
  // a step picked in the chart (click or Enter on its row): the form proposes it
  const [picked, setPicked] = useState<{ key: string; n: number } | null>(null);
  // after a change is removed whose button leaves the page, the focus goes to the list's heading
  // (not to the page's body, where the next Tab would start at the top)
  const removed = useRef(false);
  useLayoutEffect(() => {
    if (!removed.current) return;
    removed.current = false;
    const a = document.activeElement;
    if (!a || a === document.body || !a.isConnected) document.getElementById('wi-changes-title')?.focus();
  }, [changes]);

  useEffect(() => {
    if (!user) return;
    let live = true;
    (async () => {
      try {
        const project = await api<Project>('GET', base(id));
        const [schedule, forecast] = await Promise.all([
          api<Schedule>('GET', `${base(id)}/schedule`),
          api<Forecast>('GET', `${base(id)}/forecast`).catch(() => null),
        ]);
        if (live) setData({ project, schedule, forecast });
      } catch (e) {
        if (live) setError(e instanceof ApiError && e.status === 404 ? s.notFound : String((e as Error).message ?? e));
      }
    })();
    return () => {
      live = false;
    };
  }, [id, user, version]);

  const loadScenarios = () =>
    api<Page<Scenario>>('GET', `${base(id)}/scenarios?page_size=500`)
      .then((p) => setScenarios(p.results))
      .catch(() => setScenarios(null));
  const loadHistory = () =>
    api<{ results: HistoryEntry[] }>('GET', `${base(id)}/history`)
      .then((h) => setHistory(h.results.slice(-20).reverse()))
      .catch(() => setHistory(null));
  useEffect(() => {
    if (!user || !data || data.project.access === 'public' || data.project.access === 'stream') return;
    loadScenarios();
    loadHistory();
  }, [id, user, data]);

  useEffect(() => {
    loadGantt().then((g) => setGantt(() => g));
  }, []);

  const names = useMemo(() => new Map((data?.schedule.steps ?? []).map((x) => [x.key, x.name])), [data]);

  if (error)
    return (
      <section>
        <h1 class="utrecht-heading-1">{s.title('')}</h1>
        <p class="utrecht-paragraph" role="alert">
          {error}
        </p>
      </section>
    );
  if (!data) return <p aria-live="polite">{s.loading}</p>;
  const { project, schedule, forecast } = data;
  const canSave = project.access === 'lead' || project.access === 'write';
  const canApply = project.access === 'lead';
  const name = (k: unknown) => names.get(String(k)) ?? String(k);

  /** Runs the what-if of next; on success it becomes the page's list of changes. */
  const run = async (next: Change[]): Promise<void> => {
    if (!next.length) {
      setChanges([]);
      setResult(null);
      setViewing(null);
      return;
    }
    const r = await api<WhatIfResult>('POST', `${base(id)}/what-if`, { changes: next });
    setChanges(next);
    setResult(r);
    setViewing(null);
    setAnnounce(finishText(r));
  };

  const finishText = (r: WhatIfResult) => {
    const n = r.project_finish_shift_working_days;
    const shift = n === null ? '' : n < 0 ? s.earlier(-n) : n > 0 ? s.later(n) : s.same;
    return `${s.finish}: ${fmtDate(r.project_finish_before)} → ${fmtDate(r.project_finish_after)} (${shift})`;
  };

  return (
    <div class="bs-whatif">
      <p class="utrecht-paragraph">
        <a href={`/projects/${encodeURIComponent(id)}`} onClick={linkClick}>
          ← {s.back}
        </a>
      </p>
      <h1 class="utrecht-heading-1">{s.title(project.name)}</h1>
      <p class="utrecht-paragraph bs-whatif-intro">{s.intro}</p>
      <div class="bs-sr-status" role="status" aria-live="polite" data-testid="announce">
        {announce}
      </div>

      <section class="bs-whatif-changes" aria-labelledby="wi-changes-title">
        <h2 class="utrecht-heading-2" id="wi-changes-title" tabIndex={-1}>
          {s.changes}
        </h2>
        <div class="bs-whatif-top">
          <ChangeForm schedule={schedule} onRun={(c) => run([...changes, c])} index={changes.length} picked={picked} />
          <div>
          {changes.length ? (
            <ol class="bs-change-list" data-testid="changes">
              {changes.map((c, i) => (
                <li key={i}>
                  <span>{describe(c, name)}</span>{' '}
                  <RemoveButton label={s.removeChange(i + 1)} text={s.remove} onRemove={async () => {
                      removed.current = true;
                      try {
                        await run(changes.filter((_, j) => j !== i));
                      } catch (e) {
                        removed.current = false;
                        throw e;
                      }
                    }}
                  />
                </li>
              ))}
            </ol>
          ) : (
            <p class="utrecht-paragraph bs-muted">{s.noChanges}</p>
          )}
          {canSave && changes.length ? <SaveForm projectId={id} changes={changes} onSaved={(n) => (setAnnounce(s.saved(n)), loadScenarios())} /> : null}
          </div>
        </div>
      </section>

      <section class="bs-whatif-effects" aria-labelledby="wi-effects-title">
        <h2 class="utrecht-heading-2" id="wi-effects-title">
          {viewing ? s.effectsOf(viewing.name) : s.effects}
        </h2>
        {result ? <Summary r={result} /> : null}
        <ul class="bs-legend" aria-label={s.legend}>
          {s.legendItems.map((l, i) => (
            <li key={i}>
              <span class={`bs-legend-swatch bs-wi-legend-${i}`} aria-hidden="true" />
              {l}
            </li>
          ))}
        </ul>
        <div class="bs-gantt-wrap" role="region" aria-label={s.chart}>
          {Gantt ? (
            <Gantt
              schedule={result ? result.schedule : schedule}
              steps={(result ? result.schedule : schedule).steps}
              forecast={result ? whatIfBands(result) : forecast}
              baseline={result ? schedule : null}
              selected={picked?.key}
              onSelect={(key) => {
                setPicked((p) => ({ key, n: (p?.n ?? 0) + 1 }));
                setAnnounce(s.pickedStep(name(key)));
              }}
            />
          ) : (
            <p>{s.loading}</p>
          )}
        </div>
        {result ? <ShiftTable r={result} name={name} /> : null}
      </section>

      {scenarios ? (
        <Scenarios
          projectId={id}
          scenarios={scenarios}
          canApply={canApply}
          name={name}
          onView={(r) => {
            setResult(r);
            setViewing(r.scenario ?? null);
            setChanges([]);
            setAnnounce(`${s.viewing(r.scenario?.name ?? '')} ${finishText(r)}`);
          }}
          onDeleted={(sc) => {
            setAnnounce(s.deleted(sc.name));
            if (viewing?.id === sc.id) {
              setViewing(null);
              setResult(null);
            }
            loadScenarios();
          }}
          onApplied={(sc) => {
            setAnnounce(s.applied(sc.name));
            setResult(null);
            setViewing(null);
            setChanges([]);
            setVersion((v) => v + 1);
          }}
        />
      ) : null}

      {history ? (
        <section class="bs-whatif-history" aria-labelledby="wi-history-title">
          <h2 class="utrecht-heading-2" id="wi-history-title">
            {s.history}
          </h2>
          <p class="utrecht-paragraph bs-muted">{s.historyHint}</p>
          {history.length ? (
            <DataTable labelledBy="wi-history-title" class="utrecht-table bs-history" testid="wi-history" heads={[s.when, s.who, s.what, s.why]}>
              {history.map((h) => (
                <tr class="utrecht-table__row" key={h.id}>
                  <td class="utrecht-table__cell">{new Date(h.changed_at).toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB')}</td>
                  <td class="utrecht-table__cell">{h.changed_by ?? '—'}</td>
                  <td class="utrecht-table__cell">
                    {h.step ? `${name(h.step)}: ` : ''}
                    {h.field} {h.old_value ?? '—'} → {h.new_value ?? '—'}
                  </td>
                  <td class="utrecht-table__cell">{h.reason ?? '—'}</td>
                </tr>
              ))}
            </DataTable>
          ) : (
            <p class="utrecht-paragraph">{s.noHistory}</p>
          )}
        </section>
      ) : null}
    </div>
  );
}

/** The what-if's P50–P80 bands as the chart's forecast (the milestones' what-if quantiles). */
function whatIfBands(r: WhatIfResult): Forecast | null {
  if (!r.forecast_shifts) return null;
  const c = r.forecast_shifts.completion;
  return {
    completion: { planned: r.project_finish_after, p50: c.what_if_p50, p80: c.what_if_p80 },
    milestones: r.forecast_shifts.milestones.map((m) => ({ key: m.key ?? '', name: '', status: '', planned: null, p50: m.what_if_p50, p80: m.what_if_p80 })),
  };
}

/** A change in words, with the steps' names. */
function describe(c: Change, name: (k: unknown) => string): string {
  const s = S();
  if (c.op === 'set_link') {
    const lag = c.lag !== undefined ? `, ${s.lag.toLowerCase()} ${c.lag} ${s.units[String(c.lag_unit ?? 'working_days')] ?? c.lag_unit}` : '';
    return `${name(c.pred)} → ${name(c.succ)}: ${c.current_type ? `${c.current_type} → ` : ''}${c.type ?? ''}${lag}`;
  }
  if (c.op === 'set_duration') return `${s.kinds.set_duration}: ${name(c.step)} = ${c.duration}`;
  if (c.op === 'set_constraint')
    return `${name(c.step)}: ${s.snet.toLowerCase()} ${c.start_no_earlier_than ?? '—'}, ${s.fnlt.toLowerCase()} ${c.finish_no_later_than ?? '—'}`;
  return JSON.stringify(c);
}

function RemoveButton({ label, text, onRemove }: { label: string; text: string; onRemove: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class="utrecht-button utrecht-button--subtle bs-link-button"
      aria-label={label}
      aria-busy={busy ? 'true' : undefined}
      onClick={async () => {
        if (busy) return;
        setBusy(true);
        try {
          await onRemove();
        } catch {
          /* the list stays as it was */
        } finally {
          setBusy(false);
        }
      }}
    >
      {text}
    </button>
  );
}

/** The form of one change; onRun sends all changes with this one appended. */
function ChangeForm({ schedule, onRun, index, picked }: { schedule: Schedule; onRun: (c: Change) => Promise<void>; index: number; picked: { key: string; n: number } | null }) {
  const s = S();
  const f = useProblem();
  const links: Link[] = schedule.links ?? [];
  const linkKey = (l: Link) => `${l.pred}|${l.succ}|${l.type}`;
  const steps = schedule.steps.filter((x) => x.status !== 'done' && x.status !== 'skipped');
  const durable = steps.filter((x) => !x.milestone);
  const [kind, setKind] = useState('set_link');
  const [link, setLink] = useState(links[0] ? linkKey(links[0]) : '');
  const current = links.find((l) => linkKey(l) === link);
  const [type, setType] = useState('SS');
  const [lag, setLag] = useState(String(current?.lag ?? 0));
  const [lagUnit, setLagUnit] = useState(current?.lag_unit ?? 'working_days');
  const [step, setStep] = useState(durable[0]?.key ?? '');
  const [duration, setDuration] = useState('');
  const [snet, setSnet] = useState('');
  const [fnlt, setFnlt] = useState('');
  const [busy, setBusy] = useState(false);
  const stepList = kind === 'set_duration' ? durable : steps;
  const st: Step | undefined = schedule.steps.find((x) => x.key === step);
  const name = (k: string) => schedule.steps.find((x) => x.key === k)?.name ?? k;

  const pickLink = (v: string) => {
    setLink(v);
    const l = links.find((x) => linkKey(x) === v);
    if (l) {
      setLag(String(l.lag));
      setLagUnit(l.lag_unit);
    }
  };
  const pickStep = (v: string) => {
    setStep(v);
    const x = schedule.steps.find((y) => y.key === v);
    setSnet(x?.start_no_earlier_than ?? '');
    setFnlt(x?.finish_no_later_than ?? '');
  };

  // a step picked in the chart: its first link (as predecessor, else as successor), or the step itself
  useEffect(() => {
    if (!picked) return;
    if (kind === 'set_link') {
      const l = links.find((x) => x.pred === picked.key) ?? links.find((x) => x.succ === picked.key);
      if (l) pickLink(linkKey(l));
    } else if ((kind === 'set_duration' ? durable : steps).some((x) => x.key === picked.key)) pickStep(picked.key);
  }, [picked]);

  const build = (): Change => {
    if (kind === 'set_link') {
      const l = current;
      return { op: 'set_link', pred: l?.pred ?? '', succ: l?.succ ?? '', current_type: l?.type, type, lag: num(lag), lag_unit: lagUnit };
    }
    if (kind === 'set_duration') return { op: 'set_duration', step, duration: num(duration) };
    return { op: 'set_constraint', step, start_no_earlier_than: snet.trim() || null, finish_no_later_than: fnlt.trim() || null };
  };

  /** changes[index].FIELD → that field's control; changes → the form */
  const errorsOf = (e: unknown): FormError[] => {
    if (!(e instanceof ApiError)) return [{ message: 'Network error' }];
    const out: FormError[] = [];
    const prefix = `changes[${index}].`;
    for (const p of e.problem.invalid_params ?? []) {
      const field = p.name.startsWith(prefix) ? p.name.slice(prefix.length) : p.name;
      out.push({ id: CONTROL[field], field, message: p.reason });
    }
    if (!out.length) out.push({ message: e.problem.detail || e.message });
    return out;
  };

  return (
    <form
      class="bs-change-form"
      noValidate
      aria-labelledby="wi-add-title"
      data-testid="change-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        f.clear();
        try {
          await onRun(build());
          setDuration('');
        } catch (err) {
          f.set(errorsOf(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 class="utrecht-heading-3" id="wi-add-title">
        {s.add}
      </h3>
      <p class="utrecht-paragraph bs-muted">{s.pickHint}</p>
      <ErrorSummary errors={f.errors} title={s.errors} />
      <Field
        id="wi-kind"
        as="select"
        label={s.kind}
        value={kind}
        onValue={(v) => {
          setKind(v);
          if (v === 'set_constraint') pickStep(step);
        }}
        error={f.at('op')}
        options={Object.entries(s.kinds)}
      />
      {kind === 'set_link' ? (
        <>
          <Field
            id="wi-link"
            as="select"
            label={s.link}
            value={link}
            onValue={pickLink}
            error={f.at('pred') ?? f.at('succ') ?? f.at('current_type')}
            options={links.map((l) => [linkKey(l), `${name(l.pred)} → ${name(l.succ)} (${l.type}${l.lag ? `, ${l.lag} ${s.units[l.lag_unit] ?? l.lag_unit}` : ''})`] as [string, string])}
          />
          <div class="bs-field-row">
            <Field id="wi-type" as="select" label={s.type} value={type} onValue={setType} error={f.at('type')} options={Object.entries(s.types)} />
            <Field id="wi-lag" label={s.lag} hint={s.lagHint} value={lag} onValue={setLag} error={f.at('lag')} inputMode="numeric" class="bs-field-short" />
            <Field id="wi-lag-unit" as="select" label={s.lagUnit} value={lagUnit} onValue={setLagUnit} error={f.at('lag_unit')} options={Object.entries(s.units)} />
          </div>
        </>
      ) : (
        <Field
          id="wi-step"
          as="select"
          label={s.step}
          value={stepList.some((x) => x.key === step) ? step : ''}
          onValue={pickStep}
          error={f.at('step')}
          options={[['', '—'] as [string, string], ...stepList.map((x) => [x.key, x.name] as [string, string])]}
        />
      )}
      {kind === 'set_duration' ? (
        <Field
          id="wi-duration"
          label={s.duration}
          hint={st && st.duration !== undefined && st.duration !== null ? s.durationHint(`${st.duration} ${s.units[st.unit ?? ''] ?? st.unit ?? ''}`) : undefined}
          value={duration}
          onValue={setDuration}
          error={f.at('duration')}
          inputMode="numeric"
          class="bs-field-short"
        />
      ) : null}
      {kind === 'set_constraint' ? (
        <div class="bs-field-row">
          <Field id="wi-snet" label={s.snet} hint={s.dateHint} value={snet} onValue={setSnet} error={f.at('start_no_earlier_than')} />
          <Field id="wi-fnlt" label={s.fnlt} hint={s.dateHint} value={fnlt} onValue={setFnlt} error={f.at('finish_no_later_than')} />
        </div>
      ) : null}
      <SubmitButton busy={busy} busyLabel={s.computing}>
        {s.compute}
      </SubmitButton>
    </form>
  );
}

function Summary({ r }: { r: WhatIfResult }) {
  const s = S();
  const n = r.project_finish_shift_working_days;
  const c = r.forecast_shifts?.completion;
  return (
    <>
      <dl class="bs-facts bs-whatif-summary" data-testid="finish-summary">
        <div>
          <dt>
            {s.finish}: {s.current.toLowerCase()}
          </dt>
          <dd data-testid="finish-before" data-date={r.project_finish_before ?? ''}>
            {fmtDate(r.project_finish_before)}
          </dd>
        </div>
        <div>
          <dt>
            {s.finish}: {s.whatIf.toLowerCase()}
          </dt>
          <dd data-testid="finish-after" data-date={r.project_finish_after ?? ''}>
            {fmtDate(r.project_finish_after)}
          </dd>
        </div>
        <div>
          <dt>{s.shift}</dt>
          <dd data-testid="finish-shift" data-value={n === null ? '' : String(n)} class={n !== null && n < 0 ? 'bs-earlier' : n !== null && n > 0 ? 'bs-later' : ''}>
            {signed(n)} ({n === null ? '—' : n < 0 ? s.earlier(-n) : n > 0 ? s.later(n) : s.same})
          </dd>
        </div>
        {c ? (
          <>
            <div>
              <dt>{s.p50}</dt>
              <dd data-testid="completion-p50">
                {fmtDate(c.p50)} → {fmtDate(c.what_if_p50)} ({s.calDays(c.p50_days)})
              </dd>
            </div>
            <div>
              <dt>{s.p80}</dt>
              <dd data-testid="completion-p80">
                {fmtDate(c.p80)} → {fmtDate(c.what_if_p80)} ({s.calDays(c.p80_days)})
              </dd>
            </div>
          </>
        ) : null}
      </dl>
      {r.forecast_error ? (
        <p class="utrecht-paragraph bs-warning">
          {s.forecastError} {r.forecast_error}
        </p>
      ) : null}
    </>
  );
}

function ShiftTable({ r, name }: { r: WhatIfResult; name: (k: unknown) => string }) {
  const s = S();
  const fc = new Map((r.forecast_shifts?.milestones ?? []).map((m) => [m.key, m]));
  return (
    <DataTable
      labelledBy="wi-shifts-caption"
      caption={s.milestones}
      captionClass="utrecht-table__caption"
      class="utrecht-table bs-plan-table bs-shift-table"
      testid="shift-table"
      heads={[s.milestone, s.current, s.whatIf, s.shift, `${s.p50}: ${s.current.toLowerCase()} → ${s.whatIf.toLowerCase()}`, s.daysShift, `${s.p80}: ${s.current.toLowerCase()} → ${s.whatIf.toLowerCase()}`, s.daysShift]}
    >
      {r.milestone_shifts.map((m) => {
        const f = fc.get(m.step);
        const moved = (m.shift_working_days ?? 0) !== 0;
        return (
          <tr class={`utrecht-table__row${moved ? ' bs-row-moved' : ''}`} key={m.step} data-key={m.step}>
            <th class="utrecht-table__header-cell" scope="row">
              {name(m.step)}
            </th>
            <td class="utrecht-table__cell" data-col="before">
              {m.before ?? ''}
            </td>
            <td class="utrecht-table__cell" data-col="after">
              {m.after ?? ''}
            </td>
            <td class="utrecht-table__cell bs-num" data-col="shift">
              {signed(m.shift_working_days)}
            </td>
            <td class="utrecht-table__cell" data-col="p50">
              {f?.p50 ? `${f.p50} → ${f.what_if_p50}` : ''}
            </td>
            <td class="utrecht-table__cell bs-num" data-col="p50-days">
              {f?.p50 ? signed(f.p50_days) : ''}
            </td>
            <td class="utrecht-table__cell" data-col="p80">
              {f?.p80 ? `${f.p80} → ${f.what_if_p80}` : ''}
            </td>
            <td class="utrecht-table__cell bs-num" data-col="p80-days">
              {f?.p80 ? signed(f.p80_days) : ''}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

function SaveForm({ projectId, changes, onSaved }: { projectId: string; changes: Change[]; onSaved: (name: string) => void }) {
  const s = S();
  const f = useProblem();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="bs-save-form"
      noValidate
      aria-labelledby="wi-save-title"
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        f.clear();
        try {
          await api('POST', `${base(projectId)}/scenarios`, { name, changes });
          onSaved(name);
          setName('');
        } catch (err) {
          f.fromError(err, { name: 'sc-name' });
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 class="utrecht-heading-3" id="wi-save-title">
        {s.save}
      </h3>
      <ErrorSummary errors={f.errors} title={s.saveErrors} />
      <Field id="sc-name" label={s.name} value={name} onValue={setName} error={f.at('name')} />
      <SubmitButton busy={busy} busyLabel={s.busy}>
        {s.save}
      </SubmitButton>
    </form>
  );
}

interface ScenariosProps {
  projectId: string;
  scenarios: Scenario[];
  canApply: boolean;
  name: (k: unknown) => string;
  onView: (r: WhatIfResult) => void;
  onDeleted: (sc: Scenario) => void;
  onApplied: (sc: Scenario) => void;
}

function Scenarios({ projectId, scenarios, canApply, name, onView, onDeleted, onApplied }: ScenariosProps) {
  const s = S();
  const [confirm, setConfirm] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const rowError = useProblem();
  const when = (t: string | null) => (t ? new Date(t).toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB') : '—');
  const act = async (sc: Scenario, what: 'view' | 'delete') => {
    if (busy) return;
    setBusy(`${what}:${sc.id}`);
    rowError.clear();
    try {
      if (what === 'view') onView(await api<WhatIfResult>('GET', `${base(projectId)}/scenarios/${sc.id}/compare`));
      else {
        await api('DELETE', `${base(projectId)}/scenarios/${sc.id}`);
        setConfirm(null);
        onDeleted(sc);
      }
    } catch (err) {
      rowError.fromError(err, {});
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="bs-scenarios" aria-labelledby="wi-scenarios-title">
      <h2 class="utrecht-heading-2" id="wi-scenarios-title">
        {s.scenarios}
      </h2>
      <ErrorSummary errors={rowError.errors} title={s.errors} />
      {scenarios.length ? (
        <div class="bs-table-wrap">
          <table class="utrecht-table bs-plan-table" data-testid="scenarios">
            <caption class="utrecht-table__caption bs-visually-hidden">{s.scenarios}</caption>
            <thead class="utrecht-table__header">
              <tr class="utrecht-table__row">
                {[s.scenarioName, s.changes, s.createdBy, s.createdAt, s.appliedAt, s.actions].map((h) => (
                  <th class="utrecht-table__header-cell" scope="col" key={h}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody class="utrecht-table__body">
              {scenarios.map((sc) => (
                <tr class="utrecht-table__row" key={sc.id} data-id={sc.id} data-name={sc.name}>
                  <th class="utrecht-table__header-cell" scope="row">
                    {sc.name}
                  </th>
                  <td class="utrecht-table__cell">
                    <ul class="bs-plain-list">
                      {sc.changes.map((c, i) => (
                        <li key={i}>{describe(c, name)}</li>
                      ))}
                    </ul>
                  </td>
                  <td class="utrecht-table__cell">{sc.created_by}</td>
                  <td class="utrecht-table__cell">{when(sc.created_at)}</td>
                  <td class="utrecht-table__cell" data-col="applied">
                    {when(sc.applied_at)}
                  </td>
                  <td class="utrecht-table__cell bs-actions">
                    <button type="button" class="utrecht-button utrecht-button--secondary-action" aria-label={`${s.view}: ${sc.name}`} aria-busy={busy === `view:${sc.id}` ? 'true' : undefined} onClick={() => act(sc, 'view')}>
                      {busy === `view:${sc.id}` ? s.busy : s.view}
                    </button>
                    {confirm === sc.id ? (
                      <>
                        <button type="button" class="utrecht-button utrecht-button--primary-action bs-danger" aria-label={`${s.confirmDel}: ${sc.name}`} onClick={() => act(sc, 'delete')}>
                          {s.confirmDel}
                        </button>
                        <button type="button" class="utrecht-button utrecht-button--subtle" onClick={() => setConfirm(null)}>
                          {s.cancel}
                        </button>
                      </>
                    ) : (
                      <button type="button" class="utrecht-button utrecht-button--subtle" aria-label={`${s.del}: ${sc.name}`} onClick={() => setConfirm(sc.id)}>
                        {s.del}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="utrecht-paragraph">{s.none}</p>
      )}
      {scenarios.length >= 2 ? <Compare projectId={projectId} scenarios={scenarios} name={name} /> : null}
      {scenarios.length ? (
        canApply ? (
          <ApplyForm projectId={projectId} scenarios={scenarios} onApplied={onApplied} />
        ) : (
          <p class="utrecht-paragraph bs-muted">{s.leadOnly}</p>
        )
      ) : null}
    </section>
  );
}

function Compare({ projectId, scenarios, name }: { projectId: string; scenarios: Scenario[]; name: (k: unknown) => string }) {
  const s = S();
  const f = useProblem();
  const [a, setA] = useState(scenarios[0].id);
  const [b, setB] = useState(scenarios[1].id);
  const [res, setRes] = useState<[WhatIfResult, WhatIfResult] | null>(null);
  const opts = scenarios.map((x) => [x.id, x.name] as [string, string]);
  const sub = useSubmit(
    f,
    async () => {
      const [ra, rb] = await Promise.all([a, b].map((x) => api<WhatIfResult>('GET', `${base(projectId)}/scenarios/${x}/compare`)));
      setRes([ra, rb]);
    },
    {},
  );
  return (
    <div class="bs-compare">
      <form
        noValidate
        aria-labelledby="wi-compare-title"
        onSubmit={sub.onSubmit}
      >
        <h3 class="utrecht-heading-3" id="wi-compare-title">
          {s.compare}
        </h3>
        <ErrorSummary errors={f.errors} title={s.errors} />
        <div class="bs-field-row">
          <Field id="cmp-a" as="select" label={s.a} value={a} onValue={setA} options={opts} />
          <Field id="cmp-b" as="select" label={s.b} value={b} onValue={setB} options={opts} />
        </div>
        <SubmitButton busy={sub.busy} busyLabel={s.computing}>
          {s.compareBtn}
        </SubmitButton>
      </form>
      {res ? <CompareTable a={res[0]} b={res[1]} name={name} /> : null}
    </div>
  );
}

function CompareTable({ a, b, name }: { a: WhatIfResult; b: WhatIfResult; name: (k: unknown) => string }) {
  const s = S();
  const an = a.scenario?.name ?? 'A';
  const bn = b.scenario?.name ?? 'B';
  const bByStep = new Map(b.milestone_shifts.map((m) => [m.step, m]));
  const fa = new Map((a.forecast_shifts?.milestones ?? []).map((m) => [m.key, m]));
  const fb = new Map((b.forecast_shifts?.milestones ?? []).map((m) => [m.key, m]));
  const cell = (date: string | null | undefined, shift: number | null | undefined) => (date ? `${date} (${signed(shift)})` : '');
  const p50 = (m: { what_if_p50: string | null; p50_days: number | null } | undefined) => (m?.what_if_p50 ? `${m.what_if_p50} (${signed(m.p50_days)})` : '');
  return (
    <DataTable
      labelledBy="wi-cmp-caption"
      caption={s.comparison(an, bn)}
      captionClass="utrecht-table__caption"
      class="utrecht-table bs-plan-table bs-compare-table"
      testid="compare-table"
      heads={[s.milestone, s.current, `${an}: ${s.cmpDate}`, `${bn}: ${s.cmpDate}`, `${an}: ${s.cmpP50}`, `${bn}: ${s.cmpP50}`]}
    >
      <tr class="utrecht-table__row bs-row-finish" data-key="project_finish">
        <th class="utrecht-table__header-cell" scope="row">
          {s.finish}
        </th>
        <td class="utrecht-table__cell">{a.project_finish_before ?? ''}</td>
        <td class="utrecht-table__cell" data-col="a">
          {cell(a.project_finish_after, a.project_finish_shift_working_days)}
        </td>
        <td class="utrecht-table__cell" data-col="b">
          {cell(b.project_finish_after, b.project_finish_shift_working_days)}
        </td>
        <td class="utrecht-table__cell">{a.forecast_shifts ? p50(a.forecast_shifts.completion) : ''}</td>
        <td class="utrecht-table__cell">{b.forecast_shifts ? p50(b.forecast_shifts.completion) : ''}</td>
      </tr>
      {a.milestone_shifts.map((m) => {
        const mb = bByStep.get(m.step);
        return (
          <tr class="utrecht-table__row" key={m.step} data-key={m.step}>
            <th class="utrecht-table__header-cell" scope="row">
              {name(m.step)}
            </th>
            <td class="utrecht-table__cell">{m.before ?? ''}</td>
            <td class="utrecht-table__cell" data-col="a">
              {cell(m.after, m.shift_working_days)}
            </td>
            <td class="utrecht-table__cell" data-col="b">
              {cell(mb?.after, mb?.shift_working_days)}
            </td>
            <td class="utrecht-table__cell">{p50(fa.get(m.step))}</td>
            <td class="utrecht-table__cell">{p50(fb.get(m.step))}</td>
          </tr>
        );
      })}
    </DataTable>
  );
}

function ApplyForm({ projectId, scenarios, onApplied }: { projectId: string; scenarios: Scenario[]; onApplied: (sc: Scenario) => void }) {
  const s = S();
  const f = useProblem();
  const [sid, setSid] = useState(scenarios[0].id);
  const [reason, setReason] = useState('');
  const chosen = scenarios.find((x) => x.id === sid) ?? scenarios[0];
  const sub = useSubmit(
    f,
    async () => {
      await api('POST', `${base(projectId)}/scenarios/${chosen.id}/apply`, reason ? { reason } : {});
      setReason('');
      onApplied(chosen);
    },
    { reason: 'ap-reason', scenario_id: 'ap-scenario', changes: 'ap-scenario' },
  );
  return (
    <form
      class="bs-apply-form"
      noValidate
      aria-labelledby="wi-apply-title"
      onSubmit={sub.onSubmit}
    >
      <h3 class="utrecht-heading-3" id="wi-apply-title">
        {s.apply}
      </h3>
      <p class="utrecht-paragraph bs-muted">{s.applyHint}</p>
      <ErrorSummary errors={f.errors} title={s.applyErrors} />
      <Field id="ap-scenario" as="select" label={s.applyScenario} value={chosen.id} onValue={setSid} error={f.at('scenario_id') ?? f.at('changes')} options={scenarios.map((x) => [x.id, x.name] as [string, string])} />
      <Field id="ap-reason" as="textarea" label={s.reason} hint={s.reasonHint} value={reason} onValue={setReason} error={f.at('reason')} />
      <SubmitButton busy={sub.busy} busyLabel={s.busy}>
        {s.applyBtn}
      </SubmitButton>
    </form>
  );
}
