// Pages that need a signed-in user: while /me loads nothing happens; anonymous (or a session
// that ended: any 401 sets `me` to null) goes to /login with the page asked for as the return
// path (?next=), so the user comes back to it after logging in.
import { useEffect } from 'preact/hooks';
import { location, navigate } from './router';
import { me, type Me } from './session';
import { signal } from './signal';
import { useSignal } from './signal';

/** A message for the next page (e.g. the login page after a password reset); read once. */
export const flash = signal<string | null>(null);

/** The path + query of the current page, as a return path for /login?next=. */
export function here(): string {
  return window.location.pathname + window.location.search;
}

/** A return path is taken only when it is a path of this app (no //host, no /api/). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/api/') || next.startsWith('/login'))
    return '/projects';
  return next;
}

export function useRequireLogin(): Me | null | undefined {
  const user = useSignal(me);
  useSignal(location);
  useEffect(() => {
    if (user === null) navigate(`/login?next=${encodeURIComponent(here())}`, true);
  }, [user]);
  return user;
}

/** The token of a fragment "token=T" (or a bare "T", the older form). */
export function fragmentToken(hash: string): string {
  const h = hash.replace(/^#/, '');
  if (!h) return '';
  const p = new URLSearchParams(h);
  return p.get('token') ?? p.get('secret') ?? (h.includes('=') ? '' : decodeURIComponent(h));
}
