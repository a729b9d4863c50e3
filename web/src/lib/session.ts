// Who is logged in: GET /api/v1/me once at start and after login; null = anonymous.
import { api, setUnauthorisedHandler } from './api';
import { signal } from './signal';

export interface Me {
  id: string;
  email: string;
  name?: string;
  is_admin?: boolean;
  organisations?: { organisation_id: string; name: string; kind: string; role: string }[];
  projects?: { project_id: string; role: string }[];
}

/** undefined while loading, null when anonymous. */
export const me = signal<Me | null | undefined>(undefined);

export async function refreshMe(): Promise<Me | null> {
  try {
    const m = await api<Me>('GET', '/api/v1/me', undefined, { quiet401: true });
    me.set(m);
    return m;
  } catch {
    me.set(null);
    return null;
  }
}

export async function logout(): Promise<void> {
  try {
    await api('POST', '/api/v1/logout', undefined, { quiet401: true });
  } finally {
    me.set(null);
  }
}

setUnauthorisedHandler(() => me.set(null));
