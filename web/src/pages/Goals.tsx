// Beleidsdoelen (policy goals; issue 18 item 5, docs/homes-and-goals.md "Beleidsdoelen"):
//   /goals       the goals of the user's organisations; create, change and delete them for the
//                organisation's beheerders and management members (the API's writers)
//   /goals/{id}  one goal's progress: homes planned, P50/P80 homes by the deadline, the probability
//                that it is met (Monte Carlo, projects independent) and the projects that matter
//                most (P(late | missed) − P(late)); a project the user may not read is the
//                anonymous entry the API gives (no name is ever made up here)
// and GoalsOverview, the goals with their probability on the dashboard. GET/POST /api/v1/goals,
// GET/PATCH/DELETE /api/v1/goals/{id}, GET /api/v1/goals/{id}/progress. The first progress may
// take long (every contributing project is forecast once); the page says so while it waits.
import './goals.css';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { lang, strings } from '../lib/i18n';
import { linkClick } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import type { Me } from '../lib/session';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { ConfirmBox } from '../components/confirm';
import { DataTable } from '../components/table';

export interface Goal {
  id: string;
  organisation_id: string;
  name: string;
  measure: 'homes' | 'percentage';
  direction: 'minimum' | 'maximum';
  target: number;
  period: 'by_year' | 'per_year';
  year_from: number | null;
  year_to: number;
  conditions: Record<string, string[]>;
  gemeenten: string[] | null;
}
interface Window {
  year: number;
  planned: number;
  p50: number;
  p80: number;
  mean: number;
  probability_met: number;
}
interface ProgressProject {
  id: string | null;
  name: string | null;
  gemeente: string | null;
  planned: number;
  p_late: number;
  p_late_given_missed: number | null;
  importance: number | null;
}
export interface Progress {
  goal: Goal;
  samples: number;
  probability_met: number;
  windows: Window[];
  projects: ProgressProject[];
  forecasts: { projects: number; computed: number; reused: number; not_forecast: number };
}

const CONDITIONS = ['planstatus', 'plantype', 'gemeente', 'home_type', 'tenure'] as const;
const TOP = 15;

const S = strings({
  nl: {
    title: 'Beleidsdoelen',
    intro: 'Hoeveel woningen de organisatie wil laten opleveren, en wanneer; Bouwstroom berekent hoe waarschijnlijk dat is en van welke projecten het afhangt.',
    loading: 'Laden…',
    errors: 'Er ging iets mis',
    none: 'Er zijn nog geen beleidsdoelen.',
    name: 'Naam',
    goal: 'Doel',
    organisation: 'Organisatie',
    actions: 'Acties',
    add: 'Doel toevoegen',
    addTitle: 'Nieuw beleidsdoel',
    editTitle: (n: string) => `Doel ${n} wijzigen`,
    edit: 'Wijzigen',
    editOf: (n: string) => `${n} wijzigen`,
    del: 'Verwijderen',
    delOf: (n: string) => `${n} verwijderen`,
    delTitle: (n: string) => `Doel ${n} verwijderen?`,
    delText: 'Het doel verdwijnt voor iedereen; de wijziging staat in de auditlog. De projecten en hun gegevens blijven zoals ze zijn.',
    delConfirm: 'Ja, verwijderen',
    deleted: (n: string) => `Doel ${n} is verwijderd.`,
    saved: (n: string) => `Doel ${n} is opgeslagen.`,
    save: 'Opslaan',
    cancel: 'Annuleren',
    measure: 'Maat',
    measures: { homes: 'aantal woningen (netto)', percentage: 'percentage van de woningen' } as Record<string, string>,
    direction: 'Richting',
    directions: { minimum: 'minimaal', maximum: 'maximaal' } as Record<string, string>,
    target: 'Doelwaarde',
    targetHint: 'Woningen, of een percentage (hoogstens 100).',
    period: 'Periode',
    periods: { by_year: 'opgeleverd vóór het einde van een jaar', per_year: 'in elk jaar van een reeks' } as Record<string, string>,
    yearFrom: 'Eerste jaar',
    yearTo: 'Jaar (tot en met)',
    conditions: 'Voorwaarden (optioneel)',
    conditionsHint: 'Codes gescheiden door komma’s; leeg: geen voorwaarde.',
    cond: { planstatus: 'Planstatus (bijv. 1A, 2B)', plantype: 'Plantype (bijv. uitleg, verdichting)', gemeente: 'Gemeente', home_type: 'Woningtype (grondgebonden, meergezins)', tenure: 'Eigendom (huur, koop)' } as Record<string, string>,
    gemeenten: 'Regio: gemeenten (optioneel)',
    gemeentenHint: 'Leeg: de projecten van de organisatie. Gemeenten gescheiden door komma’s: de projecten in die gemeenten.',
    describe: (g: Goal) =>
      `${g.direction === 'maximum' ? 'Hoogstens' : 'Minstens'} ${num(g.target)}${g.measure === 'percentage' ? ' %' : ' woningen'} ${g.period === 'per_year' ? `per jaar, in ${g.year_from}–${g.year_to}` : `opgeleverd vóór 31 december ${g.year_to}`}`,
    back: 'Alle beleidsdoelen',
    computing: 'De voortgang wordt berekend. De eerste keer kan dit een paar minuten duren: elk bijdragend project krijgt een eigen prognose.',
    probability: 'Kans dat het doel wordt gehaald',
    explain: (n: number) =>
      `Uit een Monte-Carlosimulatie van ${num(n)} trekkingen van de prognose van elk project, opgeteld per trekking; de projecten worden als onafhankelijk behandeld (gedeelde oorzaken, zoals een trage raad of een marktdaling, zitten er niet in, en die zouden de kans minder uitgesproken maken).`,
    windows: 'Woningen per deadline',
    year: 'Jaar',
    planned: 'Gepland',
    p50: 'P50',
    p80: 'P80',
    met: 'Kans gehaald',
    windowsNote: 'Gepland: volgens de planning. P50: de mediaan van de trekkingen. P80: gehaald in ten minste 80 % van de trekkingen.',
    projects: 'Projecten die het meest uitmaken',
    projectsNote: (shown: number, all: number) =>
      `Belang = P(te laat | doel gemist) − P(te laat): hoeveel vaker het project te laat is in de trekkingen waarin het doel wordt gemist. ${shown < all ? `De ${shown} belangrijkste van ${all} projecten.` : `Alle ${all} projecten.`}`,
    project: 'Project',
    gemeente: 'Gemeente',
    pLate: 'P(te laat)',
    pLateMissed: 'P(te laat | gemist)',
    importance: 'Belang',
    hidden: 'Vertrouwelijk project (u hebt geen inzage)',
    noProjects: 'Geen project draagt bij aan dit doel.',
    forecasts: (f: Progress['forecasts']) => `${num(f.projects)} projecten; ${num(f.computed)} prognoses berekend, ${num(f.reused)} hergebruikt${f.not_forecast ? `, ${num(f.not_forecast)} niet te voorspellen` : ''}.`,
    never: '—',
    dashTitle: 'Beleidsdoelen',
    dashNote: 'De kans dat elk doel wordt gehaald (Monte Carlo; projecten als onafhankelijk behandeld). Open een doel voor de projecten die het meest uitmaken.',
    dashComputing: 'wordt berekend…',
    dashFailed: 'niet beschikbaar',
    deadline: 'Jaar',
  },
  en: {
    title: 'Policy goals',
    intro: 'How many homes the organisation wants delivered, and when; Bouwstroom computes how likely that is and which projects it depends on.',
    loading: 'Loading…',
    errors: 'Something went wrong',
    none: 'There are no policy goals yet.',
    name: 'Name',
    goal: 'Goal',
    organisation: 'Organisation',
    actions: 'Actions',
    add: 'Add a goal',
    addTitle: 'New policy goal',
    editTitle: (n: string) => `Change goal ${n}`,
    edit: 'Change',
    editOf: (n: string) => `Change ${n}`,
    del: 'Delete',
    delOf: (n: string) => `Delete ${n}`,
    delTitle: (n: string) => `Delete goal ${n}?`,
    delText: 'The goal is gone for everyone; the change is in the audit log. The projects and their data stay as they are.',
    delConfirm: 'Yes, delete',
    deleted: (n: string) => `Goal ${n} has been deleted.`,
    saved: (n: string) => `Goal ${n} has been saved.`,
    save: 'Save',
    cancel: 'Cancel',
    measure: 'Measure',
    measures: { homes: 'number of homes (net)', percentage: 'percentage of the homes' } as Record<string, string>,
    direction: 'Direction',
    directions: { minimum: 'at least', maximum: 'at most' } as Record<string, string>,
    target: 'Target',
    targetHint: 'Homes, or a percentage (at most 100).',
    period: 'Period',
    periods: { by_year: 'delivered by the end of a year', per_year: 'in every year of a range' } as Record<string, string>,
    yearFrom: 'First year',
    yearTo: 'Year (up to and including)',
    conditions: 'Conditions (optional)',
    conditionsHint: 'Codes separated by commas; empty: no condition.',
    cond: { planstatus: 'Plan status (e.g. 1A, 2B)', plantype: 'Plan type (e.g. uitleg, verdichting)', gemeente: 'Municipality', home_type: 'Home type (grondgebonden, meergezins)', tenure: 'Tenure (huur, koop)' } as Record<string, string>,
    gemeenten: 'Region: municipalities (optional)',
    gemeentenHint: 'Empty: the organisation\'s projects. Municipalities separated by commas: the projects in them.',
    describe: (g: Goal) =>
      `${g.direction === 'maximum' ? 'At most' : 'At least'} ${num(g.target)}${g.measure === 'percentage' ? ' %' : ' homes'} ${g.period === 'per_year' ? `per year, in ${g.year_from}–${g.year_to}` : `delivered by 31 December ${g.year_to}`}`,
    back: 'All policy goals',
    computing: 'The progress is being computed. The first time this can take a few minutes: every contributing project gets its own forecast.',
    probability: 'Probability that the goal is met',
    explain: (n: number) =>
      `From a Monte Carlo simulation of ${num(n)} draws of each project's forecast, summed per draw; the projects are treated as independent (shared causes, such as a slow council or a market downturn, are not in it, and they would make the probability less extreme).`,
    windows: 'Homes per deadline',
    year: 'Year',
    planned: 'Planned',
    p50: 'P50',
    p80: 'P80',
    met: 'Probability met',
    windowsNote: 'Planned: by the schedule. P50: the median of the draws. P80: reached in at least 80 % of the draws.',
    projects: 'The projects that matter most',
    projectsNote: (shown: number, all: number) =>
      `Importance = P(late | goal missed) − P(late): how much more often the project is late in the draws where the goal is missed. ${shown < all ? `The ${shown} most important of ${all} projects.` : `All ${all} projects.`}`,
    project: 'Project',
    gemeente: 'Municipality',
    pLate: 'P(late)',
    pLateMissed: 'P(late | missed)',
    importance: 'Importance',
    hidden: 'Confidential project (you have no access)',
    noProjects: 'No project contributes to this goal.',
    forecasts: (f: Progress['forecasts']) => `${num(f.projects)} projects; ${num(f.computed)} forecasts computed, ${num(f.reused)} reused${f.not_forecast ? `, ${num(f.not_forecast)} could not be forecast` : ''}.`,
    never: '—',
    dashTitle: 'Policy goals',
    dashNote: 'The probability that each goal is met (Monte Carlo; projects treated as independent). Open a goal for the projects that matter most.',
    dashComputing: 'being computed…',
    dashFailed: 'not available',
    deadline: 'Year',
  },
});

const loc = () => (lang.get() === 'nl' ? 'nl-NL' : 'en-GB');
/** A figure (homes, or percent) with at most one decimal. */
export function num(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString(loc(), { maximumFractionDigits: 1 });
}
/** A probability (0..1) as a percentage with one decimal: "51,2 %". */
export function pct(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  return `${(p * 100).toLocaleString(loc(), { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
}
/** A difference of probabilities in percentage points with a sign: "+12,5 pp". */
function pp(p: number | null): string {
  if (p === null) return '—';
  const v = (p * 100).toLocaleString(loc(), { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' });
  return `${v} ${lang.get() === 'nl' ? 'procentpunt' : 'pp'}`;
}

function detailOf(e: unknown): string {
  return e instanceof ApiError ? e.problem.detail ?? e.message : String(e);
}

/** The organisations whose goals the user may write (beheerder, management). */
function writable(user: Me): { organisation_id: string; name: string }[] {
  return (user.organisations ?? []).filter((o) => o.role === 'beheerder' || o.role === 'management');
}

export default function GoalsPage({ params }: { params: Record<string, string> }) {
  const user = useRequireLogin();
  useSignal(lang);
  if (!user) return <p aria-live="polite">{S().loading}</p>;
  return params.id ? <GoalDetail id={params.id} /> : <GoalList user={user} />;
}

function GoalList({ user }: { user: Me }) {
  const s = S();
  const orgs = writable(user);
  const names = Object.fromEntries((user.organisations ?? []).map((o) => [o.organisation_id, o.name]));
  const [list, setList] = useState<Goal[] | null>(null);
  const [err, setErr] = useState('');
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<Goal | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Goal | null>(null);
  const [notice, setNotice] = useState('');
  const addRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    api<Page<Goal>>('GET', `/api/v1/goals${qs({ page_size: 100 })}`)
      .then((p) => setList(p.results))
      .catch((e) => setErr(detailOf(e)));
  }, [version]);
  const done = (msg: string) => {
    setEditing(null);
    setDeleting(null);
    setNotice(msg);
    setVersion((v) => v + 1);
    requestAnimationFrame(() => addRef.current?.focus());
  };
  const canWrite = (g: Goal) => orgs.some((o) => o.organisation_id === g.organisation_id);
  return (
    <section class="bs-goals" aria-labelledby="goals-title">
      <h1 class="utrecht-heading-1" id="goals-title">
        {s.title}
      </h1>
      <p class="utrecht-paragraph">{s.intro}</p>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      <p class="utrecht-paragraph bs-notice" role="status" data-testid="goals-notice" hidden={!notice}>
        {notice}
      </p>
      {list === null ? (
        err ? null : <p>{s.loading}</p>
      ) : list.length ? (
        <DataTable labelledBy="goals-title" testid="goals" heads={[s.name, s.goal, s.organisation]} actions={s.actions}>
          {list.map((g) => (
            <tr class="utrecht-table__row" key={g.id} data-id={g.id}>
              <td class="utrecht-table__cell">
                <a href={`/goals/${g.id}`} onClick={linkClick}>
                  {g.name}
                </a>
              </td>
              <td class="utrecht-table__cell">{s.describe(g)}</td>
              <td class="utrecht-table__cell">{names[g.organisation_id] ?? '—'}</td>
              <td class="utrecht-table__cell bs-actions">
                {canWrite(g) ? (
                  <>
                    <button type="button" class="utrecht-button utrecht-button--secondary-action bs-small-button bs-goal-edit" aria-label={s.editOf(g.name)} onClick={() => (setDeleting(null), setNotice(''), setEditing(g))}>
                      {s.edit}
                    </button>{' '}
                    <button type="button" class="utrecht-button utrecht-button--secondary-action bs-small-button bs-goal-delete" aria-label={s.delOf(g.name)} onClick={() => (setEditing(null), setNotice(''), setDeleting(g))}>
                      {s.del}
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p class="utrecht-paragraph">{s.none}</p>
      )}
      {deleting ? <DeleteConfirm goal={deleting} onCancel={() => setDeleting(null)} onDone={done} /> : null}
      {orgs.length ? (
        editing ? (
          <GoalForm key={editing === 'new' ? 'new' : editing.id} goal={editing === 'new' ? null : editing} orgs={orgs} onCancel={() => setEditing(null)} onSaved={(g) => done(s.saved(g.name))} />
        ) : (
          <button type="button" ref={addRef} class="utrecht-button utrecht-button--secondary-action bs-goal-add" onClick={() => (setDeleting(null), setNotice(''), setEditing('new'))}>
            {s.add}
          </button>
        )
      ) : null}
    </section>
  );
}

function DeleteConfirm({ goal, onCancel, onDone }: { goal: Goal; onCancel: () => void; onDone: (m: string) => void }) {
  const s = S();
  return (
    <ConfirmBox
      role="group"
      class="bs-form-box bs-confirm"
      testid="goal-confirm"
      heading="h2"
      titleId="goal-del-title"
      textId="goal-del-text"
      title={s.delTitle(goal.name)}
      text={s.delText}
      focus="title"
      focusKey={goal.id}
      yes={s.delConfirm}
      yesClass="bs-goal-confirm"
      cancel={s.cancel}
      onCancel={onCancel}
      onConfirm={async () => {
        await api('DELETE', `/api/v1/goals/${encodeURIComponent(goal.id)}`);
        onDone(s.deleted(goal.name));
      }}
    />
  );
}

/** A whole number as a number, else the text (the server names what is wrong). */
function whole(t: string): number | string | null {
  if (!t.trim()) return null;
  const n = Number(t.trim().replace(',', '.'));
  return Number.isFinite(n) ? n : t;
}
const list = (t: string) =>
  t
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function GoalForm({ goal, orgs, onCancel, onSaved }: { goal: Goal | null; orgs: { organisation_id: string; name: string }[]; onCancel: () => void; onSaved: (g: Goal) => void }) {
  const s = S();
  const f = useProblem();
  const head = useRef<HTMLHeadingElement>(null);
  const [org, setOrg] = useState(goal?.organisation_id ?? orgs[0].organisation_id);
  const [name, setName] = useState(goal?.name ?? '');
  const [measure, setMeasure] = useState<string>(goal?.measure ?? 'homes');
  const [direction, setDirection] = useState<string>(goal?.direction ?? 'minimum');
  const [target, setTarget] = useState(goal ? String(goal.target) : '');
  const [period, setPeriod] = useState<string>(goal?.period ?? 'by_year');
  const [from, setFrom] = useState(goal?.year_from ? String(goal.year_from) : '');
  const [to, setTo] = useState(goal ? String(goal.year_to) : '');
  const [conds, setConds] = useState<Record<string, string>>(Object.fromEntries(CONDITIONS.map((c) => [c, (goal?.conditions?.[c] ?? []).join(', ')])));
  const [region, setRegion] = useState((goal?.gemeenten ?? []).join(', '));
  useLayoutEffect(() => head.current?.focus(), []);
  const ids: Record<string, string> = {
    organisation_id: 'goal-org',
    name: 'goal-name',
    measure: 'goal-measure',
    direction: 'goal-direction',
    target: 'goal-target',
    period: 'goal-period',
    year_from: 'goal-from',
    year_to: 'goal-to',
    conditions: 'goal-cond-planstatus',
    gemeenten: 'goal-gemeenten',
    ...Object.fromEntries(CONDITIONS.map((c) => [`conditions.${c}`, `goal-cond-${c}`])),
  };
  const sub = useSubmit(
    f,
    async () => {
      const conditions = Object.fromEntries(CONDITIONS.map((c) => [c, list(conds[c])]).filter(([, v]) => v.length));
      const body: Record<string, unknown> = {
        name,
        measure,
        direction,
        target: whole(target),
        period,
        year_from: period === 'per_year' ? whole(from) : null,
        year_to: whole(to),
        conditions,
        gemeenten: list(region).length ? list(region) : null,
      };
      if (!goal) body.organisation_id = org;
      const r = goal ? await api<Goal>('PATCH', `/api/v1/goals/${encodeURIComponent(goal.id)}`, body) : await api<Goal>('POST', '/api/v1/goals', body);
      onSaved(r);
    },
    ids,
  );
  return (
    <form class="bs-form-box bs-goal-form" noValidate aria-labelledby="goal-form-title" data-testid="goal-form" onSubmit={sub.onSubmit}>
      <h2 class="utrecht-heading-3" id="goal-form-title" tabIndex={-1} ref={head}>
        {goal ? s.editTitle(goal.name) : s.addTitle}
      </h2>
      <ErrorSummary errors={f.errors} title={s.errors} />
      {goal || orgs.length < 2 ? null : (
        <Field id="goal-org" as="select" label={s.organisation} value={org} onValue={setOrg} error={f.at('organisation_id')} options={orgs.map((o) => [o.organisation_id, o.name] as [string, string])} />
      )}
      <Field id="goal-name" label={s.name} value={name} onValue={setName} error={f.at('name')} autoComplete="off" />
      <Field id="goal-measure" as="select" label={s.measure} value={measure} onValue={setMeasure} error={f.at('measure')} options={Object.entries(s.measures)} />
      <Field id="goal-direction" as="select" label={s.direction} value={direction} onValue={setDirection} error={f.at('direction')} options={Object.entries(s.directions)} />
      <Field id="goal-target" label={s.target} hint={s.targetHint} value={target} onValue={setTarget} error={f.at('target')} inputMode="decimal" autoComplete="off" />
      <Field id="goal-period" as="select" label={s.period} value={period} onValue={setPeriod} error={f.at('period')} options={Object.entries(s.periods)} />
      {period === 'per_year' ? <Field id="goal-from" label={s.yearFrom} value={from} onValue={setFrom} error={f.at('year_from')} inputMode="numeric" autoComplete="off" /> : null}
      <Field id="goal-to" label={s.yearTo} value={to} onValue={setTo} error={f.at('year_to')} inputMode="numeric" autoComplete="off" />
      <fieldset class="utrecht-form-fieldset bs-plain-fieldset">
        <legend class="utrecht-form-fieldset__legend">{s.conditions}</legend>
        <p class="utrecht-paragraph bs-muted">{s.conditionsHint}</p>
        {CONDITIONS.map((c) => (
          <Field key={c} id={`goal-cond-${c}`} label={s.cond[c]} value={conds[c]} onValue={(v) => setConds((o) => ({ ...o, [c]: v }))} error={f.at(`conditions.${c}`) ?? (c === 'planstatus' ? f.at('conditions') : undefined)} autoComplete="off" />
        ))}
      </fieldset>
      <Field id="goal-gemeenten" label={s.gemeenten} hint={s.gemeentenHint} value={region} onValue={setRegion} error={f.at('gemeenten')} autoComplete="off" />
      <SubmitButton busy={sub.busy}>{s.save}</SubmitButton>{' '}
      <button type="button" class="utrecht-button utrecht-button--secondary-action" onClick={onCancel}>
        {s.cancel}
      </button>
    </form>
  );
}

function GoalDetail({ id }: { id: string }) {
  const s = S();
  const [goal, setGoal] = useState<Goal | null>(null);
  const [pr, setPr] = useState<Progress | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    let live = true;
    api<Goal>('GET', `/api/v1/goals/${encodeURIComponent(id)}`)
      .then((g) => live && setGoal(g))
      .catch((e) => live && setErr(detailOf(e)));
    api<Progress>('GET', `/api/v1/goals/${encodeURIComponent(id)}/progress`)
      .then((p) => live && setPr(p))
      .catch((e) => live && setErr(detailOf(e)));
    return () => {
      live = false;
    };
  }, [id]);
  const shownProjects = (pr?.projects ?? []).slice(0, TOP);
  return (
    <section class="bs-goal" aria-labelledby="goal-title">
      <p class="utrecht-paragraph">
        <a href="/goals" onClick={linkClick}>
          {s.back}
        </a>
      </p>
      <h1 class="utrecht-heading-1" id="goal-title">
        {goal ? goal.name : s.title}
      </h1>
      {goal ? (
        <p class="utrecht-paragraph" data-testid="goal-describe">
          {s.describe(goal)}
        </p>
      ) : null}
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      <div aria-live="polite" aria-busy={pr ? 'false' : 'true'}>
        {!pr && !err ? (
          <p class="utrecht-paragraph bs-muted" data-testid="goal-computing">
            {s.computing}
          </p>
        ) : null}
        {pr ? (
          <div data-testid="goal-progress">
            <h2 class="utrecht-heading-2">{s.probability}</h2>
            <p class="bs-goal-probability" data-testid="goal-probability">
              {pct(pr.probability_met)}
            </p>
            <p class="utrecht-paragraph" data-testid="goal-explain">
              {s.explain(pr.samples)}
            </p>
            <h2 class="utrecht-heading-2" id="goal-windows-title">
              {s.windows}
            </h2>
            <p class="utrecht-paragraph bs-muted">{s.windowsNote}</p>
            <DataTable
              labelledBy="goal-windows-title"
              class="utrecht-table bs-table bs-goal-windows"
              testid="goal-windows"
              heads={[s.year, s.planned, s.p50, s.p80, s.met]}
              numeric={(i) => i > 0}
            >
              {pr.windows.map((w) => (
                <tr class="utrecht-table__row" key={w.year}>
                  <th class="utrecht-table__header-cell" scope="row">
                    {w.year}
                  </th>
                  <td class="utrecht-table__cell bs-num">{num(w.planned)}</td>
                  <td class="utrecht-table__cell bs-num">{num(w.p50)}</td>
                  <td class="utrecht-table__cell bs-num">{num(w.p80)}</td>
                  <td class="utrecht-table__cell bs-num">{pct(w.probability_met)}</td>
                </tr>
              ))}
            </DataTable>
            <h2 class="utrecht-heading-2" id="goal-projects-title">
              {s.projects}
            </h2>
            {pr.projects.length ? (
              <>
                <p class="utrecht-paragraph bs-muted">{s.projectsNote(shownProjects.length, pr.projects.length)}</p>
                <DataTable
                  labelledBy="goal-projects-title"
                  testid="goal-projects"
                  heads={[s.project, s.gemeente, s.planned, s.pLate, s.pLateMissed, s.importance]}
                  numeric={(i) => i > 1}
                >
                  {shownProjects.map((p, i) => (
                    <tr class="utrecht-table__row" key={p.id ?? `hidden-${i}`} data-hidden={p.id ? undefined : 'true'}>
                      <td class="utrecht-table__cell">
                        {p.id ? (
                          <a href={`/projects/${p.id}`} onClick={linkClick}>
                            {p.name}
                          </a>
                        ) : (
                          <em>{s.hidden}</em>
                        )}
                      </td>
                      <td class="utrecht-table__cell">{p.gemeente ?? '—'}</td>
                      <td class="utrecht-table__cell bs-num">{num(p.planned)}</td>
                      <td class="utrecht-table__cell bs-num">{pct(p.p_late)}</td>
                      <td class="utrecht-table__cell bs-num">{pct(p.p_late_given_missed)}</td>
                      <td class="utrecht-table__cell bs-num">{pp(p.importance)}</td>
                    </tr>
                  ))}
                </DataTable>
              </>
            ) : (
              <p class="utrecht-paragraph">{s.noProjects}</p>
            )}
            <p class="utrecht-paragraph bs-muted" data-testid="goal-forecasts">
              {s.forecasts(pr.forecasts)}
            </p>
          </div>
        ) : null}
      </div>
    </section>
  );
}

/** The dashboard's goals: each goal of the user's organisations with its probability of being
 * met (progress asked one goal at a time: a first computation forecasts every project). Nothing
 * when the user reads no goals. */
export function GoalsOverview() {
  const s = S();
  useSignal(lang);
  const [goals, setGoals] = useState<Goal[] | null>(null);
  const [prog, setProg] = useState<Record<string, Progress | 'failed'>>({});
  useEffect(() => {
    let live = true;
    (async () => {
      const p = await api<Page<Goal>>('GET', `/api/v1/goals${qs({ page_size: 100 })}`);
      if (!live) return;
      setGoals(p.results);
      for (const g of p.results) {
        const r = await api<Progress>('GET', `/api/v1/goals/${encodeURIComponent(g.id)}/progress`).catch(() => 'failed' as const);
        if (!live) return;
        setProg((o) => ({ ...o, [g.id]: r }));
      }
    })().catch(() => live && setGoals([]));
    return () => {
      live = false;
    };
  }, []);
  if (!goals || !goals.length) return null;
  return (
    <section class="bs-figure bs-dash-goals" aria-labelledby="dash-goals-title" data-testid="dash-goals">
      <h2 class="utrecht-heading-2" id="dash-goals-title">
        {s.dashTitle}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.dashNote}</p>
      <DataTable labelledBy="dash-goals-title" heads={[s.name, s.goal, s.deadline, s.planned, s.p50, s.p80, s.met]} numeric={(i) => i > 2} live>
        {goals.map((g) => {
          const p = prog[g.id];
          const w = p && p !== 'failed' ? p.windows[p.windows.length - 1] : null;
          const wait = p === undefined ? s.dashComputing : s.dashFailed;
          return (
            <tr class="utrecht-table__row" key={g.id} data-id={g.id}>
              <th class="utrecht-table__header-cell" scope="row">
                <a href={`/goals/${g.id}`} onClick={linkClick}>
                  {g.name}
                </a>
              </th>
              <td class="utrecht-table__cell">{s.describe(g)}</td>
              <td class="utrecht-table__cell">{w ? w.year : g.year_to}</td>
              <td class="utrecht-table__cell bs-num">{w ? num(w.planned) : '—'}</td>
              <td class="utrecht-table__cell bs-num">{w ? num(w.p50) : '—'}</td>
              <td class="utrecht-table__cell bs-num">{w ? num(w.p80) : '—'}</td>
              <td class="utrecht-table__cell bs-num" data-col="probability">
                {p && p !== 'failed' ? pct(p.probability_met) : <span class="bs-muted">{wait}</span>}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </section>
  );
}

