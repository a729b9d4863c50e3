// Client-side routes on the History API. The server answers index.html for every non-API
// path (docs/web.md), so /projects/{id} can be opened from a mail or a calendar event.
import { signal } from './signal';

export interface Location {
  path: string;
  query: URLSearchParams;
  hash: string;
}

function read(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search), hash: window.location.hash.slice(1) };
}

export const location = signal<Location>(read());

window.addEventListener('popstate', () => location.set(read()));

export function navigate(to: string, replace = false): void {
  const before = window.location.pathname;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  location.set(read());
  if (window.location.pathname !== before) {
    // a new page: start at its top, and so does the keyboard focus (a new query of the same
    // page — a filter, a sort — leaves the focus where the user is)
    window.scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  }
}

/** Matches "/projects/:id" against a path; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) out[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

/** onClick for <a href> inside the app: navigates without a page load. */
export function linkClick(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement) ?? null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/api/')) return;
  e.preventDefault();
  navigate(href);
}
