// The data of the project page (GET /api/v1/projects/{id} and, by what the caller may see,
// its schedule, forecast, checks and members), shared by the page and the app shell: the shell
// asks for it while the page's code and the chart's code are still loading (prefetch), so a
// first visit of /projects/{id} does not wait for the code before its data (docs/performance.md
// budget: chart drawn ≤ 1 s).
import { api, ApiError } from './api';
import type { Check, Forecast, Member, Project, Schedule } from '../pages/projectTypes';

export interface ProjectData {
  project: Project;
  schedule: Schedule;
  /** undefined while the forecast is still being asked for (the first answer of loadProject) */
  forecast: Forecast | null | undefined;
  checks: Check[] | null;
  members: Member[] | null;
  /** false in the first answer (project and schedule only), true when every part is in */
  complete: boolean;
}

/** The two answers of one load: the project and its schedule (enough to draw the chart), then
 * everything (forecast, checks, members). */
interface Answers {
  first: Promise<ProjectData>;
  /** the first answer with the forecast (checks and members still null, complete false) */
  withForecast: Promise<ProjectData>;
  full: Promise<ProjectData>;
}

async function optional<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
    throw e;
  }
}

function fetchAll(id: string, knownOn: string, quiet401: boolean): Answers {
  const o = { quiet401 };
  const base = `/api/v1/projects/${encodeURIComponent(id)}`;
  // the project and its schedule together: the server gives each caller the schedule of the
  // streams it may see (view "stream" for a developer), so the schedule does not wait for the
  // project's access
  const project = api<Project>('GET', base, undefined, o);
  const schedule = api<Schedule>('GET', `${base}/schedule${knownOn ? `?known_on=${knownOn}` : ''}`, undefined, o);
  schedule.catch(() => undefined); // seen through first when the project request fails first
  // the forecast (the slowest answer: a Monte Carlo run on the server) is asked for as soon as
  // the project's access is known, not after the schedule; with access to the private stream
  // only it is not asked for (the server would refuse it)
  const forecast = project.then((p) =>
    p.access !== 'stream' && !knownOn ? optional(() => api<Forecast>('GET', `${base}/forecast`, undefined, o)) : null,
  );
  forecast.catch(() => undefined);
  const first = Promise.all([project, schedule]).then(
    ([p, sch]): ProjectData => ({ project: p, schedule: sch, forecast: undefined, checks: null, members: null, complete: false }),
  );
  const full = first.then(async (d) => {
    // with access to the private stream only, the checks and members are not asked for
    const more = d.project.access !== 'stream';
    const [f, checks, members] = await Promise.all([
      forecast,
      more ? optional(() => api<{ checks: Check[] }>('GET', `${base}/checks`, undefined, o).then((c) => c.checks)) : Promise.resolve(null),
      more && d.project.access !== 'public'
        ? optional(() => api<{ results: Member[] }>('GET', `${base}/members?page_size=500`, undefined, o).then((m) => m.results))
        : Promise.resolve(null),
    ]);
    return { ...d, forecast: f, checks, members, complete: true };
  });
  const withForecast = Promise.all([first, forecast]).then(([d, f]) => ({ ...d, forecast: f }));
  first.catch(() => undefined); // the page sees the error when it takes the answer
  withForecast.catch(() => undefined);
  full.catch(() => undefined);
  return { first, withForecast, full };
}

let early: { id: string; answers: Answers } | null = null;

/** Starts loading the data of the project the current URL names (/projects/{id}[/…]), once;
 * taken by the page's first loadProject for that id. */
export function prefetchProject(): void {
  const m = /^\/projects\/([^/]+)/.exec(window.location.pathname);
  if (!m) return;
  const id = decodeURIComponent(m[1]);
  early = { id, answers: fetchAll(id, '', true) };
}

/** The project page's data for id as it was known on knownOn (YYYY-MM-DD; '' for now): the
 * prefetched answers when they are for this id and now (used once), else new requests.
 * onPart, when given, receives the parts as they come, before the returned promise settles with
 * every part (complete true): first the project and its schedule (forecast undefined, checks and
 * members null, complete false), then the same with the forecast (null when there is none) —
 * unless every part is in by then; it is not called when the load fails.
 * Errors: ApiError of the project or schedule request (403/404 of the optional parts give null). */
export function loadProject(id: string, knownOn: string, onPart?: (d: ProjectData) => void): Promise<ProjectData> {
  let a: Answers;
  if (early && early.id === id && !knownOn) a = early.answers;
  else a = fetchAll(id, knownOn, false);
  early = null;
  if (onPart) {
    a.first.then(onPart, () => undefined);
    a.withForecast.then(onPart, () => undefined);
  }
  return a.full;
}
