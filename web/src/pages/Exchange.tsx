// Exchange (/exchange): the province exports with their quality-check results — per plan left
// out, what fails and why — and their downloads; the projects as GeoJSON; the Excel and GeoJSON
// imports (administrators of the installation) with every bad row or feature listed and nothing
// imported (all or nothing, decided by the server), and the empty Excel template; the ZGW
// adapter's events with their last error, and a retry of a given-up one (administrators).
//
// Everything shown is the server's: the report of GET /api/v1/exports/{key}?part=report, the
// errors of a refused import (the problem document's `errors`), the adapter outbox's state.
import './settings.css';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, qs } from '../lib/api';
import { fmtNumber, lang, strings } from '../lib/i18n';
import { linkClick } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem } from '../components/form';
import { DataTable } from '../components/table';

const XLSX_CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const S = strings({
  nl: {
    title: 'Uitwisseling',
    intro: 'Rapportages aan de provincie, projectlijsten inlezen uit Excel of GeoJSON, en de koppeling met het zaaksysteem.',
    loading: 'Laden…',
    exports: 'Provinciale export',
    exportsHint: 'Elke export bevat alleen de plannen die u mag zien. Plannen met een fout gaan niet mee: hieronder staat per plan wat er ontbreekt of niet klopt.',
    exportKey: 'Export',
    keys: { 'zuid-holland': 'Zuid-Holland (GeoJSON, RD)', gelderland: 'Gelderland (planlaag en DetailPlanning)', excel: 'Planmonitor-werkmap (alle provincies)' } as Record<string, string>,
    date: 'Peildatum',
    dateHint: 'JJJJ-MM-DD; leeg: vandaag. Bepaalt de prijsklassen en de bestandsnamen.',
    check: 'Controleren',
    checking: 'Bezig met controleren…',
    errors: 'Er ging iets mis',
    included: 'Gaan mee',
    leftOut: 'Blijven achter',
    outOfScope: 'Andere provincie',
    byCheck: 'Achtergebleven per controle',
    checks: {
      mandatory: 'verplichte velden',
      code_list: 'codelijsten',
      counts: 'aantallen tellen niet op',
      price_class: 'prijsklasse',
      confidentiality: 'vertrouwelijkheid te laag',
      geometry: 'geometrie',
    } as Record<string, string>,
    leftOutPlans: 'Plannen die achterblijven, met wat er niet klopt',
    plan: 'Plan',
    gemeente: 'Gemeente',
    issues: 'Wat er niet klopt',
    more: (n: number) => `… en nog ${fmtNumber(n)} plannen: zie de lijst als CSV.`,
    noneLeft: 'Geen plan blijft achter.',
    downloads: 'Downloaden',
    files: {
      'zuid-holland': [
        ['plans', 'geojson', 'Plannen met aantallen per jaar (GeoJSON)'],
        ['plans', 'csv', 'Plannen (CSV)'],
        ['left_out', 'csv', 'Achtergebleven plannen (CSV)'],
      ],
      gelderland: [
        ['plans', 'geojson', 'Planlaag (GeoJSON)'],
        ['detail', 'geojson', 'DetailPlanning (GeoJSON)'],
        ['detail', 'csv', 'DetailPlanning (CSV)'],
        ['left_out', 'csv', 'Achtergebleven plannen (CSV)'],
      ],
      excel: [['plans', 'xlsx', 'Planmonitor-werkmap (Excel)']],
    } as Record<string, string[][]>,
    geojson: 'Projecten als GeoJSON',
    geojsonHint: 'Alle projecten die u mag zien, met hun geometrie.',
    rd: 'In RD New (EPSG:28992)',
    wgs84: 'In WGS84 (EPSG:4326)',
    imports: 'Importeren',
    importsHint: 'Alles of niets: bevat het bestand één foute rij, dan wordt niets ingelezen en staat elke fout hieronder.',
    adminOnly: 'Alleen beheerders van de installatie lezen projectlijsten in en beheren de koppelingen.',
    template: 'Lege Excel-sjabloon downloaden',
    xlsx: 'Excel-projectlijst',
    xlsxFile: 'Werkmap (.xlsx)',
    source: 'Bron (niet verplicht)',
    sourceHint: 'Een naam per leverancier van lijsten, bijvoorbeeld gemeente-ede; standaard xlsx.',
    sheet: 'Werkblad (niet verplicht)',
    sheetHint: 'Leeg: het eerste werkblad.',
    gjFile: 'GeoJSON-bestand (FeatureCollection)',
    gj: 'GeoJSON-projecten',
    doImport: 'Importeren',
    importing: 'Bezig met inlezen…',
    noFile: 'Kies eerst een bestand.',
    imported: (r: Record<string, number>) => `Ingelezen: ${r.rows ?? r.read ?? 0} rijen; ${r.inserted ?? 0} nieuw, ${r.updated ?? 0} bijgewerkt, ${r.unchanged ?? 0} ongewijzigd.`,
    notImported: (n: number) => `Niets ingelezen: ${n} ${n === 1 ? 'fout' : 'fouten'}.`,
    row: 'Rij',
    column: 'Kolom',
    value: 'Waarde',
    message: 'Fout',
    feature: 'Feature',
    adapters: 'Koppeling met het zaaksysteem (ZGW)',
    counts: { pending: 'wachtend', failed: 'mislukt, probeert opnieuw', given_up: 'opgegeven', done: 'verwerkt' } as Record<string, string>,
    linked: 'Gekoppelde projecten',
    noEvents: 'Er staan geen gebeurtenissen open.',
    event: 'Nr.',
    project: 'Project',
    kind: 'Soort',
    status: 'Status',
    attempts: 'Pogingen',
    next: 'Volgende poging',
    lastError: 'Laatste fout',
    retry: 'Opnieuw proberen',
    retried: (id: number) => `Gebeurtenis ${id} wordt opnieuw geprobeerd.`,
    givenUp: 'opgegeven',
  },
  en: {
    title: 'Exchange',
    intro: 'Reports to the province, project lists read from Excel or GeoJSON, and the link with the case system.',
    loading: 'Loading…',
    exports: 'Province export',
    exportsHint: 'Each export holds only the plans you may see. Plans with an error are left out: below, for each plan, what is missing or wrong.',
    exportKey: 'Export',
    keys: { 'zuid-holland': 'Zuid-Holland (GeoJSON, RD)', gelderland: 'Gelderland (plan layer and DetailPlanning)', excel: 'Planmonitor workbook (every province)' } as Record<string, string>,
    date: 'Reference date',
    dateHint: 'YYYY-MM-DD; empty: today. Chooses the price classes and the file names.',
    check: 'Check',
    checking: 'Checking…',
    errors: 'Something went wrong',
    included: 'Exported',
    leftOut: 'Left out',
    outOfScope: 'Other province',
    byCheck: 'Left out per check',
    checks: {
      mandatory: 'mandatory fields',
      code_list: 'code lists',
      counts: 'counts do not add up',
      price_class: 'price class',
      confidentiality: 'confidentiality too low',
      geometry: 'geometry',
    } as Record<string, string>,
    leftOutPlans: 'Plans left out, with what is wrong',
    plan: 'Plan',
    gemeente: 'Municipality',
    issues: 'What is wrong',
    more: (n: number) => `… and ${fmtNumber(n)} more plans: see the list as CSV.`,
    noneLeft: 'No plan is left out.',
    downloads: 'Download',
    files: {
      'zuid-holland': [
        ['plans', 'geojson', 'Plans with counts per year (GeoJSON)'],
        ['plans', 'csv', 'Plans (CSV)'],
        ['left_out', 'csv', 'Plans left out (CSV)'],
      ],
      gelderland: [
        ['plans', 'geojson', 'Plan layer (GeoJSON)'],
        ['detail', 'geojson', 'DetailPlanning (GeoJSON)'],
        ['detail', 'csv', 'DetailPlanning (CSV)'],
        ['left_out', 'csv', 'Plans left out (CSV)'],
      ],
      excel: [['plans', 'xlsx', 'Planmonitor workbook (Excel)']],
    } as Record<string, string[][]>,
    geojson: 'Projects as GeoJSON',
    geojsonHint: 'Every project you may see, with its geometry.',
    rd: 'In RD New (EPSG:28992)',
    wgs84: 'In WGS84 (EPSG:4326)',
    imports: 'Import',
    importsHint: 'All or nothing: when the file has one bad row nothing is read, and every error is listed below.',
    adminOnly: 'Only administrators of the installation read project lists and manage the links.',
    template: 'Download the empty Excel template',
    xlsx: 'Excel project list',
    xlsxFile: 'Workbook (.xlsx)',
    source: 'Source (optional)',
    sourceHint: 'One name per supplier of lists, e.g. gemeente-ede; default xlsx.',
    sheet: 'Sheet (optional)',
    sheetHint: 'Empty: the first sheet.',
    gjFile: 'GeoJSON file (FeatureCollection)',
    gj: 'GeoJSON projects',
    doImport: 'Import',
    importing: 'Importing…',
    noFile: 'Choose a file first.',
    imported: (r: Record<string, number>) => `Imported: ${r.rows ?? r.read ?? 0} rows; ${r.inserted ?? 0} new, ${r.updated ?? 0} updated, ${r.unchanged ?? 0} unchanged.`,
    notImported: (n: number) => `Nothing imported: ${n} ${n === 1 ? 'error' : 'errors'}.`,
    row: 'Row',
    column: 'Column',
    value: 'Value',
    message: 'Error',
    feature: 'Feature',
    adapters: 'Link with the case system (ZGW)',
    counts: { pending: 'pending', failed: 'failed, retrying', given_up: 'given up', done: 'done' } as Record<string, string>,
    linked: 'Linked projects',
    noEvents: 'No events are open.',
    event: 'No.',
    project: 'Project',
    kind: 'Kind',
    status: 'Status',
    attempts: 'Attempts',
    next: 'Next attempt',
    lastError: 'Last error',
    retry: 'Retry',
    retried: (id: number) => `Event ${id} will be retried.`,
    givenUp: 'given up',
  },
});

interface Report {
  export: string;
  date: string;
  included: number;
  left_out: number;
  out_of_scope: number;
  left_out_by: Record<string, number>;
  left_out_plans: { id: string; name: string | null; gemeente: string | null; issues: { check: string; text: string }[] }[];
}

const SHOWN = 200;
const when = (t: string | null) => (t ? new Date(t).toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

export default function Exchange() {
  const user = useRequireLogin();
  useSignal(lang);
  const s = S();
  const [announce, setAnnounce] = useState('');
  if (!user) return <p aria-live="polite">{s.loading}</p>;
  return (
    <div class="bs-settings bs-exchange">
      <h1 class="utrecht-heading-1">{s.title}</h1>
      <p class="utrecht-paragraph">{s.intro}</p>
      <div class="bs-sr-status" role="status" aria-live="polite" data-testid="announce">
        {announce}
      </div>
      <Exports />
      <section class="bs-settings-section" aria-labelledby="ex-imports-title">
        <h2 class="utrecht-heading-2" id="ex-imports-title">
          {s.imports}
        </h2>
        <p class="utrecht-paragraph bs-muted">{s.importsHint}</p>
        <p class="utrecht-paragraph">
          <a href="/api/v1/exchange/xlsx/template" download="planmonitor-template.xlsx" data-testid="template">
            {s.template}
          </a>
        </p>
        {user.is_admin ? (
          <div class="bs-rules bs-imports">
            <ImportForm kind="xlsx" onDone={setAnnounce} />
            <ImportForm kind="geojson" onDone={setAnnounce} />
          </div>
        ) : (
          <p class="utrecht-paragraph bs-muted">{s.adminOnly}</p>
        )}
      </section>
      {user.is_admin ? <Adapters onRetried={setAnnounce} /> : null}
    </div>
  );
}

function Exports() {
  const s = S();
  const f = useProblem();
  const [key, setKey] = useState('zuid-holland');
  const [date, setDate] = useState('');
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const href = (k: string, part: string, format: string, d: string) => `/api/v1/exports/${k}${qs({ date: d, part, format })}`;
  return (
    <section class="bs-settings-section" aria-labelledby="ex-exports-title">
      <h2 class="utrecht-heading-2" id="ex-exports-title">
        {s.exports}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.exportsHint}</p>
      <form
        class="bs-rule bs-export-form"
        noValidate
        aria-labelledby="ex-exports-title"
        onSubmit={async (e) => {
          e.preventDefault();
          if (busy) return;
          setBusy(true);
          f.clear();
          try {
            setReport(await api<Report>('GET', href(key, 'report', '', date.trim())));
          } catch (err) {
            setReport(null);
            f.fromError(err, { date: 'ex-date', key: 'ex-key' });
          } finally {
            setBusy(false);
          }
        }}
      >
        <ErrorSummary errors={f.errors} title={s.errors} />
        <div class="bs-inline-form">
          <Field id="ex-key" as="select" label={s.exportKey} value={key} onValue={(v) => (setKey(v), setReport(null))} error={f.at('key')} options={Object.entries(s.keys)} />
          <Field id="ex-date" label={s.date} hint={s.dateHint} value={date} onValue={setDate} error={f.at('date')} />
          <SubmitButton busy={busy} busyLabel={s.checking}>
            {s.check}
          </SubmitButton>
        </div>
      </form>
      {report ? (
        <div class="bs-report" data-testid="report">
          <dl class="bs-facts">
            <div>
              <dt>{s.included}</dt>
              <dd data-testid="included">{fmtNumber(report.included)}</dd>
            </div>
            <div>
              <dt>{s.leftOut}</dt>
              <dd data-testid="left-out">{fmtNumber(report.left_out)}</dd>
            </div>
            <div>
              <dt>{s.outOfScope}</dt>
              <dd>{fmtNumber(report.out_of_scope)}</dd>
            </div>
            <div>
              <dt>{s.date}</dt>
              <dd>{report.date}</dd>
            </div>
          </dl>
          <h3 class="utrecht-heading-3">{s.byCheck}</h3>
          <ul class="bs-follows" data-testid="by-check">
            {Object.entries(report.left_out_by).map(([k, n]) => (
              <li key={k} data-check={k}>
                {s.checks[k] ?? k}: {fmtNumber(n)}
              </li>
            ))}
          </ul>
          <h3 class="utrecht-heading-3" id="ex-left-title">
            {s.leftOutPlans}
          </h3>
          {report.left_out_plans.length ? (
            <div class="bs-table-wrap" tabIndex={0} role="region" aria-labelledby="ex-left-title">
              <table class="utrecht-table bs-table" data-testid="left-out-plans">
                <thead class="utrecht-table__header">
                  <tr class="utrecht-table__row">
                    {[s.plan, s.gemeente, s.issues].map((h) => (
                      <th class="utrecht-table__header-cell" scope="col" key={h}>
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody class="utrecht-table__body">
                  {report.left_out_plans.slice(0, SHOWN).map((p) => (
                    <tr class="utrecht-table__row" key={p.id} data-id={p.id}>
                      <th class="utrecht-table__header-cell" scope="row">
                        <a href={`/projects/${encodeURIComponent(p.id)}`} onClick={linkClick}>
                          {p.name ?? p.id}
                        </a>
                      </th>
                      <td class="utrecht-table__cell">{p.gemeente ?? '—'}</td>
                      <td class="utrecht-table__cell">
                        <ul class="bs-plain-list">
                          {p.issues.map((i, n) => (
                            <li key={n} data-check={i.check}>
                              <strong>{s.checks[i.check] ?? i.check}</strong>: {i.text}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {report.left_out_plans.length > SHOWN ? <p class="utrecht-paragraph">{s.more(report.left_out_plans.length - SHOWN)}</p> : null}
            </div>
          ) : (
            <p class="utrecht-paragraph">{s.noneLeft}</p>
          )}
          <h3 class="utrecht-heading-3">{s.downloads}</h3>
          <ul class="bs-follows" data-testid="downloads">
            {(s.files[report.export] ?? []).map(([part, format, label]) => (
              <li key={`${part}-${format}`}>
                <a href={href(report.export, part, format, report.date)} download>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <h3 class="utrecht-heading-3">{s.geojson}</h3>
      <p class="utrecht-paragraph bs-muted">{s.geojsonHint}</p>
      <ul class="bs-follows">
        <li>
          <a href="/api/v1/exchange/geojson?crs=rd" download>
            {s.rd}
          </a>
        </li>
        <li>
          <a href="/api/v1/exchange/geojson?crs=wgs84" download>
            {s.wgs84}
          </a>
        </li>
      </ul>
    </section>
  );
}

interface RowError {
  row?: number | null;
  column?: string | null;
  header?: string | null;
  value?: string | null;
  feature?: number;
  message: string;
}

function ImportForm({ kind, onDone }: { kind: 'xlsx' | 'geojson'; onDone: (m: string) => void }) {
  const s = S();
  const f = useProblem();
  const idp = `imp-${kind}`;
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState('');
  const [sheet, setSheet] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const [rows, setRows] = useState<RowError[] | null>(null);
  return (
    <form
      class="bs-rule"
      noValidate
      aria-labelledby={`${idp}-title`}
      data-testid={`import-${kind}`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        f.clear();
        setDone('');
        setRows(null);
        if (!file) {
          f.set([{ id: `${idp}-file`, field: 'file', message: s.noFile }]);
          return;
        }
        setBusy(true);
        try {
          const path = kind === 'xlsx' ? `/api/v1/exchange/xlsx${qs({ source, sheet })}` : '/api/v1/exchange/geojson';
          const r = await api<Record<string, number>>('POST', path, file, { contentType: kind === 'xlsx' ? XLSX_CT : 'application/geo+json' });
          const msg = s.imported(r);
          setDone(msg);
          onDone(msg);
        } catch (err) {
          const list = err instanceof ApiError && Array.isArray(err.problem.errors) ? (err.problem.errors as RowError[]) : null;
          if (list) {
            setRows(list);
            onDone(s.notImported(list.length));
          }
          f.fromError(err, { source: `${idp}-source`, sheet: `${idp}-sheet`, body: `${idp}-file`, 'Content-Type': `${idp}-file` });
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 class="utrecht-heading-3" id={`${idp}-title`}>
        {kind === 'xlsx' ? s.xlsx : s.gj}
      </h3>
      <ErrorSummary errors={f.errors} title={s.errors} />
      <div class={`utrecht-form-field bs-field${f.at('file') || f.at('body') ? ' utrecht-form-field--invalid' : ''}`}>
        <div class="utrecht-form-field__label">
          <label class="utrecht-form-label" for={`${idp}-file`}>
            {kind === 'xlsx' ? s.xlsxFile : s.gjFile}
          </label>
        </div>
        {f.at('file') || f.at('body') ? (
          <div class="utrecht-form-field__error-message utrecht-form-field-error-message bs-field-error" id={`${idp}-file-error`}>
            {f.at('file') ?? f.at('body')}
          </div>
        ) : null}
        <input
          type="file"
          id={`${idp}-file`}
          accept={kind === 'xlsx' ? '.xlsx' : '.geojson,.json'}
          aria-invalid={f.at('file') || f.at('body') ? 'true' : undefined}
          aria-describedby={f.at('file') || f.at('body') ? `${idp}-file-error` : undefined}
          onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)}
        />
      </div>
      {kind === 'xlsx' ? (
        <>
          <Field id={`${idp}-source`} label={s.source} hint={s.sourceHint} value={source} onValue={setSource} error={f.at('source')} />
          <Field id={`${idp}-sheet`} label={s.sheet} hint={s.sheetHint} value={sheet} onValue={setSheet} error={f.at('sheet')} />
        </>
      ) : null}
      <SubmitButton busy={busy} busyLabel={s.importing}>
        {s.doImport}
      </SubmitButton>
      {done ? (
        <p class="utrecht-paragraph bs-notice" data-testid={`imported-${kind}`}>
          {done}
        </p>
      ) : null}
      {rows && rows.length ? (
        <DataTable
          labelledBy={`${idp}-rows-caption`}
          caption={s.notImported(rows.length)}
          captionClass="utrecht-table__caption bs-caption"
          testid={`errors-${kind}`}
          heads={kind === 'xlsx' ? [s.row, s.column, s.value, s.message] : [s.feature, s.message]}
        >
          {rows.map((r, i) =>
            kind === 'xlsx' ? (
              <tr class="utrecht-table__row" key={i} data-row={r.row ?? ''}>
                <td class="utrecht-table__cell">{r.row ?? '—'}</td>
                <td class="utrecht-table__cell">{[r.column, r.header].filter(Boolean).join(' — ') || '—'}</td>
                <td class="utrecht-table__cell">{r.value ?? '—'}</td>
                <td class="utrecht-table__cell" data-col="message">
                  {r.message}
                </td>
              </tr>
            ) : (
              <tr class="utrecht-table__row" key={i} data-row={r.feature ?? ''}>
                <td class="utrecht-table__cell">{r.feature ?? '—'}</td>
                <td class="utrecht-table__cell" data-col="message">
                  {r.message}
                </td>
              </tr>
            ),
          )}
        </DataTable>
      ) : null}
    </form>
  );
}

interface AdapterState {
  counts: Record<string, number>;
  projects_linked: number;
  events: { id: number; project_id: string; kind: string; step_key: string | null; status: string; attempts: number; next_attempt_at: string | null; last_error: string | null }[];
}

function Adapters({ onRetried }: { onRetried: (m: string) => void }) {
  const s = S();
  const f = useProblem();
  const [state, setState] = useState<AdapterState | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api<AdapterState>('GET', '/api/v1/adapters/events?limit=200')
      .then(setState)
      .catch((e) => f.fromError(e, {}));
  }, [version]);
  return (
    <section class="bs-settings-section" aria-labelledby="ex-adapters-title">
      <h2 class="utrecht-heading-2" id="ex-adapters-title">
        {s.adapters}
      </h2>
      <ErrorSummary errors={f.errors} title={s.errors} />
      {!state ? (
        <p>{s.loading}</p>
      ) : (
        <>
          <dl class="bs-facts" data-testid="adapter-counts">
            {Object.entries(state.counts).map(([k, n]) => (
              <div key={k}>
                <dt>{s.counts[k] ?? k}</dt>
                <dd data-count={k}>{fmtNumber(n)}</dd>
              </div>
            ))}
            <div>
              <dt>{s.linked}</dt>
              <dd>{fmtNumber(state.projects_linked)}</dd>
            </div>
          </dl>
          {state.events.length ? (
            <DataTable labelledBy="ex-adapters-title" testid="adapter-events" heads={[s.event, s.project, s.kind, s.status, s.attempts, s.next, s.lastError]} actions={s.retry}>
              {state.events.map((ev) => {
                const givenUp = ev.status === 'failed' && !ev.next_attempt_at;
                return (
                  <tr class="utrecht-table__row" key={ev.id} data-id={ev.id}>
                    <td class="utrecht-table__cell">{ev.id}</td>
                    <td class="utrecht-table__cell">
                      <a href={`/projects/${encodeURIComponent(ev.project_id)}`} onClick={linkClick}>
                        {ev.project_id.slice(0, 8)}
                      </a>
                    </td>
                    <td class="utrecht-table__cell">
                      {ev.kind}
                      {ev.step_key ? ` (${ev.step_key})` : ''}
                    </td>
                    <td class="utrecht-table__cell" data-col="status">
                      {givenUp ? s.givenUp : s.counts[ev.status] ?? ev.status}
                    </td>
                    <td class="utrecht-table__cell">{ev.attempts}</td>
                    <td class="utrecht-table__cell">{when(ev.next_attempt_at)}</td>
                    <td class="utrecht-table__cell" data-col="error">
                      {ev.last_error ?? '—'}
                    </td>
                    <td class="utrecht-table__cell">
                      {givenUp ? (
                        <button
                          type="button"
                          class="utrecht-button utrecht-button--secondary-action bs-link-button"
                          aria-label={`${s.retry}: ${ev.id}`}
                          onClick={async () => {
                            f.clear();
                            try {
                              await api('POST', `/api/v1/adapters/events/${ev.id}/retry`, {});
                              onRetried(s.retried(ev.id));
                              setVersion((v) => v + 1);
                            } catch (e) {
                              f.fromError(e, {});
                            }
                          }}
                        >
                          {s.retry}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </DataTable>
          ) : (
            <p class="utrecht-paragraph" data-testid="no-events">
              {s.noEvents}
            </p>
          )}
        </>
      )}
    </section>
  );
}
