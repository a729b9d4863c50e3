// The query of the Projects page's list (GET /api/v1/projects), shared by the page and the
// app shell: the shell asks for the list while the page's code is still loading (prefetch),
// so a first visit of /projects waits for one round trip less (docs/performance.md budget:
// interactive ≤ 1 s with 4,348 projects).
import { api, qs, type Page } from './api';

/** The filters kept in the page's URL query, passed to the API under the same names. */
export const FILTERS = ['q', 'gemeente', 'provincie', 'planstatus', 'plantype', 'knelpunt', 'mine'] as const;
export const DEFAULT_PAGE_SIZE = 25;

/** The API query of the page's URL query: filters, sort, page, page_size, geometry=wgs84. */
export function apiQuery(q: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of FILTERS) {
    const v = (q.get(k) ?? '').trim();
    if (v) out[k] = v;
  }
  for (const k of ['sort', 'page', 'page_size']) {
    const v = q.get(k);
    if (v) out[k] = v;
  }
  if (!out.page_size) out.page_size = String(DEFAULT_PAGE_SIZE);
  out.geometry = 'wgs84';
  return out;
}

let early: { query: string; answer: Promise<Page<unknown>> } | null = null;

/** Starts GET /api/v1/projects for the current URL's query (once; taken by the page). */
export function prefetchProjects(): void {
  const query = qs(apiQuery(new URLSearchParams(window.location.search)));
  const answer = api<Page<unknown>>('GET', `/api/v1/projects${query}`, undefined, { quiet401: true });
  answer.catch(() => undefined); // the page sees the error when it takes the answer
  early = { query, answer };
}

/** The list for query: the prefetched answer when it is for this query (used once), else a
 * new request. */
export function projectsList<T>(query: string): Promise<Page<T>> {
  if (early && early.query === query) {
    const a = early.answer as Promise<Page<T>>;
    early = null;
    return a;
  }
  early = null;
  return api<Page<T>>('GET', `/api/v1/projects${query}`);
}
