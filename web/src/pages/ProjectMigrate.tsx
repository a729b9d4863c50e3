// /projects/{id}/migrate: move a running project to another version of its process schema
// (issue 19 item 4; docs/process-schema.md "Migrating projects"). The project's projectleider
// (access `lead`, the API's BS_NEED_PROJECT_LEAD) chooses the target version — a national one or
// one of the project's owner organisation, never the one it is on: the versions the API accepts —
// optionally maps steps (old key → new key or dropped; prefilled with the step of the same key),
// previews the dry run (`POST …/migrate` with `dry_run: true`: the milestones before and after
// with their difference in working days, the steps without counterpart and why, the steps that
// would be marked realised) and then, after a confirmation, migrates for real. A refusal (409
// `actual_date_lost`, 422 `mapping.<step>`) is shown at the mapping field of the step it names.
// The page computes nothing: every figure is the API's.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtDate, fmtNumber, lang, strings } from '../lib/i18n';
import { linkClick } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import type { Schedule, Step } from './projectTypes';
import './migrate.css';

interface MigProject {
  id: string;
  name: string;
  process_schema_key: string;
  process_schema_version: number;
  owner_organisation_id: string | null;
  access: string;
}
interface Version {
  key: string;
  version: number;
  name: string;
  organisation_id: string | null;
}
interface SchemaDoc {
  steps: { key: string; name: string }[];
}
interface MigMilestone {
  key: string;
  name: string;
  before: string | null;
  after: string | null;
  delta_working_days: number | null;
}
/** The API's answer to POST /api/v1/projects/{id}/migrate (dry run and real run alike). */
interface MigAnswer {
  project_id: string;
  from_version: number;
  to_version: number;
  dry_run: boolean;
  milestones: MigMilestone[];
  unmapped_steps: { key: string; reason: string }[];
  realised_steps: string[];
  carried_steps: number;
}

const DROP = '-';

const S = strings({
  nl: {
    back: 'Terug naar het project',
    title: (n: string) => `Naar een andere versie: ${n}`,
    loading: 'Laden…',
    notFound: 'Dit project bestaat niet of u heeft er geen toegang toe.',
    onVersion: (k: string, v: number) => `Dit project volgt het processchema ${k}, versie ${v}.`,
    onlyLead: 'Alleen de projectleider van dit project kan het naar een andere versie brengen.',
    noVersions: 'Er is geen andere versie van dit processchema waarnaar dit project kan gaan.',
    intro:
      'Kies de versie, koppel zo nodig stappen en bekijk eerst het voorbeeld: dat berekent wat er verandert zonder iets op te slaan.',
    version: 'Doelversie',
    versionHint: 'Een landelijke versie of een versie van de organisatie die het project beheert.',
    versionLabel: (v: Version) => `Versie ${v.version}${v.organisation_id ? ' (van de organisatie)' : ' (landelijk)'}`,
    diff: (a: number, b: number) => `Bekijk wat er verschilt tussen versie ${a} en ${b}`,
    mapping: 'Stappen koppelen (optioneel)',
    mappingHint:
      'Elke stap gaat naar de stap met dezelfde sleutel in de nieuwe versie. Kies een andere stap als die een nieuwe sleutel heeft, of "vervalt". Een stap met een werkelijke datum kan niet vervallen.',
    drop: 'vervalt (geen tegenhanger)',
    changed: (n: number) => (n === 1 ? '1 stap anders gekoppeld' : `${n} stappen anders gekoppeld`),
    actual: (d: string) => `werkelijke datum ${d}`,
    reason: 'Reden (optioneel)',
    reasonHint: 'Komt in de geschiedenis van het project.',
    preview: 'Voorbeeld berekenen',
    previewBusy: 'Voorbeeld wordt berekend…',
    errors: 'Het voorbeeld of de verhuizing kan zo niet',
    previewTitle: (a: number, b: number) => `Voorbeeld: versie ${a} → ${b} (nog niet opgeslagen)`,
    resultTitle: (a: number, b: number) => `Verhuisd: versie ${a} → ${b}`,
    nowOn: (v: number) => `Het project volgt nu versie ${v}.`,
    carried: (n: number) => (n === 1 ? '1 stap gaat mee naar de nieuwe versie.' : `${fmtNumber(n)} stappen gaan mee naar de nieuwe versie.`),
    milestones: 'Mijlpalen (een negatief verschil: eerder dan nu)',
    carriedDone: (n: number) => (n === 1 ? '1 stap is meegegaan naar de nieuwe versie.' : `${fmtNumber(n)} stappen zijn meegegaan naar de nieuwe versie.`),
    milestone: 'Mijlpaal',
    before: 'Nu',
    after: 'Na de verhuizing',
    delta: 'Verschil (werkdagen)',
    unknown: 'onbekend',
    unmapped: 'Stappen zonder tegenhanger (vervallen)',
    unmappedDone: 'Vervallen stappen (bewaard in de geschiedenis)',
    realisedDone: 'Nieuwe stappen die als gerealiseerd zijn gemarkeerd',
    noUnmapped: 'Geen: elke stap heeft een tegenhanger.',
    realised: 'Nieuwe stappen die als gerealiseerd worden gemarkeerd',
    noRealised: 'Geen.',
    migrate: (v: number) => `Verhuizen naar versie ${v}…`,
    confirmTitle: (v: number) => `Het project echt naar versie ${v} verhuizen?`,
    confirmText: (v: number, n: number) =>
      `Het project gaat naar versie ${v} en wordt opnieuw gepland vanaf zijn voortgangsdatum. ` +
      `De stappen van de oude versie blijven in de geschiedenis bewaard (de planning zoals die was blijft op te vragen)` +
      (n ? `; ${n === 1 ? '1 stap vervalt' : `${n} stappen vervallen`} uit het plan.` : '.') +
      ' Werkelijke datums blijven staan.',
    confirmYes: 'Ja, verhuizen',
    confirmBusy: 'Bezig met verhuizen…',
    cancel: 'Annuleren',
    toProject: 'Naar het project',
  },
  en: {
    back: 'Back to the project',
    title: (n: string) => `Move to another version: ${n}`,
    loading: 'Loading…',
    notFound: 'This project does not exist or you have no access to it.',
    onVersion: (k: string, v: number) => `This project follows the process schema ${k}, version ${v}.`,
    onlyLead: 'Only the project leader of this project can move it to another version.',
    noVersions: 'There is no other version of this process schema this project can move to.',
    intro: 'Choose the version, map steps where needed and look at the preview first: it computes what changes without storing anything.',
    version: 'Target version',
    versionHint: 'A national version or one of the organisation that owns the project.',
    versionLabel: (v: Version) => `Version ${v.version}${v.organisation_id ? ' (the organisation’s)' : ' (national)'}`,
    diff: (a: number, b: number) => `See what differs between version ${a} and ${b}`,
    mapping: 'Map steps (optional)',
    mappingHint:
      'Each step goes to the step with the same key in the new version. Choose another step when it has a new key, or "dropped". A step with an actual date cannot be dropped.',
    drop: 'dropped (no counterpart)',
    changed: (n: number) => (n === 1 ? '1 step mapped otherwise' : `${n} steps mapped otherwise`),
    actual: (d: string) => `actual date ${d}`,
    reason: 'Reason (optional)',
    reasonHint: 'Goes into the project’s history.',
    preview: 'Compute preview',
    previewBusy: 'Computing preview…',
    errors: 'The preview or the move cannot be done like this',
    previewTitle: (a: number, b: number) => `Preview: version ${a} → ${b} (not stored yet)`,
    resultTitle: (a: number, b: number) => `Moved: version ${a} → ${b}`,
    nowOn: (v: number) => `The project now follows version ${v}.`,
    carried: (n: number) => (n === 1 ? '1 step carries over to the new version.' : `${fmtNumber(n)} steps carry over to the new version.`),
    milestones: 'Milestones (a negative difference: earlier than now)',
    carriedDone: (n: number) => (n === 1 ? '1 step carried over to the new version.' : `${fmtNumber(n)} steps carried over to the new version.`),
    milestone: 'Milestone',
    before: 'Now',
    after: 'After the move',
    delta: 'Difference (working days)',
    unknown: 'unknown',
    unmapped: 'Steps without counterpart (dropped)',
    unmappedDone: 'Dropped steps (kept in the history)',
    realisedDone: 'New steps marked realised',
    noUnmapped: 'None: every step has a counterpart.',
    realised: 'New steps that will be marked realised',
    noRealised: 'None.',
    migrate: (v: number) => `Move to version ${v}…`,
    confirmTitle: (v: number) => `Really move the project to version ${v}?`,
    confirmText: (v: number, n: number) =>
      `The project moves to version ${v} and is re-planned from its progress date. ` +
      `The steps of the old version are kept in the history (the plan as it was can still be asked for)` +
      (n ? `; ${n === 1 ? '1 step leaves' : `${n} steps leave`} the plan.` : '.') +
      ' Actual dates stay.',
    confirmYes: 'Yes, move it',
    confirmBusy: 'Moving…',
    cancel: 'Cancel',
    toProject: 'To the project',
  },
});

const base = (id: string) => `/api/v1/projects/${encodeURIComponent(id)}`;
const enc = encodeURIComponent;

function detailOf(e: unknown): string {
  if (e instanceof ApiError) return e.problem.detail || e.problem.title || e.message;
  return String((e as Error)?.message ?? e);
}

/** The versions a project may move to (the API's rule, docs/process-schema.md "Which versions"):
 * national ones and its owner organisation's, not the one it is on. */
function targets(all: Version[], p: MigProject): Version[] {
  return all.filter((v) => v.version !== p.process_schema_version && (v.organisation_id === null || v.organisation_id === p.owner_organisation_id));
}

export default function ProjectMigrate({ params }: { params: Record<string, string> }) {
  const user = useRequireLogin();
  useSignal(lang);
  const s = S();
  const id = params.id;
  const [project, setProject] = useState<MigProject | null>(null);
  const [steps, setSteps] = useState<Step[]>([]);
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(0);
  // the real run's answer with the steps of before (the names of the dropped ones)
  const [done, setDone] = useState<{ r: MigAnswer; oldSteps: Step[] } | null>(null);

  useEffect(() => {
    if (!user) return;
    let live = true;
    (async () => {
      try {
        const p = await api<MigProject>('GET', base(id));
        if (p.access !== 'lead') {
          if (live) setProject(p);
          return;
        }
        const [sched, vs] = await Promise.all([
          api<Schedule>('GET', `${base(id)}/schedule`),
          api<Page<Version>>('GET', `/api/v1/process-schemas/${enc(p.process_schema_key)}/versions${qs({ page_size: 500 })}`),
        ]);
        if (!live) return;
        setProject(p);
        setSteps(sched.steps);
        setVersions(targets(vs.results, p));
      } catch (e) {
        if (live) setError(e instanceof ApiError && e.status === 404 ? s.notFound : detailOf(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [id, user, loaded]);

  const header = (name: string) => (
    <>
      <p class="utrecht-paragraph">
        <a href={`/projects/${enc(id)}`} onClick={linkClick}>
          ← {s.back}
        </a>
      </p>
      <h1 class="utrecht-heading-1">{s.title(name)}</h1>
    </>
  );
  if (error)
    return (
      <section class="bs-migrate">
        {header('')}
        <p class="utrecht-paragraph" role="alert">
          {error}
        </p>
      </section>
    );
  if (!project) return <p aria-live="polite">{s.loading}</p>;
  return (
    <section class="bs-migrate" data-testid="migrate">
      {header(project.name)}
      <p class="utrecht-paragraph" data-testid="mig-current">
        {s.onVersion(project.process_schema_key, project.process_schema_version)}
      </p>
      {done ? (
        <Result r={done.r} project={project} oldSteps={done.oldSteps} steps={steps} />
      ) : project.access !== 'lead' ? (
        <p class="utrecht-paragraph" data-testid="mig-not-allowed">
          {s.onlyLead}
        </p>
      ) : !versions ? (
        <p aria-live="polite">{s.loading}</p>
      ) : !versions.length ? (
        <p class="utrecht-paragraph" data-testid="mig-no-versions">
          {s.noVersions}
        </p>
      ) : (
        <MigrateForm
          key={project.process_schema_version}
          project={project}
          steps={steps}
          versions={versions}
          onMigrated={(r) => {
            setDone({ r, oldSteps: steps });
            setLoaded((n) => n + 1);
          }}
        />
      )}
    </section>
  );
}

/** The form: target version, mapping, reason; the preview and the confirmed migration. */
function MigrateForm({ project, steps, versions, onMigrated }: { project: MigProject; steps: Step[]; versions: Version[]; onMigrated: (r: MigAnswer) => void }) {
  const s = S();
  const f = useProblem();
  const [version, setVersion] = useState(String(versions[versions.length - 1].version));
  const [doc, setDoc] = useState<SchemaDoc | null>(null);
  const [choice, setChoice] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<MigAnswer | null>(null);
  const [confirming, setConfirming] = useState(false);
  // the mapping is folded away (42 selects between the version and the preview button); it opens
  // when the user opens it or when the server names one of its steps
  const [open, setOpen] = useState(false);
  const mapError = f.errors.some((e) => e.field?.startsWith('mapping.'));
  useLayoutEffect(() => {
    if (mapError) setOpen(true);
  }, [mapError, f.errors]);

  // the target version's steps: the choices of the mapping, prefilled with the same key
  useEffect(() => {
    let live = true;
    setDoc(null);
    api<SchemaDoc>('GET', `/api/v1/process-schemas/${enc(project.process_schema_key)}/versions/${enc(version)}`)
      .then((d) => {
        if (!live) return;
        setDoc(d);
        const keys = new Set(d.steps.map((x) => x.key));
        setChoice(Object.fromEntries(steps.map((x) => [x.key, keys.has(x.key) ? x.key : DROP])));
      })
      .catch((e) => live && f.fromError(e, {}, detailOf(e)));
    return () => {
      live = false;
    };
  }, [version]);

  const ids = useMemo(() => {
    const m: Record<string, string> = { version: 'mig-version', reason: 'mig-reason' };
    for (const x of steps) m[`mapping.${x.key}`] = `mig-map-${x.key}`;
    return m;
  }, [steps]);

  /** The request's mapping: only the choices that differ from the default (the same key, or no
   * counterpart when the new version lacks the key). */
  const body = (dryRun: boolean) => {
    const keys = new Set((doc?.steps ?? []).map((x) => x.key));
    const mapping: Record<string, string | null> = {};
    for (const x of steps) {
      const c = choice[x.key] ?? (keys.has(x.key) ? x.key : DROP);
      const dflt = keys.has(x.key) ? x.key : DROP;
      if (c !== dflt) mapping[x.key] = c === DROP ? null : c;
    }
    return { version: Number(version), mapping, dry_run: dryRun, ...(reason.trim() ? { reason: reason.trim() } : {}) };
  };

  const change = (fn: () => void) => {
    fn();
    setPreview(null);
    setConfirming(false);
  };

  const previewSub = useSubmit(
    f,
    async () => {
      setPreview(null);
      setConfirming(false);
      setPreview(await api<MigAnswer>('POST', `${base(project.id)}/migrate`, body(true)));
    },
    ids,
  );
  const migrateSub = useSubmit(
    f,
    async () => {
      try {
        onMigrated(await api<MigAnswer>('POST', `${base(project.id)}/migrate`, body(false)));
      } catch (e) {
        // the refusal goes to the form's fields; the confirmation closes
        setConfirming(false);
        setPreview(null);
        throw e;
      }
    },
    ids,
  );

  const newSteps = doc?.steps ?? [];
  const newKeys = new Set(newSteps.map((x) => x.key));
  const changed = doc ? steps.filter((x) => (choice[x.key] ?? DROP) !== (newKeys.has(x.key) ? x.key : DROP)).length : 0;
  const opts: [string, string][] = [...newSteps.map((x): [string, string] => [x.key, `${x.name} (${x.key})`]), [DROP, s.drop]];
  const from = project.process_schema_version;
  return (
    <>
      <p class="utrecht-paragraph bs-migrate-intro">{s.intro}</p>
      <form class="bs-migrate-form" onSubmit={previewSub.onSubmit} noValidate data-testid="mig-form">
        <ErrorSummary errors={f.errors} title={s.errors} />
        <Field
          id="mig-version"
          as="select"
          label={s.version}
          hint={s.versionHint}
          value={version}
          onValue={(v) => change(() => setVersion(v))}
          options={versions.map((v) => [String(v.version), s.versionLabel(v)])}
          error={f.at('version')}
        />
        <p class="utrecht-paragraph">
          <a href={`/schemas/${enc(project.process_schema_key)}/diff${qs({ from, to: version })}`} onClick={linkClick} data-testid="mig-diff">
            {s.diff(from, Number(version))}
          </a>
        </p>
        <details class="bs-migrate-details" open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)} data-testid="mig-mapping">
          <summary>
            {s.mapping}
            {changed ? ` — ${s.changed(changed)}` : ''}
          </summary>
        <fieldset class="bs-migrate-mapping" aria-describedby="mig-mapping-hint">
          <legend class="bs-visually-hidden">{s.mapping}</legend>
          <p class="utrecht-paragraph bs-muted" id="mig-mapping-hint">
            {s.mappingHint}
          </p>
          {doc ? (
            <div class="bs-migrate-map-grid">
              {steps.map((x) => {
                const d = x.actual_finish || x.actual_start;
                return (
                  <Field
                    key={x.key}
                    id={`mig-map-${x.key}`}
                    as="select"
                    class="bs-migrate-map"
                    label={x.name}
                    hint={d ? `${x.key} · ${s.actual(fmtDate(d))}` : x.key}
                    value={choice[x.key] ?? DROP}
                    onValue={(v) => change(() => setChoice((c) => ({ ...c, [x.key]: v })))}
                    options={opts}
                    error={f.at(`mapping.${x.key}`)}
                  />
                );
              })}
            </div>
          ) : (
            <p aria-live="polite">{s.loading}</p>
          )}
        </fieldset>
        </details>
        <Field id="mig-reason" label={s.reason} hint={s.reasonHint} value={reason} onValue={(v) => change(() => setReason(v))} error={f.at('reason')} autoComplete="off" />
        <SubmitButton busy={previewSub.busy} busyLabel={s.previewBusy}>
          {s.preview}
        </SubmitButton>
      </form>
      {preview ? (
        <Answer r={preview} steps={steps} newSteps={newSteps} title={s.previewTitle(preview.from_version, preview.to_version)} testid="mig-preview">
          {confirming ? (
            <Confirm r={preview} sub={migrateSub} onCancel={() => setConfirming(false)} />
          ) : (
            <button type="button" class="utrecht-button utrecht-button--primary-action" data-testid="mig-migrate" onClick={() => setConfirming(true)}>
              {s.migrate(preview.to_version)}
            </button>
          )}
        </Answer>
      ) : null}
    </>
  );
}

/** The confirmation of the real migration: says what happens; a form of its own. */
function Confirm({ r, sub, onCancel }: { r: MigAnswer; sub: { busy: boolean; onSubmit: (e: Event) => Promise<void> }; onCancel: () => void }) {
  const s = S();
  useLayoutEffect(() => {
    document.getElementById('mig-confirm-title')?.focus();
  }, []);
  return (
    <div class="bs-migrate-confirm" role="alertdialog" aria-labelledby="mig-confirm-title" aria-describedby="mig-confirm-text" data-testid="mig-confirm">
      <h3 class="utrecht-heading-3" id="mig-confirm-title" tabIndex={-1}>
        {s.confirmTitle(r.to_version)}
      </h3>
      <p class="utrecht-paragraph" id="mig-confirm-text">
        {s.confirmText(r.to_version, r.unmapped_steps.length)}
      </p>
      <form class="utrecht-button-group" onSubmit={sub.onSubmit} noValidate>
        <SubmitButton busy={sub.busy} busyLabel={s.confirmBusy}>
          {s.confirmYes}
        </SubmitButton>
        <button type="button" class="utrecht-button utrecht-button--secondary-action" onClick={onCancel}>
          {s.cancel}
        </button>
      </form>
    </div>
  );
}

/** The result of the real migration, above the form (which now offers the project's other versions). */
function Result({ r, project, oldSteps, steps }: { r: MigAnswer; project: MigProject; oldSteps: Step[]; steps: Step[] }) {
  const s = S();
  return (
    <Answer r={r} steps={oldSteps} newSteps={steps} title={s.resultTitle(r.from_version, r.to_version)} testid="mig-result" final>
      <p class="utrecht-paragraph bs-migrate-now" data-testid="mig-now-on">
        <strong>{s.nowOn(project.process_schema_version)}</strong>{' '}
        <a href={`/projects/${enc(project.id)}`} onClick={linkClick}>
          {s.toProject}
        </a>
      </p>
    </Answer>
  );
}

/** One answer of the API (preview or real run): milestones table, dropped and realised steps. The
 * heading takes the focus when the answer appears (a new result of the form the user sent). */
function Answer({ r, steps, newSteps, title, testid, final, children }: { r: MigAnswer; steps: { key: string; name: string }[]; newSteps: { key: string; name: string }[]; title: string; testid: string; final?: boolean; children?: ComponentChildren }) {
  const s = S();
  const ref = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => {
    ref.current?.focus();
  }, [r]);
  const oldName = new Map(steps.map((x) => [x.key, x.name]));
  const newName = new Map(newSteps.map((x) => [x.key, x.name]));
  const delta = (n: number | null) => (n === null ? s.unknown : n > 0 ? `+${fmtNumber(n)}` : fmtNumber(n));
  return (
    <section class="bs-migrate-answer" aria-labelledby={`${testid}-title`} data-testid={testid}>
      <h2 class="utrecht-heading-2" id={`${testid}-title`} tabIndex={-1} ref={ref}>
        {title}
      </h2>
      <p class="utrecht-paragraph" data-testid={`${testid}-carried`}>
        {final ? s.carriedDone(r.carried_steps) : s.carried(r.carried_steps)}
      </p>
      <div class="bs-table-wrap">
      <table class="utrecht-table utrecht-table--html-table bs-table bs-migrate-table" data-testid={`${testid}-milestones`}>
        <caption>{s.milestones}</caption>
        <thead class="utrecht-table__header">
          <tr class="utrecht-table__row">
            <th scope="col" class="utrecht-table__header-cell">
              {s.milestone}
            </th>
            <th scope="col" class="utrecht-table__header-cell">
              {s.before}
            </th>
            <th scope="col" class="utrecht-table__header-cell">
              {s.after}
            </th>
            <th scope="col" class="utrecht-table__header-cell utrecht-table__header-cell--numeric bs-num">
              {s.delta}
            </th>
          </tr>
        </thead>
        <tbody class="utrecht-table__body">
          {r.milestones.map((m) => (
            <tr class="utrecht-table__row" key={m.key} data-key={m.key} data-before={m.before ?? ''} data-after={m.after ?? ''} data-delta={m.delta_working_days ?? ''}>
              <th scope="row" class="utrecht-table__header-cell">
                {m.name}
              </th>
              <td class="utrecht-table__cell">{fmtDate(m.before)}</td>
              <td class="utrecht-table__cell">{fmtDate(m.after)}</td>
              <td class={`utrecht-table__cell utrecht-table__cell--numeric bs-num${m.delta_working_days ? (m.delta_working_days > 0 ? ' bs-later' : ' bs-earlier') : ''}`}>{delta(m.delta_working_days)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <h3 class="utrecht-heading-3">{final ? s.unmappedDone : s.unmapped}</h3>
      {r.unmapped_steps.length ? (
        <ul class="utrecht-unordered-list" data-testid={`${testid}-unmapped`}>
          {r.unmapped_steps.map((u) => (
            <li key={u.key} data-key={u.key}>
              <strong>{oldName.get(u.key) ?? u.key}</strong> ({u.key}): {u.reason}
            </li>
          ))}
        </ul>
      ) : (
        <p class="utrecht-paragraph bs-muted">{s.noUnmapped}</p>
      )}
      <h3 class="utrecht-heading-3">{final ? s.realisedDone : s.realised}</h3>
      {r.realised_steps.length ? (
        <ul class="utrecht-unordered-list" data-testid={`${testid}-realised`}>
          {r.realised_steps.map((k) => (
            <li key={k} data-key={k}>
              {newName.get(k) ?? k} ({k})
            </li>
          ))}
        </ul>
      ) : (
        <p class="utrecht-paragraph bs-muted">{s.noRealised}</p>
      )}
      {children}
    </section>
  );
}
