// GET /api/v1/app-config once per page load: the installation's map tiles (URL template or
// null: no tiles, vector outlines only) and their attribution.
import { api } from './api';

export interface AppConfig {
  map?: { tiles?: string | null; attribution?: string | null };
  languages?: string[];
  [k: string]: unknown;
}

let cached: Promise<AppConfig> | null = null;

/** The app configuration; {} when the server does not answer it (the app works without). */
export function appConfig(): Promise<AppConfig> {
  if (!cached) cached = api<AppConfig>('GET', '/api/v1/app-config', undefined, { quiet401: true }).catch(() => ({}));
  return cached;
}
