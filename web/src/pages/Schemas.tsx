// Process schemas and their versions (issue 19, item 4): one page, four routes.
//
//   /schemas                                  the loaded schemas (GET /api/v1/process-schemas)
//   /schemas/{key}                            a key's versions (GET …/{key}/versions) and the choice
//                                             of two versions to compare
//   /schemas/{key}/versions/{n}               one version (GET …/{key}/versions/{n}): its steps per
//                                             stream with phase, kind, duration and the duration's
//                                             source, and the links each step depends on (type, lag)
//   /schemas/{key}/diff?from=&to=&rename=     what changed between two versions (GET …/{key}/diff),
//                                             each change with the step names of both versions
//
// The page computes nothing: the documents and the diff are the API's (docs/process-schema.md,
// the diff is engine/core/schema_diff.h's). A refused diff (an unknown version, a bad rename) is
// shown at the field the problem document names.
import './settings.css';
import './schemas.css';
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtDate, lang, strings } from '../lib/i18n';
import { linkClick, location, navigate } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { me } from '../lib/session';
import { ErrorSummary, Field, SubmitButton, useProblem } from '../components/form';
import { DataTable } from '../components/table';

const S = strings({
  nl: {
    title: 'Processchema’s',
    intro: 'De standaardprocessen waarmee projecten worden gepland: hun stappen in twee stromen, de afhankelijkheden en de duur met de bron ervan.',
    loading: 'Laden…',
    errors: 'Er ging iets mis',
    name: 'Naam',
    key: 'Sleutel',
    version: 'Versie',
    loaded: 'Geladen versie',
    versions: 'Versies',
    steps: 'Stappen',
    links: 'Afhankelijkheden',
    milestones: 'Mijlpalen',
    schemasCaption: 'Geladen processchema’s',
    versionsOf: (n: string) => `Versies van ${n}`,
    organisation: 'Organisatie',
    national: 'landelijk',
    created: 'Vastgelegd',
    shipped: 'meegeleverd',
    inUse: 'In gebruik',
    yes: 'ja',
    no: 'nee',
    allSchemas: 'Alle processchema’s',
    allVersions: 'Alle versies',
    compare: 'Twee versies vergelijken',
    from: 'Van versie',
    to: 'Naar versie',
    rename: 'Hernoemde stappen (optioneel)',
    renameHint: 'oude-sleutel:nieuwe-sleutel, gescheiden door komma’s. Zonder opgave geldt een andere sleutel als verwijderd en toegevoegd.',
    show: 'Vergelijk',
    bpmn: 'Download als BPMN 2.0',
    stream: { public: 'Stroom van de gemeente', private: 'Stroom van de initiatiefnemer' } as Record<string, string>,
    streamShort: { public: 'gemeente', private: 'initiatiefnemer' } as Record<string, string>,
    step: 'Stap',
    phase: 'Fase',
    kind: 'Soort',
    duration: 'Duur',
    source: 'Bron van de duur',
    dependsOn: 'Hangt af van',
    milestone: 'mijlpaal',
    statutory: 'wettelijke termijn',
    optional: (codes: string) => `alleen bij planstatus ${codes}`,
    none: 'geen',
    noSource: 'geen bron opgegeven',
    unit: (v: number, u: string) => `${v} ${u === 'calendar_days' ? (v === 1 ? 'kalenderdag' : 'kalenderdagen') : v === 1 ? 'werkdag' : 'werkdagen'}`,
    lag: 'vertraging',
    otherStream: (s: string) => `stroom ${s}`,
    diffTitle: (n: string, a: number, b: number) => `${n}: versie ${a} → ${b}`,
    versionTitle: (n: string, v: number) => `${n}, versie ${v}`,
    compareWithPrevious: (v: number) => `Vergelijk met versie ${v}`,
    changes: (k: number) => (k === 0 ? 'Geen verschillen.' : k === 1 ? '1 wijziging.' : `${k} wijzigingen.`),
    sections: {
      steps_added: 'Stappen toegevoegd',
      steps_removed: 'Stappen verwijderd',
      steps_renamed: 'Stappen hernoemd',
      durations_changed: 'Duur gewijzigd',
      links_added: 'Afhankelijkheden toegevoegd',
      links_removed: 'Afhankelijkheden verwijderd',
      links_changed: 'Afhankelijkheden gewijzigd (type of vertraging)',
      constraints_changed: 'Kenmerken gewijzigd',
    } as Record<string, string>,
    before: 'Was',
    after: 'Wordt',
    oldKey: 'Oude sleutel',
    newKey: 'Nieuwe sleutel',
    predecessor: 'Voorganger',
    type: 'Type',
    field: 'Kenmerk',
    fields: { stream: 'stroom', milestone: 'mijlpaal', statutory: 'wettelijke termijn', optional: 'optioneel', applies_to: 'geldt voor planstatus' } as Record<string, string>,
    nothing: 'Geen.',
    notFound: 'Dit processchema of deze versie bestaat niet, of u kunt het niet zien.',
  },
  en: {
    title: 'Process schemas',
    intro: 'The standard processes projects are planned with: their steps in two streams, the dependencies, and the durations with their sources.',
    loading: 'Loading…',
    errors: 'Something went wrong',
    name: 'Name',
    key: 'Key',
    version: 'Version',
    loaded: 'Loaded version',
    versions: 'Versions',
    steps: 'Steps',
    links: 'Dependencies',
    milestones: 'Milestones',
    schemasCaption: 'Loaded process schemas',
    versionsOf: (n: string) => `Versions of ${n}`,
    organisation: 'Organisation',
    national: 'national',
    created: 'Deployed',
    shipped: 'shipped',
    inUse: 'In use',
    yes: 'yes',
    no: 'no',
    allSchemas: 'All process schemas',
    allVersions: 'All versions',
    compare: 'Compare two versions',
    from: 'From version',
    to: 'To version',
    rename: 'Renamed steps (optional)',
    renameHint: 'old-key:new-key, separated by commas. Without it, a changed key counts as removed and added.',
    show: 'Compare',
    bpmn: 'Download as BPMN 2.0',
    stream: { public: 'Municipality stream', private: 'Initiator stream' } as Record<string, string>,
    streamShort: { public: 'municipality', private: 'initiator' } as Record<string, string>,
    step: 'Step',
    phase: 'Phase',
    kind: 'Kind',
    duration: 'Duration',
    source: 'Source of the duration',
    dependsOn: 'Depends on',
    milestone: 'milestone',
    statutory: 'statutory term',
    optional: (codes: string) => `only for plan status ${codes}`,
    none: 'none',
    noSource: 'no source given',
    unit: (v: number, u: string) => `${v} ${u === 'calendar_days' ? (v === 1 ? 'calendar day' : 'calendar days') : v === 1 ? 'working day' : 'working days'}`,
    lag: 'lag',
    otherStream: (s: string) => `${s} stream`,
    diffTitle: (n: string, a: number, b: number) => `${n}: version ${a} → ${b}`,
    versionTitle: (n: string, v: number) => `${n}, version ${v}`,
    compareWithPrevious: (v: number) => `Compare with version ${v}`,
    changes: (k: number) => (k === 0 ? 'No differences.' : k === 1 ? '1 change.' : `${k} changes.`),
    sections: {
      steps_added: 'Steps added',
      steps_removed: 'Steps removed',
      steps_renamed: 'Steps renamed',
      durations_changed: 'Durations changed',
      links_added: 'Dependencies added',
      links_removed: 'Dependencies removed',
      links_changed: 'Dependencies changed (type or lag)',
      constraints_changed: 'Properties changed',
    } as Record<string, string>,
    before: 'Was',
    after: 'Becomes',
    oldKey: 'Old key',
    newKey: 'New key',
    predecessor: 'Predecessor',
    type: 'Type',
    field: 'Property',
    fields: { stream: 'stream', milestone: 'milestone', statutory: 'statutory term', optional: 'optional', applies_to: 'applies to plan status' } as Record<string, string>,
    nothing: 'None.',
    notFound: 'This process schema or version does not exist, or you cannot see it.',
  },
});

// ---- the API's shapes (docs/api.md, docs/process-schema.md) ----

interface SchemaSummary {
  key: string;
  name: string;
  version: number;
  steps?: number;
  links?: number;
  [k: string]: unknown;
}
interface VersionRow {
  key: string;
  version: number;
  name: string;
  organisation_id: string | null;
  created_at: string | null;
  shipped: boolean;
  in_use: boolean;
}
interface Amount {
  value: number;
  unit: string;
}
interface Dep {
  step: string;
  type?: string;
  lag?: Amount;
  note?: string;
}
interface SchemaStep {
  key: string;
  name: string;
  stream: 'public' | 'private';
  phase?: string;
  milestone?: boolean;
  duration?: Amount;
  statutory?: boolean;
  source?: string;
  optional?: boolean;
  applies_to?: { planstatus: string[] };
  depends_on?: Dep[];
  note?: string;
}
interface SchemaDoc {
  key: string;
  name: string;
  version: number;
  description?: string;
  steps: SchemaStep[];
}
interface DiffLink {
  step: string;
  depends_on: string;
  type: string;
  lag: Amount;
}
interface Diff {
  key: string;
  from: number;
  to: number;
  steps_added: { key: string; name: string }[];
  steps_removed: { key: string; name: string }[];
  steps_renamed: { from: string; to: string }[];
  durations_changed: { step: string; from: Amount; to: Amount }[];
  links_added: DiffLink[];
  links_removed: DiffLink[];
  links_changed: { step: string; depends_on: string; from: { type: string; lag: Amount }; to: { type: string; lag: Amount } }[];
  constraints_changed: { step: string; field: string; from: unknown; to: unknown }[];
}

const enc = encodeURIComponent;
const base = (key: string) => `/api/v1/process-schemas/${enc(key)}`;

function detailOf(e: unknown): string {
  return e instanceof ApiError ? (e.status === 404 ? S().notFound : e.problem.detail ?? e.message) : String(e);
}

/** A duration or lag as words: "42 kalenderdagen". */
function amount(a: Amount | undefined): string {
  return a ? S().unit(a.value, a.unit) : S().unit(0, 'working_days');
}

/** A link's type with its lag: "FS", "FS + 14 kalenderdagen", "SS − 5 werkdagen". */
function linkText(type: string | undefined, lag: Amount | undefined): string {
  const t = type ?? 'FS';
  if (!lag || lag.value === 0) return t;
  return `${t} ${lag.value < 0 ? '−' : '+'} ${S().unit(Math.abs(lag.value), lag.unit)}`;
}

/** Loads one answer; the page shows the problem's detail when it fails. */
function useApi<T>(path: string | null): { data: T | null; error: string } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!path) return;
    let live = true;
    setData(null);
    setError('');
    api<T>('GET', path)
      .then((d) => live && setData(d))
      .catch((e) => live && setError(detailOf(e)));
    return () => {
      live = false;
    };
  }, [path]);
  return { data, error };
}

/** Every page of a paged list (a key has few versions; 500 a page is the API's maximum). */
async function allPages<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    const r = await api<Page<T>>('GET', `${path}${qs({ page, page_size: 500 })}`);
    out.push(...r.results);
    if (!r.next || !r.results.length) return out;
  }
}

function Failed({ error }: { error: string }) {
  return (
    <p class="utrecht-paragraph bs-field-error" role="alert">
      {error}
    </p>
  );
}

function Crumbs({ items }: { items: [string, string][] }) {
  return (
    <p class="bs-crumbs">
      {items.map(([href, label]) => (
        <a key={href} href={href} onClick={linkClick}>
          {label}
        </a>
      ))}
    </p>
  );
}

export default function Schemas({ params }: { params: Record<string, string> }) {
  const user = useRequireLogin();
  useSignal(lang);
  const loc = useSignal(location);
  if (!user) return <p aria-live="polite">{S().loading}</p>;
  let body;
  if (!params.key) body = <SchemaList />;
  else if (params.n) body = <VersionPage key={`${params.key}/${params.n}`} schemaKey={params.key} n={Number(params.n)} />;
  else if (loc.path.endsWith('/diff'))
    body = <DiffPage key={loc.query.toString()} schemaKey={params.key} from={loc.query.get('from') ?? ''} to={loc.query.get('to') ?? ''} rename={loc.query.get('rename') ?? ''} />;
  else body = <VersionList key={params.key} schemaKey={params.key} />;
  return <div class="bs-schemas">{body}</div>;
}

// ---- /schemas ----

function SchemaList() {
  const s = S();
  useEffect(() => {
    document.title = `${s.title} — Bouwstroom`;
  }, []);
  const { data, error } = useApi<SchemaSummary[] | Page<SchemaSummary>>('/api/v1/process-schemas');
  const rows = data ? (Array.isArray(data) ? data : data.results) : null;
  return (
    <section aria-labelledby="schemas-title">
      <h1 class="utrecht-heading-1" id="schemas-title">
        {s.title}
      </h1>
      <p class="utrecht-paragraph">{s.intro}</p>
      {error ? <Failed error={error} /> : null}
      {rows === null ? (
        error ? null : <p>{s.loading}</p>
      ) : (
        <DataTable labelledBy="schemas-caption" caption={s.schemasCaption} captionClass="bs-caption" testid="schemas" heads={[s.name, s.key, s.loaded, s.steps, s.links]}>
          {rows.map((r) => (
            <tr class="utrecht-table__row" key={r.key} data-key={r.key}>
              <th class="utrecht-table__header-cell" scope="row">
                <a href={`/schemas/${enc(r.key)}`} onClick={linkClick}>
                  {r.name}
                </a>
              </th>
              <td class="utrecht-table__cell">
                <code>{r.key}</code>
              </td>
              <td class="utrecht-table__cell bs-num">{r.version}</td>
              <td class="utrecht-table__cell bs-num">{String(r.steps ?? r.step_count ?? '')}</td>
              <td class="utrecht-table__cell bs-num">{String(r.links ?? r.link_count ?? '')}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

// ---- /schemas/{key} ----

function VersionList({ schemaKey }: { schemaKey: string }) {
  const s = S();
  const user = useSignal(me);
  // an organisation's version: its name when it is one of the user's, else its id
  const orgName = (id: string) => user?.organisations?.find((o) => o.organisation_id === id)?.name ?? <code>{id}</code>;
  const [rows, setRows] = useState<VersionRow[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    allPages<VersionRow>(`${base(schemaKey)}/versions`)
      .then(setRows)
      .catch((e) => setError(detailOf(e)));
  }, [schemaKey]);
  const name = rows?.length ? rows[rows.length - 1].name : schemaKey;
  useEffect(() => {
    document.title = `${s.versionsOf(name)} — Bouwstroom`;
  }, [name]);
  return (
    <section aria-labelledby="versions-title">
      <Crumbs items={[['/schemas', s.allSchemas]]} />
      <h1 class="utrecht-heading-1" id="versions-title">
        {s.versionsOf(name)}
      </h1>
      {error ? <Failed error={error} /> : null}
      {rows === null ? (
        error ? null : <p>{s.loading}</p>
      ) : (
        <>
          <DataTable labelledBy="versions-caption" caption={s.versions} captionClass="bs-caption" testid="versions" heads={[s.version, s.name, s.organisation, s.created, s.inUse]}>
            {rows.map((v) => (
              <tr class="utrecht-table__row" key={v.version} data-version={v.version}>
                <th class="utrecht-table__header-cell" scope="row">
                  <a href={`/schemas/${enc(schemaKey)}/versions/${v.version}`} onClick={linkClick}>
                    {s.version} {v.version}
                  </a>
                </th>
                <td class="utrecht-table__cell">{v.name}</td>
                <td class="utrecht-table__cell">{v.organisation_id ? orgName(v.organisation_id) : s.national}</td>
                <td class="utrecht-table__cell">{v.shipped ? s.shipped : fmtDate(v.created_at)}</td>
                <td class="utrecht-table__cell" data-col="in-use">
                  {v.in_use ? s.yes : s.no}
                </td>
              </tr>
            ))}
          </DataTable>
          {rows.length > 1 ? <CompareForm schemaKey={schemaKey} versions={rows.map((v) => v.version)} /> : null}
        </>
      )}
    </section>
  );
}

/** The choice of two versions (and renamed steps); opens the diff page with them as its query. */
function CompareForm({ schemaKey, versions, from = '', to = '', rename = '', errors }: { schemaKey: string; versions: number[]; from?: string; to?: string; rename?: string; errors?: ReturnType<typeof useProblem> }) {
  const s = S();
  const last = versions[versions.length - 1];
  const [a, setA] = useState(from || String(versions.length > 1 ? versions[versions.length - 2] : last));
  const [b, setB] = useState(to || String(last));
  const [r, setR] = useState(rename);
  const opts = versions.map((v) => [String(v), `${s.version} ${v}`] as [string, string]);
  return (
    <form
      class="bs-compare"
      noValidate
      aria-labelledby="compare-title"
      data-testid="compare"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(`/schemas/${enc(schemaKey)}/diff${qs({ from: a, to: b, rename: r.trim() })}`);
      }}
    >
      <h2 class="utrecht-heading-2" id="compare-title">
        {s.compare}
      </h2>
      {errors ? <ErrorSummary errors={errors.errors} title={s.errors} /> : null}
      <div class="bs-inline-form">
        <Field id="diff-from" as="select" label={s.from} value={a} onValue={setA} options={opts} error={errors?.at('from')} />
        <Field id="diff-to" as="select" label={s.to} value={b} onValue={setB} options={opts} error={errors?.at('to')} />
      </div>
      <Field id="diff-rename" class="bs-field-rename" label={s.rename} hint={s.renameHint} value={r} onValue={setR} error={errors?.at('rename')} autoComplete="off" spellcheck={false} />
      <SubmitButton busy={false}>{s.show}</SubmitButton>
    </form>
  );
}

// ---- /schemas/{key}/versions/{n} ----

function VersionPage({ schemaKey, n }: { schemaKey: string; n: number }) {
  const s = S();
  const { data: doc, error } = useApi<SchemaDoc>(`${base(schemaKey)}/versions/${n}`);
  useEffect(() => {
    if (doc) document.title = `${s.versionTitle(doc.name, n)} — Bouwstroom`;
  }, [doc]);
  const crumbs: [string, string][] = [
    ['/schemas', s.allSchemas],
    [`/schemas/${enc(schemaKey)}`, s.allVersions],
  ];
  if (error)
    return (
      <section>
        <Crumbs items={crumbs} />
        <h1 class="utrecht-heading-1">{s.versionTitle(schemaKey, n)}</h1>
        <Failed error={error} />
      </section>
    );
  if (!doc) return <p aria-live="polite">{s.loading}</p>;
  const byKey = new Map(doc.steps.map((st) => [st.key, st]));
  const nLinks = doc.steps.reduce((k, st) => k + (st.depends_on?.length ?? 0), 0);
  return (
    <section aria-labelledby="version-title" data-testid="version">
      <Crumbs items={crumbs} />
      <h1 class="utrecht-heading-1" id="version-title">
        {s.versionTitle(doc.name, doc.version ?? n)}
      </h1>
      <dl class="bs-facts">
        <div>
          <dt>{s.key}</dt>
          <dd>
            <code>{doc.key}</code>
          </dd>
        </div>
        <div>
          <dt>{s.steps}</dt>
          <dd data-testid="n-steps">{doc.steps.length}</dd>
        </div>
        <div>
          <dt>{s.milestones}</dt>
          <dd>{doc.steps.filter((st) => st.milestone).length}</dd>
        </div>
        <div>
          <dt>{s.links}</dt>
          <dd data-testid="n-links">{nLinks}</dd>
        </div>
      </dl>
      {doc.description ? <p class="utrecht-paragraph">{doc.description}</p> : null}
      <p class="bs-project-links">
        {n > 1 ? (
          <a href={`/schemas/${enc(schemaKey)}/diff${qs({ from: n - 1, to: n })}`} onClick={linkClick} class="utrecht-button-link utrecht-button-link--secondary-action">
            {s.compareWithPrevious(n - 1)}
          </a>
        ) : null}
      </p>
      {(['public', 'private'] as const).map((stream) => (
        <StreamTable key={stream} stream={stream} steps={doc.steps.filter((st) => st.stream === stream)} byKey={byKey} />
      ))}
    </section>
  );
}

function StreamTable({ stream, steps, byKey }: { stream: 'public' | 'private'; steps: SchemaStep[]; byKey: Map<string, SchemaStep> }) {
  const s = S();
  const id = `stream-${stream}`;
  return (
    <section class="bs-stream" aria-labelledby={`${id}-title`}>
      <h2 class="utrecht-heading-2" id={`${id}-title`}>
        {s.stream[stream]} <span class="bs-muted">({steps.length})</span>
      </h2>
      <DataTable
        labelledBy={`${id}-caption`}
        caption={s.stream[stream]}
        captionClass="bs-visually-hidden"
        class="utrecht-table bs-table bs-schema-table"
        testid={id}
        heads={[s.step, s.phase, s.kind, s.duration, s.source, s.dependsOn]}
      >
        {steps.map((st) => {
          const kinds = [st.milestone ? s.milestone : '', st.statutory ? s.statutory : '', st.optional ? s.optional((st.applies_to?.planstatus ?? []).join(', ')) : ''].filter(Boolean);
          return (
            <tr class="utrecht-table__row" key={st.key} id={`step-${st.key}`} data-key={st.key} tabIndex={-1}>
              <th class="utrecht-table__header-cell" scope="row">
                {st.name}
                <br />
                <code class="bs-muted">{st.key}</code>
              </th>
              <td class="utrecht-table__cell">{st.phase ?? '—'}</td>
              <td class="utrecht-table__cell">{kinds.join('; ') || '—'}</td>
              <td class="utrecht-table__cell" data-col="duration">
                {st.milestone ? '—' : amount(st.duration)}
              </td>
              <td class="utrecht-table__cell bs-source" data-col="source">
                {st.source ?? <span class="bs-muted">{s.noSource}</span>}
              </td>
              <td class="utrecht-table__cell" data-col="depends">
                {st.depends_on?.length ? (
                  <ul class="bs-plain-list">
                    {st.depends_on.map((d) => {
                      const pred = byKey.get(d.step);
                      return (
                        <li key={`${d.step}-${d.type ?? 'FS'}`} data-pred={d.step} data-type={d.type ?? 'FS'}>
                          <a
                            href={`#step-${d.step}`}
                            onClick={(e) => {
                              e.preventDefault();
                              const row = document.getElementById(`step-${d.step}`);
                              row?.focus();
                              row?.scrollIntoView({ block: 'center' });
                            }}
                          >
                            {pred?.name ?? d.step}
                          </a>{' '}
                          <span class="bs-link-type">({linkText(d.type, d.lag)})</span>
                          {pred && pred.stream !== st.stream ? <span class="bs-muted"> — {s.otherStream(s.streamShort[pred.stream])}</span> : null}
                          {d.note ? <span class="bs-muted"> — {d.note}</span> : null}
                        </li>
                      );
                    })}
                  </ul>
                ) : (
                  <span class="bs-muted">{s.none}</span>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </section>
  );
}

// ---- /schemas/{key}/diff ----

function DiffPage({ schemaKey, from, to, rename }: { schemaKey: string; from: string; to: string; rename: string }) {
  const s = S();
  const f = useProblem();
  const [versions, setVersions] = useState<VersionRow[] | null>(null);
  const [diff, setDiff] = useState<Diff | null>(null);
  const [docs, setDocs] = useState<[SchemaDoc | null, SchemaDoc | null]>([null, null]);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    allPages<VersionRow>(`${base(schemaKey)}/versions`)
      .then((v) => live && setVersions(v))
      .catch((e) => live && f.set([{ message: detailOf(e) }]));
    api<Diff>('GET', `${base(schemaKey)}/diff${qs({ from, to, rename })}`)
      .then(async (d) => {
        // the step names of both versions (the diff names steps by key)
        const [a, b] = await Promise.all([d.from, d.to].map((v) => api<SchemaDoc>('GET', `${base(schemaKey)}/versions/${v}`).catch(() => null)));
        if (!live) return;
        setDocs([a, b]);
        setDiff(d);
      })
      .catch((e) => live && f.fromError(e, { from: 'diff-from', to: 'diff-to', rename: 'diff-rename' }, detailOf(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, []);
  // a new comparison remounts the form the user sent it from: the focus goes to the result
  // instead of falling to the page (a first visit by a link leaves it at the start of main)
  const totalRef = useRef<HTMLParagraphElement>(null);
  useLayoutEffect(() => {
    const a = document.activeElement;
    if (diff && totalRef.current && (!a || a === document.body)) totalRef.current.focus();
  }, [diff]);
  const name = docs[1]?.name ?? versions?.[versions.length - 1]?.name ?? schemaKey;
  const title = s.diffTitle(name, Number(from), Number(to));
  useEffect(() => {
    document.title = `${title} — Bouwstroom`;
  }, [title]);
  const names = new Map<string, string>();
  for (const d of docs) for (const st of d?.steps ?? []) names.set(st.key, st.name);
  const stepName = (key: string) => (
    <>
      {names.get(key) ?? key} <code class="bs-muted">{key}</code>
    </>
  );
  const total = diff ? Object.keys(s.sections).reduce((k, part) => k + ((diff as unknown as Record<string, unknown[]>)[part]?.length ?? 0), 0) : 0;
  return (
    <section aria-labelledby="diff-title" data-testid="diff">
      <Crumbs
        items={[
          ['/schemas', s.allSchemas],
          [`/schemas/${enc(schemaKey)}`, s.allVersions],
        ]}
      />
      <h1 class="utrecht-heading-1" id="diff-title">
        {title}
      </h1>
      {versions ? <CompareForm schemaKey={schemaKey} versions={versions.map((v) => v.version)} from={from} to={to} rename={rename} errors={f} /> : <ErrorSummary errors={f.errors} title={s.errors} />}
      {loading ? <p aria-live="polite">{s.loading}</p> : null}
      {diff ? (
        <>
          <p class="utrecht-paragraph bs-diff-total" data-testid="diff-total" tabIndex={-1} ref={totalRef}>
            {s.changes(total)}
          </p>
          <DiffSection id="steps_added" rows={diff.steps_added} heads={[s.step]} cells={(x) => [stepName(x.key)]} />
          <DiffSection id="steps_removed" rows={diff.steps_removed} heads={[s.step]} cells={(x) => [stepName(x.key)]} />
          <DiffSection id="steps_renamed" rows={diff.steps_renamed} heads={[s.oldKey, s.newKey]} cells={(x) => [stepName(x.from), stepName(x.to)]} />
          <DiffSection id="durations_changed" rows={diff.durations_changed} heads={[s.step, s.before, s.after]} cells={(x) => [stepName(x.step), amount(x.from), amount(x.to)]} />
          <DiffSection id="links_added" rows={diff.links_added} heads={[s.step, s.predecessor, s.type]} cells={(x) => [stepName(x.step), stepName(x.depends_on), linkText(x.type, x.lag)]} />
          <DiffSection id="links_removed" rows={diff.links_removed} heads={[s.step, s.predecessor, s.type]} cells={(x) => [stepName(x.step), stepName(x.depends_on), linkText(x.type, x.lag)]} />
          <DiffSection
            id="links_changed"
            rows={diff.links_changed}
            heads={[s.step, s.predecessor, s.before, s.after]}
            cells={(x) => [stepName(x.step), stepName(x.depends_on), linkText(x.from.type, x.from.lag), linkText(x.to.type, x.to.lag)]}
          />
          <DiffSection
            id="constraints_changed"
            rows={diff.constraints_changed}
            heads={[s.step, s.field, s.before, s.after]}
            cells={(x) => [stepName(x.step), s.fields[x.field] ?? x.field, valueText(x.from), valueText(x.to)]}
          />
        </>
      ) : null}
    </section>
  );
}

/** A property's value in words: yes/no, a stream, a list of plan statuses. */
function valueText(v: unknown): string {
  const s = S();
  if (v === true) return s.yes;
  if (v === false) return s.no;
  if (Array.isArray(v)) return v.length ? v.join(', ') : s.none;
  if (v === 'public' || v === 'private') return s.streamShort[v];
  return v === null || v === undefined ? '—' : String(v);
}

function DiffSection<T>({ id, rows, heads, cells }: { id: string; rows: T[]; heads: string[]; cells: (x: T) => ComponentChildren[] }) {
  const s = S();
  const title = `${s.sections[id]} (${rows.length})`;
  return (
    <section class="bs-diff-section" aria-labelledby={`d-${id}`} data-testid={`diff-${id}`} data-count={rows.length}>
      <h2 class="utrecht-heading-3" id={`d-${id}`}>
        {title}
      </h2>
      {rows.length ? (
        <DataTable labelledBy={`d-${id}-caption`} caption={title} captionClass="bs-visually-hidden" heads={heads}>
          {rows.map((x, i) => {
            const c = cells(x);
            return (
              <tr class="utrecht-table__row" key={i}>
                <th class="utrecht-table__header-cell" scope="row">
                  {c[0]}
                </th>
                {c.slice(1).map((v, j) => (
                  <td class="utrecht-table__cell" key={j}>
                    {v}
                  </td>
                ))}
              </tr>
            );
          })}
        </DataTable>
      ) : (
        <p class="utrecht-paragraph bs-muted">{s.nothing}</p>
      )}
    </section>
  );
}
