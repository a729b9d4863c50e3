// Projects (/projects?q=&gemeente=&provincie=&planstatus=&plantype=&knelpunt=&mine=&sort=&page=&page_size=):
// the table of the projects the user may see — the accessible primary view — with the
// server's filters, name search, sort by column header (aria-sort) and paging with counts,
// all kept in the URL query (so the back button, a bookmark and a shared link give the same
// list); beside it a Leaflet map of the visible page's outlines (geometry=wgs84, loaded lazily;
// supplementary: every project on it is in the table). The server does every filter, sort and
// count (GET /api/v1/projects, docs/api.md): with 4,348 projects only one page travels.
import type { ComponentType } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, qs, type Page } from '../lib/api';
import { apiQuery, DEFAULT_PAGE_SIZE, FILTERS, projectsList } from '../lib/projectsQuery';
import { fmtDate, fmtNumber, lang, strings } from '../lib/i18n';
import { linkClick, location, navigate } from '../lib/router';
import { useSignal } from '../lib/signal';
import { useRequireLogin } from '../lib/guard';
import { ErrorSummary, Field, SubmitButton, problemErrors, type FormError } from '../components/form';

type MapProps = { rows: ProjectRow[]; label: string };

/** The map, loaded with Leaflet only when the list is shown (not in the first page's code);
 * asked for as soon as this module runs, beside the list's request. */
let mapModule: Promise<{ default: ComponentType<MapProps> }> | null = null;
const loadMap = () => (mapModule ??= import('./ProjectsMap'));

function LazyMap(props: MapProps) {
  const [M, setM] = useState<ComponentType<MapProps> | null>(null);
  useEffect(() => {
    let live = true;
    loadMap().then((m) => live && setM(() => m.default));
    return () => {
      live = false;
    };
  }, []);
  return M ? <M {...props} /> : <div class="bs-map" />;
}

export interface ProjectRow {
  id: string;
  name: string;
  gemeente: string | null;
  provincie: string | null;
  planstatus: string | null;
  plantype: string | null;
  homes_remaining: number | null;
  progress_date: string | null;
  planned_completion?: string | null;
  knelpunt?: boolean | null;
  confidentiality?: string;
  geometry_wgs84?: GeoJSON.Geometry | null;
}

/** The national planstatus codes with the provinces' labels (Planmonitor Wonen). */
export const PLANSTATUS: Record<string, { nl: string; en: string }> = {
  '1A': { nl: 'Onherroepelijk', en: 'Irrevocable' },
  '1B': { nl: 'Onherroepelijk, uitwerkingsplicht', en: 'Irrevocable, to be elaborated' },
  '1C': { nl: 'Onherroepelijk, wijzigingsbevoegdheid', en: 'Irrevocable, power to amend' },
  '2A': { nl: 'Vastgesteld', en: 'Adopted' },
  '2B': { nl: 'Vastgesteld, uitwerkingsplicht', en: 'Adopted, to be elaborated' },
  '2C': { nl: 'Vastgesteld, wijzigingsbevoegdheid', en: 'Adopted, power to amend' },
  '3': { nl: 'In voorbereiding', en: 'In preparation' },
  '4A': { nl: 'Visie', en: 'Vision' },
  '4B': { nl: 'Idee', en: 'Idea' },
  onbekend: { nl: 'Onbekend', en: 'Unknown' },
};

export const PLANTYPE: Record<string, { nl: string; en: string }> = {
  uitleg: { nl: 'Uitleg', en: 'Greenfield' },
  verdichting: { nl: 'Verdichting', en: 'Densification' },
  transformatie: { nl: 'Transformatie', en: 'Transformation' },
  herstructurering: { nl: 'Herstructurering', en: 'Restructuring' },
  onbekend: { nl: 'Onbekend', en: 'Unknown' },
};

const S = strings({
  nl: {
    title: 'Projecten',
    filters: 'Zoeken en filteren',
    q: 'Naam bevat',
    gemeente: 'Gemeente',
    provincie: 'Provincie',
    planstatus: 'Planstatus',
    plantype: 'Plantype',
    knelpunt: 'Knelpunt',
    mine: 'Alleen mijn projecten',
    any: 'Alle',
    yes: 'Ja',
    no: 'Nee',
    apply: 'Zoeken',
    reset: 'Wis filters',
    name: 'Naam',
    homes: 'Woningen',
    progress: 'Stand per',
    caption: 'Projecten',
    sortedAsc: 'oplopend gesorteerd',
    sortedDesc: 'aflopend gesorteerd',
    sortBy: (c: string) => `Sorteer op ${c.toLowerCase()}`,
    count: (a: string, b: string, n: string) => `${a}–${b} van ${n}`,
    none: 'Geen projecten gevonden met deze filters.',
    loading: 'Laden…',
    pages: 'Paginering',
    prev: 'Vorige',
    next: 'Volgende',
    page: (n: number) => `Pagina ${n}`,
    pageSize: 'Per pagina',
    map: 'Kaart van de projecten op deze pagina',
    mapNote: 'De kaart toont dezelfde projecten als de tabel.',
    error: 'De lijst kon niet worden geladen',
    network: 'De server is niet bereikbaar. Probeer het later opnieuw.',
  },
  en: {
    title: 'Projects',
    filters: 'Search and filter',
    q: 'Name contains',
    gemeente: 'Municipality',
    provincie: 'Province',
    planstatus: 'Plan status',
    plantype: 'Plan type',
    knelpunt: 'Bottleneck',
    mine: 'Only my projects',
    any: 'All',
    yes: 'Yes',
    no: 'No',
    apply: 'Search',
    reset: 'Clear filters',
    name: 'Name',
    homes: 'Homes',
    progress: 'Progress as of',
    caption: 'Projects',
    sortedAsc: 'sorted ascending',
    sortedDesc: 'sorted descending',
    sortBy: (c: string) => `Sort by ${c.toLowerCase()}`,
    count: (a: string, b: string, n: string) => `${a}–${b} of ${n}`,
    none: 'No projects match these filters.',
    loading: 'Loading…',
    pages: 'Pagination',
    prev: 'Previous',
    next: 'Next',
    page: (n: number) => `Page ${n}`,
    pageSize: 'Per page',
    map: 'Map of the projects on this page',
    mapNote: 'The map shows the same projects as the table.',
    error: 'The list could not be loaded',
    network: 'The server cannot be reached. Try again later.',
  },
});

const PAGE_SIZES = ['10', '25', '50', '100'];
type FilterKey = (typeof FILTERS)[number];

/** Sortable columns: column → the API's sort key (sort=KEY ascending, sort=-KEY descending). */
const SORTS: Record<string, string> = {
  name: 'name',
  gemeente: 'gemeente',
  provincie: 'provincie',
  planstatus: 'planstatus',
  plantype: 'plantype',
  homes: 'homes',
  progress: 'progress_date',
};

function withQuery(q: URLSearchParams, changes: Record<string, string | null>): string {
  const n = new URLSearchParams(q);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') n.delete(k);
    else n.set(k, v);
  }
  const s = n.toString();
  return s ? `/projects?${s}` : '/projects';
}

function label(table: Record<string, { nl: string; en: string }>, code: string | null | undefined): string {
  if (!code) return '—';
  const l = table[code];
  return l ? l[lang.get()] : code;
}

function Filters({ query, ids }: { query: URLSearchParams; ids: Record<string, string> }) {
  const s = S();
  const [v, setV] = useState<Record<FilterKey, string>>(() => Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<FilterKey, string>);
  // the form follows the URL (back button, a cleared filter)
  const key = FILTERS.map((k) => query.get(k) ?? '').join('\u0000');
  useEffect(() => setV(Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<FilterKey, string>), [key]);
  const set = (k: FilterKey) => (x: string) => setV((o) => ({ ...o, [k]: x }));
  function submit(e: Event) {
    e.preventDefault();
    const changes: Record<string, string | null> = { page: null };
    for (const k of FILTERS) changes[k] = v[k].trim() || null;
    navigate(withQuery(query, changes));
  }
  const anyLabel = `— ${s.any} —`;
  return (
    <form class="bs-filters" onSubmit={submit} role="search" aria-labelledby="bs-filters-title">
      <h2 class="utrecht-heading-2 bs-visually-hidden" id="bs-filters-title">
        {s.filters}
      </h2>
      <Field id={ids.q} label={s.q} type="search" value={v.q} onValue={set('q')} class="bs-filter-q" />
      <Field id={ids.gemeente} label={s.gemeente} value={v.gemeente} onValue={set('gemeente')} />
      <Field id={ids.provincie} label={s.provincie} value={v.provincie} onValue={set('provincie')} />
      <Field
        id={ids.planstatus}
        as="select"
        label={s.planstatus}
        value={v.planstatus}
        onValue={set('planstatus')}
        options={[['', anyLabel], ...Object.keys(PLANSTATUS).map((c): [string, string] => [c, c === 'onbekend' ? label(PLANSTATUS, c) : `${c} ${label(PLANSTATUS, c)}`])]}
      />
      <Field id={ids.plantype} as="select" label={s.plantype} value={v.plantype} onValue={set('plantype')} options={[['', anyLabel], ...Object.keys(PLANTYPE).map((c): [string, string] => [c, label(PLANTYPE, c)])]} />
      <Field id={ids.knelpunt} as="select" label={s.knelpunt} value={v.knelpunt} onValue={set('knelpunt')} options={[['', anyLabel], ['true', s.yes], ['false', s.no]]} />
      <div class="utrecht-form-field utrecht-form-field--checkbox bs-field bs-filter-mine">
        <input
          type="checkbox"
          class="utrecht-checkbox utrecht-checkbox--html-input"
          id={ids.mine}
          checked={v.mine === 'true'}
          onChange={(e) => set('mine')((e.currentTarget as HTMLInputElement).checked ? 'true' : '')}
        />
        <label class="utrecht-form-label utrecht-form-label--checkbox" for={ids.mine}>
          {s.mine}
        </label>
      </div>
      <div class="bs-filter-buttons">
        <SubmitButton busy={false}>{s.apply}</SubmitButton>
        <a href="/projects" onClick={linkClick} class="utrecht-button-link utrecht-button-link--html-a utrecht-button-link--secondary-action">
          {s.reset}
        </a>
      </div>
    </form>
  );
}

function SortHeader({ col, title, query }: { col: string; title: string; query: URLSearchParams }) {
  const s = S();
  const key = SORTS[col];
  const cur = query.get('sort') ?? 'name';
  const dir = cur === key ? 'ascending' : cur === `-${key}` ? 'descending' : undefined;
  const next = dir === 'ascending' ? `-${key}` : key;
  return (
    <th scope="col" class="utrecht-table__header-cell" aria-sort={dir ?? 'none'}>
      <button type="button" class="bs-sort" onClick={() => navigate(withQuery(query, { sort: next === 'name' ? null : next, page: null }))}>
        {title}
        <span aria-hidden="true" class="bs-sort-icon">
          {dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '↕'}
        </span>
        <span class="bs-visually-hidden">{dir ? ` (${dir === 'ascending' ? s.sortedAsc : s.sortedDesc})` : ''}</span>
      </button>
    </th>
  );
}

function Pagination({ query, page, pages }: { query: URLSearchParams; page: number; pages: number }) {
  const s = S();
  if (pages <= 1) return null;
  const nums = new Set<number>([1, pages]);
  for (let p = page - 2; p <= page + 2; p++) if (p >= 1 && p <= pages) nums.add(p);
  const list = [...nums].sort((a, b) => a - b);
  const href = (p: number) => withQuery(query, { page: p === 1 ? null : String(p) });
  const items = [];
  let last = 0;
  for (const p of list) {
    if (p - last > 1)
      items.push(
        <li key={`gap${p}`} aria-hidden="true">
          …
        </li>,
      );
    items.push(
      <li key={p}>
        <a
          href={href(p)}
          onClick={linkClick}
          class={`utrecht-pagination__page-link${p === page ? ' utrecht-pagination__page-link--current' : ''}`}
          aria-current={p === page ? 'page' : undefined}
          aria-label={s.page(p)}
        >
          {p}
        </a>
      </li>,
    );
    last = p;
  }
  return (
    <nav class="utrecht-pagination bs-pagination" aria-label={s.pages}>
      <ul>
        {page > 1 ? (
          <li>
            <a href={href(page - 1)} onClick={linkClick} rel="prev" class="utrecht-pagination__relative-link utrecht-pagination__relative-link--prev">
              {s.prev}
            </a>
          </li>
        ) : null}
        {items}
        {page < pages ? (
          <li>
            <a href={href(page + 1)} onClick={linkClick} rel="next" class="utrecht-pagination__relative-link utrecht-pagination__relative-link--next">
              {s.next}
            </a>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}

export default function Projects(_: { params: Record<string, string> }) {
  loadMap();
  useSignal(lang);
  const user = useRequireLogin();
  const loc = useSignal(location);
  const s = S();
  const query = loc.query;
  const apiQ = apiQuery(query);
  const apiQs = qs(apiQ);
  const [data, setData] = useState<Page<ProjectRow> | null>(null);
  const [loading, setLoading] = useState(true);
  const [errors, setErrors] = useState<FormError[]>([]);
  const seq = useRef(0);
  const ids: Record<string, string> = { q: 'f-q', gemeente: 'f-gemeente', provincie: 'f-provincie', planstatus: 'f-planstatus', plantype: 'f-plantype', knelpunt: 'f-knelpunt', mine: 'f-mine' };

  // the list is asked for at once, beside /me (the session cookie goes with both): the page is
  // ready as soon as both are there; anonymous goes to /login
  const anonymous = user === null;
  useLayoutEffect(() => {
    if (anonymous) return;
    const n = ++seq.current;
    setLoading(true);
    projectsList<ProjectRow>(apiQs)
      .then((d) => {
        if (n !== seq.current) return;
        setData(d);
        setErrors([]);
      })
      .catch((e) => {
        if (n !== seq.current) return;
        if (e instanceof ApiError && e.status === 401) return; // the guard sends to /login
        setData(null);
        setErrors(problemErrors(e, ids, s.network));
      })
      .finally(() => n === seq.current && setLoading(false));
  }, [apiQs, anonymous]);

  useEffect(() => {
    document.title = `${s.title} — Bouwstroom`;
  }, [lang.get()]);

  if (!user) return <p aria-live="polite">{s.loading}</p>;

  const pageSize = Number(apiQ.page_size) || DEFAULT_PAGE_SIZE;
  const page = Math.max(1, Number(apiQ.page ?? '1') || 1);
  const count = data?.count ?? 0;
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const rows = data?.results ?? [];
  const first = count ? (page - 1) * pageSize + 1 : 0;
  const lastN = (page - 1) * pageSize + rows.length;

  return (
    <section>
      <h1 class="utrecht-heading-1">{s.title}</h1>
      <Filters query={query} ids={ids} />
      <ErrorSummary errors={errors} title={s.error} />
      <div class="bs-list-bar">
        <p class="utrecht-paragraph bs-count" role="status" aria-live="polite" data-testid="count">
          {loading ? s.loading : count ? s.count(fmtNumber(first), fmtNumber(lastN), fmtNumber(count)) : s.none}
        </p>
        <div class="bs-page-size">
          <label class="utrecht-form-label" for="f-page-size">
            {s.pageSize}
          </label>
          <select
            id="f-page-size"
            class="utrecht-select utrecht-select--html-select"
            value={String(pageSize)}
            onChange={(e) => navigate(withQuery(query, { page_size: (e.currentTarget as HTMLSelectElement).value === String(DEFAULT_PAGE_SIZE) ? null : (e.currentTarget as HTMLSelectElement).value, page: null }))}
          >
            {(PAGE_SIZES.includes(String(pageSize)) ? PAGE_SIZES : [...PAGE_SIZES, String(pageSize)]).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class="bs-projects">
        <div class="bs-table-wrap">
          <table class="utrecht-table utrecht-table--html-table bs-table" aria-busy={loading ? 'true' : undefined}>
            <caption class="utrecht-table__caption bs-visually-hidden">
              {s.caption}
              {count ? ` (${s.count(fmtNumber(first), fmtNumber(lastN), fmtNumber(count))})` : ''}
            </caption>
            <thead class="utrecht-table__header">
              <tr class="utrecht-table__row">
                <SortHeader col="name" title={s.name} query={query} />
                <SortHeader col="gemeente" title={s.gemeente} query={query} />
                <SortHeader col="provincie" title={s.provincie} query={query} />
                <SortHeader col="planstatus" title={s.planstatus} query={query} />
                <SortHeader col="plantype" title={s.plantype} query={query} />
                <SortHeader col="homes" title={s.homes} query={query} />
                <th scope="col" class="utrecht-table__header-cell">
                  {s.knelpunt}
                </th>
                <SortHeader col="progress" title={s.progress} query={query} />
              </tr>
            </thead>
            <tbody class="utrecht-table__body">
              {rows.map((p) => (
                <tr class="utrecht-table__row" key={p.id} data-id={p.id}>
                  <th scope="row" class="utrecht-table__cell bs-cell-name">
                    <a href={`/projects/${p.id}`} onClick={linkClick}>
                      {p.name}
                    </a>
                  </th>
                  <td class="utrecht-table__cell">{p.gemeente ?? '—'}</td>
                  <td class="utrecht-table__cell">{p.provincie ?? '—'}</td>
                  <td class="utrecht-table__cell">
                    {p.planstatus ? (
                      <>
                        {p.planstatus !== 'onbekend' ? <span class="bs-code">{p.planstatus}</span> : null} {label(PLANSTATUS, p.planstatus)}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td class="utrecht-table__cell">{label(PLANTYPE, p.plantype)}</td>
                  <td class="utrecht-table__cell utrecht-table__cell--numeric bs-num">{fmtNumber(p.homes_remaining)}</td>
                  <td class="utrecht-table__cell">
                    {p.knelpunt === true ? <span class="bs-knelpunt">{s.yes}</span> : p.knelpunt === false ? s.no : '—'}
                  </td>
                  <td class="utrecht-table__cell">{fmtDate(p.progress_date)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination query={query} page={page} pages={pages} />
        </div>
        <div class="bs-map-wrap">
          <h2 class="utrecht-heading-3 bs-visually-hidden" id="bs-map-title">
            {s.map}
          </h2>
          <LazyMap rows={rows} label={s.map} />
          <p class="bs-muted bs-map-note">{s.mapNote}</p>
        </div>
      </div>
    </section>
  );
}
