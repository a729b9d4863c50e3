// Project page (/projects/{id}, /projects/{id}/steps/{key}): the header, the plan of both streams
// as a Gantt chart (lazy: ProjectGantt loads dhtmlx-gantt) or as a table, the step panel (details,
// history, start / complete / correct with a reason), the plan as known on a date (known_on),
// schedule checks and members. What the page asks depends on the caller's access (docs/security.md
// §3–§5): an external developer with only `stream` access gets only the private stream and asks
// for nothing it may not read (no forecast, history, checks or members).
import './project.css';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { api, ApiError } from '../lib/api';
import { loadProject, type ProjectData } from '../lib/projectData';
import { fmtDate, fmtNumber, lang, strings } from '../lib/i18n';
import { linkClick, navigate } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem } from '../components/form';
import type { Check, HistoryEntry, Member, Project as ProjectT, Schedule, Step } from './projectTypes';
import type { GanttProps } from './ProjectGantt';
import { ProjectBlocks } from './ProjectBlocks';
import { ProjectPlusvelden } from './ProjectPlusvelden';
import { DataTable } from '../components/table';

const S = strings({
  nl: {
    loading: 'Laden…',
    gemeente: 'Gemeente',
    planstatus: 'Planstatus',
    homes: 'Woningen',
    confidentiality: 'Vertrouwelijkheid',
    progress: 'Voortgangsdatum',
    dataDate: 'Peildatum',
    finish: 'Geplande afronding',
    forecast: 'Prognose afronding (P50–P80)',
    plan: 'Planning van beide stromen',
    planStream: 'Planning van uw stroom',
    chart: 'Gantt-diagram',
    table: 'Tabel',
    view: 'Weergave',
    knownOn: 'Plan zoals bekend op',
    knownOnHint: 'JJJJ-MM-DD; leeg: het huidige plan',
    show: 'Toon',
    current: 'Huidig plan',
    asOf: (d: string) => `U ziet het plan zoals het bekend was op ${d}. Wijzigen kan alleen in het huidige plan.`,
    legend: 'Legenda',
    legendItems: ['kritieke stap', 'knelpunt (negatieve speling)', 'speling tot laatste einde', 'prognose P50–P80 van een mijlpaal', 'werkelijk', 'vandaag', 'peildatum'],
    step: 'Stap',
    stream: 'Stroom',
    status: 'Status',
    start: 'Begin',
    end: 'Einde',
    lateFinish: 'Laatste einde',
    float: 'Speling (werkdagen)',
    critical: 'Kritiek',
    actual: 'Werkelijk',
    band: 'P50–P80',
    yes: 'ja',
    no: 'nee',
    public: 'gemeente',
    private: 'ontwikkelaar',
    knelpunt: 'knelpunt',
    checks: 'Controles van de planning',
    check: 'Controle',
    progressOn: (d: string, m: number) => `voortgang ${d} (uiterlijk elke ${m} maanden)`,
    result: 'Resultaat',
    pass: 'in orde',
    fail: 'aandacht nodig',
    members: 'Leden',
    name: 'Naam',
    role: 'Rol',
    notFound: 'Dit project bestaat niet of u heeft er geen toegang toe.',
    updated: 'De planning is bijgewerkt.',
    stepUnknown: 'Deze stap staat niet in de planning die u kunt zien.',
    statusNames: { open: 'open', started: 'gestart', done: 'gereed', skipped: 'vervalt' } as Record<string, string>,
    whatIf: 'Wat-als-planning en scenario’s',
    schemaVersion: (k: string, v: number) => `Processchema ${k}, versie ${v}`,
    migrate: 'Naar een andere versie van het proces',
    follow: 'Meldingen en agenda van dit project',
  },
  en: {
    loading: 'Loading…',
    gemeente: 'Municipality',
    planstatus: 'Plan status',
    homes: 'Homes',
    confidentiality: 'Confidentiality',
    progress: 'Progress date',
    dataDate: 'Data date',
    finish: 'Planned completion',
    forecast: 'Forecast completion (P50–P80)',
    plan: 'Plan of both streams',
    planStream: 'Plan of your stream',
    chart: 'Gantt chart',
    table: 'Table',
    view: 'View',
    knownOn: 'Plan as known on',
    knownOnHint: 'YYYY-MM-DD; empty: the current plan',
    show: 'Show',
    current: 'Current plan',
    asOf: (d: string) => `You see the plan as it was known on ${d}. Changes are made in the current plan only.`,
    legend: 'Legend',
    legendItems: ['critical step', 'bottleneck (negative float)', 'float up to late finish', 'forecast P50–P80 of a milestone', 'actual', 'today', 'data date'],
    step: 'Step',
    stream: 'Stream',
    status: 'Status',
    start: 'Start',
    end: 'Finish',
    lateFinish: 'Late finish',
    float: 'Float (working days)',
    critical: 'Critical',
    actual: 'Actual',
    band: 'P50–P80',
    yes: 'yes',
    no: 'no',
    public: 'municipality',
    private: 'developer',
    knelpunt: 'bottleneck',
    checks: 'Schedule checks',
    check: 'Check',
    progressOn: (d: string, m: number) => `progress ${d} (at least every ${m} months)`,
    result: 'Result',
    pass: 'passes',
    fail: 'needs attention',
    members: 'Members',
    name: 'Name',
    role: 'Role',
    notFound: 'This project does not exist or you have no access to it.',
    updated: 'The plan has been updated.',
    stepUnknown: 'This step is not in the plan you can see.',
    statusNames: { open: 'open', started: 'started', done: 'done', skipped: 'skipped' } as Record<string, string>,
    whatIf: 'What-if planning and scenarios',
    schemaVersion: (k: string, v: number) => `Process schema ${k}, version ${v}`,
    migrate: 'Move to another version of the process',
    follow: 'Alerts and calendar of this project',
  },
});

const P = strings({
  nl: {
    close: 'Sluit de stap',
    details: 'Gegevens',
    duration: 'Duur',
    history: 'Geschiedenis',
    noHistory: 'Nog geen wijzigingen.',
    when: 'Wanneer',
    who: 'Wie',
    what: 'Wat',
    why: 'Reden',
    knownFrom: 'Bekend vanaf',
    startTitle: 'Stap starten',
    completeTitle: 'Stap afronden',
    correctTitle: 'Datum corrigeren',
    date: 'Datum',
    dateHint: 'JJJJ-MM-DD',
    reason: 'Reden',
    reasonHint: 'Waarom; komt in de geschiedenis',
    reasonOptional: 'Reden (niet verplicht)',
    field: 'Welke datum',
    newDate: 'Nieuwe datum (leeg: wissen)',
    startBtn: 'Start registreren',
    completeBtn: 'Afronding registreren',
    correctBtn: 'Correctie opslaan',
    busy: 'Bezig…',
    errors: 'Er ging iets mis',
    oosWarn: (preds: string) => `Deze stap wacht nog op: ${preds}. Registreert u hem toch, dan noteert de server hem als buiten volgorde.`,
    oosConfirm: 'Ik bevestig: buiten volgorde registreren',
    oosNeeded: 'Bevestig eerst dat u de stap buiten volgorde registreert.',
    oosServer: 'De server heeft deze stap geregistreerd als buiten volgorde (voorgangers nog niet gereed).',
    readOnly: 'U kunt deze stap niet wijzigen.',
    fields: {
      actual_start: 'werkelijk begin',
      actual_finish: 'werkelijk einde',
      planned_start: 'gepland begin',
      planned_finish: 'gepland einde',
      start_no_earlier_than: 'niet eerder beginnen dan',
      finish_no_later_than: 'uiterlijk klaar op',
    } as Record<string, string>,
  },
  en: {
    close: 'Close the step',
    details: 'Details',
    duration: 'Duration',
    history: 'History',
    noHistory: 'No changes yet.',
    when: 'When',
    who: 'Who',
    what: 'What',
    why: 'Reason',
    knownFrom: 'Known from',
    startTitle: 'Start the step',
    completeTitle: 'Complete the step',
    correctTitle: 'Correct a date',
    date: 'Date',
    dateHint: 'YYYY-MM-DD',
    reason: 'Reason',
    reasonHint: 'Why; kept in the history',
    reasonOptional: 'Reason (optional)',
    field: 'Which date',
    newDate: 'New date (empty: clear)',
    startBtn: 'Record the start',
    completeBtn: 'Record the completion',
    correctBtn: 'Save the correction',
    busy: 'Busy…',
    errors: 'Something went wrong',
    oosWarn: (preds: string) => `This step still waits for: ${preds}. If you record it anyway, the server marks it out of sequence.`,
    oosConfirm: 'I confirm: record out of sequence',
    oosNeeded: 'First confirm that you record the step out of sequence.',
    oosServer: 'The server recorded this step out of sequence (predecessors not done yet).',
    readOnly: 'You cannot change this step.',
    fields: {
      actual_start: 'actual start',
      actual_finish: 'actual finish',
      planned_start: 'planned start',
      planned_finish: 'planned finish',
      start_no_earlier_than: 'start no earlier than',
      finish_no_later_than: 'finish no later than',
    } as Record<string, string>,
  },
});

type GanttC = ComponentType<GanttProps>;
let ganttModule: Promise<GanttC> | null = null;
function loadGantt(): Promise<GanttC> {
  ganttModule ??= import('./ProjectGantt').then((m) => m.default);
  return ganttModule;
}

type Data = ProjectData;

/** The steps the page shows: with only stream access, only the private stream. */
function visibleSteps(d: Data): Step[] {
  if (d.project.access === 'stream' || d.schedule.view === 'stream') return d.schedule.steps.filter((s) => s.stream === 'private');
  return d.schedule.steps;
}

function canWrite(p: ProjectT, st: Step): boolean {
  if (p.access === 'lead' || p.access === 'write') return true;
  return p.stream_access && st.stream === 'private';
}

export default function Project({ params }: { params: Record<string, string> }) {
  const user = useRequireLogin();
  useSignal(lang);
  const s = S();
  const id = params.id;
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const [knownOn, setKnownOn] = useState('');
  const [knownOnInput, setKnownOnInput] = useState('');
  const [knownOnError, setKnownOnError] = useState<string | undefined>();
  const [Gantt, setGantt] = useState<GanttC | null>(null);
  const [announce, setAnnounce] = useState('');
  const [version, setVersion] = useState(0);

  useEffect(() => {
    if (!user) return;
    let live = true;
    loadProject(id, knownOn)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null); // a known_on refusal stays at its field until the user sends another date
      })
      .catch((e) => {
        if (!live) return;
        if (e instanceof ApiError && e.fieldMessage('known_on')) {
          setKnownOnError(e.fieldMessage('known_on'));
          setKnownOn('');
        } else setError(e instanceof ApiError && e.status === 404 ? s.notFound : String(e.message ?? e));
      });
    return () => {
      live = false;
    };
  }, [id, knownOn, user, version]);

  useEffect(() => {
    if (view === 'chart') loadGantt().then((g) => setGantt(() => g));
  }, [view]);

  const steps = useMemo(() => (data ? visibleSteps(data) : []), [data]);
  if (error)
    return (
      <section>
        <h1 class="utrecht-heading-1">Project</h1>
        <p class="utrecht-paragraph" role="alert">
          {error}
        </p>
      </section>
    );
  if (!data) return <p aria-live="polite">{s.loading}</p>;
  const { project, schedule, forecast } = data;
  const selected = params.step ? steps.find((x) => x.key === params.step) : undefined;
  const bands = new Map((forecast?.milestones ?? []).map((m) => [m.key, m]));
  const select = (key: string) => navigate(`/projects/${encodeURIComponent(id)}/steps/${encodeURIComponent(key)}`);

  return (
    <div class={`bs-project${selected ? ' bs-project--panel' : ''}`}>
      <header class="bs-project-header">
        <h1 class="utrecht-heading-1">{project.name}</h1>
        <dl class="bs-facts">
          <div>
            <dt>{s.gemeente}</dt>
            <dd>{project.gemeente}</dd>
          </div>
          <div>
            <dt>{s.planstatus}</dt>
            <dd>{project.planstatus_raw || project.planstatus}</dd>
          </div>
          <div>
            <dt>{s.homes}</dt>
            <dd>{fmtNumber(project.homes_remaining)}</dd>
          </div>
          <div>
            <dt>{s.confidentiality}</dt>
            <dd>{project.confidentiality.replace(/_/g, ' ')}</dd>
          </div>
          <div>
            <dt>{s.progress}</dt>
            <dd data-testid="progress-date">{fmtDate(schedule.progress_date)}</dd>
          </div>
          <div>
            <dt>{s.dataDate}</dt>
            <dd data-testid="data-date">{fmtDate(schedule.data_date)}</dd>
          </div>
          {schedule.project_finish ? (
            <div>
              <dt>{s.finish}</dt>
              <dd data-testid="project-finish">{fmtDate(schedule.project_finish)}</dd>
            </div>
          ) : null}
          {forecast?.completion?.p50 ? (
            <div>
              <dt>{s.forecast}</dt>
              <dd>
                {fmtDate(forecast.completion.p50)} – {fmtDate(forecast.completion.p80)}
              </dd>
            </div>
          ) : null}
        </dl>
        {project.access === 'lead' || project.access === 'write' || project.access === 'read' ? (
          <p class="bs-project-links">
            <a href={`/projects/${encodeURIComponent(id)}/what-if`} onClick={linkClick} class="utrecht-button-link utrecht-button-link--secondary-action">
              {s.whatIf}
            </a>
            <a href={`/settings/calendar?project_id=${encodeURIComponent(id)}`} onClick={linkClick}>
              {s.follow}
            </a>
            {project.process_schema_key && project.process_schema_version ? (
              <a href={`/schemas/${encodeURIComponent(project.process_schema_key)}/versions/${project.process_schema_version}`} onClick={linkClick} data-testid="schema-link">
                {s.schemaVersion(project.process_schema_key, project.process_schema_version)}
              </a>
            ) : null}
            {project.access === 'lead' ? (
              <a href={`/projects/${encodeURIComponent(id)}/migrate`} onClick={linkClick} data-testid="migrate-link">
                {s.migrate}
              </a>
            ) : null}
          </p>
        ) : null}
      </header>

      <div class="bs-sr-status" role="status" aria-live="polite">
        {announce}
      </div>

      <div class="bs-project-body">
        <section class="bs-plan" aria-labelledby="bs-plan-title">
          <div class="bs-plan-toolbar">
            <h2 class="utrecht-heading-2" id="bs-plan-title">
              {project.access === 'stream' ? s.planStream : s.plan}
            </h2>
            <div role="group" aria-label={s.view} class="bs-toggle">
              <button type="button" class="utrecht-button utrecht-button--secondary-action" aria-pressed={view === 'chart'} onClick={() => setView('chart')}>
                {s.chart}
              </button>
              <button type="button" class="utrecht-button utrecht-button--secondary-action" aria-pressed={view === 'table'} onClick={() => setView('table')}>
                {s.table}
              </button>
            </div>
            <form
              class="bs-knownon"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                setKnownOnError(undefined);
                setKnownOn(knownOnInput);
              }}
            >
              <Field id="known-on" label={s.knownOn} hint={s.knownOnHint} error={knownOnError} value={knownOnInput} onValue={setKnownOnInput} />
              <button type="submit" class="utrecht-button utrecht-button--secondary-action">
                {s.show}
              </button>
              {knownOn ? (
                <button
                  type="button"
                  class="utrecht-button utrecht-button--subtle"
                  onClick={() => {
                    setKnownOnInput('');
                    setKnownOn('');
                  }}
                >
                  {s.current}
                </button>
              ) : null}
            </form>
          </div>
          {knownOn ? (
            <p class="utrecht-paragraph bs-asof" data-testid="as-of">
              {s.asOf(fmtDate(knownOn))}
            </p>
          ) : null}
          {view === 'chart' ? (
            <>
              <ul class="bs-legend" aria-label={s.legend}>
                {s.legendItems.map((l, i) => (
                  <li key={i}>
                    <span class={`bs-legend-swatch bs-legend-${i}`} aria-hidden="true" />
                    {l}
                  </li>
                ))}
              </ul>
              <div class="bs-gantt-wrap" role="region" aria-label={s.chart}>
                {Gantt ? <Gantt schedule={schedule} steps={steps} forecast={forecast} selected={selected?.key} onSelect={select} /> : <p>{s.loading}</p>}
              </div>
            </>
          ) : (
            <PlanTable id={id} steps={steps} bands={bands} />
          )}
        </section>

        {params.step && !selected ? (
          <p class="utrecht-paragraph bs-warning" role="alert" data-testid="step-unknown">
            {s.stepUnknown}
          </p>
        ) : null}
        {selected ? (
          <StepPanel
            key={selected.key + knownOn}
            project={project}
            schedule={schedule}
            step={selected}
            steps={steps}
            knownOn={knownOn}
            onChanged={(msg) => {
              setAnnounce(msg);
              setVersion((v) => v + 1);
            }}
          />
        ) : null}
      </div>

      {data.checks ? <Checks checks={data.checks} /> : null}
      {project.access === 'lead' || project.access === 'write' || project.access === 'read' ? (
        <ProjectBlocks project={id} writable={project.access !== 'read' && !knownOn} steps={schedule.steps} />
      ) : null}
      {project.access === 'lead' || project.access === 'write' || project.access === 'read' ? (
        <ProjectPlusvelden key={id} project={id} writable={project.access !== 'read' && !knownOn} />
      ) : null}
      {data.members ? <Members members={data.members} /> : null}
    </div>
  );
}

function PlanTable({ id, steps, bands }: { id: string; steps: Step[]; bands: Map<string, { p50: string | null; p80: string | null }> }) {
  const s = S();
  return (
    <DataTable labelledBy="bs-plan-table-caption" caption={s.plan} captionClass="utrecht-table__caption" class="utrecht-table bs-plan-table" heads={[s.step, s.stream, s.status, s.start, s.end, s.lateFinish, s.float, s.critical, s.actual, s.band]}>
      {steps.map((st) => {
        const b = bands.get(st.key);
        return (
          <tr class={`utrecht-table__row${st.critical ? ' bs-row-critical' : ''}`} key={st.key} data-key={st.key}>
            <th class="utrecht-table__header-cell" scope="row">
              <a href={`/projects/${encodeURIComponent(id)}/steps/${encodeURIComponent(st.key)}`} onClick={linkClick}>
                {st.name}
              </a>
            </th>
            <td class="utrecht-table__cell">{st.stream === 'public' ? s.public : s.private}</td>
            <td class="utrecht-table__cell">{s.statusNames[st.status] ?? st.status}</td>
            <td class="utrecht-table__cell" data-col="start">
              {st.actual_start ?? st.early_start ?? ''}
            </td>
            <td class="utrecht-table__cell" data-col="finish">
              {st.actual_finish ?? st.early_finish ?? ''}
            </td>
            <td class="utrecht-table__cell">{st.late_finish ?? ''}</td>
            <td class="utrecht-table__cell" data-col="float">
              {st.total_float === null ? '' : st.total_float < 0 ? `${st.total_float} (${s.knelpunt})` : st.total_float}
            </td>
            <td class="utrecht-table__cell" data-col="critical">
              {st.critical ? s.yes : s.no}
            </td>
            <td class="utrecht-table__cell">{st.actual_start || st.actual_finish ? `${st.actual_start ?? '…'} – ${st.actual_finish ?? '…'}` : ''}</td>
            <td class="utrecht-table__cell" data-col="band">
              {b?.p50 ? `${b.p50} – ${b.p80}` : ''}
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

function Checks({ checks }: { checks: Check[] }) {
  const s = S();
  return (
    <section class="bs-checks" aria-labelledby="bs-checks-title">
      <h2 class="utrecht-heading-2" id="bs-checks-title">
        {s.checks}
      </h2>
      <table class="utrecht-table">
        <thead class="utrecht-table__header">
          <tr class="utrecht-table__row">
            <th class="utrecht-table__header-cell" scope="col">
              {s.check}
            </th>
            <th class="utrecht-table__header-cell" scope="col">
              %
            </th>
            <th class="utrecht-table__header-cell" scope="col">
              {s.result}
            </th>
          </tr>
        </thead>
        <tbody class="utrecht-table__body">
          {checks.map((c) => (
            <tr class="utrecht-table__row" key={c.name}>
              <th class="utrecht-table__header-cell" scope="row">
                {c.name.replace(/_/g, ' ')} <span class="bs-muted">({c.models})</span>
              </th>
              <td class="utrecht-table__cell">
                {c.percent === undefined
                  ? c.progress_date
                    ? s.progressOn(fmtDate(c.progress_date), c.max_months ?? 0)
                    : `${c.count}/${c.total}`
                  : `${c.count}/${c.total} = ${fmtNumber(Math.round(c.percent * 10) / 10)}%`}
              </td>
              <td class="utrecht-table__cell">
                {c.pass ? s.pass : s.fail}
                {!c.pass && c.steps?.length ? `: ${c.steps.join(', ')}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Members({ members }: { members: Member[] }) {
  const s = S();
  return (
    <section class="bs-members" aria-labelledby="bs-members-title">
      <h2 class="utrecht-heading-2" id="bs-members-title">
        {s.members}
      </h2>
      <ul class="utrecht-unordered-list">
        {members.map((m) => (
          <li key={m.user_id}>
            {m.name || m.email} — {m.role}
          </li>
        ))}
      </ul>
    </section>
  );
}

interface PanelProps {
  project: ProjectT;
  schedule: Schedule;
  step: Step;
  steps: Step[];
  knownOn: string;
  onChanged: (msg: string) => void;
}

function StepPanel({ project, schedule, step, knownOn, onChanged }: PanelProps) {
  const s = S();
  const p = P();
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const showHistory = project.access !== 'stream';
  useEffect(() => {
    heading.current?.focus();
  }, [step.key]);
  useEffect(() => {
    if (!showHistory) return;
    api<{ results: HistoryEntry[] }>('GET', `/api/v1/projects/${encodeURIComponent(project.id)}/history?step=${encodeURIComponent(step.key)}`)
      .then((h) => setHistory(h.results))
      .catch(() => setHistory(null));
  }, [step.key, schedule]);
  const waitingFor = (schedule.links ?? [])
    .filter((l) => l.succ === step.key)
    .map((l) => schedule.steps.find((x) => x.key === l.pred))
    .filter((x): x is Step => !!x && x.status !== 'done' && x.status !== 'skipped' && !x.actual_finish)
    .map((x) => x.name);
  const writable = canWrite(project, step) && !knownOn;

  return (
    <aside class="bs-step-panel" aria-labelledby="bs-step-title">
      <div class="bs-step-panel-head">
        <h2 class="utrecht-heading-2" id="bs-step-title" tabIndex={-1} ref={heading}>
          {step.name}
        </h2>
        <a href={`/projects/${encodeURIComponent(project.id)}`} onClick={linkClick} class="bs-close">
          {p.close}
        </a>
      </div>
      <h3 class="utrecht-heading-3">{p.details}</h3>
      <dl class="bs-step-facts" data-testid="step-facts">
        <dt>{s.stream}</dt>
        <dd>{step.stream === 'public' ? s.public : s.private}</dd>
        <dt>{s.status}</dt>
        <dd data-testid="step-status">{s.statusNames[step.status] ?? step.status}</dd>
        <dt>{s.start}</dt>
        <dd data-testid="step-start">{step.actual_start ?? step.early_start ?? '—'}</dd>
        <dt>{s.end}</dt>
        <dd data-testid="step-finish">{step.actual_finish ?? step.early_finish ?? '—'}</dd>
        <dt>{s.lateFinish}</dt>
        <dd>{step.late_finish ?? '—'}</dd>
        <dt>{s.float}</dt>
        <dd>{step.total_float ?? '—'}</dd>
        <dt>{s.critical}</dt>
        <dd>{step.critical ? s.yes : s.no}</dd>
        {step.duration !== undefined && step.duration !== null ? (
          <>
            <dt>{p.duration}</dt>
            <dd>
              {step.duration} {step.unit?.replace(/_/g, ' ')}
            </dd>
          </>
        ) : null}
      </dl>
      {step.out_of_sequence ? (
        <p class="utrecht-paragraph bs-warning" data-testid="oos-server">
          {p.oosServer}
        </p>
      ) : null}
      {writable ? (
        <>
          {step.status !== 'done' && !step.actual_start && !step.milestone ? (
            <DateForm kind="start" project={project} step={step} waitingFor={waitingFor} onChanged={onChanged} />
          ) : null}
          {step.status !== 'done' ? <DateForm kind="complete" project={project} step={step} waitingFor={waitingFor} onChanged={onChanged} /> : null}
          <CorrectForm project={project} step={step} onChanged={onChanged} />
        </>
      ) : (
        <p class="utrecht-paragraph bs-muted">{knownOn ? S().asOf(fmtDate(knownOn)) : p.readOnly}</p>
      )}
      {showHistory ? (
        <section aria-labelledby="bs-history-title">
          <h3 class="utrecht-heading-3" id="bs-history-title">
            {p.history}
          </h3>
          {history && history.length ? (
            <table class="utrecht-table bs-history" data-testid="history">
              <thead class="utrecht-table__header">
                <tr class="utrecht-table__row">
                  {[p.when, p.who, p.what, p.why, p.knownFrom].map((h) => (
                    <th class="utrecht-table__header-cell" scope="col" key={h}>
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody class="utrecht-table__body">
                {history.map((h) => (
                  <tr class="utrecht-table__row" key={h.id}>
                    <td class="utrecht-table__cell">{new Date(h.changed_at).toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB')}</td>
                    <td class="utrecht-table__cell">{h.changed_by ?? '—'}</td>
                    <td class="utrecht-table__cell">
                      {h.field}: {h.old_value ?? '—'} → {h.new_value ?? '—'}
                    </td>
                    <td class="utrecht-table__cell">{h.reason ?? '—'}</td>
                    <td class="utrecht-table__cell">{h.known_from}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="utrecht-paragraph">{history ? p.noHistory : '…'}</p>
          )}
        </section>
      ) : null}
    </aside>
  );
}

function DateForm({ kind, project, step, waitingFor, onChanged }: { kind: 'start' | 'complete'; project: ProjectT; step: Step; waitingFor: string[]; onChanged: (m: string) => void }) {
  const p = P();
  const f = useProblem();
  const [date, setDate] = useState('');
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const idp = `${kind}-`;
  const needsConfirm = waitingFor.length > 0;
  return (
    <form
      class="bs-step-form"
      data-testid={`form-${kind}`}
      noValidate
      aria-labelledby={`${idp}title`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        if (needsConfirm && !confirm) {
          f.set([{ id: `${idp}confirm`, field: 'confirm', message: p.oosNeeded }]);
          return;
        }
        setBusy(true);
        f.clear();
        try {
          const body: Record<string, string> = { date };
          if (reason) body.reason = reason;
          const r = await api<Schedule>('POST', `/api/v1/projects/${encodeURIComponent(project.id)}/steps/${encodeURIComponent(step.key)}/${kind}`, body);
          onChanged(`${S().updated}${r.out_of_sequence?.includes(step.key) ? ' ' + p.oosServer : ''}`);
        } catch (err) {
          f.fromError(err, { date: `${idp}date`, reason: `${idp}reason` }, 'Network error');
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 class="utrecht-heading-3" id={`${idp}title`}>
        {kind === 'start' ? p.startTitle : p.completeTitle}
      </h3>
      <ErrorSummary errors={f.errors} title={p.errors} />
      <Field id={`${idp}date`} label={p.date} hint={p.dateHint} error={f.at('date')} value={date} onValue={setDate} />
      <Field id={`${idp}reason`} as="textarea" label={p.reasonOptional} hint={p.reasonHint} error={f.at('reason')} value={reason} onValue={setReason} />
      {needsConfirm ? (
        <div class="bs-oos" data-testid={`oos-warning-${kind}`}>
          <p class="utrecht-paragraph bs-warning">{p.oosWarn(waitingFor.join(', '))}</p>
          <div class={`utrecht-form-field utrecht-form-field--checkbox${f.at('confirm') ? ' utrecht-form-field--invalid' : ''}`}>
            {f.at('confirm') ? (
              <div class="utrecht-form-field-error-message bs-field-error" id={`${idp}confirm-error`}>
                {f.at('confirm')}
              </div>
            ) : null}
            <input
              type="checkbox"
              id={`${idp}confirm`}
              class="utrecht-checkbox utrecht-checkbox--html-input"
              checked={confirm}
              aria-describedby={f.at('confirm') ? `${idp}confirm-error` : undefined}
              aria-invalid={f.at('confirm') ? 'true' : undefined}
              onChange={(e) => setConfirm((e.currentTarget as HTMLInputElement).checked)}
            />{' '}
            <label class="utrecht-form-label utrecht-form-label--checkbox" for={`${idp}confirm`}>
              {p.oosConfirm}
            </label>
          </div>
        </div>
      ) : null}
      <SubmitButton busy={busy} busyLabel={p.busy}>
        {kind === 'start' ? p.startBtn : p.completeBtn}
      </SubmitButton>
    </form>
  );
}

const CORRECTABLE = ['actual_start', 'actual_finish', 'planned_start', 'planned_finish', 'start_no_earlier_than', 'finish_no_later_than'];

function CorrectForm({ project, step, onChanged }: { project: ProjectT; step: Step; onChanged: (m: string) => void }) {
  const p = P();
  const f = useProblem();
  const [field, setField] = useState(step.actual_finish ? 'actual_finish' : step.actual_start ? 'actual_start' : 'start_no_earlier_than');
  const [date, setDate] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const ids: Record<string, string> = { reason: 'corr-reason', body: 'corr-date' };
  for (const c of CORRECTABLE) ids[c] = 'corr-date';
  return (
    <form
      class="bs-step-form"
      data-testid="form-correct"
      noValidate
      aria-labelledby="corr-title"
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        f.clear();
        try {
          await api('PATCH', `/api/v1/projects/${encodeURIComponent(project.id)}/steps/${encodeURIComponent(step.key)}`, { [field]: date || null, reason });
          onChanged(S().updated);
        } catch (err) {
          f.fromError(err, ids, 'Network error');
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 class="utrecht-heading-3" id="corr-title">
        {p.correctTitle}
      </h3>
      <ErrorSummary errors={f.errors} title={p.errors} />
      <Field id="corr-field" as="select" label={p.field} value={field} onValue={setField} options={CORRECTABLE.map((c) => [c, p.fields[c]] as [string, string])} />
      <Field id="corr-date" label={p.newDate} hint={p.dateHint} error={CORRECTABLE.map((c) => f.at(c)).find(Boolean)} value={date} onValue={setDate} />
      <Field id="corr-reason" as="textarea" label={p.reason} hint={p.reasonHint} error={f.at('reason')} value={reason} onValue={setReason} />
      <SubmitButton busy={busy} busyLabel={p.busy}>
        {p.correctBtn}
      </SubmitButton>
    </form>
  );
}
