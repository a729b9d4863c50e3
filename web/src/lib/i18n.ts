// Dutch first, English on request: the choice is kept in localStorage ('bs-lang'; a display
// preference, not a credential) and sets <html lang>. Each page keeps its own strings:
//   const S = strings({ nl: { title: 'Projecten' }, en: { title: 'Projects' } });
//   S().title
import { signal } from './signal';

export type Lang = 'nl' | 'en';

function initial(): Lang {
  try {
    const v = localStorage.getItem('bs-lang');
    if (v === 'en' || v === 'nl') return v;
  } catch {
    /* storage blocked: Dutch */
  }
  return 'nl';
}

export const lang = signal<Lang>(initial());

export function setLang(l: Lang): void {
  try {
    localStorage.setItem('bs-lang', l);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l;
  lang.set(l);
}

export function strings<T>(table: { nl: T; en: T }): () => T {
  return () => table[lang.get()];
}

/** A date "YYYY-MM-DD" as the user reads it (nl: 5 dec. 2026), or '—'. */
export function fmtDate(d: string | null | undefined): string {
  if (!d) return '—';
  const [y, m, day] = d.slice(0, 10).split('-').map(Number);
  if (!y || !m || !day) return d;
  return new Date(Date.UTC(y, m - 1, day)).toLocaleDateString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

export function fmtNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB');
}
