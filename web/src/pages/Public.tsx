// The public page (issue 18 item 5): for anyone, no login. The public figures
// (GET /api/v1/public/dashboard: openbaar projects only, whoever asks) and the list of openbaar
// projects with their public facts (GET /api/v1/public/projects, paged by name:
// ?page=&page_size=). Never a person: the API gives none (docs/homes-and-goals.md "Dashboards
// and the public rule"). Each figure is a chart with its data table beside it.
import './dashboard.css';
import { useEffect, useState } from 'preact/hooks';
import { GroupFigure, groupLabel, HOME_GROUPS, KnelpuntFigure, LeadTimeFigure, plainKey, useStepNames, YearFigure } from '../components/dashboard';
import { Pager } from '../components/pager';
import { api, qs, type Page } from '../lib/api';
import { fmtDate, fmtNumber, lang, strings } from '../lib/i18n';
import { location, navigate } from '../lib/router';
import { me } from '../lib/session';
import { useSignal } from '../lib/signal';

const S = strings({
  nl: {
    title: 'Openbare cijfers',
    intro: 'Cijfers over de woningbouwprojecten die openbaar zijn, en de lijst van die projecten. Voor iedereen, zonder inloggen. Vertrouwelijke projecten tellen hier niet mee.',
    year: 'Woningen per jaar: gepland en prognose (P50/P80)',
    yearNote: 'Netto woningen (sloop telt negatief) naar het jaar van de geplande oplevering en van de P50- en P80-prognose. Een prognose is er alleen voor projecten die Bouwstroom zelf plant.',
    group: 'Woningen naar kenmerk',
    groupBy: 'Indelen naar',
    knelpunten: 'Knelpunten per processtap',
    knelpuntNote: 'Projecten met een termijn die niet te halen is, bij de stap waarvan de uiterste einddatum wordt gemist.',
    leadTimes: 'Doorlooptijden per processtap',
    leadNote: 'Afgeronde stappen; de mediaan en P80 in kalenderdagen. Lopende stappen worden geteld, maar tellen niet mee in de mediaan en P80.',
    list: 'Openbare projecten',
    caption: 'Openbare projecten, op naam',
    name: 'Naam',
    gemeente: 'Gemeente',
    planstatus: 'Planstatus',
    plantype: 'Plantype',
    homes: 'Woningen',
    completion: 'Geplande oplevering',
    progress: 'Voortgang bijgewerkt',
    none: 'Er zijn geen openbare projecten.',
    loading: 'Laden…',
    failed: 'De lijst kon niet worden geladen:',
  },
  en: {
    title: 'Public figures',
    intro: 'Figures about the housing projects that are public, and the list of those projects. For anyone, without logging in. Confidential projects do not count here.',
    year: 'Homes per year: planned and forecast (P50/P80)',
    yearNote: 'Net homes (demolition counts negative) by the year of the planned delivery and of the P50 and P80 forecast. A forecast exists only for projects Bouwstroom plans itself.',
    group: 'Homes by characteristic',
    groupBy: 'Group by',
    knelpunten: 'Knelpunten per process step',
    knelpuntNote: 'Projects with a deadline that cannot be met, at the step whose latest finish date is missed.',
    leadTimes: 'Lead times per process step',
    leadNote: 'Finished steps; the median and P80 in calendar days. Running steps are counted but are not in the median and P80.',
    list: 'Public projects',
    caption: 'Public projects, by name',
    name: 'Name',
    gemeente: 'Municipality',
    planstatus: 'Planstatus',
    plantype: 'Plan type',
    homes: 'Homes',
    completion: 'Planned delivery',
    progress: 'Progress updated',
    none: 'There are no public projects.',
    loading: 'Loading…',
    failed: 'The list could not be loaded:',
  },
});

/** The public facts the list shows (a subset of GET /api/v1/public/projects' members). */
interface PublicProject {
  id: string;
  name: string;
  gemeente: string | null;
  planstatus: string | null;
  plantype: string | null;
  homes_remaining: number | null;
  planned_completion: string | null;
  progress_date: string | null;
}

const DEFAULT_PAGE_SIZE = 25;

/** The list of openbaar projects, paged; page and page_size from the page's query. */
function PublicProjects() {
  const loc = useSignal(location);
  useSignal(lang);
  const s = S();
  const page = Math.max(1, Number(loc.query.get('page')) || 1);
  const size = Math.min(500, Math.max(1, Number(loc.query.get('page_size')) || DEFAULT_PAGE_SIZE));
  // The page the shown rows belong to travels with them: until the next page's answer is in,
  // the table keeps the previous page's rows and says so (data-page), never the new page number.
  const [state, setState] = useState<{ data: Page<PublicProject> | null; error: string | null; page: number }>({ data: null, error: null, page });
  useEffect(() => {
    let live = true;
    api<Page<PublicProject>>('GET', `/api/v1/public/projects${qs({ page, page_size: size })}`, undefined, { quiet401: true })
      .then((data) => live && setState({ data, error: null, page }))
      .catch((e: Error) => live && setState({ data: null, error: e.message, page }));
    return () => {
      live = false;
    };
  }, [page, size]);
  const go = (p: number) => {
    const q = new URLSearchParams(loc.query);
    if (p > 1) q.set('page', String(p));
    else q.delete('page');
    const t = q.toString();
    navigate(`/public${t ? `?${t}` : ''}`);
  };
  const rows = state.data?.results ?? [];
  return (
    <section class="bs-public-list" aria-labelledby="public-list-title">
      <h2 class="utrecht-heading-2" id="public-list-title">
        {s.list}
      </h2>
      {state.error ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {s.failed} {state.error}
        </p>
      ) : !state.data ? (
        <p class="utrecht-paragraph" aria-live="polite">
          {s.loading}
        </p>
      ) : rows.length === 0 ? (
        <p class="utrecht-paragraph">{s.none}</p>
      ) : (
        <>
          <div class="bs-table-wrap">
            <table class="utrecht-table utrecht-table--html-table bs-table" id="public-projects" data-page={state.page}>
              <caption class="utrecht-table__caption bs-visually-hidden">{s.caption}</caption>
              <thead class="utrecht-table__header">
                <tr class="utrecht-table__row">
                  <th scope="col" class="utrecht-table__header-cell">{s.name}</th>
                  <th scope="col" class="utrecht-table__header-cell">{s.gemeente}</th>
                  <th scope="col" class="utrecht-table__header-cell">{s.planstatus}</th>
                  <th scope="col" class="utrecht-table__header-cell">{s.plantype}</th>
                  <th scope="col" class="utrecht-table__header-cell bs-num">{s.homes}</th>
                  <th scope="col" class="utrecht-table__header-cell">{s.completion}</th>
                  <th scope="col" class="utrecht-table__header-cell">{s.progress}</th>
                </tr>
              </thead>
              <tbody class="utrecht-table__body">
                {rows.map((p) => (
                  <tr class="utrecht-table__row" data-id={p.id}>
                    <th scope="row" class="utrecht-table__cell bs-cell-name">{p.name}</th>
                    <td class="utrecht-table__cell">{p.gemeente ?? '—'}</td>
                    <td class="utrecht-table__cell">{p.planstatus ?? '—'}</td>
                    <td class="utrecht-table__cell">{p.plantype ? plainKey(p.plantype) : '—'}</td>
                    <td class="utrecht-table__cell utrecht-table__cell--numeric bs-num">{fmtNumber(p.homes_remaining)}</td>
                    <td class="utrecht-table__cell">{fmtDate(p.planned_completion)}</td>
                    <td class="utrecht-table__cell">{fmtDate(p.progress_date)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} size={size} count={state.data.count} hasPrev={!!state.data.previous} hasNext={!!state.data.next} onPage={go} />
        </>
      )}
    </section>
  );
}

export default function Public() {
  const loc = useSignal(location);
  const user = useSignal(me);
  useSignal(lang);
  const s = S();
  // step names come from the process schemas, which only a signed-in user may read
  const stepName = useStepNames(!!user);
  const asked = loc.query.get('group_by') ?? '';
  const by = (HOME_GROUPS as readonly string[]).includes(asked) ? asked : 'planstatus';
  const setBy = (v: string) => {
    const q = new URLSearchParams(loc.query);
    q.set('group_by', v);
    navigate(`/public?${q.toString()}`, true);
  };
  return (
    <section class="bs-dashboard">
      <h1 class="utrecht-heading-1">{s.title}</h1>
      <p class="utrecht-paragraph">{s.intro}</p>
      <YearFigure id="pub-year" title={s.year} publicOnly note={s.yearNote} />
      <GroupFigure
        id="pub-group"
        title={s.group}
        publicOnly
        by={by}
        controls={
          <div class="bs-field bs-group-by">
            <label class="utrecht-form-label" for="pub-group-by">
              {s.groupBy}
            </label>
            <select id="pub-group-by" class="utrecht-select utrecht-select--html-select" value={by} onChange={(e) => setBy((e.currentTarget as HTMLSelectElement).value)}>
              {HOME_GROUPS.map((g) => (
                <option value={g}>{groupLabel(g)}</option>
              ))}
            </select>
          </div>
        }
      />
      <KnelpuntFigure id="pub-knelpunten" title={s.knelpunten} publicOnly note={s.knelpuntNote} stepName={stepName} />
      <LeadTimeFigure id="pub-lead-times" title={s.leadTimes} publicOnly note={s.leadNote} stepName={stepName} />
      <PublicProjects />
    </section>
  );
}
