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
  forecast: Forecast | null;
  checks: Check[] | null;
  members: Member[] | null;
}

async function optional<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
    throw e;
  }
}

async function fetchAll(id: string, knownOn: string, quiet401: boolean): Promise<ProjectData> {
  const o = { quiet401 };
  const base = `/api/v1/projects/${encodeURIComponent(id)}`;
  const project = await api<Project>('GET', base, undefined, o);
  // with access to the private stream only, the forecast, checks and members are not asked for
  const more = project.access !== 'stream';
  const [schedule, forecast, checks, members] = await Promise.all([
    api<Schedule>('GET', `${base}/schedule${knownOn ? `?known_on=${knownOn}` : ''}`, undefined, o),
    more && !knownOn ? optional(() => api<Forecast>('GET', `${base}/forecast`, undefined, o)) : Promise.resolve(null),
    more ? optional(() => api<{ checks: Check[] }>('GET', `${base}/checks`, undefined, o).then((c) => c.checks)) : Promise.resolve(null),
    more && project.access !== 'public'
      ? optional(() => api<{ results: Member[] }>('GET', `${base}/members?page_size=500`, undefined, o).then((m) => m.results))
      : Promise.resolve(null),
  ]);
  return { project, schedule, forecast, checks, members };
}

let early: { id: string; answer: Promise<ProjectData> } | null = null;

/** Starts loading the data of the project the current URL names (/projects/{id}[/…]), once;
 * taken by the page's first loadProject for that id. */
export function prefetchProject(): void {
  const m = /^\/projects\/([^/]+)/.exec(window.location.pathname);
  if (!m) return;
  const id = decodeURIComponent(m[1]);
  const answer = fetchAll(id, '', true);
  answer.catch(() => undefined); // the page sees the error when it takes the answer
  early = { id, answer };
}

/** The project page's data for id as it was known on knownOn (YYYY-MM-DD; '' for now): the
 * prefetched answer when it is for this id and now (used once), else new requests.
 * Errors: ApiError of the project or schedule request (403/404 of the optional parts give null). */
export function loadProject(id: string, knownOn: string): Promise<ProjectData> {
  if (early && early.id === id && !knownOn) {
    const a = early.answer;
    early = null;
    return a;
  }
  early = null;
  return fetchAll(id, knownOn, false);
}
